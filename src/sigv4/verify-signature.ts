/**
 * verifySignature: checks a parsed SigV4 request against the secret of its access key. Pure: `now`
 * is a parameter. Checks, in this order (the first failure is returned):
 *  1. scope terminator is aws4_request; service and region are the expected ones (if given);
 *  2. the scope date equals the date of X-Amz-Date;
 *  3. time: the request date is within ±skew of now ("Signature expired: … is now earlier than …",
 *     "Signature not yet current: … is still later than …", code SignatureDoesNotMatch as STS
 *     answers). Presigned URLs follow STS by default (`presignedExpiry: "sts"`): the same ±15 min
 *     window from X-Amz-Date, X-Amz-Expires ignored. With `presignedExpiry: "x-amz-expires"` a URL
 *     is valid until X-Amz-Date + X-Amz-Expires (AccessDenied "Request has expired" after);
 *  4. host is a signed header, every signed header is present;
 *  5. a declared x-amz-content-sha256 equals the body hash (UNSIGNED-PAYLOAD only if allowed);
 *  6. the recomputed signature equals the given one (constant-time comparison).
 * `hostOverride` replaces the Host header value in the canonical request, so a presigned URL made
 * for e.g. sts.us-east-1.amazonaws.com verifies when kubeiam answers it itself.
 */
import { timingSafeEqual } from "node:crypto";
import type { Reason } from "../lib/decision.js";
import { authError, signatureMismatch } from "./errors.js";
import type { AwsAuthError } from "./errors.js";
import {
  canonicalHeaderValue,
  canonicalQuery,
  canonicalRequest,
  canonicalUri,
  credentialScopeString,
  parseQuery,
  sha256Hex,
  stringToSign,
} from "./lib/canonical.js";
import type { PathOptions, QueryParam } from "./lib/canonical.js";
import { formatAmzDate } from "./lib/amz-date.js";
import { defaultSigningKeyCache, signString } from "./signing-key.js";
import type { SigningKeyCache } from "./signing-key.js";
import { SCOPE_TERMINATOR, UNSIGNED_PAYLOAD } from "./types.js";
import type { IncomingSignedRequest, ParsedAuth } from "./types.js";

export const DEFAULT_SKEW_SECONDS = 900;

export interface VerifyOptions {
  /** Allowed clock difference in seconds, both directions. Default 900 (15 min). */
  readonly skewSeconds?: number | undefined;
  /** Host value to use in the canonical request instead of the request's Host header. */
  readonly hostOverride?: string | undefined;
  /** Expected service in the credential scope (e.g. "sts"). Unchecked if absent. */
  readonly service?: string | undefined;
  /** Accepted regions in the credential scope. Unchecked if absent. */
  readonly regions?: readonly string[] | ((region: string) => boolean) | undefined;
  /** How presigned URLs expire. Default "sts" (±skew around X-Amz-Date, X-Amz-Expires ignored). */
  readonly presignedExpiry?: "sts" | "x-amz-expires" | undefined;
  /** Accept x-amz-content-sha256: UNSIGNED-PAYLOAD. Default false. */
  readonly allowUnsignedPayload?: boolean | undefined;
  readonly path?: PathOptions | undefined;
  readonly cache?: SigningKeyCache | undefined;
}

export type VerifyResult =
  | { readonly ok: true; readonly reasons: readonly Reason[] }
  | { readonly ok: false; readonly error: AwsAuthError };

const fail = (error: AwsAuthError): VerifyResult => ({ ok: false, error });

function minutes(seconds: number): string {
  return Number.isInteger(seconds / 60) ? String(seconds / 60) : (seconds / 60).toFixed(2);
}

function checkScope(auth: ParsedAuth, opts: VerifyOptions): AwsAuthError | undefined {
  const { scope } = auth;
  if (scope.terminator !== SCOPE_TERMINATOR) {
    return authError(
      "SignatureDoesNotMatch",
      "sigv4.scope",
      `Credential should be scoped with a valid terminator: '${SCOPE_TERMINATOR}', not '${scope.terminator}'. `,
    );
  }
  if (opts.service !== undefined && scope.service !== opts.service) {
    return authError(
      "SignatureDoesNotMatch",
      "sigv4.scope",
      `Credential should be scoped to correct service: '${opts.service}'. `,
      `credential scope service '${scope.service}', expected '${opts.service}'`,
    );
  }
  if (opts.regions !== undefined) {
    const ok =
      typeof opts.regions === "function" ? opts.regions(scope.region) : opts.regions.includes(scope.region);
    if (!ok) {
      return authError(
        "SignatureDoesNotMatch",
        "sigv4.scope",
        "Credential should be scoped to a valid region. ",
        `credential scope region '${scope.region}' is not served here`,
      );
    }
  }
  if (scope.date !== auth.amzDate.slice(0, 8)) {
    return authError(
      "SignatureDoesNotMatch",
      "sigv4.scope",
      `Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: ` +
        `'${scope.date}' != '${auth.amzDate.slice(0, 8)}', from '${auth.amzDate}'.`,
    );
  }
  return undefined;
}

