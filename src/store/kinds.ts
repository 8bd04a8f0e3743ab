/**
 * The kinds kubeiam knows: scope and a light structural check. Unknown kinds in the object directory
 * are reported and skipped. Capabilities add a `validate` for the kinds they own.
 */
import type { KubeObject } from "./types.js";
import { KUBEIAM_API_VERSION } from "./types.js";

export interface KindInfo {
  /** apiVersions accepted for the kind (the first is the preferred one). */
  apiVersions: readonly string[];
  namespaced: boolean;
  /** Returns problems as "field.path: message"; empty when valid. */
  validate?: (obj: KubeObject) => string[];
}

const requireObject = (field: string) => (obj: KubeObject) => {
  const v = obj[field];
  return v === undefined || (typeof v === "object" && v !== null && !Array.isArray(v)) ? [] : [`${field}: expected a mapping`];
};

const specRequired = (obj: KubeObject): string[] =>
  typeof obj.spec === "object" && obj.spec !== null && !Array.isArray(obj.spec) ? [] : ["spec: expected a mapping, found " + (obj.spec === undefined ? "nothing" : typeof obj.spec)];

const k = (apiVersions: string[], namespaced: boolean, validate?: (o: KubeObject) => string[]): KindInfo =>
  validate ? { apiVersions, namespaced, validate } : { apiVersions, namespaced };

const KIND_TABLE: Record<string, KindInfo> = {
  Namespace: k(["v1"], false),
  ServiceAccount: k(["v1"], true),
  Pod: k(["v1"], true, requireObject("spec")),
  Secret: k(["v1"], true, requireObject("data")),
  ConfigMap: k(["v1"], true, requireObject("data")),
  Service: k(["v1"], true, requireObject("spec")),
  Node: k(["v1"], false),
  ReplicationController: k(["v1"], true),
  PodTemplate: k(["v1"], true),
  ResourceQuota: k(["v1"], true),
  LimitRange: k(["v1"], true),
  Role: k(["rbac.authorization.k8s.io/v1"], true),
  ClusterRole: k(["rbac.authorization.k8s.io/v1"], false),
  RoleBinding: k(["rbac.authorization.k8s.io/v1"], true),
  ClusterRoleBinding: k(["rbac.authorization.k8s.io/v1"], false),
  Deployment: k(["apps/v1"], true),
  ReplicaSet: k(["apps/v1"], true),
  StatefulSet: k(["apps/v1"], true),
  DaemonSet: k(["apps/v1"], true),
  Job: k(["batch/v1"], true),
  CronJob: k(["batch/v1"], true),
  NetworkPolicy: k(["networking.k8s.io/v1"], true),
  Ingress: k(["networking.k8s.io/v1"], true),
  MutatingWebhookConfiguration: k(["admissionregistration.k8s.io/v1"], false),
  ValidatingWebhookConfiguration: k(["admissionregistration.k8s.io/v1"], false),
  // kubeiam kinds (CRDs in cluster mode)
  OIDCProvider: k([KUBEIAM_API_VERSION], false, specRequired),
  IAMRole: k([KUBEIAM_API_VERSION], false, specRequired),
  IAMUser: k([KUBEIAM_API_VERSION], false, specRequired),
  IAMPolicy: k([KUBEIAM_API_VERSION], false, specRequired),
  AccessEntry: k([KUBEIAM_API_VERSION], false, specRequired),
  Tenant: k([KUBEIAM_API_VERSION], false, specRequired),
};

export const KINDS: Readonly<Record<string, KindInfo>> = KIND_TABLE;

/**
 * Lets a capability add the validation of a kind it owns (called once by the composition root,
 * src/kinds-setup.ts), so the store does not import capabilities.
 */
export function extendKindValidation(kind: string, validate: (obj: KubeObject) => string[]): void {
  const info = KIND_TABLE[kind];
  if (!info) throw new Error(`extendKindValidation: unknown kind ${kind}`);
  const base = info.validate;
  KIND_TABLE[kind] = { ...info, validate: (o) => [...(base?.(o) ?? []), ...validate(o)] };
}

const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
/** RBAC objects and some kubeiam kinds allow names like "system:aggregate-to-admin" or IAM names. */
const PATH_SEGMENT_NAME = /^(?!\.\.?$)[^/%\\]+$/;
const LOOSE_NAME_KINDS = new Set(["Role", "ClusterRole", "RoleBinding", "ClusterRoleBinding", "IAMRole", "IAMUser", "IAMPolicy", "OIDCProvider", "AccessEntry"]);

/**
 * Checks an object's envelope (apiVersion, kind, metadata) and its kind's validator. Returns the
 * normalised object (namespace defaulted to "default" for namespaced kinds, removed for cluster ones)
 * or the problems.
 */
export function checkObject(value: unknown): { ok: true; object: KubeObject } | { ok: false; problems: string[]; unknownKind?: string } {
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    return { ok: false, problems: ["expected a Kubernetes object (a mapping with apiVersion, kind, metadata)"] };
  }
  const o = value as Record<string, unknown>;
  const problems: string[] = [];
  if (typeof o.apiVersion !== "string" || o.apiVersion === "") problems.push("apiVersion: expected a string");
  if (typeof o.kind !== "string" || o.kind === "") problems.push("kind: expected a string");
  const meta = o.metadata;
  if (meta === null || typeof meta !== "object" || Array.isArray(meta)) problems.push("metadata: expected a mapping");
  if (problems.length > 0) return { ok: false, problems };
  const kind = o.kind as string;
  const info = KINDS[kind];
  if (!info) return { ok: false, problems: [`kind: unknown kind "${kind}"`], unknownKind: kind };
  if (!info.apiVersions.includes(o.apiVersion as string)) {
    problems.push(`apiVersion: expected ${info.apiVersions.join(" or ")} for kind ${kind}, found "${String(o.apiVersion)}"`);
  }
  const m = meta as Record<string, unknown>;
  const name = m.name;
  if (typeof name !== "string" || name === "") problems.push("metadata.name: expected a non-empty string");
  else if (name.length > 253) problems.push("metadata.name: longer than 253 characters");
  else if (!(LOOSE_NAME_KINDS.has(kind) ? PATH_SEGMENT_NAME.test(name) : DNS_SUBDOMAIN.test(name))) {
    problems.push(`metadata.name: "${name}" is not a valid name for ${kind}`);
  }
  let namespace: string | undefined;
  if (m.namespace !== undefined) {
    if (typeof m.namespace !== "string" || !DNS_LABEL.test(m.namespace)) problems.push("metadata.namespace: expected a DNS label");
    else namespace = m.namespace;
  }
  for (const f of ["labels", "annotations"] as const) {
    const v = m[f];
    if (v === undefined) continue;
    if (v === null || typeof v !== "object" || Array.isArray(v) || Object.values(v).some((x) => typeof x !== "string")) {
      problems.push(`metadata.${f}: expected a mapping of strings`);
    }
  }
  if (problems.length > 0) return { ok: false, problems };
  const obj = { ...o, metadata: { ...m } } as KubeObject;
  if (info.namespaced) obj.metadata.namespace = namespace ?? "default";
  else delete obj.metadata.namespace;
  const more = info.validate?.(obj) ?? [];
  if (more.length > 0) return { ok: false, problems: more };
  return { ok: true, object: obj };
}

export function isNamespaced(kind: string): boolean {
  return KINDS[kind]?.namespaced ?? true;
}
