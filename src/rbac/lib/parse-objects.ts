/**
 * Reads Role, ClusterRole, RoleBinding and ClusterRoleBinding objects into normalised values,
 * applying the v1 defaults and kube-apiserver's object validation (pkg/apis/rbac/validation).
 * An object with an error is skipped by every engine (kube-apiserver would have refused it);
 * warnings (a binding without subjects) keep the object.
 */
import type { KubeObject } from "../../store/types.js";
import type { BindingKind, PolicyRule, RbacProblem, RoleRef, Subject } from "../types.js";
import { RBAC_GROUP } from "../types.js";
import { goQuote } from "./go-format.js";

export interface LabelRequirement {
  readonly key: string;
  readonly operator: "In" | "NotIn" | "Exists" | "DoesNotExist";
  readonly values: readonly string[];
}

export interface LabelSelector {
  readonly matchLabels: Readonly<Record<string, string>>;
  readonly matchExpressions: readonly LabelRequirement[];
}

export interface ParsedRole {
  readonly kind: "Role";
  readonly name: string;
  readonly namespace: string;
  readonly rules: readonly PolicyRule[];
}

export interface ParsedClusterRole {
  readonly kind: "ClusterRole";
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  /** The rules as written (for an aggregated ClusterRole, replaced by aggregation). */
  readonly rules: readonly PolicyRule[];
  /** Present when the ClusterRole aggregates others. */
  readonly aggregationSelectors?: readonly LabelSelector[];
}

export interface ParsedBinding {
  readonly kind: BindingKind;
  readonly name: string;
  /** "" for a ClusterRoleBinding. */
  readonly namespace: string;
  readonly roleRef: RoleRef;
  readonly subjects: readonly Subject[];
}

export type ParsedRbacObject = ParsedRole | ParsedClusterRole | ParsedBinding;

export const RBAC_KINDS: ReadonlySet<string> = new Set([
  "Role",
  "ClusterRole",
  "RoleBinding",
  "ClusterRoleBinding",
]);

export interface ParseOutcome<T> {
  /** Undefined when the object has an error. */
  readonly value: T | undefined;
  readonly problems: readonly RbacProblem[];
}

type Rec = Record<string, unknown>;

const isRecord = (v: unknown): v is Rec => typeof v === "object" && v !== null && !Array.isArray(v);

const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

class Collector {
  readonly problems: RbacProblem[] = [];
  constructor(
    private readonly kind: string,
    private readonly name: string,
    private readonly namespace: string | undefined,
  ) {}
  error(message: string): void {
    this.add("error", message);
  }
  warn(message: string): void {
    this.add("warning", message);
  }
  private add(severity: "error" | "warning", message: string): void {
    this.problems.push(
      this.namespace
        ? { severity, kind: this.kind, name: this.name, namespace: this.namespace, message }
        : { severity, kind: this.kind, name: this.name, message },
    );
  }
  get failed(): boolean {
    return this.problems.some((p) => p.severity === "error");
  }
}

function stringList(c: Collector, v: unknown, path: string): string[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) {
    c.error(`${path}: expected a list of strings, found ${typeof v}`);
    return [];
  }
  const out: string[] = [];
  v.forEach((item, i) => {
    if (typeof item === "string") out.push(item);
    else c.error(`${path}[${i}]: expected a string, found ${item === null ? "null" : typeof item}`);
  });
  return out;
}

