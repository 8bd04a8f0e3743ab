/**
 * AdmissionReview (admission.k8s.io/v1, and v1beta1 which has the same wire shape): strict parsing of
 * what kube-apiserver sends a webhook, and builders for what the webhook answers. Shared by every
 * admission webhook (pod identity, tenancy validate/mutate) and by `kubeiam admission review`.
 *
 * Responses echo the request's apiVersion and kind and carry `response.uid` = `request.uid`; keys are
 * written in the order Go's encoding/json writes them, so answers look like upstream webhooks' answers.
 */
import { isUtf8 } from "node:buffer";
import { KubeiamError } from "../lib/errors.js";

/** AdmissionReview versions kube-apiserver may send (`admissionReviewVersions`). */
export const ADMISSION_REVIEW_VERSIONS = ["admission.k8s.io/v1", "admission.k8s.io/v1beta1"] as const;
export type AdmissionReviewVersion = (typeof ADMISSION_REVIEW_VERSIONS)[number];

/**
 * Largest AdmissionReview body accepted: kube-apiserver takes request bodies up to 3 MiB, and a review
 * of an UPDATE carries the object twice, plus the envelope.
 */
export const ADMISSION_REVIEW_BODY_LIMIT = 7 * 1024 * 1024;

export const ADMISSION_OPERATIONS = ["CREATE", "UPDATE", "DELETE", "CONNECT"] as const;
export type AdmissionOperation = (typeof ADMISSION_OPERATIONS)[number];

export interface GroupVersionKind {
  readonly group: string;
  readonly version: string;
  readonly kind: string;
}

export interface GroupVersionResource {
  readonly group: string;
  readonly version: string;
  readonly resource: string;
}

export interface AdmissionUserInfo {
  readonly username: string;
  readonly uid: string;
  readonly groups: readonly string[];
  readonly extra: Readonly<Record<string, readonly string[]>>;
}

/** `request` of an AdmissionReview. Absent strings are "", absent objects undefined. */
export interface AdmissionRequest {
  readonly uid: string;
  readonly kind: GroupVersionKind | undefined;
  readonly resource: GroupVersionResource | undefined;
  readonly subResource: string;
  readonly requestKind: GroupVersionKind | undefined;
  readonly requestResource: GroupVersionResource | undefined;
  readonly requestSubResource: string;
  /** May be "" on CREATE with generateName. */
  readonly name: string;
  readonly namespace: string;
  readonly operation: AdmissionOperation | undefined;
  readonly userInfo: AdmissionUserInfo | undefined;
  /** The object as sent (a plain JSON object), or undefined when absent or null (DELETE). */
  readonly object: Record<string, unknown> | undefined;
  readonly oldObject: Record<string, unknown> | undefined;
  readonly dryRun: boolean;
  readonly options: Record<string, unknown> | undefined;
}

export interface AdmissionReview {
  readonly apiVersion: AdmissionReviewVersion;
  readonly kind: "AdmissionReview";
  readonly request: AdmissionRequest;
}

/** One RFC 6902 operation. */
export type JsonPatchOp =
  | { readonly op: "add" | "replace" | "test"; readonly path: string; readonly value: unknown }
  | { readonly op: "remove"; readonly path: string }
  | { readonly op: "move" | "copy"; readonly from: string; readonly path: string };

/** metav1.Status as a webhook answers it (`metadata` always present, as Go writes it). */
export interface AdmissionStatus {
  readonly metadata: Record<string, never>;
  readonly status?: "Success" | "Failure";
  readonly message?: string;
  readonly reason?: string;
  readonly code?: number;
}

export interface AdmissionResponse {
  readonly uid: string;
  readonly allowed: boolean;
  readonly status?: AdmissionStatus;
  /** Base64 (standard, padded) of the JSON Patch. */
  readonly patch?: string;
  readonly patchType?: "JSONPatch";
  readonly auditAnnotations?: Readonly<Record<string, string>>;
  readonly warnings?: readonly string[];
}

export interface AdmissionReviewResponse {
  readonly kind: "AdmissionReview";
  readonly apiVersion: AdmissionReviewVersion;
  readonly response: AdmissionResponse;
}

// ---------------------------------------------------------------------------------------------
// Parsing

