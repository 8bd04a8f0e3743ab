/**
 * Where STS finds the key that signed a web-identity token: kubeiam's own key ring when the
 * provider is kubeiam's issuer (no network), otherwise the provider's JWKS through discovery
 * (cached, refreshed on an unknown kid). A missing `kid` is treated as "" (the empty-kid quirk).
 */
import { readFileSync } from "node:fs";
import { RemoteJwks } from "../authn/jwks-cache.js";
import type { Clock } from "../lib/clock.js";
import type { KeyManager } from "../keys/manager.js";
import type { KeyResolver } from "./web-identity.js";

export function createKeyResolver(o: { issuerUrl: string; keys: KeyManager; clock: Clock; caFile?: string | undefined; timeoutMs: number }): KeyResolver {
  const remotes = new Map<string, RemoteJwks>();
  const ca = o.caFile ? readFileSync(o.caFile, "utf8") : undefined;
  const own = o.issuerUrl.replace(/\/$/, "");
  return async (provider, kid) => {
    if (provider.url.replace(/\/$/, "") === own) {
      const k = o.keys.verificationKeys().find((x) => x.kid === kid);
      return k ? { kind: "key", key: k.publicKey } : { kind: "no-key" };
    }
    let r = remotes.get(provider.url);
    if (!r) {
      r = new RemoteJwks({ issuer: provider.url, ca, clock: o.clock, timeoutMs: o.timeoutMs });
      remotes.set(provider.url, r);
    }
    try {
      const keys = await r.getKeys(kid);
      const match = keys.find((k) => (k.kid ?? "") === kid);
      return match ? { kind: "key", key: match.key } : { kind: "no-key" };
    } catch (e) {
      return { kind: "unreachable", detail: e instanceof Error ? e.message : String(e) };
    }
  };
}
