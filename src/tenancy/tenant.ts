/**
 * The Tenant kind (kubeiam.io/v1alpha1, cluster-scoped): strict parsing into a resolved model with
 * defaults, and `validateTenant` returning "field.path: problem" lines. The resolver (which tenant
 * owns a namespace, is a user an owner) is in tenant-index.ts and re-exported here.
 */
import { KubeiamError } from "../lib/errors.js";
import {
  isPodSecurityLevel,
  tryParseVersion,
  type PodSecurityLevel,
} from "../admission/pod-security/level-version.js";
import { KUBEIAM_API_VERSION } from "../store/types.js";
import { parseCidr, type Cidr } from "./lib/cidr.js";
import { parseLabelSelector, type LabelSelector } from "./lib/label-selector.js";
import { iamArnProblem } from "./lib/subjects.js";
import { describeType, isDnsLabel, isRecord, labelKeyProblem, labelValueProblem } from "./lib/values.js";
import {
  ENFORCEMENT_ACTIONS,
  isTenantRuleId,
  TENANT_RULE_IDS,
  type EnforcementAction,
  type TenantRuleId,
} from "./rules.js";

export { TenantIndex, type NamespaceOwner, type TenantConflict } from "./tenant-index.js";

export const SERVICE_TYPES = ["ClusterIP", "NodePort", "LoadBalancer", "ExternalName"] as const;
export type ServiceType = (typeof SERVICE_TYPES)[number];

export type McsMode = "Disabled" | "PerPod";
export const MCS_MODES: readonly McsMode[] = ["Disabled", "PerPod"];

export type TaintEffect = "NoSchedule" | "NoExecute";

/** Label put on every namespace and pod of a tenant (by `tenant render` and the mutating webhook). */
export const TENANT_LABEL = "kubeiam.io/tenant";

/** Namespaces no tenant may claim. */
export const RESERVED_NAMESPACES: readonly string[] = [
  "kube-system",
  "kube-public",
  "kube-node-lease",
  "default",
  "kubeiam",
];

export interface TenantNamespaces {
  readonly names: readonly string[];
  readonly prefix?: string;
  readonly selector?: LabelSelector;
}

export interface TenantOwners {
  readonly users: readonly string[];
  readonly groups: readonly string[];
  readonly iamArns: readonly string[];
}

export interface NodeIsolation {
  readonly key: string;
  readonly value: string;
  /** Pods must tolerate the `key=value:effect` taint of the tenant's nodes. */
  readonly taint: boolean;
  readonly effect: TaintEffect;
  /** Pods must select nodes labelled `key=value`. */
  readonly nodeSelector: boolean;
}

export interface HostPathAllowance {
  /** Allowed path prefix, matched per path segment (`/var/log` allows `/var/log/app`, not `/var/logs`). */
  readonly pathPrefix: string;
}

export interface LimitRangeItem {
  readonly type: "Container" | "Pod" | "PersistentVolumeClaim";
  readonly default?: Readonly<Record<string, string>>;
  readonly defaultRequest?: Readonly<Record<string, string>>;
  readonly max?: Readonly<Record<string, string>>;
  readonly min?: Readonly<Record<string, string>>;
  readonly maxLimitRequestRatio?: Readonly<Record<string, string>>;
}

export interface Tenant {
  readonly name: string;
  readonly namespaces: TenantNamespaces;
  readonly owners: TenantOwners;
  readonly nodeIsolation?: NodeIsolation;
  readonly podSecurity: { readonly level: PodSecurityLevel; readonly version: string };
  readonly services: {
    readonly allowedTypes: readonly ServiceType[];
    readonly externalIPs: { readonly allowed: readonly Cidr[] };
  };
  /** Empty: hostPath volumes are denied. Otherwise read-only mounts under these prefixes are allowed. */
  readonly hostPaths: { readonly allowed: readonly HostPathAllowance[] };
  /** Capabilities containers may add (upper case, without CAP_). */
  readonly capabilities: { readonly allowedAdd: readonly string[] };
  readonly seLinux: { readonly mcs: McsMode };
  readonly networkIsolation: boolean;
  /** ResourceQuota `spec.hard` for each namespace; empty means no quota is generated. */
  readonly resourceQuota: { readonly hard: Readonly<Record<string, string>> };
  /** LimitRange `spec.limits` for each namespace; empty means none is generated. */
  readonly limitRange: { readonly limits: readonly LimitRangeItem[] };
  readonly enforcement: {
    readonly action: EnforcementAction;
    readonly overrides: Readonly<Partial<Record<TenantRuleId, EnforcementAction>>>;
  };
}

