/**
 * procMount (baseline, 1.0; 1.35) and procMount_restricted (restricted, 1.35): containers keep the
 * Default proc mount. From 1.35 baseline allows any proc mount in a user-namespaced pod
 * (`spec.hostUsers: false`); restricted does not.
 */
import { fail, PASS, type CheckDefinition, type CheckOutcome } from "../check-types.js";
import type { PodView } from "../pod-view.js";
import { joinQuote, pluralize, sortedList } from "../lib/text.js";

function defaultProcMountOnly(pod: PodView): CheckOutcome {
  const bad: string[] = [];
  const types = new Set<string>();
  const paths: string[] = [];
  for (const { container, name, path } of pod.containers) {
    const procMount = container.securityContext?.procMount;
    if (procMount != null && procMount !== "Default") {
      bad.push(name);
      types.add(procMount);
      paths.push(`${path}.securityContext.procMount`);
    }
  }
  if (bad.length === 0) return PASS;
  const typeList = sortedList(types);
  return fail(
    "procMount",
    `${pluralize("container", "containers", bad.length)} ${joinQuote(bad)} must not set securityContext.procMount to ${joinQuote(typeList)}`,
    paths,
    typeList,
  );
}

/** A pod in a user namespace (`hostUsers` explicitly false). */
export function inUserNamespace(pod: PodView): boolean {
  return pod.spec.hostUsers === false;
}

export const procMount: CheckDefinition = {
  id: "procMount",
  level: "baseline",
  versions: [
    {
      minMinor: 0,
      evaluate: defaultProcMountOnly,
      rule: "containers leave securityContext.procMount unset or Default",
    },
    {
      minMinor: 35,
      evaluate: (pod) => (inUserNamespace(pod) ? PASS : defaultProcMountOnly(pod)),
      rule: "containers leave securityContext.procMount unset or Default, unless spec.hostUsers is false",
    },
  ],
};

export const procMountRestricted: CheckDefinition = {
  id: "procMount_restricted",
  level: "restricted",
  versions: [
    {
      minMinor: 35,
      evaluate: defaultProcMountOnly,
      rule: "containers leave securityContext.procMount unset or Default, also when spec.hostUsers is false",
      overrides: ["procMount"],
    },
  ],
};
