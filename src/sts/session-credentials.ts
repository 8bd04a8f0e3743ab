/**
 * Temporary credentials that need no store: the session token seals (AES-256-GCM, key id inside)
 * the secret key, the identity and the expiry, so any replica holding the sealing keys can verify
 * a request signed with them (ARCHITECTURE principle 4).
 */
import { createCipheriv } from "node:crypto";
import { unseal, type SealingKey } from "../keys/sealing.js";
import { newAccessKeyId, newSecretAccessKey, randomChunk } from "../iam/ids.js";

const AAD = "kubeiam-sts-session-v1";
/** Longest session token accepted back (and the 100% of SessionTokenUtilization). */
export const MAX_SESSION_TOKEN = 8192;

export interface SessionIdentity {
  /** arn:aws:sts::ACCT:assumed-role/NAME/SESSION */
  arn: string;
  /** AROA…:SESSION */
  userId: string;
  account: string;
  roleArn: string;
  sessionName: string;
  /** Milliseconds since the epoch. */
  expiresAt: number;
  /** True when this session came from AssumeRole called by another role session (role chaining). */
  chained: boolean;
  sourceIdentity?: string;
  /** Inline session policy text, if any; limits what the session can do. */
  sessionPolicy?: string;
  sessionPolicyArns?: string[];
}

export interface IssuedCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
  expiration: number;
}

interface Sealed extends SessionIdentity {
  v: 1;
  akid: string;
  sk: string;
}

const AAD_BYTES = Buffer.from(AAD);
const keyBytes = new WeakMap<SealingKey, Buffer>();

/**
 * keys/sealing.ts `seal`, in the same format (kid "." base64url(iv | ciphertext | tag), opened by
 * `unseal`), with the 96-bit IV taken from the pooled CSPRNG and the key bytes decoded once: this
 * runs for every credential issued.
 */
function sealSession(key: SealingKey, plaintext: Buffer): string {
  let k = keyBytes.get(key);
  if (!k) keyBytes.set(key, (k = Buffer.from(key.secret, "base64")));
  const iv = randomChunk(12);
  const c = createCipheriv("aes-256-gcm", k, iv);
  c.setAAD(AAD_BYTES);
  const body = Buffer.concat([c.update(plaintext), c.final()]);
  return `${key.kid}.${Buffer.concat([iv, body, c.getAuthTag()]).toString("base64url")}`;
}

export function issueSessionCredentials(key: SealingKey, id: SessionIdentity): IssuedCredentials {
  const accessKeyId = newAccessKeyId("ASIA");
  const secretAccessKey = newSecretAccessKey();
  const sealed: Sealed = { v: 1, akid: accessKeyId, sk: secretAccessKey, ...id };
  return {
    accessKeyId,
    secretAccessKey,
    sessionToken: sealSession(key, Buffer.from(JSON.stringify(sealed))),
    expiration: id.expiresAt,
  };
}

export type OpenedSession =
  | { ok: true; secretAccessKey: string; identity: SessionIdentity }
  | { ok: false; reason: "invalid" | "expired" | "mismatch" };

/** Opens a session token presented with `accessKeyId`; checks the key id binding and the expiry. */
export function openSessionToken(
  keys: readonly SealingKey[],
  sessionToken: string,
  accessKeyId: string,
  now: number,
): OpenedSession {
  if (sessionToken.length > MAX_SESSION_TOKEN) return { ok: false, reason: "invalid" };
  const raw = unseal(keys, sessionToken, AAD);
  if (!raw) return { ok: false, reason: "invalid" };
  let s: Sealed;
  try {
    s = JSON.parse(raw.toString("utf8")) as Sealed;
  } catch {
    return { ok: false, reason: "invalid" };
  }
  if (s.v !== 1) return { ok: false, reason: "invalid" };
  if (s.akid !== accessKeyId) return { ok: false, reason: "mismatch" };
  if (now >= s.expiresAt) return { ok: false, reason: "expired" };
  const identity: SessionIdentity = {
    arn: s.arn,
    userId: s.userId,
    account: s.account,
    roleArn: s.roleArn,
    sessionName: s.sessionName,
    expiresAt: s.expiresAt,
    chained: s.chained,
  };
  if (s.sourceIdentity !== undefined) identity.sourceIdentity = s.sourceIdentity;
  if (s.sessionPolicy !== undefined) identity.sessionPolicy = s.sessionPolicy;
  if (s.sessionPolicyArns !== undefined) identity.sessionPolicyArns = s.sessionPolicyArns;
  return { ok: true, secretAccessKey: s.sk, identity };
}

/** SessionTokenSize and SessionTokenUtilization of a response (bytes, and percent of the maximum). */
export function sessionTokenUsage(c: IssuedCredentials): {
  SessionTokenSize: number;
  SessionTokenUtilization: number;
} {
  const size = Buffer.byteLength(c.sessionToken);
  return { SessionTokenSize: size, SessionTokenUtilization: Math.ceil((size / MAX_SESSION_TOKEN) * 100) };
}

export type SessionOpener = (
  keys: readonly SealingKey[],
  sessionToken: string,
  accessKeyId: string,
  now: number,
) => OpenedSession;

/**
 * openSessionToken with a bounded cache of tokens already opened: an SDK signs every call of a
 * session with the same token, so the AES-GCM decryption and JSON parsing run once per session.
 * Only exact token strings hit; a hit still checks that the token's sealing key is held, the key id
 * binding and the expiry, so retiring a sealing key or the session expiring takes effect at once.
 */
export function createSessionOpener(maxEntries = 10_000): SessionOpener {
  const cache = new Map<
    string,
    { kid: string; akid: string; secretAccessKey: string; identity: SessionIdentity }
  >();
  return (keys, sessionToken, accessKeyId, now) => {
    const hit = cache.get(sessionToken);
    if (hit && keys.some((k) => k.kid === hit.kid)) {
      if (hit.akid !== accessKeyId) return { ok: false, reason: "mismatch" };
      if (now >= hit.identity.expiresAt) {
        cache.delete(sessionToken);
        return { ok: false, reason: "expired" };
      }
      return { ok: true, secretAccessKey: hit.secretAccessKey, identity: hit.identity };
    }
    const opened = openSessionToken(keys, sessionToken, accessKeyId, now);
    if (opened.ok) {
      if (cache.size >= maxEntries) cache.delete(cache.keys().next().value!);
      cache.set(sessionToken, {
        kid: sessionToken.slice(0, sessionToken.indexOf(".")),
        akid: accessKeyId,
        secretAccessKey: opened.secretAccessKey,
        identity: opened.identity,
      });
    }
    return opened;
  };
}
