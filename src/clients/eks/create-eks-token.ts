/**
 * createEksToken: the bearer token `aws eks get-token` and aws-iam-authenticator make — a SigV4
 * query-presigned `GET <sts endpoint>/?Action=GetCallerIdentity&Version=2011-06-15` that also
 * signs `x-k8s-aws-id: <cluster>`, X-Amz-Expires=60, encoded as `k8s-aws-v1.` + unpadded base64url.
 * The token expires 15 minutes after signing on the server side; clients report 14. Pure: the
 * signing time and the credentials are parameters.
 */
import { presignUrl } from "../../sigv4/presign-url.js";
import type { AwsCredentials } from "../../sigv4/types.js";

export const EKS_TOKEN_PREFIX = "k8s-aws-v1.";
/** X-Amz-Expires the clients send (STS ignores it; the server requires 0..900). */
export const EKS_PRESIGN_SECONDS = 60;
/** What clients report as the token's lifetime: one minute less than the server's 15. */
export const EKS_TOKEN_LIFETIME_MS = 14 * 60_000;
export const CLUSTER_ID_HEADER = "x-k8s-aws-id";

export interface EksTokenInput {
  /** The cluster name (or an Outposts cluster id): the value signed as x-k8s-aws-id. */
  clusterId: string;
  credentials: AwsCredentials;
  /** Signing region (the credential scope), e.g. us-west-2. */
  region: string;
  /** STS endpoint URL: scheme, host and optional port; e.g. https://sts.us-west-2.amazonaws.com. */
  endpoint: string;
  /** Signing time, ms since the epoch. */
  now: number;
}

export interface EksToken {
  token: string;
  /** The presigned URL inside the token (it grants a GetCallerIdentity call: treat as a secret). */
  url: string;
  expiresAt: number;
}

export function createEksToken(input: EksTokenInput): EksToken {
  const base = new URL(input.endpoint);
  // botocore keeps an endpoint's path prefix and appends the operation's "/"
  const path = base.pathname.endsWith("/") ? base.pathname : `${base.pathname}/`;
  const url = presignUrl({
    method: "GET",
    url: `${base.protocol}//${base.host}${path}?Action=GetCallerIdentity&Version=2011-06-15`,
    headers: { [CLUSTER_ID_HEADER]: input.clusterId },
    credentials: input.credentials,
    region: input.region,
    service: "sts",
    now: input.now,
    expiresSeconds: EKS_PRESIGN_SECONDS,
  });
  return {
    token: EKS_TOKEN_PREFIX + Buffer.from(url, "utf8").toString("base64url"),
    url,
    expiresAt: input.now + EKS_TOKEN_LIFETIME_MS,
  };
}
