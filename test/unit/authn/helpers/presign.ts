/**
 * A minimal SigV4 query presigner for GetCallerIdentity, as aws-iam-authenticator and
 * `aws eks get-token` produce it (payload hash = SHA-256 of "", signed headers host;x-k8s-aws-id).
 * Test-only: builds realistic tokens without depending on src/sigv4.
 */
import { createHash, createHmac } from "node:crypto";

export interface PresignInput {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
  region: string;
  host?: string;
  clusterId: string;
  /** ms since the epoch */
  time: number;
  expires?: number;
}

const enc = (s: string): string =>
  encodeURIComponent(s).replace(/[!'()*]/g, (c) => "%" + c.charCodeAt(0).toString(16).toUpperCase());
const sha256 = (s: string): string => createHash("sha256").update(s).digest("hex");
const hmac = (key: Buffer | string, s: string): Buffer => createHmac("sha256", key).update(s).digest();

export function amzDate(ms: number): string {
  return new Date(ms)
    .toISOString()
    .replace(/[-:]/g, "")
    .replace(/\.\d{3}/, "");
}

export function presignGetCallerIdentity(p: PresignInput): string {
  const host = p.host ?? `sts.${p.region}.amazonaws.com`;
  const date = amzDate(p.time);
  const day = date.slice(0, 8);
  const scope = `${day}/${p.region}/sts/aws4_request`;
  const params: [string, string][] = [
    ["Action", "GetCallerIdentity"],
    ["Version", "2011-06-15"],
    ["X-Amz-Algorithm", "AWS4-HMAC-SHA256"],
    ["X-Amz-Credential", `${p.accessKeyId}/${scope}`],
    ["X-Amz-Date", date],
    ["X-Amz-Expires", String(p.expires ?? 60)],
    ["X-Amz-SignedHeaders", "host;x-k8s-aws-id"],
  ];
  if (p.sessionToken !== undefined) params.push(["X-Amz-Security-Token", p.sessionToken]);
  params.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const query = params.map(([k, v]) => `${enc(k)}=${enc(v)}`).join("&");
  const canonical = [
    "GET",
    "/",
    query,
    `host:${host}`,
    `x-k8s-aws-id:${p.clusterId}`,
    "",
    "host;x-k8s-aws-id",
    sha256(""),
  ].join("\n");
  const toSign = ["AWS4-HMAC-SHA256", date, scope, sha256(canonical)].join("\n");
  const kDate = hmac("AWS4" + p.secretAccessKey, day);
  const kSigning = hmac(hmac(hmac(kDate, p.region), "sts"), "aws4_request");
  const signature = hmac(kSigning, toSign).toString("hex");
  return `https://${host}/?${query}&X-Amz-Signature=${signature}`;
}

/** "k8s-aws-v1." + base64url without padding. */
export function tokenFor(url: string | Buffer): string {
  return "k8s-aws-v1." + Buffer.from(url).toString("base64url");
}
