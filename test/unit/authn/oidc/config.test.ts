/** JWT authenticator validation (kube's messages) and the kubeiam.yaml `authentication` section. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { parse } from "yaml";
import { compileJwtAuthenticator, validateJwtAuthenticators } from "../../../../src/authn/oidc/compile-jwt-authenticator.js";
import { jwtAuthenticatorFromFlags } from "../../../../src/authn/oidc/from-legacy-flags.js";
import type { JwtAuthenticatorSpec } from "../../../../src/authn/oidc/spec.js";
import { authenticationConfigSchema, oidcSpecFromConfig, validateAuthenticationConfig } from "../../../../src/authn/config.js";
import { merge } from "./merge-patch.js";

interface Case {
  name: string;
  spec?: Record<string, unknown>;
  disallowed?: string[];
  errors: string[];
}

const cases = parse(readFileSync(new URL("../../../fixtures/authn/oidc/config-validation.yaml", import.meta.url), "utf8")) as Case[];
const base = { issuer: { url: "https://idp.test", audiences: ["k8s"] }, claimMappings: { username: { claim: "sub", prefix: "" } } };

for (const c of cases) {
  test(`jwt authenticator validation: ${c.name}`, () => {
    const spec = merge(base, c.spec ?? {}) as unknown as JwtAuthenticatorSpec;
    const r = compileJwtAuthenticator(spec, "jwt[0]", c.disallowed ?? []);
    assert.deepEqual(r.errors, c.errors);
    assert.equal(r.compiled === undefined, c.errors.length > 0);
  });
}

test("jwt authenticator list: duplicates and the 64 limit", () => {
  const s = base as JwtAuthenticatorSpec;
  assert.deepEqual(validateJwtAuthenticators([s, s]), ['jwt[1].issuer.url: Duplicate value: "https://idp.test"']);
  assert.deepEqual(validateJwtAuthenticators(Array.from({ length: 65 }, () => s)), ["jwt: Too many: 65: must have at most 64 items"]);
});

test("legacy --oidc-* flags: defaults of the username prefix, audiences and algorithms", () => {
  const table: [Parameters<typeof jwtAuthenticatorFromFlags>[0], string, string][] = [
    [{ issuerURL: "https://idp.test", clientID: "k8s" }, "sub", "https://idp.test#"],
    [{ issuerURL: "https://idp.test", clientID: "k8s", usernameClaim: "email" }, "email", ""],
    [{ issuerURL: "https://idp.test", clientID: "k8s", usernamePrefix: "-" }, "sub", ""],
    [{ issuerURL: "https://idp.test", clientID: "k8s", usernameClaim: "email", usernamePrefix: "oidc:" }, "email", "oidc:"],
  ];
  for (const [flags, claim, prefix] of table) {
    const { spec, algorithms } = jwtAuthenticatorFromFlags(flags);
    assert.deepEqual(spec.claimMappings.username, { claim, prefix });
    assert.deepEqual(spec.issuer.audiences, ["k8s"]);
    assert.deepEqual(algorithms, ["RS256"]);
    assert.deepEqual(compileJwtAuthenticator(spec).errors, []);
  }
  const full = jwtAuthenticatorFromFlags({ issuerURL: "https://idp.test", clientID: "k8s", groupsClaim: "groups", groupsPrefix: "gid:", requiredClaims: { hd: "example.com" }, signingAlgs: ["ES256"] });
  assert.deepEqual(full.spec.claimMappings.groups, { claim: "groups", prefix: "gid:" });
  assert.deepEqual(full.spec.claimValidationRules, [{ claim: "hd", requiredValue: "example.com" }]);
  assert.deepEqual(full.algorithms, ["ES256"]);
  assert.throws(() => jwtAuthenticatorFromFlags({ issuerURL: "https://idp.test" }), /^KubeiamError: oidc-issuer-url and oidc-client-id must be specified together when any oidc-\* flags are set$/);
});

test("kubeiam.yaml authentication section: schema, defaults and kube validation", () => {
  const ok = authenticationConfigSchema.safeParse({
    order: ["serviceAccount", "oidc", "iam"],
    cacheTTLSeconds: 10,
    oidc: [{ issuer: { url: "https://idp.test", audiences: ["k8s"] }, claimMappings: { groups: { claim: "group", prefix: "gid:" } } }],
    serviceAccount: { issuers: ["https://kubernetes.default.svc"], apiAudiences: ["https://kubernetes.default.svc"] },
    iam: { sts: "self", clusterID: "kubeiam" },
  });
  assert.ok(ok.success, JSON.stringify(ok.error?.issues));
  const { spec } = oidcSpecFromConfig(ok.data.oidc![0]!, "/");
  assert.deepEqual(spec.claimMappings.username, { claim: "sub", prefix: "https://idp.test#" }, "omitted username → sub with the legacy prefix");
  assert.deepEqual(validateAuthenticationConfig(ok.data, "/", []), []);
  assert.deepEqual(validateAuthenticationConfig(ok.data, "/", ["https://idp.test"]), ['authentication.oidc[0].issuer.url: Invalid value: "https://idp.test": URL must not overlap with disallowed issuers: [https://idp.test]']);
  const email = oidcSpecFromConfig({ issuer: { url: "https://idp.test", audiences: ["k8s"] }, claimMappings: { username: { claim: "email" } } }, "/");
  assert.deepEqual(email.spec.claimMappings.username, { claim: "email", prefix: "" });
  const dash = oidcSpecFromConfig({ issuer: { url: "https://idp.test", audiences: ["k8s"] }, claimMappings: { username: { claim: "sub", prefix: "-" } } }, "/");
  assert.deepEqual(dash.spec.claimMappings.username, { claim: "sub", prefix: "" });

  const bad: [unknown, RegExp][] = [
    [{ order: ["iam", "iam"] }, /each authenticator may appear once/],
    [{ order: ["ldap"] }, /order/],
    [{ oidc: [{ issuer: { url: "https://x", audiences: [] } }] }, /at least one audience is required/],
    [{ oidc: [{ issuer: { url: "https://x", audiences: ["a"], certificateAuthority: "x", caFile: "y" } }] }, /mutually exclusive/],
    [{ oidc: [{ issuer: { url: "https://x", audiences: ["a"] }, signingAlgorithms: ["none"] }] }, /signingAlgorithms/],
    [{ serviceAccount: { externalJwksUri: "http://x/jwks" } }, /https URL/],
    [{ iam: { sts: "gcp" } }, /sts/],
    [{ unknown: true }, /unknown/i],
  ];
  for (const [input, re] of bad) {
    const r = authenticationConfigSchema.safeParse(input);
    assert.equal(r.success, false, JSON.stringify(input));
    assert.match(JSON.stringify(r.error?.issues), re);
  }
  const missingCa = validateAuthenticationConfig({ oidc: [{ issuer: { url: "https://x.test", audiences: ["a"], caFile: "nope.pem" } }] }, "/nonexistent", []);
  assert.deepEqual(missingCa, ["authentication.oidc: issuer https://x.test: cannot read caFile /nonexistent/nope.pem"]);
});
