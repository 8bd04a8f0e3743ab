/**
 * ID-token verification as kube-apiserver does it (github.com/coreos/go-oidc v2 `Verify`, then the
 * OIDC plugin's multi-audience check), with its messages:
 * alg allow-list → signature (keys by `kid`, refetched once for an unknown kid) → claims decode →
 * issuer → audience (single: client id; several: MatchAny) → expiry → nbf (1 minute leeway).
 * The algorithm allow-list is ours to enforce: `none` and HMAC are never in it.
 * Pure apart from the key source; time is a parameter.
 */
import type { Reason } from "../../lib/decision.js";
import { goQuote, goQuoteList, goTime } from "../lib/go-format.js";
import { UTF8_DECODER, decodeBase64UrlRaw, goField, isJsonObject, parseJwsHeader, type JwtParts } from "../jwt-precheck.js";
import { verifyJwsSignature } from "../../lib/verify-jws.js";
import type { KeySource, VerificationKey } from "../types.js";
import { isoTime } from "../../lib/iso-time.js";

export interface IdTokenVerifierConfig {
  issuer: string;
  /** One audience: go-oidc's client-id check. Several: MatchAny after verification. */
  audiences: readonly string[];
  algorithms: readonly string[];
}

export type VerifyResult = { ok: true; claims: Record<string, unknown>; expiresAt: number; reasons: Reason[] } | { ok: false; message: string; check: string };

/** Go's `%v` of a time with sub-second precision (trailing zeros trimmed), UTC. */
export function goTimeMs(ms: number): string {
  const base = goTime(Math.floor(ms / 1000));
  const frac = (ms % 1000).toString().padStart(3, "0").replace(/0+$/, "");
  return frac ? base.replace(" +0000", `.${frac} +0000`) : base;
}

type Decoded<T> = { ok: true; value: T } | { ok: false; message: string };

/** go-oidc's jsonTime: a number (or a numeric string, as json.Number allows), truncated to seconds. */
function decodeTime(v: unknown): Decoded<number> {
  if (typeof v === "number") return { ok: true, value: Math.trunc(v) };
  if (typeof v === "string") {
    if (/^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?$/.test(v)) return { ok: true, value: Math.trunc(Number(v)) };
    return { ok: false, message: `json: invalid number literal, trying to unmarshal ${goQuote(JSON.stringify(v))} into Number` };
  }
  return { ok: false, message: `json: cannot unmarshal ${typeof v === "boolean" ? "bool" : Array.isArray(v) ? "array" : "object"} into Go value of type json.Number` };
}

function decodeAudience(v: unknown): Decoded<string[]> {
  if (typeof v === "string") return { ok: true, value: [v] };
  if (Array.isArray(v) && v.every((x) => typeof x === "string" || x === null)) return { ok: true, value: v.map((x) => (typeof x === "string" ? x : "")) };
  const kind = Array.isArray(v) ? (v.find((x) => typeof x !== "string" && x !== null) === undefined ? "array" : typeof v.find((x) => typeof x !== "string" && x !== null)) : typeof v;
  const goKind = kind === "boolean" ? "bool" : kind;
  return { ok: false, message: `json: cannot unmarshal ${goKind} into Go value of type ${Array.isArray(v) ? "string" : "[]string"}` };
}

interface IdTokenClaims {
  iss: string;
  aud: string[];
  exp: number | undefined;
  nbf: number | undefined;
}

/** Decodes go-oidc's idToken struct fields (case-insensitive names, as encoding/json). */
function decodeIdToken(claims: Record<string, unknown>): Decoded<IdTokenClaims> {
  const iss = goField(claims, "iss");
  if (iss !== undefined && typeof iss !== "string") return { ok: false, message: "json: cannot unmarshal " + (typeof iss === "number" ? "number" : typeof iss === "boolean" ? "bool" : Array.isArray(iss) ? "array" : "object") + " into Go struct field idToken.iss of type string" };
  const sub = goField(claims, "sub");
  if (sub !== undefined && typeof sub !== "string") return { ok: false, message: "json: cannot unmarshal " + (typeof sub === "number" ? "number" : typeof sub === "boolean" ? "bool" : Array.isArray(sub) ? "array" : "object") + " into Go struct field idToken.sub of type string" };
  let aud: string[] = [];
  const rawAud = goField(claims, "aud");
  if (rawAud !== undefined) {
    const a = decodeAudience(rawAud);
    if (!a.ok) return a;
    aud = a.value;
  }
  let exp: number | undefined;
  const rawExp = goField(claims, "exp");
  if (rawExp !== undefined) {
    const e = decodeTime(rawExp);
    if (!e.ok) return e;
    exp = e.value;
  }
  let nbf: number | undefined;
  const rawNbf = goField(claims, "nbf");
  if (rawNbf !== undefined) {
    const n = decodeTime(rawNbf);
    if (!n.ok) return n;
    nbf = n.value;
  }
  const rawIat = goField(claims, "iat");
  if (rawIat !== undefined) {
    const t = decodeTime(rawIat);
    if (!t.ok) return t;
  }
  return { ok: true, value: { iss: iss ?? "", aud, exp, nbf } };
}

