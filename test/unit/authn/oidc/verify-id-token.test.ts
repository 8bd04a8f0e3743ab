/** verifyIdToken given the pre-check's parts answers exactly as when it decodes the token itself. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { generateKeyPairSync, sign } from "node:crypto";
import { precheckJwt } from "../../../../src/authn/jwt-precheck.js";
import { verifyIdToken } from "../../../../src/authn/oidc/verify-id-token.js";
import { staticKeySource } from "../../../../src/authn/service-account/key-sources.js";

const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
const other = generateKeyPairSync("ec", { namedCurve: "P-256" });
const b64 = (o: unknown): string => Buffer.from(JSON.stringify(o)).toString("base64url");
const now = 1_800_000_000_000;

function es256(payload: unknown, header: unknown = { alg: "ES256", kid: "k1" }, key = privateKey): string {
  const input = `${b64(header)}.${b64(payload)}`;
  return `${input}.${sign("sha256", Buffer.from(input), { key, dsaEncoding: "ieee-p1363" }).toString("base64url")}`;
}

test("verifyIdToken: the same outcome with and without the pre-check's parts", async () => {
  const keys = staticKeySource([{ kid: "k1", key: publicKey }]);
  const cfg = { issuer: "https://idp.test", audiences: ["kubernetes"], algorithms: ["ES256", "RS256"] };
  const iat = now / 1000;
  const tokens = [
    es256({ iss: "https://idp.test", aud: "kubernetes", sub: "u", exp: iat + 600, iat, group: ["/g"] }),
    es256({ ISS: "https://idp.test", aud: ["kubernetes", "x"], sub: "u", exp: iat + 600 }),
    es256({ iss: "https://other.test", aud: "kubernetes", exp: iat + 600 }),
    es256({ iss: "https://idp.test", aud: "argo", exp: iat + 600 }),
    es256({ iss: "https://idp.test", aud: "kubernetes", exp: iat - 10 }),
    es256({ iss: "https://idp.test", aud: "kubernetes", exp: iat + 600, nbf: iat + 600 }),
    es256({ iss: "https://idp.test", aud: "kubernetes", exp: "soon" }),
    es256({ iss: "https://idp.test", aud: 7, exp: iat + 600 }),
    es256(null),
    es256({ iss: "https://idp.test", aud: "kubernetes", exp: iat + 600 }, { alg: "ES256", kid: "k1" }, other.privateKey),
    es256({ iss: "https://idp.test", aud: "kubernetes", exp: iat + 600 }, { alg: "ES384", kid: "k1" }),
  ];
  for (const [i, token] of tokens.entries()) {
    const pre = precheckJwt(token);
    assert.ok(pre.ok, `token ${i} passes the pre-check`);
    const plain = await verifyIdToken(token, cfg, keys, now);
    const shared = await verifyIdToken(token, cfg, keys, now, pre.jwt);
    assert.deepEqual(shared, plain, `token ${i}`);
  }
  const first = precheckJwt(tokens[0]!);
  const ok = await verifyIdToken(tokens[0]!, cfg, keys, now, first.ok ? first.jwt : undefined);
  assert.equal(ok.ok && ok.claims.sub, "u");
  const expired = await verifyIdToken(tokens[4]!, cfg, keys, now);
  assert.deepEqual(expired, { ok: false, check: "oidc.expiry", message: `oidc: token is expired (Token Expiry: 2027-01-15 07:59:50 +0000 UTC)` });
});
