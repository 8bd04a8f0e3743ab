/**
 * auditTenancy: checks existing objects against every control of the multi-tenancy guide (AWS EKS
 * tenant isolation, Pod Security Standards, MTB), per tenant, with a score and, for each finding,
 * the object, the field and the fix. Uses the same rules as the admission webhooks, so what the
 * audit reports is what the webhooks would refuse today. Pure: objects in, report out.
 */
import { evaluatePodSecurity } from "../admission/pod-security/evaluate.js";
import { extractPodSpec, isPodSecurityKind } from "../admission/pod-security/extract-pod-spec.js";
import { compareLevels } from "../admission/pod-security/level-version.js";
import { parseNamespacePolicy } from "../admission/pod-security/namespace-policy.js";
import { effectivePolicy } from "../admission/tenancy/pod-security.js";
import { roleBindingViolations, serviceViolations } from "../admission/tenancy/rules/object-rules.js";
import { podRuleViolations } from "../admission/tenancy/rules/pod-rules.js";
import {
  nodeInfo,
  podMcsLevel,
  tenantsFromObjects,
  type InvalidTenant,
} from "../admission/tenancy/cache-view.js";
import type { TenancyView, TenantViolation } from "../admission/tenancy/view.js";
import type { KubeObject } from "../store/types.js";
import { cidrContains, parseCidr, parseIp } from "./lib/cidr.js";
import { serviceAccountNamespace } from "./lib/subjects.js";
import { isRecord } from "./lib/values.js";
import { normaliseMcsLevel } from "./mcs.js";
import type { TenantRuleId } from "./rules.js";
import { TenantIndex } from "./tenant-index.js";
import { TENANT_LABEL, type Tenant } from "./tenant.js";

export type Severity = "high" | "medium" | "low";
export const SEVERITY_WEIGHT: Readonly<Record<Severity, number>> = { high: 3, medium: 2, low: 1 };

export interface AuditControl {
  readonly id: string;
  readonly title: string;
  readonly severity: Severity;
  /** Where the control comes from: the AWS guide item, a Pod Security check, an MTB benchmark. */
  readonly guide: string;
}

/** Every control, per tenant unless `cluster` says otherwise. */
export const AUDIT_CONTROLS = [
  {
    id: "tenant.namespaces",
    title: "Tenant namespaces exist and carry the tenant label",
    severity: "medium",
    guide: "AWS: namespace per tenant",
  },
  {
    id: "tenant.conflicts",
    title: "No namespace is claimed by two tenants",
    severity: "high",
    guide: "AWS: namespace per tenant",
  },
  {
    id: "pod-security.namespace-labels",
    title: "Namespaces enforce at least the tenant's Pod Security level with PSA labels",
    severity: "medium",
    guide: "PSS: pod-security.kubernetes.io labels",
  },
  {
    id: "pod-security.pods",
    title: "Pods meet the tenant's Pod Security level",
    severity: "high",
    guide: "PSS baseline/restricted; MTB-PL1-BC-CPI-3..6",
  },
  {
    id: "pod-security.workloads",
    title: "Workload pod templates meet the tenant's Pod Security level",
    severity: "medium",
    guide: "PSS baseline/restricted",
  },
  {
    id: "host-access",
    title: "No host namespaces, host ports or host paths (beyond read-only allowed prefixes)",
    severity: "high",
    guide: "AWS: restrict host access; MTB-PL1-BC-HI-1,3,4,5",
  },
  {
    id: "capabilities",
    title: "Containers add only allowed capabilities",
    severity: "high",
    guide: "AWS: drop ALL capabilities; MTB-PL1-BC-CPI-3",
  },
  {
    id: "node-isolation",
    title: "Pods run only on the tenant's nodes and tolerate no other tenant's taints",
    severity: "high",
    guide: "AWS: dedicated tenant nodes",
  },
  {
    id: "services.external-ips",
    title: "Services set no external IPs outside the allowed CIDRs",
    severity: "high",
    guide: "AWS: CVE-2020-8554",
  },
  {
    id: "services.types",
    title: "Services use only allowed types",
    severity: "medium",
    guide: "MTB-PL1-BC-HI-1 (NodePort)",
  },
  {
    id: "network.default-deny",
    title: "A default-deny NetworkPolicy isolates the namespace, and nothing admits other tenants",
    severity: "high",
    guide: "AWS: network isolation",
  },
  {
    id: "network.metadata",
    title: "Egress to the instance metadata service (169.254.169.254, fd00:ec2::254) is blocked",
    severity: "high",
    guide: "AWS: block IMDS",
  },
  {
    id: "network.dns",
    title: "DNS egress is allowed when egress is isolated",
    severity: "low",
    guide: "AWS: network isolation",
  },
  {
    id: "quota",
    title: "A ResourceQuota limits CPU, memory, storage and object counts",
    severity: "medium",
    guide: "MTB-PL1-CC-FNS-1, FNS-2",
  },
  {
    id: "limit-range",
    title: "A LimitRange gives containers default requests and limits",
    severity: "low",
    guide: "AWS: resource quotas",
  },
  {
    id: "rbac.owners",
    title: "The tenant's owners are bound in each namespace",
    severity: "low",
    guide: "AWS: namespace per tenant, owners",
  },
  {
    id: "rbac.cluster-admin",
    title: "No binding grants cluster-admin to the tenant",
    severity: "high",
    guide: "MTB-PL1-CC-CPI-1",
  },
  {
    id: "rbac.foreign-subjects",
    title: "Bindings in tenant namespaces name no other tenant's subjects",
    severity: "high",
    guide: "MTB-PL1-CC-TI-2",
  },
  {
    id: "rbac.protected-writes",
    title: "Tenant subjects cannot write ResourceQuotas or status subresources",
    severity: "medium",
    guide: "MTB-PL1-CC-TI-1; AWS: no status patching",
  },
  {
    id: "seccomp",
    title: "Pods run with a seccomp profile",
    severity: "low",
    guide: "AWS: seccomp RuntimeDefault",
  },
  {
    id: "selinux-mcs",
    title: "Pods of tenants with per-pod MCS have unique SELinux levels",
    severity: "medium",
    guide: "AWS: unique SELinux MCS label per pod",
  },
] as const satisfies readonly AuditControl[];

