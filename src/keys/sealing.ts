/**
 * Sealing keys: AES-256-GCM keys that seal STS session tokens so any replica can open them.
 * Data model and pure helpers; rotation keeps old keys for their retention window.
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from "node:crypto";
import { KubeiamError } from "../lib/errors.js";

export interface SealingKey {
  kid: string;
  /** base64 of 32 random bytes. Secret. */
  secret: string;
  createdAt: string;
  retiredAt?: string;
}

export interface SealingKeyData {
  version: 1;
  keys: SealingKey[];
}

export function generateSealingKey(now: number): SealingKey {
  const secret = randomBytes(32);
  return { kid: createHash("sha256").update(secret).digest("base64url").slice(0, 8), secret: secret.toString("base64"), createdAt: new Date(now).toISOString() };
}

export function parseSealingKeys(text: string, source: string): SealingKeyData {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    throw new KubeiamError("KEY_INVALID", `${source}: not valid JSON`, { file: source });
  }
  const d = v as Partial<SealingKeyData>;
  if (d.version !== 1 || !Array.isArray(d.keys) || d.keys.some((k) => typeof k.kid !== "string" || typeof k.secret !== "string" || Buffer.from(k.secret, "base64").length !== 32)) {
    throw new KubeiamError("KEY_INVALID", `${source}: not a kubeiam sealing key file`, { file: source });
  }
  return d as SealingKeyData;
}

/** Seals `plaintext` with the key: kid(8) "." base64url(iv | ciphertext | tag). `aad` binds context. */
export function seal(key: SealingKey, plaintext: Buffer, aad: string): string {
  const iv = randomBytes(12);
  const c = createCipheriv("aes-256-gcm", Buffer.from(key.secret, "base64"), iv);
  c.setAAD(Buffer.from(aad));
  const body = Buffer.concat([c.update(plaintext), c.final()]);
  return `${key.kid}.${Buffer.concat([iv, body, c.getAuthTag()]).toString("base64url")}`;
}

/** Opens a sealed value; undefined when the key is unknown or the value was tampered with. */
export function unseal(keys: readonly SealingKey[], sealed: string, aad: string): Buffer | undefined {
  const dot = sealed.indexOf(".");
  if (dot < 0) return undefined;
  const key = keys.find((k) => k.kid === sealed.slice(0, dot));
  if (!key) return undefined;
  const raw = Buffer.from(sealed.slice(dot + 1), "base64url");
  if (raw.length < 12 + 16) return undefined;
  try {
    const d = createDecipheriv("aes-256-gcm", Buffer.from(key.secret, "base64"), raw.subarray(0, 12));
    d.setAAD(Buffer.from(aad));
    d.setAuthTag(raw.subarray(raw.length - 16));
    return Buffer.concat([d.update(raw.subarray(12, raw.length - 16)), d.final()]);
  } catch {
    return undefined;
  }
}
