/**
 * Parses the data of the kube-system/aws-auth ConfigMap into role, user and account mappings the
 * way aws-iam-authenticator's EKSConfigMap backend does, quirks included:
 *  - only the exact keys mapRoles, mapUsers, mapAccounts are read (maproles is ignored);
 *  - mapRoles/mapUsers are YAML → JSON → Go structs, so field names match without case
 *    (rOlEaRn, roleARN), YAML 1.1 scalars resolve (username: yes is a boolean, which Go then
 *    refuses for a string field and leaves empty), and a wrong-typed field is dropped while the
 *    rest of the entry is kept;
 *  - a YAML syntax error drops every entry of that key; invalid entries are dropped one by one;
 *  - mapAccounts keeps the literal text of unquoted numbers;
 *  - values that are empty or only "" '' `` are skipped.
 * Every drop, plus mistakes upstream accepts silently (a role path that STS drops, an assumed-role
 * ARN, a case-variant key), is reported as a problem with where it is and what it does.
 */
import type { KubeObject } from "../../store/types.js";
import { canonicalizeArn, parseArn } from "../iam-token/arn.js";
import { foldRune } from "../iam-token/lib/go-strings.js";
import { GoYamlError, yamlToGoValue, yamlToStringList, type GoNode } from "./lib/go-yaml.js";
import { editDistance } from "./lib/edit-distance.js";
import { unknownPlaceholders } from "./render-template.js";

export const AWS_AUTH_KEYS = ["mapRoles", "mapUsers", "mapAccounts"] as const;
export type AwsAuthKey = (typeof AWS_AUTH_KEYS)[number];
/** ConfigMaps are limited to 1 MiB by the API server; larger values are refused here too. */
export const MAX_AWS_AUTH_VALUE_BYTES = 1024 * 1024;

export interface SsoMatcher {
  permissionSetName: string;
  accountID: string;
  partition: string;
}

interface MappingBase {
  username: string;
  groups: string[];
  userid: string;
  /** "mapRoles[2]": where the entry is (index in the YAML list, dropped entries included). */
  source: string;
  /** 1-based line within the key's YAML text. */
  line: number;
}

export interface RoleMapping extends MappingBase {
  rolearn: string;
  sso?: SsoMatcher;
}

export interface UserMapping extends MappingBase {
  userarn: string;
}

export interface AccountMapping {
  account: string;
  source: string;
  line: number;
}

export type AwsAuthProblemEffect =
  /** A top-level key that is not read (wrong case, typo). */
  | "key-ignored"
  /** The whole key is unusable (YAML error, not a string, not a list). */
  | "key-dropped"
  /** One entry failed validation and is not used. */
  | "entry-dropped"
  /** A field had the wrong type; the entry is kept without it. */
  | "field-ignored"
  /** A later entry with the same key replaces this one. */
  | "entry-shadowed"
  /** The entry is kept but cannot match any caller. */
  | "never-matches"
  | "warning";

export interface AwsAuthProblem {
  key: string;
  /** "mapRoles", "mapRoles[2]", "mapRoles[2].groups". */
  source: string;
  line?: number;
  effect: AwsAuthProblemEffect;
  message: string;
}

export interface AwsAuthMappings {
  roles: RoleMapping[];
  users: UserMapping[];
  accounts: AccountMapping[];
  problems: AwsAuthProblem[];
}

const SKIPPABLE = new Set(["", "``", '""', "''"]);