/** Applied when `spec.resourceQuota` is omitted (covers CPU, memory, storage and object counts, as MTB asks). */
export const DEFAULT_RESOURCE_QUOTA: Readonly<Record<string, string>> = {
  "requests.cpu": "8",
  "limits.cpu": "16",
  "requests.memory": "16Gi",
  "limits.memory": "32Gi",
  "requests.storage": "200Gi",
  persistentvolumeclaims: "20",
  pods: "100",
  services: "20",
  secrets: "100",
  configmaps: "100",
};

/** Applied when `spec.limitRange` is omitted. */
export const DEFAULT_LIMIT_RANGE: readonly LimitRangeItem[] = [
  {
    type: "Container",
    default: { cpu: "500m", memory: "512Mi" },
    defaultRequest: { cpu: "100m", memory: "128Mi" },
  },
];

const QUANTITY = /^[+-]?(\d+(\.\d*)?|\.\d+)(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E|[eE][+-]?\d+)?$/;
const RESOURCE_NAME = /^[A-Za-z0-9]([-A-Za-z0-9_./]*[A-Za-z0-9])?$/;
const CAPABILITY = /^[A-Z][A-Z0-9_]*$/;
const PREFIX = /^[a-z0-9][-a-z0-9]*$/;

/** `NET_ADMIN`, `net_admin` and `CAP_NET_ADMIN` all name the same capability. */
export function normaliseCapability(c: string): string {
  const u = c.toUpperCase();
  return u.startsWith("CAP_") ? u.slice(4) : u;
}

type Problems = string[];

function unknownFields(
  v: Record<string, unknown>,
  path: string,
  known: readonly string[],
  problems: Problems,
): void {
  for (const k of Object.keys(v))
    if (!known.includes(k)) problems.push(`${path}.${k}: unknown field (known: ${known.join(", ")})`);
}

function mapping(v: unknown, path: string, problems: Problems): Record<string, unknown> | undefined {
  if (v === undefined) return undefined;
  if (!isRecord(v)) {
    problems.push(`${path}: expected a mapping, found ${describeType(v)}`);
    return undefined;
  }
  return v;
}

function stringList(
  v: unknown,
  path: string,
  problems: Problems,
  check?: (s: string) => string | undefined,
): string[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) {
    problems.push(`${path}: expected a list of strings, found ${describeType(v)}`);
    return [];
  }
  const out: string[] = [];
  const seen = new Set<string>();
  v.forEach((x: unknown, i) => {
    if (typeof x !== "string" || x === "") {
      problems.push(
        `${path}[${i}]: expected a non-empty string, found ${typeof x === "string" ? "an empty string" : describeType(x)}`,
      );
      return;
    }
    const p = check?.(x);
    if (p !== undefined) problems.push(`${path}[${i}]: ${p}`);
    else if (seen.has(x)) problems.push(`${path}[${i}]: duplicate "${x}"`);
    else {
      seen.add(x);
      out.push(x);
    }
  });
  return out;
}

function bool(v: unknown, path: string, dflt: boolean, problems: Problems): boolean {
  if (v === undefined) return dflt;
  if (typeof v !== "boolean") {
    problems.push(`${path}: expected true or false, found ${describeType(v)}`);
    return dflt;
  }
  return v;
}

function oneOf<T extends string>(
  v: unknown,
  path: string,
  allowed: readonly T[],
  dflt: T,
  problems: Problems,
): T {
  if (v === undefined) return dflt;
  if (typeof v !== "string" || !(allowed as readonly string[]).includes(v)) {
    problems.push(
      `${path}: expected one of ${allowed.join(", ")}, found ${typeof v === "string" ? JSON.stringify(v) : describeType(v)}`,
    );
    return dflt;
  }
  return v as T;
}

function quantityMap(v: unknown, path: string, problems: Problems): Record<string, string> | undefined {
  const m = mapping(v, path, problems);
  if (!m) return undefined;
  const out: Record<string, string> = {};
  for (const [k, q] of Object.entries(m)) {
    if (!RESOURCE_NAME.test(k)) problems.push(`${path}[${k}]: not a valid resource name`);
    const text = typeof q === "number" && Number.isFinite(q) && q >= 0 ? String(q) : q;
    if (typeof text !== "string" || !QUANTITY.test(text))
      problems.push(
        `${path}[${k}]: expected a quantity such as 500m, 2, 4Gi, found ${typeof q === "string" ? JSON.stringify(q) : describeType(q)}`,
      );
    else if (text.startsWith("-")) problems.push(`${path}[${k}]: must not be negative`);
    else out[k] = text;
  }
  return out;
}

