/**
 * The three ways `kubeiam login` obtains tokens, plus refresh, each returning the token endpoint's
 * answer (with an ID token) or a KubeiamError from loginError:
 * - authorization code + PKCE through a loopback redirect (the URL goes to stderr and, when
 *   possible, to a browser);
 * - the device authorization grant (RFC 8628): verification URI and user code on stderr, then polling;
 * - the resource-owner password grant, for automation against providers that allow it.
 */
import * as oidc from "openid-client";
import { KubeiamError } from "../../lib/errors.js";
import { authorizationRequest } from "./authorization-request.js";
import { loginError } from "./login-error.js";
import { startLoopbackRedirect } from "./loopback-redirect.js";
import { formatWait } from "../lib/format-wait.js";

export interface TokenSet {
  idToken: string;
  refreshToken?: string | undefined;
}

export interface InteractiveIO {
  /** A line for the user on stderr. */
  notify(text: string): void;
  /** Opens the URL in a browser when there is one; never throws. */
  openBrowser(url: string): void;
}

function tokenSet(r: oidc.TokenEndpointResponse, what: string): TokenSet {
  if (typeof r.id_token !== "string" || r.id_token === "") {
    throw new KubeiamError(
      "LOGIN_FAILED",
      `${what}: the identity provider returned no ID token; include the openid scope and check that the client may receive ID tokens`,
    );
  }
  return {
    idToken: r.id_token,
    refreshToken: typeof r.refresh_token === "string" && r.refresh_token !== "" ? r.refresh_token : undefined,
  };
}

const issuerOf = (config: oidc.Configuration): string => config.serverMetadata().issuer;

export interface AuthCodeOptions {
  scopes: readonly string[];
  ports: readonly number[];
  timeoutMs: number;
}

export async function authCodeGrant(
  config: oidc.Configuration,
  o: AuthCodeOptions,
  io: InteractiveIO,
): Promise<TokenSet> {
  const state = oidc.randomState();
  const listener = await startLoopbackRedirect({ state, timeoutMs: o.timeoutMs, ports: o.ports });
  try {
    const req = await authorizationRequest(config, listener.redirectUri, o.scopes, state);
    io.notify(
      `Open this URL in a browser to log in (waiting up to ${formatWait(o.timeoutMs)}):\n\n  ${req.url.href}\n`,
    );
    io.openBrowser(req.url.href);
    const callback = await listener.result;
    try {
      const r = await oidc.authorizationCodeGrant(config, callback, {
        pkceCodeVerifier: req.codeVerifier,
        expectedState: state,
        expectedNonce: req.nonce,
        idTokenExpected: true,
      });
      return tokenSet(r, "authorization code exchange");
    } catch (e) {
      throw loginError(e, "authorization code exchange", issuerOf(config));
    }
  } finally {
    await listener.close();
  }
}

export interface DeviceOptions {
  scopes: readonly string[];
  timeoutMs: number;
}

export async function deviceGrant(
  config: oidc.Configuration,
  o: DeviceOptions,
  io: InteractiveIO,
): Promise<TokenSet> {
  let start: oidc.DeviceAuthorizationResponse;
  try {
    start = await oidc.initiateDeviceAuthorization(config, { scope: o.scopes.join(" ") });
  } catch (e) {
    throw loginError(e, "device authorization", issuerOf(config));
  }
  const limitMs = Math.min(o.timeoutMs, start.expires_in * 1000);
  const complete =
    typeof start.verification_uri_complete === "string" ? start.verification_uri_complete : undefined;
  io.notify(
    `To log in, open ${start.verification_uri} and enter the code ${start.user_code}` +
      (complete !== undefined ? `\n  (or open ${complete})` : "") +
      `\nWaiting up to ${formatWait(limitMs)}…`,
  );
  io.openBrowser(complete ?? start.verification_uri);
  const signal = AbortSignal.timeout(limitMs);
  try {
    const r = await oidc.pollDeviceAuthorizationGrant(config, start, undefined, { signal });
    return tokenSet(r, "device authorization");
  } catch (e) {
    if (signal.aborted) {
      throw new KubeiamError(
        "LOGIN_TIMEOUT",
        `the device login was not completed within ${formatWait(limitMs)}; run the command again (or raise --timeout)`,
      );
    }
    throw loginError(e, "device authorization", issuerOf(config));
  }
}

export async function passwordGrant(
  config: oidc.Configuration,
  o: { scopes: readonly string[]; username: string; password: string },
): Promise<TokenSet> {
  try {
    const r = await oidc.genericGrantRequest(config, "password", {
      username: o.username,
      password: o.password,
      scope: o.scopes.join(" "),
    });
    return tokenSet(r, "password grant");
  } catch (e) {
    throw loginError(e, "password grant", issuerOf(config));
  }
}

export async function refreshGrant(
  config: oidc.Configuration,
  refreshToken: string,
): Promise<oidc.TokenEndpointResponse> {
  try {
    return await oidc.refreshTokenGrant(config, refreshToken);
  } catch (e) {
    throw loginError(e, "token refresh", issuerOf(config));
  }
}
