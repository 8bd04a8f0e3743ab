/**
 * RemoteJwks: fetches and caches an issuer's OIDC discovery document and JWKS, for the OIDC
 * authenticator, external service-account issuers and STS web-identity validation.
 *
 * - HTTPS only; an optional PEM CA bundle replaces the system roots (local issuers).
 * - Redirects are followed only within the same origin (at most 3); anything else is refused.
 * - Each request has a timeout and a response-size limit; bodies must be JSON.
 * - The discovery document's `issuer` must equal the configured issuer.
 * - Keys are cached for the response's Cache-Control max-age (clamped), else `defaultTtlMs`; an
 *   unknown `kid` triggers a refetch at most once per `cooldownMs`. When a refresh fails the last
 *   good keys stay in use.
 * - Only public signing keys are kept: `kty` RSA/EC (OKP Ed25519 too), `use` absent or "sig";
 *   symmetric (`oct`) keys are dropped, private members are ignored.
 */
import { createPublicKey, type JsonWebKey as NodeJwk, type KeyObject } from "node:crypto";
import type { Agent } from "undici";
import { KubeiamError } from "../lib/errors.js";
import type { Clock } from "../lib/clock.js";
import type { KeySource, VerificationKey } from "./types.js";

export interface RemoteJwksOptions {
  /** Issuer URL; the discovery document must name exactly this issuer. */
  issuer: string;
  /** JWKS URL; when absent it comes from discovery. */
  jwksUri?: string | undefined;
  /** Discovery URL; default `<issuer>/.well-known/openid-configuration`. */
  discoveryUrl?: string | undefined;
  /** PEM bundle trusted instead of the system roots. */
  ca?: string | undefined;
  /** Per-request timeout, ms (default 10 000). */
  timeoutMs?: number;
  /** Largest response body accepted, bytes (default 512 KiB). */
  maxBytes?: number;
  clock: Clock;
  /** Least time between two refetches caused by an unknown kid, ms (default 10 000). */
  cooldownMs?: number;
  /** Key cache lifetime without Cache-Control, ms (default 5 min); max-age is clamped to [cooldownMs, maxTtlMs]. */
  defaultTtlMs?: number;
  maxTtlMs?: number;
}

export interface DiscoveryDocument {
  issuer: string;
  jwks_uri: string;
  id_token_signing_alg_values_supported?: string[];
  [field: string]: unknown;
}

export interface JwksKey extends VerificationKey {
  kty: string;
  alg?: string;
  crv?: string;
  use?: string;
}

export interface JwksStatus {
  issuer: string;
  jwksUri: string | undefined;
  keys: number;
  lastFetch: number | undefined;
  lastError: string | undefined;
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

/** Whether a JWK can verify `alg` (key type and curve; the JWK's own `alg`, when set, must match). */
export function keyFitsAlg(k: Pick<JwksKey, "kty" | "crv" | "alg">, alg: string): boolean {
  if (k.alg !== undefined && k.alg !== alg) return false;
  if (/^(RS|PS)(256|384|512)$/.test(alg)) return k.kty === "RSA";
  if (alg === "ES256") return k.kty === "EC" && k.crv === "P-256";
  if (alg === "ES384") return k.kty === "EC" && k.crv === "P-384";
  if (alg === "ES512") return k.kty === "EC" && k.crv === "P-521";
  if (alg === "EdDSA") return k.kty === "OKP" && k.crv === "Ed25519";
  return false;
}

/** Parses a JWKS document into public verification keys; unusable entries are skipped. */
export function parseJwks(doc: unknown): JwksKey[] {
  if (typeof doc !== "object" || doc === null || !Array.isArray((doc as { keys?: unknown }).keys)) {
    throw new KubeiamError("JWKS_FETCH_FAILED", "JWKS document has no keys array");
  }
  const out: JwksKey[] = [];
  for (const raw of (doc as { keys: unknown[] }).keys) {
    if (typeof raw !== "object" || raw === null) continue;
    const j = raw as Record<string, unknown>;
    const kty = j.kty;
    if (kty !== "RSA" && kty !== "EC" && kty !== "OKP") continue;
    if (j.use !== undefined && j.use !== "sig") continue;
    const pub: NodeJwk = kty === "RSA" ? { kty, n: j.n as string, e: j.e as string } : { kty, crv: j.crv as string, x: j.x as string, ...(kty === "EC" ? { y: j.y as string } : {}) };
    let key: KeyObject;
    try {
      key = createPublicKey({ key: pub, format: "jwk" });
    } catch {
      continue;
    }
    const k: JwksKey = { kty, key };
    if (typeof j.kid === "string") k.kid = j.kid;
    if (typeof j.alg === "string") k.alg = j.alg;
    if (typeof j.crv === "string") k.crv = j.crv;
    if (typeof j.use === "string") k.use = j.use;
    out.push(k);
  }
  return out;
}

function maxAge(cacheControl: string | string[] | undefined): number | undefined {
  const v = Array.isArray(cacheControl) ? cacheControl.join(",") : cacheControl;
  if (!v) return undefined;
  if (/\bno-(store|cache)\b/i.test(v)) return 0;
  const m = /\bmax-age=(\d+)/i.exec(v);
  return m ? Number(m[1]) * 1000 : undefined;
}

export class RemoteJwks implements KeySource {
  readonly issuer: string;
  private readonly opts: Required<Pick<RemoteJwksOptions, "timeoutMs" | "maxBytes" | "cooldownMs" | "defaultTtlMs" | "maxTtlMs">> & RemoteJwksOptions;
  /** Created on the first fetch: undici is loaded then, not at start-up. */
  private agent: Agent | undefined;
  private jwksUri: string | undefined;
  private discovery: DiscoveryDocument | undefined;
  private cached: JwksKey[] | undefined;
  private expiresAt = 0;
  private lastFetch: number | undefined;
  private lastAttempt = Number.NEGATIVE_INFINITY;
  private lastError: string | undefined;
  private inflightKeys: Promise<JwksKey[]> | undefined;
  private inflightDiscovery: Promise<DiscoveryDocument> | undefined;

