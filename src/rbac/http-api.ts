/**
 * The RBAC query API: can-i, who-can, the rules of a user and the risk report, as plain functions
 * over an RbacIndex (what `kubeiam rbac` prints offline, from a folder or the object directory) and
 * as admin-only JSON endpoints over the running server's index (what `kubeiam rbac --server` asks).
 * Both go through the same `answer*` functions, so the CLI and the server cannot disagree.
 *
 *   POST /rbac/can-i    {user, request, explain?}        → CanIAnswer
 *   POST /rbac/who-can  {request, allNamespaces?}        → WhoCanAnswer
 *   POST /rbac/rules    {user, namespace}                → RulesAnswer
 *   POST /rbac/risks    {namespace?, includeDefaults?}   → RisksAnswer
 *
 * Public API: answerCanI, answerWhoCan, answerRules, answerRisks, parseCanIQuery, parseWhoCanQuery,
 * parseRulesQuery, parseRisksQuery, registerRbacApiRoutes, RBAC_API_PATHS.
 */
import type { Reason } from "../lib/decision.js";
import { KubeiamError } from "../lib/errors.js";
import { requireAdmin } from "../server/admin-token.js";
import type { App } from "../server/app.js";
import { parseJsonBody, sendJson } from "../server/http.js";
import type { KubeObject } from "../store/types.js";
import { parseTenant, TenantIndex, type Tenant } from "../tenancy/tenant.js";
import { authorize } from "./authorize.js";
import { bootstrapPolicy } from "./bootstrap/policy.js";
import type { Explanation } from "./explain.js";
import { explain } from "./explain.js";
import { compareNames } from "./lib/go-format.js";
import type { ParsedBinding } from "./lib/parse-objects.js";
import { RbacIndex } from "./rbac-index.js";
import type { RiskFinding } from "./risks.js";
import { risks } from "./risks.js";
import type { RulesForResult } from "./rules-for.js";
import { rulesFor } from "./rules-for.js";
import type { BindingRef, RequestAttributes, RoleObjectRef, RuleSource, Subject, UserInfo } from "./types.js";
import { rulesEqual } from "./types.js";
import type { WhoCanResult } from "./who-can.js";
import { whoCan } from "./who-can.js";

export const RBAC_API_PATHS = {
  canI: "/rbac/can-i",
  whoCan: "/rbac/who-can",
  rules: "/rbac/rules",
  risks: "/rbac/risks",
} as const;

/** Largest query body the endpoints accept. */
export const RBAC_API_BODY_LIMIT = 64 * 1024;

// ---- can-i -----------------------------------------------------------------------------------

export interface CanIQuery {
  readonly user: UserInfo;
  readonly request: RequestAttributes;
  /** Also explain: the subject's bindings and, when not allowed, the nearest rule. */
  readonly explain?: boolean;
}

export interface CanIAnswer {
  readonly allowed: boolean;
  /** kube-apiserver's RBAC reason (`RBAC: allowed by ...`, role lookup errors, or ""). */
  readonly reason: string;
  /** Allowed as a member of system:masters, before RBAC. */
  readonly superuser: boolean;
  readonly user: UserInfo;
  readonly request: RequestAttributes;
  readonly allowedBy?: RuleSource;
  /** Role lookup errors met while deciding. */
  readonly errors: readonly string[];
  readonly reasons: readonly Reason[];
  readonly explanation?: Explanation;
}

export function answerCanI(index: RbacIndex, q: CanIQuery): CanIAnswer {
  const attrs = { ...q.request, user: q.user };
  const r = authorize(index, attrs);
  const base = {
    allowed: r.decision === "allow",
    reason: r.reason,
    superuser: r.superuser === true,
    user: q.user,
    request: q.request,
    errors: [...r.errors],
    reasons: [...r.reasons],
  };
  const withRule = r.allowedBy ? { ...base, allowedBy: r.allowedBy } : base;
  return q.explain === true ? { ...withRule, explanation: explain(index, attrs) } : withRule;
}

// ---- who-can ---------------------------------------------------------------------------------

