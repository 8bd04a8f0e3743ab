/**
 * parseNamespacePolicy: the enforce / audit / warn policy a namespace's
 * `pod-security.kubernetes.io/*` labels ask for, with upstream's handling of bad values
 * (enforce fails closed, audit and warn fail open, a bad version means latest) and the field
 * errors a namespace create/update with such labels is rejected with.
 */
import {
  compareLevels,
  isPodSecurityLevel,
  levelProblem,
  versionProblem,
  type PodSecurityLevel,
} from "./level-version.js";
import { goQuote } from "./lib/text.js";

export const LABEL_PREFIX = "pod-security.kubernetes.io/";

export type PolicyMode = "enforce" | "audit" | "warn";

export interface LevelVersion {
  readonly level: PodSecurityLevel;
  /** `latest` or `v1.N`. */
  readonly version: string;
}

export interface NamespacePolicy {
  readonly enforce: LevelVersion;
  readonly audit: LevelVersion;
  readonly warn: LevelVersion;
}

/** One bad label, as a Kubernetes field error. */
export interface LabelError {
  /** `metadata.labels[pod-security.kubernetes.io/enforce]` */
  readonly field: string;
  readonly label: string;
  readonly value: string;
  /** e.g. `must be one of privileged, baseline, restricted` */
  readonly detail: string;
  /** `<field>: Invalid value: "<value>": <detail>` */
  readonly message: string;
}

export interface NamespacePolicyResult {
  readonly policy: NamespacePolicy;
  /** Empty when every pod-security label is valid. */
  readonly errors: readonly LabelError[];
}

const PRIVILEGED_LATEST: LevelVersion = Object.freeze({ level: "privileged", version: "latest" });

/** The policy of a namespace without labels when the admission configuration sets no defaults. */
export const DEFAULT_NAMESPACE_POLICY: NamespacePolicy = Object.freeze({
  enforce: PRIVILEGED_LATEST,
  audit: PRIVILEGED_LATEST,
  warn: PRIVILEGED_LATEST,
});

function labelError(label: string, value: string, detail: string): LabelError {
  const field = `metadata.labels[${label}]`;
  return { field, label, value, detail, message: `${field}: Invalid value: ${goQuote(value)}: ${detail}` };
}

/**
 * Resolves the labels of a namespace to its policy, falling back to `defaults` for absent labels.
 * Always returns a usable policy; `errors` lists the labels that were not valid.
 */
export function parseNamespacePolicy(
  labels: Readonly<Record<string, string>> | null | undefined,
  defaults: NamespacePolicy = DEFAULT_NAMESPACE_POLICY,
): NamespacePolicyResult {
  const errors: LabelError[] = [];
  const get = (key: string): string | undefined =>
    labels != null && Object.hasOwn(labels, key) ? labels[key] : undefined;

  const readLevel = (
    mode: PolicyMode,
    onError: PodSecurityLevel,
  ): { level: PodSecurityLevel; set: boolean; valid: boolean } => {
    const label = LABEL_PREFIX + mode;
    const value = get(label);
    if (value === undefined) return { level: defaults[mode].level, set: false, valid: false };
    if (isPodSecurityLevel(value)) return { level: value, set: true, valid: true };
    errors.push(labelError(label, value, levelProblem(value)!));
    return { level: onError, set: true, valid: false };
  };
  const readVersion = (mode: PolicyMode): { version: string; set: boolean } => {
    const label = `${LABEL_PREFIX}${mode}-version`;
    const value = get(label);
    if (value === undefined) return { version: defaults[mode].version, set: false };
    const problem = versionProblem(value);
    if (problem === undefined) return { version: value, set: true };
    errors.push(labelError(label, value, problem));
    return { version: "latest", set: true };
  };

  if (labels == null || Object.keys(labels).length === 0) return { policy: defaults, errors };

  // enforce fails closed (restricted), audit and warn fail open (privileged)
  const enforceLevel = readLevel("enforce", "restricted");
  const enforceVersion = readVersion("enforce");
  const auditLevel = readLevel("audit", "privileged");
  const auditVersion = readVersion("audit");
  const warnLevel = readLevel("warn", "privileged");
  const warnVersion = readVersion("warn");

  const enforce: LevelVersion = { level: enforceLevel.level, version: enforceVersion.version };
  const audit: LevelVersion = { level: auditLevel.level, version: auditVersion.version };
  let warn: LevelVersion = { level: warnLevel.level, version: warnVersion.version };

  // Without a warn label, a valid enforce label stricter than warn also sets warn (and its version,
  // unless warn-version is given).
  if (!warnLevel.set && enforceLevel.valid && compareLevels(enforce.level, warn.level) > 0) {
    warn = { level: enforce.level, version: warnVersion.set ? warn.version : enforce.version };
  }
  return { policy: { enforce, audit, warn }, errors };
}