/** Parses ConfigMap `data` (values should be strings) the way the EKSConfigMap backend does. */
export function parseAwsAuth(data: Readonly<Record<string, unknown>> | undefined): AwsAuthMappings {
  const out: AwsAuthMappings = { roles: [], users: [], accounts: [], problems: [] };
  if (!data) return out;

  for (const key of Object.keys(data)) {
    if ((AWS_AUTH_KEYS as readonly string[]).includes(key)) continue;
    const lower = key.toLowerCase();
    const target =
      AWS_AUTH_KEYS.find((k) => k.toLowerCase() === lower) ??
      AWS_AUTH_KEYS.find((k) => editDistance(k.toLowerCase(), lower) <= 2);
    if (target) {
      out.problems.push({
        key,
        source: key,
        effect: "key-ignored",
        message:
          target.toLowerCase() === lower
            ? `data.${key} is ignored: keys are case-sensitive; rename it to ${target}`
            : `data.${key} is ignored: did you mean ${target}?`,
      });
    }
  }

  for (const key of AWS_AUTH_KEYS) {
    if (!(key in data)) continue;
    const value = data[key];
    if (typeof value !== "string") {
      out.problems.push({
        key,
        source: key,
        effect: "key-dropped",
        message: `data.${key} must be a string holding YAML (write "${key}: |" and indent the list under it); found ${describe(value)}`,
      });
      continue;
    }
    if (SKIPPABLE.has(value.trim())) continue;
    if (Buffer.byteLength(value, "utf8") > MAX_AWS_AUTH_VALUE_BYTES) {
      out.problems.push({
        key,
        source: key,
        effect: "key-dropped",
        message: `data.${key} is larger than ${MAX_AWS_AUTH_VALUE_BYTES} bytes`,
      });
      continue;
    }
    if (key === "mapAccounts") parseAccounts(value, out);
    else parseMappings(key, value, out);
  }
  addDuplicateProblems(out);
  return out;
}

/** parseAwsAuth for a ConfigMap object. */
export function parseAwsAuthConfigMap(cm: KubeObject): AwsAuthMappings {
  const data = cm.data;
  return parseAwsAuth(
    data !== null && typeof data === "object" && !Array.isArray(data)
      ? (data as Record<string, unknown>)
      : undefined,
  );
}

function describe(v: unknown): string {
  if (v === null || v === undefined) return "nothing";
  if (Array.isArray(v)) return "a list";
  if (typeof v === "object") return "a mapping";
  return `a ${typeof v}`;
}

const goKind = (n: GoNode): string =>
  n.t === "null"
    ? "null"
    : n.t === "seq"
      ? "array"
      : n.t === "object"
        ? "object"
        : n.t === "bool"
          ? "bool"
          : n.t;

function parseAccounts(value: string, out: AwsAuthMappings): void {
  let list: ReturnType<typeof yamlToStringList>;
  try {
    list = yamlToStringList(value);
  } catch (e) {
    if (!(e instanceof GoYamlError)) throw e;
    out.problems.push({
      key: "mapAccounts",
      source: "mapAccounts",
      effect: "key-dropped",
      message: e.message,
      ...(e.line ? { line: e.line } : {}),
    });
    return;
  }
  for (const err of list.errors) {
    out.problems.push({
      key: "mapAccounts",
      source: err.index === undefined ? "mapAccounts" : `mapAccounts[${err.index}]`,
      line: err.line,
      effect: err.index === undefined ? "key-dropped" : "entry-dropped",
      message: `yaml: unmarshal errors: line ${err.line}: ${err.message}`,
    });
  }
  for (const v of list.values) {
    const source = `mapAccounts[${v.index}]`;
    out.accounts.push({ account: v.value, source, line: v.line });
    if (!/^[0-9]{12}$/.test(v.value)) {
      out.problems.push({
        key: "mapAccounts",
        source,
        line: v.line,
        effect: "never-matches",
        message: `"${v.value}" is not a 12-digit account ID; it is compared as text, so it matches no caller${/^[0-9]{1,11}$/.test(v.value) ? " (leading zeros missing?)" : ""}`,
      });
    }
  }
}

// ---------------------------------------------------------------------------------------------
// encoding/json into []config.RoleMapping / []config.UserMapping

type FieldType = "string" | "[]string" | "sso";

const ROLE_FIELDS: Readonly<Record<string, FieldType>> = {
  rolearn: "string",
  sso: "sso",
  username: "string",
  groups: "[]string",
  userid: "string",
};
const USER_FIELDS: Readonly<Record<string, FieldType>> = {
  userarn: "string",
  username: "string",
  groups: "[]string",
  userid: "string",
};
const SSO_FIELDS = ["permissionSetName", "accountID", "partition"] as const;

/** Go's foldName (code points, not graphemes, are what it folds). */
const foldName = (s: string): string =>
  Array.from(s, (c) => String.fromCodePoint(foldRune(c.codePointAt(0)!))).join("");

/** encoding/json field lookup: exact tag first, else a case-folded match. */
function fieldFor(key: string, fields: readonly string[]): string | undefined {
  if (fields.includes(key)) return key;
  const f = foldName(key);
  return fields.find((name) => foldName(name) === f);
}

