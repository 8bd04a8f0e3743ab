/** Sealed session credentials: round trip, expiry, key-id binding, tampering, retired and unknown sealing keys. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { generateSealingKey } from "../../../src/keys/sealing.js";
import {
  createSessionOpener,
  issueSessionCredentials,
  openSessionToken,
  type SessionIdentity,
} from "../../../src/sts/session-credentials.js";

const NOW = 1_800_000_000_000;
const identity: SessionIdentity = {
  arn: "arn:aws:sts::000000000000:assumed-role/app/s1",
  userId: "AROAABCDEFGHIJKLMNOPQ:s1",
  account: "000000000000",
  roleArn: "arn:aws:iam::000000000000:role/app",
  sessionName: "s1",
  expiresAt: NOW + 900_000,
  chained: false,
  sessionPolicy: '{"Version":"2012-10-17","Statement":[]}',
};

test("issued credentials open to the same identity and secret, with any sealing key still held", () => {
  const old = generateSealingKey(NOW - 1000);
  const active = generateSealingKey(NOW);
  const c = issueSessionCredentials(old, identity);
  assert.match(c.accessKeyId, /^ASIA[A-Z2-7]{16}$/);
  assert.equal(c.secretAccessKey.length, 40);
  assert.equal(c.expiration, identity.expiresAt);
  const opened = openSessionToken([active, old], c.sessionToken, c.accessKeyId, NOW);
  assert.ok(opened.ok);
  assert.equal(opened.secretAccessKey, c.secretAccessKey);
  assert.deepEqual(opened.identity, identity);
  // neither the secret nor the identity is readable in the token
  assert.ok(!c.sessionToken.includes(c.secretAccessKey));
  assert.ok(
    !Buffer.from(c.sessionToken.split(".")[1]!, "base64url").toString("latin1").includes("assumed-role"),
  );
});

test("each issue makes a new key id, secret and token", () => {
  const k = generateSealingKey(NOW);
  const a = issueSessionCredentials(k, identity);
  const b = issueSessionCredentials(k, identity);
  assert.notEqual(a.accessKeyId, b.accessKeyId);
  assert.notEqual(a.secretAccessKey, b.secretAccessKey);
  assert.notEqual(a.sessionToken, b.sessionToken);
});

test("refusals: expired, another key id, tampered, unknown sealing key, not a token, oversized", () => {
  const k = generateSealingKey(NOW);
  const c = issueSessionCredentials(k, identity);
  // Flips the highest bit of one base64url character: a bit that always matters, even in the last
  // character (whose low bits may be padding, so changing those leaves the same bytes).
  const B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  const flip = (s: string, i: number): string =>
    s.slice(0, i) + B64[B64.indexOf(s[i]!) ^ 32]! + s.slice(i + 1);
  const cases: [string, ReturnType<typeof openSessionToken>][] = [
    ["at expiry", openSessionToken([k], c.sessionToken, c.accessKeyId, identity.expiresAt)],
    ["another access key id", openSessionToken([k], c.sessionToken, "ASIAAAAAAAAAAAAAAAAA", NOW)],
    [
      "one character changed",
      openSessionToken([k], flip(c.sessionToken, Math.floor(c.sessionToken.length / 2)), c.accessKeyId, NOW),
    ],
    [
      "last character changed",
      openSessionToken([k], flip(c.sessionToken, c.sessionToken.length - 1), c.accessKeyId, NOW),
    ],
    ["unknown sealing key", openSessionToken([generateSealingKey(NOW)], c.sessionToken, c.accessKeyId, NOW)],
    ["no key id prefix", openSessionToken([k], c.sessionToken.split(".")[1]!, c.accessKeyId, NOW)],
    ["garbage", openSessionToken([k], "FwoGZXIvYXdzEXAMPLE", c.accessKeyId, NOW)],
    ["oversized", openSessionToken([k], `${k.kid}.${"A".repeat(9000)}`, c.accessKeyId, NOW)],
  ];
  const expected: Record<string, string> = { "at expiry": "expired", "another access key id": "mismatch" };
  for (const [name, r] of cases) {
    assert.ok(!r.ok, name);
    assert.equal(r.reason, expected[name] ?? "invalid", name);
  }
  assert.ok(openSessionToken([k], c.sessionToken, c.accessKeyId, identity.expiresAt - 1).ok);
});

test("the session opener caches opened tokens, but still checks the key id, the expiry and that the sealing key is held", () => {
  const k = generateSealingKey(NOW);
  const c = issueSessionCredentials(k, identity);
  const open = createSessionOpener(2);
  const first = open([k], c.sessionToken, c.accessKeyId, NOW);
  const again = open([k], c.sessionToken, c.accessKeyId, NOW);
  assert.ok(first.ok && again.ok);
  assert.deepEqual(again, first);
  assert.deepEqual(open([k], c.sessionToken, "ASIAAAAAAAAAAAAAAAAA", NOW), { ok: false, reason: "mismatch" });
  assert.deepEqual(open([generateSealingKey(NOW)], c.sessionToken, c.accessKeyId, NOW), {
    ok: false,
    reason: "invalid",
  });
  assert.deepEqual(open([k], c.sessionToken, c.accessKeyId, identity.expiresAt), {
    ok: false,
    reason: "expired",
  });
  // bounded: older entries are dropped, and reopened on use
  const others = [1, 2, 3].map(() => issueSessionCredentials(k, identity));
  for (const o of others) assert.ok(open([k], o.sessionToken, o.accessKeyId, NOW).ok);
  assert.ok(open([k], others[0]!.sessionToken, others[0]!.accessKeyId, NOW).ok);
});
