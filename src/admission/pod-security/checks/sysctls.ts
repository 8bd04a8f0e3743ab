/** sysctls (baseline, 1.0; 1.27; 1.29; 1.32; 1.37): only the safe sysctls of each version. */
import { fail, PASS, type CheckDefinition, type CheckOutcome } from "../check-types.js";
import type { PodView } from "../pod-view.js";

const SAFE_1_0 = [
  "kernel.shm_rmid_forced",
  "net.ipv4.ip_local_port_range",
  "net.ipv4.tcp_syncookies",
  "net.ipv4.ping_group_range",
  "net.ipv4.ip_unprivileged_port_start",
];
const SAFE_1_27 = [...SAFE_1_0, "net.ipv4.ip_local_reserved_ports"];
const SAFE_1_29 = [
  ...SAFE_1_27,
  "net.ipv4.tcp_keepalive_time",
  "net.ipv4.tcp_fin_timeout",
  "net.ipv4.tcp_keepalive_intvl",
  "net.ipv4.tcp_keepalive_probes",
];
const SAFE_1_32 = [...SAFE_1_29, "net.ipv4.tcp_rmem", "net.ipv4.tcp_wmem"];
const SAFE_1_37 = [...SAFE_1_32, "net.ipv4.tcp_slow_start_after_idle", "net.ipv4.tcp_notsent_lowat"];

function version(minMinor: number, safe: readonly string[]): CheckDefinition["versions"][number] {
  const allowed: ReadonlySet<string> = new Set(safe);
  const evaluate = (pod: PodView): CheckOutcome => {
    const sysctls = pod.spec.securityContext?.sysctls;
    if (sysctls == null) return PASS;
    const bad: string[] = [];
    const paths: string[] = [];
    for (let i = 0; i < sysctls.length; i++) {
      const name = sysctls[i]?.name ?? "";
      if (!allowed.has(name)) {
        bad.push(name);
        paths.push(`${pod.pathPrefix}spec.securityContext.sysctls[${i}].name`);
      }
    }
    if (bad.length === 0) return PASS;
    return fail("forbidden sysctls", bad.join(", "), paths, bad);
  };
  return { minMinor, evaluate, rule: `spec.securityContext.sysctls[*].name one of ${safe.join(", ")}` };
}

export const sysctls: CheckDefinition = {
  id: "sysctls",
  level: "baseline",
  versions: [
    version(0, SAFE_1_0),
    version(27, SAFE_1_27),
    version(29, SAFE_1_29),
    version(32, SAFE_1_32),
    version(37, SAFE_1_37),
  ],
};
