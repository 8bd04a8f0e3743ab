/** IAM identifiers: unique ids (AROA…, AIDA…), access key ids (AKIA…, ASIA…), secrets. */
import { createHash, randomFillSync } from "node:crypto";

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

function base32(bytes: Buffer, n: number): string {
  let out = "";
  for (let i = 0; i < n; i++) out += ALPHABET.charAt(bytes[i % bytes.length]! % 32);
  return out;
}

/** A stable unique id for an object (so hand-written roles keep their id across restarts). */
export function stableUniqueId(prefix: "AROA" | "AIDA" | "ANPA", seed: string): string {
  return prefix + base32(createHash("sha256").update(seed).digest(), 17);
}

/**
 * Random bytes from a pool refilled 4 KiB at a time: one call into the CSPRNG per ~70 credentials
 * instead of three per credential (the same approach as crypto.randomUUID's cache). Every byte is
 * handed out once.
 */
const POOL = Buffer.alloc(4096);
let poolOffset = POOL.length;

export function randomChunk(n: number): Buffer {
  if (poolOffset + n > POOL.length) {
    randomFillSync(POOL);
    poolOffset = 0;
  }
  // A copy: the pool is refilled in place, and no byte range is ever handed out twice.
  const out = Buffer.from(POOL.subarray(poolOffset, poolOffset + n));
  poolOffset += n;
  return out;
}

export function newAccessKeyId(prefix: "AKIA" | "ASIA"): string {
  return prefix + base32(randomChunk(16), 16);
}

/** 40 characters of base64 alphabet (30 random bytes), like AWS secret access keys. */
export function newSecretAccessKey(): string {
  return randomChunk(30)
    .toString("base64")
    .replace(/[+/]/g, (c) => (c === "+" ? "A" : "b"));
}
