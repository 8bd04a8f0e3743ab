/**
 * verifyWebIdentityToken, pure: RSA and EC algorithms, audience arrays, the empty-kid quirk, clock
 * skew boundaries, key-resolver failures (IDPCommunicationError), provider near-misses, and the
 * reasons each outcome carries. The table of bad tokens over HTTP is test/integration/sts-errors.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { generateKeyPairSync, sign, type KeyObject } from "node:crypto";
import type { OidcProviderView } from "../../../src/iam/objects.js";
import { verifyWebIdentityToken, type KeyLookup, type KeyResolver } from "../../../src/sts/web-identity.js";

const NOW = 1_800_000_000_000;
const NOW_S = NOW / 1000;
const ISS = "https://oidc.example.com/id/ABC";
const provider: OidcProviderView = {
  objectName: "p",
  url: ISS,
  hostPath: "oidc.example.com/id/ABC",
  arn: "arn:aws:iam::000000000000:oidc-provider/oidc.example.com/id/ABC",
  clientIds: ["sts.amazonaws.com", "other"],
  thumbprints: [],
  createDate: "2024-01-01T00:00:00Z",
};

const rsa = generateKeyPairSync("rsa", { modulusLength: 2048 });
const p256 = generateKeyPairSync("ec", { namedCurve: "P-256" });
const p384 = generateKeyPairSync("ec", { namedCurve: "P-384" });
const KEYS: Record<string, KeyObject> = {
  rsa: rsa.publicKey,
  p256: p256.publicKey,
  p384: p384.publicKey,
  "": rsa.publicKey,
};

const resolver: KeyResolver = (_p, kid) =>
  Promise.resolve<KeyLookup>(KEYS[kid] ? { kind: "key", key: KEYS[kid] } : { kind: "no-key" });

const b64 = (v: unknown): string => Buffer.from(JSON.stringify(v)).toString("base64url");

function jwt(
  claims: Record<string, unknown>,
  o: { alg?: string; kid?: string | null; key?: KeyObject } = {},
): string {
  const alg = o.alg ?? "RS256";
  const header: Record<string, unknown> = { alg };
  if (o.kid !== null) header.kid = o.kid ?? "rsa";
  const input = `${b64(header)}.${b64({ iss: ISS, sub: "system:serviceaccount:ns:sa", aud: ["sts.amazonaws.com"], exp: NOW_S + 600, iat: NOW_S, nbf: NOW_S, ...claims })}`;
  const hash = { "256": "sha256", "384": "sha384", "512": "sha512" }[alg.slice(2)]!;
  const key = o.key ?? rsa.privateKey;
  const sig = alg.startsWith("ES")
    ? sign(hash, Buffer.from(input), { key, dsaEncoding: "ieee-p1363" })
    : sign(hash, Buffer.from(input), key);
  return `${input}.${sig.toString("base64url")}`;
}

const verify = (
  token: string,
  o: { skew?: number; resolve?: KeyResolver; providers?: OidcProviderView[] } = {},
) =>
  verifyWebIdentityToken(token, {
    providers: o.providers ?? [provider],
    resolveKey: o.resolve ?? resolver,
    now: NOW,
    ...(o.skew !== undefined ? { skewSeconds: o.skew } : {}),
  });

describe("verifyWebIdentityToken", () => {
  const algorithms: [string, { alg: string; kid: string; key: KeyObject }][] = [
    ["RS256", { alg: "RS256", kid: "rsa", key: rsa.privateKey }],
    ["RS384", { alg: "RS384", kid: "rsa", key: rsa.privateKey }],
    ["RS512", { alg: "RS512", kid: "rsa", key: rsa.privateKey }],
    ["ES256 (P-256)", { alg: "ES256", kid: "p256", key: p256.privateKey }],
    ["ES384 (P-384)", { alg: "ES384", kid: "p384", key: p384.privateKey }],
  ];
  for (const [name, o] of algorithms) {
    test(`accepts ${name}`, async () => {
      const r = await verify(jwt({}, o));
      assert.ok(r.ok, JSON.stringify(!r.ok && r.error));
      assert.equal(r.provider.arn, provider.arn);
      assert.deepEqual(
        r.reasons.map((x) => [x.check, x.ok]),
        [
          ["web-identity.provider", true],
          ["web-identity.aud", true],
          ["web-identity.signature", true],
          ["web-identity.time", true],
        ],
      );
    });
  }

  test("an RSA signature under an EC key id fails the signature check", async () => {
    const r = await verify(jwt({}, { alg: "RS256", kid: "p256" }));
    assert.ok(!r.ok);
    assert.equal(r.reasons.at(-1)?.check, "web-identity.signature");
  });

  test("claims: the matching audience of an array, amr as a list, azp, and a trailing newline on the token", async () => {
    const r = await verify(
      `${jwt({ aud: ["unrelated", "other", "sts.amazonaws.com"], amr: ["mfa", "pwd"], azp: "client-1" })}\n`,
    );
    assert.ok(r.ok);
    assert.equal(r.claims.matchedAud, "other");
    assert.deepEqual(r.claims.aud, ["unrelated", "other", "sts.amazonaws.com"]);
    assert.deepEqual(r.claims.amr, ["mfa", "pwd"]);
    assert.equal(r.claims.azp, "client-1");
    const single = await verify(jwt({ aud: "sts.amazonaws.com", amr: "pwd" }));
    assert.ok(single.ok);
    assert.deepEqual([single.claims.aud, single.claims.amr], [["sts.amazonaws.com"], ["pwd"]]);
  });

  test('a token without kid is looked up as kid "" (the empty-kid quirk)', async () => {
    let asked: string | undefined;
    const r = await verify(jwt({}, { kid: null }), {
      resolve: (p, kid) => ((asked = kid), resolver(p, kid)),
    });
    assert.ok(r.ok);
    assert.equal(asked, "");
  });

  const skewCases: [string, Record<string, number>, number, string | undefined][] = [
    ["exp exactly now - skew is expired", { exp: NOW_S - 60 }, 60, "web-identity.exp"],
    ["exp one second inside the skew is valid", { exp: NOW_S - 59 }, 60, undefined],
    ["exp now with no skew is expired", { exp: NOW_S }, 0, "web-identity.exp"],
    ["exp a second ahead with no skew is valid", { exp: NOW_S + 1 }, 0, undefined],
    ["nbf at the skew edge is valid", { nbf: NOW_S + 60 }, 60, undefined],
    ["nbf past the skew edge is not yet valid", { nbf: NOW_S + 61 }, 60, "web-identity.nbf"],
    ["iat past the skew edge is in the future", { iat: NOW_S + 61, nbf: NOW_S }, 60, "web-identity.iat"],
    ["an nbf beyond the Date range does not crash", { nbf: 9_007_199_254_740_991 }, 60, "web-identity.nbf"],
  ];
  for (const [name, claims, skew, failed] of skewCases) {
    test(`times: ${name}`, async () => {
      const r = await verify(jwt(claims), { skew });
      if (failed === undefined) assert.ok(r.ok, JSON.stringify(!r.ok && r.reasons));
      else {
        assert.ok(!r.ok);
        assert.equal(r.reasons.at(-1)?.check, failed);
      }
    });
  }

  test("the expired message has epoch seconds, as STS prints them", async () => {
    const r = await verify(jwt({ exp: NOW_S - 3600 }));
    assert.ok(!r.ok);
    assert.deepEqual(
      [r.error.code, r.error.status, r.error.message],
      [
        "ExpiredTokenException",
        400,
        `Token expired: current date/time ${NOW_S} must be before the expiration date/time ${NOW_S - 3600}`,
      ],
    );
  });

  test("JWKS that cannot be fetched: IDPCommunicationError, with the fetch problem in the reason only", async () => {
    const down: KeyResolver = () =>
      Promise.resolve({ kind: "unreachable", detail: "GET https://oidc.example.com/keys: 503" });
    const throws: KeyResolver = () => Promise.reject(new Error("socket hang up"));
    for (const [resolve, detail] of [
      [down, "503"],
      [throws, "socket hang up"],
    ] as const) {
      const r = await verify(jwt({}), { resolve });
      assert.ok(!r.ok);
      assert.deepEqual([r.error.code, r.error.status], ["IDPCommunicationError", 400]);
      assert.ok(!r.error.message.includes(detail));
      assert.equal(r.reasons.at(-1)?.check, "web-identity.jwks");
      assert.ok(r.reasons.at(-1)?.message.includes(detail));
    }
  });

  test("no provider: the reason points out a provider differing only by a trailing slash or case", async () => {
    const slash = await verify(jwt({ iss: `${ISS}/` }));
    assert.ok(!slash.ok);
    assert.equal(slash.error.message, `No OpenIDConnect provider found in your account for ${ISS}/`);
    assert.match(slash.reasons.at(-1)!.message, /differs only by case or a trailing slash/);
    const none = await verify(jwt({}), { providers: [] });
    assert.ok(!none.ok);
    assert.match(none.reasons.at(-1)!.message, /none of the 0 registered OIDC providers/);
  });

  test("signature segments that are not base64url, and unsupported algorithms, never reach the key resolver's key", async () => {
    const good = jwt({});
    const [h, p] = good.split(".");
    for (const token of [`${h!}.${p!}.`, `${h!}.${p!}.a+b/c=`]) {
      const r = await verify(token);
      assert.ok(!r.ok);
      assert.equal(r.error.code, "InvalidIdentityToken");
      assert.equal(r.reasons.at(-1)?.check, "web-identity.signature");
    }
    for (const alg of ["none", "HS256", "HS512", "PS256", "EdDSA", ""]) {
      let called = false;
      const r = await verify(jwt({}).replace(/^[^.]+/, b64({ alg, kid: "rsa" })), {
        resolve: (pv, kid) => ((called = true), resolver(pv, kid)),
      });
      assert.ok(!r.ok);
      assert.equal(r.reasons.at(-1)?.check, "web-identity.alg", alg);
      assert.equal(called, false);
    }
  });
});
