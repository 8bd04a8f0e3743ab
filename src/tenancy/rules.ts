/**
 * The tenant rules the admission webhook enforces: stable ids (used in denial messages, in
 * `spec.enforcement.overrides` and in the audit report) and what each one protects.
 */

export const TENANT_RULE_IDS = [
  "pod-security",
  "node-isolation.toleration",
  "node-isolation.node-selector",
  "node-isolation.foreign-toleration",
  "node-isolation.foreign-node-selector",
  "node-isolation.node-name",
  "host-paths",
  "capabilities",
  "service.type",
  "service.external-ips",
  "status-write",
  "namespace.ownership",
  "namespace.tenant-change",
  "rolebinding.cluster-admin",
  "rolebinding.foreign-subject",
  "managed-object",
] as const;

export type TenantRuleId = (typeof TENANT_RULE_IDS)[number];

export function isTenantRuleId(s: string): s is TenantRuleId {
  return (TENANT_RULE_IDS as readonly string[]).includes(s);
}

/** Deny the request, warn (response warnings) or only record (audit annotations). */
export type EnforcementAction = "Deny" | "Warn" | "Audit";
export const ENFORCEMENT_ACTIONS: readonly EnforcementAction[] = ["Deny", "Warn", "Audit"];

export const TENANT_RULES: Readonly<Record<TenantRuleId, string>> = {
  "pod-security":
    "pods meet the tenant's Pod Security level (and the namespace's pod-security.kubernetes.io labels)",
  "node-isolation.toleration": "pods tolerate the tenant's node taint",
  "node-isolation.node-selector": "pods select the tenant's nodes",
  "node-isolation.foreign-toleration": "pods do not tolerate another tenant's node taint",
  "node-isolation.foreign-node-selector": "pods do not select another tenant's nodes",
  "node-isolation.node-name": "pods naming a node directly name one of the tenant's nodes",
  "host-paths": "no hostPath volumes, or only read-only mounts under the tenant's allowed prefixes",
  capabilities: "containers add only the capabilities the tenant allows",
  "service.type": "Services use only the tenant's allowed types",
  "service.external-ips": "Services set no externalIPs outside the tenant's allowed CIDRs (CVE-2020-8554)",
  "status-write": "tenant subjects do not write status subresources",
  "namespace.ownership":
    "namespaces created by a tenant owner match one of the owner's tenants' names or prefix",
  "namespace.tenant-change": "tenant subjects do not move a namespace into or out of a tenant",
  "rolebinding.cluster-admin": "RoleBindings in tenant namespaces do not grant cluster-admin",
  "rolebinding.foreign-subject": "RoleBindings in tenant namespaces do not name another tenant's subjects",
  "managed-object":
    "tenant subjects do not change or delete the NetworkPolicies, quotas, limits and bindings kubeiam generated",
};

/** Label kubeiam puts on the objects it generates (`tenant render`); tenant subjects may not change them. */
export const MANAGED_BY_LABEL = "app.kubernetes.io/managed-by";
export const MANAGED_BY_VALUE = "kubeiam";