export const CLUSTER_CONTROLS = [
  { id: "tenants.valid", title: "Every Tenant object is valid", severity: "high", guide: "kubeiam" },
  {
    id: "webhooks.installed",
    title: "kubeiam's validating and mutating webhooks are registered",
    severity: "high",
    guide: "AWS: admission control",
  },
  {
    id: "webhooks.fail-closed",
    title: "kubeiam's enforcing webhooks fail closed",
    severity: "medium",
    guide: "AWS: admission control",
  },
] as const satisfies readonly AuditControl[];

export type ControlId = (typeof AUDIT_CONTROLS)[number]["id"] | (typeof CLUSTER_CONTROLS)[number]["id"];

export interface AuditFinding {
  readonly control: ControlId;
  readonly severity: Severity;
  /** `Kind namespace/name` or `Kind name`. */
  readonly object: string;
  readonly field: string;
  readonly message: string;
  readonly fix: string;
}

export interface ControlResult {
  readonly id: ControlId;
  readonly title: string;
  readonly severity: Severity;
  readonly guide: string;
  /** "pass", "fail", or "n/a" when the control does not apply (no pods, no node isolation, ...). */
  readonly status: "pass" | "fail" | "n/a";
  readonly findings: number;
}

export interface TenantAudit {
  readonly tenant: string;
  /** 0–100: weighted share of applicable controls passed (high 3, medium 2, low 1). */
  readonly score: number;
  readonly namespaces: readonly string[];
  readonly controls: readonly ControlResult[];
  readonly findings: readonly AuditFinding[];
}

export interface AuditReport {
  readonly tenants: readonly TenantAudit[];
  readonly cluster: {
    readonly score: number;
    readonly controls: readonly ControlResult[];
    readonly findings: readonly AuditFinding[];
  };
  /** Lowest tenant score (or the cluster score when there is no tenant). */
  readonly score: number;
  readonly totals: {
    readonly findings: number;
    readonly high: number;
    readonly medium: number;
    readonly low: number;
  };
}

/** What the audit reads: objects by kind (an ObjectCache fits). */
export interface AuditSource {
  list(kind: string): KubeObject[];
}

const WORKLOAD_KINDS = [
  "Deployment",
  "ReplicaSet",
  "StatefulSet",
  "DaemonSet",
  "Job",
  "CronJob",
  "ReplicationController",
  "PodTemplate",
];

const PSA_FIX: Readonly<Record<string, string>> = {
  appArmorProfile: "remove the Unconfined AppArmor profile (use RuntimeDefault or Localhost)",
  capabilities_baseline: "add no capabilities beyond the default set",
  hostNamespaces: "remove hostNetwork, hostPID and hostIPC",
  hostPathVolumes: "replace hostPath volumes with emptyDir, configMap, secret or a PersistentVolumeClaim",
  hostPorts: "remove hostPort from the container ports and expose the pod through a Service",
  hostProbesAndHostLifecycle: "remove host from the probe and lifecycle handlers",
  privileged: "set securityContext.privileged: false",
  procMount: "remove securityContext.procMount (or set it to Default)",
  procMount_restricted: "remove securityContext.procMount (or set it to Default)",
  seLinuxOptions: "remove seLinuxOptions user and role, and use a container_t type",
  seccompProfile_baseline: "do not set the seccomp profile to Unconfined",
  sysctls: "remove the unsafe sysctls",
  windowsHostProcess: "remove windowsOptions.hostProcess",
  allowPrivilegeEscalation: "set securityContext.allowPrivilegeEscalation: false in every container",
  capabilities_restricted: 'set securityContext.capabilities.drop: ["ALL"] and add at most NET_BIND_SERVICE',
  restrictedVolumes:
    "use only configMap, csi, downwardAPI, emptyDir, ephemeral, image, persistentVolumeClaim, projected or secret volumes",
  runAsNonRoot: "set securityContext.runAsNonRoot: true on the pod",
  runAsUser: "run as a non-zero securityContext.runAsUser",
  seccompProfile_restricted:
    "set securityContext.seccompProfile.type: RuntimeDefault on the pod (the mutating webhook does this for new pods)",
};

