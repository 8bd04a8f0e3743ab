/**
 * OIDC ID tokens, hostile and friendly, from test/fixtures/authn/oidc/tokens.yaml, through the
 * OidcAuthenticator with a static key set (kube's `Options.KeySet`): kube-apiserver's outcome and
 * exact message for each.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { createHmac, generateKeyPairSync, sign, type KeyObject } from "node:crypto";
import { readFileSync } from "node:fs";
import { parse } from "yaml";
import { merge } from "./merge-patch.js";
import { createOidcAuthenticator } from "../../../../src/authn/oidc/authenticate-oidc.js";
import type { JwtAuthenticatorSpec } from "../../../../src/authn/oidc/spec.js";
import { staticKeySource } from "../../../../src/authn/service-account/key-sources.js";
import { fixedClock } from "../../../../src/lib/clock.js";

const NOW = 1514764800;
const ISS = "https://idp.test";
const rsa = generateKeyPairSync("rsa", { modulusLength: 2048 });
const ec = generateKeyPairSync("ec", { namedCurve: "P-256" });
const other = generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey;

interface Case {
  name: string;
  spec?: Record<string, unknown>;
  algorithms?: string[];
  claims?: Record<string, unknown>;
  rawPayload?: string;
  header?: Record<string, unknown>;
  sign?: "rsa" | "ec" | "other" | "hmac-public" | "none";
  token?: string;
  expect: { kind: "ok" | "error" | "not-mine"; message?: string; username?: string; uid?: string; groups?: string[]; extra?: Record<string, string[]> };
}

const cases = parse(readFileSync(new URL("../../../fixtures/authn/oidc/tokens.yaml", import.meta.url), "utf8")) as Case[];


const b64 = (s: string | Buffer): string => Buffer.from(s).toString("base64url");

function signToken(header: Record<string, unknown>, payload: string, how: Case["sign"] = "rsa"): string {
  const input = `${b64(JSON.stringify(header))}.${b64(payload)}`;
  if (how === "none") return `${input}.`;
  if (how === "hmac-public") return `${input}.${b64(createHmac("sha256", rsa.publicKey.export({ type: "spki", format: "pem" })).update(input).digest())}`;
  if (how === "ec") return `${input}.${b64(sign("sha256", Buffer.from(input), { key: ec.privateKey, dsaEncoding: "ieee-p1363" }))}`;
  const alg = String(header.alg);
  const key: KeyObject = how === "other" ? other : rsa.privateKey;
  if (alg.startsWith("PS")) return `${input}.${b64(sign("sha256", Buffer.from(input), { key, padding: 6, saltLength: 32 }))}`;
  return `${input}.${b64(sign("sha256", Buffer.from(input), key))}`;
}

const baseSpec: JwtAuthenticatorSpec = { issuer: { url: ISS, audiences: ["kubernetes"] }, claimMappings: { username: { claim: "sub", prefix: "" }, groups: { claim: "groups", prefix: "oidc:" } } };
const baseClaims = { iss: ISS, aud: "kubernetes", sub: "alice", iat: NOW, exp: NOW + 600, groups: ["dev"] };

for (const c of cases) {
  test(`oidc token: ${c.name}`, async () => {
    const spec = merge(baseSpec as unknown as Record<string, unknown>, c.spec ?? {}) as unknown as JwtAuthenticatorSpec;
    const keys = staticKeySource([
      { kid: "rsa-1", key: rsa.publicKey },
      { kid: "ec-1", key: ec.publicKey },
    ]);
    const auth = createOidcAuthenticator([spec], ["https://kubeiam.test"], { clock: fixedClock(NOW * 1000), keySources: { [ISS]: keys }, ...(c.algorithms ? { algorithms: c.algorithms } : {}) });
    const header = merge({ alg: "RS256", kid: "rsa-1" }, c.header ?? {});
    let token = c.token ?? signToken(header, c.rawPayload ?? JSON.stringify(merge(baseClaims, c.claims ?? {})), c.sign);
    if (c.token === "OVERSIZED") token = signToken(header, JSON.stringify({ ...baseClaims, pad: "x".repeat(70_000) }));
    const r = await auth.authenticate(token, { now: NOW * 1000 });
    assert.equal(r.kind, c.expect.kind, JSON.stringify(r));
    if (r.kind === "error") {
      assert.equal(r.message, c.expect.message);
      assert.ok(r.reasons.some((x) => !x.ok && x.message === r.message), "the failing check is among the reasons");
      assert.ok(!JSON.stringify(r).includes(token));
    }
    if (r.kind === "ok") {
      const e = c.expect;
      if (e.username !== undefined) assert.equal(r.user.username, e.username);
      if (e.uid !== undefined) assert.equal(r.user.uid, e.uid);
      if (e.groups !== undefined) assert.deepEqual(r.user.groups, e.groups);
      if (e.extra !== undefined) assert.deepEqual(r.user.extra, e.extra);
      assert.equal(r.audiences, undefined, "OIDC reports no audiences when none were requested");
      assert.equal(r.expiresAt, (merge(baseClaims, c.claims ?? {}).exp as number) * 1000);
    }
  });
}

test("oidc: audience-agnostic wrapping answers only for API audiences and reports the intersection", async () => {
  const auth = createOidcAuthenticator([baseSpec], ["https://kubeiam.test", "api-2"], { clock: fixedClock(NOW * 1000), keySources: { [ISS]: staticKeySource([{ kid: "rsa-1", key: rsa.publicKey }]) } });
  const token = signToken({ alg: "RS256", kid: "rsa-1" }, JSON.stringify(baseClaims));
  const ok = await auth.authenticate(token, { now: NOW * 1000, audiences: ["api-2", "other"] });
  assert.equal(ok.kind, "ok");
  assert.deepEqual(ok.kind === "ok" && ok.audiences, ["api-2"]);
  const foreign = await auth.authenticate(token, { now: NOW * 1000, audiences: ["sts.amazonaws.com"] });
  assert.equal(foreign.kind, "not-mine");
});

test("oidc: several issuers; each token goes to its own issuer, errors stop the chain", async () => {
  const second: JwtAuthenticatorSpec = { ...baseSpec, issuer: { url: "https://idp2.test", audiences: ["k8s"] } };
  const keys = staticKeySource([{ kid: "rsa-1", key: rsa.publicKey }]);
  const auth = createOidcAuthenticator([baseSpec, second], ["https://kubeiam.test"], { clock: fixedClock(NOW * 1000), keySources: { [ISS]: keys, "https://idp2.test": keys } });
  const t2 = signToken({ alg: "RS256", kid: "rsa-1" }, JSON.stringify({ ...baseClaims, iss: "https://idp2.test", aud: "k8s", sub: "bob" }));
  const r = await auth.authenticate(t2, { now: NOW * 1000 });
  assert.deepEqual(r.kind === "ok" && [r.user.username, r.authenticator], ["bob", "oidc:https://idp2.test"]);
  const bad = signToken({ alg: "RS256", kid: "rsa-1" }, JSON.stringify({ ...baseClaims, iss: "https://idp2.test", aud: "kubernetes" }));
  const e = await auth.authenticate(bad, { now: NOW * 1000 });
  assert.deepEqual(e.kind === "error" && e.message, 'oidc: verify token: oidc: expected audience "k8s" got ["kubernetes"]');
});

test("oidc: an authenticator whose discovery fails is not initialized, and retries no sooner than the interval", async () => {
  const spec: JwtAuthenticatorSpec = { ...baseSpec, issuer: { url: "https://127.0.0.1:1", audiences: ["kubernetes"] } };
  const clock = fixedClock(NOW * 1000);
  const auth = createOidcAuthenticator([spec], [], { clock, timeoutMs: 2000 });
  const token = signToken({ alg: "RS256", kid: "rsa-1" }, JSON.stringify({ ...baseClaims, iss: "https://127.0.0.1:1" }));
  const r = await auth.authenticate(token, { now: NOW * 1000 });
  assert.deepEqual(r.kind === "error" && r.message, "oidc: authenticator not initialized");
  assert.match(auth.health() ?? "", /^oidc: authenticator for issuer "https:\/\/127\.0\.0\.1:1" is not healthy: GET https:\/\/127\.0\.0\.1:1\/\.well-known\/openid-configuration: /);
  await auth.close();
});

test("oidc: invalid configuration is refused with kube's messages", () => {
  assert.throws(
    () => createOidcAuthenticator([{ ...baseSpec, issuer: { url: "http://idp.test", audiences: [] } }], [], { clock: fixedClock(0) }),
    (e: Error & { context?: { errors?: string[] } }) => {
      assert.deepEqual(e.context?.errors, ['jwt[0].issuer.url: Invalid value: "http://idp.test": URL scheme must be https', "jwt[0].issuer.audiences: Required value: at least one jwt[0].issuer.audiences is required"]);
      return true;
    },
  );
  assert.throws(() => createOidcAuthenticator([baseSpec], [], { clock: fixedClock(0), algorithms: ["HS256"] }), /oidc: unsupported signing alg: "HS256"/);
});
