/**
 * seccompProfile_restricted (restricted, 1.19; 1.25): the pod sets RuntimeDefault or Localhost (or
 * every container does) and nothing sets another type. Replaces seccompProfile_baseline. From 1.25
 * Windows pods are exempt.
 */
import { fail, PASS, type CheckDefinition, type CheckOutcome } from "../check-types.js";
import type { PodView } from "../pod-view.js";
import { joinQuote, pluralize } from "../lib/text.js";
import { explicitFailure, explicitSeccomp } from "./seccomp-profile-baseline.js";
import { isWindowsPod } from "./allow-privilege-escalation.js";

function evaluate(pod: PodView): CheckOutcome {
  const e = explicitSeccomp(pod);
  if (e.badSetters.length > 0) return explicitFailure(e);
  if (e.podValid || e.unsetContainers.length === 0) return PASS;
  const names = e.unsetContainers.map((c) => c.name);
  return fail(
    "seccompProfile",
    `pod or ${pluralize("container", "containers", names.length)} ${joinQuote(names)} must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost"`,
    [
      `${pod.pathPrefix}spec.securityContext.seccompProfile.type`,
      ...e.unsetContainers.map((c) => `${c.path}.securityContext.seccompProfile.type`),
    ],
    names,
  );
}

export const seccompProfileRestricted: CheckDefinition = {
  id: "seccompProfile_restricted",
  level: "restricted",
  versions: [
    {
      minMinor: 19,
      evaluate,
      rule: "spec.securityContext.seccompProfile.type RuntimeDefault or Localhost, or set so on every container; no other type anywhere",
      overrides: ["seccompProfile_baseline"],
    },
    {
      minMinor: 25,
      evaluate: (pod) => (isWindowsPod(pod) ? PASS : evaluate(pod)),
      rule: "spec.securityContext.seccompProfile.type RuntimeDefault or Localhost, or set so on every container; no other type anywhere (Windows pods exempt)",
      overrides: ["seccompProfile_baseline"],
    },
  ],
};
