/**
 * `kubeiam rbac can-i | who-can | risks`: RBAC questions over a folder of manifests (`-f DIR`, no
 * server), the object directory of the state (`--config/--state-dir/--objects`, offline), or a
 * running kubeiam (`--server URL`, admin endpoints of src/rbac/http-api.ts). Every source goes
 * through the same answer functions, so the three cannot disagree.
 *
 *   kubeiam rbac can-i VERB (TYPE | TYPE/NAME | /URL) [--subresource S] [-n NS | -A] --as USER [--as-group G]… [--explain]
 *   kubeiam rbac can-i --list --as USER [-n NS]
 *   kubeiam rbac who-can VERB (TYPE | TYPE/NAME | /URL) [--subresource S] [-n NS | -A]
 *   kubeiam rbac risks [-n NS] [--include-defaults]
 *
 * can-i follows `kubectl auth can-i`: `yes` exit 0, `no` exit 1, kubectl's warnings on stderr; --as
 * builds the user as kube-apiserver's impersonation does (service-account groups, system:authenticated).
 * Usage errors exit 2. Malformed RBAC objects are reported on stderr (file, problem) and skipped.
 */
import { readFile, readdir, stat } from "node:fs/promises";
import { join, relative } from "node:path";
import type { Command } from "commander";
import { parseAllDocuments } from "yaml";
import { KubeiamError } from "../lib/errors.js";
import type {
  CanIAnswer,
  CanIQuery,
  RisksAnswer,
  RisksQuery,
  RulesAnswer,
  RulesQuery,
  WhoCanAnswer,
  WhoCanQuery,
  WhoCanRow,
} from "../rbac/http-api.js";
import { answerCanI, answerRisks, answerRules, answerWhoCan, RBAC_API_PATHS } from "../rbac/http-api.js";
import { describeRequest, describeRule } from "../rbac/lib/describe.js";
import { compareNames } from "../rbac/lib/go-format.js";
import { parseResourceArg } from "../rbac/resource-type.js";
import type { RbacProblem, RequestAttributes, UserInfo } from "../rbac/types.js";
import { policyRule, SERVICE_ACCOUNT_USER_PREFIX } from "../rbac/types.js";
import { rbacIndexFrom } from "../server/rbac-setup.js";
import { checkObject } from "../store/kinds.js";
import { parseObjectFile } from "../store/directory-store.js";
import type { KubeObject, LoadProblem } from "../store/types.js";
import { call, serverTarget } from "./client.js";
import { collect, configFrom, outputOption, withStateOptions, type StateFlags } from "./common.js";
import { CliExit, parseOutputFormat, type CliIO, type OutputFormat } from "./io.js";

/** The namespace used without -n (kubectl uses its context's, "default" in a fresh kubeconfig). */
export const DEFAULT_NAMESPACE = "default";
/** Largest manifest file read. */
export const MAX_MANIFEST_BYTES = 32 * 1024 * 1024;

// kubectl auth can-i's verb lists (cani.go)
const RESOURCE_VERBS = new Set([
  "get",
  "list",
  "watch",
  "create",
  "update",
  "patch",
  "delete",
  "deletecollection",
  "use",
  "bind",
  "impersonate",
  "*",
  "approve",
  "sign",
  "escalate",
  "attest",
]);
const NON_RESOURCE_VERBS = new Set(["get", "put", "post", "head", "options", "delete", "patch", "*"]);

/** Built-in cluster-scoped resources, `group/resource` (kubectl learns this from discovery). */
const CLUSTER_SCOPED = new Set([
  "/namespaces",
  "/nodes",
  "/persistentvolumes",
  "/componentstatuses",
  "/users",
  "/groups",
  "rbac.authorization.k8s.io/clusterroles",
  "rbac.authorization.k8s.io/clusterrolebindings",
  "storage.k8s.io/storageclasses",
  "storage.k8s.io/csidrivers",
  "storage.k8s.io/csinodes",
  "storage.k8s.io/volumeattachments",
  "apiextensions.k8s.io/customresourcedefinitions",
  "apiregistration.k8s.io/apiservices",
  "admissionregistration.k8s.io/mutatingwebhookconfigurations",
  "admissionregistration.k8s.io/validatingwebhookconfigurations",
  "admissionregistration.k8s.io/validatingadmissionpolicies",
  "admissionregistration.k8s.io/validatingadmissionpolicybindings",
  "certificates.k8s.io/certificatesigningrequests",
  "scheduling.k8s.io/priorityclasses",
  "node.k8s.io/runtimeclasses",
  "networking.k8s.io/ingressclasses",
  "authentication.k8s.io/tokenreviews",
  "authentication.k8s.io/selfsubjectreviews",
  "authorization.k8s.io/subjectaccessreviews",
  "authorization.k8s.io/selfsubjectaccessreviews",
  "authorization.k8s.io/selfsubjectrulesreviews",
  "flowcontrol.apiserver.k8s.io/flowschemas",
  "flowcontrol.apiserver.k8s.io/prioritylevelconfigurations",
  "resource.k8s.io/resourceslices",
  "resource.k8s.io/deviceclasses",
  "kubeiam.io/oidcproviders",
  "kubeiam.io/iamroles",
  "kubeiam.io/iamusers",
  "kubeiam.io/iampolicies",
  "kubeiam.io/accessentries",
  "kubeiam.io/tenants",
]);

