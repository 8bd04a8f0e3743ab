/**
 * parsePolicy: parses and validates an IAM policy document (JSON text, or an already-decoded object
 * such as a YAML value) into a normalised Policy, or returns the MalformedPolicyDocument error IAM
 * would answer with. Accepts Version 2012-10-17 / 2008-10-17 (absent = 2008-10-17), Id, Statement
 * as an object or array, and per statement Sid, Effect, Principal | NotPrincipal, Action | NotAction,
 * Resource | NotResource, Condition. Unknown elements, duplicate JSON keys and wrong value types are
 * "Syntax errors in policy.".
 *
 * `kind` adds IAM's per-use rules:
 *  - "trust" (a role's AssumeRolePolicyDocument): Principal required, Resource prohibited, only sts:
 *    actions;
 *  - "identity" (user/role permission and session policies): Principal prohibited, Action and
 *    Resource required, Resource must be an ARN or "*";
 *  - "resource": Principal and Resource required.
 *  Without `kind` only the shared rules apply.
 * Principal values are checked the way IAM checks them, except that existence of the named role or
 * user is not (the caller can look the ARNs up).
 */
import { KubeiamError } from "../../lib/errors.js";
import { isAccountId, isKnownPartition, principalArnKind, tryParseArn } from "../arn.js";
import {
  LEGACY_PARSING,
  NEEDS_ACTIONS,
  NEEDS_RESOURCES,
  NO_PRINCIPAL_ALLOWED,
  SID_NOT_ALPHANUMERIC,
  SID_NOT_UNIQUE,
  SYNTAX_ERRORS,
  TRUST_ACTIONS_ONLY,
  VENDOR_PREFIX,
  invalidConditionType,
  invalidPrincipal,
  missingField,
  prohibitedField,
  quotaExceeded,
  resourceNotArn,
} from "./messages.js";
import { JsonNumber, JsonSyntaxError, fromPlain, parseStrictJson } from "./lib/strict-json.js";
import type { JsonObject, JsonValue } from "./lib/strict-json.js";
import { hasWildcard } from "./lib/wildcard.js";
import type {
  BaseOperator,
  ConditionClause,
  Effect,
  PatternElement,
  Policy,
  PolicyError,
  PolicyKind,
  PolicyVersion,
  PrincipalElement,
  PrincipalType,
  PrincipalValue,
  SetOperator,
  Statement,
} from "./types.js";

export interface ParsePolicyOptions {
  readonly kind?: PolicyKind | undefined;
  /** IAM size quota: significant characters (whitespace between tokens not counted). */
  readonly quota?: { readonly name: string; readonly limit: number } | undefined;
  /** Hard cap on the raw text before parsing. Default 131072 characters. */
  readonly maxTextLength?: number | undefined;
}

export type ParsePolicyResult =
  { readonly ok: true; readonly policy: Policy } | { readonly ok: false; readonly error: PolicyError };

/** Trust policy quota IAM applies by default (ACLSizePerRole), see irsa-sts.md §4. */
export const TRUST_POLICY_QUOTA = { name: "ACLSizePerRole", limit: 2048 } as const;

const DEFAULT_MAX_TEXT = 131_072;

const BASE_OPERATORS: ReadonlySet<string> = new Set<BaseOperator>([
  "StringEquals",
  "StringNotEquals",
  "StringEqualsIgnoreCase",
  "StringNotEqualsIgnoreCase",
  "StringLike",
  "StringNotLike",
  "NumericEquals",
  "NumericNotEquals",
  "NumericLessThan",
  "NumericLessThanEquals",
  "NumericGreaterThan",
  "NumericGreaterThanEquals",
  "DateEquals",
  "DateNotEquals",
  "DateLessThan",
  "DateLessThanEquals",
  "DateGreaterThan",
  "DateGreaterThanEquals",
  "Bool",
  "BinaryEquals",
  "IpAddress",
  "NotIpAddress",
  "ArnEquals",
  "ArnLike",
  "ArnNotEquals",
  "ArnNotLike",
  "Null",
]);

