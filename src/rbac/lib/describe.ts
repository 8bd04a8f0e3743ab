/** Human descriptions of requests and rules for reasons and explanations (not wire text). */
import type { PolicyRule, RequestAttributes, UserInfo } from "../types.js";

export function describeRequest(a: RequestAttributes): string {
  if (!a.resourceRequest) return `${a.verb} path ${JSON.stringify(a.path)}`;
  const group = a.apiGroup ?? "";
  const res = a.resource + (a.subresource ? `/${a.subresource}` : "") + (group ? `.${group}` : "");
  const name = a.name ? ` ${JSON.stringify(a.name)}` : "";
  const where = a.namespace ? `in namespace ${JSON.stringify(a.namespace)}` : "at the cluster scope";
  return `${a.verb} ${res}${name} ${where}`;
}

export function describeUser(u: UserInfo): string {
  return u.groups.length > 0
    ? `${JSON.stringify(u.name)} (groups ${u.groups.map((g) => JSON.stringify(g)).join(", ")})`
    : JSON.stringify(u.name);
}

/** Rules are immutable once parsed: each is described once. */
const ruleText = new WeakMap<PolicyRule, string>();

export function describeRule(r: PolicyRule): string {
  let text = ruleText.get(r);
  if (text === undefined) ruleText.set(r, (text = ruleDescription(r)));
  return text;
}

function ruleDescription(r: PolicyRule): string {
  const parts: string[] = [`verbs=[${r.verbs.join(",")}]`];
  if (r.apiGroups.length > 0)
    parts.push(`apiGroups=[${r.apiGroups.map((g) => (g === "" ? '""' : g)).join(",")}]`);
  if (r.resources.length > 0) parts.push(`resources=[${r.resources.join(",")}]`);
  if (r.resourceNames.length > 0) parts.push(`resourceNames=[${r.resourceNames.join(",")}]`);
  if (r.nonResourceURLs.length > 0) parts.push(`nonResourceURLs=[${r.nonResourceURLs.join(",")}]`);
  return parts.join(" ");
}

/** The request as a plain value for Reason.actual. */
export function requestSummary(a: RequestAttributes): Record<string, string> {
  if (!a.resourceRequest) return { verb: a.verb, path: a.path };
  const out: Record<string, string> = { verb: a.verb, apiGroup: a.apiGroup ?? "", resource: a.resource };
  if (a.subresource) out.subresource = a.subresource;
  if (a.name) out.name = a.name;
  if (a.namespace) out.namespace = a.namespace;
  return out;
}
