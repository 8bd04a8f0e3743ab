/**
 * What the tenancy admission engines read about the cluster, behind a small synchronous interface
 * (the server implements it over the object cache; tests over plain objects), and the violation
 * type every rule returns.
 */
import type { TenantIndex } from "../../tenancy/tenant-index.js";
import type { TenantRuleId } from "../../tenancy/rules.js";

export type Labels = Readonly<Record<string, string>>;

export interface NodeTaint {
  readonly key: string;
  readonly value: string;
  readonly effect: string;
}

export interface NodeInfo {
  readonly labels: Labels;
  readonly taints: readonly NodeTaint[];
}

export interface TenancyView {
  readonly index: TenantIndex;
  /** Labels of a namespace known to kubeiam, or undefined when it is not known. */
  namespaceLabels(name: string): Labels | undefined;
  /** A node known to kubeiam, or undefined. */
  node(name: string): NodeInfo | undefined;
  /** Live pods of a namespace (for the warnings of a namespace whose enforce level tightens). */
  podsInNamespace(namespace: string): readonly Record<string, unknown>[];
}

/** One broken tenant rule: which rule, which tenant, which field, and what is wrong. */
export interface TenantViolation {
  readonly rule: TenantRuleId;
  readonly tenant: string;
  /** Field path in the object, e.g. `spec.volumes[0].hostPath.path`. */
  readonly field: string;
  readonly message: string;
}

/** `[rule] tenant "acme": field: message` — the text used in denials, warnings and audit annotations. */
export function formatViolation(v: TenantViolation): string {
  return `[${v.rule}] tenant ${JSON.stringify(v.tenant)}: ${v.field}: ${v.message}`;
}

export function violationKey(v: TenantViolation): string {
  return `${v.rule}\u0000${v.field}\u0000${v.message}`;
}

/** A view with no cluster state (every lookup misses). */
export function emptyView(index: TenantIndex): TenancyView {
  return { index, namespaceLabels: () => undefined, node: () => undefined, podsInNamespace: () => [] };
}
