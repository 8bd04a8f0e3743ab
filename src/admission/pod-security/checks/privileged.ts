/** privileged (baseline, 1.0): no privileged containers. */
import { fail, PASS, type CheckDefinition, type CheckOutcome } from "../check-types.js";
import type { PodView } from "../pod-view.js";
import { joinQuote, pluralize } from "../lib/text.js";

function evaluate(pod: PodView): CheckOutcome {
  const bad: string[] = [];
  const paths: string[] = [];
  for (const { container, name, path } of pod.containers) {
    if (container.securityContext?.privileged === true) {
      bad.push(name);
      paths.push(`${path}.securityContext.privileged`);
    }
  }
  if (bad.length === 0) return PASS;
  return fail(
    "privileged",
    `${pluralize("container", "containers", bad.length)} ${joinQuote(bad)} must not set securityContext.privileged=true`,
    paths,
    bad,
  );
}

export const privileged: CheckDefinition = {
  id: "privileged",
  level: "baseline",
  versions: [{ minMinor: 0, evaluate, rule: "containers leave securityContext.privileged unset or false" }],
};
