/**
 * Escalation-risk lint (rbac-tool analysis, KubiScan): subjects whose rules let them escalate or bind
 * roles, impersonate, read secrets, exec into pods, proxy to nodes, create pods in kube-system, or
 * that hold wildcards, each with the binding, role and rule that grants it. Rules limited by
 * resourceNames are still reported, with the names.
 */
import { compareNames } from "./lib/go-format.js";
import type { ParsedBinding } from "./lib/parse-objects.js";
import { bindingRef, effectiveSubject, roleObjectRef } from "./lib/subjects.js";
import type { RbacIndex } from "./rbac-index.js";
import { apiGroupMatches, resourceMatches, verbMatches } from "./rule-allows.js";
import type { BindingRef, PolicyRule, RoleObjectRef, Subject } from "./types.js";
import { RBAC_GROUP } from "./types.js";

export type RiskKind =
  | "escalate"
  | "bind"
  | "impersonate"
  | "read-secrets"
  | "exec"
  | "proxy-nodes"
  | "create-pods-kube-system"
  | "wildcard";

export const RISK_KINDS: readonly RiskKind[] = [
  "escalate",
  "bind",
  "impersonate",
  "read-secrets",
  "exec",
  "proxy-nodes",
  "create-pods-kube-system",
  "wildcard",
];

export interface RiskFinding {
  readonly risk: RiskKind;
  readonly subject: Subject;
  readonly binding: BindingRef;
  readonly role: RoleObjectRef;
  readonly ruleIndex: number;
  readonly rule: PolicyRule;
  /** Where the permission holds: a namespace, or "" for cluster-wide. */
  readonly namespace: string;
  /** Set when the rule is limited to these object names. */
  readonly limitedToNames?: readonly string[];
  readonly message: string;
}

export interface RisksOptions {
  /** Only what holds in this namespace: ClusterRoleBindings plus that namespace's RoleBindings. */
  readonly namespace?: string;
}

const grants = (
  rule: PolicyRule,
  verbs: readonly string[],
  group: string,
  resources: readonly string[],
): boolean =>
  verbs.some((v) => verbMatches(rule, v)) &&
  apiGroupMatches(rule, group) &&
  resources.some((r) => {
    const slash = r.indexOf("/");
    return resourceMatches(rule, r, slash < 0 ? "" : r.slice(slash + 1));
  });

function anyVerb(rule: PolicyRule): readonly string[] {
  return rule.verbs;
}

interface Check {
  readonly risk: RiskKind;
  readonly test: (rule: PolicyRule, namespace: string) => boolean;
  readonly what: string;
}

const CHECKS: readonly Check[] = [
  {
    risk: "escalate",
    what: "may escalate roles/clusterroles (write roles with permissions it does not hold)",
    test: (r) => grants(r, ["escalate"], RBAC_GROUP, ["roles", "clusterroles"]),
  },
  {
    risk: "bind",
    what: "may bind roles/clusterroles (grant roles it does not hold)",
    test: (r) => grants(r, ["bind"], RBAC_GROUP, ["roles", "clusterroles"]),
  },
  {
    risk: "impersonate",
    what: "may impersonate users, groups, service accounts, uids or user extras",
    test: (r) =>
      grants(r, ["impersonate"], "", ["users", "groups", "serviceaccounts"]) ||
      (verbMatches(r, "impersonate") &&
        apiGroupMatches(r, "authentication.k8s.io") &&
        r.resources.some(
          (x) => x === "*" || x === "uids" || x.startsWith("userextras/") || x.startsWith("*/"),
        )),
  },
  {
    risk: "read-secrets",
    what: "may read secrets (get/list/watch)",
    test: (r) => grants(r, ["get", "list", "watch"], "", ["secrets"]),
  },
  {
    risk: "exec",
    what: "may exec into pods (create pods/exec)",
    test: (r) => grants(r, ["create"], "", ["pods/exec"]),
  },
  {
    risk: "proxy-nodes",
    what: "may proxy to nodes (nodes/proxy: the kubelet API)",
    test: (r) => grants(r, anyVerb(r), "", ["nodes/proxy"]) || grants(r, ["proxy"], "", ["nodes"]),
  },
  {
    risk: "create-pods-kube-system",
    what: "may create pods in kube-system",
    test: (r, ns) => (ns === "" || ns === "kube-system") && grants(r, ["create"], "", ["pods"]),
  },
  {
    risk: "wildcard",
    what: "holds a wildcard",
    test: (r) =>
      r.verbs.includes("*") ||
      r.apiGroups.includes("*") ||
      r.resources.includes("*") ||
      r.nonResourceURLs.includes("*"),
  },
];

function wildcardFields(r: PolicyRule): string {
  const f: string[] = [];
  if (r.verbs.includes("*")) f.push("verbs");
  if (r.apiGroups.includes("*")) f.push("apiGroups");
  if (r.resources.includes("*")) f.push("resources");
  if (r.nonResourceURLs.includes("*")) f.push("nonResourceURLs");
  return f.join(", ");
}

export function risks(index: RbacIndex, opts: RisksOptions = {}): RiskFinding[] {
  const bindings: ParsedBinding[] = [...index.clusterRoleBindings(), ...index.roleBindings(opts.namespace)];
  const out: RiskFinding[] = [];
  for (const b of bindings) {
    const res = index.resolve(b);
    if (!res.rules) continue;
    const binding = bindingRef(b);
    const role = roleObjectRef(b);
    const where = b.namespace === "" ? "cluster-wide" : `in namespace ${b.namespace}`;
    res.rules.forEach((rule, ruleIndex) => {
      for (const c of CHECKS) {
        if (!c.test(rule, b.namespace)) continue;
        const what = c.risk === "wildcard" ? `${c.what} (${wildcardFields(rule)})` : c.what;
        for (const raw of b.subjects) {
          const subject = effectiveSubject(raw, b.namespace);
          if (subject.kind === "ServiceAccount" && subject.namespace === "") continue;
          const names = rule.resourceNames.length > 0 ? ` (only names ${rule.resourceNames.join(", ")})` : "";
          const who =
            subject.kind === "ServiceAccount"
              ? `ServiceAccount ${subject.namespace}/${subject.name}`
              : `${subject.kind} ${subject.name}`;
          const f: RiskFinding = {
            risk: c.risk,
            subject,
            binding,
            role,
            ruleIndex,
            rule,
            namespace: b.namespace,
            message: `${who} ${what} ${where}${names}, via ${b.kind} ${b.namespace ? `${b.namespace}/` : ""}${b.name} → ${b.roleRef.kind} ${b.roleRef.name}`,
          };
          out.push(rule.resourceNames.length > 0 ? { ...f, limitedToNames: rule.resourceNames } : f);
        }
      }
    });
  }
  const order = (k: RiskKind): number => RISK_KINDS.indexOf(k);
  return out.sort(
    (a, b) =>
      order(a.risk) - order(b.risk) ||
      compareNames(a.subject.kind, b.subject.kind) ||
      compareNames(a.subject.namespace, b.subject.namespace) ||
      compareNames(a.subject.name, b.subject.name) ||
      compareNames(a.binding.namespace ?? "", b.binding.namespace ?? "") ||
      compareNames(a.binding.name, b.binding.name) ||
      a.ruleIndex - b.ruleIndex,
  );
}
