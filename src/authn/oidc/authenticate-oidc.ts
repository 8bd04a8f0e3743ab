/**
 * The OIDC authenticator for one issuer (kube-apiserver's `jwtAuthenticator.AuthenticateToken`):
 * unverified issuer check (foreign tokens are not mine) → initialised? (discovery succeeded) →
 * verify (`oidc: verify token: …`) → claims mapping and rules. Several issuers form a
 * fail-on-error union wrapped audience-agnostic (`createOidcAuthenticator`).
 */
import type { Clock } from "../../lib/clock.js";
import type { Reason } from "../../lib/decision.js";
import { KubeiamError } from "../../lib/errors.js";
import { audienceAgnostic, unionAuthenticator } from "../chain.js";
import { RemoteJwks } from "../jwks-cache.js";
import { precheckJwt } from "../jwt-precheck.js";
import { authnError, notMine, type AuthnContext, type AuthnResult, type Authenticator, type KeySource } from "../types.js";
import { compileJwtAuthenticator, type CompiledJwtAuthenticator } from "./compile-jwt-authenticator.js";
import { mapClaims } from "./map-claims.js";
import { ALL_OIDC_SIGNING_ALGS, isAllowedSigningAlg, type JwtAuthenticatorSpec } from "./spec.js";
import { verifyIdToken } from "./verify-id-token.js";

/** Keys plus (optionally) discovery: a RemoteJwks, or a static source in tests. */
export type OidcKeySource = KeySource & { discover?(): Promise<unknown>; close?(): Promise<void> };

export interface OidcAuthenticatorOptions {
  clock: Clock;
  /** Accepted signature algorithms; default all nine kube allows with a configuration file. */
  algorithms?: readonly string[];
  /** Issuers the OIDC issuer may not reuse (the service-account issuers). */
  disallowedIssuers?: readonly string[];
  /** Replaces discovery + remote JWKS (kube's `Options.KeySet`): initialised at once. */
  keySource?: KeySource;
  timeoutMs?: number;
  maxBytes?: number;
  /** Least time between two discovery attempts while not initialised, ms (kube polls every 10 s). */
  retryIntervalMs?: number;
  /** Name in reasons and the decision log; default `oidc:<issuer url>`. */
  name?: string;
}

export class OidcAuthenticator implements Authenticator {
  readonly name: string;
  readonly issuer: string;
  private readonly algorithms: readonly string[];
  private readonly keys: OidcKeySource;
  private initialised: boolean;
  private initError: string | undefined;
  private lastInitAttempt = Number.NEGATIVE_INFINITY;
  private initializing: Promise<void> | undefined;

  constructor(
    private readonly compiled: CompiledJwtAuthenticator,
    private readonly opts: OidcAuthenticatorOptions,
  ) {
    const spec = compiled.spec;
    this.issuer = spec.issuer.url;
    this.name = opts.name ?? `oidc:${spec.issuer.url}`;
    this.algorithms = opts.algorithms ?? ALL_OIDC_SIGNING_ALGS;
    for (const a of this.algorithms) {
      if (!isAllowedSigningAlg(a)) throw new KubeiamError("CONFIG_INVALID", `oidc: unsupported signing alg: ${JSON.stringify(a)}`, { issuer: this.issuer });
    }
    if (opts.keySource) {
      this.keys = opts.keySource;
      this.initialised = true;
    } else {
      this.keys = new RemoteJwks({ issuer: spec.issuer.url, discoveryUrl: spec.issuer.discoveryURL, ca: spec.issuer.certificateAuthority, clock: opts.clock, ...(opts.timeoutMs ? { timeoutMs: opts.timeoutMs } : {}), ...(opts.maxBytes ? { maxBytes: opts.maxBytes } : {}) });
      this.initialised = false;
    }
  }

  /** Starts discovery now (it also starts lazily on the first token). Resolves when done, never rejects. */
  start(): Promise<void> {
    if (this.initialised) return Promise.resolve();
    this.initializing ??= (async () => {
      this.lastInitAttempt = this.opts.clock.now();
      try {
        await this.keys.discover?.();
        this.initialised = true;
        this.initError = undefined;
      } catch (e) {
        this.initError = e instanceof Error ? e.message : String(e);
      } finally {
        this.initializing = undefined;
      }
    })();
    return this.initializing;
  }

