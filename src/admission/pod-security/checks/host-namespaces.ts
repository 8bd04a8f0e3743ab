/** hostNamespaces (baseline, 1.0): no hostNetwork, hostPID or hostIPC. */
import { fail, PASS, type CheckDefinition, type CheckOutcome } from "../check-types.js";
import type { PodView } from "../pod-view.js";

function evaluate(pod: PodView): CheckOutcome {
  const { spec } = pod;
  if (spec.hostNetwork !== true && spec.hostPID !== true && spec.hostIPC !== true) return PASS;
  const set: string[] = [];
  const paths: string[] = [];
  for (const field of ["hostNetwork", "hostPID", "hostIPC"] as const) {
    if (spec[field] === true) {
      set.push(`${field}=true`);
      paths.push(`${pod.pathPrefix}spec.${field}`);
    }
  }
  return fail("host namespaces", set.join(", "), paths, set);
}

export const hostNamespaces: CheckDefinition = {
  id: "hostNamespaces",
  level: "baseline",
  versions: [
    { minMinor: 0, evaluate, rule: "spec.hostNetwork, spec.hostPID and spec.hostIPC unset or false" },
  ],
};
