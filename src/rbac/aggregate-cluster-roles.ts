/**
 * ClusterRole aggregation as the clusterrole-aggregation controller does it: for each selector of an
 * aggregationRule, in order, the matching ClusterRoles sorted by name (skipping the role itself)
 * contribute their rules, each rule once. Aggregated roles can aggregate aggregated roles (admin ⊇
 * edit ⊇ view); `aggregateClusterRoles` computes the state the controller converges to.
 */
import type { LabelSelector } from "./lib/parse-objects.js";
import { goCompare } from "./lib/go-format.js";
import type { PolicyRule } from "./types.js";

export interface AggregationInput {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  /** The rules as stored (for an aggregated role, what the controller last wrote). */
  readonly rules: readonly PolicyRule[];
  readonly aggregationSelectors?: readonly LabelSelector[];
}

/** metav1.LabelSelectorAsSelector semantics; an empty selector matches every object. */
export function selectorMatches(sel: LabelSelector, labels: Readonly<Record<string, string>>): boolean {
  for (const [k, v] of Object.entries(sel.matchLabels)) if (labels[k] !== v) return false;
  for (const e of sel.matchExpressions) {
    const has = Object.hasOwn(labels, e.key);
    const value = labels[e.key];
    switch (e.operator) {
      case "In":
        if (!has || !e.values.includes(value!)) return false;
        break;
      case "NotIn":
        if (has && e.values.includes(value!)) return false;
        break;
      case "Exists":
        if (!has) return false;
        break;
      case "DoesNotExist":
        if (has) return false;
        break;
    }
  }
  return true;
}

export function ruleKey(r: PolicyRule): string {
  return JSON.stringify([r.verbs, r.apiGroups, r.resources, r.resourceNames, r.nonResourceURLs]);
}

function byName(a: { name: string }, b: { name: string }): number {
  return goCompare(a.name, b.name);
}

/**
 * One controller sync of `target`: the rules it gets from the current rules of `all` (which may
 * include `target`). Returns `target.rules` unchanged when it has no aggregationRule.
 */
export function aggregateClusterRole(
  target: AggregationInput,
  all: Iterable<AggregationInput>,
): PolicyRule[] {
  if (!target.aggregationSelectors) return [...target.rules];
  const sorted = [...all].sort(byName);
  const out: PolicyRule[] = [];
  const seen = new Set<string>();
  for (const sel of target.aggregationSelectors) {
    for (const role of sorted) {
      if (role.name === target.name || !selectorMatches(sel, role.labels)) continue;
      for (const rule of role.rules) {
        const k = ruleKey(rule);
        if (!seen.has(k)) {
          seen.add(k);
          out.push(rule);
        }
      }
    }
  }
  return out;
}

function sameRules(a: readonly PolicyRule[], b: readonly PolicyRule[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i] && ruleKey(a[i]!) !== ruleKey(b[i]!)) return false;
  return true;
}

/**
 * The effective rules of every aggregated ClusterRole once aggregation has settled: the least
 * fixed point starting from empty aggregated roles (so rules written by hand into an aggregated
 * role, or left over from a removed source, do not count). Cycles settle on the union.
 */
export function aggregateClusterRoles(all: ReadonlyMap<string, AggregationInput>): Map<string, PolicyRule[]> {
  const roles = [...all.values()].sort(byName);
  const aggregated = roles.filter((r) => r.aggregationSelectors !== undefined);
  const current = new Map<string, PolicyRule[]>();
  if (aggregated.length === 0) return current;
  for (const a of aggregated) current.set(a.name, []);
  // the sources of each selector do not change while iterating: match labels once
  const sources = aggregated.map((a) =>
    a.aggregationSelectors!.map((sel) =>
      roles.filter((r) => r.name !== a.name && selectorMatches(sel, r.labels)),
    ),
  );
  const limit = aggregated.length * 4 + 64;
  for (let iter = 0; iter < limit; iter++) {
    let changed = false;
    aggregated.forEach((a, i) => {
      const out: PolicyRule[] = [];
      const seen = new Set<string>();
      for (const group of sources[i]!) {
        for (const src of group) {
          for (const rule of current.get(src.name) ?? src.rules) {
            const k = ruleKey(rule);
            if (!seen.has(k)) {
              seen.add(k);
              out.push(rule);
            }
          }
        }
      }
      if (!sameRules(out, current.get(a.name)!)) {
        current.set(a.name, out);
        changed = true;
      }
    });
    if (!changed) break;
  }
  return current;
}
