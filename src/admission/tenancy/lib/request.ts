/**
 * The part of an AdmissionReview request the tenancy webhooks read, with the fields they need made
 * required: resource, operation, and the object(s) of a CREATE or UPDATE. Missing ones are
 * REQUEST_INVALID (answered 400 BadRequest in the review).
 */
import { KubeiamError } from "../../../lib/errors.js";
import type { AdmissionOperation, AdmissionRequest, GroupVersionResource } from "../../review.js";
import type { RequestUser } from "../../../tenancy/lib/subjects.js";

export interface TenancyRequest {
  readonly uid: string;
  readonly resource: GroupVersionResource;
  /** "" for the main resource. */
  readonly subResource: string;
  /** May be "" on CREATE with generateName. */
  readonly name: string;
  /** "" for cluster-scoped resources. */
  readonly namespace: string;
  readonly operation: AdmissionOperation;
  readonly userInfo: RequestUser;
  readonly object: Record<string, unknown> | null;
  readonly oldObject: Record<string, unknown> | null;
  readonly dryRun: boolean;
}

function missing(field: string, why: string): KubeiamError {
  return new KubeiamError("REQUEST_INVALID", `AdmissionReview: ${field}: ${why}`, { field });
}

export function tenancyRequest(r: AdmissionRequest): TenancyRequest {
  if (!r.resource || r.resource.resource === "")
    throw missing("request.resource", "missing; the webhooks decide by resource (group, version, resource)");
  if (!r.operation) throw missing("request.operation", "missing; expected CREATE, UPDATE, DELETE or CONNECT");
  if ((r.operation === "CREATE" || r.operation === "UPDATE") && !r.object)
    throw missing("request.object", `missing; required for ${r.operation}`);
  if (r.operation === "UPDATE" && !r.oldObject)
    throw missing("request.oldObject", "missing; required for UPDATE");
  const u = r.userInfo;
  return {
    uid: r.uid,
    resource: r.resource,
    subResource: r.subResource,
    name: r.name,
    namespace: r.namespace,
    operation: r.operation,
    userInfo: { username: u?.username ?? "", groups: u?.groups ?? [], extra: u?.extra ?? {} },
    object: r.object ?? null,
    oldObject: r.oldObject ?? null,
    dryRun: r.dryRun,
  };
}
