/**
 * The cheap, unverified look at a token that kube-apiserver's JWT authenticators do before
 * anything else (`hasCorrectIssuer` in pkg/serviceaccount/jwt.go and in the OIDC plugin): a token
 * that fails here is "not mine", never an error, so other authenticators can try it.
 *
 * Rules (Go semantics): not starting with `{` after trimming; exactly three `.`-separated parts;
 * the payload is unpadded base64url of JSON; the JSON is an object (or `null`); `iss`, when
 * present, is a string. Go's encoding/json matches struct fields case-insensitively and lets a
 * later duplicate win, so `goField` does the same: `{"ISS": "x"}` has issuer `x` upstream too.
 * NOTHING returned here is trusted: the signature has not been checked.
 */

export const MAX_TOKEN_BYTES = 64 * 1024;

const B64URL = /^[A-Za-z0-9_-]*$/;

/** Go's base64.RawURLEncoding.DecodeString, strict about the alphabet and padding. */
export function decodeBase64UrlRaw(s: string): Buffer | undefined {
  if (!B64URL.test(s) || s.length % 4 === 1) return undefined;
  return Buffer.from(s, "base64url");
}

/** Value of a Go struct field decoded from a JSON object: case-insensitive key match, the last one wins, `null` leaves it unset. */
export function goField(obj: Readonly<Record<string, unknown>>, name: string): unknown {
  let found: unknown = undefined;
  // Object.keys, not Object.entries: no pair arrays, and only same-length keys are looked at
  for (const k of Object.keys(obj)) {
    if (k.length === name.length && (k === name || k.toLowerCase() === name)) {
      const v = obj[k];
      if (v !== null) found = v;
    }
  }
  return found;
}

export function isJsonObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

export interface JwtParts {
  /** The three compact-serialization segments, still encoded. */
  header: string;
  payload: string;
  signature: string;
  /** The decoded payload: an object, or `{}` when it was JSON `null`. */
  claims: Record<string, unknown>;
  /** Unverified `iss` ("" when absent). */
  issuer: string;
}

export type PrecheckResult = { ok: true; jwt: JwtParts } | { ok: false; reason: string };

/** One decoder for every call (non-streaming decodes keep no state between calls). */
export const UTF8_DECODER = new TextDecoder("utf-8");

function parseJson(buf: Buffer): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(UTF8_DECODER.decode(buf)) as unknown };
  } catch {
    return { ok: false };
  }
}

/**
 * The last result, kept until the end of the current event-loop turn: the chain runs several JWT
 * authenticators on one token (service accounts, then OIDC), and each starts with this check.
 * Cleared by a setImmediate, so no token outlives the turn that reviewed it.
 */
let last: { token: string; maxBytes: number; result: PrecheckResult } | undefined;
let clearScheduled = false;
const clearLast = (): void => {
  last = undefined;
  clearScheduled = false;
};

/**
 * Unverified parse of a compact JWT; `reason` says why the token is not a JWT we could own.
 * The result may be shared with other callers for the same token: treat it as read-only.
 */
export function precheckJwt(token: string, maxBytes = MAX_TOKEN_BYTES): PrecheckResult {
  if (last !== undefined && last.maxBytes === maxBytes && last.token === token) return last.result;
  const result = precheck(token, maxBytes);
  last = { token, maxBytes, result };
  if (!clearScheduled) {
    clearScheduled = true;
    setImmediate(clearLast).unref();
  }
  return result;
}

function precheck(token: string, maxBytes: number): PrecheckResult {
  if (Buffer.byteLength(token) > maxBytes) return { ok: false, reason: `token is larger than ${maxBytes} bytes` };
  if (token.trim().startsWith("{")) return { ok: false, reason: "token is not a compact JWT (JSON serialization)" };
  const parts = token.split(".");
  if (parts.length !== 3) return { ok: false, reason: `token is not a JWT (${parts.length} dot-separated parts, want 3)` };
  const [header, payload, signature] = parts as [string, string, string];
  const raw = decodeBase64UrlRaw(payload);
  if (!raw) return { ok: false, reason: "JWT payload is not unpadded base64url" };
  const parsed = parseJson(raw);
  if (!parsed.ok) return { ok: false, reason: "JWT payload is not JSON" };
  const v = parsed.value;
  if (v !== null && !isJsonObject(v)) return { ok: false, reason: "JWT claims are not a JSON object" };
  const claims = v ?? {};
  const iss = goField(claims, "iss");
  if (iss !== undefined && typeof iss !== "string") return { ok: false, reason: "JWT iss claim is not a string" };
  return { ok: true, jwt: { header, payload, signature, claims, issuer: iss ?? "" } };
}

export interface JwsHeader {
  alg: string;
  kid: string;
  /** The whole decoded protected header. */
  raw: Record<string, unknown>;
}

/** Decodes the protected header as go-jose v2 does: a JSON object whose `alg` and `kid` are strings when present. */
export function parseJwsHeader(segment: string): JwsHeader | undefined {
  const raw = decodeBase64UrlRaw(segment);
  if (!raw) return undefined;
  const parsed = parseJson(raw);
  if (!parsed.ok) return undefined;
  const h = parsed.value ?? {};
  if (!isJsonObject(h)) return undefined;
  const alg = h.alg ?? "";
  const kid = h.kid ?? "";
  if (typeof alg !== "string" || typeof kid !== "string") return undefined;
  return { alg, kid, raw: h };
}
