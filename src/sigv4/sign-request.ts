/**
 * signRequest: signs an outgoing request with an Authorization header (SigV4, header form), for our
 * own clients (CLI, get-token helpers, tests). Pure: the time is a parameter. Signs every header the
 * caller passes except hop-by-hop ones (same set as the AWS SDK for JavaScript), plus host,
 * x-amz-date and x-amz-security-token. Returns the headers to send (host only if the caller gave it;
 * HTTP clients derive it from the URL, which is what was signed).
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
} from "./lib/canonical.js";
import type { PathOptions } from "./lib/canonical.js";
import { formatAmzDate } from "./lib/amz-date.js";
import { defaultSigningKeyCache, signString } from "./signing-key.js";
import type { SigningKeyCache } from "./signing-key.js";
import { ALGORITHM, SCOPE_TERMINATOR, UNSIGNED_PAYLOAD } from "./types.js";
import type { AwsCredentials } from "./types.js";

export interface SignRequestInput {
  readonly method: string;
  readonly url: string | URL;
  /** Extra headers to send and sign (any case; sent lower-cased). */
  readonly headers?: Readonly<Record<string, string>> | undefined;
  readonly body?: string | Buffer | Uint8Array | undefined;
  readonly credentials: AwsCredentials;
  readonly region: string;
  readonly service: string;
  /** Signing time, milliseconds since the epoch. */
  readonly now: number;
  /** Add x-amz-content-sha256 (signed) with the payload hash. Default false. */
  readonly contentSha256Header?: boolean | undefined;
  /** Sign UNSIGNED-PAYLOAD instead of the body hash (sets x-amz-content-sha256). Default false. */
  readonly unsignedPayload?: boolean | undefined;
  readonly path?: PathOptions | undefined;
  readonly cache?: SigningKeyCache | undefined;
}

export interface SignedRequest {
  /** Headers to send: the caller's (lower-cased) plus x-amz-date, token, content hash, authorization. */
  readonly headers: Record<string, string>;
  readonly signature: string;
  /** Lower-case names covered by the signature, sorted. */
  readonly signedHeaders: readonly string[];
  readonly amzDate: string;
}

function bodyBytes(body: string | Buffer | Uint8Array | undefined): Buffer {
  if (body === undefined) return Buffer.alloc(0);
  if (typeof body === "string") return Buffer.from(body, "utf8");
  return Buffer.isBuffer(body) ? body : Buffer.from(body.buffer, body.byteOffset, body.byteLength);
}

export function signRequest(input: SignRequestInput): SignedRequest {
  const url = typeof input.url === "string" ? new URL(input.url) : input.url;
  const amzDate = formatAmzDate(input.now);
  const date = amzDate.slice(0, 8);
  const { accessKeyId, secretAccessKey, sessionToken } = input.credentials;

  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(input.headers ?? {})) {
    const name = k.toLowerCase();
    if (name === "authorization" || name === "x-amz-date" || name === "date") continue;
    headers[name] = v;
  }
  headers["x-amz-date"] = amzDate;
  if (sessionToken !== undefined && sessionToken !== "") headers["x-amz-security-token"] = sessionToken;

  let payloadHash: string;
  if (input.unsignedPayload === true) {
    payloadHash = UNSIGNED_PAYLOAD;
    headers["x-amz-content-sha256"] = payloadHash;
  } else if (headers["x-amz-content-sha256"] !== undefined) {
    payloadHash = headers["x-amz-content-sha256"];
  } else {
    payloadHash = sha256Hex(bodyBytes(input.body));
    if (input.contentSha256Header === true) headers["x-amz-content-sha256"] = payloadHash;
  }

  const host = headers.host ?? url.host;
  const signed = new Set<string>(["host"]);
  for (const name of Object.keys(headers)) if (isSignableHeader(name)) signed.add(name);
  const signedHeaders = [...signed].sort();

  const canonical = canonicalRequest({
    method: input.method.toUpperCase(),
    canonicalUri: canonicalUri(url.pathname, input.path),
    canonicalQuery: canonicalQuery(parseQuery(url.search.slice(1)), false),
    signedHeaders,
    headerValue: (h) => canonicalHeaderValue(h === "host" ? host : headers[h]),
    payloadHash,
  });
  const scope = credentialScopeString(date, input.region, input.service, SCOPE_TERMINATOR);
  const key = (input.cache ?? defaultSigningKeyCache).get(secretAccessKey, date, input.region, input.service);
  const signature = signString(key, stringToSign(amzDate, scope, canonical));

  headers.authorization =
    `${ALGORITHM} Credential=${accessKeyId}/${scope}, ` +
    `SignedHeaders=${signedHeaders.join(";")}, Signature=${signature}`;
  return { headers, signature, signedHeaders, amzDate };
}
