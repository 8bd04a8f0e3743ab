/**
 * renderTenant: the objects a tenant needs in the cluster — its Namespaces (tenant label and
 * pod-security labels), and in each namespace NetworkPolicies (default deny, same-tenant traffic,
 * DNS, egress except link-local and the node metadata endpoints), a ResourceQuota, a LimitRange,
 * and the owners' RoleBinding; plus a ClusterRole/ClusterRoleBinding letting owners create
 * namespaces when the tenant has a prefix. Every object is labelled managed-by kubeiam, which the
 * validating webhook protects from tenant subjects. Pure.
 */
import type { KubeObject } from "../store/types.js";
import { MANAGED_BY_LABEL, MANAGED_BY_VALUE } from "./rules.js";
import { TENANT_LABEL, type Tenant } from "./tenant.js";

/** Egress is allowed everywhere except these (link-local, IMDS, ECS and EKS Pod Identity agent endpoints). */
export const METADATA_EGRESS_EXCEPT_V4 = ["169.254.0.0/16"] as const;
export const METADATA_EGRESS_EXCEPT_V6 = ["fd00:ec2::254/128", "fd00:ec2::23/128", "fe80::/10"] as const;

export const NAMES = {
  defaultDeny: "kubeiam-default-deny",
  sameTenant: "kubeiam-allow-same-tenant",
  dns: "kubeiam-allow-dns",
  egress: "kubeiam-allow-egress-except-metadata",
  quota: "kubeiam-tenant-quota",
  limits: "kubeiam-tenant-limits",
  owners: "kubeiam-tenant-owners",
} as const;

export interface RenderOptions {
  /** Namespaces of the tenant that exist already (matched by prefix or selector); listed names are always rendered. */
  readonly existingNamespaces?: readonly {
    readonly name: string;
    readonly labels?: Readonly<Record<string, string>> | undefined;
  }[];
  /** ClusterRole bound to owners in each namespace (default "admin"). */
  readonly ownerClusterRole?: string;
}

export interface RenderResult {
  readonly objects: readonly KubeObject[];
  /** Things the user should know (e.g. a prefix-only tenant has no namespace yet). */
  readonly notes: readonly string[];
}

function labels(t: Tenant, extra: Record<string, string> = {}): Record<string, string> {
  return { [MANAGED_BY_LABEL]: MANAGED_BY_VALUE, [TENANT_LABEL]: t.name, ...extra };
}

function ownerSubjects(t: Tenant): Record<string, string>[] {
  return [
    ...t.owners.users.map((name) => ({ apiGroup: "rbac.authorization.k8s.io", kind: "User", name })),
    ...t.owners.iamArns.map((name) => ({ apiGroup: "rbac.authorization.k8s.io", kind: "User", name })),
    ...t.owners.groups.map((name) => ({ apiGroup: "rbac.authorization.k8s.io", kind: "Group", name })),
  ];
}

function networkPolicies(t: Tenant, ns: string): KubeObject[] {
  const meta = (name: string): KubeObject["metadata"] => ({ name, namespace: ns, labels: labels(t) });
  const np = (name: string, spec: Record<string, unknown>): KubeObject => ({
    apiVersion: "networking.k8s.io/v1",
    kind: "NetworkPolicy",
    metadata: meta(name),
    spec,
  });
  const sameTenant = { namespaceSelector: { matchLabels: { [TENANT_LABEL]: t.name } } };
  return [
    np(NAMES.defaultDeny, { podSelector: {}, policyTypes: ["Ingress", "Egress"] }),
    np(NAMES.sameTenant, {
      podSelector: {},
      policyTypes: ["Ingress", "Egress"],
      ingress: [{ from: [sameTenant] }],
      egress: [{ to: [sameTenant] }],
    }),
    np(NAMES.dns, {
      podSelector: {},
      policyTypes: ["Egress"],
      egress: [
        {
          to: [
            {
              namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "kube-system" } },
              podSelector: { matchLabels: { "k8s-app": "kube-dns" } },
            },
          ],
          ports: [
            { protocol: "UDP", port: 53 },
            { protocol: "TCP", port: 53 },
          ],
        },
      ],
    }),
    np(NAMES.egress, {
      podSelector: {},
      policyTypes: ["Egress"],
      egress: [
        {
          to: [
            { ipBlock: { cidr: "0.0.0.0/0", except: [...METADATA_EGRESS_EXCEPT_V4] } },
            { ipBlock: { cidr: "::/0", except: [...METADATA_EGRESS_EXCEPT_V6] } },
          ],
        },
      ],
    }),
  ];
}

