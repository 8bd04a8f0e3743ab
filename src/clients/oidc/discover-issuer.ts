/**
 * discoverIssuer: the issuer's OpenID configuration through openid-client, over HTTPS only,
 * trusting `caPem` instead of the system roots when given. Confidential clients authenticate with
 * HTTP Basic (RFC 6749 §2.3.1, what every provider must accept); public clients send only their id.
 */
import * as oidc from "openid-client";
import { Agent, fetch as undiciFetch } from "undici";
import { KubeiamError } from "../../lib/errors.js";
import { loginError } from "./login-error.js";

export interface IssuerOptions {
  issuer: string;
  clientId: string;
  clientSecret?: string | undefined;
  /** PEM bundle trusted for the issuer's TLS certificate. */
  caPem?: string | undefined;
  /** Per-request timeout, seconds. */
  timeoutSeconds?: number | undefined;
}

export interface Issuer {
  config: oidc.Configuration;
  close(): Promise<void>;
}

const NULL_BODY_STATUS = new Set([101, 204, 205, 304]);

export function checkIssuerUrl(issuer: string): URL {
  let u: URL;
  try {
    u = new URL(issuer);
  } catch {
    throw new KubeiamError(
      "USAGE",
      `--issuer: expected an https URL such as https://idp.example.com/realms/main, found "${issuer}"`,
    );
  }
  if (u.protocol !== "https:")
    throw new KubeiamError(
      "USAGE",
      `--issuer: the issuer must be an https URL (kube-apiserver accepts only those), found "${issuer}"`,
    );
  if (u.search !== "" || u.hash !== "" || u.username !== "" || u.password !== "") {
    throw new KubeiamError(
      "USAGE",
      `--issuer: an issuer URL has no query, fragment or user info, found "${issuer}"`,
    );
  }
  return u;
}

export async function discoverIssuer(o: IssuerOptions): Promise<Issuer> {
  const url = checkIssuerUrl(o.issuer);
  const agent = o.caPem !== undefined ? new Agent({ connect: { ca: o.caPem } }) : undefined;
  const options: oidc.DiscoveryRequestOptions = { timeout: o.timeoutSeconds ?? 15 };
  if (agent) {
    options[oidc.customFetch] = async (u, init) => {
      const r = await undiciFetch(u, {
        method: init.method,
        headers: init.headers,
        // openid-client sends form bodies and strings, never streams
        body: init.body instanceof ReadableStream ? null : (init.body ?? null),
        redirect: init.redirect,
        signal: init.signal ?? null,
        dispatcher: agent,
      });
      // hand openid-client a Response of this runtime (its answers are small JSON documents)
      const body = NULL_BODY_STATUS.has(r.status) ? null : await r.arrayBuffer();
      return new Response(body, { status: r.status, statusText: r.statusText, headers: [...r.headers] });
    };
  }
  const auth = o.clientSecret !== undefined ? oidc.ClientSecretBasic(o.clientSecret) : oidc.None();
  try {
    const config = await oidc.discovery(
      url,
      o.clientId,
      o.clientSecret !== undefined ? { client_secret: o.clientSecret } : undefined,
      auth,
      options,
    );
    return { config, close: async () => agent?.close() };
  } catch (e) {
    await agent?.close();
    throw loginError(e, `discovery of ${o.issuer}`, o.issuer);
  }
}
