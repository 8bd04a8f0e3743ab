/**
 * The rules a user holds in a namespace (SelfSubjectRulesReview; also the owner's rules for
 * escalation checks): every rule of every ClusterRoleBinding that applies, then of the namespace's
 * RoleBindings, split into resource and non-resource rules. system:masters is not a rule resolver,
 * so its members see only their RBAC rules, as upstream.
 */
import { aggregateMessage } from "./lib/go-format.js";
import type { ParsedBinding } from "./lib/parse-objects.js";
import { bindingRef, firstApplyingSubject, roleObjectRef } from "./lib/subjects.js";
import type { RbacIndex } from "./rbac-index.js";
import type { PolicyRule, RuleSource, UserInfo } from "./types.js";

export interface ResourceRule {
  readonly verbs: readonly string[];
  readonly apiGroups?: readonly string[];
  readonly resources?: readonly string[];
  readonly resourceNames?: readonly string[];
}

export interface NonResourceRule {
  readonly verbs: readonly string[];
  readonly nonResourceURLs?: readonly string[];
}

/** SubjectRulesReviewStatus, the wire shape. */
export interface SubjectRulesReviewStatus {
  readonly resourceRules: readonly ResourceRule[];
  readonly nonResourceRules: readonly NonResourceRule[];
  readonly incomplete: boolean;
  readonly evaluationError?: string;
}

export interface RulesForResult extends SubjectRulesReviewStatus {
  /** Every rule with where it came from, in visit order. */
  readonly sources: readonly RuleSource[];
  /** The plain rules in visit order (the owner rules of an escalation check). */
  readonly rules: readonly PolicyRule[];
  /** Role lookup errors, one per binding that failed. */
  readonly errors: readonly string[];
}

export function rulesFor(index: RbacIndex, user: UserInfo, namespace: string): RulesForResult {
  const sources: RuleSource[] = [];
  const rules: PolicyRule[] = [];
  const errors: string[] = [];
  const visit = (bindings: readonly ParsedBinding[]): void => {
    for (const b of bindings) {
      const si = firstApplyingSubject(b, user);
      if (si < 0) continue;
      const res = index.resolve(b);
      if (res.error !== undefined) {
        errors.push(res.error);
        continue;
      }
      const binding = bindingRef(b);
      const role = roleObjectRef(b);
      res.rules.forEach((rule, ruleIndex) => {
        rules.push(rule);
        sources.push({ binding, role, subject: b.subjects[si]!, ruleIndex, rule });
      });
    }
  };
  visit(index.clusterBindingsFor(user));
  if (namespace !== "") visit(index.namespaceBindingsFor(user, namespace));

  const resourceRules: ResourceRule[] = [];
  const nonResourceRules: NonResourceRule[] = [];
  for (const r of rules) {
    if (r.resources.length > 0) {
      const rr: {
        verbs: readonly string[];
        apiGroups?: readonly string[];
        resources?: readonly string[];
        resourceNames?: readonly string[];
      } = { verbs: r.verbs };
      if (r.apiGroups.length > 0) rr.apiGroups = r.apiGroups;
      rr.resources = r.resources;
      if (r.resourceNames.length > 0) rr.resourceNames = r.resourceNames;
      resourceRules.push(rr);
    }
    if (r.nonResourceURLs.length > 0)
      nonResourceRules.push({ verbs: r.verbs, nonResourceURLs: r.nonResourceURLs });
  }
  const base = { resourceRules, nonResourceRules, incomplete: false, sources, rules, errors };
  return errors.length > 0 ? { ...base, evaluationError: aggregateMessage(errors) } : base;
}