/**
 * `pre`: the token's `precheckJwt` parts when the caller already has them (its payload is then not
 * decoded again: the pre-check parsed the very bytes the signature covers).
 */
export async function verifyIdToken(token: string, cfg: IdTokenVerifierConfig, keys: KeySource, nowMs: number, pre?: JwtParts): Promise<VerifyResult> {
  const fail = (check: string, message: string): VerifyResult => ({ ok: false, check, message });
  const parts = pre ? [pre.header, pre.payload, pre.signature] : token.split(".");
  if (parts.length > 3) return fail("oidc.parse", "oidc: malformed jwt");
  const header = parts.length === 3 ? parseJwsHeader(parts[0]!) : undefined;
  const signature = decodeBase64UrlRaw(parts[2] ?? "");
  if (!header || !signature) return fail("oidc.parse", "oidc: malformed jwt: go-jose/go-jose: compact JWS format must have three parts");
  if (!cfg.algorithms.includes(header.alg)) {
    return fail("oidc.algorithm", `oidc: id token signed with unsupported algorithm, expected ${goQuoteList(cfg.algorithms)} got ${goQuote(header.alg)}`);
  }
  let candidates: VerificationKey[];
  try {
    candidates = await keys.getKeys(header.kid);
  } catch (e) {
    return fail("oidc.keys", `failed to verify signature: fetching keys ${e instanceof Error ? e.message : String(e)}`);
  }
  let verified = false;
  let usedKid: string | undefined;
  const signingInput = `${parts[0]!}.${parts[1]!}`;
  for (const k of candidates) {
    if (header.kid !== "" && k.kid !== header.kid) continue;
    if (await verifyJwsSignature(header.alg, k.key, signingInput, signature, header.raw)) {
      verified = true;
      usedKid = k.kid;
      break;
    }
  }
  if (!verified) return fail("oidc.signature", "failed to verify signature: failed to verify id token signature");
  let claims: unknown;
  if (pre) claims = pre.claims;
  else {
    try {
      claims = JSON.parse(UTF8_DECODER.decode(Buffer.from(parts[1]!, "base64url")));
    } catch {
      return fail("oidc.claims", "oidc: failed to unmarshal claims: invalid character in JSON payload");
    }
  }
  if (claims !== null && !isJsonObject(claims)) return fail("oidc.claims", `oidc: failed to unmarshal claims: json: cannot unmarshal ${Array.isArray(claims) ? "array" : typeof claims === "boolean" ? "bool" : typeof claims} into Go value of type oidc.idToken`);
  const obj = claims ?? {};
  const d = decodeIdToken(obj);
  if (!d.ok) return fail("oidc.claims", `oidc: failed to unmarshal claims: ${d.message}`);
  const t = d.value;
  const reasons: Reason[] = [
    { check: "oidc.algorithm", ok: true, message: `algorithm ${header.alg} is allowed`, expected: [...cfg.algorithms], actual: header.alg },
    { check: "oidc.signature", ok: true, message: `signature verified with key ${usedKid ?? "(no kid)"}` },
  ];
  if (t.iss !== cfg.issuer && !(cfg.issuer === "https://accounts.google.com" && t.iss === "accounts.google.com")) {
    return fail("oidc.issuer", `oidc: id token issued by a different provider, expected ${goQuote(cfg.issuer)} got ${goQuote(t.iss)}`);
  }
  reasons.push({ check: "oidc.issuer", ok: true, message: `issuer is ${cfg.issuer}` });
  if (cfg.audiences.length === 1) {
    const clientId = cfg.audiences[0]!;
    if (!t.aud.includes(clientId)) return fail("oidc.audience", `oidc: expected audience ${goQuote(clientId)} got ${goQuoteList(t.aud)}`);
  }
  if (t.exp === undefined || t.exp * 1000 < nowMs) return fail("oidc.expiry", `oidc: token is expired (Token Expiry: ${goTime(t.exp)})`);
  if (t.nbf !== undefined && nowMs + 60_000 < t.nbf * 1000) {
    return fail("oidc.not-before", `oidc: current time ${goTimeMs(nowMs)} before the nbf (not before) time: ${goTime(t.nbf)}`);
  }
  reasons.push({ check: "oidc.expiry", ok: true, message: `token valid until ${isoTime(t.exp * 1000)}` });
  if (cfg.audiences.length > 1 && !t.aud.some((a) => cfg.audiences.includes(a))) {
    return fail("oidc.audience", `oidc: expected audience in ${goQuoteList([...new Set(cfg.audiences)].sort())} got ${goQuoteList(t.aud)}`);
  }
  reasons.push({ check: "oidc.audience", ok: true, message: `audience matches one of ${cfg.audiences.join(", ")}`, expected: [...cfg.audiences], actual: t.aud });
  return { ok: true, claims: obj, expiresAt: t.exp * 1000, reasons };
}