/** The namespace labels a tenant namespace carries (tenant and Pod Security). */
export function tenantNamespaceLabels(t: Tenant): Record<string, string> {
  const ps = t.podSecurity;
  return {
    [TENANT_LABEL]: t.name,
    "pod-security.kubernetes.io/enforce": ps.level,
    "pod-security.kubernetes.io/enforce-version": ps.version,
    "pod-security.kubernetes.io/warn": ps.level,
    "pod-security.kubernetes.io/warn-version": ps.version,
    "pod-security.kubernetes.io/audit": ps.level,
    "pod-security.kubernetes.io/audit-version": ps.version,
  };
}

export function renderTenant(t: Tenant, opts: RenderOptions = {}): RenderResult {
  const notes: string[] = [];
  const existing = new Map((opts.existingNamespaces ?? []).map((n) => [n.name, n.labels ?? {}] as const));
  const names = [...new Set([...t.namespaces.names, ...existing.keys()])].sort();
  if (names.length === 0) {
    notes.push(
      `tenant "${t.name}" has no namespace yet${t.namespaces.prefix !== undefined ? `; owners can create namespaces named "${t.namespaces.prefix}…"` : ""} — render again once they exist`,
    );
  }
  if (t.owners.iamArns.length > 0) {
    notes.push(
      "IAM ARN owners are bound as User subjects named by the ARN; if your identity mapping gives them another user name, list that name in spec.owners.users",
    );
  }
  const objects: KubeObject[] = [];
  for (const ns of names) {
    const current = existing.get(ns) ?? {};
    objects.push({
      apiVersion: "v1",
      kind: "Namespace",
      metadata: { name: ns, labels: { ...current, ...labels(t), ...tenantNamespaceLabels(t) } },
    });
  }
  for (const ns of names) {
    if (t.networkIsolation) objects.push(...networkPolicies(t, ns));
    if (Object.keys(t.resourceQuota.hard).length > 0) {
      objects.push({
        apiVersion: "v1",
        kind: "ResourceQuota",
        metadata: { name: NAMES.quota, namespace: ns, labels: labels(t) },
        spec: { hard: { ...t.resourceQuota.hard } },
      });
    }
    if (t.limitRange.limits.length > 0) {
      objects.push({
        apiVersion: "v1",
        kind: "LimitRange",
        metadata: { name: NAMES.limits, namespace: ns, labels: labels(t) },
        spec: { limits: t.limitRange.limits.map((l) => ({ ...l })) },
      });
    }
    objects.push({
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "RoleBinding",
      metadata: { name: NAMES.owners, namespace: ns, labels: labels(t) },
      roleRef: {
        apiGroup: "rbac.authorization.k8s.io",
        kind: "ClusterRole",
        name: opts.ownerClusterRole ?? "admin",
      },
      subjects: ownerSubjects(t),
    });
  }
  if (t.namespaces.prefix !== undefined) {
    const name = `kubeiam:tenant:${t.name}:namespace-creator`;
    objects.push({
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "ClusterRole",
      metadata: { name, labels: labels(t) },
      rules: [{ apiGroups: [""], resources: ["namespaces"], verbs: ["create"] }],
    });
    objects.push({
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "ClusterRoleBinding",
      metadata: { name, labels: labels(t) },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name },
      subjects: ownerSubjects(t),
    });
    notes.push(
      `owners may create namespaces; the validating webhook admits only names starting with "${t.namespaces.prefix}"${t.namespaces.names.length > 0 ? " or listed in spec.namespaces.names" : ""}`,
    );
  }
  return { objects, notes };
}
