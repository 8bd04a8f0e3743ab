/**
 * The shape of one JWT authenticator, as `AuthenticationConfiguration.jwt[]`
 * (apiserver.config.k8s.io/v1) has it. kubeiam.yaml's `authentication.oidc[]` resolves to this.
 */

export interface PrefixedClaimOrExpression {
  claim?: string | undefined;
  /** Only with `claim`; "" disables prefixing. Required with `claim` in AuthenticationConfiguration. */
  prefix?: string | undefined;
  expression?: string | undefined;
}

export interface ClaimOrExpression {
  claim?: string | undefined;
  expression?: string | undefined;
}

export interface ClaimValidationRule {
  claim?: string | undefined;
  requiredValue?: string | undefined;
  expression?: string | undefined;
  message?: string | undefined;
}

export interface ExtraMapping {
  key: string;
  valueExpression: string;
}

export interface UserValidationRule {
  expression: string;
  message?: string | undefined;
}

export interface JwtAuthenticatorSpec {
  issuer: {
    url: string;
    discoveryURL?: string | undefined;
    audiences: string[];
    audienceMatchPolicy?: "" | "MatchAny";
    /** PEM bundle trusted for discovery and JWKS requests (replaces the system roots). */
    certificateAuthority?: string | undefined;
  };
  claimValidationRules?: ClaimValidationRule[];
  claimMappings: {
    username: PrefixedClaimOrExpression;
    groups?: PrefixedClaimOrExpression;
    uid?: ClaimOrExpression;
    extra?: ExtraMapping[];
  };
  userValidationRules?: UserValidationRule[];
}

/** Every algorithm kube-apiserver allows for OIDC (`AllValidSigningAlgorithms`, sorted); never `none`, never HMAC. */
export const ALL_OIDC_SIGNING_ALGS = ["ES256", "ES384", "ES512", "PS256", "PS384", "PS512", "RS256", "RS384", "RS512"] as const;
export type OidcSigningAlg = (typeof ALL_OIDC_SIGNING_ALGS)[number];

export function isAllowedSigningAlg(alg: string): alg is OidcSigningAlg {
  return (ALL_OIDC_SIGNING_ALGS as readonly string[]).includes(alg);
}
