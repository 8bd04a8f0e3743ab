/**
 * The inverse query (kubectl-who-can, SubjectAccessEvaluator.AllowedSubjects): which users, groups
 * and service accounts may make a request, each with the bindings and roles that grant it. The
 * privileged group system:masters is always listed. ServiceAccount subjects of RoleBindings get the
 * binding's namespace when they name none; ServiceAccount subjects of ClusterRoleBindings without a
 * namespace match nobody and are left out.
 */
import { aggregateMessage, compareNames } from "./lib/go-format.js";
import type { ParsedBinding } from "./lib/parse-objects.js";
import { bindingRef, effectiveSubject, roleObjectRef } from "./lib/subjects.js";
import type { RbacIndex } from "./rbac-index.js";
import { ruleAllowsRequest, toMatchRequest } from "./rule-allows.js";
import type { BindingRef, RequestAttributes, RoleObjectRef, SubjectKind } from "./types.js";
import { requestNamespace, SYSTEM_MASTERS } from "./types.js";

export interface WhoCanGrant {
  readonly binding: BindingRef;
  readonly role: RoleObjectRef;
}

export interface WhoCanSubject {
  readonly kind: SubjectKind;
  readonly name: string;
  /** ServiceAccounts only. */
  readonly namespace?: string;
  /** True for system:masters, allowed before RBAC. */
  readonly privileged?: boolean;
  readonly grants: readonly WhoCanGrant[];
}

export interface WhoCanResult {
  readonly users: readonly WhoCanSubject[];
  readonly groups: readonly WhoCanSubject[];
  readonly serviceAccounts: readonly WhoCanSubject[];
  /** Role lookup errors met (the answer may be missing the subjects of those bindings). */
  readonly errors: readonly string[];
  readonly evaluationError?: string;
}

export interface WhoCanOptions {
  /** Also consider RoleBindings of every namespace (kubectl who-can -A); only for resource requests. */
  readonly allNamespaces?: boolean;
}

export function whoCan(index: RbacIndex, attrs: RequestAttributes, opts: WhoCanOptions = {}): WhoCanResult {
  const req = toMatchRequest(attrs);
  const ns = requestNamespace(attrs);
  const errors: string[] = [];
  const subjects = new Map<
    string,
    { kind: SubjectKind; name: string; namespace?: string; privileged?: boolean; grants: WhoCanGrant[] }
  >();
  subjects.set(`Group\u0000\u0000${SYSTEM_MASTERS}`, {
    kind: "Group",
    name: SYSTEM_MASTERS,
    privileged: true,
    grants: [],
  });

  const consider = (b: ParsedBinding): void => {
    const res = index.resolve(b);
    if (res.error !== undefined) {
      errors.push(res.error);
      return;
    }
    if (!res.rules.some((r) => ruleAllowsRequest(r, req))) return;
    const grant = { binding: bindingRef(b), role: roleObjectRef(b) };
    for (const raw of b.subjects) {
      const s = effectiveSubject(raw, b.namespace);
      if (s.kind === "ServiceAccount" && s.namespace === "") continue;
      const key = `${s.kind}\u0000${s.kind === "ServiceAccount" ? s.namespace : ""}\u0000${s.name}`;
      let entry = subjects.get(key);
      if (!entry) {
        entry =
          s.kind === "ServiceAccount"
            ? { kind: s.kind, name: s.name, namespace: s.namespace, grants: [] }
            : { kind: s.kind, name: s.name, grants: [] };
        subjects.set(key, entry);
      }
      if (
        !entry.grants.some(
          (g) =>
            g.binding.kind === grant.binding.kind &&
            g.binding.name === grant.binding.name &&
            g.binding.namespace === grant.binding.namespace,
        )
      ) {
        entry.grants.push(grant);
      }
    }
  };

  for (const b of index.clusterRoleBindings()) consider(b);
  if (attrs.resourceRequest && opts.allNamespaces === true) for (const b of index.roleBindings()) consider(b);
  else if (ns !== "") for (const b of index.roleBindings(ns)) consider(b);

  const all = [...subjects.values()];
  const sortFn = (a: WhoCanSubject, b: WhoCanSubject): number =>
    compareNames(a.namespace ?? "", b.namespace ?? "") || compareNames(a.name, b.name);
  const base = {
    users: all.filter((s) => s.kind === "User").sort(sortFn),
    groups: all.filter((s) => s.kind === "Group").sort(sortFn),
    serviceAccounts: all.filter((s) => s.kind === "ServiceAccount").sort(sortFn),
    errors,
  };
  return errors.length > 0 ? { ...base, evaluationError: aggregateMessage(errors) } : base;
}