/** Parses and validates the `rules` list (ValidatePolicyRule). */
export function parseRules(c: Collector, v: unknown, namespaced: boolean, path = "rules"): PolicyRule[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) {
    c.error(`${path}: expected a list of rules`);
    return [];
  }
  const rules: PolicyRule[] = [];
  v.forEach((raw, i) => {
    const p = `${path}[${i}]`;
    if (!isRecord(raw)) {
      c.error(`${p}: expected a mapping`);
      return;
    }
    for (const key of Object.keys(raw)) {
      if (!["verbs", "apiGroups", "resources", "resourceNames", "nonResourceURLs"].includes(key)) {
        c.error(`${p}.${key}: unknown field`);
      }
    }
    const rule: PolicyRule = {
      verbs: stringList(c, raw.verbs, `${p}.verbs`),
      apiGroups: stringList(c, raw.apiGroups, `${p}.apiGroups`),
      resources: stringList(c, raw.resources, `${p}.resources`),
      resourceNames: stringList(c, raw.resourceNames, `${p}.resourceNames`),
      nonResourceURLs: stringList(c, raw.nonResourceURLs, `${p}.nonResourceURLs`),
    };
    for (const m of validateRule(rule, namespaced)) c.error(`${p}.${m}`);
    rules.push(rule);
  });
  return rules;
}

/** kube-apiserver's ValidatePolicyRule messages, as "field: message". */
export function validateRule(rule: PolicyRule, namespaced: boolean): string[] {
  const errs: string[] = [];
  if (rule.verbs.length === 0) errs.push("verbs: Required value: verbs must contain at least one value");
  if (rule.nonResourceURLs.length > 0) {
    if (namespaced)
      errs.push("nonResourceURLs: Invalid value: namespaced rules cannot apply to non-resource URLs");
    if (rule.apiGroups.length > 0 || rule.resources.length > 0 || rule.resourceNames.length > 0) {
      errs.push(
        "nonResourceURLs: Invalid value: rules cannot apply to both regular resources and non-resource URLs",
      );
    }
    return errs;
  }
  if (rule.apiGroups.length === 0)
    errs.push("apiGroups: Required value: resource rules must supply at least one api group");
  if (rule.resources.length === 0)
    errs.push("resources: Required value: resource rules must supply at least one resource");
  return errs;
}

function parseSelector(c: Collector, v: unknown, path: string): LabelSelector | undefined {
  if (!isRecord(v)) {
    c.error(`${path}: expected a label selector mapping`);
    return undefined;
  }
  const matchLabels: Record<string, string> = {};
  if (v.matchLabels !== undefined && v.matchLabels !== null) {
    if (!isRecord(v.matchLabels)) c.error(`${path}.matchLabels: expected a mapping of strings`);
    else
      for (const [k, val] of Object.entries(v.matchLabels)) {
        if (typeof val !== "string") c.error(`${path}.matchLabels.${k}: expected a string`);
        else matchLabels[k] = val;
      }
  }
  const matchExpressions: LabelRequirement[] = [];
  if (v.matchExpressions !== undefined && v.matchExpressions !== null) {
    if (!Array.isArray(v.matchExpressions)) c.error(`${path}.matchExpressions: expected a list`);
    else
      v.matchExpressions.forEach((e, i) => {
        const p = `${path}.matchExpressions[${i}]`;
        if (!isRecord(e)) {
          c.error(`${p}: expected a mapping`);
          return;
        }
        const key = e.key;
        const op = e.operator;
        const values = stringList(c, e.values, `${p}.values`);
        if (typeof key !== "string" || key === "") c.error(`${p}.key: Required value`);
        if (op !== "In" && op !== "NotIn" && op !== "Exists" && op !== "DoesNotExist") {
          c.error(
            `${p}.operator: Invalid value: ${typeof op === "string" ? goQuote(op) : JSON.stringify(op ?? null)}: not a valid selector operator`,
          );
          return;
        }
        if ((op === "In" || op === "NotIn") && values.length === 0) {
          c.error(`${p}.values: Required value: must be specified when \`operator\` is 'In' or 'NotIn'`);
        }
        if ((op === "Exists" || op === "DoesNotExist") && values.length > 0) {
          c.error(
            `${p}.values: Forbidden: may not be specified when \`operator\` is 'Exists' or 'DoesNotExist'`,
          );
        }
        if (typeof key === "string") matchExpressions.push({ key, operator: op, values });
      });
  }
  return { matchLabels, matchExpressions };
}