function parseNamespaces(v: unknown, problems: Problems): TenantNamespaces {
  const path = "spec.namespaces";
  if (v === undefined) {
    problems.push(`${path}: required (names, prefix or selector)`);
    return { names: [] };
  }
  const m = mapping(v, path, problems);
  if (!m) return { names: [] };
  unknownFields(m, path, ["names", "prefix", "selector"], problems);
  const names = stringList(m.names, `${path}.names`, problems, (s) =>
    !isDnsLabel(s)
      ? `"${s}" is not a valid namespace name (a DNS label: lower case alphanumerics and '-', at most 63 characters)`
      : RESERVED_NAMESPACES.includes(s)
        ? `"${s}" is reserved and cannot belong to a tenant`
        : undefined,
  );
  let prefix: string | undefined;
  if (m.prefix !== undefined) {
    if (typeof m.prefix !== "string" || !PREFIX.test(m.prefix) || m.prefix.length > 62) {
      problems.push(
        `${path}.prefix: expected the start of a namespace name (lower case alphanumerics and '-', at most 62 characters), found ${typeof m.prefix === "string" ? JSON.stringify(m.prefix) : describeType(m.prefix)}`,
      );
    } else if (
      m.prefix.length < 2 ||
      "kube-".startsWith(m.prefix) ||
      m.prefix.startsWith("kube-") ||
      RESERVED_NAMESPACES.some((r) => r.startsWith(m.prefix as string))
    ) {
      problems.push(
        `${path}.prefix: "${m.prefix}" would claim a reserved namespace (${RESERVED_NAMESPACES.join(", ")}) or is shorter than 2 characters`,
      );
    } else prefix = m.prefix;
  }
  let selector: LabelSelector | undefined;
  if (m.selector !== undefined) {
    selector = parseLabelSelector(m.selector, `${path}.selector`, problems);
    if (
      selector &&
      Object.keys(selector.matchLabels).length === 0 &&
      selector.matchExpressions.length === 0
    ) {
      problems.push(`${path}.selector: an empty selector would claim every namespace`);
      selector = undefined;
    }
  }
  if (
    names.length === 0 &&
    prefix === undefined &&
    m.selector === undefined &&
    problems.every((p) => !p.startsWith(path))
  ) {
    problems.push(`${path}: give at least one of names, prefix or selector`);
  }
  const out: { names: string[]; prefix?: string; selector?: LabelSelector } = { names };
  if (prefix !== undefined) out.prefix = prefix;
  if (selector) out.selector = selector;
  return out;
}

function parseOwners(v: unknown, problems: Problems): TenantOwners {
  const path = "spec.owners";
  const m = mapping(v, path, problems);
  if (v === undefined) problems.push(`${path}: required (users, groups or iamArns)`);
  if (!m) return { users: [], groups: [], iamArns: [] };
  unknownFields(m, path, ["users", "groups", "iamArns"], problems);
  const users = stringList(m.users, `${path}.users`, problems);
  const groups = stringList(m.groups, `${path}.groups`, problems, (g) =>
    g === "system:authenticated" ||
    g === "system:unauthenticated" ||
    g === "system:masters" ||
    g === "system:serviceaccounts"
      ? `"${g}" is a system group and cannot own a tenant`
      : undefined,
  );
  const iamArns = stringList(m.iamArns, `${path}.iamArns`, problems, iamArnProblem);
  if (users.length + groups.length + iamArns.length === 0 && problems.every((p) => !p.startsWith(path)))
    problems.push(`${path}: give at least one user, group or IAM ARN`);
  return { users, groups, iamArns };
}

