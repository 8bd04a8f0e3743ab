/**
 * Compact-JWS signature check with go-jose v2's semantics, on node:crypto: the algorithm must be one of RS/PS/ES 256/384/512 and fit
 * the key (RSA for RS/PS, EC on the matching curve for ES, with a signature of exactly twice the
 * curve size); any `crit` header fails, as go-jose supports none that kube uses. `none`, HMAC and
 * anything else never verify. Callers enforce their own allow-lists before this.
 *
 * The check itself runs on libuv's thread pool (node:crypto's callback form), not on the event
 * loop: under load the loop keeps parsing and answering other requests while signatures are checked
 * on the other cores. One check waited for alone takes longer than the synchronous call (a thread
 * hand-off each way), but with 50 checks in flight the loop spends 10 µs per RS256 check instead of
 * 35, and 15 µs per ES256 check instead of 111 (docs/performance.md, "Signature checks off the
 * event loop").
 */
import { constants, verify, type KeyObject, type VerifyKeyObjectInput } from "node:crypto";

const HASH: Record<string, string> = { "256": "sha256", "384": "sha384", "512": "sha512" };
const CURVE: Record<string, { curve: string; size: number }> = { ES256: { curve: "prime256v1", size: 32 }, ES384: { curve: "secp384r1", size: 48 }, ES512: { curve: "secp521r1", size: 66 } };

/** Resolves true when `signature` over `signingInput` verifies with `key` under `alg`. Never rejects. */
export function verifyJwsSignature(alg: string, key: KeyObject, signingInput: string, signature: Buffer, header?: Readonly<Record<string, unknown>>): Promise<boolean> {
  if (header && header.crit !== undefined) return NO;
  const m = /^(RS|PS|ES)(256|384|512)$/.exec(alg);
  if (!m || key.type !== "public") return NO;
  const hash = HASH[m[2]!]!;
  if (m[1] === "RS") return key.asymmetricKeyType === "rsa" ? check(hash, signingInput, key, signature) : NO;
  if (m[1] === "PS") return key.asymmetricKeyType === "rsa" ? check(hash, signingInput, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_AUTO }, signature) : NO;
  const c = CURVE[alg]!;
  if (key.asymmetricKeyType !== "ec" || key.asymmetricKeyDetails?.namedCurve !== c.curve || signature.length !== 2 * c.size) return NO;
  return check(hash, signingInput, { key, dsaEncoding: "ieee-p1363" }, signature);
}

const NO = Promise.resolve(false);

/** node:crypto's verify on the thread pool; an error (a key the hash cannot use, …) is a failed check. */
function check(hash: string, signingInput: string, key: KeyObject | VerifyKeyObjectInput, signature: Buffer): Promise<boolean> {
  return new Promise((resolve) => {
    try {
      verify(hash, Buffer.from(signingInput), key, signature, (err, ok) => resolve(!err && ok));
    } catch {
      resolve(false);
    }
  });
}