function checkTime(auth: ParsedAuth, now: number, opts: VerifyOptions): AwsAuthError | undefined {
  const skew = opts.skewSeconds ?? DEFAULT_SKEW_SECONDS;
  const skewMs = skew * 1000;
  if (auth.kind === "query" && opts.presignedExpiry === "x-amz-expires") {
    if (auth.expires === undefined) {
      return authError(
        "IncompleteSignature",
        "sigv4.query",
        "AWS query-string parameters must include 'X-Amz-Expires'. Re-examine the query-string parameters.",
      );
    }
    if (now > auth.dateMs + auth.expires * 1000) {
      return authError(
        "AccessDenied",
        "sigv4.expires",
        "Request has expired",
        `presigned at ${auth.amzDate} for ${auth.expires}s; now ${formatAmzDate(now)}`,
      );
    }
  } else if (auth.dateMs < now - skewMs) {
    return authError(
      "SignatureDoesNotMatch",
      "sigv4.clock-skew",
      `Signature expired: ${auth.amzDate} is now earlier than ${formatAmzDate(now - skewMs)} ` +
        `(${formatAmzDate(now)} - ${minutes(skew)} min.)`,
    );
  }
  if (auth.dateMs > now + skewMs) {
    return authError(
      "SignatureDoesNotMatch",
      "sigv4.clock-skew",
      `Signature not yet current: ${auth.amzDate} is still later than ${formatAmzDate(now + skewMs)} ` +
        `(${formatAmzDate(now)} + ${minutes(skew)} min.)`,
    );
  }
  return undefined;
}

/** Constant-time comparison of two hex signatures (their length, always 64, is not secret). */
function sameHex(expected: string, given: string): boolean {
  const a = Buffer.from(expected, "utf8");
  const b = Buffer.from(given, "utf8");
  return a.length === b.length && timingSafeEqual(a, b);
}

function single(v: string | readonly string[] | undefined): string | undefined {
  if (v === undefined || typeof v === "string") return v;
  return v.length === 1 ? v[0] : undefined;
}

function buildCanonical(
  auth: ParsedAuth,
  request: IncomingSignedRequest,
  params: readonly QueryParam[],
  host: string,
  payloadHash: string,
  path: PathOptions | undefined,
): string {
  return canonicalRequest({
    method: request.method.toUpperCase(),
    canonicalUri: canonicalUri(request.path, path),
    canonicalQuery: canonicalQuery(params, auth.kind === "query"),
    signedHeaders: auth.signedHeaders,
    headerValue: (h) => canonicalHeaderValue(h === "host" ? host : request.headers[h]),
    payloadHash,
  });
}

/**
 * The canonical request verification computes, for debugging tools and tests. It can contain the
 * session token (presigned URLs sign X-Amz-Security-Token): never log it.
 */
export function canonicalRequestFor(
  auth: ParsedAuth,
  request: IncomingSignedRequest,
  opts: Pick<VerifyOptions, "hostOverride" | "path"> = {},
): string {
  const params = parseQuery(request.rawQuery);
  const declared =
    auth.kind === "header"
      ? single(request.headers["x-amz-content-sha256"])
      : params.find((p) => p.key.toLowerCase() === "x-amz-content-sha256")?.value;
  const host = opts.hostOverride ?? single(request.headers.host) ?? "";
  return buildCanonical(auth, request, params, host, declared ?? sha256Hex(request.body), opts.path);
}

export function verifySignature(
  auth: ParsedAuth,
  secretAccessKey: string,
  request: IncomingSignedRequest,
  now: number,
  opts: VerifyOptions = {},
): VerifyResult {
  const scopeError = checkScope(auth, opts) ?? checkTime(auth, now, opts);
  if (scopeError) return fail(scopeError);

  if (!auth.signedHeaders.includes("host")) {
    return fail(
      authError(
        "SignatureDoesNotMatch",
        "sigv4.signed-headers",
        "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.",
      ),
    );
  }
  const host = opts.hostOverride ?? single(request.headers.host);
  if (host === undefined)
    return fail(signatureMismatch("sigv4.signed-headers", "the request has no Host header"));
  for (const h of auth.signedHeaders) {
    if (h !== "host" && request.headers[h] === undefined) {
      return fail(
        signatureMismatch("sigv4.signed-headers", `signed header '${h}' is missing from the request`),
      );
    }
  }

  const params = parseQuery(request.rawQuery);
  const declared =
    auth.kind === "header"
      ? single(request.headers["x-amz-content-sha256"])
      : params.find((p) => p.key.toLowerCase() === "x-amz-content-sha256")?.value;
  let payloadHash: string;
  if (declared === UNSIGNED_PAYLOAD) {
    if (opts.allowUnsignedPayload !== true) {
      return fail(signatureMismatch("sigv4.payload", "UNSIGNED-PAYLOAD is not accepted for this service"));
    }
    payloadHash = declared;
  } else {
    const actual = sha256Hex(request.body);
    if (declared !== undefined && declared.toLowerCase() !== actual) {
      return fail(
        signatureMismatch("sigv4.payload", "x-amz-content-sha256 does not match the SHA-256 of the body"),
      );
    }
    payloadHash = declared ?? actual;
  }

  const canonical = buildCanonical(auth, request, params, host, payloadHash, opts.path);
  const { date, region, service, terminator } = auth.scope;
  const key = (opts.cache ?? defaultSigningKeyCache).get(secretAccessKey, date, region, service);
  const expected = signString(
    key,
    stringToSign(auth.amzDate, credentialScopeString(date, region, service, terminator), canonical),
  );
  if (!sameHex(expected, auth.signature)) {
    return fail(
      signatureMismatch(
        "sigv4.signature",
        `signature does not match the canonical request (${auth.kind}-signed, signed headers ${auth.signedHeaders.join(";")})`,
      ),
    );
  }
  return {
    ok: true,
    reasons: [
      {
        check: "sigv4.signature",
        ok: true,
        message: `${auth.kind === "query" ? "presigned URL" : "Authorization header"} signature valid for scope ${date}/${region}/${service}`,
        source: auth.accessKeyId,
      },
    ],
  };
}