// ---- users, as impersonation makes them ------------------------------------------------------

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** `system:serviceaccount:NS:NAME` → {namespace, name} when both are valid names (serviceaccount.SplitUsername). */
export function splitServiceAccountUsername(user: string): { namespace: string; name: string } | undefined {
  if (!user.startsWith(SERVICE_ACCOUNT_USER_PREFIX)) return undefined;
  const parts = user.slice(SERVICE_ACCOUNT_USER_PREFIX.length).split(":");
  if (parts.length !== 2) return undefined;
  const [namespace, name] = parts as [string, string];
  if (namespace.length > 63 || !DNS_LABEL.test(namespace)) return undefined;
  if (name.length > 253 || !DNS_SUBDOMAIN.test(name)) return undefined;
  return { namespace, name };
}

/**
 * The user kube-apiserver's impersonation filter builds for `--as USER [--as-group G]…`: the given
 * groups, or for a service account without groups its groups; then `system:authenticated` unless
 * system:authenticated or system:unauthenticated is already there (`system:unauthenticated` for
 * system:anonymous instead).
 */
export function impersonatedUser(name: string, groups: readonly string[], uid?: string): UserInfo {
  const out = [...groups];
  const sa = splitServiceAccountUsername(name);
  if (sa && groups.length === 0) out.push("system:serviceaccounts", `system:serviceaccounts:${sa.namespace}`);
  if (name === "system:anonymous") {
    if (!out.includes("system:unauthenticated")) out.push("system:unauthenticated");
  } else if (!out.includes("system:authenticated") && !out.includes("system:unauthenticated")) {
    out.push("system:authenticated");
  }
  return uid !== undefined && uid !== "" ? { name, groups: out, uid } : { name, groups: out };
}

// ---- the request, as kubectl reads VERB and TYPE[/NAME] | URL --------------------------------

export interface TargetOptions {
  readonly subresource?: string | undefined;
  /** The request namespace ("" for -A). */
  readonly namespace: string;
  readonly allNamespaces: boolean;
}

export interface Target {
  readonly request: RequestAttributes;
  /** kubectl's warnings, without the "Warning: " prefix. */
  readonly warnings: readonly string[];
  /** Whether the resource is a built-in cluster-scoped one. */
  readonly clusterScoped: boolean;
}

/** Reads `VERB (TYPE | TYPE/NAME | /URL)` as kubectl auth can-i does. Throws USAGE on bad input. */
export function parseTarget(verb: string, arg: string, o: TargetOptions): Target {
  const warnings: string[] = [];
  if (verb === "") throw new KubeiamError("USAGE", "VERB must not be empty");
  if (arg.startsWith("/")) {
    if (o.subresource !== undefined && o.subresource !== "")
      throw new KubeiamError("USAGE", "--subresource can not be used with NonResourceURL");
    if (!NON_RESOURCE_VERBS.has(verb)) warnings.push(`verb '${verb}' is not a known verb`);
    return { request: { resourceRequest: false, verb, path: arg }, warnings, clusterScoped: true };
  }
  const r = parseResourceArg(arg);
  if (!r.known && r.resource !== "*") {
    warnings.push(
      r.group === ""
        ? `the server doesn't have a resource type '${r.resource}'`
        : `the server doesn't have a resource type '${r.resource}' in group '${r.group}'`,
    );
  }
  const clusterScoped = r.known && CLUSTER_SCOPED.has(`${r.group}/${r.resource}`);
  if (clusterScoped && !o.allNamespaces) {
    warnings.push(
      r.group === ""
        ? `resource '${r.resource}' is not namespace scoped`
        : `resource '${r.resource}' is not namespace scoped in group '${r.group}'`,
    );
  }
  if (!RESOURCE_VERBS.has(verb)) warnings.push(`verb '${verb}' is not a known verb`);
  return {
    request: {
      resourceRequest: true,
      verb,
      namespace: o.allNamespaces ? "" : o.namespace,
      apiGroup: r.group,
      resource: r.resource,
      subresource: o.subresource ?? "",
      name: r.name,
    },
    warnings,
    clusterScoped,
  };
}

// ---- reading manifests -----------------------------------------------------------------------

