/**
 * Decodes service-account token claims the way go-jose v2 (`jwt.Claims`) and kube's private-claim
 * structs decode them, with encoding/json's error messages: case-insensitive field names, `null`
 * leaves a field unset, NumericDate accepts only JSON numbers (truncated to seconds), `aud` is a
 * string or an array of strings.
 */
import { goField, isJsonObject } from "../../jwt-precheck.js";
import { goJsonKind } from "../../lib/go-format.js";

export type Decoded<T> = { ok: true; value: T } | { ok: false; message: string };

export interface PublicClaims {
  iss: string;
  sub: string;
  aud: string[];
  exp?: number;
  nbf?: number;
  iat?: number;
  jti: string;
}

const AUDIENCE_ERROR = "go-jose/go-jose/jwt: expected string or array value to unmarshal to Audience";
const NUMERIC_DATE_ERROR = "go-jose/go-jose/jwt: expected number value to unmarshal NumericDate";

class DecodeError extends Error {}

function str(obj: Record<string, unknown>, field: string, where: string): string {
  const v = goField(obj, field);
  if (v === undefined) return "";
  if (typeof v !== "string") throw new DecodeError(`json: cannot unmarshal ${goJsonKind(v)} into Go struct field ${where}.${field} of type string`);
  return v;
}

function numericDate(obj: Record<string, unknown>, field: string): number | undefined {
  const v = goField(obj, field);
  if (v === undefined) return undefined;
  if (typeof v !== "number") throw new DecodeError(NUMERIC_DATE_ERROR);
  return Math.trunc(v);
}

function wrap<T>(f: () => T): Decoded<T> {
  try {
    return { ok: true, value: f() };
  } catch (e) {
    if (e instanceof DecodeError) return { ok: false, message: e.message };
    throw e;
  }
}

export function decodePublicClaims(claims: Record<string, unknown>): Decoded<PublicClaims> {
  return wrap(() => {
    const iss = str(claims, "iss", "Claims");
    const sub = str(claims, "sub", "Claims");
    let aud: string[] = [];
    // Audience has its own UnmarshalJSON, which also sees a JSON null (and rejects it)
    const hasAud = Object.keys(claims).some((k) => k.toLowerCase() === "aud");
    if (hasAud) {
      let raw: unknown;
      for (const [k, v] of Object.entries(claims)) if (k.toLowerCase() === "aud") raw = v;
      if (typeof raw === "string") aud = [raw];
      else if (Array.isArray(raw) && raw.every((x) => typeof x === "string")) aud = raw;
      else throw new DecodeError(AUDIENCE_ERROR);
    }
    const out: PublicClaims = { iss, sub, aud, jti: str(claims, "jti", "Claims") };
    const exp = numericDate(claims, "exp");
    const nbf = numericDate(claims, "nbf");
    const iat = numericDate(claims, "iat");
    if (exp !== undefined) out.exp = exp;
    if (nbf !== undefined) out.nbf = nbf;
    if (iat !== undefined) out.iat = iat;
    return out;
  });
}

export interface ObjectRef {
  name: string;
  uid: string;
}

export interface BoundPrivateClaims {
  namespace: string;
  serviceaccount: ObjectRef;
  pod?: ObjectRef;
  secret?: ObjectRef;
  node?: ObjectRef;
  warnafter?: number;
}

function ref(obj: Record<string, unknown>, field: string, path: string): ObjectRef | undefined {
  const v = goField(obj, field);
  if (v === undefined) return undefined;
  if (!isJsonObject(v)) throw new DecodeError(`json: cannot unmarshal ${goJsonKind(v)} into Go struct field ${path}.${field} of type serviceaccount.ref`);
  return { name: str(v, "name", `${path}.${field}`), uid: str(v, "uid", `${path}.${field}`) };
}

/** The private `kubernetes.io` object of a bound token. */
export function decodeBoundPrivateClaims(claims: Record<string, unknown>): Decoded<BoundPrivateClaims> {
  return wrap(() => {
    const path = "privateClaims.kubernetes.io";
    const k = goField(claims, "kubernetes.io");
    if (k !== undefined && !isJsonObject(k)) throw new DecodeError(`json: cannot unmarshal ${goJsonKind(k)} into Go struct field privateClaims.kubernetes.io of type serviceaccount.kubernetes`);
    const o = k ?? {};
    const out: BoundPrivateClaims = { namespace: str(o, "namespace", path), serviceaccount: ref(o, "serviceaccount", path) ?? { name: "", uid: "" } };
    const pod = ref(o, "pod", path);
    const secret = ref(o, "secret", path);
    const node = ref(o, "node", path);
    if (pod) out.pod = pod;
    if (secret) out.secret = secret;
    if (node) out.node = node;
    const warnafter = numericDate(o, "warnafter");
    if (warnafter !== undefined) out.warnafter = warnafter;
    return out;
  });
}

export interface LegacyPrivateClaims {
  namespace: string;
  secretName: string;
  serviceAccountName: string;
  serviceAccountUID: string;
}

export function decodeLegacyPrivateClaims(claims: Record<string, unknown>): Decoded<LegacyPrivateClaims> {
  return wrap(() => ({
    serviceAccountName: str(claims, "kubernetes.io/serviceaccount/service-account.name", "legacyPrivateClaims"),
    serviceAccountUID: str(claims, "kubernetes.io/serviceaccount/service-account.uid", "legacyPrivateClaims"),
    secretName: str(claims, "kubernetes.io/serviceaccount/secret.name", "legacyPrivateClaims"),
    namespace: str(claims, "kubernetes.io/serviceaccount/namespace", "legacyPrivateClaims"),
  }));
}
