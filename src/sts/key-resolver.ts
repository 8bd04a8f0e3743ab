/**
 * Where STS finds the key that signed a web-identity token: kubeiam's own key ring when the
 * provider is kubeiam's issuer (no network), otherwise the provider's JWKS through discovery
 * (RemoteJwks: HTTPS only, timeouts, size limit, cached, refetched on an unknown kid at most once
 * per cooldown). Keys are fetched only from the issuer's own host: a discovery document whose
 * jwks_uri points elsewhere is refused. A missing `kid` is looked up as "" (the empty-kid quirk).
 */
import { readFileSync } from "node:fs";
import { RemoteJwks } from "../authn/jwks-cache.js";
import type { Clock } from "../lib/clock.js";
import type { KeyManager } from "../keys/manager.js";
import type { KeyResolver } from "./web-identity.js";

export interface KeyResolverOptions {
  /** kubeiam's own issuer URL. */
  issuerUrl: string;
  keys: Pick<KeyManager, "verificationKeys">;
  clock: Clock;
  /** PEM bundle trusted (instead of the system roots) for other issuers. */
  caFile?: string | undefined;
  timeoutMs: number;
}

const trimSlash = (u: string): string => u.replace(/\/$/, "");

export function createKeyResolver(o: KeyResolverOptions): KeyResolver {
  const remotes = new Map<string, RemoteJwks>();
  const ca = o.caFile ? readFileSync(o.caFile, "utf8") : undefined;
  const own = trimSlash(o.issuerUrl);
  return async (provider, kid) => {
    if (trimSlash(provider.url) === own) {
      const k = o.keys.verificationKeys().find((x) => x.kid === kid);
      return k ? { kind: "key", key: k.publicKey } : { kind: "no-key" };
    }
    let r = remotes.get(provider.url);
    if (!r) {
      r = new RemoteJwks({ issuer: provider.url, ca, clock: o.clock, timeoutMs: o.timeoutMs });
      remotes.set(provider.url, r);
    }
    try {
      const doc = await r.discover();
      const issuerHost = new URL(provider.url).host;
      const jwksHost = new URL(doc.jwks_uri).host;
      if (jwksHost !== issuerHost)
        return {
          kind: "unreachable",
          detail: `the discovery document's jwks_uri ${doc.jwks_uri} is on host ${jwksHost}, not the issuer's host ${issuerHost}; keys are fetched only from the issuer's host`,
        };
      const keys = await r.getKeys(kid);
      const match = keys.find((k) => (k.kid ?? "") === kid);
      return match ? { kind: "key", key: match.key } : { kind: "no-key" };
    } catch (e) {
      return { kind: "unreachable", detail: e instanceof Error ? e.message : String(e) };
    }
  };
}
