/**
 * A role's rules compiled for repeated matching. Resource rules are broken into entries (one per
 * API group × resource) in a flat Int32Array: group and resource as interned ids (or "any"), verbs as
 * a bitmask of the well-known verbs. A request is turned into ids once (`MatchKeys`), and a role is
 * matched by scanning a few cache lines instead of chasing every rule's string arrays. Rules with
 * uncommon verbs or resourceNames fall back to comparing strings for that part. `first` returns the
 * index of the first rule that allows the request, exactly as a linear RuleAllows scan would.
 */
import { ruleAllowsRequest, type MatchRequest } from "../rule-allows.js";
import type { PolicyRule } from "../types.js";

const KNOWN_VERBS = [
  "get",
  "list",
  "watch",
  "create",
  "update",
  "patch",
  "delete",
  "deletecollection",
  "proxy",
  "bind",
  "escalate",
  "impersonate",
  "use",
  "approve",
  "sign",
  "attest",
];
const VERB_BIT = new Map(KNOWN_VERBS.map((v, i) => [v, 1 << i]));

export const ANY = -1;
const UNKNOWN = -2;
export const F_ANY_VERB = 1;
export const F_OTHER_VERBS = 2;
export const F_NAMES = 4;
/** Entry layout: ruleIndex, group, resource, verbMask, flags. */
export const STRIDE = 5;

/** Interns API groups and resource strings (`pods`, `pods/log`, and star-slash-subresource forms) of one index. */
export class RuleInterner {
  private readonly groups = new Map<string, number>();
  private readonly resources = new Map<string, number>();

  group(g: string): number {
    let id = this.groups.get(g);
    if (id === undefined) this.groups.set(g, (id = this.groups.size));
    return id;
  }

  resource(r: string): number {
    let id = this.resources.get(r);
    if (id === undefined) this.resources.set(r, (id = this.resources.size));
    return id;
  }

  /** The ids of a request (UNKNOWN for strings no rule mentions). */
  keys(req: MatchRequest): MatchKeys {
    if (!req.resourceRequest)
      return { verbBit: VERB_BIT.get(req.verb) ?? 0, group: UNKNOWN, combined: UNKNOWN, starSub: UNKNOWN };
    return {
      verbBit: VERB_BIT.get(req.verb) ?? 0,
      group: this.groups.get(req.apiGroup) ?? UNKNOWN,
      combined: this.resources.get(req.combined) ?? UNKNOWN,
      starSub: req.subresource === "" ? UNKNOWN : (this.resources.get("*/" + req.subresource) ?? UNKNOWN),
    };
  }
}

export interface MatchKeys {
  /** Bit of the request's verb among the well-known verbs, 0 for others. */
  readonly verbBit: number;
  readonly group: number;
  readonly combined: number;
  /** Id of `*` + `/<subresource>` when the request has a subresource. */
  readonly starSub: number;
}

export interface RuleMatcher {
  /** Index of the first rule allowing the request, or -1. */
  first(req: MatchRequest, keys: MatchKeys): number;
  /** The resource-rule entries (see STRIDE), for callers that concatenate several roles. */
  readonly entries: Int32Array;
  /** Whether any rule has non-resource URLs. */
  readonly hasUrlRules: boolean;
}

const NO_RULES: RuleMatcher = { first: () => -1, entries: new Int32Array(0), hasUrlRules: false };

/**
 * Matches entry `k` of `e` on ids: -1 when it cannot allow the request, otherwise the string checks
 * still to make on its rule (0 = none; F_OTHER_VERBS = the verb; F_NAMES = the name).
 */
export function entryMatch(e: Int32Array, k: number, keys: MatchKeys): number {
  const g = e[k + 1]!;
  if (g !== ANY && g !== keys.group) return -1;
  const r = e[k + 2]!;
  if (r !== ANY && r !== keys.combined && r !== keys.starSub) return -1;
  const flags = e[k + 4]!;
  let pending = flags & F_NAMES;
  if ((flags & F_ANY_VERB) === 0) {
    if (keys.verbBit !== 0) {
      if ((e[k + 3]! & keys.verbBit) === 0) return -1;
    } else if ((flags & F_OTHER_VERBS) === 0) return -1;
    else pending |= F_OTHER_VERBS;
  }
  return pending;
}

/** The string checks `entryMatch` left pending. */
export function pendingAllows(pending: number, rule: PolicyRule, req: MatchRequest): boolean {
  if ((pending & F_OTHER_VERBS) !== 0 && !rule.verbs.includes(req.verb)) return false;
  return (pending & F_NAMES) === 0 || rule.resourceNames.includes(req.name);
}

class CompiledMatcher implements RuleMatcher {
  readonly hasUrlRules: boolean;
  constructor(
    private readonly rules: readonly PolicyRule[],
    readonly entries: Int32Array,
    private readonly urlRules: readonly number[],
  ) {
    this.hasUrlRules = urlRules.length > 0;
  }

  first(req: MatchRequest, keys: MatchKeys): number {
    if (!req.resourceRequest) {
      for (const i of this.urlRules) if (ruleAllowsRequest(this.rules[i]!, req)) return i;
      return -1;
    }
    const e = this.entries;
    for (let k = 0; k < e.length; k += STRIDE) {
      const pending = entryMatch(e, k, keys);
      if (pending < 0) continue;
      if (pending === 0 || pendingAllows(pending, this.rules[e[k]!]!, req)) return e[k]!;
    }
    return -1;
  }
}

/** Compiles rules against an index's interner. */
export function compileRules(rules: readonly PolicyRule[], interner: RuleInterner): RuleMatcher {
  if (rules.length === 0) return NO_RULES;
  const out: number[] = [];
  const urlRules: number[] = [];
  rules.forEach((rule, i) => {
    if (rule.nonResourceURLs.length > 0) urlRules.push(i);
    if (rule.resources.length === 0 || rule.apiGroups.length === 0 || rule.verbs.length === 0) return;
    let mask = 0;
    let flags = 0;
    for (const v of rule.verbs) {
      if (v === "*") flags |= F_ANY_VERB;
      else {
        const bit = VERB_BIT.get(v);
        if (bit !== undefined) mask |= bit;
        else flags |= F_OTHER_VERBS;
      }
    }
    if (rule.resourceNames.length > 0) flags |= F_NAMES;
    const groups = rule.apiGroups.includes("*")
      ? [ANY]
      : [...new Set(rule.apiGroups)].map((g) => interner.group(g));
    const resources = rule.resources.includes("*")
      ? [ANY]
      : [...new Set(rule.resources)].map((r) => interner.resource(r));
    for (const g of groups) for (const r of resources) out.push(i, g, r, mask, flags);
  });
  return new CompiledMatcher(rules, Int32Array.from(out), urlRules);
}
