/**
 * Service-account token authentication (kubernetes pkg/serviceaccount/jwt.go
 * `jwtTokenAuthenticator.AuthenticateToken`), bound and legacy tokens:
 * 1. unverified pre-check: a JWT whose `iss` is accepted, else not mine;
 * 2. JWS parse (failure → not mine); keys by `kid` (none → `invalid signature, no keys found`);
 *    each key tried, all failing → their aggregated errors;
 * 3. verified `iss` accepted, else `token issuer "<iss>" is invalid`;
 * 4. audiences: token `aud` (the API audiences when empty) ∩ requested (the API audiences when
 *    none requested); empty while API audiences exist → `token audiences [...] is invalid for the target audiences [...]`;
 * 5. the bound or legacy validator (lookups against the store cache);
 * 6. the user per §2.1, audiences = the intersection.
 * Pure given keys, time and lookups (the key source is the only async part).
 */
import type { Reason } from "../../lib/decision.js";
import { intersectAudiences } from "../chain.js";
import { decodeBase64UrlRaw, precheckJwt, parseJwsHeader } from "../jwt-precheck.js";
import { aggregateMessage, goQuoteList } from "../lib/go-format.js";
import { verifyJwsSignature } from "../../lib/verify-jws.js";
import { authnError, notMine, type AuthnContext, type AuthnOk, type AuthnResult, type Authenticator, type KeySource, type VerificationKey } from "../types.js";
import { decodeBoundPrivateClaims, decodeLegacyPrivateClaims, decodePublicClaims, type BoundPrivateClaims, type LegacyPrivateClaims, type PublicClaims } from "./lib/decode-claims.js";
import { serviceAccountUser } from "./user-info.js";
import { validateBoundClaims, type ObjectLookup } from "./validate-bound-claims.js";
import { LEGACY_ISSUER, validateLegacyClaims } from "./validate-legacy-claims.js";

/** What go-jose reports for any failed signature check. */
export const CRYPTO_FAILURE = "go-jose/go-jose: error in cryptographic primitive";

export interface ServiceAccountAuthenticatorOptions {
  /** Accepted issuers of bound tokens (kube: every `--service-account-issuer`). */
  issuers: readonly string[];
  /** API audiences (kube: `--api-audiences`, default the issuers). */
  apiAudiences: readonly string[];
  keys: KeySource;
  /** Store lookups for bound objects and legacy secrets. */
  lookup: ObjectLookup;
  /** Accept legacy Secret-based tokens (issuer `kubernetes/serviceaccount`); default true. */
  legacy?: boolean;
  /** `--service-account-lookup` for legacy tokens; default true. */
  legacyLookup?: boolean;
  /** Called when a legacy token's Secret should get the last-used label (an edge writes it). */
  onLegacyTokenUsed?: (secret: { namespace: string; name: string }, labels: Record<string, string>) => void;
  name?: string;
}

/** The validator's reasons with this authenticator as source (Object.assign: several times faster than spread here). */
function withSource(reasons: readonly Reason[], source: string): Reason[] {
  return reasons.map((r) => Object.assign({}, r, { source }));
}

/** Public, then private claims (go-jose's order); the first failure's message. */
function decodeClaims(claims: Record<string, unknown>, kind: "legacy" | "bound"): { ok: true; pub: PublicClaims; priv: BoundPrivateClaims | LegacyPrivateClaims } | { ok: false; message: string } {
  const pub = decodePublicClaims(claims);
  if (!pub.ok) return pub;
  const priv = kind === "legacy" ? decodeLegacyPrivateClaims(claims) : decodeBoundPrivateClaims(claims);
  if (!priv.ok) return priv;
  return { ok: true, pub: pub.value, priv: priv.value };
}

export class ServiceAccountAuthenticator implements Authenticator {
  readonly name: string;
  private readonly issuers: ReadonlySet<string>;

  constructor(private readonly opts: ServiceAccountAuthenticatorOptions) {
    this.name = opts.name ?? "serviceAccount";
    this.issuers = new Set(opts.issuers);
  }

  private accepts(iss: string): "legacy" | "bound" | undefined {
    if ((this.opts.legacy ?? true) && iss === LEGACY_ISSUER) return "legacy";
    if (this.issuers.has(iss)) return "bound";
    return undefined;
  }