const TOP_LEVEL = new Set(["Version", "Id", "Statement"]);
const STATEMENT_KEYS = new Set([
  "Sid",
  "Effect",
  "Principal",
  "NotPrincipal",
  "Action",
  "NotAction",
  "Resource",
  "NotResource",
  "Condition",
]);
const PRINCIPAL_TYPES: ReadonlySet<string> = new Set<PrincipalType>([
  "AWS",
  "Federated",
  "Service",
  "CanonicalUser",
]);
/** Identity providers IAM knows by name rather than by provider ARN. */
const BUILTIN_FEDERATED = new Set([
  "cognito-identity.amazonaws.com",
  "accounts.google.com",
  "www.amazon.com",
  "graph.facebook.com",
]);
const SERVICE_PRINCIPAL = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$/;
const CANONICAL_USER = /^[0-9a-f]{64}$/;
const ACTION = /^[A-Za-z0-9_-]+:[A-Za-z0-9_*?-]+$/;
const SID = /^[0-9A-Za-z]*$/;

class Malformed extends Error {
  constructor(readonly policyError: PolicyError) {
    super(policyError.message);
  }
}

function malformed(message: string, path: string, detail: string): never {
  throw new Malformed({ awsCode: "MalformedPolicyDocument", message, path, detail });
}

function syntax(path: string, detail: string): never {
  malformed(SYNTAX_ERRORS, path, detail);
}

const isObject = (v: JsonValue | undefined): v is JsonObject =>
  v !== null && v !== undefined && typeof v === "object" && !Array.isArray(v) && !(v instanceof JsonNumber);

/** A string or a non-empty array of strings. */
function stringList(v: JsonValue, path: string, what: string): string[] {
  if (typeof v === "string") return [v];
  if (Array.isArray(v) && v.length > 0 && v.every((x) => typeof x === "string")) return v;
  return syntax(path, `${what} must be a string or a non-empty array of strings`);
}

function scalarText(v: JsonValue): string | undefined {
  if (typeof v === "string") return v;
  if (typeof v === "boolean") return v ? "true" : "false";
  if (v instanceof JsonNumber) return v.raw;
  return undefined;
}

export function parsePolicy(document: unknown, opts: ParsePolicyOptions = {}): ParsePolicyResult {
  try {
    return { ok: true, policy: parseOrThrowInternal(document, opts) };
  } catch (e) {
    if (e instanceof Malformed) return { ok: false, error: e.policyError };
    throw e;
  }
}

/** Like parsePolicy, but throws KubeiamError POLICY_MALFORMED (context: awsCode, path, detail). */
export function parsePolicyOrThrow(document: unknown, opts: ParsePolicyOptions = {}): Policy {
  const r = parsePolicy(document, opts);
  if (r.ok) return r.policy;
  throw new KubeiamError("POLICY_MALFORMED", r.error.message, {
    awsCode: r.error.awsCode,
    path: r.error.path,
    detail: r.error.detail,
  });
}

