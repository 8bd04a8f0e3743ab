/**
 * Validates a web-identity token for AssumeRoleWithWebIdentity, in the order AWS does (irsa-sts
 * spec §3.3): size, JWT shape, issuer → registered OIDC provider, audience ∈ client IDs, key by
 * `kid` (a missing kid is ""), algorithm allow-list, signature, then exp / nbf / iat with bounded
 * skew. Pure except for the key resolver it is given. Each failure carries AWS's code and wording
 * on the wire, and our reasons for the decision log.
 */
import type { KeyObject } from "node:crypto";
import { verifyJwsSignature } from "../lib/verify-jws.js";
import type { Reason } from "../lib/decision.js";
import type { OidcProviderView } from "../iam/objects.js";
import { AwsError, awsErrors } from "./aws-error.js";

export const MAX_WEB_IDENTITY_TOKEN = 20_000;
const ALGS = new Set(["RS256", "RS384", "RS512", "ES256", "ES384", "ES512"]);

export type KeyLookup =
  { kind: "key"; key: KeyObject } | { kind: "no-key" } | { kind: "unreachable"; detail: string };
export type KeyResolver = (provider: OidcProviderView, kid: string) => Promise<KeyLookup>;

export interface WebIdentityClaims {
  iss: string;
  sub: string;
  aud: string[];
  /** The audience that matched a client ID of the provider. */
  matchedAud: string;
  exp: number;
  nbf?: number;
  iat?: number;
  amr?: string[];
  azp?: string;
  raw: Record<string, unknown>;
}

export type WebIdentityResult =
  | { ok: true; claims: WebIdentityClaims; provider: OidcProviderView; reasons: Reason[] }
  | { ok: false; error: AwsError; reasons: Reason[] };

const NOT_JWT =
  "The ID Token provided is not a valid JWT. (You may see this error if you sent an Access Token)";
const TIMESTAMPS = "Timestamps in the token must be formatted as either an integer or a long integer.";
const NO_KEY =
  "Couldn't retrieve verification key from your identity provider,  please reference AssumeRoleWithWebIdentity documentation for requirements";

