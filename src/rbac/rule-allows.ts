/**
 * Whether one PolicyRule allows a request: kube-apiserver's RuleAllows with its exact wildcard
 * forms (`*` verbs/groups/resources/URLs, a star resource with a subresource suffix, a trailing `*` on URLs), case-sensitive,
 * resourceNames compared for equality. Also `ruleDifferences`, which says what keeps a rule from
 * matching (for explanations).
 */
import type { PolicyRule, RequestAttributes } from "./types.js";

/** A request with its resource and subresource combined once, for matching many rules. */
export interface MatchRequest {
  readonly resourceRequest: boolean;
  readonly verb: string;
  readonly apiGroup: string;
  /** `resource` or `resource/subresource`. */
  readonly combined: string;
  readonly subresource: string;
  readonly name: string;
  readonly path: string;
}

export function toMatchRequest(a: RequestAttributes): MatchRequest {
  if (!a.resourceRequest) {
    return {
      resourceRequest: false,
      verb: a.verb,
      apiGroup: "",
      combined: "",
      subresource: "",
      name: "",
      path: a.path,
    };
  }
  const sub = a.subresource ?? "";
  return {
    resourceRequest: true,
    verb: a.verb,
    apiGroup: a.apiGroup ?? "",
    combined: sub === "" ? a.resource : `${a.resource}/${sub}`,
    subresource: sub,
    name: a.name ?? "",
    path: "",
  };
}

export function verbMatches(rule: PolicyRule, verb: string): boolean {
  for (const v of rule.verbs) if (v === "*" || v === verb) return true;
  return false;
}

export function apiGroupMatches(rule: PolicyRule, group: string): boolean {
  for (const g of rule.apiGroups) if (g === "*" || g === group) return true;
  return false;
}

/** `combined` is `resource[/subresource]`; `*` covers subresources; a "star-slash-sub" entry matches any resource's `sub`. */
export function resourceMatches(rule: PolicyRule, combined: string, subresource: string): boolean {
  for (const r of rule.resources) {
    if (r === "*" || r === combined) return true;
    if (subresource === "") continue;
    if (r.length === subresource.length + 2 && r.startsWith("*/") && r.endsWith(subresource)) return true;
  }
  return false;
}

/** No names in the rule ⇒ any name; otherwise equality (a request without a name matches no listed name). */
export function resourceNameMatches(rule: PolicyRule, name: string): boolean {
  if (rule.resourceNames.length === 0) return true;
  for (const n of rule.resourceNames) if (n === name) return true;
  return false;
}

export function nonResourceURLMatches(rule: PolicyRule, path: string): boolean {
  for (const u of rule.nonResourceURLs) {
    if (u === "*" || u === path) return true;
    if (u.endsWith("*") && path.startsWith(trimTrailingStars(u))) return true;
  }
  return false;
}

export function trimTrailingStars(s: string): string {
  let end = s.length;
  while (end > 0 && s.charCodeAt(end - 1) === 42) end--;
  return s.slice(0, end);
}

export function ruleAllowsRequest(rule: PolicyRule, r: MatchRequest): boolean {
  if (r.resourceRequest) {
    return (
      verbMatches(rule, r.verb) &&
      apiGroupMatches(rule, r.apiGroup) &&
      resourceMatches(rule, r.combined, r.subresource) &&
      resourceNameMatches(rule, r.name)
    );
  }
  return verbMatches(rule, r.verb) && nonResourceURLMatches(rule, r.path);
}

export function ruleAllows(rule: PolicyRule, attrs: RequestAttributes): boolean {
  return ruleAllowsRequest(rule, toMatchRequest(attrs));
}

export function rulesAllow(rules: readonly PolicyRule[], attrs: RequestAttributes): boolean {
  const r = toMatchRequest(attrs);
  for (const rule of rules) if (ruleAllowsRequest(rule, r)) return true;
  return false;
}

export type DifferenceField =
  "verb" | "apiGroup" | "resource" | "resourceName" | "nonResourceURL" | "namespace" | "requestKind";

/** One reason a rule does not match: what the rule grants (expected) and what was asked (actual). */
export interface RuleDifference {
  readonly field: DifferenceField;
  readonly expected: readonly string[];
  readonly actual: string;
  readonly message: string;
}

const list = (xs: readonly string[]): string =>
  xs.length === 0 ? "none" : xs.map((x) => JSON.stringify(x)).join(", ");

/** Every dimension in which `rule` fails `attrs` (empty when the rule allows it). */
export function ruleDifferences(rule: PolicyRule, attrs: RequestAttributes): RuleDifference[] {
  const r = toMatchRequest(attrs);
  const out: RuleDifference[] = [];
  if (!verbMatches(rule, r.verb)) {
    out.push({
      field: "verb",
      expected: rule.verbs,
      actual: r.verb,
      message: `verb ${JSON.stringify(r.verb)} is not among the rule's verbs (${list(rule.verbs)})`,
    });
  }
  if (!r.resourceRequest) {
    if (rule.nonResourceURLs.length === 0) {
      out.push({
        field: "requestKind",
        expected: rule.resources,
        actual: r.path,
        message: `the rule grants resources, not non-resource URLs such as ${JSON.stringify(r.path)}`,
      });
    } else if (!nonResourceURLMatches(rule, r.path)) {
      out.push({
        field: "nonResourceURL",
        expected: rule.nonResourceURLs,
        actual: r.path,
        message: `path ${JSON.stringify(r.path)} is not covered by the rule's URLs (${list(rule.nonResourceURLs)})`,
      });
    }
    return out;
  }
  if (rule.resources.length === 0 && rule.nonResourceURLs.length > 0) {
    out.push({
      field: "requestKind",
      expected: rule.nonResourceURLs,
      actual: r.combined,
      message: `the rule grants non-resource URLs, not resources such as ${JSON.stringify(r.combined)}`,
    });
    return out;
  }
  if (!apiGroupMatches(rule, r.apiGroup)) {
    out.push({
      field: "apiGroup",
      expected: rule.apiGroups,
      actual: r.apiGroup,
      message: `API group ${JSON.stringify(r.apiGroup)} is not among the rule's groups (${list(rule.apiGroups)})`,
    });
  }
  if (!resourceMatches(rule, r.combined, r.subresource)) {
    out.push({
      field: "resource",
      expected: rule.resources,
      actual: r.combined,
      message: `resource ${JSON.stringify(r.combined)} is not among the rule's resources (${list(rule.resources)})`,
    });
  }
  if (!resourceNameMatches(rule, r.name)) {
    out.push({
      field: "resourceName",
      expected: rule.resourceNames,
      actual: r.name,
      message:
        r.name === ""
          ? `the rule is limited to names (${list(rule.resourceNames)}) and the request names no object (create, deletecollection and unfiltered list/watch never match names)`
          : `name ${JSON.stringify(r.name)} is not among the rule's resourceNames (${list(rule.resourceNames)})`,
    });
  }
  return out;
}
