/** hostPorts (baseline, 1.0): no container port sets a non-zero hostPort. */
import { fail, PASS, type CheckDefinition, type CheckOutcome } from "../check-types.js";
import type { PodView } from "../pod-view.js";
import { joinQuote, pluralize, sortedList } from "../lib/text.js";

function evaluate(pod: PodView): CheckOutcome {
  const badContainers: string[] = [];
  const ports = new Set<string>();
  const paths: string[] = [];
  for (const { container, name, path } of pod.containers) {
    const list = container.ports;
    if (list == null) continue;
    let valid = true;
    for (let i = 0; i < list.length; i++) {
      const hostPort = list[i]?.hostPort ?? 0;
      if (hostPort !== 0) {
        valid = false;
        ports.add(String(hostPort));
        paths.push(`${path}.ports[${i}].hostPort`);
      }
    }
    if (!valid) badContainers.push(name);
  }
  if (badContainers.length === 0) return PASS;
  // upstream lists the ports as a sorted set of strings ("10", "8080", "9")
  const portList = sortedList(ports);
  const n = badContainers.length;
  return fail(
    "hostPort",
    `${pluralize("container", "containers", n)} ${joinQuote(badContainers)} ${pluralize("uses", "use", n)} ${pluralize("hostPort", "hostPorts", portList.length)} ${portList.join(", ")}`,
    paths,
    portList,
  );
}

export const hostPorts: CheckDefinition = {
  id: "hostPorts",
  level: "baseline",
  versions: [{ minMinor: 0, evaluate, rule: "containers[*].ports[*].hostPort unset or 0" }],
};
