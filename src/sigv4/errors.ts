/**
 * AWS authentication errors as data: the AWS error code, HTTP status and the message text AWS puts
 * on the wire, plus our own `detail` for the decision log (never a secret). Edges render these in
 * their protocol (STS XML `<Error><Code>…`). Parsing and verification return them; nothing throws.
 *
 * Wire texts are the ones STS (a query-protocol service) returns; where AWS wording is not known
 * the text is ours and is marked "(kubeiam wording)".
 */
import type { Reason } from "../lib/decision.js";

export type AwsAuthErrorCode =
  | "IncompleteSignature"
  | "MissingAuthenticationToken"
  | "SignatureDoesNotMatch"
  | "InvalidClientTokenId"
  | "ExpiredToken"
  | "AccessDenied";

export interface AwsAuthError {
  readonly code: AwsAuthErrorCode;
  readonly status: number;
  /** Message as AWS words it; safe to put on the wire. */
  readonly message: string;
  /** Short stable name of the failed check, e.g. "sigv4.clock-skew". */
  readonly check: string;
  /** Our explanation for logs and --explain; never contains a secret or the signature key. */
  readonly detail: string;
}

const STATUS: Record<AwsAuthErrorCode, number> = {
  IncompleteSignature: 400,
  MissingAuthenticationToken: 403,
  SignatureDoesNotMatch: 403,
  InvalidClientTokenId: 403,
  ExpiredToken: 403,
  AccessDenied: 403,
};

export function authError(
  code: AwsAuthErrorCode,
  check: string,
  message: string,
  detail = message,
): AwsAuthError {
  return { code, status: STATUS[code], message, check, detail };
}

/** Converts an error to a decision Reason (for the decision log). */
export function authErrorReason(e: AwsAuthError): Reason {
  return { check: e.check, ok: false, message: e.detail, actual: e.code };
}

export const SIGNATURE_MISMATCH_MESSAGE =
  "The request signature we calculated does not match the signature you provided. " +
  "Check your AWS Secret Access Key and signing method. Consult the service documentation for details.";

export const MISSING_AUTHENTICATION_TOKEN_MESSAGE = "Request is missing Authentication Token";
export const INVALID_CLIENT_TOKEN_MESSAGE = "The security token included in the request is invalid.";
export const EXPIRED_TOKEN_MESSAGE = "The security token included in the request is expired";

/** No Authorization header and no X-Amz-Algorithm query parameter. */
export function missingAuthenticationToken(): AwsAuthError {
  return authError(
    "MissingAuthenticationToken",
    "sigv4.present",
    MISSING_AUTHENTICATION_TOKEN_MESSAGE,
    "the request carries neither an Authorization header nor presigned X-Amz-* query parameters",
  );
}

/** The access key id is unknown, or the session token does not belong to it. For the caller's lookup. */
export function invalidClientTokenId(
  detail = "the access key id or session token is not known",
): AwsAuthError {
  return authError("InvalidClientTokenId", "sigv4.access-key", INVALID_CLIENT_TOKEN_MESSAGE, detail);
}

/** The session token has expired. For the caller's credential check. */
export function expiredToken(detail = "the session credentials have expired"): AwsAuthError {
  return authError("ExpiredToken", "sigv4.session-token", EXPIRED_TOKEN_MESSAGE, detail);
}

export function signatureMismatch(check: string, detail: string): AwsAuthError {
  return authError("SignatureDoesNotMatch", check, SIGNATURE_MISMATCH_MESSAGE, detail);
}
