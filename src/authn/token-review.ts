/**
 * TokenReview over HTTP, as kube-apiserver's webhook token authenticator calls it and as
 * aws-iam-authenticator answers: authentication.k8s.io v1 and v1beta1 (apiVersion/kind echoed),
 * 200 with the user when authenticated, 403 with a deny body otherwise, 429 when STS throttles,
 * 400 for a body that is not a TokenReview. Pure: parsing and rendering only.
 */
import type { AuthnResult } from "./types.js";

export const TOKENREVIEW_VERSIONS = ["authentication.k8s.io/v1", "authentication.k8s.io/v1beta1"] as const;

export type ParsedTokenReview = { ok: true; apiVersion: string; token: string; audiences: string[] | undefined } | { ok: false; status: number; message: string };

/** Decodes the request as aws-iam-authenticator does (its error texts), with kube's field checks. */
export function parseTokenReview(body: Buffer): ParsedTokenReview {
  if (body.length === 0) return { ok: false, status: 400, message: "expected a request body" };
  let v: unknown;
  try {
    v = JSON.parse(body.toString("utf8"));
  } catch {
    return { ok: false, status: 400, message: "expected a request body to be a TokenReview" };
  }
  if (v === null || typeof v !== "object" || Array.isArray(v)) return { ok: false, status: 400, message: "expected a request body to be a TokenReview" };
  const o = v as Record<string, unknown>;
  const apiVersion = typeof o.apiVersion === "string" ? o.apiVersion : "authentication.k8s.io/v1beta1";
  if (!(TOKENREVIEW_VERSIONS as readonly string[]).includes(apiVersion) || (o.kind !== undefined && o.kind !== "TokenReview")) {
    return { ok: false, status: 400, message: "expected a request body to be a TokenReview" };
  }
  const spec = o.spec;
  if (spec === null || typeof spec !== "object" || Array.isArray(spec)) return { ok: false, status: 400, message: "expected a request body to be a TokenReview" };
  const s = spec as Record<string, unknown>;
  if (typeof s.token !== "string" || s.token === "") return { ok: false, status: 400, message: "token is required for TokenReview in authentication" };
  let audiences: string[] | undefined;
  if (s.audiences !== undefined && s.audiences !== null) {
    if (!Array.isArray(s.audiences) || s.audiences.some((a) => typeof a !== "string")) return { ok: false, status: 400, message: "expected a request body to be a TokenReview" };
    audiences = s.audiences.length > 0 ? (s.audiences as string[]) : undefined;
  }
  return { ok: true, apiVersion, token: s.token, audiences };
}

export interface TokenReviewResponse {
  status: number;
  body: Record<string, unknown>;
}

export function renderTokenReview(apiVersion: string, result: AuthnResult): TokenReviewResponse {
  const base = { apiVersion, kind: "TokenReview", metadata: { creationTimestamp: null }, spec: {} };
  if (result.kind === "ok") {
    const user: Record<string, unknown> = { username: result.user.username };
    if (result.user.uid !== undefined && result.user.uid !== "") user.uid = result.user.uid;
    if (result.user.groups.length > 0) user.groups = result.user.groups;
    if (result.user.extra && Object.keys(result.user.extra).length > 0) user.extra = result.user.extra;
    const status: Record<string, unknown> = { authenticated: true, user };
    if (result.audiences && result.audiences.length > 0) status.audiences = result.audiences;
    return { status: 200, body: { ...base, status } };
  }
  const code = result.kind === "error" && result.status === 429 ? 429 : 403;
  return { status: code, body: { ...base, status: { user: {} } } };
}
