/**
 * The contract every token authenticator implements (IAM tokens, OIDC, service-account JWTs), and
 * the result shape the chain, the token cache and the TokenReview handler consume.
 *
 * Three outcomes, as kube-apiserver's `authenticator.Token` has them:
 * - `not-mine`: the token is not for this authenticator (wrong format, foreign issuer); the chain
 *   tries the next one. Never an error, so foreign tokens do not produce 401 noise.
 * - `ok`: authenticated; `user` is what TokenReview returns.
 * - `error`: the token was for this authenticator and is invalid; `message` keeps the upstream
 *   wording byte-exact (it becomes TokenReview `status.error`).
 * Every outcome carries reasons for the decision log; reasons never contain the token.
 */
import type { KeyObject } from "node:crypto";
import type { Reason } from "../lib/decision.js";

export interface AuthnUser {
  username: string;
  uid?: string;
  groups: string[];
  extra?: Record<string, string[]>;
}

export interface AuthnContext {
  /** Milliseconds since the epoch; engines never read the clock. */
  now: number;
  /**
   * Audiences the caller requires (TokenReview `spec.audiences`). Absent: the authenticator's
   * implicit (API) audiences apply.
   */
  audiences?: readonly string[];
}

export interface AuthnNotMine {
  kind: "not-mine";
  /** Why the authenticator passed (e.g. "issuer https://x is not accepted"); for the decision log. */
  reasons?: Reason[];
}

export interface AuthnOk {
  kind: "ok";
  user: AuthnUser;
  /** Audiences the token is valid for (intersection with the requested ones), when the authenticator knows them. */
  audiences?: string[];
  reasons: Reason[];
  /** When the credential stops being valid (ms since the epoch); bounds how long the result may be cached. */
  expiresAt?: number;
  /** Name of the authenticator that accepted the token (set by the chain when absent). */
  authenticator?: string;
  /** Response warnings (kube-apiserver sends them as `Warning:` headers). */
  warnings?: string[];
  /** Audit annotations, e.g. `authentication.k8s.io/legacy-token`. */
  annotations?: Record<string, string>;
}

export interface AuthnError {
  kind: "error";
  /** Upstream wording, byte-exact; never contains the token. */
  message: string;
  reasons: Reason[];
  /** HTTP status a handler should use when it differs from 401 (e.g. 500 for an internal failure). */
  status?: number;
}

export type AuthnResult = AuthnNotMine | AuthnOk | AuthnError;

export interface Authenticator {
  readonly name: string;
  authenticate(token: string, ctx: AuthnContext): Promise<AuthnResult>;
}

export function notMine(reason?: Reason): AuthnNotMine {
  return reason ? { kind: "not-mine", reasons: [reason] } : { kind: "not-mine" };
}

export function authnError(message: string, reasons: Reason[] = [], status?: number): AuthnError {
  return status === undefined ? { kind: "error", message, reasons } : { kind: "error", message, reasons, status };
}

export interface VerificationKey {
  kid?: string;
  key: KeyObject;
}

/**
 * Where JWT verification keys come from (kubeiam's own key ring, PEM files, a remote JWKS):
 * the keys whose id is `kid`, or every key when `kid` is "". Throws when keys cannot be fetched.
 */
export interface KeySource {
  getKeys(kid: string): Promise<VerificationKey[]>;
}
