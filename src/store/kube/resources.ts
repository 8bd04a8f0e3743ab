/**
 * Where each kind kubeiam knows lives in the Kubernetes API: group, version, plural resource name
 * and scope, and the REST paths built from them. Pure: no I/O.
 *
 *   resourceFor("ClusterRole")      → rbac.authorization.k8s.io/v1 clusterroles (cluster-scoped)
 *   collectionPath(pods, "team-a")  → /api/v1/namespaces/team-a/pods
 *   objectPath(iamroles, "admin")   → /apis/kubeiam.io/v1alpha1/iamroles/admin
 */
import { KubeiamError } from "../../lib/errors.js";
import { KINDS } from "../kinds.js";
import { groupOf } from "../types.js";

export interface ResourceInfo {
  kind: string;
  /** "" for the core group. */
  group: string;
  version: string;
  /** group/version, or the version alone for the core group ("v1"). */
  apiVersion: string;
  /** The lower-case plural used in paths ("networkpolicies"). */
  plural: string;
  namespaced: boolean;
}

/**
 * Plural resource names. Kubernetes does not derive them mechanically in every case
 * ("ingresses", "networkpolicies", "accessentries"), so they are listed; a kind added to
 * src/store/kinds.ts without a plural here fails the unit test.
 */
const PLURALS: Readonly<Record<string, string>> = {
  Namespace: "namespaces",
  ServiceAccount: "serviceaccounts",
  Pod: "pods",
  Secret: "secrets",
  ConfigMap: "configmaps",
  Service: "services",
  Node: "nodes",
  ReplicationController: "replicationcontrollers",
  PodTemplate: "podtemplates",
  ResourceQuota: "resourcequotas",
  LimitRange: "limitranges",
  Role: "roles",
  ClusterRole: "clusterroles",
  RoleBinding: "rolebindings",
  ClusterRoleBinding: "clusterrolebindings",
  Deployment: "deployments",
  ReplicaSet: "replicasets",
  StatefulSet: "statefulsets",
  DaemonSet: "daemonsets",
  Job: "jobs",
  CronJob: "cronjobs",
  NetworkPolicy: "networkpolicies",
  Ingress: "ingresses",
  MutatingWebhookConfiguration: "mutatingwebhookconfigurations",
  ValidatingWebhookConfiguration: "validatingwebhookconfigurations",
  OIDCProvider: "oidcproviders",
  IAMRole: "iamroles",
  IAMUser: "iamusers",
  IAMPolicy: "iampolicies",
  AccessEntry: "accessentries",
  Tenant: "tenants",
};

/** The plural for a kind, or undefined when kubeiam has none. */
export function pluralOf(kind: string): string | undefined {
  return Object.hasOwn(PLURALS, kind) ? PLURALS[kind] : undefined;
}

/** The API resource of a kind kubeiam knows; STORE_UNKNOWN_KIND otherwise. */
export function resourceFor(kind: string): ResourceInfo {
  const info = Object.hasOwn(KINDS, kind) ? KINDS[kind] : undefined;
  const plural = pluralOf(kind);
  if (!info || plural === undefined) {
    throw new KubeiamError("STORE_UNKNOWN_KIND", `kind: unknown kind "${kind}"`, { kind });
  }
  const apiVersion = info.apiVersions[0]!;
  const group = groupOf(apiVersion);
  const version = group === "" ? apiVersion : apiVersion.slice(group.length + 1);
  return { kind, group, version, apiVersion, plural, namespaced: info.namespaced };
}

/** /api/v1 or /apis/GROUP/VERSION. */
export function groupVersionPath(r: Pick<ResourceInfo, "group" | "version">): string {
  return r.group === "" ? `/api/${r.version}` : `/apis/${r.group}/${r.version}`;
}

const seg = (s: string): string => encodeURIComponent(s);

/**
 * The collection: every namespace when `namespace` is undefined (list and watch across the
 * cluster), one namespace otherwise. Cluster-scoped kinds ignore the namespace.
 */
export function collectionPath(r: ResourceInfo, namespace?: string): string {
  const base = groupVersionPath(r);
  if (r.namespaced && namespace !== undefined) return `${base}/namespaces/${seg(namespace)}/${r.plural}`;
  return `${base}/${r.plural}`;
}

/** One object. Namespaced kinds need the namespace. */
export function objectPath(r: ResourceInfo, name: string, namespace?: string): string {
  if (r.namespaced && (namespace === undefined || namespace === "")) {
    throw new KubeiamError(
      "INTERNAL",
      `objectPath: ${r.kind} ${name} is namespaced but no namespace was given`,
    );
  }
  return `${collectionPath(r, r.namespaced ? namespace : undefined)}/${seg(name)}`;
}

/** "ServiceAccount default/demo" / "ClusterRole admin", for messages. */
export function describeObject(kind: string, name: string, namespace?: string): string {
  return namespace ? `${kind} ${namespace}/${name}` : `${kind} ${name}`;
}
