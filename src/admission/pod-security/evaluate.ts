/**
 * evaluatePodSecurity: the Pod Security Standards verdict for one pod (or pod template) at a level
 * and version, with upstream's violation texts and a reason per check. Pure: no I/O, no clock.
 */
import type { Reason } from "../../lib/decision.js";
import { KubeiamError } from "../../lib/errors.js";
import type { CheckId } from "./check-types.js";
import {
  effectiveMinor,
  formatLevelVersion,
  NEWEST_POLICY_MINOR,
  parseLevel,
  parseVersion,
  type PodSecurityLevel,
} from "./level-version.js";
import { violatesMessage } from "./messages.js";
import { readPodView } from "./pod-view.js";
import { checksFor } from "./registry.js";

/** Pod metadata as far as the checks read it (annotations); anything else is ignored. */
export interface PodMetaLike {
  readonly name?: string | undefined;
  readonly annotations?: Readonly<Record<string, string | null>> | null | undefined;
  readonly [field: string]: unknown;
}

export interface PodSecurityInput {
  readonly level: PodSecurityLevel;
  /** `latest` or `v1.N`; versions newer than the newest known one use the newest checks. */
  readonly version: string;
  readonly podMeta?: PodMetaLike | null | undefined;
  /** A core/v1 PodSpec as decoded JSON/YAML; checked for shape. */
  readonly podSpec: unknown;
  /** Prefix for the field paths in violations, e.g. "spec.template." for a Deployment. Default "". */
  readonly fieldPathPrefix?: string | undefined;
  /**
   * The newest policy version to know (default and maximum: the newest this engine implements). Set it
   * lower to reproduce an older evaluator, whose `latest` and newer versions clamp to this one.
   */
  readonly newestMinor?: number | undefined;
}

export interface PodSecurityViolation {
  readonly check: CheckId;
  /** Upstream ForbiddenReason, e.g. `allowPrivilegeEscalation != false`. */
  readonly reason: string;
  /** Upstream ForbiddenDetail, e.g. `container "app" must set securityContext.allowPrivilegeEscalation=false`. */
  readonly detail: string;
  readonly fieldPaths?: readonly string[];
}

export interface PodSecurityResult {
  readonly allowed: boolean;
  readonly level: PodSecurityLevel;
  /** The requested version as upstream prints it (`latest` or `v1.N`). */
  readonly version: string;
  /** `level:version`, as quoted in messages. */
  readonly levelVersion: string;
  /** The version whose checks ran, `v1.N` (a clamped request shows the newest known one). */
  readonly checksVersion: string;
  /** In message order: baseline checks by ID, then restricted checks by ID. */
  readonly violations: readonly PodSecurityViolation[];
  /** `violates PodSecurity "<level>:<version>": …` when not allowed. */
  readonly message?: string;
  /** One reason for the policy used, then one per check run (ok or not). */
  readonly reasons: readonly Reason[];
}

const REASON_SOURCE = "pod-security.kubernetes.io";

/**
 * Evaluates a pod spec against a Pod Security level and version.
 * Throws PSA_POLICY_INVALID for a bad level or version and POD_OBJECT_INVALID for a malformed spec.
 */
export function evaluatePodSecurity(input: PodSecurityInput): PodSecurityResult {
  const level = parseLevel(input.level);
  const requested = parseVersion(input.version);
  const newest = input.newestMinor ?? NEWEST_POLICY_MINOR;
  if (!Number.isInteger(newest) || newest < 0 || newest > NEWEST_POLICY_MINOR) {
    throw new KubeiamError(
      "PSA_POLICY_INVALID",
      `newest policy version must be an integer minor version between 0 and ${NEWEST_POLICY_MINOR}, found ${String(newest)}`,
    );
  }
  const pod = readPodView(input.podMeta, input.podSpec, input.fieldPathPrefix ?? "");
  const minor = effectiveMinor(requested, newest);
  const levelVersion = formatLevelVersion(level, requested);
  const version = levelVersion.slice(level.length + 1);
  const checksVersion = `v1.${minor}`;

  const policyReason: Reason = {
    check: "psa.policy",
    ok: true,
    message:
      level === "privileged"
        ? `level privileged: no Pod Security checks apply`
        : requested.latest || requested.minor !== minor
          ? `evaluated ${levelVersion} with the checks of ${checksVersion} (the newest known)`
          : `evaluated ${levelVersion}`,
    source: REASON_SOURCE,
    expected: levelVersion,
    actual: `${level}:${checksVersion}`,
  };
  const reasons: Reason[] = [policyReason];
  const violations: PodSecurityViolation[] = [];

  for (const check of checksFor(level, minor)) {
    const outcome = check.version.evaluate(pod);
    if (outcome.allowed) {
      reasons.push(check.okReason);
      continue;
    }
    violations.push({
      check: check.id,
      reason: outcome.reason,
      detail: outcome.detail,
      fieldPaths: outcome.fieldPaths,
    });
    const reason: Reason = {
      check: `psa.${check.id}`,
      ok: false,
      message: outcome.detail === "" ? outcome.reason : `${outcome.reason} (${outcome.detail})`,
      source: outcome.fieldPaths.length > 0 ? outcome.fieldPaths.join(", ") : check.source,
      expected: check.version.rule,
    };
    reasons.push(outcome.actual === undefined ? reason : { ...reason, actual: outcome.actual });
  }

  if (violations.length === 0)
    return { allowed: true, level, version, levelVersion, checksVersion, violations, reasons };
  return {
    allowed: false,
    level,
    version,
    levelVersion,
    checksVersion,
    violations,
    message: violatesMessage(levelVersion, violations),
    reasons,
  };
}
