/**
 * Resource-type arguments as kubectl takes them (`pods`, `po`, `deployments.apps`, `deploy`,
 * `deployments.v1.apps`, `pod`, `TYPE/NAME`), mapped to {group, resource} without discovery, from a
 * table of the built-in resources and their short names. Unknown types are taken literally
 * (`widgets.example.com` → group example.com, resource widgets) and flagged as not known.
 */
import { KubeiamError } from "../lib/errors.js";

export interface ResourceType {
  readonly group: string;
  readonly resource: string;
  /** Whether the resource is in kubeiam's built-in table. */
  readonly known: boolean;
}

interface Entry {
  readonly resource: string;
  readonly group: string;
  readonly singular: string;
  readonly short?: readonly string[];
}

const e = (group: string, resource: string, singular: string, ...short: string[]): Entry => ({
  group,
  resource,
  singular,
  short,
});

/** Built-in resources (the preferred group for names served by several groups). */
export const BUILTIN_RESOURCES: readonly Entry[] = [
  e("", "pods", "pod", "po"),
  e("", "services", "service", "svc"),
  e("", "serviceaccounts", "serviceaccount", "sa"),
  e("", "configmaps", "configmap", "cm"),
  e("", "secrets", "secret"),
  e("", "namespaces", "namespace", "ns"),
  e("", "nodes", "node", "no"),
  e("", "persistentvolumes", "persistentvolume", "pv"),
  e("", "persistentvolumeclaims", "persistentvolumeclaim", "pvc"),
  e("", "endpoints", "endpoints", "ep"),
  e("", "events", "event", "ev"),
  e("", "replicationcontrollers", "replicationcontroller", "rc"),
  e("", "resourcequotas", "resourcequota", "quota"),
  e("", "limitranges", "limitrange", "limits"),
  e("", "podtemplates", "podtemplate"),
  e("", "componentstatuses", "componentstatus", "cs"),
  e("", "bindings", "binding"),
  e("", "users", "user"),
  e("", "groups", "group"),
  e("apps", "deployments", "deployment", "deploy"),
  e("apps", "replicasets", "replicaset", "rs"),
  e("apps", "statefulsets", "statefulset", "sts"),
  e("apps", "daemonsets", "daemonset", "ds"),
  e("apps", "controllerrevisions", "controllerrevision"),
  e("batch", "jobs", "job"),
  e("batch", "cronjobs", "cronjob", "cj"),
  e("autoscaling", "horizontalpodautoscalers", "horizontalpodautoscaler", "hpa"),
  e("networking.k8s.io", "ingresses", "ingress", "ing"),
  e("networking.k8s.io", "networkpolicies", "networkpolicy", "netpol"),
  e("networking.k8s.io", "ingressclasses", "ingressclass"),
  e("policy", "poddisruptionbudgets", "poddisruptionbudget", "pdb"),
  e("rbac.authorization.k8s.io", "roles", "role"),
  e("rbac.authorization.k8s.io", "rolebindings", "rolebinding", "rb"),
  e("rbac.authorization.k8s.io", "clusterroles", "clusterrole", "cr"),
  e("rbac.authorization.k8s.io", "clusterrolebindings", "clusterrolebinding", "crb"),
  e("storage.k8s.io", "storageclasses", "storageclass", "sc"),
  e("storage.k8s.io", "csidrivers", "csidriver"),
  e("storage.k8s.io", "csinodes", "csinode"),
  e("storage.k8s.io", "csistoragecapacities", "csistoragecapacity"),
  e("storage.k8s.io", "volumeattachments", "volumeattachment"),
  e("apiextensions.k8s.io", "customresourcedefinitions", "customresourcedefinition", "crd", "crds"),
  e("apiregistration.k8s.io", "apiservices", "apiservice"),
  e("admissionregistration.k8s.io", "mutatingwebhookconfigurations", "mutatingwebhookconfiguration"),
  e("admissionregistration.k8s.io", "validatingwebhookconfigurations", "validatingwebhookconfiguration"),
  e("admissionregistration.k8s.io", "validatingadmissionpolicies", "validatingadmissionpolicy"),
  e("admissionregistration.k8s.io", "validatingadmissionpolicybindings", "validatingadmissionpolicybinding"),
  e("certificates.k8s.io", "certificatesigningrequests", "certificatesigningrequest", "csr"),
  e("certificates.k8s.io", "signers", "signer"),
  e("coordination.k8s.io", "leases", "lease"),
  e("discovery.k8s.io", "endpointslices", "endpointslice"),
  e("scheduling.k8s.io", "priorityclasses", "priorityclass", "pc"),
  e("node.k8s.io", "runtimeclasses", "runtimeclass"),
  e("authentication.k8s.io", "tokenreviews", "tokenreview"),
  e("authentication.k8s.io", "selfsubjectreviews", "selfsubjectreview"),
  e("authentication.k8s.io", "uids", "uid"),
  e("authentication.k8s.io", "userextras", "userextra"),
  e("authorization.k8s.io", "subjectaccessreviews", "subjectaccessreview"),
  e("authorization.k8s.io", "selfsubjectaccessreviews", "selfsubjectaccessreview"),
  e("authorization.k8s.io", "selfsubjectrulesreviews", "selfsubjectrulesreview"),
  e("authorization.k8s.io", "localsubjectaccessreviews", "localsubjectaccessreview"),
  e("flowcontrol.apiserver.k8s.io", "flowschemas", "flowschema"),
  e("flowcontrol.apiserver.k8s.io", "prioritylevelconfigurations", "prioritylevelconfiguration"),
  e("resource.k8s.io", "resourceclaims", "resourceclaim"),
  e("resource.k8s.io", "resourceclaimtemplates", "resourceclaimtemplate"),
  e("resource.k8s.io", "resourceslices", "resourceslice"),
  e("resource.k8s.io", "deviceclasses", "deviceclass"),
  e("events.k8s.io", "events", "event"),
  e("kubeiam.io", "oidcproviders", "oidcprovider"),
  e("kubeiam.io", "iamroles", "iamrole"),
  e("kubeiam.io", "iamusers", "iamuser"),
  e("kubeiam.io", "iampolicies", "iampolicy"),
  e("kubeiam.io", "accessentries", "accessentry"),
  e("kubeiam.io", "tenants", "tenant"),
];

