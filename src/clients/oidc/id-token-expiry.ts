/**
 * idTokenExpiry: the `exp` of an ID token in ms. Read without verifying the signature: the token was
 * checked by openid-client when it arrived over TLS from the issuer (or comes from our own 0600
 * cache), and the expiry only decides when to ask for a new one.
 */
import { KubeiamError } from "../../lib/errors.js";

export function idTokenExpiry(idToken: string): number {
  const parts = idToken.split(".");
  const payload = parts.length === 3 ? parts[1]! : "";
  let claims: unknown;
  try {
    claims = JSON.parse(Buffer.from(payload, "base64url").toString("utf8"));
  } catch {
    claims = undefined;
  }
  const exp =
    claims !== null && typeof claims === "object" ? (claims as Record<string, unknown>).exp : undefined;
  if (typeof exp !== "number" || !Number.isFinite(exp) || exp <= 0) {
    throw new KubeiamError(
      "LOGIN_FAILED",
      "the identity provider returned an ID token without a numeric exp claim; kube-apiserver would reject it",
    );
  }
  return Math.floor(exp) * 1000;
}