function b64json(part: string): Record<string, unknown> | undefined {
  if (!/^[A-Za-z0-9_-]+$/.test(part)) return undefined;
  try {
    const v: unknown = JSON.parse(Buffer.from(part, "base64url").toString("utf8"));
    return v !== null && typeof v === "object" && !Array.isArray(v)
      ? (v as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/** Seconds since the epoch as ISO-8601, or the number itself when it is out of Date's range. */
function when(seconds: number): string {
  const d = new Date(seconds * 1000);
  return Number.isNaN(d.getTime()) ? `${seconds} (epoch seconds)` : d.toISOString();
}

export interface WebIdentityOptions {
  providers: readonly OidcProviderView[];
  resolveKey: KeyResolver;
  /** Milliseconds since the epoch. */
  now: number;
  /** Allowed clock skew for exp/nbf/iat, seconds (AWS does not document one; default 60). */
  skewSeconds?: number;
}

export async function verifyWebIdentityToken(
  rawToken: string,
  o: WebIdentityOptions,
): Promise<WebIdentityResult> {
  const reasons: Reason[] = [];
  // `--web-identity-token file://token` keeps the file's trailing newline (kubectl create token writes one).
  const token = rawToken.trim();
  const fail = (
    error: AwsError,
    check: string,
    message: string,
    extra: Partial<Reason> = {},
  ): WebIdentityResult => {
    reasons.push({ check, ok: false, message, ...extra });
    return { ok: false, error, reasons };
  };
  const parts = token.split(".");
  if (parts.length !== 3)
    return fail(
      awsErrors.invalidIdentityToken(NOT_JWT),
      "web-identity.jwt",
      `the token has ${parts.length} dot-separated parts, a JWT has 3`,
    );
  const header = b64json(parts[0]!);
  const claims = b64json(parts[1]!);
  if (!header || !claims)
    return fail(
      awsErrors.invalidIdentityToken(NOT_JWT),
      "web-identity.jwt",
      "the header or the claims are not base64url-encoded JSON objects",
    );
  const iss = claims.iss;
  if (typeof iss !== "string" || iss === "")
    return fail(
      awsErrors.invalidIdentityToken("Missing a required claim: iss"),
      "web-identity.iss",
      "the token has no iss claim",
    );
  const hostPath = iss.replace(/^https:\/\//i, "");
  const provider = o.providers.find((p) => p.hostPath === hostPath);
  if (!provider) {
    const near = o.providers.find(
      (p) => p.hostPath.replace(/\/$/, "").toLowerCase() === hostPath.replace(/\/$/, "").toLowerCase(),
    );
    return fail(
      awsErrors.invalidIdentityToken(`No OpenIDConnect provider found in your account for ${iss}`),
      "web-identity.provider",
      near
        ? `issuer ${iss} matches no provider exactly; provider ${near.url} differs only by case or a trailing slash, which IAM treats as different`
        : `issuer ${iss} matches none of the ${o.providers.length} registered OIDC providers (${o.providers.map((p) => p.hostPath).join(", ") || "none"})`,
      { expected: o.providers.map((p) => p.hostPath), actual: hostPath },
    );
  }
  reasons.push({
    check: "web-identity.provider",
    ok: true,
    message: `issuer ${iss} → OIDC provider ${provider.arn}`,
  });
  const audRaw = claims.aud;
  const aud =
    typeof audRaw === "string"
      ? [audRaw]
      : Array.isArray(audRaw)
        ? audRaw.filter((a): a is string => typeof a === "string")
        : [];
  if (aud.length === 0)
    return fail(
      awsErrors.invalidIdentityToken("Missing a required claim: aud"),
      "web-identity.aud",
      "the token has no aud claim",
    );
  const matchedAud = aud.find((a) => provider.clientIds.includes(a));
  if (matchedAud === undefined) {
    return fail(
      awsErrors.invalidIdentityToken("Incorrect token audience"),
      "web-identity.aud",
      `audience ${JSON.stringify(aud)} is not a client ID of provider ${provider.hostPath} (client IDs ${JSON.stringify(provider.clientIds)})`,
      { expected: provider.clientIds, actual: aud },
    );
  }
  reasons.push({
    check: "web-identity.aud",
    ok: true,
    message: `audience ${matchedAud} is a client ID of the provider`,
  });
  if (header.crit !== undefined) {
    return fail(
      awsErrors.invalidIdentityToken(NOT_JWT),
      "web-identity.jwt",
      "the token header has a crit member; no JWS extensions are understood (RFC 7515 §4.1.11)",
    );
  }
  const alg = header.alg;
  if (typeof alg !== "string" || !ALGS.has(alg)) {
    return fail(
      awsErrors.invalidIdentityToken(NO_KEY),
      "web-identity.alg",
      `signing algorithm ${JSON.stringify(alg)} is not allowed (RS256/384/512, ES256/384/512 only; never none or HMAC)`,
      { expected: [...ALGS], actual: alg },
    );
  }
  const kid = typeof header.kid === "string" ? header.kid : "";
  let lookup: KeyLookup;
  try {
    lookup = await o.resolveKey(provider, kid);
  } catch (e) {
    lookup = { kind: "unreachable", detail: e instanceof Error ? e.message : String(e) };
  }
  if (lookup.kind === "unreachable") {
    return fail(
      awsErrors.idpCommunication(NO_KEY),
      "web-identity.jwks",
      `the JWKS of ${provider.url} could not be fetched: ${lookup.detail}`,
    );
  }
  if (lookup.kind === "no-key")
    return fail(
      awsErrors.invalidIdentityToken(NO_KEY),
      "web-identity.kid",
      `no key with kid ${JSON.stringify(kid)} in the JWKS of ${provider.url}`,
      { actual: kid },
    );
  const sigText = parts[2]!;
  if (
    !/^[A-Za-z0-9_-]+$/.test(sigText) ||
    !(await verifyJwsSignature(
      alg,
      lookup.key,
      `${parts[0]!}.${parts[1]!}`,
      Buffer.from(sigText, "base64url"),
    ))
  ) {
    return fail(
      awsErrors.invalidIdentityToken(NO_KEY),
      "web-identity.signature",
      `the signature does not verify with key ${JSON.stringify(kid)} (${alg})`,
    );
  }
  reasons.push({
    check: "web-identity.signature",
    ok: true,
    message: `signature verified with key ${kid} (${alg})`,
  });
  const skew = o.skewSeconds ?? 60;
  const nowS = Math.floor(o.now / 1000);
  const badTime = (["exp", "nbf", "iat"] as const).find(
    (k) => claims[k] !== undefined && !(typeof claims[k] === "number" && Number.isSafeInteger(claims[k])),
  );
  if (badTime !== undefined) {
    return fail(
      awsErrors.invalidIdentityToken(TIMESTAMPS),
      `web-identity.${badTime}`,
      `the ${badTime} claim is ${JSON.stringify(claims[badTime])}; timestamps must be integers (seconds since the epoch)`,
    );
  }
  const num = (v: unknown): number | undefined => (typeof v === "number" ? v : undefined);
  const exp = num(claims.exp);
  if (exp === undefined)
    return fail(
      awsErrors.invalidIdentityToken("Missing a required claim: exp"),
      "web-identity.exp",
      "the token has no exp claim",
    );
  if (nowS - skew >= exp) {
    return fail(
      awsErrors.expiredTokenException(
        `Token expired: current date/time ${nowS} must be before the expiration date/time ${exp}`,
      ),
      "web-identity.exp",
      `the token expired at ${when(exp)} (${nowS - exp} s ago)`,
      { expected: `> ${nowS}`, actual: exp },
    );
  }
  const nbf = num(claims.nbf);
  if (nbf !== undefined && nbf > nowS + skew) {
    return fail(
      awsErrors.invalidIdentityToken("Token is not yet valid (nbf is in the future)"),
      "web-identity.nbf",
      `nbf ${when(nbf)} is ${nbf - nowS} s in the future (skew ${skew} s)`,
    );
  }
  const iat = num(claims.iat);
  if (iat !== undefined && iat > nowS + skew) {
    return fail(
      awsErrors.invalidIdentityToken("Token was issued in the future (iat)"),
      "web-identity.iat",
      `iat ${when(iat)} is ${iat - nowS} s in the future (skew ${skew} s)`,
    );
  }
  const sub = typeof claims.sub === "string" ? claims.sub : "";
  if (sub === "")
    return fail(
      awsErrors.invalidIdentityToken("Missing a required claim: sub"),
      "web-identity.sub",
      "the token has no sub claim",
    );
  reasons.push({ check: "web-identity.time", ok: true, message: `valid until ${when(exp)}` });
  const amr = Array.isArray(claims.amr)
    ? claims.amr.filter((a): a is string => typeof a === "string")
    : typeof claims.amr === "string"
      ? [claims.amr]
      : undefined;
  const out: WebIdentityClaims = { iss, sub, aud, matchedAud, exp, raw: claims };
  if (nbf !== undefined) out.nbf = nbf;
  if (iat !== undefined) out.iat = iat;
  if (amr) out.amr = amr;
  if (typeof claims.azp === "string") out.azp = claims.azp;
  return { ok: true, claims: out, provider, reasons };
}
