/**
 * Validates a JWT authenticator spec with kube-apiserver's messages
 * (k8s.io/apiserver pkg/apis/apiserver/validation `validateJWTAuthenticator`) and compiles its CEL
 * expressions. Errors read like Kubernetes field errors:
 * `jwt[0].issuer.url: Invalid value: "http://x": URL scheme must be https`.
 */
import { X509Certificate } from "node:crypto";
import { goQuote } from "../lib/go-format.js";
import { compileCel, type CompiledCel } from "./lib/cel.js";
import type { JwtAuthenticatorSpec, PrefixedClaimOrExpression } from "./spec.js";

export interface CompiledJwtAuthenticator {
  spec: JwtAuthenticatorSpec;
  username: { claim: string; prefix: string } | { expression: CompiledCel };
  groups: { claim: string; prefix: string } | { expression: CompiledCel } | undefined;
  uid: { claim: string } | { expression: CompiledCel } | undefined;
  extra: { key: string; expression: CompiledCel }[];
  /** claim → required value, in configuration order. */
  requiredClaims: { claim: string; value: string }[];
  claimRules: { expression: CompiledCel; message: string }[];
  userRules: { expression: CompiledCel; message: string }[];
}

const invalid = (path: string, value: string | undefined, detail: string): string => `${path}: Invalid value: ${value === undefined ? "null" : goQuote(value)}${detail ? `: ${detail}` : ""}`;
const required = (path: string, detail = ""): string => `${path}: Required value${detail ? `: ${detail}` : ""}`;
const duplicate = (path: string, value: string): string => `${path}: Duplicate value: ${goQuote(value)}`;

