/** runAsUser (restricted, 1.23; 1.35): nothing sets runAsUser=0. From 1.35 user-namespaced pods are exempt. */
import { fail, PASS, type CheckDefinition, type CheckOutcome } from "../check-types.js";
import type { PodView } from "../pod-view.js";
import { joinQuote, pluralize } from "../lib/text.js";
import { inUserNamespace } from "./proc-mount.js";

function evaluate(pod: PodView): CheckOutcome {
  const setters: string[] = [];
  const paths: string[] = [];
  if (pod.spec.securityContext?.runAsUser === 0) {
    setters.push("pod");
    paths.push(`${pod.pathPrefix}spec.securityContext.runAsUser`);
  }
  const bad: string[] = [];
  for (const { container, name, path } of pod.containers) {
    if (container.securityContext?.runAsUser === 0) {
      bad.push(name);
      paths.push(`${path}.securityContext.runAsUser`);
    }
  }
  if (bad.length > 0) setters.push(`${pluralize("container", "containers", bad.length)} ${joinQuote(bad)}`);
  if (setters.length === 0) return PASS;
  return fail("runAsUser=0", `${setters.join(" and ")} must not set runAsUser=0`, paths, setters);
}

export const runAsUser: CheckDefinition = {
  id: "runAsUser",
  level: "restricted",
  versions: [
    { minMinor: 23, evaluate, rule: "runAsUser is not 0 on the pod or any container" },
    {
      minMinor: 35,
      evaluate: (pod) => (inUserNamespace(pod) ? PASS : evaluate(pod)),
      rule: "runAsUser is not 0 on the pod or any container (unless spec.hostUsers is false)",
    },
  ],
};