  constructor(opts: RemoteJwksOptions) {
    this.opts = { timeoutMs: 10_000, maxBytes: 512 * 1024, cooldownMs: 10_000, defaultTtlMs: 300_000, maxTtlMs: 86_400_000, ...opts };
    this.issuer = opts.issuer;
    for (const u of [opts.jwksUri, opts.discoveryUrl]) if (u !== undefined) this.assertHttps(u);
    this.jwksUri = opts.jwksUri;
  }

  private assertHttps(url: string): URL {
    let u: URL;
    try {
      u = new URL(url);
    } catch {
      throw new KubeiamError("JWKS_FETCH_FAILED", `${url} is not a URL`, { url });
    }
    if (u.protocol !== "https:") throw new KubeiamError("JWKS_FETCH_FAILED", `${url}: only https URLs are fetched`, { url });
    return u;
  }

  /** GETs JSON over HTTPS with the limits above. */
  private async getJson(url: string): Promise<{ body: unknown; headers: Record<string, string | string[] | undefined> }> {
    let target = this.assertHttps(url);
    const origin = target.origin;
    const { Agent, request } = await import("undici");
    this.agent ??= new Agent({ connect: this.opts.ca ? { ca: this.opts.ca } : {}, connectTimeout: this.opts.timeoutMs, keepAliveTimeout: 4_000 });
    const signal = AbortSignal.timeout(this.opts.timeoutMs);
    for (let hop = 0; hop <= 3; hop++) {
      let res: Awaited<ReturnType<typeof request>>;
      try {
        res = await request(target, { method: "GET", dispatcher: this.agent, headers: { accept: "application/json" }, signal });
      } catch (e) {
        const msg = signal.aborted ? `timed out after ${this.opts.timeoutMs} ms` : e instanceof Error ? e.message : String(e);
        throw new KubeiamError("JWKS_FETCH_FAILED", `GET ${target.href}: ${msg}`, { url: target.href });
      }
      if (REDIRECTS.has(res.statusCode)) {
        await res.body.dump().catch(() => undefined);
        const loc = res.headers.location;
        const next = typeof loc === "string" ? new URL(loc, target) : undefined;
        if (!next || next.origin !== origin) {
          throw new KubeiamError("JWKS_FETCH_FAILED", `GET ${target.href}: redirect to ${next?.origin ?? "nowhere"} refused (only same-origin redirects are followed)`, { url: target.href });
        }
        target = next;
        continue;
      }
      const declared = Number(res.headers["content-length"] ?? NaN);
      if (declared > this.opts.maxBytes) {
        res.body.destroy();
        throw new KubeiamError("JWKS_FETCH_FAILED", `GET ${target.href}: response larger than ${this.opts.maxBytes} bytes`, { url: target.href });
      }
      const chunks: Buffer[] = [];
      let size = 0;
      try {
        for await (const chunk of res.body) {
          const b = chunk as Buffer;
          size += b.length;
          if (size > this.opts.maxBytes) {
            res.body.destroy();
            throw new KubeiamError("JWKS_FETCH_FAILED", `GET ${target.href}: response larger than ${this.opts.maxBytes} bytes`, { url: target.href });
          }
          chunks.push(b);
        }
      } catch (e) {
        if (e instanceof KubeiamError) throw e;
        throw new KubeiamError("JWKS_FETCH_FAILED", `GET ${target.href}: ${signal.aborted ? `timed out after ${this.opts.timeoutMs} ms` : e instanceof Error ? e.message : String(e)}`, { url: target.href });
      }
      const text = Buffer.concat(chunks).toString("utf8");
      if (res.statusCode !== 200) {
        throw new KubeiamError("JWKS_FETCH_FAILED", `GET ${target.href}: ${res.statusCode} ${text.slice(0, 200)}`.trimEnd(), { url: target.href, status: res.statusCode });
      }
      try {
        return { body: JSON.parse(text) as unknown, headers: res.headers };
      } catch {
        throw new KubeiamError("JWKS_FETCH_FAILED", `GET ${target.href}: response is not JSON`, { url: target.href });
      }
    }
    throw new KubeiamError("JWKS_FETCH_FAILED", `GET ${url}: too many redirects`, { url });
  }

