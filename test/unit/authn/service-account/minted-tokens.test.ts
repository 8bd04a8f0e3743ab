/** Tokens minted by kubeiam's own issuer (RS256 and ES256) authenticate through its key ring, across a rotation. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { generateSigningKey, loadKey, type LoadedKey } from "../../../../src/keys/keyring.js";
import { mintServiceAccountToken } from "../../../../src/issuer/mint-token.js";
import { ServiceAccountAuthenticator } from "../../../../src/authn/service-account/authenticate-service-account.js";
import { keyRingKeySource } from "../../../../src/authn/service-account/key-sources.js";
import type { KubeObject, ObjectKey } from "../../../../src/store/types.js";
import { keyString } from "../../../../src/store/types.js";

const NOW = Date.UTC(2026, 0, 1);
const ISS = "https://127.0.0.1:8443";
const sa: KubeObject = { apiVersion: "v1", kind: "ServiceAccount", metadata: { name: "demo", namespace: "apps", uid: "u-1" } };
const pod: KubeObject = { apiVersion: "v1", kind: "Pod", metadata: { name: "web", namespace: "apps", uid: "p-1" }, spec: { serviceAccountName: "demo" } };
const objects = new Map([sa, pod].map((o) => [keyString({ kind: o.kind, name: o.metadata.name, namespace: o.metadata.namespace }), o]));
const lookup = { get: (k: ObjectKey) => objects.get(keyString(k)) };

for (const alg of ["RS256", "ES256"] as const) {
  test(`kubeiam-minted ${alg} tokens authenticate, before and after the key is retired`, async () => {
    const ring: LoadedKey[] = [loadKey(generateSigningKey(alg, NOW))];
    const auth = new ServiceAccountAuthenticator({ issuers: [ISS], apiAudiences: [ISS], keys: keyRingKeySource({ verificationKeys: () => ring }), lookup });
    const minted = mintServiceAccountToken({ issuer: ISS, key: ring[0]!, now: NOW, serviceAccount: sa, pod, audiences: ["sts.amazonaws.com"], expirationSeconds: 3600, maxExpirationSeconds: 86400 });
    const r = await auth.authenticate(minted.token, { now: NOW + 1000, audiences: ["sts.amazonaws.com"] });
    assert.equal(r.kind, "ok", JSON.stringify(r));
    assert.equal(r.kind === "ok" && r.user.username, "system:serviceaccount:apps:demo");
    assert.deepEqual(r.kind === "ok" && r.user.extra?.["authentication.kubernetes.io/credential-id"], [`JTI=${minted.claims.jti}`]);
    assert.deepEqual(r.kind === "ok" && r.audiences, ["sts.amazonaws.com"]);
    const api = await auth.authenticate(minted.token, { now: NOW + 1000 });
    assert.deepEqual(api.kind === "error" && api.message, `token audiences ["sts.amazonaws.com"] is invalid for the target audiences ["${ISS}"]`);
    ring.unshift(loadKey(generateSigningKey(alg, NOW + 2000)));
    assert.equal((await auth.authenticate(minted.token, { now: NOW + 3000, audiences: ["sts.amazonaws.com"] })).kind, "ok", "a retired key still verifies");
    ring.pop();
    const gone = await auth.authenticate(minted.token, { now: NOW + 3000, audiences: ["sts.amazonaws.com"] });
    assert.deepEqual(gone.kind === "error" && gone.message, "invalid signature, no keys found");
  });
}
