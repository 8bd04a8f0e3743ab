import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { statSync, writeFileSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { X509Certificate, createPrivateKey } from "node:crypto";
import { kidFromPublicKey } from "../../../src/keys/kid.js";
import { activeKey, generateSigningKey, parseKeyRing, prune, rotate } from "../../../src/keys/keyring.js";
import { FileKeyPersistence, KeyManager } from "../../../src/keys/manager.js";
import { generateSealingKey, seal, unseal } from "../../../src/keys/sealing.js";
import { ensureTls } from "../../../src/keys/tls.js";
import { fixedClock } from "../../../src/lib/clock.js";
import { KubeiamError } from "../../../src/lib/errors.js";
import { tempDir } from "../../helpers/tmp.js";

const T0 = Date.parse("2026-01-01T00:00:00Z");

for (const alg of ["RS256", "ES256"] as const) {
  test(`kid = base64url(SHA-256(DER SPKI)) for ${alg}, as openssl computes it`, async (t) => {
    const dir = await tempDir(t);
    const k = generateSigningKey(alg, T0);
    writeFileSync(join(dir, "k.pem"), k.privateKeyPem);
    const der = execFileSync("openssl", ["pkey", "-in", join(dir, "k.pem"), "-pubout", "-outform", "DER"]);
    const expected = execFileSync("openssl", ["dgst", "-sha256", "-binary"], { input: der }).toString("base64url");
    assert.equal(k.kid, expected);
    assert.equal(kidFromPublicKey(createPrivateKey(k.privateKeyPem)), expected);
  });
}

test("rotation: new key active, old retired but kept for the retention window, then pruned", () => {
  const a = generateSigningKey("ES256", T0);
  let ring = rotate({ version: 1, keys: [] }, a, T0, 1000);
  assert.equal(activeKey(ring)?.kid, a.kid);
  const b = generateSigningKey("ES256", T0 + 10_000);
  ring = rotate(ring, b, T0 + 10_000, 1000);
  assert.equal(activeKey(ring)?.kid, b.kid);
  assert.equal(ring.keys.find((k) => k.kid === a.kid)?.retiredAt, new Date(T0 + 10_000).toISOString());
  assert.equal(prune(ring, T0 + 10_000 + 999_000, 1000).keys.length, 2);
  assert.equal(prune(ring, T0 + 10_000 + 1_000_000, 1000).keys.length, 1);
});

test("key ring files: malformed content is a clear KEY_INVALID", () => {
  for (const text of ["{", "[]", '{"version":2,"keys":[]}', '{"version":1,"keys":[{"kid":1}]}']) {
    assert.throws(() => parseKeyRing(text, "signing.json"), (e: unknown) => e instanceof KubeiamError && e.code === "KEY_INVALID" && e.message.startsWith("signing.json"));
  }
});

test("KeyManager: generates 0600 key files on first start, rotates, serves a JWKS with retained keys", async (t) => {
  const dir = await tempDir(t);
  const clock = fixedClock(T0);
  const km = await KeyManager.open(new FileKeyPersistence(dir), { algorithm: "RS256", retentionSeconds: 3600, clock });
  for (const f of ["signing.json", "sealing.json"]) assert.equal(statSync(join(dir, "keys", f)).mode & 0o777, 0o600, f);
  const first = km.active().kid;
  const jwks1 = JSON.parse(km.jwks().body);
  assert.deepEqual(Object.keys(jwks1.keys[0]), ["use", "kty", "kid", "alg", "n", "e"]);
  assert.equal(jwks1.keys[0].kid, first);
  const reopened = await KeyManager.open(new FileKeyPersistence(dir), { algorithm: "RS256", retentionSeconds: 3600, clock });
  assert.equal(reopened.active().kid, first, "keys persist across restarts");
  clock.advance(1000);
  const fresh = await km.rotate("ES256");
  assert.notEqual(fresh.kid, first);
  assert.equal(km.active().kid, fresh.kid);
  assert.deepEqual(JSON.parse(km.jwks().body).keys.map((k: { kid: string }) => k.kid).sort(), [first, fresh.kid].sort());
  clock.advance(3600_000 + 1);
  const later = await KeyManager.open(new FileKeyPersistence(dir), { algorithm: "RS256", retentionSeconds: 3600, clock });
  assert.deepEqual(JSON.parse(later.jwks().body).keys.map((k: { kid: string }) => k.kid), [fresh.kid], "retired key leaves the JWKS after retention");
});

test("KeyManager follows a rotation done by another process", async (t) => {
  const dir = await tempDir(t);
  const clock = fixedClock(Date.now());
  const server = await KeyManager.open(new FileKeyPersistence(dir), { algorithm: "ES256", retentionSeconds: 3600, clock });
  server.watch();
  t.after(() => server.close());
  const cli = await KeyManager.open(new FileKeyPersistence(dir), { algorithm: "ES256", retentionSeconds: 3600, clock });
  const fresh = await cli.rotate();
  const start = Date.now();
  while (server.active().kid !== fresh.kid && Date.now() - start < 5000) await new Promise((r) => setTimeout(r, 20));
  assert.equal(server.active().kid, fresh.kid);
});

test("sealing: round trip, tamper, wrong context, unknown key", () => {
  const k = generateSealingKey(T0);
  const s = seal(k, Buffer.from("identity"), "sts");
  assert.equal(unseal([k], s, "sts")?.toString(), "identity");
  assert.equal(unseal([k], s, "other"), undefined);
  const flipped = s.slice(0, -2) + (s.endsWith("A") ? "B" : "A") + s.slice(-1);
  assert.equal(unseal([k], flipped, "sts"), undefined);
  assert.equal(unseal([generateSealingKey(T0)], s, "sts"), undefined);
  assert.equal(unseal([k], "garbage", "sts"), undefined);
});

test("TLS: CA and serving certificate with loopback SANs, key files 0600, reused on restart, regenerated for new names", async (t) => {
  const dir = await tempDir(t);
  const a = await ensureTls(dir, { names: ["kubeiam.local"], now: Date.now() });
  const cert = new X509Certificate(a.cert);
  assert.match(cert.subjectAltName ?? "", /DNS:localhost/);
  assert.match(cert.subjectAltName ?? "", /IP Address:127.0.0.1/);
  assert.match(cert.subjectAltName ?? "", /DNS:kubeiam.local/);
  assert.ok(cert.verify(new X509Certificate(a.ca!).publicKey));
  assert.equal(statSync(join(dir, "tls.key")).mode & 0o777, 0o600);
  assert.equal(statSync(join(dir, "ca.key")).mode & 0o777, 0o600);
  const b = await ensureTls(dir, { names: ["kubeiam.local"], now: Date.now() });
  assert.equal(b.cert, a.cert);
  const c = await ensureTls(dir, { names: ["other.example"], now: Date.now() });
  assert.notEqual(c.cert, a.cert);
  assert.equal(c.ca, a.ca, "the CA stays");
  execFileSync("openssl", ["verify", "-CAfile", join(dir, "ca.crt"), join(dir, "tls.crt")]);
  await assert.rejects(ensureTls(dir, { certFile: join(dir, "tls.crt"), keyFile: join(dir, "ca.key"), names: [], now: Date.now() }), /not a matching PEM certificate and key/);
  const own = await ensureTls(dir, { certFile: join(dir, "tls.crt"), keyFile: join(dir, "tls.key"), names: [], now: Date.now() });
  assert.equal(own.cert, readFileSync(join(dir, "tls.crt"), "utf8"));
});
