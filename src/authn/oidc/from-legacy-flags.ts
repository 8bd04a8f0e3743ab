/**
 * kube-apiserver's `--oidc-*` flags → a JWT authenticator spec, with the flags' defaults
 * (pkg/kubeapiserver/options/authentication.go): username claim `sub`; username prefix
 * `<issuer-url>#` unless the claim is `email` or a prefix is given; `-` means no prefix; the
 * client id is the only audience; required claims become claim validation rules; signing
 * algorithms default to RS256.
 */
import { KubeiamError } from "../../lib/errors.js";
import type { JwtAuthenticatorSpec } from "./spec.js";

export interface LegacyOidcFlags {
  issuerURL?: string;
  clientID?: string;
  usernameClaim?: string;
  usernamePrefix?: string;
  groupsClaim?: string;
  groupsPrefix?: string;
  signingAlgs?: string[];
  /** `--oidc-required-claim k=v`, repeatable. */
  requiredClaims?: Record<string, string>;
  /** Contents of `--oidc-ca-file`. */
  caPEM?: string;
}

/** The username prefix the legacy flags imply. */
export function legacyUsernamePrefix(issuerURL: string, usernameClaim: string, usernamePrefix: string | undefined): string {
  if (usernamePrefix === "-") return "";
  if (!usernamePrefix && usernameClaim !== "email") return `${issuerURL}#`;
  return usernamePrefix ?? "";
}

export function jwtAuthenticatorFromFlags(f: LegacyOidcFlags): { spec: JwtAuthenticatorSpec; algorithms: string[] } {
  if (!f.issuerURL || !f.clientID) {
    throw new KubeiamError("CONFIG_INVALID", "oidc-issuer-url and oidc-client-id must be specified together when any oidc-* flags are set");
  }
  const usernameClaim = f.usernameClaim ?? "sub";
  const spec: JwtAuthenticatorSpec = {
    issuer: { url: f.issuerURL, audiences: [f.clientID] },
    claimMappings: { username: { claim: usernameClaim, prefix: legacyUsernamePrefix(f.issuerURL, usernameClaim, f.usernamePrefix) } },
  };
  if (f.groupsClaim) spec.claimMappings.groups = { claim: f.groupsClaim, prefix: f.groupsPrefix ?? "" };
  if (f.caPEM) spec.issuer.certificateAuthority = f.caPEM;
  const rules = Object.entries(f.requiredClaims ?? {});
  if (rules.length > 0) spec.claimValidationRules = rules.map(([claim, requiredValue]) => ({ claim, requiredValue }));
  return { spec, algorithms: f.signingAlgs && f.signingAlgs.length > 0 ? f.signingAlgs : ["RS256"] };
}
