/**
 * Which binding subjects apply to a user (rule.go appliesTo) and how kube-apiserver names them in
 * its "allowed by" reasons.
 */
import type { BindingRef, RoleObjectRef, Subject, UserInfo } from "../types.js";
import { SERVICE_ACCOUNT_USER_PREFIX } from "../types.js";
import type { ParsedBinding } from "./parse-objects.js";
import { goQuote } from "./go-format.js";

/**
 * User: name equality; Group: membership; ServiceAccount: the username `system:serviceaccount:<ns>:<name>`
 * with ns defaulting to `bindingNamespace` (never for a ClusterRoleBinding, whose namespace is "").
 */
export function subjectApplies(s: Subject, user: UserInfo, bindingNamespace: string): boolean {
  switch (s.kind) {
    case "User":
      return user.name === s.name;
    case "Group":
      return user.groups.includes(s.name);
    case "ServiceAccount": {
      const ns = s.namespace !== "" ? s.namespace : bindingNamespace;
      if (ns === "") return false;
      const u = user.name;
      return (
        u.length === SERVICE_ACCOUNT_USER_PREFIX.length + ns.length + 1 + s.name.length &&
        u.startsWith(SERVICE_ACCOUNT_USER_PREFIX) &&
        u.startsWith(ns, SERVICE_ACCOUNT_USER_PREFIX.length) &&
        u.charCodeAt(SERVICE_ACCOUNT_USER_PREFIX.length + ns.length) === 58 &&
        u.endsWith(s.name)
      );
    }
    default:
      return false;
  }
}

/** Index of the first subject of the binding that applies, or -1. */
export function firstApplyingSubject(b: ParsedBinding, user: UserInfo): number {
  const subjects = b.subjects;
  for (let i = 0; i < subjects.length; i++) if (subjectApplies(subjects[i]!, user, b.namespace)) return i;
  return -1;
}

/** `ServiceAccount "name/ns"` (namespace defaulted to the binding's) or `User "x"` / `Group "x"`. */
export function describeSubject(s: Subject, bindingNamespace: string): string {
  if (s.kind === "ServiceAccount")
    return `${s.kind} ${goQuote(s.name + "/" + (s.namespace !== "" ? s.namespace : bindingNamespace))}`;
  return `${s.kind} ${goQuote(s.name)}`;
}

/** kube-apiserver's describer: `ClusterRoleBinding "x" of ClusterRole "y" to Group "z"`. */
export function describeBinding(b: ParsedBinding, s: Subject): string {
  const name = b.kind === "RoleBinding" ? `${b.name}/${b.namespace}` : b.name;
  return `${b.kind} ${goQuote(name)} of ${b.roleRef.kind} ${goQuote(b.roleRef.name)} to ${describeSubject(s, b.namespace)}`;
}

export function bindingRef(b: ParsedBinding): BindingRef {
  return b.kind === "RoleBinding"
    ? { kind: b.kind, name: b.name, namespace: b.namespace }
    : { kind: b.kind, name: b.name };
}

export function roleObjectRef(b: ParsedBinding): RoleObjectRef {
  return b.roleRef.kind === "Role"
    ? { kind: "Role", name: b.roleRef.name, namespace: b.namespace }
    : { kind: "ClusterRole", name: b.roleRef.name };
}

/** The subject with its namespace filled in (ServiceAccounts in RoleBindings default to the binding's namespace). */
export function effectiveSubject(s: Subject, bindingNamespace: string): Subject {
  return s.kind === "ServiceAccount" && s.namespace === "" && bindingNamespace !== ""
    ? { ...s, namespace: bindingNamespace }
    : s;
}

/** `role.rbac.authorization.k8s.io "x" not found` (the lister's NotFound message). */
export function roleNotFoundMessage(kind: "Role" | "ClusterRole", name: string): string {
  return `${kind === "Role" ? "role" : "clusterrole"}.rbac.authorization.k8s.io ${goQuote(name)} not found`;
}