  /** kube's HealthCheck: undefined when ready. */
  health(): string | undefined {
    if (this.initialised) return undefined;
    return `oidc: authenticator for issuer ${JSON.stringify(this.issuer)} is not healthy: ${this.initError ?? `oidc: authenticator for issuer ${JSON.stringify(this.issuer)} is not initialized`}`;
  }

  async close(): Promise<void> {
    await this.keys.close?.();
  }

  async authenticate(token: string, ctx: AuthnContext): Promise<AuthnResult> {
    const pre = precheckJwt(token);
    if (!pre.ok) return notMine({ check: "oidc.issuer", ok: false, message: pre.reason, source: this.name });
    const iss = pre.jwt.issuer === "accounts.google.com" ? "https://accounts.google.com" : pre.jwt.issuer;
    if (iss !== this.issuer) return notMine({ check: "oidc.issuer", ok: false, message: `token issuer ${JSON.stringify(iss)} is not ${this.issuer}`, source: this.name });

    if (!this.initialised) {
      if (this.initializing) await this.initializing;
      else if (ctx.now - this.lastInitAttempt >= (this.opts.retryIntervalMs ?? 10_000)) await this.start();
      if (!this.initialised) {
        return authnError("oidc: authenticator not initialized", [{ check: "oidc.init", ok: false, message: `discovery or JWKS of ${this.issuer} not available: ${this.initError ?? "not attempted"}`, source: this.name }]);
      }
    }

    const spec = this.compiled.spec;
    const v = await verifyIdToken(token, { issuer: this.issuer, audiences: spec.issuer.audiences, algorithms: this.algorithms }, this.keys, ctx.now, pre.jwt);
    if (!v.ok) {
      const message = `oidc: verify token: ${v.message}`;
      return authnError(message, [{ check: v.check, ok: false, message, source: this.name }]);
    }
    const m = mapClaims(v.claims, this.compiled);
    if (!m.ok) return authnError(m.message, [...v.reasons, { check: m.check, ok: false, message: m.message, source: this.name }]);
    const reasons: Reason[] = [...v.reasons, ...m.reasons];
    return { kind: "ok", user: m.user, reasons, expiresAt: v.expiresAt, authenticator: this.name };
  }
}

export interface OidcChain extends Authenticator {
  readonly issuers: readonly OidcAuthenticator[];
  start(): Promise<void>;
  /** Aggregated health: undefined when every issuer is initialised. */
  health(): string | undefined;
  close(): Promise<void>;
}

/**
 * Validates and compiles every spec (throws CONFIG_INVALID with kube's field messages), and
 * returns the issuers as one fail-on-error union, audience-agnostic over `apiAudiences`.
 */
export function createOidcAuthenticator(specs: readonly JwtAuthenticatorSpec[], apiAudiences: readonly string[], opts: Omit<OidcAuthenticatorOptions, "name" | "keySource"> & { keySources?: Readonly<Record<string, KeySource>>; path?: string }): OidcChain {
  const errors: string[] = [];
  const issuers: OidcAuthenticator[] = [];
  const root = opts.path ?? "jwt";
  const seen = new Set<string>();
  specs.forEach((spec, i) => {
    const r = compileJwtAuthenticator(spec, `${root}[${i}]`, opts.disallowedIssuers ?? []);
    errors.push(...r.errors);
    if (seen.has(spec.issuer.url)) errors.push(`${root}[${i}].issuer.url: Duplicate value: ${JSON.stringify(spec.issuer.url)}`);
    seen.add(spec.issuer.url);
    if (r.compiled) {
      const keySource = opts.keySources?.[spec.issuer.url];
      issuers.push(new OidcAuthenticator(r.compiled, { ...opts, ...(keySource ? { keySource } : {}) }));
    }
  });
  if (errors.length > 0) throw new KubeiamError("CONFIG_INVALID", `invalid OIDC configuration:\n${errors.join("\n")}`, { errors });
  const union = audienceAgnostic(unionAuthenticator("oidc", issuers, { failOnError: true }), apiAudiences);
  return {
    name: "oidc",
    issuers,
    authenticate: (token, ctx) => union.authenticate(token, ctx),
    start: async () => {
      await Promise.all(issuers.map((a) => a.start()));
    },
    health: () => {
      const hs = issuers.map((a) => a.health()).filter((h): h is string => h !== undefined);
      return hs.length === 0 ? undefined : hs.length === 1 ? hs[0] : `[${hs.join(", ")}]`;
    },
    close: async () => {
      await Promise.all(issuers.map((a) => a.close()));
    },
  };
}
