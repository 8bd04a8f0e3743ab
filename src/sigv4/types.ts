/**
 * Shared SigV4 types: credentials, the incoming-request shape verification works on, and the parsed
 * authentication data. Plain data only; the functions live one per file beside this one.
 */

export const ALGORITHM = "AWS4-HMAC-SHA256";
export const SCOPE_TERMINATOR = "aws4_request";
/** SHA-256 of the empty string: the payload hash of a request without a body. */
export const EMPTY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
export const UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD";
/** Longest X-Amz-Expires a presigned URL may carry (7 days), as the SDKs enforce. */
export const MAX_PRESIGN_SECONDS = 604_800;

export interface AwsCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string | undefined;
}

/** Header values as Node delivers them (`req.headersDistinct` gives arrays for repeated headers). */
export type HeaderValue = string | readonly string[] | undefined;
/** Header map with lower-case names. */
export type HeaderMap = Readonly<Record<string, HeaderValue>>;

/** An HTTP request as received, before any decoding: what verification needs and nothing more. */
export interface IncomingSignedRequest {
  readonly method: string;
  /** Path exactly as on the wire (still percent-encoded), without the query. */
  readonly path: string;
  /** Query exactly as on the wire, without the leading "?" ("" when there is none). */
  readonly rawQuery: string;
  /** Lower-case header names. Repeated headers as arrays. */
  readonly headers: HeaderMap;
  readonly body: Buffer | string;
}

export interface CredentialScope {
  /** YYYYMMDD */
  readonly date: string;
  readonly region: string;
  readonly service: string;
  readonly terminator: string;
}

/** Authentication data found in a request, before any secret is involved. */
export interface ParsedAuth {
  /** "header": Authorization header; "query": presigned URL (X-Amz-* query parameters). */
  readonly kind: "header" | "query";
  readonly accessKeyId: string;
  readonly scope: CredentialScope;
  /** Lower-case, sorted, de-duplicated names from SignedHeaders / X-Amz-SignedHeaders. */
  readonly signedHeaders: readonly string[];
  /** Hex signature as sent (lower-cased). */
  readonly signature: string;
  readonly securityToken?: string | undefined;
  /** Request time as YYYYMMDDTHHMMSSZ (from X-Amz-Date, or the Date header converted). */
  readonly amzDate: string;
  /** The same instant in milliseconds since the epoch. */
  readonly dateMs: number;
  /** X-Amz-Expires of a presigned URL, in seconds. */
  readonly expires?: number | undefined;
}
