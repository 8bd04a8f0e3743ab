/**
 * Shared RBAC shapes: normalised policy rules, subjects, role references, the user and the request
 * attributes an authorizer sees (kube-apiserver's authorizer.Attributes), and references to the
 * binding/role/rule that decided.
 */

export const RBAC_GROUP = "rbac.authorization.k8s.io";
export const RBAC_API_VERSION = `${RBAC_GROUP}/v1`;
/** Members of this group are allowed everything before RBAC is consulted (kube-apiserver's privileged-group authorizer). */
export const SYSTEM_MASTERS = "system:masters";
export const SERVICE_ACCOUNT_USER_PREFIX = "system:serviceaccount:";

/** A PolicyRule with every list present (missing lists become empty). Lists keep their order. */
export interface PolicyRule {
  readonly verbs: readonly string[];
  readonly apiGroups: readonly string[];
  readonly resources: readonly string[];
  readonly resourceNames: readonly string[];
  readonly nonResourceURLs: readonly string[];
}

export type SubjectKind = "User" | "Group" | "ServiceAccount";

export interface Subject {
  readonly kind: SubjectKind;
  readonly name: string;
  /** ServiceAccount only; "" when not given (a RoleBinding then means its own namespace). */
  readonly namespace: string;
  readonly apiGroup: string;
}

export type RoleKind = "Role" | "ClusterRole";
export type BindingKind = "RoleBinding" | "ClusterRoleBinding";

export interface RoleRef {
  readonly apiGroup: string;
  readonly kind: RoleKind;
  readonly name: string;
}

/** The authenticated user, as in a TokenReview/SubjectAccessReview. */
export interface UserInfo {
  readonly name: string;
  readonly uid?: string;
  readonly groups: readonly string[];
  readonly extra?: Readonly<Record<string, readonly string[]>>;
}

/** A request on an API resource (`/api/v1/namespaces/ns/pods/name/log`). Omitted strings mean "". */
export interface ResourceRequest {
  readonly resourceRequest: true;
  readonly verb: string;
  readonly namespace?: string;
  readonly apiGroup?: string;
  /** Only used for the Forbidden status's group-version; RBAC ignores it. */
  readonly apiVersion?: string;
  readonly resource: string;
  readonly subresource?: string;
  readonly name?: string;
}

/** A request on a path outside the resource tree (`/healthz`, `/metrics`, `/apis`). */
export interface NonResourceRequest {
  readonly resourceRequest: false;
  readonly verb: string;
  readonly path: string;
}

/** What is being asked, without who asks. */
export type RequestAttributes = ResourceRequest | NonResourceRequest;

/** Who asks for what: the input of `authorize`. */
export type Attributes = RequestAttributes & { readonly user: UserInfo };

export interface BindingRef {
  readonly kind: BindingKind;
  readonly name: string;
  /** RoleBinding only. */
  readonly namespace?: string;
}

export interface RoleObjectRef {
  readonly kind: RoleKind;
  readonly name: string;
  /** Role only (the binding's namespace). */
  readonly namespace?: string;
}

/** One rule reached through a binding: the provenance of an RBAC decision. */
export interface RuleSource {
  readonly binding: BindingRef;
  readonly role: RoleObjectRef;
  /** The binding's first subject that applies to the user (what kube-apiserver reports). */
  readonly subject: Subject;
  /** Position of the rule in the role's (effective, for aggregated ClusterRoles) rules. */
  readonly ruleIndex: number;
  readonly rule: PolicyRule;
}

/** A malformed or suspicious RBAC object. Errors make the object be skipped; warnings do not. */
export interface RbacProblem {
  readonly severity: "error" | "warning";
  readonly kind: string;
  readonly name: string;
  readonly namespace?: string;
  /** "field.path: message". */
  readonly message: string;
}

/** Fills the optional strings of a resource request. */
export interface NormalizedResourceRequest {
  readonly verb: string;
  readonly namespace: string;
  readonly apiGroup: string;
  readonly apiVersion: string;
  readonly resource: string;
  readonly subresource: string;
  readonly name: string;
}

export function normalizeResourceRequest(r: ResourceRequest): NormalizedResourceRequest {
  return {
    verb: r.verb,
    namespace: r.namespace ?? "",
    apiGroup: r.apiGroup ?? "",
    apiVersion: r.apiVersion ?? "",
    resource: r.resource,
    subresource: r.subresource ?? "",
    name: r.name ?? "",
  };
}

/** The namespace of a request ("" for cluster-scoped and non-resource requests). */
export function requestNamespace(a: RequestAttributes): string {
  return a.resourceRequest ? (a.namespace ?? "") : "";
}

export function serviceAccountUsername(namespace: string, name: string): string {
  return `${SERVICE_ACCOUNT_USER_PREFIX}${namespace}:${name}`;
}

export function emptyRule(): PolicyRule {
  return { verbs: [], apiGroups: [], resources: [], resourceNames: [], nonResourceURLs: [] };
}

/** Builds a normalised rule from partial lists (tests, bootstrap data, callers). */
export function policyRule(r: Partial<Record<keyof PolicyRule, readonly string[]>>): PolicyRule {
  return {
    verbs: r.verbs ?? [],
    apiGroups: r.apiGroups ?? [],
    resources: r.resources ?? [],
    resourceNames: r.resourceNames ?? [],
    nonResourceURLs: r.nonResourceURLs ?? [],
  };
}

/** The wire shape of a rule: empty lists omitted, as the Kubernetes API serialises it. */
export function ruleToWire(r: PolicyRule): Record<string, string[]> {
  const out: Record<string, string[]> = { verbs: [...r.verbs] };
  if (r.apiGroups.length > 0) out.apiGroups = [...r.apiGroups];
  if (r.resources.length > 0) out.resources = [...r.resources];
  if (r.resourceNames.length > 0) out.resourceNames = [...r.resourceNames];
  if (r.nonResourceURLs.length > 0) out.nonResourceURLs = [...r.nonResourceURLs];
  return out;
}

/** Semantic equality of rules (kube's equality.Semantic: same lists in the same order; missing = empty). */
export function rulesEqual(a: PolicyRule, b: PolicyRule): boolean {
  return (
    listEqual(a.verbs, b.verbs) &&
    listEqual(a.apiGroups, b.apiGroups) &&
    listEqual(a.resources, b.resources) &&
    listEqual(a.resourceNames, b.resourceNames) &&
    listEqual(a.nonResourceURLs, b.nonResourceURLs)
  );
}

function listEqual(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