export interface WhoCanQuery {
  readonly request: RequestAttributes;
  /** RoleBindings of every namespace (kubectl who-can -A); resource requests only. */
  readonly allNamespaces?: boolean;
}

/** One subject of one granting binding (the rows of kubectl-who-can's tables). */
export interface WhoCanRow {
  readonly binding: BindingRef;
  readonly role: RoleObjectRef;
  /** As it applies: ServiceAccounts of RoleBindings carry the binding's namespace when they name none. */
  readonly subject: Pick<Subject, "kind" | "name" | "namespace">;
}

export interface WhoCanAnswer extends WhoCanResult {
  readonly request: RequestAttributes;
  readonly allNamespaces: boolean;
  readonly roleBindings: readonly WhoCanRow[];
  readonly clusterRoleBindings: readonly WhoCanRow[];
}

export function answerWhoCan(index: RbacIndex, q: WhoCanQuery): WhoCanAnswer {
  const allNamespaces = q.allNamespaces === true;
  const result = whoCan(index, q.request, { allNamespaces });
  const rows: WhoCanRow[] = [];
  for (const s of [...result.users, ...result.groups, ...result.serviceAccounts]) {
    for (const g of s.grants) {
      rows.push({
        binding: g.binding,
        role: g.role,
        subject: { kind: s.kind, name: s.name, namespace: s.namespace ?? "" },
      });
    }
  }
  const kindOrder = { User: 0, Group: 1, ServiceAccount: 2 } as const;
  rows.sort(
    (a, b) =>
      compareNames(a.binding.namespace ?? "", b.binding.namespace ?? "") ||
      compareNames(a.binding.name, b.binding.name) ||
      kindOrder[a.subject.kind] - kindOrder[b.subject.kind] ||
      compareNames(a.subject.namespace, b.subject.namespace) ||
      compareNames(a.subject.name, b.subject.name),
  );
  return {
    ...result,
    request: q.request,
    allNamespaces,
    roleBindings: rows.filter((r) => r.binding.kind === "RoleBinding"),
    clusterRoleBindings: rows.filter((r) => r.binding.kind === "ClusterRoleBinding"),
  };
}

// ---- rules -----------------------------------------------------------------------------------

export interface RulesQuery {
  readonly user: UserInfo;
  /** "" for the cluster-wide rules only. */
  readonly namespace: string;
}

export interface RulesAnswer extends RulesForResult {
  readonly user: UserInfo;
  readonly namespace: string;
}

export function answerRules(index: RbacIndex, q: RulesQuery): RulesAnswer {
  return { ...rulesFor(index, q.user, q.namespace), user: q.user, namespace: q.namespace };
}

// ---- risks -----------------------------------------------------------------------------------

export interface RisksQuery {
  /** Only ClusterRoleBindings and this namespace's RoleBindings. */
  readonly namespace?: string;
  /** Keep findings that come from Kubernetes' unchanged default policy (hidden by default). */
  readonly includeDefaults?: boolean;
}

/** Where the findings come from: the Tenant and Namespace objects of the same store. */
export interface RisksContext {
  readonly tenants: readonly KubeObject[];
  readonly namespaces: readonly KubeObject[];
}

export interface RiskGroup {
  /** "cluster": ClusterRoleBindings (cluster-wide); "tenant": the namespaces of a tenant; "namespace": one namespace no tenant owns. */
  readonly scope: "cluster" | "tenant" | "namespace";
  /** The tenant or namespace name ("" for cluster). */
  readonly name: string;
  /** The namespaces whose findings are in this group. */
  readonly namespaces: readonly string[];
  readonly findings: readonly RiskFinding[];
}

export interface RisksAnswer {
  /** "tenant" when the store has valid Tenant objects, else "namespace". */
  readonly groupedBy: "tenant" | "namespace";
  readonly groups: readonly RiskGroup[];
  readonly total: number;
  /** Findings left out because they come from the unchanged default policy. */
  readonly hiddenDefaults: number;
  /** Tenants that do not parse (skipped from grouping), "name: problem". */
  readonly tenantProblems: readonly string[];
}

