/**
 * Kubernetes API failures and how they become kubeiam errors. Pure: no I/O.
 *
 * The API answers a failed request with a `Status` object (`reason`, `message`, `details`,
 * `code`). The store maps the few answers its callers act on to stable codes:
 *
 *   409 Conflict        (stale resourceVersion on PUT)     → STORE_CONFLICT
 *   409 AlreadyExists   (POST raced with another writer)   → STORE_CONFLICT
 *   404 on a PUT with a resourceVersion (object deleted)   → STORE_CONFLICT
 *   422 Invalid, 400 BadRequest                            → STORE_OBJECT_INVALID (causes listed)
 *   404 on a namespace that does not exist                 → STORE_NOT_FOUND
 *   anything else (403, 401, 404 unknown resource, 5xx)    → KUBE_API_ERROR (status, reason, text)
 */
import { KubeiamError } from "../../lib/errors.js";

export interface StatusCause {
  reason?: string;
  message?: string;
  field?: string;
}

export interface StatusDetails {
  name?: string;
  group?: string;
  kind?: string;
  causes?: StatusCause[];
}

/** A non-2xx answer from the Kubernetes API. */
export class KubeApiError extends Error {
  override readonly name = "KubeApiError";
  constructor(
    /** HTTP status. */
    readonly status: number,
    /** Status.reason ("Conflict", "AlreadyExists", "NotFound", "Forbidden", "Invalid", "Expired", "Gone"…), or "" when the body was not a Status. */
    readonly reason: string,
    message: string,
    readonly details: StatusDetails = {},
    /** "GET /api/v1/…", for messages. */
    readonly request = "",
  ) {
    super(message);
  }
}

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === "string" ? v : undefined);

/**
 * Reads a Status body (JSON already parsed, or raw text) into a KubeApiError. A body that is not
 * a Status keeps its first 300 characters as the message.
 */
export function kubeApiErrorFrom(status: number, body: unknown, request = ""): KubeApiError {
  if (
    isRecord(body) &&
    (body.kind === "Status" || typeof body.reason === "string" || typeof body.message === "string")
  ) {
    const d = isRecord(body.details) ? body.details : {};
    const details: StatusDetails = {};
    const name = str(d.name);
    const group = str(d.group);
    const kind = str(d.kind);
    if (name !== undefined) details.name = name;
    if (group !== undefined) details.group = group;
    if (kind !== undefined) details.kind = kind;
    if (Array.isArray(d.causes)) {
      details.causes = d.causes.filter(isRecord).map((c) => {
        const cause: StatusCause = {};
        const r = str(c.reason);
        const m = str(c.message);
        const f = str(c.field);
        if (r !== undefined) cause.reason = r;
        if (m !== undefined) cause.message = m;
        if (f !== undefined) cause.field = f;
        return cause;
      });
    }
    return new KubeApiError(
      status,
      str(body.reason) ?? "",
      str(body.message) ?? `HTTP ${status}`,
      details,
      request,
    );
  }
  const text = typeof body === "string" ? body.trim().slice(0, 300) : "";
  return new KubeApiError(status, "", text === "" ? `HTTP ${status}` : text, {}, request);
}

/** True for the API's "the resourceVersion you asked for is too old" answers (relist needed). */
export function isGone(e: unknown): boolean {
  return e instanceof KubeApiError && (e.status === 410 || e.reason === "Expired" || e.reason === "Gone");
}

/** True when the API does not serve the resource at all (e.g. a CRD not installed). */
export function isUnknownResource(e: unknown): boolean {
  return (
    e instanceof KubeApiError &&
    e.status === 404 &&
    e.details.name === undefined &&
    e.details.kind === undefined
  );
}

export interface WriteContext {
  op: "create" | "replace" | "delete" | "get" | "list";
  /** kubeiam kind ("IAMRole"). */
  kind: string;
  /** API plural ("iamroles"), to tell "this object is gone" from "its namespace is gone". */
  plural: string;
  name?: string;
  namespace?: string | undefined;
  /** The resourceVersion the caller based a replace on. */
  resourceVersion?: string | undefined;
}

function what(c: WriteContext): string {
  if (c.name === undefined) return c.kind;
  return c.namespace ? `${c.kind} ${c.namespace}/${c.name}` : `${c.kind} ${c.name}`;
}

function apiText(e: KubeApiError): string {
  const reason = e.reason ? ` ${e.reason}` : "";
  return `${e.status}${reason}: ${e.message}`;
}

/** The hint for a resource the API server does not serve. */
export function unknownResourceHint(kind: string, group: string): string {
  return group === "kubeiam.io"
    ? `the API server does not serve ${kind} (kubeiam.io); install kubeiam's CRDs with \`kubeiam install crds --apply\``
    : `the API server does not serve ${kind}`;
}

/** Maps an API failure of a store operation to the KubeiamError its callers expect. */
export function toStoreError(e: KubeApiError, c: WriteContext & { group?: string }): KubeiamError {
  const ctx = { kind: c.kind, name: c.name, namespace: c.namespace, status: e.status, reason: e.reason };
  if (e.status === 409 && e.reason === "AlreadyExists") {
    return new KubeiamError(
      "STORE_CONFLICT",
      `${what(c)} was created by another writer at the same time; read it again and retry`,
      ctx,
    );
  }
  if (e.status === 409) {
    const rv = c.resourceVersion === undefined ? "" : ` (resourceVersion ${c.resourceVersion})`;
    return new KubeiamError(
      "STORE_CONFLICT",
      `${what(c)} was changed since it was read${rv}; read it again and retry`,
      ctx,
    );
  }
  if (e.status === 404 && isUnknownResource(e)) {
    return new KubeiamError(
      "KUBE_API_ERROR",
      `${unknownResourceHint(c.kind, c.group ?? "")} (${apiText(e)})`,
      ctx,
    );
  }
  if (e.status === 404 && e.details.kind === "namespaces" && c.namespace !== undefined) {
    return new KubeiamError(
      "STORE_NOT_FOUND",
      `cannot ${c.op} ${what(c)}: namespace ${c.namespace} does not exist`,
      ctx,
    );
  }
  if (e.status === 404 && c.op === "replace" && c.resourceVersion !== undefined) {
    return new KubeiamError(
      "STORE_CONFLICT",
      `${what(c)} was deleted since it was read (resourceVersion ${c.resourceVersion}); read it again and retry`,
      ctx,
    );
  }
  if (e.status === 404) {
    return new KubeiamError("STORE_NOT_FOUND", `${what(c)} does not exist`, ctx);
  }
  if (e.status === 422 || e.status === 400) {
    const causes = (e.details.causes ?? [])
      .map((x) => (x.field ? `${x.field}: ${x.message ?? x.reason ?? ""}` : (x.message ?? x.reason ?? "")))
      .filter((x) => x !== "");
    const problems = causes.length > 0 ? causes : [e.message];
    return new KubeiamError(
      "STORE_OBJECT_INVALID",
      `invalid ${c.kind}: the API server refused it: ${problems.join("; ")}`,
      { ...ctx, problems },
    );
  }
  return new KubeiamError(
    "KUBE_API_ERROR",
    `cannot ${c.op} ${what(c)}: the API server answered ${apiText(e)}${e.request ? ` (${e.request})` : ""}`,
    ctx,
  );
}