const byAlias = new Map<string, Entry[]>();
for (const entry of BUILTIN_RESOURCES) {
  for (const alias of new Set([entry.resource, entry.singular, ...(entry.short ?? [])])) {
    const list = byAlias.get(alias) ?? [];
    list.push(entry);
    byAlias.set(alias, list);
  }
}

const VERSION = /^v\d+((alpha|beta)\d+)?$/;
const SEGMENT = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** Parses `TYPE` (`plural[.group]`, `plural.version.group`, singular or short name). Throws USAGE on malformed input. */
export function parseResourceType(input: string): ResourceType {
  const s = input.trim().toLowerCase();
  if (
    s === "" ||
    s.includes("/") ||
    s.startsWith(".") ||
    s.endsWith(".") ||
    s.includes("..") ||
    s.includes(" ")
  ) {
    throw new KubeiamError(
      "USAGE",
      `invalid resource type ${JSON.stringify(input)}: expected TYPE as plural[.group] or a short name, e.g. pods, deploy, deployments.apps`,
    );
  }
  const dot = s.indexOf(".");
  if (dot < 0) {
    if (s === "*") return { group: "", resource: "*", known: false };
    const hits = byAlias.get(s);
    if (hits?.[0]) return { group: hits[0].group, resource: hits[0].resource, known: true };
    if (!SEGMENT.test(s))
      throw new KubeiamError("USAGE", `invalid resource type ${JSON.stringify(input)}: not a resource name`);
    return { group: "", resource: s, known: false };
  }
  const head = s.slice(0, dot);
  let group = s.slice(dot + 1);
  const parts = group.split(".");
  // resource.version.group (deployments.v1.apps): drop the version when more follows it
  if (parts.length >= 2 && VERSION.test(parts[0]!)) group = parts.slice(1).join(".");
  const hits = byAlias.get(head);
  const hit =
    hits?.find((h) => h.group === group) ??
    (group === "core" ? hits?.find((h) => h.group === "") : undefined);
  if (hit) return { group: hit.group, resource: hit.resource, known: true };
  if (!SEGMENT.test(head) && head !== "*")
    throw new KubeiamError("USAGE", `invalid resource type ${JSON.stringify(input)}: not a resource name`);
  return { group, resource: head, known: false };
}

/** Parses `TYPE[/NAME]` (kubectl auth can-i's argument). */
export function parseResourceArg(input: string): ResourceType & { readonly name: string } {
  const slash = input.indexOf("/");
  if (slash < 0) return { ...parseResourceType(input), name: "" };
  const name = input.slice(slash + 1);
  if (name === "" || name.includes("/"))
    throw new KubeiamError("USAGE", `invalid resource ${JSON.stringify(input)}: expected TYPE/NAME`);
  return { ...parseResourceType(input.slice(0, slash)), name };
}
