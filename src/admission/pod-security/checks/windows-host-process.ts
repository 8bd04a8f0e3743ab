/** windowsHostProcess (baseline, 1.0): no Windows HostProcess pod or container. */
import { fail, PASS, type CheckDefinition, type CheckOutcome } from "../check-types.js";
import type { PodView } from "../pod-view.js";
import { joinQuote, pluralize } from "../lib/text.js";

function evaluate(pod: PodView): CheckOutcome {
  const setters: string[] = [];
  const paths: string[] = [];
  if (pod.spec.securityContext?.windowsOptions?.hostProcess === true) {
    setters.push("pod");
    paths.push(`${pod.pathPrefix}spec.securityContext.windowsOptions.hostProcess`);
  }
  const bad: string[] = [];
  for (const { container, name, path } of pod.containers) {
    if (container.securityContext?.windowsOptions?.hostProcess === true) {
      bad.push(name);
      paths.push(`${path}.securityContext.windowsOptions.hostProcess`);
    }
  }
  if (bad.length > 0) setters.push(`${pluralize("container", "containers", bad.length)} ${joinQuote(bad)}`);
  if (setters.length === 0) return PASS;
  return fail(
    "hostProcess",
    `${setters.join(" and ")} must not set securityContext.windowsOptions.hostProcess=true`,
    paths,
    setters,
  );
}

export const windowsHostProcess: CheckDefinition = {
  id: "windowsHostProcess",
  level: "baseline",
  versions: [
    {
      minMinor: 0,
      evaluate,
      rule: "securityContext.windowsOptions.hostProcess unset or false on the pod and every container",
    },
  ],
};