function ruleFix(v: TenantViolation, t: Tenant): string {
  const n = t.nodeIsolation;
  const fixes: Readonly<Record<TenantRuleId, string>> = {
    "pod-security": "meet the tenant's Pod Security level",
    "node-isolation.toleration": n
      ? `add the toleration {key: ${n.key}, operator: Equal, value: ${n.value}, effect: ${n.effect}} (the mutating webhook adds it to new pods)`
      : "",
    "node-isolation.node-selector": n
      ? `add nodeSelector ${n.key}: ${n.value} (the mutating webhook adds it to new pods)`
      : "",
    "node-isolation.foreign-toleration": "remove the toleration; pods tolerate only their own tenant's taint",
    "node-isolation.foreign-node-selector": "remove the selection of another tenant's nodes",
    "node-isolation.node-name": "remove spec.nodeName and let the scheduler place the pod",
    "host-paths":
      t.hostPaths.allowed.length === 0
        ? "use another volume type (emptyDir, configMap, secret, a PersistentVolumeClaim)"
        : "mount only the allowed host path prefixes, read-only",
    capabilities:
      "remove the capability from securityContext.capabilities.add, or allow it in the Tenant's spec.capabilities.allowedAdd",
    "service.type": `use an allowed type (${t.services.allowedTypes.join(", ") || "none"}) or allow the type in the Tenant's spec.services.allowedTypes`,
    "service.external-ips":
      "remove spec.externalIPs, or allow the CIDR in the Tenant's spec.services.externalIPs.allowed",
    "status-write": "remove the status write permission",
    "namespace.ownership": "rename the namespace to match the tenant",
    "namespace.tenant-change": "restore the namespace labels",
    "rolebinding.cluster-admin": "bind ClusterRole admin or edit instead of cluster-admin",
    "rolebinding.foreign-subject": "remove the subject from the binding",
    "managed-object": "restore the object with kubeiam tenant render",
  };
  return fixes[v.rule];
}

function describe(o: KubeObject): string {
  return o.metadata.namespace
    ? `${o.kind} ${o.metadata.namespace}/${o.metadata.name}`
    : `${o.kind} ${o.metadata.name}`;
}

function score(controls: readonly ControlResult[]): number {
  let total = 0;
  let passed = 0;
  for (const c of controls) {
    if (c.status === "n/a") continue;
    total += SEVERITY_WEIGHT[c.severity];
    if (c.status === "pass") passed += SEVERITY_WEIGHT[c.severity];
  }
  return total === 0 ? 100 : Math.round((100 * passed) / total);
}

interface RoleRule {
  readonly apiGroups: readonly string[];
  readonly resources: readonly string[];
  readonly verbs: readonly string[];
}

function rulesOf(o: KubeObject | undefined): RoleRule[] {
  if (!o || !Array.isArray(o.rules)) return [];
  const strs = (v: unknown): string[] =>
    Array.isArray(v) ? v.filter((x): x is string => typeof x === "string") : [];
  return o.rules
    .filter(isRecord)
    .map((r) => ({ apiGroups: strs(r.apiGroups), resources: strs(r.resources), verbs: strs(r.verbs) }));
}

const WRITE_VERBS = ["create", "update", "patch", "delete", "deletecollection", "*"];

function grantsWrite(rules: readonly RoleRule[], match: (resource: string) => boolean): string | undefined {
  for (const r of rules) {
    if (!r.apiGroups.some((g) => g === "" || g === "*")) continue;
    if (!r.verbs.some((v) => WRITE_VERBS.includes(v))) continue;
    const hit = r.resources.find(match);
    if (hit !== undefined) return hit;
  }
  return undefined;
}

function egressOpens(policies: readonly KubeObject[], ip: string): KubeObject | undefined {
  const target = parseIp(ip)!;
  for (const p of policies) {
    const spec = isRecord(p.spec) ? p.spec : {};
    const types = Array.isArray(spec.policyTypes) ? spec.policyTypes : [];
    if (!types.includes("Egress") && !Array.isArray(spec.egress)) continue;
    for (const rule of Array.isArray(spec.egress) ? spec.egress.filter(isRecord) : []) {
      const to = Array.isArray(rule.to) ? rule.to.filter(isRecord) : [];
      if (to.length === 0) return p;
      for (const peer of to) {
        const block = isRecord(peer.ipBlock) ? peer.ipBlock : undefined;
        if (!block || typeof block.cidr !== "string") continue;
        const c = parseCidr(block.cidr);
        if (typeof c === "string" || !cidrContains(c, target)) continue;
        const except = Array.isArray(block.except)
          ? block.except.filter((x): x is string => typeof x === "string")
          : [];
        const excepted = except.some((e) => {
          const x = parseCidr(e);
          return typeof x !== "string" && cidrContains(x, target);
        });
        if (!excepted) return p;
      }
    }
  }
  return undefined;
}

function isolates(p: KubeObject, type: "Ingress" | "Egress"): boolean {
  const spec = isRecord(p.spec) ? p.spec : {};
  const sel = isRecord(spec.podSelector) ? spec.podSelector : undefined;
  const all =
    sel !== undefined &&
    Object.keys(sel.matchLabels ?? {}).length === 0 &&
    (!Array.isArray(sel.matchExpressions) || sel.matchExpressions.length === 0);
  const types = Array.isArray(spec.policyTypes)
    ? spec.policyTypes
    : type === "Ingress"
      ? ["Ingress"]
      : Array.isArray(spec.egress)
        ? ["Ingress", "Egress"]
        : ["Ingress"];
  return all && types.includes(type);
}

