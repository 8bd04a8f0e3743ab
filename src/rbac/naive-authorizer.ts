/**
 * A deliberately simple RBAC authorizer that scans every binding on every decision, with
 * aggregation recomputed from scratch by repeating the controller's sync until nothing changes.
 * It is the oracle the indexed authorizer is checked against (property tests) and the baseline
 * of the benchmark; do not use it to serve requests.
 */
import type { Reason } from "../lib/decision.js";
import type { KubeObject } from "../store/types.js";
import type { AggregationInput } from "./aggregate-cluster-roles.js";
import { aggregateClusterRole, ruleKey } from "./aggregate-cluster-roles.js";
import type { AuthorizeResult } from "./authorize.js";
import { superuserResult } from "./authorize.js";
import { describeRequest, requestSummary } from "./lib/describe.js";
import { aggregateMessage, compareNames } from "./lib/go-format.js";
import type { ParsedBinding, ParsedClusterRole, ParsedRole } from "./lib/parse-objects.js";
import { parseBinding, parseClusterRole, parseRole } from "./lib/parse-objects.js";
import { bindingRef, describeBinding, roleNotFoundMessage, roleObjectRef } from "./lib/subjects.js";
import { ruleAllows } from "./rule-allows.js";
import type { Attributes, PolicyRule, Subject, UserInfo } from "./types.js";
import { SYSTEM_MASTERS } from "./types.js";

export interface NaiveAuthorizer {
  authorize(attrs: Attributes): AuthorizeResult;
  /** Effective rules of a ClusterRole after aggregation. */
  clusterRoleRules(name: string): readonly PolicyRule[] | undefined;
}

function applies(s: Subject, user: UserInfo, bindingNamespace: string): boolean {
  if (s.kind === "User") return s.name === user.name;
  if (s.kind === "Group") return user.groups.some((g) => g === s.name);
  const ns = s.namespace || bindingNamespace;
  return ns !== "" && user.name === "system:serviceaccount:" + ns + ":" + s.name;
}

export function createNaiveAuthorizer(objects: Iterable<KubeObject>): NaiveAuthorizer {
  const roles = new Map<string, ParsedRole>();
  const clusterRoles = new Map<string, ParsedClusterRole>();
  const bindings = new Map<string, ParsedBinding>();
  for (const o of objects) {
    const name = o.metadata.name;
    const ns = o.metadata.namespace ?? "";
    if (o.kind === "Role") {
      const v = parseRole(o).value;
      if (v) roles.set(`${ns}/${name}`, v);
      else roles.delete(`${ns}/${name}`);
    } else if (o.kind === "ClusterRole") {
      const v = parseClusterRole(o).value;
      if (v) clusterRoles.set(name, v);
      else clusterRoles.delete(name);
    } else if (o.kind === "RoleBinding" || o.kind === "ClusterRoleBinding") {
      const key = `${o.kind}/${o.kind === "RoleBinding" ? ns : ""}/${name}`;
      const v = parseBinding(o).value;
      if (v) bindings.set(key, v);
      else bindings.delete(key);
    }
  }

  // aggregation: start aggregated roles empty, sync each (by name) until a full pass changes nothing
  const current = new Map<string, AggregationInput>();
  for (const cr of clusterRoles.values())
    current.set(cr.name, cr.aggregationSelectors ? { ...cr, rules: [] } : cr);
  const aggregatedNames = [...clusterRoles.values()]
    .filter((c) => c.aggregationSelectors)
    .map((c) => c.name)
    .sort(compareNames);
  for (let pass = 0; pass < 1000; pass++) {
    let changed = false;
    for (const name of aggregatedNames) {
      const target = current.get(name)!;
      const next = aggregateClusterRole(target, current.values());
      if (next.map(ruleKey).join("\n") !== target.rules.map(ruleKey).join("\n")) {
        current.set(name, { ...target, rules: next });
        changed = true;
      }
    }
    if (!changed) break;
  }

  const all = [...bindings.values()];
  const crbs = all
    .filter((b) => b.kind === "ClusterRoleBinding")
    .sort((a, b) => compareNames(a.name, b.name));
  const rbs = all.filter((b) => b.kind === "RoleBinding").sort((a, b) => compareNames(a.name, b.name));

  const rulesOf = (b: ParsedBinding): readonly PolicyRule[] | string => {
    if (b.roleRef.kind === "ClusterRole")
      return current.get(b.roleRef.name)?.rules ?? roleNotFoundMessage("ClusterRole", b.roleRef.name);
    return (
      roles.get(`${b.namespace}/${b.roleRef.name}`)?.rules ?? roleNotFoundMessage("Role", b.roleRef.name)
    );
  };

  return {
    clusterRoleRules: (name) => current.get(name)?.rules,
    authorize(attrs: Attributes): AuthorizeResult {
      if (attrs.user.groups.includes(SYSTEM_MASTERS)) return superuserResult();
      const errors: string[] = [];
      const ns = attrs.resourceRequest ? (attrs.namespace ?? "") : "";
      const candidates = ns === "" ? crbs : [...crbs, ...rbs.filter((b) => b.namespace === ns)];
      for (const b of candidates) {
        const si = b.subjects.findIndex((s) => applies(s, attrs.user, b.namespace));
        if (si < 0) continue;
        const rules = rulesOf(b);
        if (typeof rules === "string") {
          errors.push(rules);
          continue;
        }
        const ri = rules.findIndex((r) => ruleAllows(r, attrs));
        if (ri >= 0) {
          const subject = b.subjects[si]!;
          const reasons: Reason[] = [
            {
              check: "rbac.rule",
              ok: true,
              message: `allowed by ${describeBinding(b, subject)}`,
              actual: requestSummary(attrs),
            },
          ];
          return {
            decision: "allow",
            reason: `RBAC: allowed by ${describeBinding(b, subject)}`,
            reasons,
            errors,
            allowedBy: {
              binding: bindingRef(b),
              role: roleObjectRef(b),
              subject,
              ruleIndex: ri,
              rule: rules[ri]!,
            },
          };
        }
      }
      const reasons: Reason[] = [
        { check: "rbac.no-match", ok: false, message: `no RBAC rule allows ${describeRequest(attrs)}` },
      ];
      return {
        decision: "no-opinion",
        reason: errors.length > 0 ? `RBAC: ${aggregateMessage(errors)}` : "",
        reasons,
        errors,
      };
    },
  };
}
