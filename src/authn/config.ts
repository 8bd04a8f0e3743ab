/**
 * Proposed `authentication:` section of kubeiam.yaml (the lead plugs it into the main schema):
 *
 * ```yaml
 * authentication:
 *   order: [serviceAccount, oidc, iam]     # kube-apiserver's order: SA before JWT before webhook
 *   cacheTTLSeconds: 10                    # verified-token cache (kube: 10 s); 0 disables
 *   cacheMaxEntries: 10000
 *   oidc:                                  # AuthenticationConfiguration `jwt[]` entries
 *   - issuer: {url: https://idp.example, audiences: [kubernetes], certificateAuthority: "PEM" | caFile: ./idp-ca.pem}
 *     claimMappings:
 *       username: {claim: preferred_username, prefix: ""}
 *       groups: {claim: groups, prefix: "oidc:"}
 *     claimValidationRules: [{claim: hd, requiredValue: example.com}]
 *     userValidationRules: [{expression: "!user.username.startsWith('system:')", message: no system names}]
 *   serviceAccount:
 *     issuers: [https://kubernetes.default.svc]   # accepted besides kubeiam's own issuer.url
 *     externalJwksUri: https://cluster.example/openid/v1/jwks
 *     publicKeyFiles: [./sa.pub]
 *     apiAudiences: [https://kubernetes.default.svc]   # default: issuer.audiences
 *   iam: {sts: self, clusterID: kubeiam}
 * ```
 *
 * One deliberate difference from AuthenticationConfiguration: when `claimMappings.username` is
 * omitted it is `{claim: sub}`, and when a username `prefix` is omitted the legacy `--oidc-*`
 * default applies (`<issuer url>#`, none for `email`); `-` means no prefix. Everything written
 * the AuthenticationConfiguration way behaves exactly as in kube-apiserver.
 */
import { readFileSync } from "node:fs";
import { isAbsolute, resolve } from "node:path";
import { z } from "zod";
import { PARTITIONS } from "./iam-token/sts-hosts.js";
import { KubeiamError } from "../lib/errors.js";
import { validateJwtAuthenticators } from "./oidc/compile-jwt-authenticator.js";
import { legacyUsernamePrefix } from "./oidc/from-legacy-flags.js";
import { ALL_OIDC_SIGNING_ALGS, type JwtAuthenticatorSpec } from "./oidc/spec.js";

const nonEmpty = z.string().min(1);

const prefixedClaimOrExpression = z.strictObject({ claim: nonEmpty.optional(), prefix: z.string().optional(), expression: nonEmpty.optional() });

export const oidcIssuerSchema = z.strictObject({
  issuer: z.strictObject({
    url: z.string().min(1),
    discoveryURL: z.string().min(1).optional(),
    audiences: z.array(z.string()).min(1, { message: "at least one audience is required" }),
    audienceMatchPolicy: z.enum(["", "MatchAny"]).optional(),
    /** PEM text of the CA bundle that signs the issuer's serving certificate. */
    certificateAuthority: z.string().min(1).optional(),
    /** Same, read from a file (relative to kubeiam.yaml). */
    caFile: z.string().min(1).optional(),
  }),
  claimValidationRules: z.array(z.strictObject({ claim: nonEmpty.optional(), requiredValue: z.string().optional(), expression: nonEmpty.optional(), message: z.string().optional() })).optional(),
  claimMappings: z
    .strictObject({
      username: prefixedClaimOrExpression.optional(),
      groups: prefixedClaimOrExpression.optional(),
      uid: z.strictObject({ claim: nonEmpty.optional(), expression: nonEmpty.optional() }).optional(),
      extra: z.array(z.strictObject({ key: z.string(), valueExpression: z.string() })).optional(),
    })
    .optional(),
  userValidationRules: z.array(z.strictObject({ expression: z.string(), message: z.string().optional() })).optional(),
  /** Accepted signature algorithms; default all of RS/PS/ES 256/384/512 (never none or HMAC). */
  signingAlgorithms: z.array(z.enum(ALL_OIDC_SIGNING_ALGS)).min(1).optional(),
});

export const AUTHENTICATOR_NAMES = ["serviceAccount", "oidc", "iam"] as const;
export type AuthenticatorName = (typeof AUTHENTICATOR_NAMES)[number];

