/**
 * The check catalogue and the checks in effect for a level at a version: baseline checks sorted by
 * ID, then restricted checks sorted by ID, without the baseline checks a restricted check replaces.
 * That order is the order of violations in messages.
 */
import type { Reason } from "../../lib/decision.js";
import type { CheckDefinition, CheckId, CheckVersion } from "./check-types.js";
import type { PodSecurityLevel } from "./level-version.js";
import { NEWEST_POLICY_MINOR } from "./level-version.js";
import { goCompare } from "./lib/text.js";
import { appArmorProfile } from "./checks/app-armor-profile.js";
import { capabilitiesBaseline } from "./checks/capabilities-baseline.js";
import { hostNamespaces } from "./checks/host-namespaces.js";
import { hostPathVolumes } from "./checks/host-path-volumes.js";
import { hostPorts } from "./checks/host-ports.js";
import { hostProbesAndHostLifecycle } from "./checks/host-probes-and-host-lifecycle.js";
import { privileged } from "./checks/privileged.js";
import { procMount, procMountRestricted } from "./checks/proc-mount.js";
import { seLinuxOptions } from "./checks/se-linux-options.js";
import { seccompProfileBaseline } from "./checks/seccomp-profile-baseline.js";
import { sysctls } from "./checks/sysctls.js";
import { windowsHostProcess } from "./checks/windows-host-process.js";
import { allowPrivilegeEscalation } from "./checks/allow-privilege-escalation.js";
import { capabilitiesRestricted } from "./checks/capabilities-restricted.js";
import { restrictedVolumes } from "./checks/restricted-volumes.js";
import { runAsNonRoot } from "./checks/run-as-non-root.js";
import { runAsUser } from "./checks/run-as-user.js";
import { seccompProfileRestricted } from "./checks/seccomp-profile-restricted.js";

/** Every check, as of the newest known version. */
export const CHECK_CATALOGUE: readonly CheckDefinition[] = [
  appArmorProfile,
  capabilitiesBaseline,
  hostNamespaces,
  hostPathVolumes,
  hostPorts,
  hostProbesAndHostLifecycle,
  privileged,
  procMount,
  seLinuxOptions,
  seccompProfileBaseline,
  sysctls,
  windowsHostProcess,
  allowPrivilegeEscalation,
  capabilitiesRestricted,
  procMountRestricted,
  restrictedVolumes,
  runAsNonRoot,
  runAsUser,
  seccompProfileRestricted,
];

/** A check as it runs at one version. */
export interface ActiveCheck {
  readonly id: CheckId;
  readonly level: "baseline" | "restricted";
  /** The version of the check's logic in effect (`1.N` where it was introduced or last changed). */
  readonly sinceMinor: number;
  readonly version: CheckVersion;
  /** Where the rule comes from, e.g. `pod-security.kubernetes.io/restricted:v1.25`. */
  readonly source: string;
  /** The (shared, frozen) reason recorded when the check passes. */
  readonly okReason: Reason;
}

function activeCheck(def: CheckDefinition, version: CheckVersion): ActiveCheck {
  const source = `pod-security.kubernetes.io/${def.level}:v1.${version.minMinor}`;
  const okReason: Reason = Object.freeze({
    check: `psa.${def.id}`,
    ok: true,
    message: `${def.id} passed: ${version.rule}`,
    source,
    expected: version.rule,
  });
  return { id: def.id, level: def.level, sinceMinor: version.minMinor, version, source, okReason };
}

function versionAt(def: CheckDefinition, minor: number): CheckVersion | undefined {
  let found: CheckVersion | undefined;
  for (const v of def.versions) if (v.minMinor <= minor) found = v;
  return found;
}

function buildChecks(level: "baseline" | "restricted", minor: number): readonly ActiveCheck[] {
  const active = (l: "baseline" | "restricted"): ActiveCheck[] =>
    CHECK_CATALOGUE.filter((d) => d.level === l)
      .map((d) => {
        const version = versionAt(d, minor);
        return version && activeCheck(d, version);
      })
      .filter((c): c is ActiveCheck => c !== undefined)
      .sort((a, b) => goCompare(a.id, b.id));
  const baseline = active("baseline");
  if (level === "baseline") return baseline;
  const restricted = active("restricted");
  const overridden = new Set<string>(restricted.flatMap((c) => c.version.overrides ?? []));
  return [...baseline.filter((c) => !overridden.has(c.id)), ...restricted];
}

const cache = new Map<string, readonly ActiveCheck[]>();

/** The checks that run for `level` at minor version `minor` (0 … NEWEST_POLICY_MINOR), in message order. */
export function checksFor(level: PodSecurityLevel, minor: number): readonly ActiveCheck[] {
  if (level === "privileged") return [];
  if (!Number.isInteger(minor) || minor < 0 || minor > NEWEST_POLICY_MINOR) {
    throw new RangeError(`policy minor version ${minor} outside 0..${NEWEST_POLICY_MINOR}`);
  }
  const key = `${level}:${minor}`;
  let checks = cache.get(key);
  if (checks === undefined) {
    checks = Object.freeze(buildChecks(level, minor));
    cache.set(key, checks);
  }
  return checks;
}