export interface LoadedManifests {
  readonly objects: KubeObject[];
  /** `Kind/namespace/name` → the file it came from. */
  readonly sources: Map<string, string>;
  readonly problems: LoadProblem[];
}

const isManifest = (name: string): boolean => !name.startsWith(".") && /\.(ya?ml|json)$/i.test(name);
const RBAC_LIKE_KIND = /role|binding/i;

const objectKey = (kind: string, namespace: string | undefined, name: string): string =>
  `${kind}/${namespace ?? ""}/${name}`;

async function manifestFiles(path: string, mustExist: boolean): Promise<string[]> {
  let info;
  try {
    info = await stat(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? "error";
    if (!mustExist && code === "ENOENT") return [];
    throw new KubeiamError("INPUT_INVALID", `cannot read ${path} (${code})`, { file: path });
  }
  if (info.isFile()) return [path];
  const out: string[] = [];
  const walk = async (d: string): Promise<void> => {
    for (const ent of await readdir(d, { withFileTypes: true })) {
      if (ent.name.startsWith(".")) continue;
      const p = join(d, ent.name);
      if (ent.isDirectory()) await walk(p);
      else if (ent.isFile() && isManifest(ent.name)) out.push(p);
    }
  };
  try {
    await walk(path);
  } catch (e) {
    throw new KubeiamError(
      "INPUT_INVALID",
      `cannot read ${path} (${(e as NodeJS.ErrnoException).code ?? "error"})`,
      { file: path },
    );
  }
  return out.sort();
}

/** The items of a `kind: List` document (what `kubectl get ... -o yaml` writes), each checked as an object. */
function listItems(
  docs: () => unknown[],
  source: string,
  document: number,
  problems: LoadProblem[],
): KubeObject[] | undefined {
  const value = docs()[document];
  if (typeof value !== "object" || value === null || Array.isArray(value)) return undefined;
  const v = value as Record<string, unknown>;
  if (typeof v.kind !== "string" || !v.kind.endsWith("List") || !Array.isArray(v.items)) return undefined;
  const out: KubeObject[] = [];
  v.items.forEach((item: unknown, i) => {
    const c = checkObject(item);
    if (c.ok) out.push(c.object);
    else if (c.unknownKind === undefined || RBAC_LIKE_KIND.test(c.unknownKind))
      problems.push({ source, document, message: `items[${i}]: ${c.problems.join("; ")}` });
  });
  return out;
}

/**
 * Reads every .yaml/.yml/.json file under `path` (or the one file) with the directory store's parser.
 * Objects of kinds kubeiam does not model are skipped quietly (a manifest folder holds Deployments,
 * CRDs, ...) unless the kind looks like an RBAC kind; an object defined twice keeps its first copy.
 * `expandLists` reads the items of `kind: List` documents (for -f; the server's object directory does
 * not accept Lists, so the offline state does not either).
 */
export async function loadManifests(
  path: string,
  opts: { mustExist: boolean; expandLists: boolean },
): Promise<LoadedManifests> {
  const objects: KubeObject[] = [];
  const sources = new Map<string, string>();
  const problems: LoadProblem[] = [];
  for (const file of await manifestFiles(path, opts.mustExist)) {
    const rel = relative(process.cwd(), file);
    const source = rel === "" || rel.startsWith("..") ? file : rel;
    let text: string;
    try {
      if ((await stat(file)).size > MAX_MANIFEST_BYTES) {
        problems.push({ source, message: `larger than ${MAX_MANIFEST_BYTES} bytes; skipped` });
        continue;
      }
      text = await readFile(file, "utf8");
    } catch (e) {
      problems.push({ source, message: `cannot read (${(e as NodeJS.ErrnoException).code ?? "error"})` });
      continue;
    }
    const parsed = parseObjectFile(text, source);
    const found = [...parsed.objects];
    let values: unknown[] | undefined;
    const docs = (): unknown[] => {
      if (values === undefined) {
        const all = parseAllDocuments(text, { uniqueKeys: true });
        values = Array.isArray(all)
          ? all.map((d): unknown =>
              d.errors.length > 0 ? undefined : (d.toJS({ maxAliasCount: 100 }) as unknown),
            )
          : [];
      }
      return values;
    };
    for (const p of parsed.problems) {
      const items =
        opts.expandLists && p.document !== undefined && !parsed.fatal
          ? listItems(docs, source, p.document, problems)
          : undefined;
      if (items) {
        found.push(...items);
        continue;
      }
      const unknown = /^kind: unknown kind "(.*)"$/.exec(p.message)?.[1];
      if (unknown === undefined || RBAC_LIKE_KIND.test(unknown)) problems.push(p);
    }
    for (const o of found) {
      const k = objectKey(o.kind, o.metadata.namespace, o.metadata.name);
      const held = sources.get(k);
      if (held !== undefined) {
        problems.push({
          source,
          message: `${o.kind} ${o.metadata.namespace ? `${o.metadata.namespace}/` : ""}${o.metadata.name} is also defined in ${held}; this copy is skipped`,
        });
        continue;
      }
      sources.set(k, source);
      objects.push(o);
    }
  }
  return { objects, sources, problems };
}

function formatLoadProblem(p: LoadProblem): string {
  const where = `${p.source}${p.line !== undefined ? `:${p.line}${p.col !== undefined ? `:${p.col}` : ""}` : ""}${p.document !== undefined && p.line === undefined ? ` (document ${p.document})` : ""}`;
  return `warning: ${where}: ${p.message}`;
}

function formatRbacProblem(p: RbacProblem, sources: ReadonlyMap<string, string>): string {
  const source = sources.get(objectKey(p.kind, p.namespace, p.name)) ?? "default policy";
  const what = `${p.kind} ${p.namespace ? `${p.namespace}/` : ""}${p.name}`;
  return p.severity === "error"
    ? `error: ${source}: ${what}: ${p.message}; the object is skipped`
    : `warning: ${source}: ${what}: ${p.message}`;
}

// ---- where the answers come from -------------------------------------------------------------

interface SourceFlags extends StateFlags {
  filename?: string;
  server?: string;
  bootstrap: boolean;
  output: string;
}

interface RbacSource {
  canI(q: CanIQuery): Promise<CanIAnswer>;
  whoCan(q: WhoCanQuery): Promise<WhoCanAnswer>;
  rules(q: RulesQuery): Promise<RulesAnswer>;
  risks(q: RisksQuery): Promise<RisksAnswer>;
}

function withSourceOptions(cmd: Command): Command {
  return withStateOptions(cmd)
    .option("-f, --filename <path>", "a folder (or file) of manifests to evaluate, without a server")
    .option("--server <url>", "ask a running kubeiam (its admin token and CA from the state dir)")
    .option(
      "--no-bootstrap",
      "leave out Kubernetes' default RBAC policy (included by default, as the embedded server does)",
    )
    .addOption(outputOption());
}

async function remoteSource(flags: SourceFlags): Promise<RbacSource> {
  if (flags.filename !== undefined)
    throw new KubeiamError("USAGE", "-f and --server exclude each other: evaluate a folder or ask a server");
  if (!flags.bootstrap)
    throw new KubeiamError(
      "USAGE",
      "--no-bootstrap applies to -f and the offline state; a running server answers with its own policy",
    );
  const target = await serverTarget(configFrom(flags), flags.server);
  const post = async <T>(path: string, body: unknown): Promise<T> => {
    const r = await call(target, "POST", path, { body: JSON.stringify(body), admin: true });
    if (r.status !== 200) {
      let message = r.body;
      try {
        message = (JSON.parse(r.body) as { message?: string }).message ?? r.body;
      } catch {
        // not JSON: keep the body
      }
      throw new KubeiamError(
        r.status === 401 ? "UNAUTHORIZED" : r.status === 400 ? "REQUEST_INVALID" : "SERVER_UNREACHABLE",
        `${target.url}${path} answered ${r.status}: ${message}${r.status === 404 ? " (does this kubeiam serve the rbac endpoints?)" : ""}`,
      );
    }
    return JSON.parse(r.body) as T;
  };
  return {
    canI: (q) => post(RBAC_API_PATHS.canI, q),
    whoCan: (q) => post(RBAC_API_PATHS.whoCan, q),
    rules: (q) => post(RBAC_API_PATHS.rules, q),
    risks: (q) => post(RBAC_API_PATHS.risks, q),
  };
}

async function offlineSource(flags: SourceFlags, io: CliIO): Promise<RbacSource> {
  let loaded: LoadedManifests;
  let bootstrap: boolean;
  if (flags.filename !== undefined) {
    loaded = await loadManifests(flags.filename, { mustExist: true, expandLists: true });
    bootstrap = flags.bootstrap;
  } else {
    const config = configFrom(flags);
    loaded = await loadManifests(config.objectsDir, { mustExist: false, expandLists: false });
    bootstrap = flags.bootstrap && config.mode === "embedded";
  }
  for (const p of loaded.problems) io.err(formatLoadProblem(p));
  const index = rbacIndexFrom(loaded.objects, { bootstrap });
  // the default policy's own quirks (system:node has no subjects) are not the user's problem
  for (const p of index.problems())
    if (loaded.sources.has(objectKey(p.kind, p.namespace, p.name)))
      io.err(formatRbacProblem(p, loaded.sources));
  const ctx = {
    tenants: loaded.objects.filter((o) => o.kind === "Tenant"),
    namespaces: loaded.objects.filter((o) => o.kind === "Namespace"),
  };
  return {
    canI: (q) => Promise.resolve(answerCanI(index, q)),
    whoCan: (q) => Promise.resolve(answerWhoCan(index, q)),
    rules: (q) => Promise.resolve(answerRules(index, q)),
    risks: (q) => Promise.resolve(answerRisks(index, q, ctx)),
  };
}

function openSource(flags: SourceFlags, io: CliIO): Promise<RbacSource> {
  return flags.server !== undefined ? remoteSource(flags) : offlineSource(flags, io);
}

// ---- text output -----------------------------------------------------------------------------

/** Go text/tabwriter (no flags): every tab-terminated cell padded to its column's widest + padding, at least minwidth. */
export function tabwrite(rows: readonly (readonly string[])[], minwidth: number, padding: number): string {
  // Go counts runes: a surrogate pair is one
  const width = (s: string): number => s.replace(/[\uD800-\uDBFF][\uDC00-\uDFFF]/g, "_").length;
  const widths: number[] = [];
  for (const r of rows)
    for (let c = 0; c < r.length - 1; c++)
      widths[c] = Math.max(widths[c] ?? minwidth, width(r[c]!) + padding);
  return rows
    .map((r) =>
      r.map((cell, c) => (c < r.length - 1 ? cell + " ".repeat(widths[c]! - width(cell)) : cell)).join(""),
    )
    .join("\n");
}

const goList = (xs: readonly string[] | undefined): string => `[${(xs ?? []).join(" ")}]`;

interface FlatRule {
  verbs: string[];
  apiGroups: string[];
  resources: string[];
  resourceNames: string[];
  nonResourceURLs: string[];
}

/** PolicyRule.String() of the generated Go code, which kubectl sorts the --list rows by. */
const goRuleString = (r: FlatRule): string =>
  `&PolicyRule{Verbs:${goList(r.verbs)},APIGroups:${goList(r.apiGroups)},Resources:${goList(r.resources)},ResourceNames:${goList(r.resourceNames)},NonResourceURLs:${goList(r.nonResourceURLs)},}`;

/**
 * kubectl auth can-i --list's rows: every rule broken down to one group × resource × verb (× name)
 * or URL × verb, simple resource rules merged by verb (CompactRules), sorted by the rule's Go string.
 */
export function listRows(a: Pick<RulesAnswer, "resourceRules" | "nonResourceRules">): string[][] {
  const broken: FlatRule[] = [];
  const flat = (x: Partial<FlatRule>): FlatRule => ({
    verbs: x.verbs ?? [],
    apiGroups: x.apiGroups ?? [],
    resources: x.resources ?? [],
    resourceNames: x.resourceNames ?? [],
    nonResourceURLs: x.nonResourceURLs ?? [],
  });
  for (const r of a.resourceRules)
    for (const g of r.apiGroups ?? [])
      for (const res of r.resources ?? [])
        for (const v of r.verbs) {
          if ((r.resourceNames ?? []).length > 0)
            for (const n of r.resourceNames ?? [])
              broken.push(flat({ apiGroups: [g], resources: [res], verbs: [v], resourceNames: [n] }));
          else broken.push(flat({ apiGroups: [g], resources: [res], verbs: [v] }));
        }
  for (const r of a.nonResourceRules)
    for (const u of r.nonResourceURLs ?? [])
      for (const v of r.verbs) broken.push(flat({ nonResourceURLs: [u], verbs: [v] }));

  const compacted: FlatRule[] = [];
  const simple = new Map<string, FlatRule>();
  for (const r of broken) {
    if (
      r.nonResourceURLs.length > 0 ||
      r.apiGroups.length !== 1 ||
      r.resources.length !== 1 ||
      r.resourceNames.length > 1
    ) {
      compacted.push(r);
      continue;
    }
    const key = JSON.stringify([r.apiGroups[0], r.resources[0], r.resourceNames[0] ?? null]);
    const held = simple.get(key);
    if (held) {
      for (const v of r.verbs) if (!held.verbs.includes(v)) held.verbs.push(v);
    } else simple.set(key, { ...r, verbs: [...r.verbs] });
  }
  compacted.push(...simple.values());
  const keyed = compacted.map((r) => ({ r, k: goRuleString(r) }));
  keyed.sort((x, y) => compareNames(x.k, y.k));
  return keyed.map(({ r }) => {
    let res = "";
    const first = r.resources[0];
    if (first !== undefined) {
      const slash = first.indexOf("/");
      res = slash < 0 ? first : first.slice(0, slash);
      const g = r.apiGroups[0];
      if (g !== undefined && g !== "") res += `.${g}`;
      if (slash >= 0) res += first.slice(slash);
    }
    return [res, goList(r.nonResourceURLs), goList(r.resourceNames), goList(r.verbs)];
  });
}

export function formatRulesTable(a: RulesAnswer, noHeaders: boolean): string {
  const rows = listRows(a);
  if (!noHeaders) rows.unshift(["Resources", "Non-Resource URLs", "Resource Names", "Verbs"]);
  return tabwrite(rows, 6, 3);
}

const bindingName = (b: { kind: string; name: string; namespace?: string | undefined }): string =>
  `${b.kind} ${b.namespace !== undefined && b.namespace !== "" ? `${b.namespace}/` : ""}${b.name}`;

const subjectName = (s: { kind: string; name: string; namespace?: string | undefined }): string =>
  s.kind === "ServiceAccount" ? `ServiceAccount ${s.namespace ?? ""}/${s.name}` : `${s.kind} ${s.name}`;

/** `--explain`: the binding → role → rule that allowed, or the subject's bindings and the nearest rule. */
export function formatExplanation(a: CanIAnswer): string {
  const lines: string[] = [];
  const groups = a.user.groups.length > 0 ? ` (groups: ${a.user.groups.join(", ")})` : "";
  lines.push(`  user: ${a.user.name}${groups}`);
  lines.push(`  request: ${describeRequest(a.request)}`);
  const e = a.explanation;
  if (a.superuser) {
    lines.push(
      `  allowed: member of the privileged group "system:masters", allowed before RBAC is consulted`,
    );
    return lines.join("\n");
  }
  if (a.allowed && a.allowedBy) {
    const s = a.allowedBy;
    lines.push(
      `  allowed by: ${bindingName(s.binding)} → ${s.role.kind} ${s.role.name} → rule ${s.ruleIndex}: ${describeRule(s.rule)}`,
    );
    lines.push(
      `  subject: ${subjectName({ ...s.subject, namespace: s.subject.namespace || s.binding.namespace })}`,
    );
    lines.push(`  reason: ${a.reason}`);
    return lines.join("\n");
  }
  const bindings = e?.bindings ?? [];
  if (bindings.length === 0) {
    lines.push("  bindings: none names this user, its groups or its service account");
  } else {
    lines.push("  bindings of this subject:");
    for (const b of bindings) {
      const who = subjectName({ ...b.subject, namespace: b.subject.namespace || b.binding.namespace });
      const what =
        b.error !== undefined
          ? `role missing: ${b.error}`
          : `${b.ruleCount} rule${b.ruleCount === 1 ? "" : "s"}`;
      const scope = b.inScope ? "" : `; not consulted: grants only in namespace ${b.binding.namespace ?? ""}`;
      lines.push(
        `    ${bindingName(b.binding)} → ${b.role.kind} ${b.role.name} (to ${who}; ${what}${scope})`,
      );
    }
  }
  const n = e?.nearest;
  if (n) {
    lines.push(
      `  nearest rule: ${bindingName(n.binding)} → ${n.role.kind} ${n.role.name} → rule ${n.ruleIndex}: ${describeRule(n.rule)}`,
    );
    for (const d of n.differences) lines.push(`    ✗ ${d.field}: ${d.message}`);
  }
  for (const err of a.errors) lines.push(`  role lookup error: ${err}`);
  return lines.join("\n");
}

/** kubectl-who-can's description of the action. */
function actionText(r: RequestAttributes): string {
  if (!r.resourceRequest) return `${r.verb} ${r.path}`;
  const res = `${r.resource}${r.apiGroup ? `.${r.apiGroup}` : ""}${r.subresource ? `/${r.subresource}` : ""}`;
  return `${r.verb} ${res}${r.name ? `/${r.name}` : ""}`;
}

export function formatWhoCan(a: WhoCanAnswer): string {
  const out: string[] = [];
  const action = actionText(a.request);
  const rows = (rs: readonly WhoCanRow[], withNs: boolean): string[][] =>
    rs.map((r) =>
      withNs
        ? [r.binding.name, r.binding.namespace ?? "", r.subject.name, r.subject.kind, r.subject.namespace]
        : [r.binding.name, r.subject.name, r.subject.kind, r.subject.namespace],
    );
  if (a.request.resourceRequest) {
    if (a.roleBindings.length === 0)
      out.push(`No subjects found with permissions to ${action} assigned through RoleBindings`);
    else
      out.push(
        tabwrite(
          [["ROLEBINDING", "NAMESPACE", "SUBJECT", "TYPE", "SA-NAMESPACE"], ...rows(a.roleBindings, true)],
          0,
          2,
        ),
      );
    out.push("");
  }
  if (a.clusterRoleBindings.length === 0)
    out.push(`No subjects found with permissions to ${action} assigned through ClusterRoleBindings`);
  else
    out.push(
      tabwrite(
        [["CLUSTERROLEBINDING", "SUBJECT", "TYPE", "SA-NAMESPACE"], ...rows(a.clusterRoleBindings, false)],
        0,
        2,
      ),
    );
  out.push("", "Members of Group system:masters may do anything: they are allowed before RBAC is consulted.");
  return out.join("\n");
}

export function formatRisks(a: RisksAnswer): string {
  const out: string[] = [];
  for (const g of a.groups) {
    const title =
      g.scope === "cluster"
        ? "cluster-wide (ClusterRoleBindings)"
        : g.scope === "tenant"
          ? `tenant ${g.name} (namespaces ${g.namespaces.join(", ")})`
          : a.groupedBy === "tenant"
            ? `namespace ${g.name} (no tenant)`
            : `namespace ${g.name}`;
    out.push(`== ${title}: ${g.findings.length} finding${g.findings.length === 1 ? "" : "s"}`);
    const rows = [["RISK", "SUBJECT", "BINDING", "ROLE", "RULE"]];
    for (const f of g.findings) {
      rows.push([
        f.risk,
        subjectName(f.subject),
        bindingName(f.binding),
        `${f.role.kind} ${f.role.name}`,
        `#${f.ruleIndex} ${describeRule(policyRule(f.rule))}`,
      ]);
    }
    out.push(tabwrite(rows, 0, 2), "");
  }
  if (a.groups.length === 0) out.push("no risky permissions found");
  const hidden =
    a.hiddenDefaults > 0
      ? `; ${a.hiddenDefaults} more from Kubernetes' unchanged default policy are hidden (--include-defaults shows them)`
      : "";
  out.push(
    `${a.total} finding${a.total === 1 ? "" : "s"}${a.groupedBy === "tenant" ? ", grouped by tenant" : ""}${hidden}`,
  );
  return out.join("\n");
}

// ---- commands --------------------------------------------------------------------------------

interface CanIFlags extends SourceFlags {
  subresource?: string;
  namespace?: string;
  allNamespaces?: boolean;
  as?: string;
  asGroup: string[];
  asUid?: string;
  list?: boolean;
  headers: boolean;
  quiet?: boolean;
  explain?: boolean;
}

interface WhoCanFlags extends SourceFlags {
  subresource?: string;
  namespace?: string;
  allNamespaces?: boolean;
}

interface RisksFlags extends SourceFlags {
  namespace?: string;
  includeDefaults?: boolean;
}

function warn(io: CliIO, warnings: readonly string[]): void {
  for (const w of warnings) io.err(`Warning: ${w}`);
}

function printJson(io: CliIO, v: unknown): void {
  io.out(JSON.stringify(v, null, 2));
}

async function runCanI(
  io: CliIO,
  verb: string | undefined,
  resource: string | undefined,
  extra: readonly string[],
  flags: CanIFlags,
): Promise<void> {
  const format: OutputFormat = parseOutputFormat(flags.output);
  const args = [verb, resource, ...extra].filter((x): x is string => x !== undefined);
  if (flags.as === undefined || flags.as === "")
    throw new KubeiamError(
      "USAGE",
      "--as USER is required: kubeiam answers for the user you name (add --as-group G for groups)",
    );
  const user = impersonatedUser(flags.as, flags.asGroup, flags.asUid);
  const namespace = flags.namespace ?? DEFAULT_NAMESPACE;
  if (flags.list === true) {
    if (args.length !== 0) throw new KubeiamError("USAGE", "list option must be specified with no arguments");
    if (
      flags.quiet === true ||
      flags.allNamespaces === true ||
      flags.subresource !== undefined ||
      flags.explain === true
    )
      throw new KubeiamError(
        "USAGE",
        "--list cannot be combined with --quiet, --all-namespaces, --subresource or --explain",
      );
    const source = await openSource(flags, io);
    const a = await source.rules({ user, namespace });
    if (a.incomplete) io.err(`Warning: the list may be incomplete: ${a.evaluationError ?? ""}`);
    else if (a.errors.length > 0)
      io.err(
        `Warning: some bindings name roles that do not exist: ${a.evaluationError ?? a.errors.join(", ")}`,
      );
    if (format === "json") printJson(io, a);
    else io.out(formatRulesTable(a, !flags.headers));
    return;
  }
  if (!flags.headers) throw new KubeiamError("USAGE", "--no-headers cannot be set without --list specified");
  if (args.length !== 2)
    throw new KubeiamError(
      "USAGE",
      "you must specify two arguments: verb resource or verb resource/resourceName.\nSee 'kubeiam rbac can-i -h' for help and examples.",
    );
  const target = parseTarget(args[0]!, args[1]!, {
    subresource: flags.subresource,
    namespace,
    allNamespaces: flags.allNamespaces === true,
  });
  warn(io, target.warnings);
  const source = await openSource(flags, io);
  const a = await source.canI({ user, request: target.request, explain: flags.explain === true });
  if (flags.quiet === true) {
    // kubectl's -q: only the exit code answers
  } else if (format === "json") printJson(io, a);
  else {
    const head = a.allowed ? "yes" : `no${a.reason !== "" ? ` - ${a.reason}` : ""}`;
    io.out(flags.explain === true ? `${head}\n${formatExplanation(a)}` : head);
  }
  if (!a.allowed) throw new CliExit(1);
}

export function registerRbacCommands(program: Command, io: CliIO): void {
  const rbac = program
    .command("rbac")
    .description(
      "RBAC questions: can-i, who-can, rules of a user, risky permissions (a folder, the state, or a server)",
    );

  withSourceOptions(
    rbac
      .command("can-i")
      .description(
        "whether a user may do something, like kubectl auth can-i: prints yes (exit 0) or no (exit 1)",
      )
      .argument("[verb]", "get, list, create, ... or * ")
      .argument(
        "[resource]",
        "TYPE (plural[.group] or a short name), TYPE/NAME, or a non-resource URL such as /healthz",
      )
      .argument("[extra...]")
      .option("--subresource <sub>", "a subresource, e.g. log or scale")
      .option("-n, --namespace <ns>", `the namespace of the request (default "${DEFAULT_NAMESPACE}")`)
      .option("-A, --all-namespaces", "ask about every namespace (the request carries no namespace)")
      .option(
        "--as <user>",
        "the user to answer for (required); system:serviceaccount:NS:NAME gets its groups",
      )
      .option(
        "--as-group <group>",
        "a group of the user (repeatable); replaces the service-account groups",
        collect,
        [],
      )
      .option("--as-uid <uid>", "the user's UID (RBAC does not use it)")
      .option("--list", "list every rule the user holds in the namespace (like SelfSubjectRulesReview)")
      .option("--no-headers", "with --list: no header row")
      .option("-q, --quiet", "print nothing; only the exit code answers")
      .option(
        "--explain",
        "also print the binding, role and rule that decided, or the nearest rule and what differs",
      ),
  ).action(
    async (verb: string | undefined, resource: string | undefined, extra: string[], flags: CanIFlags) => {
      await runCanI(io, verb, resource, extra, flags);
    },
  );

  withSourceOptions(
    rbac
      .command("who-can")
      .description(
        "which users, groups and service accounts may do something, with the bindings that grant it (like kubectl-who-can)",
      )
      .argument("<verb>", "get, list, create, ... or *")
      .argument("<resource>", "TYPE, TYPE/NAME or a non-resource URL")
      .option("--subresource <sub>", "a subresource, e.g. log or scale")
      .option(
        "-n, --namespace <ns>",
        `the namespace whose RoleBindings count (default "${DEFAULT_NAMESPACE}")`,
      )
      .option("-A, --all-namespaces", "count the RoleBindings of every namespace"),
  ).action(async (verb: string, resource: string, flags: WhoCanFlags) => {
    const format = parseOutputFormat(flags.output);
    const allNamespaces = flags.allNamespaces === true;
    const target = parseTarget(verb, resource, {
      subresource: flags.subresource,
      namespace: flags.namespace ?? DEFAULT_NAMESPACE,
      allNamespaces,
    });
    // A request for a cluster-scoped resource carries no namespace: only ClusterRoleBindings grant it.
    const request: RequestAttributes =
      target.request.resourceRequest && target.clusterScoped
        ? { ...target.request, namespace: "" }
        : target.request;
    warn(
      io,
      target.warnings.filter((w) => !w.includes("not namespace scoped")),
    );
    const source = await openSource(flags, io);
    const a = await source.whoCan({ request, allNamespaces });
    if (a.errors.length > 0)
      io.err(`Warning: some bindings name roles that do not exist: ${a.evaluationError ?? ""}`);
    if (format === "json") printJson(io, a);
    else io.out(formatWhoCan(a));
  });

  withSourceOptions(
    rbac
      .command("risks")
      .description(
        "subjects that can escalate, bind, impersonate, read secrets, exec, proxy nodes, create pods in kube-system, or hold wildcards",
      )
      .option("-n, --namespace <ns>", "only ClusterRoleBindings and this namespace's RoleBindings")
      .option("--include-defaults", "also show findings from Kubernetes' unchanged default policy"),
  ).action(async (flags: RisksFlags) => {
    const format = parseOutputFormat(flags.output);
    const source = await openSource(flags, io);
    const q: RisksQuery = {
      ...(flags.namespace !== undefined ? { namespace: flags.namespace } : {}),
      includeDefaults: flags.includeDefaults === true,
    };
    const a = await source.risks(q);
    for (const p of a.tenantProblems) io.err(`warning: Tenant ${p}; not used for grouping`);
    if (format === "json") printJson(io, a);
    else io.out(formatRisks(a));
  });
}
