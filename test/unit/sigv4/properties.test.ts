/**
 * Properties over generated requests: what signRequest/presignUrl produce always verifies, and any
 * change to a signed part (method, path, query, signed header, body, time) is rejected.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { parseSignedRequest, presignUrl, signRequest, verifySignature } from "../../../src/sigv4/index.js";
import { uriEncode } from "../../../src/sigv4/lib/canonical.js";
import { incoming } from "./helpers.js";

const segment = fc.string({ minLength: 1, maxLength: 8, unit: "grapheme" }).map((s) => uriEncode(s));
const requestArb = fc.record({
  method: fc.constantFrom("GET", "POST", "PUT", "DELETE"),
  path: fc.array(segment, { maxLength: 3 }).map((s) => "/" + s.join("/")),
  query: fc.array(fc.tuple(fc.string({ minLength: 1, maxLength: 6 }), fc.string({ maxLength: 8 })), {
    maxLength: 4,
  }),
  header: fc.string({ maxLength: 12 }).filter((s) => s.trim() === s && !/[\r\n]/.test(s)),
  body: fc.string({ maxLength: 40 }),
  now: fc
    .integer({ min: Date.UTC(2015, 0, 1) / 1000, max: Date.UTC(2035, 0, 1) / 1000 })
    .map((s) => s * 1000),
  token: fc.option(fc.string({ minLength: 4, maxLength: 20 }), { nil: undefined }),
});

const SECRET = "kGe1zZ8nqR5gL0mV2dA7yT3xW9cB4pH6sJ0fK1uN";
const OPTS = { numRuns: 150, seed: 20240301 };

function url(r: { path: string; query: [string, string][] }): string {
  const q = r.query.map(([k, v]) => `${uriEncode(k)}=${uriEncode(v)}`).join("&");
  return `https://sts.eu-west-1.amazonaws.com${r.path}${q ? "?" + q : ""}`;
}

test("header-signed requests verify, and tampering with any signed part is rejected", () => {
  fc.assert(
    fc.property(requestArb, fc.integer({ min: 0, max: 5 }), (r, tamper) => {
      const credentials = { accessKeyId: "AKIAEXAMPLE", secretAccessKey: SECRET, sessionToken: r.token };
      const signed = signRequest({
        method: r.method,
        url: url(r),
        headers: { "x-custom": r.header, "content-type": "application/x-www-form-urlencoded" },
        body: r.body,
        credentials,
        region: "eu-west-1",
        service: "sts",
        now: r.now,
      });
      const req = incoming(r.method, url(r), Object.entries(signed.headers), r.body);
      const parsed = parseSignedRequest(req);
      assert.ok(parsed.ok);
      assert.ok(verifySignature(parsed.auth, SECRET, req, r.now).ok);

      const bad = { ...req, headers: { ...req.headers } };
      let now = r.now;
      switch (tamper) {
        case 0:
          bad.method = r.method === "GET" ? "POST" : "GET";
          break;
        case 1:
          bad.path = r.path + "x";
          break;
        case 2:
          bad.rawQuery = req.rawQuery + (req.rawQuery ? "&" : "") + "extra=1";
          break;
        case 3:
          bad.headers["x-custom"] = r.header + "!";
          break;
        case 4:
          bad.body = r.body + " ";
          break;
        default:
          now = r.now + 901_000;
      }
      const v = verifySignature(parsed.auth, SECRET, bad, now);
      assert.equal(v.ok, false);
      if (!v.ok) assert.equal(v.error.code, "SignatureDoesNotMatch");
    }),
    OPTS,
  );
});

test("presigned URLs verify only with the signed extra header and host", () => {
  fc.assert(
    fc.property(
      requestArb,
      fc.string({ minLength: 1, maxLength: 20 }).filter((s) => s.trim() === s),
      (r, cluster) => {
        const signedUrl = presignUrl({
          url: url(r),
          headers: { "x-k8s-aws-id": cluster },
          credentials: { accessKeyId: "ASIAEXAMPLE", secretAccessKey: SECRET, sessionToken: r.token },
          region: "eu-west-1",
          service: "sts",
          now: r.now,
          expiresSeconds: 60,
        });
        const req = incoming("GET", signedUrl, [["x-k8s-aws-id", cluster]]);
        const parsed = parseSignedRequest(req);
        assert.ok(parsed.ok);
        assert.equal(parsed.auth.securityToken, r.token === "" ? undefined : r.token);
        assert.ok(verifySignature(parsed.auth, SECRET, req, r.now + 899_000).ok);
        const other = incoming("GET", signedUrl, [["x-k8s-aws-id", cluster + "x"]]);
        assert.equal(verifySignature(parsed.auth, SECRET, other, r.now).ok, false);
        const moved = { ...req, headers: { ...req.headers, host: "127.0.0.1:9443" } };
        assert.equal(verifySignature(parsed.auth, SECRET, moved, r.now).ok, false);
        assert.ok(
          verifySignature(parsed.auth, SECRET, moved, r.now, { hostOverride: "sts.eu-west-1.amazonaws.com" })
            .ok,
        );
      },
    ),
    OPTS,
  );
});