export const authenticationConfigSchema = z
  .strictObject({
    order: z
      .array(z.enum(AUTHENTICATOR_NAMES))
      .min(1)
      .refine((l) => new Set(l).size === l.length, { message: "each authenticator may appear once" })
      .optional(),
    cacheTTLSeconds: z.int().min(0).max(3600).optional(),
    cacheMaxEntries: z.int().min(1).max(10_000_000).optional(),
    oidc: z.array(oidcIssuerSchema).max(64).optional(),
    serviceAccount: z
      .strictObject({
        /** Issuers accepted besides kubeiam's own `issuer.url`. */
        issuers: z.array(nonEmpty).optional(),
        /** JWKS of an external issuer (https). */
        externalJwksUri: z.url({ protocol: /^https$/, message: "an https URL" }).optional(),
        /** CA bundle file for externalJwksUri. */
        externalJwksCAFile: nonEmpty.optional(),
        /** PEM files with an external issuer's public keys (or certificates). */
        publicKeyFiles: z.array(nonEmpty).optional(),
        /** Default: `issuer.audiences`. */
        apiAudiences: z.array(nonEmpty).min(1).optional(),
        /** Accept legacy Secret-based tokens (issuer kubernetes/serviceaccount); default true. */
        legacyTokens: z.boolean().optional(),
        /** Check legacy tokens against their Secret and ServiceAccount (`--service-account-lookup`); default true. */
        lookup: z.boolean().optional(),
      })
      .optional(),
    /** Placeholder owned by the IAM-token authenticator. */
    iam: z
      .strictObject({
        /** Verify IAM tokens against kubeiam's own STS or the real AWS STS. */
        sts: z.enum(["self", "aws"]).optional(),
        /** The cluster id IAM tokens must name (x-k8s-aws-id); default "kubeiam". */
        clusterID: nonEmpty.optional(),
        partition: z.enum(PARTITIONS).optional(),
      })
      .optional(),
  })
  .superRefine((a, ctx) => {
    a.oidc?.forEach((o, i) => {
      if (o.issuer.certificateAuthority && o.issuer.caFile) ctx.addIssue({ code: "custom", path: ["oidc", i, "issuer"], message: "certificateAuthority and caFile are mutually exclusive" });
    });
  });

export type AuthenticationConfigFile = z.infer<typeof authenticationConfigSchema>;
export type OidcIssuerConfig = z.infer<typeof oidcIssuerSchema>;

export const AUTHENTICATION_DEFAULTS = { order: ["serviceAccount", "oidc", "iam"] as AuthenticatorName[], cacheTTLSeconds: 10, cacheMaxEntries: 10_000, iam: { sts: "self" as const, clusterID: "kubeiam" } };

/** One `authentication.oidc[]` entry → the AuthenticationConfiguration spec, reading caFile relative to `baseDir`. */
export function oidcSpecFromConfig(o: OidcIssuerConfig, baseDir: string): { spec: JwtAuthenticatorSpec; algorithms: string[] | undefined } {
  let ca = o.issuer.certificateAuthority;
  if (o.issuer.caFile) {
    const p = isAbsolute(o.issuer.caFile) ? o.issuer.caFile : resolve(baseDir, o.issuer.caFile);
    try {
      ca = readFileSync(p, "utf8");
    } catch {
      throw new KubeiamError("CONFIG_INVALID", `authentication.oidc: issuer ${o.issuer.url}: cannot read caFile ${p}`, { file: p });
    }
  }
  const url = o.issuer.url;
  const m = o.claimMappings ?? {};
  const username = m.username ?? { claim: "sub" };
  const resolvedUsername = username.claim !== undefined && username.expression === undefined ? { claim: username.claim, prefix: username.prefix === undefined || username.prefix === "-" ? legacyUsernamePrefix(url, username.claim, username.prefix) : username.prefix } : username;
  const spec: JwtAuthenticatorSpec = { issuer: { url, audiences: o.issuer.audiences }, claimMappings: { username: resolvedUsername } };
  if (o.issuer.discoveryURL) spec.issuer.discoveryURL = o.issuer.discoveryURL;
  if (o.issuer.audienceMatchPolicy !== undefined) spec.issuer.audienceMatchPolicy = o.issuer.audienceMatchPolicy;
  if (ca) spec.issuer.certificateAuthority = ca;
  if (m.groups) spec.claimMappings.groups = m.groups;
  if (m.uid) spec.claimMappings.uid = m.uid;
  if (m.extra) spec.claimMappings.extra = m.extra;
  if (o.claimValidationRules) spec.claimValidationRules = o.claimValidationRules;
  if (o.userValidationRules) spec.userValidationRules = o.userValidationRules;
  return { spec, algorithms: o.signingAlgorithms };
}

/**
 * Validates the OIDC entries with kube-apiserver's rules and messages (paths
 * `authentication.oidc[i]…`); `serviceAccountIssuers` may not be reused as OIDC issuers.
 * Returns the messages (empty when valid); caFile must be readable.
 */
export function validateAuthenticationConfig(a: AuthenticationConfigFile, baseDir: string, serviceAccountIssuers: readonly string[]): string[] {
  try {
    const specs = (a.oidc ?? []).map((o) => oidcSpecFromConfig(o, baseDir).spec);
    return validateJwtAuthenticators(specs, "authentication.oidc", serviceAccountIssuers);
  } catch (e) {
    return [e instanceof Error ? e.message : String(e)];
  }
}
