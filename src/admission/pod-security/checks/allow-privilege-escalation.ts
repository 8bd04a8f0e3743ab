/**
 * allowPrivilegeEscalation (restricted, 1.8; 1.25): every container sets
 * allowPrivilegeEscalation=false. From 1.25 Windows pods (`spec.os.name: windows`) are exempt.
 */
import { fail, PASS, type CheckDefinition, type CheckOutcome } from "../check-types.js";
import type { PodView } from "../pod-view.js";
import { joinQuote, pluralize } from "../lib/text.js";

/** A pod that declares itself a Windows pod. */
export function isWindowsPod(pod: PodView): boolean {
  return pod.spec.os?.name === "windows";
}

function evaluate(pod: PodView): CheckOutcome {
  const bad: string[] = [];
  const paths: string[] = [];
  for (const { container, name, path } of pod.containers) {
    if (container.securityContext?.allowPrivilegeEscalation !== false) {
      bad.push(name);
      paths.push(`${path}.securityContext.allowPrivilegeEscalation`);
    }
  }
  if (bad.length === 0) return PASS;
  return fail(
    "allowPrivilegeEscalation != false",
    `${pluralize("container", "containers", bad.length)} ${joinQuote(bad)} must set securityContext.allowPrivilegeEscalation=false`,
    paths,
    bad,
  );
}

export const allowPrivilegeEscalation: CheckDefinition = {
  id: "allowPrivilegeEscalation",
  level: "restricted",
  versions: [
    { minMinor: 8, evaluate, rule: "every container sets securityContext.allowPrivilegeEscalation=false" },
    {
      minMinor: 25,
      evaluate: (pod) => (isWindowsPod(pod) ? PASS : evaluate(pod)),
      rule: "every container sets securityContext.allowPrivilegeEscalation=false (Windows pods exempt)",
    },
  ],
};
