/**
 * authorizationRequest: the authorization-code request with PKCE (RFC 7636, S256) — a fresh code
 * verifier, state and nonce for each login, and the URL the user opens.
 */
import * as oidc from "openid-client";

export interface AuthorizationRequest {
  url: URL;
  codeVerifier: string;
  state: string;
  nonce: string;
}

/** `state` defaults to a fresh random value; the redirect listener is given the same one. */
export async function authorizationRequest(
  config: oidc.Configuration,
  redirectUri: string,
  scopes: readonly string[],
  state: string = oidc.randomState(),
): Promise<AuthorizationRequest> {
  const codeVerifier = oidc.randomPKCECodeVerifier();
  const nonce = oidc.randomNonce();
  const url = oidc.buildAuthorizationUrl(config, {
    redirect_uri: redirectUri,
    scope: scopes.join(" "),
    response_type: "code",
    code_challenge: await oidc.calculatePKCECodeChallenge(codeVerifier),
    code_challenge_method: "S256",
    state,
    nonce,
  });
  return { url, codeVerifier, state, nonce };
}
