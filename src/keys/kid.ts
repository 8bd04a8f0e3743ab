/** Key ids as kube-apiserver computes them: base64url(SHA-256(DER SubjectPublicKeyInfo)), unpadded. */
import { createHash, createPublicKey, type KeyObject } from "node:crypto";

export function kidFromPublicKey(key: KeyObject): string {
  const pub = key.type === "private" ? createPublicKey(key) : key;
  const der = pub.export({ type: "spki", format: "der" });
  return createHash("sha256").update(der).digest("base64url");
}
