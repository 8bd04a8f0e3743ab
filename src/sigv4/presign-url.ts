/**
 * presignUrl: SigV4 query signing ("presigned URL"), as `aws eks get-token` and aws-iam-authenticator
 * build their tokens: the URL's own parameters first, then X-Amz-Algorithm, X-Amz-Credential,
 * X-Amz-Date, X-Amz-Expires, X-Amz-SignedHeaders, X-Amz-Security-Token (temporary credentials
 * only), and X-Amz-Signature last. Signed headers are host plus the extra headers given (e.g.
 * x-k8s-aws-id), which the caller must send with the URL. The payload hash is SHA-256 of the body
 * (of "" for GET), not UNSIGNED-PAYLOAD, unless asked. Pure: the time is a parameter.
 */
import {
  canonicalHeaderValue,
  canonicalQuery,
  canonicalRequest,
  canonicalUri,
  credentialScopeString,
  isSignableHeader,
  parseQuery,
  sha256Hex,
  stringToSign,
  uriEncode,
} from "./lib/canonical.js";
import type { PathOptions, QueryParam } from "./lib/canonical.js";
import { formatAmzDate } from "./lib/amz-date.js";
import { defaultSigningKeyCache, signString } from "./signing-key.js";
import type { SigningKeyCache } from "./signing-key.js";
import { ALGORITHM, MAX_PRESIGN_SECONDS, SCOPE_TERMINATOR, UNSIGNED_PAYLOAD } from "./types.js";
import type { AwsCredentials } from "./types.js";

export interface PresignUrlInput {
  /** Default GET. */
  readonly method?: string | undefined;
  readonly url: string | URL;
  /** Extra headers to sign, e.g. { "x-k8s-aws-id": "my-cluster" }; the caller must send them. */
  readonly headers?: Readonly<Record<string, string>> | undefined;
  readonly body?: string | Buffer | undefined;
  readonly credentials: AwsCredentials;
  readonly region: string;
  readonly service: string;
  /** Signing time, milliseconds since the epoch. */
  readonly now: number;
  /** X-Amz-Expires, 1..604800 seconds (get-token uses 60). */
  readonly expiresSeconds: number;
  /** Sign UNSIGNED-PAYLOAD (S3 style) instead of the body hash. Default false. */
  readonly unsignedPayload?: boolean | undefined;
  readonly path?: PathOptions | undefined;
  readonly cache?: SigningKeyCache | undefined;
}

export function presignUrl(input: PresignUrlInput): string {
  if (
    !Number.isInteger(input.expiresSeconds) ||
    input.expiresSeconds < 1 ||
    input.expiresSeconds > MAX_PRESIGN_SECONDS
  ) {
    throw new RangeError(
      `expiresSeconds must be an integer in 1..${MAX_PRESIGN_SECONDS}, got ${input.expiresSeconds}`,
    );
  }
  const url = typeof input.url === "string" ? new URL(input.url) : input.url;
  const amzDate = formatAmzDate(input.now);
  const date = amzDate.slice(0, 8);
  const { accessKeyId, secretAccessKey, sessionToken } = input.credentials;
  const scope = credentialScopeString(date, input.region, input.service, SCOPE_TERMINATOR);

  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(input.headers ?? {})) {
    const name = k.toLowerCase();
    if (isSignableHeader(name)) headers[name] = v;
  }
  const host = headers.host ?? url.host;
  const signedHeaders = [...new Set(["host", ...Object.keys(headers)])].sort();

  const params: QueryParam[] = parseQuery(url.search.slice(1));
  params.push(
    { key: "X-Amz-Algorithm", value: ALGORITHM },
    { key: "X-Amz-Credential", value: `${accessKeyId}/${scope}` },
    { key: "X-Amz-Date", value: amzDate },
    { key: "X-Amz-Expires", value: String(input.expiresSeconds) },
    { key: "X-Amz-SignedHeaders", value: signedHeaders.join(";") },
  );
  if (sessionToken !== undefined && sessionToken !== "")
    params.push({ key: "X-Amz-Security-Token", value: sessionToken });

  const payloadHash = input.unsignedPayload === true ? UNSIGNED_PAYLOAD : sha256Hex(input.body ?? "");
  const canonical = canonicalRequest({
    method: (input.method ?? "GET").toUpperCase(),
    canonicalUri: canonicalUri(url.pathname, input.path),
    canonicalQuery: canonicalQuery(params, true),
    signedHeaders,
    headerValue: (h) => canonicalHeaderValue(h === "host" ? host : headers[h]),
    payloadHash,
  });
  const key = (input.cache ?? defaultSigningKeyCache).get(secretAccessKey, date, input.region, input.service);
  const signature = signString(key, stringToSign(amzDate, scope, canonical));
  params.push({ key: "X-Amz-Signature", value: signature });

  const query = params.map((p) => `${uriEncode(p.key)}=${uriEncode(p.value)}`).join("&");
  return `${url.protocol}//${url.host}${url.pathname}?${query}`;
}
