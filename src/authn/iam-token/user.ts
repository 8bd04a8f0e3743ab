/**
 * The `status.user` of a successful TokenReview for an IAM identity, shaped as aws-iam-authenticator
 * writes it: uid "aws-iam-authenticator:<account>:<user id>", six one-element `extra` values in
 * key order (Go's encoder sorts map keys), `groups` left out when empty. Scrubbed accounts get an
 * administrative uid and no extra.
 */
import type { IamIdentity } from "./sts-response.js";

export const EXTRA_PRINCIPAL_ID_KEY = "sigs.k8s.io/aws-iam-authenticator/principalId";

export interface TokenReviewUser {
  username: string;
  uid: string;
  groups?: string[];
  extra?: Record<string, [string]>;
}

export interface BuildUserOptions {
  /** Accounts whose identities are not exposed (upstream server.scrubbedAccounts). */
  scrubbedAccounts?: readonly string[] | undefined;
}

type UserIdentity = Pick<
  IamIdentity,
  "arn" | "canonicalArn" | "accountId" | "userId" | "sessionName" | "accessKeyId"
>;

export function buildTokenReviewUser(
  identity: UserIdentity,
  mapped: { username: string; groups: readonly string[] },
  opts: BuildUserOptions = {},
): TokenReviewUser {
  const user: TokenReviewUser = { username: mapped.username, uid: "" };
  const scrubbed = opts.scrubbedAccounts?.includes(identity.accountId) ?? false;
  user.uid = scrubbed
    ? `aws-iam-authenticator:administrative:${mapped.username}`
    : `aws-iam-authenticator:${identity.accountId}:${identity.userId}`;
  if (mapped.groups.length > 0) user.groups = [...mapped.groups];
  if (!scrubbed) {
    // Inserted in sorted key order, so JSON.stringify matches Go's output byte for byte.
    user.extra = {
      accessKeyId: [identity.accessKeyId],
      arn: [identity.arn],
      canonicalArn: [identity.canonicalArn],
      principalId: [identity.userId],
      sessionName: [identity.sessionName],
      [EXTRA_PRINCIPAL_ID_KEY]: [identity.userId],
    };
  }
  return user;
}
