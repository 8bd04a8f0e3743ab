/** The JWS signature primitive: algorithm and key must fit; none, HMAC and crit never verify. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { constants, createHmac, generateKeyPairSync, sign, type KeyObject } from "node:crypto";
import { verifyJwsSignature } from "../../../src/lib/verify-jws.js";

const rsa = generateKeyPairSync("rsa", { modulusLength: 2048 });
const p256 = generateKeyPairSync("ec", { namedCurve: "P-256" });
const p384 = generateKeyPairSync("ec", { namedCurve: "P-384" });
const p521 = generateKeyPairSync("ec", { namedCurve: "P-521" });
const input = "eyJhbGciOiJSUzI1NiJ9.eyJhIjoxfQ";
const data = Buffer.from(input);
const rs = (h: string, k: KeyObject): Buffer => sign(h, data, k);
const ps = (h: string, k: KeyObject): Buffer =>
  sign(h, data, { key: k, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 });
const es = (h: string, k: KeyObject): Buffer => sign(h, data, { key: k, dsaEncoding: "ieee-p1363" });

test("verifyJwsSignature table", async () => {
  const table: [string, string, KeyObject, Buffer, boolean, Record<string, unknown>?][] = [
    ["RS256", "RS256", rsa.publicKey, rs("sha256", rsa.privateKey), true],
    ["RS384", "RS384", rsa.publicKey, rs("sha384", rsa.privateKey), true],
    ["RS512", "RS512", rsa.publicKey, rs("sha512", rsa.privateKey), true],
    ["PS256", "PS256", rsa.publicKey, ps("sha256", rsa.privateKey), true],
    ["ES256", "ES256", p256.publicKey, es("sha256", p256.privateKey), true],
    ["ES384", "ES384", p384.publicKey, es("sha384", p384.privateKey), true],
    ["ES512", "ES512", p521.publicKey, es("sha512", p521.privateKey), true],
    ["RS256 signature claimed as RS384", "RS384", rsa.publicKey, rs("sha256", rsa.privateKey), false],
    ["RS256 under PS256", "PS256", rsa.publicKey, rs("sha256", rsa.privateKey), false],
    ["ES256 with an RSA key", "ES256", rsa.publicKey, es("sha256", p256.privateKey), false],
    ["RS256 with an EC key", "RS256", p256.publicKey, rs("sha256", rsa.privateKey), false],
    ["ES384 claimed for a P-256 key", "ES384", p256.publicKey, es("sha256", p256.privateKey), false],
    ["ES256 signature in DER", "ES256", p256.publicKey, sign("sha256", data, p256.privateKey), false],
    ["none", "none", rsa.publicKey, Buffer.alloc(0), false],
    [
      "HS256 keyed with the public key",
      "HS256",
      rsa.publicKey,
      createHmac("sha256", rsa.publicKey.export({ type: "spki", format: "pem" }))
        .update(input)
        .digest(),
      false,
    ],
    ["a private key is refused", "RS256", rsa.privateKey, rs("sha256", rsa.privateKey), false],
    [
      "crit header",
      "RS256",
      rsa.publicKey,
      rs("sha256", rsa.privateKey),
      false,
      { alg: "RS256", crit: ["exp"] },
    ],
    ["empty signature", "RS256", rsa.publicKey, Buffer.alloc(0), false],
    ["truncated RSA signature", "RS256", rsa.publicKey, rs("sha256", rsa.privateKey).subarray(1), false],
    [
      "RSA signature of other bytes",
      "RS256",
      rsa.publicKey,
      sign("sha256", Buffer.from(input + "x"), rsa.privateKey),
      false,
    ],
    [
      "ES256 signature of other bytes",
      "ES256",
      p256.publicKey,
      sign("sha256", Buffer.from(input + "x"), { key: p256.privateKey, dsaEncoding: "ieee-p1363" }),
      false,
    ],
  ];
  for (const [name, alg, key, sig, want, header] of table)
    assert.equal(await verifyJwsSignature(alg, key, input, sig, header), want, name);
  // the checks run on the thread pool: many in flight at once each get their own answer
  const results = await Promise.all(
    Array.from({ length: 400 }, (_, i) => table[i % table.length]!).map(([, alg, key, sig, , header]) =>
      verifyJwsSignature(alg, key, input, sig, header),
    ),
  );
  assert.deepEqual(
    results,
    Array.from({ length: 400 }, (_, i) => table[i % table.length]![4]),
  );
});
