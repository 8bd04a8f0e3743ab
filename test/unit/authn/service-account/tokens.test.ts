/**
 * Service-account tokens, hostile and friendly, from test/fixtures/authn/service-account/tokens.yaml:
 * each case builds a token, a store view and a clock, and expects kube-apiserver's outcome and
 * exact message.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { createHmac, generateKeyPairSync, sign, type KeyObject } from "node:crypto";
import { readFileSync } from "node:fs";
import { parse } from "yaml";
import { merge } from "../oidc/merge-patch.js";
import { kidFromPublicKey } from "../../../../src/keys/kid.js";
import { ServiceAccountAuthenticator } from "../../../../src/authn/service-account/authenticate-service-account.js";
import { staticKeySource } from "../../../../src/authn/service-account/key-sources.js";
import type { KubeObject, ObjectKey } from "../../../../src/store/types.js";
import { keyString } from "../../../../src/store/types.js";

const NOW = 1514764800;
const ISS = "https://kubeiam.test";
const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
const other = generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey;
const KID = kidFromPublicKey(publicKey);

interface Case {
  name: string;
  claims?: Record<string, unknown>;
  rawPayload?: string;
  header?: Record<string, unknown> | "RAW-GARBAGE";
  sign?: "key" | "other-key" | "hmac-public" | "none";
  token?: string;
  now?: number;
  objects?: Record<string, null | { uid?: string; deletedAgo?: number; labels?: Record<string, string> }>;
  audiences?: string[];
  legacy?: boolean;
  secretToken?: string;
  expect: { kind: "ok" | "error" | "not-mine"; message?: string; username?: string; uid?: string; groups?: string[]; extra?: Record<string, string[]> | null; audiences?: string[] };
}

const cases = parse(readFileSync(new URL("../../../fixtures/authn/service-account/tokens.yaml", import.meta.url), "utf8")) as Case[];


const b64 = (s: string | Buffer): string => Buffer.from(s).toString("base64url");

function signToken(header: Record<string, unknown>, payload: string, how: Case["sign"], key: KeyObject = privateKey): string {
  const input = `${b64(JSON.stringify(header))}.${b64(payload)}`;
  if (how === "none") return `${input}.`;
  if (how === "hmac-public") return `${input}.${b64(createHmac("sha256", publicKey.export({ type: "spki", format: "pem" })).update(input).digest())}`;
  return `${input}.${b64(sign("sha256", Buffer.from(input), how === "other-key" ? other : key))}`;
}

function baseClaims(legacy: boolean): Record<string, unknown> {
  if (legacy) {
    return {
      iss: "kubernetes/serviceaccount",
      sub: "system:serviceaccount:default:demo",
      "kubernetes.io/serviceaccount/namespace": "default",
      "kubernetes.io/serviceaccount/secret.name": "demo-token",
      "kubernetes.io/serviceaccount/service-account.name": "demo",
      "kubernetes.io/serviceaccount/service-account.uid": "sa-uid",
    };
  }
  return {
    aud: [ISS],
    exp: NOW + 3600,
    iat: NOW,
    iss: ISS,
    jti: "jti-1",
    "kubernetes.io": { namespace: "default", node: { name: "n1", uid: "node-uid" }, pod: { name: "web", uid: "pod-uid" }, serviceaccount: { name: "demo", uid: "sa-uid" } },
    nbf: NOW,
    sub: "system:serviceaccount:default:demo",
  };
}

function baseObjects(): KubeObject[] {
  return [
    { apiVersion: "v1", kind: "ServiceAccount", metadata: { name: "demo", namespace: "default", uid: "sa-uid" } },
    { apiVersion: "v1", kind: "Pod", metadata: { name: "web", namespace: "default", uid: "pod-uid" }, spec: { serviceAccountName: "demo" } },
    { apiVersion: "v1", kind: "Node", metadata: { name: "n1", uid: "node-uid" } },
    { apiVersion: "v1", kind: "Secret", metadata: { name: "bound", namespace: "default", uid: "sec-uid" } },
  ];
}

for (const c of cases) {
  test(`service-account token: ${c.name}`, async () => {
    const now = NOW + (c.now ?? 0);
    const header: Record<string, unknown> = c.header === "RAW-GARBAGE" ? {} : merge({ alg: "RS256", kid: KID }, c.header ?? {});
    const payload = c.rawPayload ?? JSON.stringify(merge(baseClaims(c.legacy ?? false), c.claims ?? {}));
    let token = c.token ?? signToken(header, payload, c.sign);
    if (c.header === "RAW-GARBAGE") token = `!!!.${token.split(".")[1]}.${token.split(".")[2]}`;
    if (c.token === "OVERSIZED") token = signToken(header, JSON.stringify({ ...baseClaims(false), pad: "x".repeat(70_000) }), "key");

    const objects = new Map<string, KubeObject>(baseObjects().map((o) => [keyString({ kind: o.kind, name: o.metadata.name, namespace: o.metadata.namespace }), o]));
    if (c.legacy) {
      const s: KubeObject = { apiVersion: "v1", kind: "Secret", metadata: { name: "demo-token", namespace: "default", uid: "st-uid" }, data: { token: Buffer.from(c.secretToken ?? token).toString("base64") } };
      objects.set("Secret/default/demo-token", s);
    }
    for (const [k, patch] of Object.entries(c.objects ?? {})) {
      if (patch === null) {
        assert.ok(objects.delete(k), `fixture names unknown object ${k}`);
        continue;
      }
      const o = objects.get(k);
      assert.ok(o, `fixture names unknown object ${k}`);
      const metadata = { ...o.metadata };
      if (patch.uid !== undefined) metadata.uid = patch.uid;
      if (patch.deletedAgo !== undefined) metadata.deletionTimestamp = new Date((now - patch.deletedAgo) * 1000).toISOString();
      if (patch.labels) metadata.labels = patch.labels;
      objects.set(k, { ...o, metadata });
    }
    const touched: unknown[] = [];
    const auth = new ServiceAccountAuthenticator({
      issuers: [ISS],
      apiAudiences: [ISS],
      keys: staticKeySource([{ kid: KID, key: publicKey }]),
      lookup: { get: (key: ObjectKey) => objects.get(keyString(key)) },
      onLegacyTokenUsed: (s, labels) => touched.push({ s, labels }),
    });
    const r = await auth.authenticate(token, c.audiences ? { now: now * 1000, audiences: c.audiences } : { now: now * 1000 });
    assert.equal(r.kind, c.expect.kind, JSON.stringify(r));
    if (r.kind === "error") {
      assert.equal(r.message, c.expect.message);
      assert.ok(r.reasons.some((x) => !x.ok && x.message === r.message), "the failing check is among the reasons");
      assert.ok(!JSON.stringify(r).includes(token), "the token never appears in the result");
    }
    if (r.kind === "ok") {
      const e = c.expect;
      if (e.username !== undefined) assert.equal(r.user.username, e.username);
      if (e.uid !== undefined) assert.equal(r.user.uid, e.uid);
      if (e.groups !== undefined) assert.deepEqual(r.user.groups, e.groups);
      if (e.extra !== undefined) assert.deepEqual(r.user.extra, e.extra ?? undefined);
      if (e.audiences !== undefined) assert.deepEqual(r.audiences, e.audiences);
      assert.ok(r.reasons.every((x) => x.ok));
      if (c.legacy) {
        assert.equal(r.annotations?.["authentication.k8s.io/legacy-token"], "system:serviceaccount:default:demo");
        assert.deepEqual(touched, [{ s: { namespace: "default", name: "demo-token" }, labels: { "kubernetes.io/legacy-token-last-used": "2018-01-01" } }]);
      } else {
        assert.equal(r.expiresAt, ((merge(baseClaims(false), c.claims ?? {}).exp as number) + 60) * 1000);
      }
    }
  });
}

test("service-account token: legacy tokens are refused when disabled, and not looked up when lookup is off", async () => {
  const payload = JSON.stringify(baseClaims(true));
  const token = signToken({ alg: "RS256", kid: KID }, payload, "key");
  const base = { issuers: [ISS], apiAudiences: [ISS], keys: staticKeySource([{ kid: KID, key: publicKey }]), lookup: { get: () => undefined } };
  assert.equal((await new ServiceAccountAuthenticator({ ...base, legacy: false }).authenticate(token, { now: NOW * 1000 })).kind, "not-mine");
  const r = await new ServiceAccountAuthenticator({ ...base, legacyLookup: false }).authenticate(token, { now: NOW * 1000 });
  assert.equal(r.kind, "ok");
  const withLookup = await new ServiceAccountAuthenticator(base).authenticate(token, { now: NOW * 1000 });
  assert.deepEqual(withLookup.kind === "error" && withLookup.message, "Token has been invalidated");
});

test("service-account token: several failing keys aggregate into one deduplicated message", async () => {
  const k2 = generateKeyPairSync("rsa", { modulusLength: 2048 }).publicKey;
  const token = signToken({ alg: "RS256" }, JSON.stringify(baseClaims(false)), "other-key");
  const auth = new ServiceAccountAuthenticator({ issuers: [ISS], apiAudiences: [ISS], keys: staticKeySource([{ kid: KID, key: publicKey }, { kid: "k2", key: k2 }]), lookup: { get: () => undefined } });
  const r = await auth.authenticate(token, { now: NOW * 1000 });
  assert.deepEqual(r.kind === "error" && r.message, "go-jose/go-jose: error in cryptographic primitive");
});