type BindingLookup = (ref: BindingRef) => ParsedBinding | undefined;

/** Finds bindings by kind, namespace and name (maps built once per report). */
function bindingLookup(index: RbacIndex): BindingLookup {
  const byKey = new Map<string, ParsedBinding>();
  for (const b of index.clusterRoleBindings()) byKey.set(`C//${b.name}`, b);
  for (const b of index.roleBindings()) byKey.set(`R/${b.namespace}/${b.name}`, b);
  return (ref) =>
    byKey.get(ref.kind === "ClusterRoleBinding" ? `C//${ref.name}` : `R/${ref.namespace ?? ""}/${ref.name}`);
}

let defaults: { index: RbacIndex; lookup: BindingLookup } | undefined;

/**
 * Whether a binding is one of Kubernetes' defaults, unchanged: same name, role and subjects as the
 * bootstrap policy's binding, and its role grants the default rules.
 */
function isDefaultBinding(index: RbacIndex, lookup: BindingLookup, ref: BindingRef): boolean {
  if (!defaults) {
    const idx = RbacIndex.from(bootstrapPolicy());
    defaults = { index: idx, lookup: bindingLookup(idx) };
  }
  const d = defaults.lookup(ref);
  const b = lookup(ref);
  if (!d || !b) return false;
  if (d.roleRef.kind !== b.roleRef.kind || d.roleRef.name !== b.roleRef.name) return false;
  if (d.subjects.length !== b.subjects.length) return false;
  for (let i = 0; i < d.subjects.length; i++) {
    const x = d.subjects[i]!;
    const y = b.subjects[i]!;
    if (x.kind !== y.kind || x.name !== y.name || x.namespace !== y.namespace) return false;
  }
  const dr = defaults.index.resolve(d).rules;
  const br = index.resolve(b).rules;
  return (
    dr !== undefined &&
    br !== undefined &&
    dr.length === br.length &&
    dr.every((r, i) => rulesEqual(r, br[i]!))
  );
}

export function answerRisks(index: RbacIndex, q: RisksQuery, ctx: RisksContext): RisksAnswer {
  const all = risks(index, q.namespace !== undefined ? { namespace: q.namespace } : {});
  const memo = new Map<string, boolean>();
  let lookup: BindingLookup | undefined;
  const isDefault = (f: RiskFinding): boolean => {
    const k = `${f.binding.kind}/${f.binding.namespace ?? ""}/${f.binding.name}`;
    let v = memo.get(k);
    if (v === undefined)
      memo.set(k, (v = isDefaultBinding(index, (lookup ??= bindingLookup(index)), f.binding)));
    return v;
  };
  const findings = q.includeDefaults === true ? all : all.filter((f) => !isDefault(f));

  const tenants: Tenant[] = [];
  const tenantProblems: string[] = [];
  for (const o of ctx.tenants) {
    const p = parseTenant(o);
    if (p.tenant) tenants.push(p.tenant);
    else tenantProblems.push(`${o.metadata.name}: ${p.problems.join("; ")}`);
  }
  const labels = new Map<string, Readonly<Record<string, string>>>();
  for (const n of ctx.namespaces) labels.set(n.metadata.name, n.metadata.labels ?? {});
  const tenantIndex = new TenantIndex(tenants);

  const cluster: RiskFinding[] = [];
  const byNamespace = new Map<string, RiskFinding[]>();
  for (const f of findings) {
    if (f.namespace === "") cluster.push(f);
    else {
      const l = byNamespace.get(f.namespace);
      if (l) l.push(f);
      else byNamespace.set(f.namespace, [f]);
    }
  }
  const groups: RiskGroup[] = [];
  if (cluster.length > 0) groups.push({ scope: "cluster", name: "", namespaces: [], findings: cluster });
  const namespaces = [...byNamespace.keys()].sort(compareNames);
  if (tenants.length > 0) {
    const byTenant = new Map<string, { namespaces: string[]; findings: RiskFinding[] }>();
    const unowned: string[] = [];
    for (const ns of namespaces) {
      const owner = tenantIndex.ownerOf(ns, labels.get(ns));
      if (!owner) {
        unowned.push(ns);
        continue;
      }
      const g = byTenant.get(owner.tenant.name) ?? { namespaces: [], findings: [] };
      g.namespaces.push(ns);
      g.findings.push(...byNamespace.get(ns)!);
      byTenant.set(owner.tenant.name, g);
    }
    for (const name of [...byTenant.keys()].sort(compareNames)) {
      const g = byTenant.get(name)!;
      groups.push({ scope: "tenant", name, namespaces: g.namespaces, findings: g.findings });
    }
    for (const ns of unowned)
      groups.push({ scope: "namespace", name: ns, namespaces: [ns], findings: byNamespace.get(ns)! });
  } else {
    for (const ns of namespaces)
      groups.push({ scope: "namespace", name: ns, namespaces: [ns], findings: byNamespace.get(ns)! });
  }
  return {
    groupedBy: tenants.length > 0 ? "tenant" : "namespace",
    groups,
    total: findings.length,
    hiddenDefaults: all.length - findings.length,
    tenantProblems,
  };
}

