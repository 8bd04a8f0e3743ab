/**
 * Escalation prevention's comparison (component-helpers policy_comparator.go): whether the owner's
 * rules cover every atom (group × resource × verb × name, or URL × verb) of the requested rules, with
 * the uncovered atoms; plus CompactRules and CompactString that shape the error lines.
 */
import { goQuoteList } from "./lib/go-format.js";
import type { PolicyRule } from "./types.js";
import { policyRule } from "./types.js";

export interface CoversResult {
  readonly covered: boolean;
  /** The atoms of the requested rules no owner rule covers, in breakdown order. */
  readonly uncovered: readonly PolicyRule[];
}

/** Splits a rule into atoms with at most one verb, group, resource and name (or one URL and verb). */
export function breakdownRule(rule: PolicyRule): PolicyRule[] {
  const out: PolicyRule[] = [];
  for (const group of rule.apiGroups) {
    for (const resource of rule.resources) {
      for (const verb of rule.verbs) {
        if (rule.resourceNames.length > 0) {
          for (const name of rule.resourceNames)
            out.push(
              policyRule({ apiGroups: [group], resources: [resource], verbs: [verb], resourceNames: [name] }),
            );
        } else {
          out.push(policyRule({ apiGroups: [group], resources: [resource], verbs: [verb] }));
        }
      }
    }
  }
  for (const url of rule.nonResourceURLs)
    for (const verb of rule.verbs) out.push(policyRule({ nonResourceURLs: [url], verbs: [verb] }));
  return out;
}

const has = (set: readonly string[], x: string): boolean => set.includes(x);
const hasAll = (set: readonly string[], xs: readonly string[]): boolean => xs.every((x) => set.includes(x));

function resourceCoversAll(owner: readonly string[], requested: readonly string[]): boolean {
  if (has(owner, "*") || hasAll(owner, requested)) return true;
  for (const path of requested) {
    if (has(owner, path)) continue;
    const slash = path.indexOf("/");
    if (slash < 0) return false;
    if (!has(owner, "*/" + path.slice(slash + 1))) return false;
  }
  return true;
}

/** An owner URL covers a requested URL when equal, or when it ends in `*` and the URL starts with the rest. */
export function nonResourceURLCovers(owner: string, requested: string): boolean {
  if (owner === requested) return true;
  if (!owner.endsWith("*")) return false;
  let end = owner.length;
  while (end > 0 && owner[end - 1] === "*") end--;
  return requested.startsWith(owner.slice(0, end));
}

function nonResourceURLsCoverAll(owner: readonly string[], requested: readonly string[]): boolean {
  return requested.every((r) => owner.some((o) => nonResourceURLCovers(o, r)));
}

/** Whether one owner rule covers one atom. */
export function ruleCovers(owner: PolicyRule, atom: PolicyRule): boolean {
  const verbs = has(owner.verbs, "*") || hasAll(owner.verbs, atom.verbs);
  const groups = has(owner.apiGroups, "*") || hasAll(owner.apiGroups, atom.apiGroups);
  const resources = resourceCoversAll(owner.resources, atom.resources);
  const urls = nonResourceURLsCoverAll(owner.nonResourceURLs, atom.nonResourceURLs);
  const names =
    atom.resourceNames.length === 0
      ? owner.resourceNames.length === 0
      : owner.resourceNames.length === 0 || hasAll(owner.resourceNames, atom.resourceNames);
  return verbs && groups && resources && names && urls;
}

export function covers(
  ownerRules: readonly PolicyRule[],
  requestedRules: readonly PolicyRule[],
): CoversResult {
  const uncovered: PolicyRule[] = [];
  for (const rule of requestedRules) {
    for (const atom of breakdownRule(rule)) {
      if (!ownerRules.some((o) => ruleCovers(o, atom))) uncovered.push(atom);
    }
  }
  return { covered: uncovered.length === 0, uncovered };
}

/**
 * CompactRules: merges rules that have one group, one resource, at most one name and no URLs and
 * differ only in verbs (verbs in first-seen order); other rules are kept as they are.
 */
export function compactRules(rules: readonly PolicyRule[]): PolicyRule[] {
  const compacted: PolicyRule[] = [];
  const simple = new Map<
    string,
    { apiGroups: string[]; resources: string[]; resourceNames: string[]; verbs: string[] }
  >();
  for (const r of rules) {
    const isSimple =
      r.resourceNames.length <= 1 &&
      r.nonResourceURLs.length === 0 &&
      r.apiGroups.length === 1 &&
      r.resources.length === 1;
    if (!isSimple) {
      compacted.push(r);
      continue;
    }
    const key = JSON.stringify([
      r.apiGroups[0],
      r.resources[0],
      r.resourceNames.length > 0,
      r.resourceNames[0] ?? "",
    ]);
    const existing = simple.get(key);
    if (existing) {
      for (const v of r.verbs) if (!existing.verbs.includes(v)) existing.verbs.push(v);
    } else {
      simple.set(key, {
        apiGroups: [...r.apiGroups],
        resources: [...r.resources],
        resourceNames: [...r.resourceNames],
        verbs: [...r.verbs],
      });
    }
  }
  for (const s of simple.values()) compacted.push(policyRule(s));
  return compacted;
}

/** CompactString: `{APIGroups:[""], Resources:["secrets"], Verbs:["get"]}` (non-empty fields only, in this order). */
export function compactString(r: PolicyRule): string {
  const parts: string[] = [];
  if (r.apiGroups.length > 0) parts.push(`APIGroups:${goQuoteList(r.apiGroups)}`);
  if (r.resources.length > 0) parts.push(`Resources:${goQuoteList(r.resources)}`);
  if (r.nonResourceURLs.length > 0) parts.push(`NonResourceURLs:${goQuoteList(r.nonResourceURLs)}`);
  if (r.resourceNames.length > 0) parts.push(`ResourceNames:${goQuoteList(r.resourceNames)}`);
  if (r.verbs.length > 0) parts.push(`Verbs:${goQuoteList(r.verbs)}`);
  return "{" + parts.join(", ") + "}";
}
