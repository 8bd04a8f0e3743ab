/**
 * Public keys that verify service-account tokens: kubeiam's own key ring, PEM files (public keys,
 * certificates or private keys of an external issuer, as `--service-account-key-file`), or a
 * remote JWKS. `kid` selection is kube's: the keys with that id, or every key when the token has none.
 */
import { X509Certificate, createPrivateKey, createPublicKey, type KeyObject } from "node:crypto";
import { kidFromPublicKey } from "../../keys/kid.js";
import { KubeiamError } from "../../lib/errors.js";
import type { KeySource, VerificationKey } from "../types.js";

const byKid = (keys: readonly VerificationKey[], kid: string): VerificationKey[] => (kid === "" ? [...keys] : keys.filter((k) => k.kid === kid));

/** kubeiam's own keys (`app.keys`): the active key and retired keys within retention, read on every call so rotations apply at once. */
export function keyRingKeySource(keys: { verificationKeys(): readonly { kid: string; publicKey: KeyObject }[] }): KeySource {
  return { getKeys: (kid) => Promise.resolve(byKid(keys.verificationKeys().map((k) => ({ kid: k.kid, key: k.publicKey })), kid)) };
}

/** Public keys from PEM text (every PUBLIC KEY, CERTIFICATE or private-key block); kid = base64url(SHA-256(SPKI DER)). */
export function publicKeysFromPem(pem: string, source: string): VerificationKey[] {
  const blocks = pem.match(/-----BEGIN ([A-Z ]+)-----[\s\S]+?-----END \1-----/g) ?? [];
  const out: VerificationKey[] = [];
  for (const b of blocks) {
    const type = /-----BEGIN ([A-Z ]+)-----/.exec(b)?.[1] ?? "";
    let key: KeyObject;
    try {
      if (type === "CERTIFICATE") key = new X509Certificate(b).publicKey;
      else if (type.includes("PRIVATE KEY")) key = createPublicKey(createPrivateKey(b));
      else key = createPublicKey(b);
    } catch {
      throw new KubeiamError("KEY_INVALID", `${source}: a ${type} block is not a valid key`, { source });
    }
    if (key.asymmetricKeyType !== "rsa" && key.asymmetricKeyType !== "ec") throw new KubeiamError("KEY_INVALID", `${source}: only RSA and ECDSA keys verify service-account tokens (found ${key.asymmetricKeyType ?? "unknown"})`, { source });
    out.push({ kid: kidFromPublicKey(key), key });
  }
  if (out.length === 0) throw new KubeiamError("KEY_INVALID", `${source}: no PEM key or certificate found`, { source });
  return out;
}

export function staticKeySource(keys: readonly VerificationKey[]): KeySource {
  return { getKeys: (kid) => Promise.resolve(byKid(keys, kid)) };
}

/** Several sources as one; a failing source is skipped while another one answers. */
export function combinedKeySource(sources: readonly KeySource[]): KeySource {
  return {
    async getKeys(kid) {
      const out: VerificationKey[] = [];
      let firstError: Error | undefined;
      let anyOk = false;
      for (const s of sources) {
        try {
          out.push(...(await s.getKeys(kid)));
          anyOk = true;
        } catch (e) {
          firstError ??= e instanceof Error ? e : new Error(String(e));
        }
      }
      if (!anyOk && firstError !== undefined) throw firstError;
      return out;
    },
  };
}