function parseSubjects(c: Collector, v: unknown, namespaced: boolean): Subject[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) {
    c.error("subjects: expected a list");
    return [];
  }
  const out: Subject[] = [];
  v.forEach((raw, i) => {
    const p = `subjects[${i}]`;
    if (!isRecord(raw)) {
      c.error(`${p}: expected a mapping`);
      return;
    }
    const kind = raw.kind;
    const name = typeof raw.name === "string" ? raw.name : "";
    const namespace = typeof raw.namespace === "string" ? raw.namespace : "";
    if (raw.name !== undefined && typeof raw.name !== "string") c.error(`${p}.name: expected a string`);
    if (raw.namespace !== undefined && typeof raw.namespace !== "string")
      c.error(`${p}.namespace: expected a string`);
    if (raw.apiGroup !== undefined && typeof raw.apiGroup !== "string")
      c.error(`${p}.apiGroup: expected a string`);
    let apiGroup = typeof raw.apiGroup === "string" ? raw.apiGroup : "";
    if (name === "") c.error(`${p}.name: Required value`);
    if (kind === "ServiceAccount") {
      if (name !== "" && !DNS_SUBDOMAIN.test(name)) {
        c.error(
          `${p}.name: Invalid value: ${goQuote(name)}: a service account name must be a lowercase RFC 1123 subdomain`,
        );
      }
      if (apiGroup !== "")
        c.error(`${p}.apiGroup: Unsupported value: ${goQuote(apiGroup)}: supported values: ""`);
      if (!namespaced && namespace === "") c.error(`${p}.namespace: Required value`);
    } else if (kind === "User" || kind === "Group") {
      if (apiGroup === "") apiGroup = RBAC_GROUP; // v1 defaulting
      if (apiGroup !== RBAC_GROUP) {
        c.error(
          `${p}.apiGroup: Unsupported value: ${goQuote(apiGroup)}: supported values: ${goQuote(RBAC_GROUP)}`,
        );
      }
    } else {
      c.error(
        `${p}.kind: Unsupported value: ${typeof kind === "string" ? goQuote(kind) : JSON.stringify(kind ?? null)}: supported values: "ServiceAccount", "User", "Group"`,
      );
      return;
    }
    out.push({ kind, name, namespace, apiGroup });
  });
  return out;
}

function metaOf(obj: KubeObject): { name: string; namespace: string; labels: Record<string, string> } {
  const m: unknown = obj.metadata;
  const meta = isRecord(m) ? m : {};
  const labels: Record<string, string> = {};
  if (isRecord(meta.labels))
    for (const [k, v] of Object.entries(meta.labels)) if (typeof v === "string") labels[k] = v;
  return {
    name: typeof meta.name === "string" ? meta.name : "",
    namespace: typeof meta.namespace === "string" ? meta.namespace : "",
    labels,
  };
}

function checkMeta(c: Collector, name: string, namespace: string, namespaced: boolean): void {
  if (name === "") c.error("metadata.name: Required value");
  else if (name === "." || name === ".." || name.includes("/") || name.includes("%")) {
    c.error(
      `metadata.name: Invalid value: ${goQuote(name)}: may not be '.' or '..' and may not contain '/' or '%'`,
    );
  }
  if (namespaced && namespace === "") c.error("metadata.namespace: Required value");
}

export function parseRole(obj: KubeObject): ParseOutcome<ParsedRole> {
  const { name, namespace } = metaOf(obj);
  const c = new Collector("Role", name, namespace || undefined);
  checkMeta(c, name, namespace, true);
  const rules = parseRules(c, obj.rules, true);
  return { value: c.failed ? undefined : { kind: "Role", name, namespace, rules }, problems: c.problems };
}

