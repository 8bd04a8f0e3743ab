/** Service-account identities (kube's util_test.go cases) and PEM key sources. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { generateKeyPairSync } from "node:crypto";
import { makeServiceAccountUsername, serviceAccountUser, splitServiceAccountUsername } from "../../../../src/authn/service-account/user-info.js";
import { combinedKeySource, keyRingKeySource, publicKeysFromPem, staticKeySource } from "../../../../src/authn/service-account/key-sources.js";
import { kidFromPublicKey } from "../../../../src/keys/kid.js";

test("SplitUsername accepts exactly system:serviceaccount:<ns>:<name> with valid names", () => {
  const valid: [string, string, string][] = [
    ["system:serviceaccount:default:demo", "default", "demo"],
    ["system:serviceaccount:kube-system:a.b-c", "kube-system", "a.b-c"],
  ];
  for (const [u, ns, name] of valid) assert.deepEqual(splitServiceAccountUsername(u), { ok: true, namespace: ns, name });
  for (const u of ["system:serviceaccount:default", "system:serviceaccount:default:a:b", "system:serviceaccounts:default:a", "system:serviceaccount:Default:a", "system:serviceaccount:default:A", "system:serviceaccount::a", "system:serviceaccount:a.b:c", "alice"]) {
    assert.deepEqual(splitServiceAccountUsername(u), { ok: false, message: "Username must be in the form system:serviceaccount:namespace:name" }, u);
  }
  assert.equal(makeServiceAccountUsername("ns", "sa"), "system:serviceaccount:ns:sa");
});

test("user info carries extra keys only when known", () => {
  assert.deepEqual(serviceAccountUser({ namespace: "ns", name: "sa", uid: "u" }), { username: "system:serviceaccount:ns:sa", uid: "u", groups: ["system:serviceaccounts", "system:serviceaccounts:ns"] });
  assert.deepEqual(serviceAccountUser({ namespace: "ns", name: "sa", uid: "u", podName: "p", podUID: "" }).extra, undefined, "pod name without uid is dropped");
  assert.deepEqual(serviceAccountUser({ namespace: "ns", name: "sa", uid: "u", nodeName: "n", credentialID: "JTI=1" }).extra, { "authentication.kubernetes.io/credential-id": ["JTI=1"], "authentication.kubernetes.io/node-name": ["n"] });
});

test("key sources: PEM files (public key, private key), kid selection, key ring, combination", async () => {
  const a = generateKeyPairSync("ec", { namedCurve: "P-256" });
  const b = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const pem = a.publicKey.export({ type: "spki", format: "pem" }).toString() + b.privateKey.export({ type: "pkcs8", format: "pem" }).toString();
  const keys = publicKeysFromPem(pem, "sa.pub");
  assert.deepEqual(keys.map((k) => k.kid), [kidFromPublicKey(a.publicKey), kidFromPublicKey(b.publicKey)]);
  const s = staticKeySource(keys);
  assert.equal((await s.getKeys("")).length, 2);
  assert.equal((await s.getKeys(kidFromPublicKey(b.publicKey))).length, 1);
  assert.equal((await s.getKeys("nope")).length, 0);
  assert.throws(() => publicKeysFromPem("nothing here", "x.pem"), /x\.pem: no PEM key or certificate found/);
  assert.throws(() => publicKeysFromPem("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n", "x.pem"), /x\.pem: a PUBLIC KEY block is not a valid key/);
  const ring = keyRingKeySource({ verificationKeys: () => [{ kid: "r1", publicKey: a.publicKey }] });
  const failing = { getKeys: () => Promise.reject(new Error("down")) };
  const both = combinedKeySource([ring, failing, s]);
  assert.equal((await both.getKeys("")).length, 3);
  await assert.rejects(combinedKeySource([failing]).getKeys(""), /down/);
});
