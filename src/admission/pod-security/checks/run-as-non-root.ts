/**
 * runAsNonRoot (restricted, 1.0; 1.35): the pod sets runAsNonRoot=true (or every container does) and
 * nothing sets it to false. From 1.35 user-namespaced pods (`spec.hostUsers: false`) are exempt.
 */
import { fail, PASS, type CheckDefinition, type CheckOutcome } from "../check-types.js";
import type { PodView } from "../pod-view.js";
import { joinQuote, pluralize } from "../lib/text.js";
import { inUserNamespace } from "./proc-mount.js";

function evaluate(pod: PodView): CheckOutcome {
  const badSetters: string[] = [];
  const explicitPaths: string[] = [];
  let podNonRoot = false;
  const podValue = pod.spec.securityContext?.runAsNonRoot;
  if (podValue != null) {
    if (podValue) podNonRoot = true;
    else {
      badSetters.push("pod");
      explicitPaths.push(`${pod.pathPrefix}spec.securityContext.runAsNonRoot`);
    }
  }
  const explicitlyBad: string[] = [];
  const implicitlyBad: string[] = [];
  const implicitPaths: string[] = [];
  for (const { container, name, path } of pod.containers) {
    const value = container.securityContext?.runAsNonRoot;
    if (value != null) {
      if (!value) {
        explicitlyBad.push(name);
        explicitPaths.push(`${path}.securityContext.runAsNonRoot`);
      }
    } else if (!podNonRoot) {
      implicitlyBad.push(name);
      implicitPaths.push(`${path}.securityContext.runAsNonRoot`);
    }
  }
  if (explicitlyBad.length > 0)
    badSetters.push(
      `${pluralize("container", "containers", explicitlyBad.length)} ${joinQuote(explicitlyBad)}`,
    );
  if (badSetters.length > 0) {
    return fail(
      "runAsNonRoot != true",
      `${badSetters.join(" and ")} must not set securityContext.runAsNonRoot=false`,
      explicitPaths,
      badSetters,
    );
  }
  if (implicitlyBad.length > 0) {
    return fail(
      "runAsNonRoot != true",
      `pod or ${pluralize("container", "containers", implicitlyBad.length)} ${joinQuote(implicitlyBad)} must set securityContext.runAsNonRoot=true`,
      [`${pod.pathPrefix}spec.securityContext.runAsNonRoot`, ...implicitPaths],
      implicitlyBad,
    );
  }
  return PASS;
}

export const runAsNonRoot: CheckDefinition = {
  id: "runAsNonRoot",
  level: "restricted",
  versions: [
    {
      minMinor: 0,
      evaluate,
      rule: "spec.securityContext.runAsNonRoot=true or every container sets it; none sets false",
    },
    {
      minMinor: 35,
      evaluate: (pod) => (inUserNamespace(pod) ? PASS : evaluate(pod)),
      rule: "spec.securityContext.runAsNonRoot=true or every container sets it; none sets false (unless spec.hostUsers is false)",
    },
  ],
};