function parseNodeIsolation(v: unknown, problems: Problems): NodeIsolation | undefined {
  const path = "spec.nodeIsolation";
  const m = mapping(v, path, problems);
  if (!m) return undefined;
  unknownFields(m, path, ["key", "value", "taint", "nodeSelector", "effect"], problems);
  const before = problems.length;
  if (typeof m.key !== "string")
    problems.push(`${path}.key: required, a label and taint key such as kubeiam.io/tenant`);
  else {
    const p = labelKeyProblem(m.key);
    if (p) problems.push(`${path}.key: invalid key: ${p}`);
  }
  if (typeof m.value !== "string" || m.value === "")
    problems.push(`${path}.value: required, a non-empty label value`);
  else {
    const p = labelValueProblem(m.value);
    if (p) problems.push(`${path}.value: invalid value: ${p}`);
  }
  const taint = bool(m.taint, `${path}.taint`, true, problems);
  const nodeSelector = bool(m.nodeSelector, `${path}.nodeSelector`, true, problems);
  const effect = oneOf<TaintEffect>(
    m.effect,
    `${path}.effect`,
    ["NoSchedule", "NoExecute"],
    "NoSchedule",
    problems,
  );
  if (!taint && !nodeSelector) problems.push(`${path}: at least one of taint and nodeSelector must be true`);
  if (problems.length > before) return undefined;
  return { key: m.key as string, value: m.value as string, taint, effect, nodeSelector };
}

function parsePodSecurity(v: unknown, problems: Problems): Tenant["podSecurity"] {
  const path = "spec.podSecurity";
  const m = mapping(v, path, problems);
  const out = { level: "restricted" as PodSecurityLevel, version: "latest" };
  if (!m) return out;
  unknownFields(m, path, ["level", "version"], problems);
  if (m.level !== undefined) {
    if (isPodSecurityLevel(m.level)) out.level = m.level;
    else
      problems.push(
        `${path}.level: expected one of privileged, baseline, restricted, found ${typeof m.level === "string" ? JSON.stringify(m.level) : describeType(m.level)}`,
      );
  }
  if (m.version !== undefined) {
    if (typeof m.version === "string" && tryParseVersion(m.version) !== undefined) out.version = m.version;
    else
      problems.push(
        `${path}.version: expected "latest" or "v1.N", found ${typeof m.version === "string" ? JSON.stringify(m.version) : describeType(m.version)}`,
      );
  }
  return out;
}

function parseServices(v: unknown, problems: Problems): Tenant["services"] {
  const path = "spec.services";
  const m = mapping(v, path, problems);
  const out: { allowedTypes: ServiceType[]; externalIPs: { allowed: Cidr[] } } = {
    allowedTypes: ["ClusterIP"],
    externalIPs: { allowed: [] },
  };
  if (!m) return out;
  unknownFields(m, path, ["allowedTypes", "externalIPs"], problems);
  if (m.allowedTypes !== undefined) {
    out.allowedTypes = stringList(m.allowedTypes, `${path}.allowedTypes`, problems, (s) =>
      (SERVICE_TYPES as readonly string[]).includes(s)
        ? undefined
        : `expected one of ${SERVICE_TYPES.join(", ")}, found "${s}"`,
    ) as ServiceType[];
  }
  const ext = mapping(m.externalIPs, `${path}.externalIPs`, problems);
  if (ext) {
    unknownFields(ext, `${path}.externalIPs`, ["allowed"], problems);
    const texts = stringList(ext.allowed, `${path}.externalIPs.allowed`, problems, (s) => {
      const c = parseCidr(s);
      return typeof c === "string" ? c : undefined;
    });
    out.externalIPs.allowed = texts.map((t) => parseCidr(t) as Cidr);
  }
  return out;
}

function parseHostPaths(v: unknown, problems: Problems): Tenant["hostPaths"] {
  const path = "spec.hostPaths";
  const m = mapping(v, path, problems);
  if (!m) return { allowed: [] };
  unknownFields(m, path, ["allowed"], problems);
  const allowed: HostPathAllowance[] = [];
  if (m.allowed === undefined || m.allowed === null) return { allowed };
  if (!Array.isArray(m.allowed)) {
    problems.push(
      `${path}.allowed: expected a list of {pathPrefix} entries, found ${describeType(m.allowed)}`,
    );
    return { allowed };
  }
  m.allowed.forEach((e: unknown, i) => {
    const p = `${path}.allowed[${i}]`;
    if (!isRecord(e)) {
      problems.push(`${p}: expected a mapping with pathPrefix, found ${describeType(e)}`);
      return;
    }
    unknownFields(e, p, ["pathPrefix", "readOnly"], problems);
    if (e.readOnly !== undefined && e.readOnly !== true)
      problems.push(`${p}.readOnly: host paths can only be allowed read-only (true or omitted)`);
    const pp = e.pathPrefix;
    if (typeof pp !== "string" || !pp.startsWith("/") || pp.includes("\0") || pp.split("/").includes("..")) {
      problems.push(
        `${p}.pathPrefix: expected an absolute path without "..", found ${typeof pp === "string" ? JSON.stringify(pp) : describeType(pp)}`,
      );
      return;
    }
    if (pp === "/") {
      problems.push(`${p}.pathPrefix: "/" would allow the whole host filesystem`);
      return;
    }
    allowed.push({ pathPrefix: pp.length > 1 ? pp.replace(/\/+$/, "") : pp });
  });
  return { allowed };
}