// ---- parsing query bodies --------------------------------------------------------------------

const MAX_STRING = 8192;
const MAX_LIST = 1024;

type Rec = Record<string, unknown>;
const isRecord = (v: unknown): v is Rec => typeof v === "object" && v !== null && !Array.isArray(v);

function invalid(what: string, message: string): never {
  throw new KubeiamError("REQUEST_INVALID", `${what}: ${message}`);
}

function onlyKeys(what: string, obj: Rec, allowed: readonly string[], path: string): void {
  for (const k of Object.keys(obj))
    if (!allowed.includes(k)) invalid(what, `${path}${path ? "." : ""}${k}: unknown field`);
}

function str(what: string, v: unknown, path: string, opts: { required?: boolean } = {}): string {
  if (v === undefined || v === null) {
    if (opts.required === true) invalid(what, `${path}: required`);
    return "";
  }
  if (typeof v !== "string") return invalid(what, `${path}: expected a string`);
  if (v.length > MAX_STRING) invalid(what, `${path}: longer than ${MAX_STRING} characters`);
  if (opts.required === true && v === "") invalid(what, `${path}: must not be empty`);
  return v;
}

function strList(what: string, v: unknown, path: string): string[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) return invalid(what, `${path}: expected a list of strings`);
  if (v.length > MAX_LIST) invalid(what, `${path}: more than ${MAX_LIST} entries`);
  return v.map((x, i) => str(what, x, `${path}[${i}]`));
}

function bool(what: string, v: unknown, path: string): boolean {
  if (v === undefined || v === null) return false;
  if (typeof v !== "boolean") return invalid(what, `${path}: expected true or false`);
  return v;
}

function parseUser(what: string, v: unknown): UserInfo {
  if (!isRecord(v)) return invalid(what, "user: expected a mapping {name, groups, uid?, extra?}");
  onlyKeys(what, v, ["name", "groups", "uid", "extra"], "user");
  const name = str(what, v.name, "user.name");
  const groups = strList(what, v.groups, "user.groups");
  if (name === "" && groups.length === 0) invalid(what, "user: give a name or at least one group");
  const uid = str(what, v.uid, "user.uid");
  let extra: Record<string, string[]> | undefined;
  if (v.extra !== undefined && v.extra !== null) {
    if (!isRecord(v.extra)) return invalid(what, "user.extra: expected a mapping of string lists");
    const keys = Object.keys(v.extra);
    if (keys.length > MAX_LIST) invalid(what, `user.extra: more than ${MAX_LIST} keys`);
    extra = {};
    for (const k of keys) extra[k] = strList(what, v.extra[k], `user.extra[${JSON.stringify(k)}]`);
  }
  return { name, groups, ...(uid !== "" ? { uid } : {}), ...(extra ? { extra } : {}) };
}

