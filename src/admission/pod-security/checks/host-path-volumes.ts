/** hostPathVolumes (baseline, 1.0): no hostPath volumes. */
import { fail, PASS, type CheckDefinition, type CheckOutcome } from "../check-types.js";
import type { PodView } from "../pod-view.js";
import { joinQuote, pluralize } from "../lib/text.js";

function evaluate(pod: PodView): CheckOutcome {
  const volumes = pod.spec.volumes;
  if (volumes == null) return PASS;
  const bad: string[] = [];
  const paths: string[] = [];
  for (let i = 0; i < volumes.length; i++) {
    const v = volumes[i];
    if (v?.hostPath != null) {
      bad.push(v.name ?? "");
      paths.push(`${pod.pathPrefix}spec.volumes[${i}].hostPath`);
    }
  }
  if (bad.length === 0) return PASS;
  return fail(
    "hostPath volumes",
    `${pluralize("volume", "volumes", bad.length)} ${joinQuote(bad)}`,
    paths,
    bad,
  );
}

export const hostPathVolumes: CheckDefinition = {
  id: "hostPathVolumes",
  level: "baseline",
  versions: [{ minMinor: 0, evaluate, rule: "no volume sets spec.volumes[*].hostPath" }],
};