function parseCapabilities(v: unknown, problems: Problems): Tenant["capabilities"] {
  const path = "spec.capabilities";
  const m = mapping(v, path, problems);
  if (!m) return { allowedAdd: [] };
  unknownFields(m, path, ["allowedAdd"], problems);
  const raw = stringList(m.allowedAdd, `${path}.allowedAdd`, problems, (s) =>
    CAPABILITY.test(normaliseCapability(s))
      ? undefined
      : `"${s}" is not a capability name such as NET_BIND_SERVICE`,
  );
  return { allowedAdd: [...new Set(raw.map(normaliseCapability))] };
}

function parseLimitRange(v: unknown, problems: Problems): Tenant["limitRange"] {
  const path = "spec.limitRange";
  const m = mapping(v, path, problems);
  if (!m) return { limits: DEFAULT_LIMIT_RANGE };
  unknownFields(m, path, ["limits"], problems);
  if (m.limits === undefined || m.limits === null) return { limits: [] };
  if (!Array.isArray(m.limits)) {
    problems.push(`${path}.limits: expected a list, found ${describeType(m.limits)}`);
    return { limits: [] };
  }
  const limits: LimitRangeItem[] = [];
  m.limits.forEach((e: unknown, i) => {
    const p = `${path}.limits[${i}]`;
    if (!isRecord(e)) {
      problems.push(`${p}: expected a mapping, found ${describeType(e)}`);
      return;
    }
    const fields = ["default", "defaultRequest", "max", "min", "maxLimitRequestRatio"] as const;
    unknownFields(e, p, ["type", ...fields], problems);
    const type = oneOf(
      e.type,
      `${p}.type`,
      ["Container", "Pod", "PersistentVolumeClaim"] as const,
      "Container",
      problems,
    );
    if (e.type === undefined) problems.push(`${p}.type: required (Container, Pod or PersistentVolumeClaim)`);
    const item: { type: LimitRangeItem["type"] } & Partial<
      Record<(typeof fields)[number], Record<string, string>>
    > = { type };
    for (const f of fields) {
      const q = quantityMap(e[f], `${p}.${f}`, problems);
      if (q) item[f] = q;
    }
    limits.push(item);
  });
  return { limits };
}

function parseEnforcement(v: unknown, problems: Problems): Tenant["enforcement"] {
  const path = "spec.enforcement";
  const m = mapping(v, path, problems);
  if (!m) return { action: "Deny", overrides: {} };
  unknownFields(m, path, ["action", "overrides"], problems);
  const action = oneOf(m.action, `${path}.action`, ENFORCEMENT_ACTIONS, "Deny", problems);
  const overrides: Partial<Record<TenantRuleId, EnforcementAction>> = {};
  const o = mapping(m.overrides, `${path}.overrides`, problems);
  for (const [k, a] of Object.entries(o ?? {})) {
    if (!isTenantRuleId(k)) {
      problems.push(`${path}.overrides.${k}: unknown rule (known: ${TENANT_RULE_IDS.join(", ")})`);
      continue;
    }
    overrides[k] = oneOf(a, `${path}.overrides.${k}`, ENFORCEMENT_ACTIONS, "Deny", problems);
  }
  return { action, overrides };
}

const SPEC_FIELDS = [
  "namespaces",
  "owners",
  "nodeIsolation",
  "podSecurity",
  "services",
  "hostPaths",
  "capabilities",
  "seLinux",
  "networkIsolation",
  "resourceQuota",
  "limitRange",
  "enforcement",
] as const;

export interface TenantParseResult {
  /** Set when there are no problems. */
  readonly tenant?: Tenant;
  readonly problems: readonly string[];
}

