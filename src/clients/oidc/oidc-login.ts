/**
 * oidcLogin: an ID token for kubectl, as kubelogin gets one — from the cache while it has more than
 * a minute left, else by refreshing with the cached refresh token, else through the chosen grant;
 * whatever is obtained is cached (0600). The identity provider is contacted only when the cache
 * cannot answer. Clock, browser and stderr are injected.
 */
import type { Clock } from "../../lib/clock.js";
import { KubeiamError } from "../../lib/errors.js";
import { discoverIssuer, type Issuer } from "./discover-issuer.js";
import {
  authCodeGrant,
  deviceGrant,
  passwordGrant,
  refreshGrant,
  type InteractiveIO,
  type TokenSet,
} from "./grants.js";
import { idTokenExpiry } from "./id-token-expiry.js";
import { readCachedTokens, writeCachedTokens, type CachedTokens } from "./token-cache.js";

/** A cached ID token is reused only while it has at least this much life left. */
export const MIN_REMAINING_MS = 60_000;

export type GrantName = "auth-code" | "device" | "password";
export const GRANTS: readonly GrantName[] = ["auth-code", "device", "password"];

export interface OidcLoginOptions {
  issuer: string;
  clientId: string;
  clientSecret?: string | undefined;
  /** Including openid. */
  scopes: readonly string[];
  grant: GrantName;
  username?: string | undefined;
  password?: string | undefined;
  caPem?: string | undefined;
  cacheDir: string;
  /** Longest wait for an interactive login. */
  timeoutMs: number;
  /** Loopback ports for the authorization-code redirect, tried in order. */
  ports: readonly number[];
}

export interface OidcLoginDeps extends InteractiveIO {
  clock: Clock;
}

export interface OidcLoginResult {
  idToken: string;
  expiresAt: number;
  source: "cache" | "refresh" | GrantName;
  cacheFile?: string;
}

export async function oidcLogin(o: OidcLoginOptions, deps: OidcLoginDeps): Promise<OidcLoginResult> {
  if (o.grant === "password" && (o.username === undefined || o.password === undefined)) {
    throw new KubeiamError("USAGE", "--grant password needs --username and --password-file");
  }
  const key = {
    issuer: o.issuer,
    clientId: o.clientId,
    scopes: o.scopes,
    username: o.grant === "password" ? o.username : undefined,
  };
  const cached = await readCachedTokens(o.cacheDir, key);
  if (cached.ignored !== undefined)
    deps.notify(`kubeiam login: ignoring the cached tokens: ${cached.ignored}`);
  const entry = cached.entry;
  if (entry && entry.expiresAt - deps.clock.now() >= MIN_REMAINING_MS)
    return { idToken: entry.idToken, expiresAt: entry.expiresAt, source: "cache" };

  const issuer: Issuer = await discoverIssuer({
    issuer: o.issuer,
    clientId: o.clientId,
    clientSecret: o.clientSecret,
    caPem: o.caPem,
  });
  try {
    const save = async (
      t: TokenSet,
      source: OidcLoginResult["source"],
      previousRefresh?: string,
    ): Promise<OidcLoginResult> => {
      const expiresAt = idTokenExpiry(t.idToken);
      const refreshToken = t.refreshToken ?? previousRefresh;
      const next: CachedTokens = {
        issuer: o.issuer,
        clientId: o.clientId,
        scopes: [...o.scopes],
        idToken: t.idToken,
        expiresAt,
        ...(refreshToken !== undefined ? { refreshToken } : {}),
        ...(key.username !== undefined ? { username: key.username } : {}),
      };
      const cacheFile = await writeCachedTokens(o.cacheDir, next);
      return { idToken: t.idToken, expiresAt, source, cacheFile };
    };

    let refreshProblem: string | undefined;
    if (entry?.refreshToken !== undefined) {
      try {
        const r = await refreshGrant(issuer.config, entry.refreshToken);
        if (typeof r.id_token === "string" && r.id_token !== "") {
          return await save(
            { idToken: r.id_token, refreshToken: r.refresh_token },
            "refresh",
            entry.refreshToken,
          );
        }
        refreshProblem = "the refresh answer carried no ID token";
      } catch (e) {
        // an unreachable provider will not do better with a full login
        if (e instanceof KubeiamError && e.code === "UPSTREAM_UNREACHABLE") throw e;
        refreshProblem = e instanceof Error ? e.message : String(e);
      }
      deps.notify(
        `kubeiam login: the cached refresh token could not be used (${refreshProblem}); logging in again`,
      );
    }

    try {
      let t: TokenSet;
      if (o.grant === "password")
        t = await passwordGrant(issuer.config, {
          scopes: o.scopes,
          username: o.username!,
          password: o.password!,
        });
      else if (o.grant === "device")
        t = await deviceGrant(issuer.config, { scopes: o.scopes, timeoutMs: o.timeoutMs }, deps);
      else
        t = await authCodeGrant(
          issuer.config,
          { scopes: o.scopes, ports: o.ports, timeoutMs: o.timeoutMs },
          deps,
        );
      return await save(t, o.grant);
    } catch (e) {
      if (refreshProblem !== undefined && e instanceof KubeiamError) {
        throw new KubeiamError(
          e.code,
          `${e.message} (before that, the cached refresh token could not be used: ${refreshProblem})`,
          e.context,
          { cause: e },
        );
      }
      throw e;
    }
  } finally {
    await issuer.close();
  }
}