/** Object keys in the order Go's json.Marshal wrote them (sorted bytewise). */
const sortedEntries = (m: Map<string, GoNode>): [string, GoNode][] =>
  [...m.entries()].sort(([a], [b]) => Buffer.compare(Buffer.from(a, "utf8"), Buffer.from(b, "utf8")));

interface DecodedEntry {
  fields: Record<string, string | string[] | SsoMatcher | undefined>;
  problems: { field: string; message: string }[];
}

function decodeStruct(
  node: GoNode,
  fields: Readonly<Record<string, FieldType>>,
  structName: string,
): DecodedEntry {
  const entry: DecodedEntry = { fields: {}, problems: [] };
  if (node.t === "null") return entry;
  if (node.t !== "object") {
    entry.problems.push({
      field: "",
      message: `json: cannot unmarshal ${goKind(node)} into Go value of type config.${structName}`,
    });
    return entry;
  }
  const names = Object.keys(fields);
  for (const [key, value] of sortedEntries(node.entries)) {
    const name = fieldFor(key, names);
    if (!name) continue;
    const type = fields[name]!;
    const typeError = (got: GoNode, path: string, goType: string): void => {
      entry.problems.push({
        field: path,
        message: `json: cannot unmarshal ${goKind(got)} into Go struct field ${structName}.${path} of type ${goType}`,
      });
    };
    if (type === "string") {
      if (value.t === "string") entry.fields[name] = value.v;
      else if (value.t !== "null") typeError(value, name, "string");
    } else if (type === "[]string") {
      if (value.t === "null") entry.fields[name] = [];
      else if (value.t !== "seq") typeError(value, name, "[]string");
      else {
        entry.fields[name] = value.items.map((item) => {
          if (item.t === "string") return item.v;
          if (item.t !== "null") typeError(item, name, "string");
          return "";
        });
      }
    } else {
      if (value.t === "null") entry.fields[name] = undefined;
      else if (value.t !== "object") typeError(value, name, "config.SSOARNMatcher");
      else {
        const prev = entry.fields[name];
        const sso: SsoMatcher =
          typeof prev === "object" && !Array.isArray(prev)
            ? prev
            : { permissionSetName: "", accountID: "", partition: "" };
        for (const [k, v] of sortedEntries(value.entries)) {
          const f = fieldFor(k, SSO_FIELDS) as (typeof SSO_FIELDS)[number] | undefined;
          if (!f) continue;
          if (v.t === "string") sso[f] = v.v;
          else if (v.t !== "null") typeError(v, `${name}.${f}`, "string");
        }
        entry.fields[name] = sso;
      }
    }
  }
  return entry;
}

const str = (v: unknown): string => (typeof v === "string" ? v : "");
const strs = (v: unknown): string[] => (Array.isArray(v) ? (v as string[]) : []);

function parseMappings(key: "mapRoles" | "mapUsers", value: string, out: AwsAuthMappings): void {
  const structName = key === "mapRoles" ? "RoleMapping" : "UserMapping";
  let top: GoNode;
  try {
    top = yamlToGoValue(value);
  } catch (e) {
    if (!(e instanceof GoYamlError)) throw e;
    out.problems.push({
      key,
      source: key,
      effect: "key-dropped",
      message: `error converting YAML to JSON: ${e.message}`,
      ...(e.line ? { line: e.line } : {}),
    });
    return;
  }
  if (top.t === "null") return;
  if (top.t !== "seq") {
    out.problems.push({
      key,
      source: key,
      line: top.line,
      effect: "key-dropped",
      message: `json: cannot unmarshal ${goKind(top)} into Go value of type []config.${structName}`,
    });
    return;
  }
  top.items.forEach((item, i) => {
    const source = `${key}[${i}]`;
    const decoded = decodeStruct(item, key === "mapRoles" ? ROLE_FIELDS : USER_FIELDS, structName);
    for (const p of decoded.problems) {
      out.problems.push({
        key,
        source: p.field ? `${source}.${p.field}` : source,
        line: item.line,
        effect: "field-ignored",
        message: p.message,
      });
    }
    const f = decoded.fields;
    const base = {
      username: str(f.username),
      groups: strs(f.groups),
      userid: str(f.userid),
      source,
      line: item.line,
    };
    if (key === "mapRoles") {
      const sso = f.sso as SsoMatcher | undefined;
      const role: RoleMapping = { rolearn: str(f.rolearn), ...base, ...(sso ? { sso } : {}) };
      const invalid = validateRole(role);
      if (invalid)
        out.problems.push({ key, source, line: item.line, effect: "entry-dropped", message: invalid });
      else {
        out.roles.push(role);
        lintMapping(key, role.rolearn, role, out);
      }
    } else {
      const user: UserMapping = { userarn: str(f.userarn), ...base };
      if (user.userarn === "")
        out.problems.push({
          key,
          source,
          line: item.line,
          effect: "entry-dropped",
          message: "value for userarn must be supplied",
        });
      else {
        out.users.push(user);
        lintMapping(key, user.userarn, user, out);
      }
    }
  });
}

