/** The unverified pre-check kube's JWT authenticators share (`hasCorrectIssuer`). */
import { test } from "node:test";
import assert from "node:assert/strict";
import { decodeBase64UrlRaw, parseJwsHeader, precheckJwt } from "../../../src/authn/jwt-precheck.js";

const b64 = (s: string): string => Buffer.from(s).toString("base64url");
const jwt = (payload: string, header = '{"alg":"RS256"}'): string => `${b64(header)}.${b64(payload)}.c2ln`;

test("pre-check table", () => {
  const table: [string, string, { issuer?: string; reason?: RegExp }][] = [
    ["plain", jwt('{"iss":"https://a"}'), { issuer: "https://a" }],
    ["no iss", jwt('{"sub":"x"}'), { issuer: "" }],
    ["null payload", jwt("null"), { issuer: "" }],
    ["case-insensitive field, last wins (encoding/json)", jwt('{"iss":"https://a","ISS":"https://b"}'), { issuer: "https://b" }],
    ["null iss leaves it unset", jwt('{"iss":null}'), { issuer: "" }],
    ["JSON serialization", ` {"payload":"x"}`, { reason: /JSON serialization/ }],
    ["two parts", "a.b", { reason: /2 dot-separated parts/ }],
    ["four parts", "a.b.c.d", { reason: /4 dot-separated parts/ }],
    ["padded base64", `${b64("{}")}.${Buffer.from('{"iss":"x"}').toString("base64")}.x`, { reason: /base64url/ }],
    ["payload not JSON", `${b64("{}")}.${b64("{nope")}.x`, { reason: /not JSON/ }],
    ["array claims", jwt('["https://a"]'), { reason: /not a JSON object/ }],
    ["string claims", jwt('"https://a"'), { reason: /not a JSON object/ }],
    ["numeric iss", jwt('{"iss":1}'), { reason: /not a string/ }],
    ["oversized", jwt(`{"iss":"${"a".repeat(70_000)}"}`), { reason: /larger than 65536 bytes/ }],
  ];
  for (const [name, token, want] of table) {
    const r = precheckJwt(token);
    if (want.issuer !== undefined) assert.deepEqual(r.ok && r.jwt.issuer, want.issuer, name);
    else assert.match(r.ok ? "ok" : r.reason, want.reason!, name);
  }
});

test("base64url and JWS headers are parsed strictly", () => {
  assert.equal(decodeBase64UrlRaw("a"), undefined, "impossible length");
  assert.equal(decodeBase64UrlRaw("ab=="), undefined, "padding");
  assert.equal(decodeBase64UrlRaw("a+b/"), undefined, "standard alphabet");
  assert.equal(decodeBase64UrlRaw(b64("hi"))?.toString(), "hi");
  assert.deepEqual(parseJwsHeader(b64('{"alg":"ES256","kid":"k"}')), { alg: "ES256", kid: "k", raw: { alg: "ES256", kid: "k" } });
  assert.equal(parseJwsHeader(b64('{"alg":1}')), undefined);
  assert.equal(parseJwsHeader(b64('{"kid":{}}')), undefined);
  assert.equal(parseJwsHeader(b64("[1]")), undefined);
  assert.equal(parseJwsHeader("!!"), undefined);
});

test("pre-check results are reused for the same token within a turn, never across tokens", async () => {
  const a = jwt('{"iss":"https://a"}');
  const b = jwt('{"iss":"https://b"}');
  const first = precheckJwt(a);
  assert.equal(precheckJwt(a), first, "the same token again: the same (read-only) result");
  const rb = precheckJwt(b);
  assert.equal(rb.ok && rb.jwt.issuer, "https://b");
  const again = precheckJwt(a);
  assert.deepEqual(again, first, "a different token in between: recomputed, equal");
  const big = jwt(`{"iss":"${"a".repeat(100)}"}`);
  assert.equal(precheckJwt(big, 50).ok, false, "the size limit is part of the key");
  assert.equal(precheckJwt(big).ok, true);
  await new Promise((r) => setImmediate(r));
  const later = precheckJwt(a);
  assert.notEqual(later, first, "nothing is kept past the turn");
  assert.deepEqual(later, first);
});