/** A NetworkPolicy ingress rule that admits every namespace (no `from`, or an empty namespaceSelector without podSelector limits). */
function ingressOpenToAll(p: KubeObject): boolean {
  const spec = isRecord(p.spec) ? p.spec : {};
  for (const rule of Array.isArray(spec.ingress) ? spec.ingress.filter(isRecord) : []) {
    const from = Array.isArray(rule.from) ? rule.from.filter(isRecord) : [];
    if (from.length === 0) return true;
    for (const peer of from) {
      const ns = isRecord(peer.namespaceSelector) ? peer.namespaceSelector : undefined;
      if (
        ns &&
        Object.keys(ns.matchLabels ?? {}).length === 0 &&
        (!Array.isArray(ns.matchExpressions) || ns.matchExpressions.length === 0)
      )
        return true;
      if (isRecord(peer.ipBlock)) return true;
    }
  }
  return false;
}

function quotaCovers(hard: Record<string, unknown>): string[] {
  const missing: string[] = [];
  const has = (...keys: string[]): boolean => keys.some((k) => Object.hasOwn(hard, k));
  if (!has("requests.cpu", "limits.cpu", "cpu")) missing.push("cpu");
  if (!has("requests.memory", "limits.memory", "memory")) missing.push("memory");
  if (!has("requests.storage", "persistentvolumeclaims")) missing.push("storage");
  if (
    !Object.keys(hard).some(
      (k) => k === "pods" || k.startsWith("count/") || ["services", "secrets", "configmaps"].includes(k),
    )
  )
    missing.push("object counts");
  return missing;
}

