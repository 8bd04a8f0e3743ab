/** The authenticator chain (kube's union semantics) and the verified-token cache. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { audienceAgnostic, cachedAuthenticator, orderedChain, tokenCacheKey, unionAuthenticator } from "../../../src/authn/chain.js";
import { aggregateMessage, goQuote, goQuoteList, goTime } from "../../../src/authn/lib/go-format.js";
import type { AuthnResult, Authenticator } from "../../../src/authn/types.js";

function fake(name: string, answer: (token: string) => AuthnResult, calls: string[] = []): Authenticator {
  return {
    name,
    authenticate: (token) => {
      calls.push(name);
      return Promise.resolve(answer(token));
    },
  };
}
const ok = (username: string, expiresAt?: number): AuthnResult => ({ kind: "ok", user: { username, groups: [] }, reasons: [{ check: "t", ok: true, message: "fine" }], ...(expiresAt ? { expiresAt } : {}) });
const err = (message: string): AuthnResult => ({ kind: "error", message, reasons: [{ check: "t", ok: false, message }] });
const mine = (): AuthnResult => ({ kind: "not-mine" });

test("union: table of outcomes", async () => {
  const table: { name: string; members: AuthnResult[]; failOnError?: boolean; want: { kind: string; message?: string; username?: string; calls: number } }[] = [
    { name: "all not mine → unauthenticated", members: [mine(), mine()], want: { kind: "not-mine", calls: 2 } },
    { name: "first ok wins", members: [ok("a"), ok("b")], want: { kind: "ok", username: "a", calls: 1 } },
    { name: "ok after an error still wins", members: [err("bad"), ok("b")], want: { kind: "ok", username: "b", calls: 2 } },
    { name: "errors aggregate", members: [err("e1"), mine(), err("e2")], want: { kind: "error", message: "[e1, e2]", calls: 3 } },
    { name: "duplicate errors collapse", members: [err("e1"), err("e1")], want: { kind: "error", message: "e1", calls: 2 } },
    { name: "fail on error stops", members: [err("e1"), ok("b")], failOnError: true, want: { kind: "error", message: "e1", calls: 1 } },
    { name: "empty chain", members: [], want: { kind: "not-mine", calls: 0 } },
  ];
  for (const row of table) {
    const calls: string[] = [];
    const u = unionAuthenticator("u", row.members.map((r, i) => fake(`m${i}`, () => r, calls)), row.failOnError ? { failOnError: true } : {});
    const r = await u.authenticate("tok", { now: 0 });
    assert.equal(r.kind, row.want.kind, row.name);
    if (r.kind === "error") assert.equal(r.message, row.want.message, row.name);
    if (r.kind === "ok") {
      assert.equal(r.user.username, row.want.username, row.name);
      assert.equal(r.authenticator, calls.at(-1), row.name);
    }
    assert.equal(calls.length, row.want.calls, row.name);
  }
});

test("ordered chain follows the configured order and skips absent authenticators", async () => {
  const calls: string[] = [];
  const c = orderedChain("authn", ["iam", "oidc", "serviceAccount"], { serviceAccount: fake("serviceAccount", mine, calls), oidc: fake("oidc", mine, calls) });
  assert.equal((await c.authenticate("x", { now: 0 })).kind, "not-mine");
  assert.deepEqual(calls, ["oidc", "serviceAccount"]);
});

test("audience-agnostic: no requested audiences → passes through; disjoint → not mine; else the intersection", async () => {
  const inner = fake("oidc", () => ok("a"));
  const a = audienceAgnostic(inner, ["api", "api2"]);
  const r1 = await a.authenticate("t", { now: 0 });
  assert.deepEqual(r1.kind === "ok" && r1.audiences, undefined);
  const r2 = await a.authenticate("t", { now: 0, audiences: ["x"] });
  assert.equal(r2.kind, "not-mine");
  const r3 = await a.authenticate("t", { now: 0, audiences: ["api2", "x", "api"] });
  assert.deepEqual(r3.kind === "ok" && r3.audiences, ["api", "api2"]);
});

test("cache: successes only, keyed by token and audiences, TTL never beyond the token's expiry, LRU bounded", async () => {
  const calls: string[] = [];
  const inner = fake("x", (t) => (t === "good" ? ok("u") : t === "short" ? ok("s", 5_000) : t.startsWith("k") ? ok(t) : err("bad")), calls);
  const c = cachedAuthenticator(inner, { ttlSeconds: 10, maxEntries: 2 });
  await c.authenticate("good", { now: 0 });
  const hit = await c.authenticate("good", { now: 9_999 });
  assert.deepEqual(calls, ["x"]);
  assert.ok(hit.kind === "ok" && hit.reasons.some((r) => r.check === "authn.cache"));
  await c.authenticate("good", { now: 10_000 });
  assert.equal(calls.length, 2, "expired after the TTL");
  await c.authenticate("good", { now: 10_000, audiences: ["a"] });
  assert.equal(calls.length, 3, "other audiences, other entry");
  await c.authenticate("bad", { now: 0 });
  await c.authenticate("bad", { now: 0 });
  assert.equal(calls.length, 5, "failures are not cached");
  await c.authenticate("short", { now: 0 });
  await c.authenticate("short", { now: 4_999 });
  await c.authenticate("short", { now: 5_000 });
  assert.equal(calls.length, 7, "the token's own expiry bounds the TTL");
  c.clear();
  for (const t of ["k1", "k2", "k3", "k1"]) await c.authenticate(t, { now: 0 });
  assert.equal(c.size, 2);
  assert.equal(c.stats().evictions >= 2, true);
  assert.equal(calls.length, 11, "k1 was evicted by k3");
  const off = cachedAuthenticator(inner, { ttlSeconds: 0 });
  await off.authenticate("good", { now: 0 });
  await off.authenticate("good", { now: 0 });
  assert.equal(calls.length, 13);
});

test("cache: concurrent identical requests share one verification", async () => {
  let n = 0;
  const slow: Authenticator = { name: "slow", authenticate: async () => (n++, await new Promise((r) => setTimeout(r, 20)), ok("u")) };
  const c = cachedAuthenticator(slow, { ttlSeconds: 10 });
  const rs = await Promise.all([1, 2, 3].map(() => c.authenticate("t", { now: 0 })));
  assert.equal(n, 1);
  assert.ok(rs.every((r) => r.kind === "ok"));
});

test("cache keys never contain the token and separate audiences", () => {
  const k = tokenCacheKey("secret-token", undefined);
  assert.ok(!k.includes("secret"));
  assert.notEqual(k, tokenCacheKey("secret-token", []));
  assert.notEqual(tokenCacheKey("t", ["a", "b"]), tokenCacheKey("t", ["ab"]));
  // The key is SHA-256 over length-prefixed audiences (or NUL for none), 0x01 and the token, UTF-8.
  const sha = (s: string): string => createHash("sha256").update(s, "utf8").digest("base64url");
  assert.equal(tokenCacheKey("tök", ["a", "bc"]), sha("1:a2:bc\u0001tök"));
  assert.equal(tokenCacheKey("t", undefined), sha("\u0000\u0001t"));
  assert.equal(tokenCacheKey("t", []), sha("\u0001t"));
});

test("go formatting used in upstream messages", () => {
  assert.equal(goQuote('a"b\\c\n\u0001é\u00a0'), '"a\\"b\\\\c\\n\\x01é\\u00a0"');
  assert.equal(goQuoteList(["a", "b"]), '["a" "b"]');
  assert.equal(goQuoteList([]), "[]");
  assert.equal(goTime(0), "1970-01-01 00:00:00 +0000 UTC");
  assert.equal(goTime(undefined), "0001-01-01 00:00:00 +0000 UTC");
  assert.equal(aggregateMessage(["a", "b", "a"]), "[a, b]");
  assert.equal(aggregateMessage(["a"]), "a");
});
