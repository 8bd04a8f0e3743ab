/**
 * The 403 a kube-apiserver returns when no authorizer allowed a request: the `User "x" cannot ...`
 * message (HTML-escaped), the authorizer reason appended after `: `, wrapped by NewForbidden with the
 * group-resource (subresource excluded) and name, as a v1 Status.
 */
import { goJson, goQuote } from "./lib/go-format.js";
import type { RequestAttributes, UserInfo } from "./types.js";

export interface StatusDetails {
  readonly name?: string;
  readonly group?: string;
  /** Holds the resource (kube-apiserver puts the resource, not the kind, here). */
  readonly kind?: string;
}

/** A metav1.Status for a failure, with fields in the order kube-apiserver serialises them. */
export interface KubeStatus {
  readonly kind: "Status";
  readonly apiVersion: "v1";
  readonly metadata: Record<string, never>;
  readonly status: "Failure";
  readonly message: string;
  readonly reason: "Forbidden" | "NotFound";
  readonly details: StatusDetails;
  readonly code: 403 | 404;
}

const sanitize = (s: string): string =>
  s.replace(/[&<>]/g, (c) => (c === "&" ? "&amp;" : c === "<" ? "&lt;" : "&gt;"));

/** `User "u" cannot get resource "pods/log" in API group "" in the namespace "prod"` (not yet escaped). */
export function forbiddenCoreMessage(attrs: RequestAttributes, username: string): string {
  if (!attrs.resourceRequest)
    return `User ${goQuote(username)} cannot ${attrs.verb} path ${goQuote(attrs.path)}`;
  const resource = attrs.subresource ? `${attrs.resource}/${attrs.subresource}` : attrs.resource;
  const head = `User ${goQuote(username)} cannot ${attrs.verb} resource ${goQuote(resource)} in API group ${goQuote(attrs.apiGroup ?? "")}`;
  return attrs.namespace
    ? `${head} in the namespace ${goQuote(attrs.namespace)}`
    : `${head} at the cluster scope`;
}

/**
 * NewForbidden(groupResource, name, err): `forbidden: <msg>` without a group-resource,
 * `<resource>[.<group>] is forbidden: <msg>`, or `<resource>[.<group>] "<name>" is forbidden: <msg>`.
 */
export function newForbidden(group: string, resource: string, name: string, inner: string): KubeStatus {
  let message: string;
  const gr = group === "" ? resource : `${resource}.${group}`;
  if (group === "" && resource === "") message = `forbidden: ${inner}`;
  else if (name === "") message = `${gr} is forbidden: ${inner}`;
  else message = `${gr} ${goQuote(name)} is forbidden: ${inner}`;
  return {
    kind: "Status",
    apiVersion: "v1",
    metadata: {},
    status: "Failure",
    message,
    reason: "Forbidden",
    details: statusDetails(group, resource, name),
    code: 403,
  };
}

function statusDetails(group: string, resource: string, name: string): StatusDetails {
  const details: { name?: string; group?: string; kind?: string } = {};
  if (name !== "") details.name = name;
  if (group !== "") details.group = group;
  if (resource !== "") details.kind = resource;
  return details;
}

/** NewNotFound(groupResource, name): `<resource>[.<group>] "<name>" not found`, 404. */
export function newNotFound(group: string, resource: string, name: string): KubeStatus {
  const gr = group === "" ? resource : `${resource}.${group}`;
  return {
    kind: "Status",
    apiVersion: "v1",
    metadata: {},
    status: "Failure",
    message: `${gr} ${goQuote(name)} not found`,
    reason: "NotFound",
    details: statusDetails(group, resource, name),
    code: 404,
  };
}

/**
 * The Forbidden Status for a request that was not allowed. `reason` is the authorizers' reason
 * (RBAC's lookup errors, or "").
 */
export function forbiddenStatus(attrs: RequestAttributes, user: UserInfo | string, reason = ""): KubeStatus {
  const username = typeof user === "string" ? user : user.name;
  const core = sanitize(forbiddenCoreMessage(attrs, username));
  const inner = reason === "" ? core : `${core}: ${reason}`;
  if (!attrs.resourceRequest) return newForbidden("", "", "", inner);
  return newForbidden(attrs.apiGroup ?? "", attrs.resource, attrs.name ?? "", inner);
}

/** The Status as kube-apiserver writes it: Go JSON (HTML-escaped strings), compact, newline-terminated. */
export function statusToJson(status: KubeStatus): string {
  return goJson(status) + "\n";
}