function parseRequest(what: string, v: unknown): RequestAttributes {
  if (!isRecord(v)) return invalid(what, "request: expected a mapping");
  if (v.resourceRequest === false) {
    onlyKeys(what, v, ["resourceRequest", "verb", "path"], "request");
    return {
      resourceRequest: false,
      verb: str(what, v.verb, "request.verb", { required: true }),
      path: str(what, v.path, "request.path", { required: true }),
    };
  }
  if (v.resourceRequest !== true)
    return invalid(
      what,
      "request.resourceRequest: expected true (an API resource) or false (a non-resource URL)",
    );
  onlyKeys(
    what,
    v,
    ["resourceRequest", "verb", "namespace", "apiGroup", "apiVersion", "resource", "subresource", "name"],
    "request",
  );
  const apiVersion = str(what, v.apiVersion, "request.apiVersion");
  return {
    resourceRequest: true,
    verb: str(what, v.verb, "request.verb", { required: true }),
    namespace: str(what, v.namespace, "request.namespace"),
    apiGroup: str(what, v.apiGroup, "request.apiGroup"),
    ...(apiVersion !== "" ? { apiVersion } : {}),
    resource: str(what, v.resource, "request.resource", { required: true }),
    subresource: str(what, v.subresource, "request.subresource"),
    name: str(what, v.name, "request.name"),
  };
}

export function parseCanIQuery(body: Rec): CanIQuery {
  const what = "can-i query";
  onlyKeys(what, body, ["user", "request", "explain"], "");
  return {
    user: parseUser(what, body.user),
    request: parseRequest(what, body.request),
    explain: bool(what, body.explain, "explain"),
  };
}

export function parseWhoCanQuery(body: Rec): WhoCanQuery {
  const what = "who-can query";
  onlyKeys(what, body, ["request", "allNamespaces"], "");
  return {
    request: parseRequest(what, body.request),
    allNamespaces: bool(what, body.allNamespaces, "allNamespaces"),
  };
}

export function parseRulesQuery(body: Rec): RulesQuery {
  const what = "rules query";
  onlyKeys(what, body, ["user", "namespace"], "");
  return { user: parseUser(what, body.user), namespace: str(what, body.namespace, "namespace") };
}

export function parseRisksQuery(body: Rec): RisksQuery {
  const what = "risks query";
  onlyKeys(what, body, ["namespace", "includeDefaults"], "");
  const namespace =
    body.namespace === undefined || body.namespace === null
      ? undefined
      : str(what, body.namespace, "namespace");
  return {
    ...(namespace !== undefined ? { namespace } : {}),
    includeDefaults: bool(what, body.includeDefaults, "includeDefaults"),
  };
}

// ---- HTTP ------------------------------------------------------------------------------------

/**
 * Registers the admin-only query endpoints over `app.rbac` (they reveal who holds what, and can-i
 * answers for any user, so they need the admin bearer token like the decision log).
 */
export function registerRbacApiRoutes(app: App): void {
  const add = (path: string, name: string, answer: (body: Rec) => unknown): void => {
    app.router.add(
      "POST",
      path,
      (req, res) => {
        requireAdmin(req.headers, app.adminToken);
        const body = parseJsonBody(req.body, `${name} request`);
        sendJson(res, 200, answer(body));
      },
      { name, bodyLimit: RBAC_API_BODY_LIMIT },
    );
  };
  add(RBAC_API_PATHS.canI, "rbac-can-i", (b) => answerCanI(app.rbac, parseCanIQuery(b)));
  add(RBAC_API_PATHS.whoCan, "rbac-who-can", (b) => answerWhoCan(app.rbac, parseWhoCanQuery(b)));
  add(RBAC_API_PATHS.rules, "rbac-rules", (b) => answerRules(app.rbac, parseRulesQuery(b)));
  add(RBAC_API_PATHS.risks, "rbac-risks", (b) =>
    answerRisks(app.rbac, parseRisksQuery(b), {
      tenants: app.cache.list("Tenant"),
      namespaces: app.cache.list("Namespace"),
    }),
  );
}
