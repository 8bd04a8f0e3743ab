/** IAM request parameters: required values, names, paths, policy documents, with IAM's validation wording. */
import { AwsError, awsErrors, constraintError } from "../../sts/aws-error.js";
import type { PolicyPort } from "../../sts/policy-port.js";
import type { QueryParams } from "../../sts/query.js";

const NAME = /^[\w+=,.@-]+$/;
const PATH = /^(\/|\/[\u0021-\u007E]+\/)$/;
/** IAM's policyDocumentType allows tab, LF, CR and U+0020..U+00FF (plus supplementary characters). */
const DOCUMENT_CHARS = /^[\t\n\r\u0020-\u00FF]+$/;
export const MAX_POLICY_DOCUMENT = 131_072;

/** Throws the AwsError, returns the value otherwise (handlers run inside a try). */
export function unwrap<T>(v: T | AwsError): T {
  if (v instanceof AwsError) throw v;
  return v;
}

export function required(p: QueryParams, name: string, member: string): string {
  const v = p.get(name);
  if (v === undefined || v === "")
    throw constraintError([{ value: undefined, member, constraint: "Member must not be null" }]);
  return v;
}

/** Role, user and policy names: `[\w+=,.@-]+`, 1..max. */
export function nameParam(p: QueryParams, name: string, member: string, max: number): string {
  const v = required(p, name, member);
  if (v.length > max)
    throw constraintError([
      { value: v, member, constraint: `Member must have length less than or equal to ${max}` },
    ]);
  if (!NAME.test(v))
    throw constraintError([
      { value: v, member, constraint: "Member must satisfy regular expression pattern: [\\w+=,.@-]+" },
    ]);
  return v;
}

export function optionalName(p: QueryParams, name: string, member: string, max: number): string | undefined {
  return p.get(name) === undefined ? undefined : nameParam(p, name, member, max);
}

export function pathParam(p: QueryParams, name = "Path", member = "path"): string {
  const v = p.get(name) ?? "/";
  if (v.length > 512)
    throw constraintError([
      { value: v, member, constraint: "Member must have length less than or equal to 512" },
    ]);
  if (!PATH.test(v))
    throw constraintError([
      {
        value: v,
        member,
        constraint:
          "Member must satisfy regular expression pattern: (\\u002F)|(\\u002F[\\u0021-\\u007E]+\\u002F)",
      },
    ]);
  return v;
}

export function policyDocParam(
  p: QueryParams,
  name: string,
  member: string,
  kind: "trust" | "identity",
  policy: PolicyPort,
): string {
  const v = required(p, name, member);
  const shown = v.length > 80 ? `${v.slice(0, 80)}…` : v;
  if (v.length > MAX_POLICY_DOCUMENT)
    throw constraintError([
      {
        value: shown,
        member,
        constraint: `Member must have length less than or equal to ${MAX_POLICY_DOCUMENT}`,
      },
    ]);
  if (!DOCUMENT_CHARS.test(v))
    throw constraintError([
      {
        value: shown,
        member,
        constraint: "Member must satisfy regular expression pattern: [\\u0009\\u000A\\u000D\\u0020-\\u00FF]+",
      },
    ]);
  const bad = policy.validate(v, kind);
  if (bad !== undefined) throw awsErrors.malformedPolicy(bad);
  return v;
}

export function descriptionParam(p: QueryParams): string | undefined {
  const d = p.get("Description");
  if (d !== undefined && d.length > 1000)
    throw constraintError([
      {
        value: `${d.slice(0, 50)}…`,
        member: "description",
        constraint: "Member must have length less than or equal to 1000",
      },
    ]);
  return d;
}

/** MaxSessionDuration: whole seconds, 3600..43200. */
export function maxSessionDurationParam(p: QueryParams): number | undefined {
  const raw = p.get("MaxSessionDuration");
  if (raw === undefined) return undefined;
  if (!/^\d{1,9}$/.test(raw))
    throw constraintError([
      { value: raw, member: "maxSessionDuration", constraint: "Member must be a whole number of seconds" },
    ]);
  const n = Number(raw);
  if (n < 3600)
    throw constraintError([
      {
        value: raw,
        member: "maxSessionDuration",
        constraint: "Member must have value greater than or equal to 3600",
      },
    ]);
  if (n > 43_200)
    throw constraintError([
      {
        value: raw,
        member: "maxSessionDuration",
        constraint: "Member must have value less than or equal to 43200",
      },
    ]);
  return n;
}
