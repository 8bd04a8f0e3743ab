import { test } from "node:test";
import assert from "node:assert/strict";
import { createPublicKey } from "node:crypto";
import { compactVerify, decodeProtectedHeader } from "jose";
import { loadKey, generateSigningKey } from "../../../src/keys/keyring.js";
import { mintServiceAccountToken } from "../../../src/issuer/mint-token.js";
import { createServiceAccountToken } from "../../../src/issuer/create-token.js";
import { parseDurationSeconds } from "../../../src/issuer/duration.js";
import { discoveryDocument } from "../../../src/issuer/discovery.js";
import { KubeiamError } from "../../../src/lib/errors.js";
import type { KubeObject, ObjectKey } from "../../../src/store/types.js";

const NOW = Date.parse("2026-03-01T12:00:00Z");
const sa: KubeObject = { apiVersion: "v1", kind: "ServiceAccount", metadata: { name: "demo", namespace: "apps", uid: "sa-uid-1" } };
const pod: KubeObject = { apiVersion: "v1", kind: "Pod", metadata: { name: "web-1", namespace: "apps", uid: "pod-uid-1" }, spec: { serviceAccountName: "demo" } };
const otherPod: KubeObject = { apiVersion: "v1", kind: "Pod", metadata: { name: "web-2", namespace: "apps", uid: "pod-uid-2" }, spec: { serviceAccountName: "other" } };
const objects = [sa, pod, otherPod];
const cache = { get: (k: ObjectKey) => objects.find((o) => o.kind === k.kind && o.metadata.name === k.name && o.metadata.namespace === k.namespace) };

for (const alg of ["RS256", "ES256"] as const) {
  test(`minted ${alg} token has kube-apiserver's claims and verifies with the public key`, async () => {
    const key = loadKey(generateSigningKey(alg, NOW));
    const m = createServiceAccountToken({ cache, key, issuer: "https://issuer.test", apiAudiences: ["https://issuer.test"], maxExpirationSeconds: 86400 * 2, now: NOW }, { namespace: "apps", serviceAccount: "demo", audiences: ["sts.amazonaws.com"], expirationSeconds: 86400, boundPod: { name: "web-1" } });
    assert.deepEqual(decodeProtectedHeader(m.token), { alg, kid: key.kid });
    const { payload } = await compactVerify(m.token, createPublicKey(key.privateKey));
    const claims = JSON.parse(new TextDecoder().decode(payload)) as Record<string, any>;
    assert.deepEqual(Object.keys(claims), ["aud", "exp", "iat", "iss", "jti", "kubernetes.io", "nbf", "sub"]);
    assert.deepEqual(claims.aud, ["sts.amazonaws.com"]);
    assert.equal(claims.iat, NOW / 1000);
    assert.equal(claims.nbf, claims.iat);
    assert.equal(claims.exp, claims.iat + 86400);
    assert.equal(claims.iss, "https://issuer.test");
    assert.equal(claims.sub, "system:serviceaccount:apps:demo");
    assert.match(claims.jti, /^[0-9a-f-]{36}$/);
    assert.deepEqual(claims["kubernetes.io"], { namespace: "apps", pod: { name: "web-1", uid: "pod-uid-1" }, serviceaccount: { name: "demo", uid: "sa-uid-1" } });
    assert.equal(m.expirationTimestamp, "2026-03-02T12:00:00Z");
  });
}

test("defaults: 1 hour and the API audiences; unbound tokens carry no pod", () => {
  const key = loadKey(generateSigningKey("ES256", NOW));
  const m = createServiceAccountToken({ cache, key, issuer: "https://i", apiAudiences: ["https://i", "api"], maxExpirationSeconds: 86400, now: NOW }, { namespace: "apps", serviceAccount: "demo" });
  assert.equal(m.claims.exp - m.claims.iat, 3600);
  assert.deepEqual(m.claims.aud, ["https://i", "api"]);
  assert.equal(m.claims["kubernetes.io"].pod, undefined);
});

