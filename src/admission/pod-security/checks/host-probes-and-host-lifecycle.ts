/** hostProbesAndHostLifecycle (baseline, 1.34): probes and lifecycle handlers do not set a host. */
import { fail, PASS, type CheckDefinition, type CheckOutcome } from "../check-types.js";
import type { HandlerV, PodView } from "../pod-view.js";
import { joinQuote, pluralize, sortedList } from "../lib/text.js";

const PROBES = ["livenessProbe", "readinessProbe", "startupProbe"] as const;
const HOOKS = ["postStart", "preStop"] as const;

/** Adds the hosts a handler sets; true when it sets none. */
function checkHandler(
  handler: HandlerV | null | undefined,
  path: string,
  hosts: Set<string>,
  paths: string[],
): boolean {
  if (handler == null) return true;
  let valid = true;
  const httpHost = handler.httpGet?.host;
  if (httpHost != null && httpHost !== "") {
    valid = false;
    hosts.add(httpHost);
    paths.push(`${path}.httpGet.host`);
  }
  const tcpHost = handler.tcpSocket?.host;
  if (tcpHost != null && tcpHost !== "") {
    valid = false;
    hosts.add(tcpHost);
    paths.push(`${path}.tcpSocket.host`);
  }
  return valid;
}

function evaluate(pod: PodView): CheckOutcome {
  const badContainers = new Set<string>();
  const hosts = new Set<string>();
  const paths: string[] = [];
  for (const { container, name, path } of pod.containers) {
    let valid = true;
    for (const probe of PROBES) {
      if (!checkHandler(container[probe], `${path}.${probe}`, hosts, paths)) valid = false;
    }
    const lifecycle = container.lifecycle;
    if (lifecycle != null) {
      for (const hook of HOOKS) {
        if (!checkHandler(lifecycle[hook], `${path}.lifecycle.${hook}`, hosts, paths)) valid = false;
      }
    }
    if (!valid) badContainers.add(name);
  }
  if (badContainers.size === 0) return PASS;
  const names = sortedList(badContainers);
  const hostList = sortedList(hosts);
  return fail(
    "probe or lifecycle host",
    `${pluralize("container", "containers", names.length)} ${joinQuote(names)} ${pluralize("uses", "use", names.length)} ${pluralize("probe or lifecycle host", "probe or lifecycle hosts", hostList.length)} ${joinQuote(hostList)}`,
    paths,
    hostList,
  );
}

export const hostProbesAndHostLifecycle: CheckDefinition = {
  id: "hostProbesAndHostLifecycle",
  level: "baseline",
  versions: [
    {
      minMinor: 34,
      evaluate,
      rule: "probes and lifecycle handlers leave httpGet.host and tcpSocket.host unset or empty",
    },
  ],
};
