/**
 * Temporary credentials that need no store: the session token seals (AES-256-GCM, key id inside)
 * the secret key, the identity and the expiry, so any replica holding the sealing keys can verify
 * a request signed with them (ARCHITECTURE principle 4).
 */
import { seal, unseal, type SealingKey } from "../keys/sealing.js";
import { newAccessKeyId, newSecretAccessKey } from "../iam/ids.js";

const AAD = "kubeiam-sts-session-v1";

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

export function issueSessionCredentials(key: SealingKey, id: SessionIdentity): IssuedCredentials {
  const accessKeyId = newAccessKeyId("ASIA");
  const secretAccessKey = newSecretAccessKey();
  const sealed: Sealed = { v: 1, akid: accessKeyId, sk: secretAccessKey, ...id };
  return { accessKeyId, secretAccessKey, sessionToken: seal(key, Buffer.from(JSON.stringify(sealed)), AAD), expiration: id.expiresAt };
}

export type OpenedSession = { ok: true; secretAccessKey: string; identity: SessionIdentity } | { ok: false; reason: "invalid" | "expired" | "mismatch" };

/** Opens a session token presented with `accessKeyId`; checks the key id binding and the expiry. */
export function openSessionToken(keys: readonly SealingKey[], sessionToken: string, accessKeyId: string, now: number): OpenedSession {
  if (sessionToken.length > 8192) return { ok: false, reason: "invalid" };
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
  const { v: _v, akid: _a, sk, ...identity } = s;
  return { ok: true, secretAccessKey: sk, identity };
}
