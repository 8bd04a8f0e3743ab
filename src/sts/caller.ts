/**
 * Who signed a request: resolves the SigV4 access key to an IAM user (long-term AKIA keys from the
 * access key store) or an assumed-role session (ASIA keys whose sealed session token carries the
 * secret and identity), then verifies the signature.
 */
import type { Reason } from "../lib/decision.js";
import type { SealingKey } from "../keys/sealing.js";
import type { UserView } from "../iam/objects.js";
import type { StoredAccessKey } from "../iam/access-keys.js";
import { parseSignedRequest } from "../sigv4/parse-signed-request.js";
import { verifySignature, type VerifyOptions } from "../sigv4/verify-signature.js";
import type { IncomingSignedRequest } from "../sigv4/types.js";
import { AwsError } from "./aws-error.js";
import { openSessionToken, type SessionIdentity, type SessionOpener } from "./session-credentials.js";

export type Caller =
  | { type: "user"; arn: string; userId: string; account: string; user: UserView; accessKeyId: string }
  | {
      type: "assumed-role";
      arn: string;
      userId: string;
      account: string;
      session: SessionIdentity;
      accessKeyId: string;
    };

export interface CallerDeps {
  account: string;
  accessKey(id: string): StoredAccessKey | undefined;
  user(name: string): UserView | undefined;
  sealingKeys(): readonly SealingKey[];
  /** Opens session tokens (default: no cache). */
  openSession?: SessionOpener | undefined;
  now: number;
}

export type CallerResult =
  { ok: true; caller: Caller; reasons: Reason[] } | { ok: false; error: AwsError; reasons: Reason[] };

const invalidToken = (): AwsError =>
  new AwsError("InvalidClientTokenId", "The security token included in the request is invalid.", 403);

export function authenticateCaller(
  req: IncomingSignedRequest,
  deps: CallerDeps,
  verifyOpts: VerifyOptions = {},
): CallerResult {
  const parsed = parseSignedRequest(req);
  if (!parsed.ok) {
    const e = parsed.error;
    return {
      ok: false,
      error: new AwsError(e.code, e.message, e.status),
      reasons: [{ check: e.check, ok: false, message: e.detail }],
    };
  }
  const auth = parsed.auth;
  const akid = auth.accessKeyId;
  let secret: string;
  let caller: Caller;
  const reasons: Reason[] = [];
  if (akid.startsWith("ASIA")) {
    if (!auth.securityToken) {
      return {
        ok: false,
        error: invalidToken(),
        reasons: [
          {
            check: "sigv4.session-token",
            ok: false,
            message: `temporary access key ${akid} was used without its session token (X-Amz-Security-Token)`,
          },
        ],
      };
    }
    const opened = (deps.openSession ?? openSessionToken)(
      deps.sealingKeys(),
      auth.securityToken,
      akid,
      deps.now,
    );
    if (!opened.ok) {
      if (opened.reason === "expired") {
        return {
          ok: false,
          error: new AwsError("ExpiredToken", "The security token included in the request is expired", 403),
          reasons: [
            {
              check: "sigv4.session-token",
              ok: false,
              message: `the session credentials of ${akid} have expired`,
            },
          ],
        };
      }
      return {
        ok: false,
        error: invalidToken(),
        reasons: [
          {
            check: "sigv4.session-token",
            ok: false,
            message:
              opened.reason === "mismatch"
                ? `the session token was issued for another access key than ${akid}`
                : "the session token is not one kubeiam issued (or its sealing key has been retired)",
          },
        ],
      };
    }
    secret = opened.secretAccessKey;
    const s = opened.identity;
    caller = {
      type: "assumed-role",
      arn: s.arn,
      userId: s.userId,
      account: s.account,
      session: s,
      accessKeyId: akid,
    };
  } else {
    const key = deps.accessKey(akid);
    if (!key || key.status !== "Active") {
      return {
        ok: false,
        error: invalidToken(),
        reasons: [
          {
            check: "sigv4.access-key",
            ok: false,
            message: key ? `access key ${akid} is inactive` : `access key ${akid} does not exist`,
          },
        ],
      };
    }
    const user = deps.user(key.userName);
    if (!user)
      return {
        ok: false,
        error: invalidToken(),
        reasons: [
          {
            check: "sigv4.access-key",
            ok: false,
            message: `access key ${akid} belongs to user ${key.userName}, which no longer exists`,
          },
        ],
      };
    secret = key.secretAccessKey;
    caller = {
      type: "user",
      arn: user.arn,
      userId: user.userId,
      account: deps.account,
      user,
      accessKeyId: akid,
    };
  }
  const v = verifySignature(auth, secret, req, deps.now, verifyOpts);
  if (!v.ok) {
    const e = v.error;
    return {
      ok: false,
      error: new AwsError(e.code, e.message, e.status),
      reasons: [{ check: e.check, ok: false, message: e.detail }],
    };
  }
  reasons.push(...v.reasons, {
    check: "sigv4.caller",
    ok: true,
    message: `signed by ${caller.arn} (access key ${akid})`,
  });
  return { ok: true, caller, reasons };
}
