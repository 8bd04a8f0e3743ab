/**
 * Shapes shared by the Pod Security checks and the registry that orders them per level and version.
 */
import type { PodView } from "./pod-view.js";

export type BaselineCheckId =
  | "appArmorProfile"
  | "capabilities_baseline"
  | "hostNamespaces"
  | "hostPathVolumes"
  | "hostPorts"
  | "hostProbesAndHostLifecycle"
  | "privileged"
  | "procMount"
  | "seLinuxOptions"
  | "seccompProfile_baseline"
  | "sysctls"
  | "windowsHostProcess";

export type RestrictedCheckId =
  | "allowPrivilegeEscalation"
  | "capabilities_restricted"
  | "procMount_restricted"
  | "restrictedVolumes"
  | "runAsNonRoot"
  | "runAsUser"
  | "seccompProfile_restricted";

export type CheckId = BaselineCheckId | RestrictedCheckId;

/** A failed check: upstream's ForbiddenReason and ForbiddenDetail, plus where and what we found. */
export interface CheckFailure {
  readonly allowed: false;
  readonly reason: string;
  /** May be "" (then the aggregated message shows the reason alone). */
  readonly detail: string;
  /** Fields that caused the failure (or must be set to fix it), relative to the object evaluated. */
  readonly fieldPaths: readonly string[];
  /** The offending values, for the reason trail. */
  readonly actual?: unknown;
}

export type CheckOutcome = { readonly allowed: true } | CheckFailure;

export const PASS: CheckOutcome = Object.freeze({ allowed: true });

/** One version of a check, in effect from `minMinor` until a newer version of the same check. */
export interface CheckVersion {
  readonly minMinor: number;
  readonly evaluate: (pod: PodView) => CheckOutcome;
  /** What the check requires at this version, one sentence (the `expected` of a reason). */
  readonly rule: string;
  /** Baseline checks this restricted check replaces while this version is in effect. */
  readonly overrides?: readonly BaselineCheckId[];
}

export interface CheckDefinition {
  readonly id: CheckId;
  readonly level: "baseline" | "restricted";
  /** Ascending by minMinor. */
  readonly versions: readonly CheckVersion[];
}

export function fail(
  reason: string,
  detail: string,
  fieldPaths: readonly string[],
  actual?: unknown,
): CheckFailure {
  return actual === undefined
    ? { allowed: false, reason, detail, fieldPaths }
    : { allowed: false, reason, detail, fieldPaths, actual };
}
