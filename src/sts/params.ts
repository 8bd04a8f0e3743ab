/**
 * STS request parameters shared by the AssumeRole* actions: the model's constraints (BC
 * `sts/2011-06-15/service-2.json`) checked as AWS's request validation words them
 * ("1 validation error detected: Value … at 'member' failed to satisfy constraint: …"), the role
 * ARN, and session policies. Pure.
 */
import { type AwsError, awsErrors, constraintError, type ConstraintProblem } from "./aws-error.js";
import type { PolicyPort } from "./policy-port.js";
import type { QueryParams } from "./query.js";
import { memberList } from "./query.js";
import type { IssuedCredentials } from "./session-credentials.js";
import type { XmlValue } from "./xml.js";
import { isoSeconds } from "./xml.js";

/** roleSessionNameType: 2..64, `[\w+=,.@-]*`. */
const SESSION_NAME = /^[\w+=,.@-]*$/;
/** sessionPolicyDocumentType: tab, LF, CR and U+0020..U+00FF. */
const POLICY_CHARS = /^[\t\n\r\u0020-\u00FF]+$/;
/** What AWS shows instead of a sensitive parameter's value in a validation message (our wording). */
export const REDACTED_VALUE = "*** Sensitive Data Redacted ***";

export const MIN_DURATION_SECONDS = 900;
export const MAX_DURATION_SECONDS = 43_200;
export const DEFAULT_DURATION_SECONDS = 3600;
/** Role chaining caps a session at one hour whatever the role allows. */
export const CHAINED_MAX_SECONDS = 3600;
export const MAX_SESSION_POLICY = 2048;
export const MAX_POLICY_ARNS = 10;

export function requiredProblem(member: string): ConstraintProblem {
  return { value: undefined, member, constraint: "Member must not be null" };
}

export function lengthProblems(
  value: string,
  member: string,
  min: number,
  max: number,
  shown: string = value,
): ConstraintProblem[] {
  if (value.length > max)
    return [{ value: shown, member, constraint: `Member must have length less than or equal to ${max}` }];
  if (value.length < min)
    return [{ value: shown, member, constraint: `Member must have length greater than or equal to ${min}` }];
  return [];
}

export function roleArnProblems(v: string | undefined): ConstraintProblem[] {
  return v === undefined ? [requiredProblem("roleArn")] : lengthProblems(v, "roleArn", 20, 2048);
}

export function sessionNameProblems(v: string | undefined): ConstraintProblem[] {
  if (v === undefined) return [requiredProblem("roleSessionName")];
  const p = lengthProblems(v, "roleSessionName", 2, 64);
  if (!SESSION_NAME.test(v))
    p.push({
      value: v,
      member: "roleSessionName",
      constraint: "Member must satisfy regular expression pattern: [\\w+=,.@-]*",
    });
  return p;
}

/** DurationSeconds: an integer from 900 to 43200 (the role's own maximum is checked later). */
export function durationParam(v: string | undefined): {
  problems: ConstraintProblem[];
  seconds: number | undefined;
} {
  if (v === undefined) return { problems: [], seconds: undefined };
  // Not a number at all: AWS's wording is unknown; ours follows the constraint form.
  if (!/^-?\d{1,12}$/.test(v))
    return {
      problems: [
        { value: v, member: "durationSeconds", constraint: "Member must be a whole number of seconds" },
      ],
      seconds: undefined,
    };
  const n = Number(v);
  if (n < MIN_DURATION_SECONDS)
    return {
      problems: [
        {
          value: v,
          member: "durationSeconds",
          constraint: `Member must have value greater than or equal to ${MIN_DURATION_SECONDS}`,
        },
      ],
      seconds: n,
    };
  if (n > MAX_DURATION_SECONDS)
    return {
      problems: [
        {
          value: v,
          member: "durationSeconds",
          constraint: `Member must have value less than or equal to ${MAX_DURATION_SECONDS}`,
        },
      ],
      seconds: n,
    };
  return { problems: [], seconds: n };
}

export interface ParsedRoleArn {
  partition: string;
  account: string;
  path: string;
  name: string;
}

/** arn:PARTITION:iam::ACCOUNT:role/[PATH/]NAME, or undefined. */
export function parseRoleArn(arn: string): ParsedRoleArn | undefined {
  const m = /^arn:(aws[a-z-]*):iam::(\d{12}):role(\/(?:[\u0021-\u007e]*\/)?)([\w+=,.@-]{1,64})$/.exec(arn);
  if (!m) return undefined;
  return { partition: m[1]!, account: m[2]!, path: m[3]!, name: m[4]! };
}

/** AWS's answer to a RoleArn that is not a role ARN (widely observed wording). */
export function invalidRoleArn(): AwsError {
  return awsErrors.validation("Request ARN is invalid");
}

export interface SessionPolicies {
  policy?: string;
  arns: string[];
  /** Percentage of the packed-policy allowance used (PackedPolicySize), when any policy was given. */
  packedSize?: number;
}

/**
 * Policy and PolicyArns.member.N.arn: lengths and characters first (validation errors), then the
 * document itself (MalformedPolicyDocument), then the packed size (PackedPolicyTooLarge).
 */
export function sessionPolicies(p: QueryParams, policy: PolicyPort): SessionPolicies | AwsError {
  const text = p.get("Policy");
  const arns = memberList(p, "PolicyArns", "arn");
  const problems: ConstraintProblem[] = [];
  if (text !== undefined) {
    const shown = text.length > 100 ? `${text.slice(0, 100)}…` : text;
    problems.push(...lengthProblems(text, "policy", 1, MAX_SESSION_POLICY, shown));
    if (text.length > 0 && !POLICY_CHARS.test(text))
      problems.push({
        value: shown,
        member: "policy",
        constraint: "Member must satisfy regular expression pattern: [\\u0009\\u000A\\u000D\\u0020-\\u00FF]+",
      });
  }
  if (arns.length > MAX_POLICY_ARNS)
    problems.push({
      value: `[${arns.length} ARNs]`,
      member: "policyArns",
      constraint: `Member must have length less than or equal to ${MAX_POLICY_ARNS}`,
    });
  arns.forEach((a, i) => problems.push(...lengthProblems(a, `policyArns.${i + 1}.member.arn`, 20, 2048)));
  if (problems.length > 0) return constraintError(problems);
  if (text !== undefined) {
    const bad = policy.validate(text, "identity");
    if (bad !== undefined) return awsErrors.malformedPolicy(bad);
  }
  const badArn = arns.find((a) => !/^arn:aws[a-z-]*:iam::(aws|\d{12}):policy\/./.test(a));
  if (badArn !== undefined) return awsErrors.validation(`${badArn} is invalid`);
  const out: SessionPolicies = { arns };
  if (text === undefined && arns.length === 0) return out;
  const packed = (text?.length ?? 0) + arns.reduce((n, a) => n + a.length, 0);
  const percent = Math.ceil((packed / MAX_SESSION_POLICY) * 100);
  if (percent > 100)
    return awsErrors.packedPolicyTooLarge(
      `Packed policy consumes ${percent}% of allotted space, please use smaller policy.`,
    );
  if (text !== undefined) out.policy = text;
  out.packedSize = percent;
  return out;
}

export function credentialsXml(c: IssuedCredentials): { [name: string]: XmlValue } {
  return {
    AccessKeyId: c.accessKeyId,
    SecretAccessKey: c.secretAccessKey,
    SessionToken: c.sessionToken,
    Expiration: isoSeconds(c.expiration),
  };
}