test("bad requests: unknown service account or pod, other pod's SA, uid mismatch, durations", () => {
  const key = loadKey(generateSigningKey("ES256", NOW));
  const deps = { cache, key, issuer: "https://i", apiAudiences: ["https://i"], maxExpirationSeconds: 7200, now: NOW };
  const cases: { req: Parameters<typeof createServiceAccountToken>[1]; code: string; msg: RegExp }[] = [
    { req: { namespace: "apps", serviceAccount: "ghost" }, code: "TOKEN_SERVICE_ACCOUNT_NOT_FOUND", msg: /serviceaccounts "ghost" not found in namespace "apps"/ },
    { req: { namespace: "other", serviceAccount: "demo" }, code: "TOKEN_SERVICE_ACCOUNT_NOT_FOUND", msg: /not found in namespace "other"/ },
    { req: { namespace: "apps", serviceAccount: "demo", boundPod: { name: "nope" } }, code: "TOKEN_POD_NOT_FOUND", msg: /pods "nope" not found/ },
    { req: { namespace: "apps", serviceAccount: "demo", boundPod: { name: "web-2" } }, code: "REQUEST_INVALID", msg: /^cannot bind token for serviceaccount "demo" to pod running with different serviceaccount name\.$/ },
    { req: { namespace: "apps", serviceAccount: "demo", boundPod: { name: "web-1", uid: "stale" } }, code: "STORE_CONFLICT", msg: /the UID in the bound object reference \(stale\) does not match the UID in record/ },
    { req: { namespace: "apps", serviceAccount: "demo", expirationSeconds: 599 }, code: "TOKEN_DURATION_INVALID", msg: /^spec.expirationSeconds: Invalid value: 599: may not specify a duration less than 10 minutes$/ },
    { req: { namespace: "apps", serviceAccount: "demo", expirationSeconds: 2 ** 32 + 1 }, code: "TOKEN_DURATION_INVALID", msg: /larger than 2\^32 seconds/ },
    { req: { namespace: "apps", serviceAccount: "demo", audiences: [""] }, code: "TOKEN_AUDIENCE_INVALID", msg: /non-empty/ },
  ];
  for (const c of cases) {
    assert.throws(() => createServiceAccountToken(deps, c.req), (e: unknown) => e instanceof KubeiamError && e.code === c.code && c.msg.test(e.message), JSON.stringify(c.req));
  }
  const capped = createServiceAccountToken(deps, { namespace: "apps", serviceAccount: "demo", expirationSeconds: 86400 });
  assert.equal(capped.claims.exp - capped.claims.iat, 7200);
  assert.deepEqual(capped.warnings, ["requested expiration of 86400 seconds shortened to 7200 seconds"]);
});

test("mint refuses a pod of another namespace even with the same SA name", () => {
  const key = loadKey(generateSigningKey("ES256", NOW));
  const foreign: KubeObject = { ...pod, metadata: { ...pod.metadata, namespace: "elsewhere" } };
  assert.throws(() => mintServiceAccountToken({ issuer: "https://i", key, now: NOW, serviceAccount: sa, pod: foreign, audiences: ["a"], expirationSeconds: 600, maxExpirationSeconds: 600 }), /different serviceaccount name/);
});

test("durations", () => {
  assert.equal(parseDurationSeconds("1h"), 3600);
  assert.equal(parseDurationSeconds("1h30m"), 5400);
  assert.equal(parseDurationSeconds("600s"), 600);
  assert.equal(parseDurationSeconds("86400"), 86400);
  for (const bad of ["", "1d", "h", "1.5h", "-1h", "10 m", "1h1"]) assert.throws(() => parseDurationSeconds(bad), (e: unknown) => e instanceof KubeiamError && e.code === "TOKEN_DURATION_INVALID", bad);
});

test("discovery document shape", () => {
  assert.deepEqual(discoveryDocument("https://x", ["RS256", "ES256", "RS256"]), {
    issuer: "https://x",
    jwks_uri: "https://x/openid/v1/jwks",
    response_types_supported: ["id_token"],
    subject_types_supported: ["public"],
    id_token_signing_alg_values_supported: ["ES256", "RS256"],
  });
});