const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const HTTP_PATH = /^[A-Za-z0-9/\-._~%!$&'()*+,;=:]+$/;

function validateUrl(url: string, disallowed: readonly string[], path: string): string[] {
  const errs: string[] = [];
  if (disallowed.includes(url)) errs.push(invalid(path, url, `URL must not overlap with disallowed issuers: [${[...new Set(disallowed)].sort().join(" ")}]`));
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    errs.push(invalid(path, url, `parse ${goQuote(url)}: invalid URL`));
    return errs;
  }
  if (u.protocol !== "https:") errs.push(invalid(path, url, "URL scheme must be https"));
  if (u.username !== "" || u.password !== "" || /^[a-z][a-z0-9+.-]*:\/\/[^/?#]*@/i.test(url)) errs.push(invalid(path, url, "URL must not contain a username or password"));
  if (u.search.length > 1) errs.push(invalid(path, url, "URL must not contain a query"));
  if (u.hash.length > 1) errs.push(invalid(path, url, "URL must not contain a fragment"));
  return errs;
}

/** Parses a PEM bundle; undefined when it holds at least one certificate. */
export function caBundleError(pem: string): string | undefined {
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  let good = 0;
  for (const b of blocks) {
    try {
      new X509Certificate(b);
      good++;
    } catch {
      return "data does not contain any valid RSA or ECDSA certificates";
    }
  }
  return good === 0 ? "data does not contain any valid RSA or ECDSA certificates" : undefined;
}

function validateExtraKey(key: string, path: string): string[] {
  if (key.length === 0) return [required(path)];
  const i = key.indexOf("/");
  if (i <= 0 || i === key.length - 1) return [invalid(path, key, 'must be a domain-prefixed path (such as "acme.io/foo")')];
  const host = key.slice(0, i);
  const rest = key.slice(i + 1);
  const errs: string[] = [];
  if (host.length > 253) errs.push(invalid(path, host, "must be no more than 253 characters"));
  if (!DNS1123_SUBDOMAIN.test(host)) {
    errs.push(invalid(path, host, "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"));
  }
  if (!HTTP_PATH.test(rest)) {
    errs.push(invalid(path, rest, "Invalid path (regex used for validation is '[A-Za-z0-9/\\-._~%!$&'()*+,;=:]+')"));
  }
  return errs;
}

function isKubernetesDomainKey(key: string): boolean {
  const i = key.indexOf("/");
  const domain = i < 0 ? "" : key.slice(0, i);
  return domain === "kubernetes.io" || domain.endsWith(".kubernetes.io") || domain === "k8s.io" || domain.endsWith(".k8s.io");
}

export interface CompileResult {
  compiled: CompiledJwtAuthenticator | undefined;
  errors: string[];
}

/**
 * Validates and compiles one authenticator. `path` names it in messages (kube uses `jwt[i]`);
 * `disallowedIssuers` are the service-account issuers, which an OIDC issuer may not reuse.
 */
export function compileJwtAuthenticator(spec: JwtAuthenticatorSpec, path = "jwt[0]", disallowedIssuers: readonly string[] = []): CompileResult {
  const errs: string[] = [];
  const iss = spec.issuer;
  // issuer
  if (!iss.url) errs.push(required(`${path}.issuer.url`));
  else errs.push(...validateUrl(iss.url, disallowedIssuers, `${path}.issuer.url`));
  if (iss.discoveryURL) {
    if (iss.url && iss.url.replace(/\/+$/, "") === iss.discoveryURL.replace(/\/+$/, "")) errs.push(invalid(`${path}.issuer.discoveryURL`, iss.discoveryURL, "discoveryURL must be different from URL"));
    errs.push(...validateUrl(iss.discoveryURL, [], `${path}.issuer.discoveryURL`));
  }
  const auds = iss.audiences;
  if (auds.length === 0) {
    errs.push(required(`${path}.issuer.audiences`, `at least one ${path}.issuer.audiences is required`));
  } else {
    const seen = new Set<string>();
    auds.forEach((a, i) => {
      if (a.length === 0) errs.push(required(`${path}.issuer.audiences[${i}]`));
      if (seen.has(a)) errs.push(duplicate(`${path}.issuer.audiences[${i}]`, a));
      seen.add(a);
    });
    const policy = iss.audienceMatchPolicy ?? "";
    if (auds.length > 1 && policy !== "MatchAny") errs.push(invalid(`${path}.issuer.audienceMatchPolicy`, policy, "audienceMatchPolicy must be MatchAny for multiple audiences"));
    if (auds.length === 1 && policy !== "" && policy !== "MatchAny") errs.push(invalid(`${path}.issuer.audienceMatchPolicy`, policy, "audienceMatchPolicy must be empty or MatchAny for single audience"));
  }
  if (iss.certificateAuthority) {
    const e = caBundleError(iss.certificateAuthority);
    if (e) errs.push(invalid(`${path}.issuer.certificateAuthority`, "<omitted>", e));
  }

  let usesEmailVerified = false;
  // claim validation rules
  const requiredClaims: CompiledJwtAuthenticator["requiredClaims"] = [];
  const claimRules: CompiledJwtAuthenticator["claimRules"] = [];
  const seenClaims = new Set<string>();
  const seenExpr = new Set<string>();
  (spec.claimValidationRules ?? []).forEach((rule, i) => {
    const p = `${path}.claimValidationRules[${i}]`;
    const claim = rule.claim ?? "";
    const expr = rule.expression ?? "";
    if (claim && expr) errs.push(invalid(p, claim, "claim and expression can't both be set"));
    else if (!claim && !expr) errs.push(required(p, "claim or expression is required"));
    else if (claim) {
      if (rule.message) errs.push(invalid(`${p}.message`, rule.message, "may not be specified when claim is set"));
      if (seenClaims.has(claim)) errs.push(duplicate(`${p}.claim`, claim));
      seenClaims.add(claim);
      requiredClaims.push({ claim, value: rule.requiredValue ?? "" });
    } else {
      if (rule.requiredValue) errs.push(invalid(`${p}.requiredValue`, rule.requiredValue, "may not be specified when expression is set"));
      if (seenExpr.has(expr)) {
        errs.push(duplicate(`${p}.expression`, expr));
        return;
      }
      seenExpr.add(expr);
      const c = compileCel(expr, "claims", "bool");
      if (!c.ok) errs.push(invalid(`${p}.expression`, expr, c.message));
      else {
        claimRules.push({ expression: c.compiled, message: rule.message ?? "" });
        usesEmailVerified ||= c.compiled.selects("email_verified");
      }
    }
  });

  // claim mappings
  const m = spec.claimMappings;
  const prefixed = (mapping: PrefixedClaimOrExpression | undefined, p: string, requiredMapping: boolean): { claim: string; prefix: string } | { expression: CompiledCel } | undefined => {
    const claim = mapping?.claim ?? "";
    const expr = mapping?.expression ?? "";
    if (claim && expr) errs.push(invalid(p, "", "claim and expression can't both be set"));
    else if (!claim && !expr) {
      if (requiredMapping) errs.push(required(p, "claim or expression is required"));
    } else if (expr) {
      if (mapping?.prefix !== undefined) errs.push(invalid(`${p}.prefix`, mapping.prefix, "may not be specified when expression is set"));
      const c = compileCel(expr, "claims", "any");
      if (!c.ok) errs.push(invalid(`${p}.expression`, expr, c.message));
      else return { expression: c.compiled };
    } else {
      if (mapping?.prefix === undefined) errs.push(required(`${p}.prefix`, "prefix is required when claim is set. It can be set to an empty string to disable prefixing"));
      return { claim, prefix: mapping?.prefix ?? "" };
    }
    return undefined;
  };
  const username = prefixed(m.username, `${path}.claimMappings.username`, true);
  let usesEmail = false;
  if (username && "expression" in username) {
    usesEmail = username.expression.selects("email");
    usesEmailVerified ||= username.expression.selects("email_verified");
  }
  const groups = prefixed(m.groups, `${path}.claimMappings.groups`, false);
  let uid: CompiledJwtAuthenticator["uid"];
  if (m.uid?.claim && m.uid.expression) errs.push(invalid(`${path}.claimMappings.uid`, "", "claim and expression can't both be set"));
  else if (m.uid?.expression) {
    const c = compileCel(m.uid.expression, "claims", "any");
    if (!c.ok) errs.push(invalid(`${path}.claimMappings.uid.expression`, m.uid.expression, c.message));
    else uid = { expression: c.compiled };
  } else if (m.uid?.claim) uid = { claim: m.uid.claim };

  const extra: CompiledJwtAuthenticator["extra"] = [];
  const seenKeys = new Set<string>();
  (m.extra ?? []).forEach((x, i) => {
    const p = `${path}.claimMappings.extra[${i}]`;
    errs.push(...validateExtraKey(x.key, `${p}.key`));
    if (x.key !== x.key.toLowerCase()) errs.push(invalid(`${p}.key`, x.key, "must be lowercase"));
    if (isKubernetesDomainKey(x.key)) errs.push(invalid(`${p}.key`, x.key, "k8s.io, kubernetes.io and their subdomains are reserved for Kubernetes use"));
    if (seenKeys.has(x.key)) {
      errs.push(duplicate(`${p}.key`, x.key));
      return;
    }
    seenKeys.add(x.key);
    if (!x.valueExpression) {
      errs.push(required(`${p}.valueExpression`));
      return;
    }
    const c = compileCel(x.valueExpression, "claims", "any");
    if (!c.ok) errs.push(invalid(`${p}.valueExpression`, x.valueExpression, c.message));
    else {
      extra.push({ key: x.key, expression: c.compiled });
      usesEmailVerified ||= c.compiled.selects("email_verified");
    }
  });
  if (usesEmail && !usesEmailVerified) {
    errs.push(
      invalid(
        `${path}.claimMappings.username.expression`,
        m.username.expression ?? "",
        "claims.email_verified must be used in claimMappings.username.expression or claimMappings.extra[*].valueExpression or claimValidationRules[*].expression when claims.email is used in claimMappings.username.expression",
      ),
    );
  }

  // user validation rules
  const userRules: CompiledJwtAuthenticator["userRules"] = [];
  const seenUser = new Set<string>();
  (spec.userValidationRules ?? []).forEach((rule, i) => {
    const p = `${path}.userValidationRules[${i}]`;
    if (!rule.expression) {
      errs.push(required(`${p}.expression`));
      return;
    }
    if (seenUser.has(rule.expression)) {
      errs.push(duplicate(`${p}.expression`, rule.expression));
      return;
    }
    seenUser.add(rule.expression);
    const c = compileCel(rule.expression, "user", "bool");
    if (!c.ok) errs.push(invalid(`${p}.expression`, rule.expression, c.message));
    else userRules.push({ expression: c.compiled, message: rule.message ?? "" });
  });

  if (errs.length > 0 || !username) return { compiled: undefined, errors: errs };
  return { compiled: { spec, username, groups, uid, extra, requiredClaims, claimRules, userRules }, errors: [] };
}

/** Validates a list: at most 64 entries, unique issuer URLs and discovery URLs, then each entry. */
export function validateJwtAuthenticators(specs: readonly JwtAuthenticatorSpec[], root = "jwt", disallowedIssuers: readonly string[] = []): string[] {
  if (specs.length > 64) return [`${root}: Too many: ${specs.length}: must have at most 64 items`];
  const errs: string[] = [];
  const urls = new Set<string>();
  const discovery = new Set<string>();
  specs.forEach((s, i) => {
    errs.push(...compileJwtAuthenticator(s, `${root}[${i}]`, disallowedIssuers).errors);
    if (urls.has(s.issuer.url)) errs.push(duplicate(`${root}[${i}].issuer.url`, s.issuer.url));
    urls.add(s.issuer.url);
    if (s.issuer.discoveryURL) {
      if (discovery.has(s.issuer.discoveryURL)) errs.push(duplicate(`${root}[${i}].issuer.discoveryURL`, s.issuer.discoveryURL));
      discovery.add(s.issuer.discoveryURL);
    }
  });
  return errs;
}
