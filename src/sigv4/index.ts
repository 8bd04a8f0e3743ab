/**
 * AWS Signature Version 4: signing for our clients (signRequest, presignUrl) and verification for
 * our STS/IAM endpoints (parseSignedRequest → look up the secret → verifySignature). Pure functions;
 * the clock is always a parameter.
 */
export { signRequest } from "./sign-request.js";
export type { SignRequestInput, SignedRequest } from "./sign-request.js";
export { presignUrl } from "./presign-url.js";
export type { PresignUrlInput } from "./presign-url.js";
export { parseSignedRequest } from "./parse-signed-request.js";
export type { ParseSignedRequestResult, SignedRequestHead } from "./parse-signed-request.js";
export { verifySignature, canonicalRequestFor, DEFAULT_SKEW_SECONDS } from "./verify-signature.js";
export type { VerifyOptions, VerifyResult } from "./verify-signature.js";
export { deriveSigningKey, SigningKeyCache, defaultSigningKeyCache } from "./signing-key.js";
export {
  authError,
  authErrorReason,
  expiredToken,
  invalidClientTokenId,
  missingAuthenticationToken,
  signatureMismatch,
} from "./errors.js";
export type { AwsAuthError, AwsAuthErrorCode } from "./errors.js";
export type { PathOptions } from "./lib/canonical.js";
export * from "./types.js";