  async authenticate(token: string, ctx: AuthnContext): Promise<AuthnResult> {
    const src = this.name;
    const pre = precheckJwt(token);
    if (!pre.ok) return notMine({ check: "sa.issuer", ok: false, message: pre.reason, source: src });
    const kind = this.accepts(pre.jwt.issuer);
    if (!kind) return notMine({ check: "sa.issuer", ok: false, message: `token issuer ${JSON.stringify(pre.jwt.issuer)} is not a service-account issuer`, source: src });
    const header = parseJwsHeader(pre.jwt.header);
    const signature = decodeBase64UrlRaw(pre.jwt.signature);
    if (!header || !signature) return notMine({ check: "sa.parse", ok: false, message: "token is not a parseable JWS", source: src });

    const fail = (check: string, message: string, reasons: Reason[] = []): AuthnResult => authnError(message, [...reasons, { check, ok: false, message, source: src }]);
    let keys: VerificationKey[];
    try {
      keys = await this.opts.keys.getKeys(header.kid);
    } catch (e) {
      return fail("sa.keys", `service account keys unavailable: ${e instanceof Error ? e.message : String(e)}`);
    }
    if (keys.length === 0) return fail("sa.keys", "invalid signature, no keys found");

    // go-jose: verify, then decode public then private claims; the first key that does all three
    // wins. The claims are the payload the pre-check already parsed (the signature covers exactly
    // those bytes); they decode the same way for every key, so they are decoded once.
    const errors: string[] = [];
    let decoded: { pub: PublicClaims; priv: BoundPrivateClaims | LegacyPrivateClaims; kid: string | undefined } | undefined;
    const claims = pre.jwt.claims;
    const signingInput = `${pre.jwt.header}.${pre.jwt.payload}`;
    let claimsDecoded: { ok: true; pub: PublicClaims; priv: BoundPrivateClaims | LegacyPrivateClaims } | { ok: false; message: string } | undefined;
    for (const k of keys) {
      if (!(await verifyJwsSignature(header.alg, k.key, signingInput, signature, header.raw))) {
        errors.push(CRYPTO_FAILURE);
        continue;
      }
      claimsDecoded ??= decodeClaims(claims, kind);
      if (!claimsDecoded.ok) {
        errors.push(claimsDecoded.message);
        continue;
      }
      decoded = { pub: claimsDecoded.pub, priv: claimsDecoded.priv, kid: k.kid };
      break;
    }
    if (!decoded) return fail("sa.signature", aggregateMessage(errors));
    const pub = decoded.pub;
    const reasons: Reason[] = [{ check: "sa.signature", ok: true, message: `signature verified with key ${decoded.kid ?? "(no kid)"}`, source: src }];

    if (!this.accepts(pub.iss)) return fail("sa.issuer", `token issuer ${JSON.stringify(pub.iss)} is invalid`, reasons);
    reasons.push({ check: "sa.issuer", ok: true, message: `issuer ${pub.iss} is accepted`, source: src });

    const implicit = this.opts.apiAudiences;
    const annotations: Record<string, string> = {};
    let tokenAuds = pub.aud;
    if (tokenAuds.length === 0) {
      annotations["authentication.k8s.io/legacy-token"] = pub.sub;
      tokenAuds = [...implicit];
    }
    const requested = ctx.audiences ?? implicit;
    const auds = intersectAudiences(tokenAuds, requested);
    if (auds.length === 0 && implicit.length !== 0) {
      return fail("sa.audience", `token audiences ${goQuoteList(tokenAuds)} is invalid for the target audiences ${goQuoteList(requested)}`, reasons);
    }
    reasons.push({ check: "sa.audience", ok: true, message: `token audiences meet the requested audiences`, expected: [...requested], actual: tokenAuds, source: src });

    if (kind === "legacy") {
      const v = validateLegacyClaims(token, pub, decoded.priv as LegacyPrivateClaims, this.opts.legacyLookup === false ? undefined : this.opts.lookup, ctx.now);
      if (v.touch) this.opts.onLegacyTokenUsed?.({ namespace: v.touch.namespace, name: v.touch.name }, { "kubernetes.io/legacy-token-last-used": v.touch.lastUsed });
      if (!v.ok) return fail(v.check, v.message, reasons);
      const ok: AuthnOk = { kind: "ok", user: serviceAccountUser(v.info), audiences: auds, reasons: [...reasons, ...withSource(v.reasons, src)], authenticator: src };
      const ann = { ...annotations, ...v.annotations };
      if (Object.keys(ann).length > 0) ok.annotations = ann;
      if (v.warnings.length > 0) ok.warnings = v.warnings;
      return ok;
    }
    const v = validateBoundClaims(pub, decoded.priv as BoundPrivateClaims, this.opts.lookup, ctx.now);
    if (!v.ok) return fail(v.check, v.message, reasons);
    const ok: AuthnOk = { kind: "ok", user: serviceAccountUser(v.info), audiences: auds, reasons: [...reasons, ...withSource(v.reasons, src)], authenticator: src };
    if (pub.exp !== undefined) ok.expiresAt = pub.exp * 1000 + 60_000;
    const ann = { ...annotations, ...v.annotations };
    if (Object.keys(ann).length > 0) ok.annotations = ann;
    return ok;
  }
}
