/**
 * Mints a bound service-account token with the claims kube-apiserver puts in one
 * (pkg/serviceaccount/claims.go): iss, sub, aud (array), exp, iat, nbf = iat, jti, and the private
 * "kubernetes.io" object {namespace, serviceaccount{name,uid}, pod{name,uid}?}. Pure: the key,
 * the clock value and the objects are parameters.
 */
import { randomUUID, sign, type KeyObject } from "node:crypto";
import { KubeiamError } from "../lib/errors.js";
import type { Reason } from "../lib/decision.js";
import type { KubeObject } from "../store/types.js";

export const MIN_TOKEN_SECONDS = 600;
export const DEFAULT_TOKEN_SECONDS = 3600;

export interface SigningKey {
  kid: string;
  alg: "RS256" | "ES256";
  privateKey: KeyObject;
}

export interface MintRequest {
  issuer: string;
  key: SigningKey;
  /** Milliseconds since the epoch. */
  now: number;
  serviceAccount: KubeObject;
  pod?: KubeObject | undefined;
  audiences: readonly string[];
  expirationSeconds: number;
  maxExpirationSeconds: number;
  jti?: string;
}

export interface MintedToken {
  token: string;
  claims: ServiceAccountClaims;
  expirationTimestamp: string;
  warnings: string[];
  reasons: Reason[];
}

export interface ServiceAccountClaims {
  aud: string[];
  exp: number;
  iat: number;
  iss: string;
  jti: string;
  "kubernetes.io": {
    namespace: string;
    pod?: { name: string; uid: string };
    serviceaccount: { name: string; uid: string };
  };
  nbf: number;
  sub: string;
}

const b64 = (s: string): string => Buffer.from(s).toString("base64url");

const headerSegments = new Map<string, string>();

/** The encoded protected header {"alg","kid"} of a key, computed once per key. */
function headerSegment(key: SigningKey): string {
  const id = `${key.alg}.${key.kid}`;
  let seg = headerSegments.get(id);
  if (seg === undefined) {
    seg = b64(JSON.stringify({ alg: key.alg, kid: key.kid }));
    if (headerSegments.size > 64) headerSegments.clear();
    headerSegments.set(id, seg);
  }
  return seg;
}

/** Signs a JWS compact serialization with node:crypto (RS256 PKCS#1 v1.5, ES256 IEEE P1363). */
export function signJws(header: object | undefined, payload: object, key: SigningKey): string {
  const input = `${header === undefined ? headerSegment(key) : b64(JSON.stringify(header))}.${b64(JSON.stringify(payload))}`;
  const sig =
    key.alg === "RS256"
      ? sign("sha256", Buffer.from(input), key.privateKey)
      : sign("sha256", Buffer.from(input), { key: key.privateKey, dsaEncoding: "ieee-p1363" });
  return `${input}.${sig.toString("base64url")}`;
}

export function mintServiceAccountToken(req: MintRequest): MintedToken {
  const sa = req.serviceAccount;
  const ns = sa.metadata.namespace ?? "default";
  const warnings: string[] = [];
  if (!Number.isInteger(req.expirationSeconds) || req.expirationSeconds < MIN_TOKEN_SECONDS) {
    throw new KubeiamError("TOKEN_DURATION_INVALID", `spec.expirationSeconds: Invalid value: ${req.expirationSeconds}: may not specify a duration less than 10 minutes`, { expirationSeconds: req.expirationSeconds });
  }
  if (req.expirationSeconds > 2 ** 32) {
    throw new KubeiamError("TOKEN_DURATION_INVALID", `spec.expirationSeconds: Invalid value: ${req.expirationSeconds}: may not specify a duration larger than 2^32 seconds`);
  }
  let seconds = req.expirationSeconds;
  if (seconds > req.maxExpirationSeconds) {
    warnings.push(`requested expiration of ${seconds} seconds shortened to ${req.maxExpirationSeconds} seconds`);
    seconds = req.maxExpirationSeconds;
  }
  if (req.audiences.length === 0 || req.audiences.some((a) => a === "")) {
    throw new KubeiamError("TOKEN_AUDIENCE_INVALID", "audiences: every audience must be a non-empty string");
  }
  const reasons: Reason[] = [
    { check: "token.service-account", ok: true, message: `service account ${ns}/${sa.metadata.name} exists (uid ${sa.metadata.uid ?? ""})` },
  ];
  const k8s: ServiceAccountClaims["kubernetes.io"] = { namespace: ns, serviceaccount: { name: sa.metadata.name, uid: sa.metadata.uid ?? "" } };
  if (req.pod) {
    const pod = req.pod;
    const spec = (pod.spec ?? {}) as { serviceAccountName?: unknown; serviceAccount?: unknown };
    const podSa = typeof spec.serviceAccountName === "string" ? spec.serviceAccountName : typeof spec.serviceAccount === "string" ? spec.serviceAccount : "default";
    if (pod.metadata.namespace !== ns || podSa !== sa.metadata.name) {
      throw new KubeiamError("REQUEST_INVALID", `cannot bind token for serviceaccount "${sa.metadata.name}" to pod running with different serviceaccount name.`, { pod: pod.metadata.name });
    }
    k8s.pod = { name: pod.metadata.name, uid: pod.metadata.uid ?? "" };
    reasons.push({ check: "token.bound-pod", ok: true, message: `bound to pod ${ns}/${pod.metadata.name} (uid ${pod.metadata.uid ?? ""})` });
  }
  const iat = Math.floor(req.now / 1000);
  // Keys in the order kube-apiserver emits them (sorted), so tokens look the same.
  const claims: ServiceAccountClaims = {
    aud: [...req.audiences],
    exp: iat + seconds,
    iat,
    iss: req.issuer,
    jti: req.jti ?? randomUUID(),
    "kubernetes.io": k8s.pod ? { namespace: k8s.namespace, pod: k8s.pod, serviceaccount: k8s.serviceaccount } : k8s,
    nbf: iat,
    sub: `system:serviceaccount:${ns}:${sa.metadata.name}`,
  };
  const token = signJws(undefined, claims, req.key);
  return { token, claims, expirationTimestamp: new Date((iat + seconds) * 1000).toISOString().replace(/\.\d{3}Z$/, "Z"), warnings, reasons };
}
