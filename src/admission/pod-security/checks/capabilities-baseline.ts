/** capabilities_baseline (baseline, 1.0): containers add only capabilities of the default set. */
import { fail, PASS, type CheckDefinition, type CheckOutcome } from "../check-types.js";
import type { PodView } from "../pod-view.js";
import { joinQuote, pluralize, sortedList } from "../lib/text.js";

const ALLOWED_1_0: ReadonlySet<string> = new Set([
  "AUDIT_WRITE",
  "CHOWN",
  "DAC_OVERRIDE",
  "FOWNER",
  "FSETID",
  "KILL",
  "MKNOD",
  "NET_BIND_SERVICE",
  "SETFCAP",
  "SETGID",
  "SETPCAP",
  "SETUID",
  "SYS_CHROOT",
]);

function evaluate(pod: PodView): CheckOutcome {
  const badContainers: string[] = [];
  const forbidden = new Set<string>();
  const paths: string[] = [];
  for (const { container, name, path } of pod.containers) {
    const add = container.securityContext?.capabilities?.add;
    if (add == null) continue;
    let valid = true;
    for (let i = 0; i < add.length; i++) {
      const cap = add[i] ?? "";
      if (!ALLOWED_1_0.has(cap)) {
        valid = false;
        forbidden.add(cap);
        paths.push(`${path}.securityContext.capabilities.add[${i}]`);
      }
    }
    if (!valid) badContainers.push(name);
  }
  if (badContainers.length === 0) return PASS;
  const caps = sortedList(forbidden);
  return fail(
    "non-default capabilities",
    `${pluralize("container", "containers", badContainers.length)} ${joinQuote(badContainers)} must not include ${joinQuote(caps)} in securityContext.capabilities.add`,
    paths,
    caps,
  );
}

export const capabilitiesBaseline: CheckDefinition = {
  id: "capabilities_baseline",
  level: "baseline",
  versions: [
    {
      minMinor: 0,
      evaluate,
      rule: `securityContext.capabilities.add only within ${[...ALLOWED_1_0].join(", ")}`,
    },
  ],
};