function invalid(message: string, field?: string): KubeiamError {
  return new KubeiamError(
    "REQUEST_INVALID",
    `AdmissionReview: ${field === undefined ? "" : `${field}: `}${message}`,
    field === undefined ? {} : { field },
  );
}

function describe(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "an array";
  if (typeof v === "string")
    return v.length > 60 ? `a string (${JSON.stringify(v.slice(0, 60))}…)` : `"${v}"`;
  if (typeof v === "object") return "an object";
  if (typeof v === "number" || typeof v === "boolean") return `${typeof v} ${v}`;
  return typeof v;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** null is Go's "absent" for every optional field. */
const absent = (v: unknown): v is null | undefined => v === undefined || v === null;

function optString(o: Record<string, unknown>, key: string, path: string): string {
  const v = o[key];
  if (absent(v)) return "";
  if (typeof v !== "string") throw invalid(`expected a string, found ${describe(v)}`, `${path}.${key}`);
  return v;
}

function optObject(
  o: Record<string, unknown>,
  key: string,
  path: string,
): Record<string, unknown> | undefined {
  const v = o[key];
  if (absent(v)) return undefined;
  if (!isRecord(v)) throw invalid(`expected an object, found ${describe(v)}`, `${path}.${key}`);
  return v;
}

function optGvk(o: Record<string, unknown>, key: string): GroupVersionKind | undefined {
  const v = optObject(o, key, "request");
  if (!v) return undefined;
  const at = `request.${key}`;
  return {
    group: optString(v, "group", at),
    version: optString(v, "version", at),
    kind: optString(v, "kind", at),
  };
}

function optGvr(o: Record<string, unknown>, key: string): GroupVersionResource | undefined {
  const v = optObject(o, key, "request");
  if (!v) return undefined;
  const at = `request.${key}`;
  return {
    group: optString(v, "group", at),
    version: optString(v, "version", at),
    resource: optString(v, "resource", at),
  };
}

function optStringList(v: unknown, field: string): string[] {
  if (absent(v)) return [];
  if (!Array.isArray(v)) throw invalid(`expected a list of strings, found ${describe(v)}`, field);
  return v.map((s: unknown, i) => {
    if (typeof s !== "string") throw invalid(`expected a string, found ${describe(s)}`, `${field}[${i}]`);
    return s;
  });
}

function optUserInfo(o: Record<string, unknown>): AdmissionUserInfo | undefined {
  const v = optObject(o, "userInfo", "request");
  if (!v) return undefined;
  const at = "request.userInfo";
  const extraRaw = optObject(v, "extra", at) ?? {};
  const extra: Record<string, string[]> = {};
  for (const [k, list] of Object.entries(extraRaw)) extra[k] = optStringList(list, `${at}.extra.${k}`);
  return {
    username: optString(v, "username", at),
    uid: optString(v, "uid", at),
    groups: optStringList(v.groups, `${at}.groups`),
    extra,
  };
}

/** Checks an already-decoded AdmissionReview value (e.g. read from YAML). */
export function parseAdmissionReviewValue(value: unknown): AdmissionReview {
  if (!isRecord(value)) throw invalid(`expected a JSON object, found ${describe(value)}`);
  const apiVersion = value.apiVersion;
  if (absent(apiVersion))
    throw invalid(`missing; expected one of ${ADMISSION_REVIEW_VERSIONS.join(", ")}`, "apiVersion");
  if (
    typeof apiVersion !== "string" ||
    !(ADMISSION_REVIEW_VERSIONS as readonly string[]).includes(apiVersion)
  ) {
    throw invalid(
      `expected one of ${ADMISSION_REVIEW_VERSIONS.join(", ")}, found ${describe(apiVersion)}`,
      "apiVersion",
    );
  }
  if (absent(value.kind)) throw invalid(`missing; expected "AdmissionReview"`, "kind");
  if (value.kind !== "AdmissionReview")
    throw invalid(`expected "AdmissionReview", found ${describe(value.kind)}`, "kind");
  const r = value.request;
  if (absent(r)) throw invalid("missing; an AdmissionReview sent to a webhook carries a request", "request");
  if (!isRecord(r)) throw invalid(`expected an object, found ${describe(r)}`, "request");
  if (absent(r.uid) || r.uid === "") throw invalid("missing; the response must echo it", "request.uid");
  if (typeof r.uid !== "string") throw invalid(`expected a string, found ${describe(r.uid)}`, "request.uid");
  let operation: AdmissionOperation | undefined;
  if (!absent(r.operation)) {
    if (
      typeof r.operation !== "string" ||
      !(ADMISSION_OPERATIONS as readonly string[]).includes(r.operation)
    ) {
      throw invalid(
        `expected one of ${ADMISSION_OPERATIONS.join(", ")}, found ${describe(r.operation)}`,
        "request.operation",
      );
    }
    operation = r.operation as AdmissionOperation;
  }
  if (!absent(r.dryRun) && typeof r.dryRun !== "boolean")
    throw invalid(`expected true or false, found ${describe(r.dryRun)}`, "request.dryRun");
  const request: AdmissionRequest = {
    uid: r.uid,
    kind: optGvk(r, "kind"),
    resource: optGvr(r, "resource"),
    subResource: optString(r, "subResource", "request"),
    requestKind: optGvk(r, "requestKind"),
    requestResource: optGvr(r, "requestResource"),
    requestSubResource: optString(r, "requestSubResource", "request"),
    name: optString(r, "name", "request"),
    namespace: optString(r, "namespace", "request"),
    operation,
    userInfo: optUserInfo(r),
    object: optObject(r, "object", "request"),
    oldObject: optObject(r, "oldObject", "request"),
    dryRun: r.dryRun === true,
    options: optObject(r, "options", "request"),
  };
  return { apiVersion: apiVersion as AdmissionReviewVersion, kind: "AdmissionReview", request };
}

/**
 * Parses an AdmissionReview request body: at most `limit` bytes of UTF-8 JSON holding an object with
 * apiVersion admission.k8s.io/v1 (or v1beta1), kind AdmissionReview and a request with a uid.
 * Throws REQUEST_TOO_LARGE or REQUEST_INVALID with a message naming the field.
 */
export function parseAdmissionReview(
  body: Buffer | string,
  limit = ADMISSION_REVIEW_BODY_LIMIT,
): AdmissionReview {
  const bytes = typeof body === "string" ? Buffer.from(body, "utf8") : body;
  if (bytes.length > limit) {
    throw new KubeiamError(
      "REQUEST_TOO_LARGE",
      `AdmissionReview: the body of ${bytes.length} bytes exceeds the limit of ${limit} bytes`,
      { limit },
    );
  }
  if (bytes.length === 0) throw invalid("the body is empty; expected a JSON AdmissionReview");
  if (!isUtf8(bytes)) throw invalid("the body is not valid UTF-8");
  let value: unknown;
  try {
    value = JSON.parse(bytes.toString("utf8"));
  } catch (e) {
    throw invalid(
      `the body is not valid JSON (${e instanceof SyntaxError ? e.message : "too deeply nested"})`,
    );
  }
  return parseAdmissionReviewValue(value);
}

// ---------------------------------------------------------------------------------------------
// Responses

/** Base64 of the JSON Patch, as `response.patch` carries it. */
export function encodePatch(ops: readonly JsonPatchOp[]): string {
  return Buffer.from(JSON.stringify(ops), "utf8").toString("base64");
}

/** The operations of a `response.patch` (for tools and tests). Throws REQUEST_INVALID when it is not a JSON Patch. */
export function decodePatch(patch: string): JsonPatchOp[] {
  let v: unknown;
  try {
    v = JSON.parse(Buffer.from(patch, "base64").toString("utf8"));
  } catch {
    throw new KubeiamError("REQUEST_INVALID", "response.patch: not base64 of a JSON document");
  }
  if (
    !Array.isArray(v) ||
    !v.every((op) => isRecord(op) && typeof op.op === "string" && typeof op.path === "string")
  ) {
    throw new KubeiamError(
      "REQUEST_INVALID",
      "response.patch: expected a JSON Patch (a list of operations with op and path)",
    );
  }
  return v as JsonPatchOp[];
}

/** Escapes one JSON Pointer segment ("~" → "~0", "/" → "~1"), e.g. for a label key in a path. */
export function escapeJsonPointer(segment: string): string {
  return segment.replace(/~/g, "~0").replace(/\//g, "~1");
}

export interface ResponseOptions {
  /** Omitted from the response when empty. */
  readonly patch?: readonly JsonPatchOp[] | undefined;
  readonly warnings?: readonly string[] | undefined;
  readonly auditAnnotations?: Readonly<Record<string, string>> | undefined;
}

export interface StatusOptions {
  readonly message?: string | undefined;
  readonly reason?: string | undefined;
  readonly code?: number | undefined;
  readonly status?: "Success" | "Failure" | undefined;
}

function status(s: StatusOptions): AdmissionStatus {
  // Go field order: metadata, status, message, reason, code.
  return {
    metadata: {},
    ...(s.status === undefined ? {} : { status: s.status }),
    ...(s.message === undefined ? {} : { message: s.message }),
    ...(s.reason === undefined ? {} : { reason: s.reason }),
    ...(s.code === undefined ? {} : { code: s.code }),
  };
}

/**
 * The AdmissionReview answering `review`: apiVersion and kind echoed, `response.uid` = `request.uid`.
 * Keys in Go's order: uid, allowed, status, patch, patchType, auditAnnotations, warnings.
 */
export function admissionResponse(
  review: AdmissionReview,
  allowed: boolean,
  opts: ResponseOptions & { status?: StatusOptions | undefined } = {},
): AdmissionReviewResponse {
  const patch = opts.patch && opts.patch.length > 0 ? opts.patch : undefined;
  const response: AdmissionResponse = {
    uid: review.request.uid,
    allowed,
    ...(opts.status === undefined ? {} : { status: status(opts.status) }),
    ...(patch === undefined ? {} : { patch: encodePatch(patch), patchType: "JSONPatch" as const }),
    ...(opts.auditAnnotations === undefined || Object.keys(opts.auditAnnotations).length === 0
      ? {}
      : { auditAnnotations: opts.auditAnnotations }),
    ...(opts.warnings === undefined || opts.warnings.length === 0 ? {} : { warnings: opts.warnings }),
  };
  return { kind: "AdmissionReview", apiVersion: review.apiVersion, response };
}

/**
 * The JSON text of a response, as `JSON.stringify` would write it, without re-scanning the base64
 * patch (it needs no escaping): the patch is most of the bytes of a mutating webhook's answer.
 */
export function serializeAdmissionReview(r: AdmissionReviewResponse): string {
  const x = r.response;
  let out = `{"kind":"AdmissionReview","apiVersion":${JSON.stringify(r.apiVersion)},"response":{"uid":${JSON.stringify(x.uid)},"allowed":${x.allowed}`;
  if (x.status !== undefined) out += `,"status":${JSON.stringify(x.status)}`;
  if (x.patch !== undefined) {
    // encodePatch writes base64; anything that would need escaping is a bug, not input.
    if (x.patch.includes('"') || x.patch.includes("\\"))
      throw new KubeiamError("INTERNAL", "response.patch is not base64");
    out += `,"patch":"${x.patch}"`;
  }
  if (x.patchType !== undefined) out += `,"patchType":${JSON.stringify(x.patchType)}`;
  if (x.auditAnnotations !== undefined) out += `,"auditAnnotations":${JSON.stringify(x.auditAnnotations)}`;
  if (x.warnings !== undefined) out += `,"warnings":${JSON.stringify(x.warnings)}`;
  return out + "}}";
}

/** Allowed, optionally with a JSON Patch, warnings and audit annotations. */
export function allowResponse(review: AdmissionReview, opts: ResponseOptions = {}): AdmissionReviewResponse {
  return admissionResponse(review, true, opts);
}

/**
 * Denied with a Failure status: `code` defaults to 403 (what kube-apiserver assumes for 0), and
 * kube-apiserver shows `admission webhook "<name>" denied the request: <message>`.
 */
export function denyResponse(
  review: AdmissionReview,
  deny: {
    readonly message: string;
    readonly reason?: string | undefined;
    readonly code?: number | undefined;
  },
  opts: Omit<ResponseOptions, "patch"> = {},
): AdmissionReviewResponse {
  return admissionResponse(review, false, {
    ...opts,
    status: { status: "Failure", message: deny.message, reason: deny.reason, code: deny.code ?? 403 },
  });
}
