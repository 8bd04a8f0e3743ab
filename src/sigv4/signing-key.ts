/**
 * SigV4 signing-key derivation with a small LRU cache:
 *   kDate = HMAC("AWS4" + secret, YYYYMMDD); kRegion = HMAC(kDate, region);
 *   kService = HMAC(kRegion, service); kSigning = HMAC(kService, "aws4_request").
 * The cache is keyed by SHA-256(secret) plus the scope, so no secret is kept as a map key; one key
 * serves every request of that credential for the day.
 */
import { createHmac, hash } from "node:crypto";
import { SCOPE_TERMINATOR } from "./types.js";

const DEFAULT_CAPACITY = 512;

function hmac(key: string | Buffer, data: string): Buffer {
  return createHmac("sha256", key).update(data, "utf8").digest();
}

/** Derives the signing key without caching. */
export function deriveSigningKey(
  secretAccessKey: string,
  date: string,
  region: string,
  service: string,
): Buffer {
  const kDate = hmac("AWS4" + secretAccessKey, date);
  const kRegion = hmac(kDate, region);
  const kService = hmac(kRegion, service);
  return hmac(kService, SCOPE_TERMINATOR);
}

/** A bounded least-recently-used cache of signing keys. */
export class SigningKeyCache {
  readonly #capacity: number;
  readonly #entries = new Map<string, Buffer>();
  hits = 0;
  misses = 0;

  constructor(capacity = DEFAULT_CAPACITY) {
    this.#capacity = Math.max(1, capacity);
  }

  get size(): number {
    return this.#entries.size;
  }

  /** Returns the signing key for the credential and scope, deriving it on a miss. */
  get(secretAccessKey: string, date: string, region: string, service: string): Buffer {
    const id = `${hash("sha256", secretAccessKey, "base64")}/${date}/${region}/${service}`;
    const found = this.#entries.get(id);
    if (found) {
      this.hits++;
      this.#entries.delete(id);
      this.#entries.set(id, found);
      return found;
    }
    this.misses++;
    const key = deriveSigningKey(secretAccessKey, date, region, service);
    this.#entries.set(id, key);
    if (this.#entries.size > this.#capacity) {
      const oldest = this.#entries.keys().next().value;
      if (oldest !== undefined) this.#entries.delete(oldest);
    }
    return key;
  }

  clear(): void {
    this.#entries.clear();
    this.hits = 0;
    this.misses = 0;
  }
}

/** The process-wide cache used by signing and verification unless one is passed in. */
export const defaultSigningKeyCache = new SigningKeyCache();

/** HMAC-SHA256(signingKey, stringToSign) as lower-case hex. */
export function signString(signingKey: Buffer, stringToSign: string): string {
  return createHmac("sha256", signingKey).update(stringToSign, "utf8").digest("hex");
}