/** Parses a Tenant object strictly, applying defaults; `problems` are "field.path: message" lines. */
export function parseTenant(obj: unknown): TenantParseResult {
  const problems: Problems = [];
  if (!isRecord(obj))
    return { problems: [`expected a Tenant object (a mapping), found ${describeType(obj)}`] };
  if (obj.apiVersion !== KUBEIAM_API_VERSION)
    problems.push(
      `apiVersion: expected ${KUBEIAM_API_VERSION}, found ${typeof obj.apiVersion === "string" ? JSON.stringify(obj.apiVersion) : describeType(obj.apiVersion)}`,
    );
  if (obj.kind !== "Tenant")
    problems.push(
      `kind: expected Tenant, found ${typeof obj.kind === "string" ? JSON.stringify(obj.kind) : describeType(obj.kind)}`,
    );
  const meta = isRecord(obj.metadata) ? obj.metadata : undefined;
  if (!meta) problems.push(`metadata: expected a mapping, found ${describeType(obj.metadata)}`);
  const name = meta?.name;
  if (meta && (typeof name !== "string" || !isDnsLabel(name))) {
    problems.push(
      `metadata.name: expected a DNS label (lower case alphanumerics and '-', at most 63 characters; it becomes a label value and a name prefix), found ${typeof name === "string" ? JSON.stringify(name) : describeType(name)}`,
    );
  }
  if (meta?.namespace !== undefined)
    problems.push("metadata.namespace: Tenant is cluster-scoped; remove the namespace");
  for (const k of Object.keys(obj))
    if (!["apiVersion", "kind", "metadata", "spec", "status"].includes(k))
      problems.push(`${k}: unknown field`);
  const spec = isRecord(obj.spec) ? obj.spec : undefined;
  if (!spec) {
    problems.push(`spec: expected a mapping, found ${describeType(obj.spec)}`);
    return { problems };
  }
  unknownFields(spec, "spec", SPEC_FIELDS, problems);

  const namespaces = parseNamespaces(spec.namespaces, problems);
  const owners = parseOwners(spec.owners, problems);
  const nodeIsolation = parseNodeIsolation(spec.nodeIsolation, problems);
  const podSecurity = parsePodSecurity(spec.podSecurity, problems);
  const services = parseServices(spec.services, problems);
  const hostPaths = parseHostPaths(spec.hostPaths, problems);
  const capabilities = parseCapabilities(spec.capabilities, problems);
  const seLinuxM = mapping(spec.seLinux, "spec.seLinux", problems);
  if (seLinuxM) unknownFields(seLinuxM, "spec.seLinux", ["mcs"], problems);
  const seLinux = { mcs: oneOf(seLinuxM?.mcs, "spec.seLinux.mcs", MCS_MODES, "Disabled", problems) };
  const networkIsolation = bool(spec.networkIsolation, "spec.networkIsolation", true, problems);
  const rq = mapping(spec.resourceQuota, "spec.resourceQuota", problems);
  if (rq) unknownFields(rq, "spec.resourceQuota", ["hard"], problems);
  const hard = rq
    ? (quantityMap(rq.hard, "spec.resourceQuota.hard", problems) ?? {})
    : DEFAULT_RESOURCE_QUOTA;
  const limitRange = parseLimitRange(spec.limitRange, problems);
  const enforcement = parseEnforcement(spec.enforcement, problems);

  if (problems.length > 0) return { problems };
  const tenant: Tenant = {
    name: name as string,
    namespaces,
    owners,
    ...(nodeIsolation ? { nodeIsolation } : {}),
    podSecurity,
    services,
    hostPaths,
    capabilities,
    seLinux,
    networkIsolation,
    resourceQuota: { hard },
    limitRange,
    enforcement,
  };
  return { tenant, problems };
}

/** The problems of a Tenant object as "field.path: message" lines; empty when valid. */
export function validateTenant(obj: unknown): string[] {
  return [...parseTenant(obj).problems];
}

/** Parses a Tenant or throws STORE_OBJECT_INVALID listing every problem. */
export function tenantFromObject(obj: unknown): Tenant {
  const r = parseTenant(obj);
  if (r.tenant) return r.tenant;
  const name =
    isRecord(obj) && isRecord(obj.metadata) && typeof obj.metadata.name === "string"
      ? obj.metadata.name
      : "?";
  throw new KubeiamError(
    "STORE_OBJECT_INVALID",
    `Tenant "${name}" is invalid:\n  ${r.problems.join("\n  ")}`,
    { kind: "Tenant", name, problems: r.problems },
  );
}

/** The enforcement action of one rule for a tenant. */
export function ruleAction(t: Tenant, rule: TenantRuleId): EnforcementAction {
  return t.enforcement.overrides[rule] ?? t.enforcement.action;
}