function parseOrThrowInternal(document: unknown, opts: ParsePolicyOptions): Policy {
  let root: JsonValue;
  let significantLength: number | undefined;
  if (typeof document === "string") {
    const max = opts.maxTextLength ?? DEFAULT_MAX_TEXT;
    if (document.length > max) syntax("", `the document is longer than ${max} characters`);
    try {
      const parsed = parseStrictJson(document);
      root = parsed.value;
      significantLength = parsed.significantLength;
    } catch (e) {
      if (e instanceof JsonSyntaxError) syntax("", `not valid JSON: ${e.message}`);
      throw e;
    }
    if (opts.quota && significantLength > opts.quota.limit) {
      throw new Malformed({
        awsCode: "LimitExceeded",
        message: quotaExceeded(opts.quota.name, opts.quota.limit),
        path: "",
        detail: `the document has ${significantLength} characters without whitespace; the limit is ${opts.quota.limit}`,
      });
    }
  } else {
    const converted = fromPlain(document);
    if (converted === undefined) syntax("", "the document is not JSON data");
    root = converted;
  }

  if (!isObject(root)) syntax("", "the document must be a JSON object");
  for (const k of Object.keys(root)) if (!TOP_LEVEL.has(k)) syntax(k, `unknown top-level element "${k}"`);

  let version: PolicyVersion = "2008-10-17";
  const versionGiven = root.Version !== undefined;
  if (versionGiven) {
    if (root.Version !== "2012-10-17" && root.Version !== "2008-10-17") {
      malformed(LEGACY_PARSING, "Version", `Version must be "2012-10-17" or "2008-10-17"`);
    }
    version = root.Version;
  }
  let id: string | undefined;
  if (root.Id !== undefined) {
    if (typeof root.Id !== "string") syntax("Id", "Id must be a string");
    id = root.Id;
  }

  const rawStatements = root.Statement;
  if (rawStatements === undefined) syntax("Statement", "the document has no Statement");
  const list: { value: JsonValue; path: string }[] = Array.isArray(rawStatements)
    ? rawStatements.map((value, i) => ({ value, path: `Statement[${i}]` }))
    : [{ value: rawStatements, path: "Statement" }];
  if (list.length === 0) syntax("Statement", "Statement is an empty array");

  const sids = new Set<string>();
  const statements = list.map(({ value, path }, index) => {
    const st = parseStatement(value, path, index, opts.kind);
    if (st.sid !== undefined && st.sid !== "") {
      if (sids.has(st.sid)) malformed(SID_NOT_UNIQUE, `${path}.Sid`, `Sid "${st.sid}" is used twice`);
      sids.add(st.sid);
    }
    return st;
  });
  return { version, versionGiven, id, statements, significantLength };
}

