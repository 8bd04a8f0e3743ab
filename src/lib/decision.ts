/**
 * Decisions and their reasons: the shape every engine returns (ARCHITECTURE principle 2).
 * Wire responses keep upstream wording; reasons go to the decision log, --explain and the dashboard.
 */

export interface Reason {
  /** Short stable name of the check, e.g. "trust-policy.condition", "rbac.binding", "psa.privileged". */
  readonly check: string;
  /** Whether this check passed. */
  readonly ok: boolean;
  /** Human sentence; never contains a token or secret. */
  readonly message: string;
  /** Where the deciding data came from (statement id, binding name, field path, ...). */
  readonly source?: string;
  readonly expected?: unknown;
  readonly actual?: unknown;
}

export interface Decision {
  readonly allowed: boolean;
  readonly reasons: readonly Reason[];
}

export function allow(...reasons: Reason[]): Decision {
  return { allowed: true, reasons };
}

export function deny(...reasons: Reason[]): Decision {
  return { allowed: false, reasons };
}

/** Capabilities that record decisions in the decision log. */
export type DecisionKind = "authn" | "authz" | "sts" | "iam" | "admission" | "token" | "keys";

/** One entry of the decision log. */
export interface DecisionRecord {
  readonly time: string;
  readonly kind: DecisionKind;
  /** What was decided, e.g. "AssumeRoleWithWebIdentity", "TokenReview", "SubjectAccessReview". */
  readonly action: string;
  /** Who asked or who it is about (user name, role ARN, service account); never a credential. */
  readonly subject?: string;
  readonly allowed: boolean;
  readonly summary: string;
  readonly reasons: readonly Reason[];
}

/** Anything that can record a decision (the server's DecisionLog, or a no-op / array in tests). */
export interface DecisionSink {
  record(rec: Omit<DecisionRecord, "time">): void;
}
