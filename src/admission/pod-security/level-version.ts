/**
 * Pod Security levels and policy versions: parsing with the upstream grammar, ordering, clamping to
 * the newest version this engine knows, and the `level:version` text used in messages.
 */
import { KubeiamError } from "../../lib/errors.js";

export type PodSecurityLevel = "privileged" | "baseline" | "restricted";

/** Levels in increasing strictness (the order used in upstream error texts). */
export const POD_SECURITY_LEVELS: readonly PodSecurityLevel[] = ["privileged", "baseline", "restricted"];

/** The newest policy version whose checks this engine implements (Kubernetes 1.37). */
export const NEWEST_POLICY_MINOR = 37;

/** A parsed policy version: `latest`, or `v1.<minor>`. */
export type PolicyVersion =
  | { readonly latest: true }
  | {
      readonly latest: false;
      /** May be imprecise beyond 2^53; only compared with the newest known minor. */
      readonly minor: number;
      /** `v1.N` exactly as parsed (canonical: no leading zeros). */
      readonly text: string;
    };

export const LATEST: PolicyVersion = Object.freeze({ latest: true });

const VERSION_RE = /^v1\.(0|[1-9][0-9]*)$/;
const INT64_MAX = "9223372036854775807";

export function isPodSecurityLevel(value: unknown): value is PodSecurityLevel {
  return value === "privileged" || value === "baseline" || value === "restricted";
}

/** Why `value` is not a level, in upstream wording; undefined when it is one. */
export function levelProblem(value: string): string | undefined {
  return isPodSecurityLevel(value) ? undefined : `must be one of ${POD_SECURITY_LEVELS.join(", ")}`;
}

/**
 * Parses `latest` or `v1.N` (no leading zeros, N within Go's int range). Returns undefined when the
 * text does not follow that grammar.
 */
export function tryParseVersion(value: string): PolicyVersion | undefined {
  if (value === "latest") return LATEST;
  const m = VERSION_RE.exec(value);
  if (!m) return undefined;
  const digits = m[1]!;
  if (digits.length > INT64_MAX.length || (digits.length === INT64_MAX.length && digits > INT64_MAX))
    return undefined;
  return { latest: false, minor: Number(digits), text: value };
}

/** Why `value` is not a version, in upstream wording; undefined when it is one. */
export function versionProblem(value: string): string | undefined {
  return tryParseVersion(value) === undefined ? `must be "latest" or "v1.x"` : undefined;
}

/** Parses a level or throws PSA_POLICY_INVALID naming the bad value. */
export function parseLevel(value: unknown): PodSecurityLevel {
  if (isPodSecurityLevel(value)) return value;
  throw new KubeiamError(
    "PSA_POLICY_INVALID",
    `invalid Pod Security level ${JSON.stringify(value)}: must be one of ${POD_SECURITY_LEVELS.join(", ")}`,
    {
      level: typeof value === "string" ? value : String(value),
    },
  );
}

/** Parses a version or throws PSA_POLICY_INVALID naming the bad value. */
export function parseVersion(value: unknown): PolicyVersion {
  const v = typeof value === "string" ? tryParseVersion(value) : undefined;
  if (v !== undefined) return v;
  throw new KubeiamError(
    "PSA_POLICY_INVALID",
    `invalid Pod Security version ${JSON.stringify(value)}: must be "latest" or "v1.N" (N without leading zeros)`,
    {
      version: typeof value === "string" ? value : String(value),
    },
  );
}

/** `latest` or `v1.N`, as upstream prints a version. */
export function formatVersion(v: PolicyVersion): string {
  return v.latest ? "latest" : v.text;
}

/** `level:version`, as it appears inside the quotes of `violates PodSecurity "…"`. */
export function formatLevelVersion(level: PodSecurityLevel, v: PolicyVersion): string {
  return `${level}:${formatVersion(v)}`;
}

/** The minor version whose checks apply: `latest` and versions newer than `newestMinor` use `newestMinor`. */
export function effectiveMinor(v: PolicyVersion, newestMinor: number = NEWEST_POLICY_MINOR): number {
  return v.latest || v.minor > newestMinor ? newestMinor : v.minor;
}

/** Negative when `a` is less strict than `b`, 0 when equal, positive when stricter. */
export function compareLevels(a: PodSecurityLevel, b: PodSecurityLevel): number {
  return POD_SECURITY_LEVELS.indexOf(a) - POD_SECURITY_LEVELS.indexOf(b);
}
