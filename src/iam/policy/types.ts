/**
 * Parsed IAM policy documents (normalised: every list is an array, principal shorthands resolved)
 * and the evaluation context and result shapes. Plain data.
 */
import type { Decision, Reason } from "../../lib/decision.js";

export type PolicyVersion = "2012-10-17" | "2008-10-17";
export type Effect = "Allow" | "Deny";
export type PrincipalType = "AWS" | "Federated" | "Service" | "CanonicalUser";

export interface PrincipalValue {
  readonly type: PrincipalType;
  /** As written in the policy. */
  readonly value: string;
  /** For an AWS account id or account root ARN: the account it stands for (the whole account). */
  readonly account?: string | undefined;
}

export interface PrincipalElement {
  /** true for NotPrincipal. */
  readonly negated: boolean;
  /** `"Principal": "*"`: everyone, of every type. */
  readonly anyone: boolean;
  readonly values: readonly PrincipalValue[];
}

export interface PatternElement {
  /** true for NotAction / NotResource. */
  readonly negated: boolean;
  readonly patterns: readonly string[];
}

export type BaseOperator =
  | "StringEquals"
  | "StringNotEquals"
  | "StringEqualsIgnoreCase"
  | "StringNotEqualsIgnoreCase"
  | "StringLike"
  | "StringNotLike"
  | "NumericEquals"
  | "NumericNotEquals"
  | "NumericLessThan"
  | "NumericLessThanEquals"
  | "NumericGreaterThan"
  | "NumericGreaterThanEquals"
  | "DateEquals"
  | "DateNotEquals"
  | "DateLessThan"
  | "DateLessThanEquals"
  | "DateGreaterThan"
  | "DateGreaterThanEquals"
  | "Bool"
  | "BinaryEquals"
  | "IpAddress"
  | "NotIpAddress"
  | "ArnEquals"
  | "ArnLike"
  | "ArnNotEquals"
  | "ArnNotLike"
  | "Null";

export type SetOperator = "ForAnyValue" | "ForAllValues";

/** One key under one operator: `"Operator": { "key": [values] }`. */
export interface ConditionClause {
  /** Operator as written, e.g. "ForAnyValue:StringLikeIfExists". */
  readonly operator: string;
  readonly base: BaseOperator;
  readonly set?: SetOperator | undefined;
  readonly ifExists: boolean;
  /** Key as written (matched without case). */
  readonly key: string;
  /** Values as strings (numbers and booleans keep their JSON text). */
  readonly values: readonly string[];
}

export interface Statement {
  /** Position in the Statement array (0 when Statement is a single object). */
  readonly index: number;
  readonly sid?: string | undefined;
  readonly effect: Effect;
  readonly principal?: PrincipalElement | undefined;
  readonly action?: PatternElement | undefined;
  readonly resource?: PatternElement | undefined;
  readonly conditions: readonly ConditionClause[];
}

export interface Policy {
  readonly version: PolicyVersion;
  /** False when the document had no Version element (IAM then uses 2008-10-17). */
  readonly versionGiven: boolean;
  readonly id?: string | undefined;
  readonly statements: readonly Statement[];
  /** Characters outside whitespace between tokens (what IAM size quotas count); undefined for non-text input. */
  readonly significantLength?: number | undefined;
}

/** What a policy is for; it decides which elements are required or prohibited. */
export type PolicyKind = "trust" | "identity" | "resource";

export interface PolicyError {
  /** AWS error code the IAM/STS edge answers with. */
  readonly awsCode: "MalformedPolicyDocument" | "LimitExceeded";
  /** Message as IAM words it. */
  readonly message: string;
  /** Where in the document, e.g. "Statement[0].Principal.AWS[1]" ("" for the whole document). */
  readonly path: string;
  /** Our explanation for logs and CLI output. */
  readonly detail: string;
}

// ---- evaluation -------------------------------------------------------------------------------

export type ContextScalar = string | boolean | number;
export type ContextValue = ContextScalar | readonly ContextScalar[];

export interface RequestPrincipal {
  readonly type: PrincipalType;
  /**
   * Every identifier the principal is known by, e.g. for a role session:
   * [session ARN, role ARN]; for web identity: [the OIDC provider ARN].
   */
  readonly ids: readonly string[];
  /** Account of the principal; derived from the first ARN in `ids` when absent. */
  readonly account?: string | undefined;
}

export interface EvaluationContext {
  readonly principal?: RequestPrincipal | undefined;
  /** e.g. "sts:AssumeRoleWithWebIdentity" */
  readonly action: string;
  /** Resource ARN; statements without Resource/NotResource do not need it. */
  readonly resource?: string | undefined;
  /** Condition keys (matched without case) and their values. */
  readonly context?: ReadonlyMap<string, ContextValue> | Readonly<Record<string, ContextValue>> | undefined;
}

export type PolicyDecision = "Allow" | "ExplicitDeny" | "ImplicitDeny";

export interface StatementRef {
  readonly index: number;
  readonly sid?: string | undefined;
}

export interface PolicyReason extends Reason {
  readonly statement?: StatementRef | undefined;
  /** Condition operator as written, for condition checks. */
  readonly operator?: string | undefined;
  /** Condition key as written, for condition checks. */
  readonly key?: string | undefined;
}

export interface StatementOutcome extends StatementRef {
  readonly effect: Effect;
  /** Whether the statement applies to the request (principal, action, resource and all conditions). */
  readonly matched: boolean;
  /** Each check in order: principal, action, resource, then every condition clause. */
  readonly checks: readonly PolicyReason[];
}

export interface PolicyEvaluation extends Decision {
  readonly decision: PolicyDecision;
  /** The deciding statements (and their checks), or for ImplicitDeny why each Allow failed. */
  readonly reasons: readonly PolicyReason[];
  readonly statements: readonly StatementOutcome[];
}