function parseStatement(v: JsonValue, path: string, index: number, kind: PolicyKind | undefined): Statement {
  if (!isObject(v)) syntax(path, "a statement must be a JSON object");
  for (const k of Object.keys(v))
    if (!STATEMENT_KEYS.has(k)) syntax(`${path}.${k}`, `unknown statement element "${k}"`);

  let sid: string | undefined;
  if (v.Sid !== undefined) {
    if (typeof v.Sid !== "string") syntax(`${path}.Sid`, "Sid must be a string");
    if (!SID.test(v.Sid))
      malformed(SID_NOT_ALPHANUMERIC, `${path}.Sid`, `Sid "${v.Sid}" has characters outside [0-9A-Za-z]`);
    sid = v.Sid;
  }

  if (v.Effect === undefined)
    malformed(missingField("Effect"), `${path}.Effect`, "the statement has no Effect");
  if (v.Effect !== "Allow" && v.Effect !== "Deny")
    syntax(`${path}.Effect`, `Effect must be "Allow" or "Deny" (case-sensitive)`);
  const effect: Effect = v.Effect;

  // Principal
  if (v.Principal !== undefined && v.NotPrincipal !== undefined) {
    syntax(path, "a statement cannot have both Principal and NotPrincipal");
  }
  const principalKey =
    v.Principal !== undefined ? "Principal" : v.NotPrincipal !== undefined ? "NotPrincipal" : undefined;
  if (principalKey === undefined && (kind === "trust" || kind === "resource")) {
    malformed(missingField("Principal"), `${path}.Principal`, `a ${kind} policy statement needs a Principal`);
  }
  if (principalKey !== undefined && kind === "identity") {
    malformed(NO_PRINCIPAL_ALLOWED, `${path}.${principalKey}`, "identity policies name no principal");
  }
  const principal =
    principalKey === undefined
      ? undefined
      : parsePrincipal(v[principalKey]!, `${path}.${principalKey}`, principalKey === "NotPrincipal");

  // Action
  if (v.Action !== undefined && v.NotAction !== undefined)
    syntax(path, "a statement cannot have both Action and NotAction");
  const actionKey = v.Action !== undefined ? "Action" : v.NotAction !== undefined ? "NotAction" : undefined;
  if (actionKey === undefined) {
    if (kind === "identity")
      malformed(NEEDS_ACTIONS, `${path}.Action`, "the statement has no Action or NotAction");
    malformed(missingField("Action"), `${path}.Action`, "the statement has no Action or NotAction");
  }
  const actions = stringList(v[actionKey]!, `${path}.${actionKey}`, actionKey);
  actions.forEach((a, i) => {
    const at = `${path}.${actionKey}${Array.isArray(v[actionKey]) ? `[${i}]` : ""}`;
    if (a === "*") return;
    if (!a.includes(":")) malformed(VENDOR_PREFIX, at, `action "${a}" has no service prefix`);
    if (!ACTION.test(a)) syntax(at, `action "${a}" is not service:action`);
    if (kind === "trust" && a.slice(0, a.indexOf(":")).toLowerCase() !== "sts") {
      malformed(TRUST_ACTIONS_ONLY, at, `trust policies allow only sts: actions, not "${a}"`);
    }
  });
  const action: PatternElement = { negated: actionKey === "NotAction", patterns: actions };

  // Resource
  if (v.Resource !== undefined && v.NotResource !== undefined)
    syntax(path, "a statement cannot have both Resource and NotResource");
  const resourceKey =
    v.Resource !== undefined ? "Resource" : v.NotResource !== undefined ? "NotResource" : undefined;
  if (resourceKey !== undefined && kind === "trust") {
    malformed(
      prohibitedField(resourceKey),
      `${path}.${resourceKey}`,
      "the trust policy is the role's own: it names no resource",
    );
  }
  if (resourceKey === undefined && (kind === "identity" || kind === "resource")) {
    malformed(NEEDS_RESOURCES, `${path}.Resource`, "the statement has no Resource or NotResource");
  }
  let resource: PatternElement | undefined;
  if (resourceKey !== undefined) {
    const patterns = stringList(v[resourceKey]!, `${path}.${resourceKey}`, resourceKey);
    patterns.forEach((r, i) => {
      const at = `${path}.${resourceKey}${Array.isArray(v[resourceKey]) ? `[${i}]` : ""}`;
      if (r === "*") return;
      if (kind === "identity" && !r.startsWith("arn:"))
        malformed(resourceNotArn(r), at, `resource "${r}" is not an ARN`);
      if (r.startsWith("arn:")) {
        const partition = r.split(":")[1] ?? "";
        if (!hasWildcard(partition) && !isKnownPartition(partition)) {
          malformed(
            `Partition "${partition}" is not valid for resource "${r}".`,
            at,
            `unknown partition "${partition}"`,
          );
        }
      }
    });
    resource = { negated: resourceKey === "NotResource", patterns };
  }

  const conditions = v.Condition === undefined ? [] : parseConditions(v.Condition, `${path}.Condition`);
  return { index, sid, effect, principal, action, resource, conditions };
}

function parsePrincipal(v: JsonValue, path: string, negated: boolean): PrincipalElement {
  if (v === "*") return { negated, anyone: true, values: [] };
  if (!isObject(v))
    syntax(path, `${negated ? "NotPrincipal" : "Principal"} must be "*" or an object of principal types`);
  const keys = Object.keys(v);
  if (keys.length === 0) syntax(path, "the principal object is empty");
  const values: PrincipalValue[] = [];
  for (const type of keys) {
    const raw = v[type]!;
    if (!PRINCIPAL_TYPES.has(type)) {
      malformed(
        invalidPrincipal(type, scalarText(raw) ?? JSON.stringify(raw)),
        `${path}.${type}`,
        `"${type}" is not a principal type (AWS, Federated, Service, CanonicalUser)`,
      );
    }
    const list = stringList(raw, `${path}.${type}`, `principal ${type}`);
    list.forEach((value, i) => {
      const at = `${path}.${type}${Array.isArray(raw) ? `[${i}]` : ""}`;
      values.push(checkPrincipalValue(type as PrincipalType, value, at));
    });
  }
  return { negated, anyone: false, values };
}