/** Runs every control over the objects. */
export function auditTenancy(source: AuditSource): AuditReport {
  const { tenants, invalid } = tenantsFromObjects(source.list("Tenant"));
  const index = new TenantIndex(tenants);
  const namespaces = source.list("Namespace");
  const nsByName = new Map(namespaces.map((n) => [n.metadata.name, n] as const));
  const nodes = new Map(source.list("Node").map((n) => [n.metadata.name, nodeInfo(n)] as const));
  const view: TenancyView = {
    index,
    namespaceLabels: (n) => nsByName.get(n)?.metadata.labels ?? (nsByName.has(n) ? {} : undefined),
    node: (n) => nodes.get(n),
    podsInNamespace: () => [],
  };
  // every namespace seen anywhere, so prefix/selector tenants find theirs
  const seen = new Set<string>(namespaces.map((n) => n.metadata.name));
  const objectsByKind = new Map<string, KubeObject[]>();
  const kinds = [
    "Pod",
    ...WORKLOAD_KINDS,
    "Service",
    "RoleBinding",
    "NetworkPolicy",
    "ResourceQuota",
    "LimitRange",
  ];
  for (const k of kinds) {
    const list = source.list(k);
    objectsByKind.set(k, list);
    for (const o of list) if (o.metadata.namespace) seen.add(o.metadata.namespace);
  }
  const inNs = (kind: string, ns: string): KubeObject[] =>
    (objectsByKind.get(kind) ?? []).filter((o) => o.metadata.namespace === ns);
  const roles = source.list("Role");
  const clusterRoles = new Map(source.list("ClusterRole").map((r) => [r.metadata.name, r] as const));
  const clusterRoleBindings = source.list("ClusterRoleBinding");

  // MCS levels across all pods
  const levelCount = new Map<string, number>();
  for (const p of objectsByKind.get("Pod") ?? []) {
    const raw = podMcsLevel(p);
    const l = raw === undefined ? undefined : (normaliseMcsLevel(raw) ?? raw);
    if (l !== undefined) levelCount.set(l, (levelCount.get(l) ?? 0) + 1);
  }

  const tenantAudits: TenantAudit[] = [];
  for (const t of [...tenants].sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const nsNames = [
      ...new Set([
        ...t.namespaces.names,
        ...[...seen].filter((n) => index.ownerOf(n, view.namespaceLabels(n))?.tenant === t),
      ]),
    ].sort();
    const findings: AuditFinding[] = [];
    const applicable = new Set<ControlId>();
    const add = (
      control: ControlId,
      severity: Severity,
      object: string,
      field: string,
      message: string,
      fix: string,
    ): void => {
      findings.push({ control, severity, object, field, message, fix });
    };
    const sev = (id: ControlId): Severity => AUDIT_CONTROLS.find((c) => c.id === id)?.severity ?? "medium";
    const fromViolation = (control: ControlId, o: KubeObject, v: TenantViolation): void =>
      add(control, sev(control), describe(o), v.field, v.message, ruleFix(v, t));
    const isSubject = (kind: string, name: string, bindingNs: string): boolean => {
      if (kind === "User")
        return (
          t.owners.users.includes(name) ||
          t.owners.iamArns.includes(name) ||
          (serviceAccountNamespace(name) !== undefined && nsNames.includes(serviceAccountNamespace(name)!))
        );
      if (kind === "Group") return t.owners.groups.includes(name);
      if (kind === "ServiceAccount") return nsNames.includes(bindingNs);
      return false;
    };

    applicable
      .add("tenant.namespaces")
      .add("tenant.conflicts")
      .add("rbac.cluster-admin")
      .add("rbac.protected-writes");
    if (nsNames.length === 0)
      add(
        "tenant.namespaces",
        "medium",
        `Tenant ${t.name}`,
        "spec.namespaces",
        "the tenant has no namespace yet",
        `create one (owners may, within the tenant's names or prefix) and run: kubeiam tenant render ${t.name}`,
      );
    for (const c of index.conflicts())
      if (c.tenants.includes(t.name))
        add(
          "tenant.conflicts",
          "high",
          `Tenant ${t.name}`,
          "spec.namespaces",
          c.message,
          "give every tenant disjoint names and prefixes",
        );

    for (const ns of nsNames) {
      const nsObj = nsByName.get(ns);
      const owner = index.ownerOf(ns, view.namespaceLabels(ns));
      if (owner && owner.alsoClaimedBy.length > 0)
        add(
          "tenant.conflicts",
          "high",
          `Namespace ${ns}`,
          "metadata.name",
          `also claimed by tenant(s) ${owner.alsoClaimedBy.join(", ")}`,
          "give every tenant disjoint names, prefixes and selectors",
        );
      if (!nsObj) {
        if (namespaces.length > 0) {
          // the objects read include namespaces, and not this one: nothing else to check in it
          add(
            "tenant.namespaces",
            "medium",
            `Namespace ${ns}`,
            "metadata.name",
            "listed by the tenant but does not exist",
            `kubeiam tenant render ${t.name} | kubectl apply -f -`,
          );
          continue;
        }
      } else {
        applicable.add("pod-security.namespace-labels");
        const labels = nsObj.metadata.labels ?? {};
        if (labels[TENANT_LABEL] !== t.name)
          add(
            "tenant.namespaces",
            "medium",
            describe(nsObj),
            `metadata.labels[${TENANT_LABEL}]`,
            `expected "${t.name}", found ${labels[TENANT_LABEL] === undefined ? "no label" : `"${labels[TENANT_LABEL]}"`}; NetworkPolicies select tenant namespaces by this label`,
            `kubectl label namespace ${ns} ${TENANT_LABEL}=${t.name} --overwrite`,
          );
        const policy = parseNamespacePolicy(labels).policy;
        if (
          t.podSecurity.level !== "privileged" &&
          compareLevels(policy.enforce.level, t.podSecurity.level) < 0
        ) {
          add(
            "pod-security.namespace-labels",
            "medium",
            describe(nsObj),
            "metadata.labels[pod-security.kubernetes.io/enforce]",
            `enforces ${policy.enforce.level}, below the tenant's ${t.podSecurity.level} (Pod Security Admission would not hold the line if the webhook were down)`,
            `kubectl label namespace ${ns} pod-security.kubernetes.io/enforce=${t.podSecurity.level} --overwrite`,
          );
        }
      }

      // pods
      const ep = effectivePolicy(t, view.namespaceLabels(ns));
      for (const pod of inNs("Pod", ns)) {
        applicable.add("pod-security.pods").add("host-access").add("capabilities").add("seccomp");
        const spec = isRecord(pod.spec) ? pod.spec : {};
        try {
          const r = evaluatePodSecurity({
            level: ep.policy.enforce.level,
            version: ep.policy.enforce.version,
            podMeta: pod.metadata,
            podSpec: spec,
          });
          for (const v of r.violations)
            add(
              "pod-security.pods",
              "high",
              describe(pod),
              v.fieldPaths?.[0] ?? "spec",
              `violates PodSecurity "${r.levelVersion}": ${v.reason}${v.detail ? ` (${v.detail})` : ""}`,
              PSA_FIX[v.check] ?? "meet the Pod Security level",
            );
          if (spec.hostNetwork === true || spec.hostPID === true || spec.hostIPC === true) {
            add(
              "host-access",
              "high",
              describe(pod),
              "spec",
              `shares host namespaces (${["hostNetwork", "hostPID", "hostIPC"].filter((k) => spec[k] === true).join(", ")})`,
              PSA_FIX.hostNamespaces!,
            );
          }
          const base = evaluatePodSecurity({
            level: "baseline",
            version: "latest",
            podMeta: pod.metadata,
            podSpec: spec,
          });
          for (const v of base.violations.filter((x) => x.check === "hostPorts"))
            add(
              "host-access",
              "high",
              describe(pod),
              v.fieldPaths?.[0] ?? "spec",
              `${v.reason} (${v.detail})`,
              PSA_FIX.hostPorts!,
            );
          for (const v of podRuleViolations(t, spec, { specPath: "spec", template: false }, view)) {
            const control: ControlId =
              v.rule === "host-paths"
                ? "host-access"
                : v.rule === "capabilities"
                  ? "capabilities"
                  : "node-isolation";
            fromViolation(control, pod, v);
          }
        } catch (e) {
          add(
            "pod-security.pods",
            "high",
            describe(pod),
            "spec",
            `cannot be evaluated: ${(e as Error).message}`,
            "fix the object",
          );
        }
        if (t.nodeIsolation) applicable.add("node-isolation");
        const sc = isRecord(spec.securityContext) ? spec.securityContext : {};
        const containers = ["initContainers", "containers"].flatMap((f) =>
          Array.isArray(spec[f]) ? (spec[f] as unknown[]).filter(isRecord) : [],
        );
        const podSeccomp = isRecord(sc.seccompProfile) && sc.seccompProfile.type !== "Unconfined";
        const allContainers =
          containers.length > 0 &&
          containers.every(
            (c) =>
              isRecord(c.securityContext) &&
              isRecord(c.securityContext.seccompProfile) &&
              c.securityContext.seccompProfile.type !== "Unconfined",
          );
        if (!podSeccomp && !allContainers && !(isRecord(spec.os) && spec.os.name === "windows")) {
          add(
            "seccomp",
            "low",
            describe(pod),
            "spec.securityContext.seccompProfile",
            "runs without a seccomp profile",
            "set securityContext.seccompProfile.type: RuntimeDefault (the mutating webhook does this for new pods)",
          );
        }
        if (t.seLinux.mcs === "PerPod") {
          applicable.add("selinux-mcs");
          const raw = podMcsLevel(pod);
          const level = raw === undefined ? undefined : (normaliseMcsLevel(raw) ?? raw);
          if (level === undefined)
            add(
              "selinux-mcs",
              "medium",
              describe(pod),
              "spec.securityContext.seLinuxOptions.level",
              "has no SELinux MCS level",
              "recreate the pod so the mutating webhook assigns one",
            );
          else if ((levelCount.get(level) ?? 0) > 1)
            add(
              "selinux-mcs",
              "medium",
              describe(pod),
              "spec.securityContext.seLinuxOptions.level",
              `level ${level} is shared with ${(levelCount.get(level) ?? 1) - 1} other pod(s)`,
              "remove the fixed level and recreate the pod so the mutating webhook assigns a unique one",
            );
        }
      }
      // workload templates
      for (const kind of WORKLOAD_KINDS) {
        for (const w of inNs(kind, ns)) {
          if (!isPodSecurityKind(w.apiVersion, w.kind)) continue;
          applicable.add("pod-security.workloads");
          try {
            const x = extractPodSpec(w);
            if (!x) continue;
            const r = evaluatePodSecurity({
              level: ep.policy.enforce.level,
              version: ep.policy.enforce.version,
              podMeta: x.podMeta,
              podSpec: x.podSpec,
              fieldPathPrefix: x.fieldPathPrefix,
            });
            for (const v of r.violations)
              add(
                "pod-security.workloads",
                "medium",
                describe(w),
                v.fieldPaths?.[0] ?? `${x.fieldPathPrefix}spec`,
                `pods would violate PodSecurity "${r.levelVersion}": ${v.reason}${v.detail ? ` (${v.detail})` : ""}`,
                PSA_FIX[v.check] ?? "meet the Pod Security level",
              );
            if (isRecord(x.podSpec)) {
              for (const v of podRuleViolations(
                t,
                x.podSpec,
                { specPath: `${x.fieldPathPrefix}spec`, template: true },
                view,
              )) {
                const control: ControlId =
                  v.rule === "host-paths"
                    ? "host-access"
                    : v.rule === "capabilities"
                      ? "capabilities"
                      : "node-isolation";
                applicable.add(control);
                fromViolation(control, w, v);
              }
            }
          } catch (e) {
            add(
              "pod-security.workloads",
              "medium",
              describe(w),
              "spec",
              `cannot be evaluated: ${(e as Error).message}`,
              "fix the object",
            );
          }
        }
      }
      // services
      for (const s of inNs("Service", ns)) {
        applicable.add("services.external-ips").add("services.types");
        try {
          for (const v of serviceViolations(t, s))
            fromViolation(v.rule === "service.type" ? "services.types" : "services.external-ips", s, v);
        } catch (e) {
          add(
            "services.types",
            "medium",
            describe(s),
            "spec",
            `cannot be evaluated: ${(e as Error).message}`,
            "fix the object",
          );
        }
      }
      // network policies
      const policies = inNs("NetworkPolicy", ns);
      if (t.networkIsolation) {
        applicable.add("network.default-deny").add("network.metadata").add("network.dns");
        if (!policies.some((p) => isolates(p, "Ingress")))
          add(
            "network.default-deny",
            "high",
            `Namespace ${ns}`,
            "NetworkPolicy",
            "no NetworkPolicy selects every pod for Ingress, so any pod in the cluster can reach this namespace",
            `kubeiam tenant render ${t.name} | kubectl apply -f -`,
          );
        for (const p of policies)
          if (ingressOpenToAll(p))
            add(
              "network.default-deny",
              "high",
              describe(p),
              "spec.ingress",
              "admits traffic from every namespace (or by IP block), including other tenants",
              "restrict spec.ingress[].from to the tenant's namespaces",
            );
        const egressIsolated = policies.some((p) => isolates(p, "Egress"));
        if (!egressIsolated)
          add(
            "network.metadata",
            "high",
            `Namespace ${ns}`,
            "NetworkPolicy",
            "egress is not isolated, so pods reach the instance metadata service at 169.254.169.254",
            `kubeiam tenant render ${t.name} | kubectl apply -f -`,
          );
        else {
          for (const ip of ["169.254.169.254", "fd00:ec2::254"]) {
            const p = egressOpens(policies, ip);
            if (p)
              add(
                "network.metadata",
                "high",
                describe(p),
                "spec.egress",
                `allows egress to ${ip} (instance metadata)`,
                'add the metadata range to ipBlock.except (169.254.0.0/16, fd00:ec2::254/128) or narrow "to"',
              );
          }
          const dns = policies.some((p) => {
            const spec = isRecord(p.spec) ? p.spec : {};
            return (Array.isArray(spec.egress) ? spec.egress.filter(isRecord) : []).some(
              (r) =>
                !Array.isArray(r.ports) ||
                r.ports.length === 0 ||
                r.ports.some(
                  (x) => isRecord(x) && (x.port === 53 || x.port === "dns" || x.port === "dns-tcp"),
                ),
            );
          });
          if (!dns)
            add(
              "network.dns",
              "low",
              `Namespace ${ns}`,
              "NetworkPolicy",
              "egress is isolated but no policy allows DNS (port 53)",
              `kubeiam tenant render ${t.name} | kubectl apply -f -`,
            );
        }
      }
      // quota and limits
      applicable.add("quota").add("limit-range").add("rbac.owners").add("rbac.foreign-subjects");
      const quotas = inNs("ResourceQuota", ns);
      if (quotas.length === 0)
        add(
          "quota",
          "medium",
          `Namespace ${ns}`,
          "ResourceQuota",
          "no ResourceQuota",
          `kubeiam tenant render ${t.name} | kubectl apply -f -`,
        );
      else {
        const hard: Record<string, unknown> = {};
        for (const q of quotas)
          if (isRecord(q.spec) && isRecord(q.spec.hard)) Object.assign(hard, q.spec.hard);
        const missing = quotaCovers(hard);
        if (missing.length > 0)
          add(
            "quota",
            "medium",
            describe(quotas[0]!),
            "spec.hard",
            `does not limit ${missing.join(", ")}`,
            "add requests.cpu, requests.memory, requests.storage and pods (or count/…) to spec.hard",
          );
      }
      if (inNs("LimitRange", ns).length === 0)
        add(
          "limit-range",
          "low",
          `Namespace ${ns}`,
          "LimitRange",
          "no LimitRange, so containers without requests are unbounded",
          `kubeiam tenant render ${t.name} | kubectl apply -f -`,
        );
      // bindings
      const bindings = inNs("RoleBinding", ns);
      const ownerBound = bindings.some(
        (b) =>
          Array.isArray(b.subjects) &&
          b.subjects
            .filter(isRecord)
            .some(
              (s) =>
                (s.kind === "User" &&
                  (t.owners.users.includes(String(s.name)) || t.owners.iamArns.includes(String(s.name)))) ||
                (s.kind === "Group" && t.owners.groups.includes(String(s.name))),
            ),
      );
      if (!ownerBound)
        add(
          "rbac.owners",
          "low",
          `Namespace ${ns}`,
          "RoleBinding",
          "no RoleBinding binds the tenant's owners",
          `kubeiam tenant render ${t.name} | kubectl apply -f -`,
        );
      for (const b of bindings) {
        try {
          for (const v of roleBindingViolations(t, b, ns, view))
            fromViolation(
              v.rule === "rolebinding.cluster-admin" ? "rbac.cluster-admin" : "rbac.foreign-subjects",
              b,
              v,
            );
        } catch (e) {
          add(
            "rbac.foreign-subjects",
            "high",
            describe(b),
            "subjects",
            `cannot be evaluated: ${(e as Error).message}`,
            "fix the object",
          );
        }
        const roleRef = isRecord(b.roleRef) ? b.roleRef : {};
        const subjects = Array.isArray(b.subjects) ? b.subjects.filter(isRecord) : [];
        if (
          !subjects.some((s) =>
            isSubject(
              String(s.kind),
              String(s.name),
              typeof s.namespace === "string" && s.namespace !== "" ? s.namespace : ns,
            ),
          )
        )
          continue;
        const role =
          roleRef.kind === "Role"
            ? roles.find((r) => r.metadata.namespace === ns && r.metadata.name === roleRef.name)
            : clusterRoles.get(String(roleRef.name));
        const rules = rulesOf(role);
        const quota = grantsWrite(rules, (r) => r === "resourcequotas" || r === "*");
        if (quota !== undefined)
          add(
            "rbac.protected-writes",
            "medium",
            describe(b),
            "roleRef",
            `grants tenant subjects write access to resourcequotas (via ${String(roleRef.kind)} ${String(roleRef.name)}, resource "${quota}")`,
            "bind a role without write verbs on resourcequotas",
          );
        const status = grantsWrite(rules, (r) => r === "*" || r.endsWith("/status") || r === "*/status");
        if (status !== undefined)
          add(
            "rbac.protected-writes",
            "medium",
            describe(b),
            "roleRef",
            `grants tenant subjects writes to status subresources (via ${String(roleRef.kind)} ${String(roleRef.name)}, resource "${status}")`,
            "bind a role without */status write verbs",
          );
      }
    }
    for (const b of clusterRoleBindings) {
      const roleRef = isRecord(b.roleRef) ? b.roleRef : {};
      const subjects = Array.isArray(b.subjects) ? b.subjects.filter(isRecord) : [];
      const hit = subjects.find((s) =>
        isSubject(String(s.kind), String(s.name), typeof s.namespace === "string" ? s.namespace : ""),
      );
      if (!hit) continue;
      if (roleRef.kind === "ClusterRole" && roleRef.name === "cluster-admin")
        add(
          "rbac.cluster-admin",
          "high",
          describe(b),
          "roleRef.name",
          `grants cluster-admin to ${String(hit.kind)} "${String(hit.name)}" of the tenant`,
          "delete the binding; tenants get admin in their namespaces only",
        );
      else {
        const rules = rulesOf(clusterRoles.get(String(roleRef.name)));
        const w = grantsWrite(rules, (r) => r === "resourcequotas" || r === "*" || r.endsWith("/status"));
        if (w !== undefined)
          add(
            "rbac.protected-writes",
            "medium",
            describe(b),
            "roleRef",
            `grants ${String(hit.kind)} "${String(hit.name)}" of the tenant cluster-wide writes to "${w}"`,
            "remove the binding or the write verbs",
          );
      }
    }

    const controls: ControlResult[] = AUDIT_CONTROLS.map((c) => {
      const n = findings.filter((f) => f.control === c.id).length;
      const status = n > 0 ? "fail" : applicable.has(c.id) ? "pass" : "n/a";
      return { id: c.id, title: c.title, severity: c.severity, guide: c.guide, status, findings: n };
    });
    tenantAudits.push({ tenant: t.name, score: score(controls), namespaces: nsNames, controls, findings });
  }

  // cluster controls
  const clusterFindings: AuditFinding[] = [];
  for (const t of invalid) clusterFindings.push(invalidTenantFinding(t));
  const webhooks = [
    ...source.list("ValidatingWebhookConfiguration"),
    ...source.list("MutatingWebhookConfiguration"),
  ];
  const entries = webhooks.flatMap((w) =>
    Array.isArray(w.webhooks) ? w.webhooks.filter(isRecord).map((e) => ({ config: w, entry: e })) : [],
  );
  const pathOf = (e: Record<string, unknown>): string => {
    const cc = isRecord(e.clientConfig) ? e.clientConfig : {};
    if (typeof cc.url === "string") return new URL(cc.url, "https://x").pathname;
    return isRecord(cc.service) && typeof cc.service.path === "string" ? cc.service.path : "";
  };
  for (const [kind, path] of [
    ["ValidatingWebhookConfiguration", "/admission/validate"],
    ["MutatingWebhookConfiguration", "/admission/mutate"],
  ] as const) {
    if (!entries.some((x) => x.config.kind === kind && pathOf(x.entry) === path)) {
      clusterFindings.push({
        control: "webhooks.installed",
        severity: "high",
        object: kind,
        field: "webhooks[].clientConfig",
        message: `no ${kind} sends requests to kubeiam's ${path}${webhooks.length === 0 ? " (none found among the objects read)" : ""}`,
        fix: "kubeiam webhook manifests | kubectl apply -f -",
      });
    }
  }
  for (const x of entries) {
    const p = pathOf(x.entry);
    if (
      (p === "/admission/validate" || p === "/admission/mutate") &&
      x.entry.failurePolicy === "Ignore" &&
      !String(x.entry.name).startsWith("advisory.")
    ) {
      clusterFindings.push({
        control: "webhooks.fail-closed",
        severity: "medium",
        object: describe(x.config),
        field: `webhooks[name=${String(x.entry.name)}].failurePolicy`,
        message: "Ignore lets requests through unchecked when kubeiam is unreachable",
        fix: "set failurePolicy: Fail",
      });
    }
  }
  const clusterControls: ControlResult[] = CLUSTER_CONTROLS.map((c) => {
    const n = clusterFindings.filter((f) => f.control === c.id).length;
    return {
      id: c.id,
      title: c.title,
      severity: c.severity,
      guide: c.guide,
      status: n > 0 ? "fail" : c.id === "webhooks.fail-closed" && entries.length === 0 ? "n/a" : "pass",
      findings: n,
    };
  });
  const clusterScore = score(clusterControls);
  const all = [...tenantAudits.flatMap((t) => t.findings), ...clusterFindings];
  return {
    tenants: tenantAudits,
    cluster: { score: clusterScore, controls: clusterControls, findings: clusterFindings },
    score: tenantAudits.length === 0 ? clusterScore : Math.min(...tenantAudits.map((t) => t.score)),
    totals: {
      findings: all.length,
      high: all.filter((f) => f.severity === "high").length,
      medium: all.filter((f) => f.severity === "medium").length,
      low: all.filter((f) => f.severity === "low").length,
    },
  };
}

function invalidTenantFinding(t: InvalidTenant): AuditFinding {
  return {
    control: "tenants.valid",
    severity: "high",
    object: `Tenant ${t.name}`,
    field: t.problems[0]?.split(":")[0] ?? "spec",
    message: `invalid, so its namespaces are not protected: ${t.problems.join("; ")}`,
    fix: "fix the Tenant (kubeiam validates it with the same rules when loading)",
  };
}
