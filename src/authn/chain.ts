/**
 * Composition of token authenticators, as kube-apiserver composes them:
 * - `unionAuthenticator`: ordered; the first `ok` wins; errors are collected and, when nobody
 *   accepts the token, returned as one aggregated error (k8s.io/apiserver
 *   pkg/authentication/token/union). With `failOnError` the first error stops the chain (used
 *   between OIDC issuers). All `not-mine` → `not-mine` (unauthenticated, no error).
 * - `audienceAgnostic`: wraps an authenticator that knows nothing of audiences (OIDC) so it only
 *   answers when the requested audiences meet the API audiences, and reports the intersection.
 * - `cachedAuthenticator`: a bounded LRU of verified tokens keyed by SHA-256 of (audiences, token);
 *   only successes are cached, never beyond the credential's own expiry.
 */
import { hash } from "node:crypto";
import type { Reason } from "../lib/decision.js";
import { aggregateMessage } from "./lib/go-format.js";
import type { AuthnContext, AuthnOk, AuthnResult, Authenticator } from "./types.js";
import { isoTime } from "../lib/iso-time.js";

export interface UnionOptions {
  /** Stop at the first error instead of trying the rest (kube's `NewFailOnError`). */
  failOnError?: boolean;
}

/*
 * Object.assign rather than object spread: reasons from every authenticator pass through here, in
 * many shapes, and V8's spread of such a megamorphic source is ~10× slower. Same keys, same order.
 */
function tagged(reasons: readonly Reason[] | undefined, source: string): Reason[] {
  return (reasons ?? []).map((r) => (r.source === undefined ? Object.assign({}, r, { source }) : r));
}

export function unionAuthenticator(name: string, members: readonly Authenticator[], opts: UnionOptions = {}): Authenticator {
  return {
    name,
    async authenticate(token: string, ctx: AuthnContext): Promise<AuthnResult> {
      const errors: string[] = [];
      const reasons: Reason[] = [];
      let status: number | undefined;
      for (const m of members) {
        const r = await m.authenticate(token, ctx);
        if (r.kind === "ok") {
          return { ...r, authenticator: r.authenticator ?? m.name, reasons: [...reasons, ...tagged(r.reasons, m.name)] };
        }
        reasons.push(...tagged(r.reasons, m.name));
        if (r.kind === "error") {
          if (opts.failOnError) return { ...r, reasons };
          errors.push(r.message);
          status ??= r.status;
        }
      }
      if (errors.length === 0) return reasons.length > 0 ? { kind: "not-mine", reasons } : { kind: "not-mine" };
      const out: AuthnResult = { kind: "error", message: aggregateMessage(errors), reasons };
      if (status !== undefined) out.status = status;
      return out;
    },
  };
}

/** Members in the configured order; names in `order` without an authenticator are skipped. */
export function orderedChain(name: string, order: readonly string[], available: Readonly<Record<string, Authenticator | undefined>>): Authenticator {
  const members: Authenticator[] = [];
  for (const n of order) {
    const a = available[n];
    if (a && !members.includes(a)) members.push(a);
  }
  return unionAuthenticator(name, members);
}

/** Ordered intersection (order of `implicit`), as `authenticator.Audiences.Intersect`. */
export function intersectAudiences(implicit: readonly string[], target: readonly string[]): string[] {
  return implicit.filter((a) => target.includes(a));
}

export function audienceAgnostic(inner: Authenticator, apiAudiences: readonly string[]): Authenticator {
  return {
    name: inner.name,
    async authenticate(token: string, ctx: AuthnContext): Promise<AuthnResult> {
      if (ctx.audiences === undefined) return inner.authenticate(token, ctx);
      const auds = intersectAudiences(apiAudiences, ctx.audiences);
      if (auds.length === 0) {
        return {
          kind: "not-mine",
          reasons: [{ check: "authn.audiences", ok: false, message: `requested audiences do not include an API audience; ${inner.name} tokens are only valid for the API audiences`, expected: [...apiAudiences], actual: [...ctx.audiences], source: inner.name }],
        };
      }
      const r = await inner.authenticate(token, { now: ctx.now });
      return r.kind === "ok" ? { ...r, audiences: auds } : r;
    },
  };
}

export interface TokenCacheOptions {
  /** How long a success is reused, seconds (kube-apiserver uses 10). 0 disables the cache. */
  ttlSeconds: number;
  /** Most entries kept; the least recently used goes first. */
  maxEntries?: number;
}

export interface CachedAuthenticator extends Authenticator {
  readonly size: number;
  clear(): void;
  stats(): { hits: number; misses: number; evictions: number };
}

interface Entry {
  result: AuthnOk;
  until: number;
}

/** The cache key: SHA-256 over the audiences and the token, so a token never sits in memory as a key. */
export function tokenCacheKey(token: string, audiences: readonly string[] | undefined): string {
  let prefix = "";
  if (audiences === undefined) prefix = "\u0000";
  else for (const a of audiences) prefix += `${a.length}:${a}`;
  // One-shot hash: half the cost of a Hash object per TokenReview (docs/performance.md).
  return hash("sha256", prefix + "\u0001" + token, "base64url");
}

export function cachedAuthenticator(inner: Authenticator, opts: TokenCacheOptions): CachedAuthenticator {
  const ttlMs = Math.max(0, opts.ttlSeconds) * 1000;
  const max = Math.max(1, opts.maxEntries ?? 10_000);
  const entries = new Map<string, Entry>();
  const inflight = new Map<string, Promise<AuthnResult>>();
  let hits = 0;
  let misses = 0;
  let evictions = 0;

  const store = (key: string, r: AuthnOk, now: number): void => {
    const until = Math.min(now + ttlMs, r.expiresAt ?? Number.POSITIVE_INFINITY);
    if (until <= now) return;
    entries.delete(key);
    entries.set(key, { result: r, until });
    while (entries.size > max) {
      const oldest = entries.keys().next().value;
      if (oldest === undefined) break;
      entries.delete(oldest);
      evictions++;
    }
  };

  return {
    name: inner.name,
    get size() {
      return entries.size;
    },
    clear: () => entries.clear(),
    stats: () => ({ hits, misses, evictions }),
    async authenticate(token: string, ctx: AuthnContext): Promise<AuthnResult> {
      if (ttlMs === 0) return inner.authenticate(token, ctx);
      const key = tokenCacheKey(token, ctx.audiences);
      const e = entries.get(key);
      if (e) {
        if (e.until > ctx.now) {
          hits++;
          entries.delete(key);
          entries.set(key, e);
          return { ...e.result, reasons: [...e.result.reasons, { check: "authn.cache", ok: true, message: `served from the verified-token cache (cached until ${isoTime(e.until)})` }] };
        }
        entries.delete(key);
      }
      misses++;
      const running = inflight.get(key);
      if (running) return running;
      const p = inner
        .authenticate(token, ctx)
        .then((r) => {
          if (r.kind === "ok") store(key, r, ctx.now);
          return r;
        })
        .finally(() => inflight.delete(key));
      inflight.set(key, p);
      return p;
    },
  };
}
