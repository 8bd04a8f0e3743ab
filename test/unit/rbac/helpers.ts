/** Shared helpers for the RBAC tests: fixture loading and compact request rows. */
import { readFileSync } from "node:fs";
import { parse } from "yaml";
import type { Attributes, PolicyRule, RequestAttributes } from "../../../src/rbac/types.js";
import { policyRule } from "../../../src/rbac/types.js";
import type { KubeObject } from "../../../src/store/types.js";

// eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters -- the caller names the fixture's shape
export function fixture<T = any>(name: string): T {
  return parse(readFileSync(new URL(`../../fixtures/rbac/${name}`, import.meta.url), "utf8")) as T;
}

export interface RequestRow {
  user?: string;
  groups?: string[];
  verb: string;
  path?: string;
  group?: string;
  resource?: string;
  subresource?: string;
  namespace?: string;
  name?: string;
  reason?: string;
}

export function requestOf(row: RequestRow): RequestAttributes {
  if (row.path !== undefined) return { resourceRequest: false, verb: row.verb, path: row.path };
  return {
    resourceRequest: true,
    verb: row.verb,
    apiGroup: row.group ?? "",
    resource: row.resource ?? "",
    subresource: row.subresource ?? "",
    namespace: row.namespace ?? "",
    name: row.name ?? "",
  };
}

export function attrsOf(row: RequestRow): Attributes {
  return { ...requestOf(row), user: { name: row.user ?? "", groups: row.groups ?? [] } };
}

export function ruleOf(r: Partial<Record<keyof PolicyRule, string[]>>): PolicyRule {
  return policyRule(r);
}

export function label(row: RequestRow): string {
  const who = `${row.user ?? ""}${row.groups?.length ? `[${row.groups.join(",")}]` : ""}`;
  const what =
    row.path !== undefined
      ? row.path
      : `${row.group ? `${row.group}/` : ""}${row.resource}${row.subresource ? `/${row.subresource}` : ""}${row.name ? `:${row.name}` : ""}${row.namespace ? ` in ${row.namespace}` : ""}`;
  return `${who} ${row.verb} ${what}`;
}

export const rbac = {
  clusterRole(
    name: string,
    rules: object[],
    extra: Record<string, unknown> = {},
    labels?: Record<string, string>,
  ): KubeObject {
    return {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "ClusterRole",
      metadata: labels ? { name, labels } : { name },
      rules,
      ...extra,
    };
  },
  role(namespace: string, name: string, rules: object[]): KubeObject {
    return { apiVersion: "rbac.authorization.k8s.io/v1", kind: "Role", metadata: { name, namespace }, rules };
  },
  clusterRoleBinding(name: string, role: string, subjects: object[]): KubeObject {
    return {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "ClusterRoleBinding",
      metadata: { name },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: role },
      subjects,
    };
  },
  roleBinding(
    namespace: string,
    name: string,
    roleKind: "Role" | "ClusterRole",
    role: string,
    subjects: object[],
  ): KubeObject {
    return {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "RoleBinding",
      metadata: { name, namespace },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: roleKind, name: role },
      subjects,
    };
  },
};