/** RoleMapping.Validate. */
function validateRole(m: RoleMapping): string | undefined {
  if (m.rolearn === "" && !m.sso) return "one of rolearn or SSO must be supplied";
  if (m.rolearn !== "" && m.sso) return "only one of rolearn or SSO can be supplied";
  if (m.sso) {
    if (!/^[0-9]{12}$/.test(m.sso.accountID))
      return `AccountID '${m.sso.accountID}' is not a valid AWS Account ID`;
    if (!/^[\w+=,.@-]{1,32}$/.test(m.sso.permissionSetName))
      return `PermissionSetName '${m.sso.permissionSetName}' is not a valid AWS SSO PermissionSet Name`;
  }
  return undefined;
}

/** Mistakes upstream accepts silently; the entry is kept and the problem says what happens. */
function lintMapping(key: string, arn: string, m: MappingBase, out: AwsAuthMappings): void {
  const at = { key, source: m.source, line: m.line };
  if (arn !== "") {
    if (arn !== arn.trim()) {
      out.problems.push({
        ...at,
        effect: "never-matches",
        message: `the ARN has leading or trailing spaces, so it matches no caller: "${arn}"`,
      });
    }
    const parsed = parseArn(arn.trim());
    if (!parsed.ok) {
      out.problems.push({
        ...at,
        effect: "never-matches",
        message: `"${arn}" is not an ARN (${parsed.error}); it matches no caller`,
      });
    } else {
      const parts = parsed.arn.resource.split("/");
      if (parsed.arn.service === "sts" && parts[0] === "assumed-role") {
        const c = canonicalizeArn(arn.trim());
        out.problems.push({
          ...at,
          effect: "never-matches",
          message: `"${arn}" is an STS session ARN; callers are matched by their role ARN${c.ok ? `, ${c.canonicalArn}` : ""}`,
        });
      } else if (parsed.arn.service === "iam" && parts[0] === "role" && parts.length > 2) {
        out.problems.push({
          ...at,
          effect: "never-matches",
          message: `"${arn}" has a role path (/${parts.slice(1, -1).join("/")}/), which STS drops from assumed-role ARNs, so it matches no caller; use arn:${parsed.arn.partition}:iam::${parsed.arn.accountId}:role/${parts[parts.length - 1]!}`,
        });
      }
    }
  }
  if (m.username === "") out.problems.push({ ...at, effect: "warning", message: "username is empty" });
  for (const t of [m.username, ...m.groups]) {
    for (const p of unknownPlaceholders(t)) {
      out.problems.push({
        ...at,
        effect: "warning",
        message: `${p} is not a template variable and stays as written in "${t}"`,
      });
    }
  }
}

function addDuplicateProblems(out: AwsAuthMappings): void {
  const check = (entries: { key: string; source: string; line: number }[], key: string): void => {
    const last = new Map<string, string>();
    for (const e of entries) last.set(e.key, e.source);
    for (const e of entries) {
      const winner = last.get(e.key)!;
      if (winner !== e.source) {
        out.problems.push({
          key,
          source: e.source,
          line: e.line,
          effect: "entry-shadowed",
          message: `${winner} has the same ${key === "mapRoles" ? "rolearn" : "userarn"} (ignoring case) and replaces this entry`,
        });
      }
    }
  };
  check(
    out.roles
      .filter((r) => r.rolearn !== "")
      .map((r) => ({ key: r.rolearn.toLowerCase(), source: r.source, line: r.line })),
    "mapRoles",
  );
  check(
    out.users.map((u) => ({ key: u.userarn.toLowerCase(), source: u.source, line: u.line })),
    "mapUsers",
  );
}
