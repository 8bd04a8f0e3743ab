/**
 * Explains an RBAC decision. Allowed: the binding → role → rule that decided. Not allowed: every
 * binding that names the subject (in any namespace), and the nearest rule with what differed
 * (verb, API group, resource, name, namespace, or resource vs non-resource request).
 */
import type { Reason } from "../lib/decision.js";
import type { AuthorizeResult } from "./authorize.js";
import { authorize } from "./authorize.js";
import { describeRequest, describeRule, describeUser } from "./lib/describe.js";
import type { ParsedBinding } from "./lib/parse-objects.js";
import { bindingRef, firstApplyingSubject, roleObjectRef } from "./lib/subjects.js";
import type { RbacIndex } from "./rbac-index.js";
import type { RuleDifference } from "./rule-allows.js";
import { ruleDifferences } from "./rule-allows.js";
import type { Attributes, BindingRef, RoleObjectRef, RuleSource, Subject } from "./types.js";
import { requestNamespace } from "./types.js";

export interface SubjectBinding {
  readonly binding: BindingRef;
  readonly role: RoleObjectRef;
  /** The binding's first subject that applies to the user. */
  readonly subject: Subject;
  /** Whether the binding is consulted for this request (cluster bindings always; RoleBindings in the request's namespace). */
  readonly inScope: boolean;
  /** The role lookup error, when the role does not exist. */
  readonly error?: string;
  readonly ruleCount: number;
}

export interface NearestRule extends RuleSource {
  readonly differences: readonly RuleDifference[];
}

export interface Explanation {
  readonly decision: AuthorizeResult["decision"];
  readonly reason: string;
  readonly superuser: boolean;
  readonly allowedBy?: RuleSource;
  /** The bindings naming the user, its groups or its service account, cluster ones first. */
  readonly bindings: readonly SubjectBinding[];
  /** For a request not allowed: the rule that came closest (fewest differences, first in visit order). */
  readonly nearest?: NearestRule;
  readonly reasons: readonly Reason[];
}

/**
 * How far a rule is from allowing: one per difference, but a rule for the other kind of request
 * (URLs for a resource request, or resources for a URL) is farther than any rule of the right kind.
 */
function distance(differences: readonly RuleDifference[]): number {
  let d = 0;
  for (const x of differences) d += x.field === "requestKind" ? 100 : 1;
  return d;
}

export function explain(index: RbacIndex, attrs: Attributes): Explanation {
  const result = authorize(index, attrs);
  const ns = requestNamespace(attrs);
  const bindings: SubjectBinding[] = [];
  const applying: { b: ParsedBinding; si: number; inScope: boolean }[] = [];
  for (const b of index.clusterBindingsFor(attrs.user)) {
    const si = firstApplyingSubject(b, attrs.user);
    if (si >= 0) applying.push({ b, si, inScope: true });
  }
  const inNs: typeof applying = [];
  const elsewhere: typeof applying = [];
  for (const b of index.roleBindings()) {
    const si = firstApplyingSubject(b, attrs.user);
    if (si < 0) continue;
    (b.namespace === ns ? inNs : elsewhere).push({ b, si, inScope: b.namespace === ns });
  }
  applying.push(...inNs, ...elsewhere);

  let nearest: NearestRule | undefined;
  let nearestCost = Infinity;
  for (const { b, si, inScope } of applying) {
    const res = index.resolve(b);
    const entry = {
      binding: bindingRef(b),
      role: roleObjectRef(b),
      subject: b.subjects[si]!,
      inScope,
      ruleCount: res.rules?.length ?? 0,
    };
    bindings.push(res.error !== undefined ? { ...entry, error: res.error } : entry);
    if (result.decision === "allow" || !res.rules) continue;
    res.rules.forEach((rule, ruleIndex) => {
      const differences = [...ruleDifferences(rule, attrs)];
      if (!inScope) {
        differences.push({
          field: "namespace",
          expected: [b.namespace],
          actual: ns,
          message:
            ns === ""
              ? `RoleBinding ${b.namespace}/${b.name} grants only inside namespace ${JSON.stringify(b.namespace)}, and the request is cluster-scoped`
              : `RoleBinding ${b.namespace}/${b.name} grants only inside namespace ${JSON.stringify(b.namespace)}, not ${JSON.stringify(ns)}`,
        });
      }
      const cost = distance(differences);
      if (cost < nearestCost) {
        nearestCost = cost;
        nearest = {
          binding: entry.binding,
          role: entry.role,
          subject: entry.subject,
          ruleIndex,
          rule,
          differences,
        };
      }
    });
  }

  const reasons: Reason[] = [...result.reasons];
  if (result.decision !== "allow") {
    if (bindings.length === 0) {
      reasons.push({
        check: "rbac.explain.no-bindings",
        ok: false,
        message: `no RoleBinding or ClusterRoleBinding names ${describeUser(attrs.user)}`,
      });
    } else if (nearest) {
      const n = nearest;
      reasons.push({
        check: "rbac.explain.nearest",
        ok: false,
        message: `nearest rule: ${n.binding.kind} ${n.binding.namespace ? `${n.binding.namespace}/` : ""}${n.binding.name} → ${n.role.kind} ${n.role.name}, rule ${n.ruleIndex} (${describeRule(n.rule)}); ${n.differences.map((d) => d.message).join("; ")}`,
        source: `${n.binding.kind}/${n.binding.namespace ? `${n.binding.namespace}/` : ""}${n.binding.name}`,
        expected: n.differences.map((d) => ({ field: d.field, values: d.expected })),
        actual: describeRequest(attrs),
      });
    }
  }
  const base = {
    decision: result.decision,
    reason: result.reason,
    superuser: result.superuser === true,
    bindings,
    reasons,
  };
  if (result.allowedBy) return { ...base, allowedBy: result.allowedBy };
  return nearest ? { ...base, nearest } : base;
}