  /** The discovery document (fetched once, then cached; a failure is retried on the next call). */
  discover(): Promise<DiscoveryDocument> {
    if (this.discovery) return Promise.resolve(this.discovery);
    this.inflightDiscovery ??= (async () => {
      try {
        const url = this.opts.discoveryUrl ?? this.issuer.replace(/\/+$/, "") + "/.well-known/openid-configuration";
        const { body } = await this.getJson(url);
        if (typeof body !== "object" || body === null || Array.isArray(body)) throw new KubeiamError("JWKS_FETCH_FAILED", "oidc: failed to decode provider discovery object: not a JSON object");
        const doc = body as Record<string, unknown>;
        if (doc.issuer !== this.issuer) {
          throw new KubeiamError("JWKS_FETCH_FAILED", `oidc: issuer did not match the issuer returned by provider, expected ${JSON.stringify(this.issuer)} got ${JSON.stringify(typeof doc.issuer === "string" ? doc.issuer : "")}`, { issuer: this.issuer });
        }
        if (typeof doc.jwks_uri !== "string") throw new KubeiamError("JWKS_FETCH_FAILED", "provider did not return JWKS URL");
        this.assertHttps(doc.jwks_uri);
        this.discovery = doc as DiscoveryDocument;
        this.jwksUri ??= doc.jwks_uri;
        this.lastError = undefined;
        return this.discovery;
      } catch (e) {
        this.lastError = e instanceof Error ? e.message : String(e);
        throw e;
      } finally {
        this.inflightDiscovery = undefined;
      }
    })();
    return this.inflightDiscovery;
  }

  /** Fetches the JWKS now (deduplicated with a fetch already running). */
  refresh(): Promise<JwksKey[]> {
    this.inflightKeys ??= (async () => {
      const now = this.opts.clock.now();
      this.lastAttempt = now;
      try {
        if (this.jwksUri === undefined) await this.discover();
        const { body, headers } = await this.getJson(this.jwksUri!);
        const keys = parseJwks(body);
        const age = maxAge(headers["cache-control"]);
        const ttl = age === undefined ? this.opts.defaultTtlMs : Math.min(Math.max(age, this.opts.cooldownMs), this.opts.maxTtlMs);
        this.cached = keys;
        this.expiresAt = this.opts.clock.now() + ttl;
        this.lastFetch = this.opts.clock.now();
        this.lastError = undefined;
        return keys;
      } catch (e) {
        this.lastError = e instanceof Error ? e.message : String(e);
        throw e;
      } finally {
        this.inflightKeys = undefined;
      }
    })();
    return this.inflightKeys;
  }

  /** All cached keys, refetched when the cache has expired (stale keys are kept if that fails). */
  async keys(): Promise<JwksKey[]> {
    const now = this.opts.clock.now();
    if (this.cached && now < this.expiresAt) return this.cached;
    if (this.cached && now - this.lastAttempt < this.opts.cooldownMs) return this.cached;
    try {
      return await this.refresh();
    } catch (e) {
      if (this.cached) return this.cached;
      throw e;
    }
  }

  /**
   * Keys with `kid` (all keys when `kid` is ""), optionally only those fit for `alg`. An unknown
   * kid causes one refetch unless one happened within the cooldown.
   */
  async getKeys(kid: string, alg?: string): Promise<JwksKey[]> {
    const pick = (ks: JwksKey[]): JwksKey[] => ks.filter((k) => (kid === "" || k.kid === kid) && (alg === undefined || keyFitsAlg(k, alg)));
    let found = pick(await this.keys());
    if (found.length === 0 && kid !== "" && this.opts.clock.now() - this.lastAttempt >= this.opts.cooldownMs) {
      found = pick(await this.refresh());
    }
    return found;
  }

  /** The one key for (kid, alg), jose-resolver style; throws JWKS_KEY_NOT_FOUND when none or several match. */
  async getKey(kid: string | undefined, alg: string): Promise<KeyObject> {
    const found = await this.getKeys(kid ?? "", alg);
    if (found.length !== 1) {
      throw new KubeiamError("JWKS_KEY_NOT_FOUND", found.length === 0 ? `no key in the JWKS of ${this.issuer} matches kid ${JSON.stringify(kid ?? "")} and alg ${alg}` : `several keys in the JWKS of ${this.issuer} match alg ${alg} and the token has no kid`, { issuer: this.issuer, kid, alg });
    }
    return found[0]!.key;
  }

  status(): JwksStatus {
    return { issuer: this.issuer, jwksUri: this.jwksUri, keys: this.cached?.length ?? 0, lastFetch: this.lastFetch, lastError: this.lastError };
  }

  async close(): Promise<void> {
    await this.agent?.close();
  }
}
