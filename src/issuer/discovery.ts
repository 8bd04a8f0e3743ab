/**
 * The OIDC discovery document, shaped as kube-apiserver serves it (pkg/serviceaccount/openidmetadata.go):
 * issuer, jwks_uri, response_types_supported ["id_token"], subject_types_supported ["public"],
 * id_token_signing_alg_values_supported (from the key types, sorted).
 */
export const DISCOVERY_PATH = "/.well-known/openid-configuration";
export const JWKS_PATH = "/openid/v1/jwks";

export interface DiscoveryDocument {
  issuer: string;
  jwks_uri: string;
  response_types_supported: ["id_token"];
  subject_types_supported: ["public"];
  id_token_signing_alg_values_supported: string[];
}

export function discoveryDocument(issuer: string, algs: readonly string[]): DiscoveryDocument {
  return {
    issuer,
    jwks_uri: `${issuer}${JWKS_PATH}`,
    response_types_supported: ["id_token"],
    subject_types_supported: ["public"],
    id_token_signing_alg_values_supported: [...new Set(algs)].sort(),
  };
}
