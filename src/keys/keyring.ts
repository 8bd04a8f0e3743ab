/**
 * The signing key ring: pure data and functions (no I/O, clock passed in).
 * One key is active (signs); keys rotated out keep verifying until their retention window ends,
 * which is longer than the longest token lifetime.
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from "node:crypto";
import { KubeiamError } from "../lib/errors.js";
import { kidFromPublicKey } from "./kid.js";

export type SigningAlg = "RS256" | "ES256";

export interface StoredKey {
  kid: string;
  alg: SigningAlg;
  /** PKCS#8 PEM. Secret: never logged. */
  privateKeyPem: string;
  createdAt: string;
  /** When it stopped signing; absent for the active key. */
  retiredAt?: string;
}

export interface KeyRingData {
  version: 1;
  keys: StoredKey[];
}

export interface LoadedKey {
  kid: string;
  alg: SigningAlg;
  privateKey: KeyObject;
  publicKey: KeyObject;
  createdAt: string;
  retiredAt: string | undefined;
}

export function generateSigningKey(alg: SigningAlg, now: number): StoredKey {
  const { privateKey } =
    alg === "RS256" ? generateKeyPairSync("rsa", { modulusLength: 2048 }) : generateKeyPairSync("ec", { namedCurve: "P-256" });
  return {
    kid: kidFromPublicKey(privateKey),
    alg,
    privateKeyPem: privateKey.export({ type: "pkcs8", format: "pem" }).toString(),
    createdAt: new Date(now).toISOString(),
  };
}

export function algForKey(key: KeyObject): SigningAlg {
  if (key.asymmetricKeyType === "rsa") return "RS256";
  if (key.asymmetricKeyType === "ec" && key.asymmetricKeyDetails?.namedCurve === "prime256v1") return "ES256";
  throw new KubeiamError("KEY_INVALID", `unsupported signing key type ${key.asymmetricKeyType ?? "unknown"} (use RSA 2048+ or EC P-256)`);
}

export function loadKey(k: StoredKey): LoadedKey {
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(k.privateKeyPem);
  } catch {
    throw new KubeiamError("KEY_INVALID", `signing key ${k.kid} is not a valid PEM private key`, { kid: k.kid });
  }
  const publicKey = createPublicKey(privateKey);
  const kid = kidFromPublicKey(publicKey);
  if (kid !== k.kid) throw new KubeiamError("KEY_INVALID", `signing key ${k.kid}: kid does not match the key (computed ${kid})`, { kid: k.kid });
  const alg = algForKey(privateKey);
  if (alg !== k.alg) throw new KubeiamError("KEY_INVALID", `signing key ${k.kid}: stored alg ${k.alg} does not match the key type (${alg})`);
  return { kid, alg, privateKey, publicKey, createdAt: k.createdAt, retiredAt: k.retiredAt };
}

/** The key that signs: the newest one not retired. */
export function activeKey(data: KeyRingData): StoredKey | undefined {
  return data.keys.filter((k) => k.retiredAt === undefined).sort((a, b) => b.createdAt.localeCompare(a.createdAt))[0];
}

/** Makes `fresh` active and retires every other active key at `now`; drops keys past retention. */
export function rotate(data: KeyRingData, fresh: StoredKey, now: number, retentionSeconds: number): KeyRingData {
  const at = new Date(now).toISOString();
  const kept = prune(data, now, retentionSeconds).keys.map((k) => (k.retiredAt === undefined ? { ...k, retiredAt: at } : k));
  return { version: 1, keys: [fresh, ...kept] };
}

/** Removes retired keys whose retention window has ended. */
export function prune(data: KeyRingData, now: number, retentionSeconds: number): KeyRingData {
  return {
    version: 1,
    keys: data.keys.filter((k) => k.retiredAt === undefined || Date.parse(k.retiredAt) + retentionSeconds * 1000 > now),
  };
}

export interface Jwk {
  use: "sig";
  kty: string;
  kid: string;
  alg: SigningAlg;
  n?: string;
  e?: string;
  crv?: string;
  x?: string;
  y?: string;
}

/** A JWK in the field order kube-apiserver serves: use, kty, kid, alg, then key material. */
export function toJwk(k: LoadedKey): Jwk {
  const j = k.publicKey.export({ format: "jwk" });
  const base = { use: "sig" as const, kty: j.kty ?? "", kid: k.kid, alg: k.alg };
  return j.kty === "RSA" ? { ...base, n: j.n ?? "", e: j.e ?? "" } : { ...base, crv: j.crv ?? "", x: j.x ?? "", y: j.y ?? "" };
}

export function parseKeyRing(text: string, source: string): KeyRingData {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    throw new KubeiamError("KEY_INVALID", `${source}: not valid JSON; restore it from a backup or delete it to generate new keys (tokens already issued will stop verifying)`, { file: source });
  }
  const d = v as Partial<KeyRingData>;
  if (d.version !== 1 || !Array.isArray(d.keys) || d.keys.some((k) => typeof k !== "object" || k === null || typeof k.kid !== "string" || typeof k.privateKeyPem !== "string" || (k.alg !== "RS256" && k.alg !== "ES256") || typeof k.createdAt !== "string")) {
    throw new KubeiamError("KEY_INVALID", `${source}: not a kubeiam key ring (expected {"version":1,"keys":[{kid, alg, privateKeyPem, createdAt}]})`, { file: source });
  }
  return d as KeyRingData;
}