export function parseClusterRole(obj: KubeObject): ParseOutcome<ParsedClusterRole> {
  const { name, labels } = metaOf(obj);
  const c = new Collector("ClusterRole", name, undefined);
  checkMeta(c, name, "", false);
  const rules = parseRules(c, obj.rules, false);
  let selectors: LabelSelector[] | undefined;
  const agg = obj.aggregationRule;
  if (agg !== undefined && agg !== null) {
    if (!isRecord(agg)) c.error("aggregationRule: expected a mapping");
    else {
      const sel = agg.clusterRoleSelectors;
      if (!Array.isArray(sel) || sel.length === 0) {
        c.error(
          "aggregationRule.clusterRoleSelectors: Required value: at least one clusterRoleSelector required if aggregationRule is non-nil",
        );
      } else {
        selectors = [];
        sel.forEach((s, i) => {
          const parsed = parseSelector(c, s, `aggregationRule.clusterRoleSelectors[${i}]`);
          if (parsed) selectors!.push(parsed);
        });
      }
    }
  }
  if (c.failed) return { value: undefined, problems: c.problems };
  const value: ParsedClusterRole = selectors
    ? { kind: "ClusterRole", name, labels, rules, aggregationSelectors: selectors }
    : { kind: "ClusterRole", name, labels, rules };
  return { value, problems: c.problems };
}

export function parseBinding(obj: KubeObject): ParseOutcome<ParsedBinding> {
  const kind = obj.kind === "ClusterRoleBinding" ? "ClusterRoleBinding" : "RoleBinding";
  const namespaced = kind === "RoleBinding";
  const { name, namespace } = metaOf(obj);
  const c = new Collector(kind, name, namespaced ? namespace || undefined : undefined);
  checkMeta(c, name, namespace, namespaced);
  let roleRef: RoleRef | undefined;
  const rr = obj.roleRef;
  if (!isRecord(rr)) c.error("roleRef: Required value: a binding must reference a Role or ClusterRole");
  else {
    const apiGroup = rr.apiGroup === undefined || rr.apiGroup === "" ? RBAC_GROUP : rr.apiGroup; // v1 defaulting
    const rk = rr.kind;
    const rn = rr.name;
    if (apiGroup !== RBAC_GROUP) {
      c.error(
        `roleRef.apiGroup: Unsupported value: ${typeof apiGroup === "string" ? goQuote(apiGroup) : JSON.stringify(apiGroup)}: supported values: ${goQuote(RBAC_GROUP)}`,
      );
    }
    const allowed = namespaced ? ["Role", "ClusterRole"] : ["ClusterRole"];
    if (typeof rk !== "string" || !allowed.includes(rk)) {
      c.error(
        `roleRef.kind: Unsupported value: ${typeof rk === "string" ? goQuote(rk) : JSON.stringify(rk ?? null)}: supported values: ${allowed.map(goQuote).join(", ")}`,
      );
    }
    if (typeof rn !== "string" || rn === "") c.error("roleRef.name: Required value");
    else if (rn === "." || rn === ".." || rn.includes("/") || rn.includes("%")) {
      c.error(
        `roleRef.name: Invalid value: ${goQuote(rn)}: may not be '.' or '..' and may not contain '/' or '%'`,
      );
    }
    if (!c.failed) roleRef = { apiGroup: RBAC_GROUP, kind: rk as "Role" | "ClusterRole", name: rn as string };
  }
  const subjects = parseSubjects(c, obj.subjects, namespaced);
  if (!c.failed && subjects.length === 0) c.warn("subjects: empty; the binding grants nothing");
  if (c.failed || !roleRef) return { value: undefined, problems: c.problems };
  return {
    value: { kind, name, namespace: namespaced ? namespace : "", roleRef, subjects },
    problems: c.problems,
  };
}

/** Parses any of the four RBAC kinds; undefined value for other kinds or malformed objects. */
export function parseRbacObject(obj: KubeObject): ParseOutcome<ParsedRbacObject> {
  switch (obj.kind) {
    case "Role":
      return parseRole(obj);
    case "ClusterRole":
      return parseClusterRole(obj);
    case "RoleBinding":
    case "ClusterRoleBinding":
      return parseBinding(obj);
    default:
      return { value: undefined, problems: [] };
  }
}

export type { Collector };