function checkPrincipalValue(type: PrincipalType, value: string, path: string): PrincipalValue {
  const bad = (why: string): never => malformed(invalidPrincipal(type, value), path, why);
  switch (type) {
    case "AWS": {
      if (value === "*") return { type, value };
      if (isAccountId(value)) return { type, value, account: value };
      if (hasWildcard(value)) bad('wildcards are allowed only as the whole value "*"');
      const kind = principalArnKind(value);
      if (kind === undefined) bad('not an account id, "*" or an IAM/STS principal ARN');
      if (kind === "oidc-provider" || kind === "saml-provider") bad("identity providers go under Federated");
      if (kind === "root") return { type, value, account: tryParseArn(value)!.account };
      return { type, value };
    }
    case "Federated": {
      if (BUILTIN_FEDERATED.has(value)) return { type, value };
      const kind = principalArnKind(value);
      if (kind !== "oidc-provider" && kind !== "saml-provider") {
        bad("not an oidc-provider or saml-provider ARN, nor a built-in identity provider name");
      }
      return { type, value };
    }
    case "Service":
      if (!SERVICE_PRINCIPAL.test(value)) bad("not a service principal such as ec2.amazonaws.com");
      return { type, value };
    case "CanonicalUser":
      if (!CANONICAL_USER.test(value)) bad("not a 64-hex-digit canonical user id");
      return { type, value };
  }
}

function parseOperator(op: string): { base: BaseOperator; set?: SetOperator; ifExists: boolean } | undefined {
  let rest = op;
  let set: SetOperator | undefined;
  if (rest.startsWith("ForAnyValue:")) {
    set = "ForAnyValue";
    rest = rest.slice("ForAnyValue:".length);
  } else if (rest.startsWith("ForAllValues:")) {
    set = "ForAllValues";
    rest = rest.slice("ForAllValues:".length);
  }
  let ifExists = false;
  if (rest.endsWith("IfExists")) {
    ifExists = true;
    rest = rest.slice(0, -"IfExists".length);
  }
  if (!BASE_OPERATORS.has(rest)) return undefined;
  if (rest === "Null" && (ifExists || set !== undefined)) return undefined;
  return set === undefined
    ? { base: rest as BaseOperator, ifExists }
    : { base: rest as BaseOperator, set, ifExists };
}

function parseConditions(v: JsonValue, path: string): ConditionClause[] {
  if (!isObject(v)) syntax(path, "Condition must be an object of operators");
  const out: ConditionClause[] = [];
  for (const [operator, block] of Object.entries(v)) {
    const op = parseOperator(operator);
    if (!op)
      malformed(
        invalidConditionType(operator),
        `${path}.${operator}`,
        `"${operator}" is not a condition operator`,
      );
    if (!isObject(block) || Object.keys(block).length === 0) {
      syntax(`${path}.${operator}`, "an operator needs an object of condition keys");
    }
    for (const [key, raw] of Object.entries(block)) {
      const at = `${path}.${operator}.${key}`;
      if (!key.includes(":")) malformed(VENDOR_PREFIX, at, `condition key "${key}" has no prefix`);
      const items = Array.isArray(raw) ? raw : [raw];
      if (items.length === 0) syntax(at, "a condition key needs at least one value");
      const values = items.map(
        (x) => scalarText(x) ?? syntax(at, "condition values must be strings, numbers or booleans"),
      );
      out.push({ operator, ...op, key, values });
    }
  }
  return out;
}
