/** IAM identifiers: unique ids (AROA…, AIDA…), access key ids (AKIA…, ASIA…), secrets. */
import { createHash, randomBytes } from "node:crypto";

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

export function newAccessKeyId(prefix: "AKIA" | "ASIA"): string {
  return prefix + base32(randomBytes(16), 16);
}

export function newSecretAccessKey(): string {
  return randomBytes(30).toString("base64").replace(/[+/]/g, (c) => (c === "+" ? "A" : "b")).slice(0, 40);
}
