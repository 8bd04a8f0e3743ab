import { test } from "node:test";
import assert from "node:assert/strict";
import { DecisionLog } from "../../../src/server/decision-log.js";
import { createLogger } from "../../../src/lib/logger.js";
import type { DecisionRecord, Reason } from "../../../src/lib/decision.js";

const jwt = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl";
const clock = { now: () => Date.UTC(2026, 10, 23, 12, 0, 0) };

test("records leave redacted, with their time, oldest first, filtered and bounded by the ring", () => {
  const counted: string[] = [];
  const log = new DecisionLog(3, clock, undefined, (kind, allowed) =>
    counted.push(`${kind}:${String(allowed)}`),
  );
  for (let i = 0; i < 4; i++) {
    log.record({
      kind: i % 2 ? "authz" : "authn",
      action: `A${i}`,
      allowed: i % 2 === 1,
      summary: `token ${jwt} #${i}`,
      reasons: [{ check: "c", ok: true, message: `Bearer ${jwt}`, actual: { token: "s3cr3t" } }],
    });
  }
  assert.deepEqual(counted, ["authn:false", "authz:true", "authn:false", "authz:true"]);
  assert.equal(log.count(), 4);
  const all = log.recent();
  assert.deepEqual(
    all.map((r) => r.action),
    ["A1", "A2", "A3"],
    "the ring keeps the last 3",
  );
  assert.deepEqual(all[0], {
    time: "2026-11-23T12:00:00.000Z",
    kind: "authz",
    action: "A1",
    allowed: true,
    summary: "token [REDACTED-JWT] #1",
    reasons: [{ check: "c", ok: true, message: "Bearer [REDACTED]", actual: { token: "[REDACTED]" } }],
  });
  assert.deepEqual(
    log.recent(1).map((r) => r.action),
    ["A3"],
  );
  assert.deepEqual(
    log.recent(10, { kind: "authn" }).map((r) => r.action),
    ["A2"],
  );
  assert.deepEqual(
    log.recent(10, { allowed: true }).map((r) => r.action),
    ["A1", "A3"],
  );
  assert.ok(!JSON.stringify(all).includes("s3cr3t") && !JSON.stringify(all).includes(jwt));
  assert.equal(log.recent()[0], all[0], "a record is redacted once");
});

test("a record is a snapshot: pushing to the caller's reasons array later does not change it", () => {
  const log = new DecisionLog(10, clock, undefined);
  const reasons: Reason[] = [{ check: "a", ok: true, message: "first" }];
  log.record({ kind: "sts", action: "X", allowed: true, summary: "s", reasons });
  reasons.push({ check: "b", ok: false, message: "later" });
  assert.deepEqual(
    log.recent()[0]!.reasons.map((r) => r.check),
    ["a"],
  );
});

test("at log level info every record is one redacted JSON line; at warn none; followers get redacted records", () => {
  const lines: string[] = [];
  const info = new DecisionLog(
    10,
    clock,
    createLogger("info", (l) => lines.push(l), clock.now),
  );
  const seen: DecisionRecord[] = [];
  const stop = info.follow((r) => seen.push(r));
  info.record({
    kind: "authn",
    action: "TokenReview",
    subject: "alice",
    allowed: false,
    summary: `bad ${jwt}`,
    reasons: [],
  });
  stop();
  info.record({ kind: "authn", action: "TokenReview", allowed: true, summary: "ok", reasons: [] });
  assert.equal(lines.length, 2);
  const first = JSON.parse(lines[0]!) as { msg: string; decision: DecisionRecord };
  assert.equal(first.msg, "decision");
  assert.deepEqual(first.decision, {
    time: "2026-11-23T12:00:00.000Z",
    kind: "authn",
    action: "TokenReview",
    subject: "alice",
    allowed: false,
    summary: "bad [REDACTED-JWT]",
    reasons: [],
  });
  assert.equal(seen.length, 1, "an unsubscribed follower gets nothing more");
  assert.deepEqual(seen[0], first.decision);

  const quiet: string[] = [];
  const warn = new DecisionLog(
    10,
    clock,
    createLogger("warn", (l) => quiet.push(l)),
  );
  warn.record({ kind: "authz", action: "SubjectAccessReview", allowed: true, summary: "ok", reasons: [] });
  assert.deepEqual(quiet, []);
  assert.equal(warn.recent().length, 1);
});

test("reasons given as a function are built only when the record leaves, once", () => {
  let calls = 0;
  const log = new DecisionLog(10, clock, undefined);
  log.record({
    kind: "authz",
    action: "SubjectAccessReview",
    allowed: true,
    summary: "s",
    reasons: () => (calls++, [{ check: "rbac.rule", ok: true, message: `by ${jwt}` }]),
  });
  assert.equal(calls, 0, "not built at record time at log level warn");
  assert.deepEqual(log.recent()[0]!.reasons, [
    { check: "rbac.rule", ok: true, message: "by [REDACTED-JWT]" },
  ]);
  log.recent();
  assert.equal(calls, 1);
  const lines: string[] = [];
  const debug = new DecisionLog(
    10,
    clock,
    createLogger("debug", (l) => lines.push(l)),
  );
  debug.record({
    kind: "authz",
    action: "SubjectAccessReview",
    allowed: true,
    summary: "s",
    reasons: () => [{ check: "x", ok: true, message: "m" }],
  });
  assert.deepEqual((JSON.parse(lines[0]!) as { decision: DecisionRecord }).decision.reasons, [
    { check: "x", ok: true, message: "m" },
  ]);
});

test("an allowed SubjectAccessReview logs at debug; a no-opinion one and every other decision at info", () => {
  const rec = (kind: DecisionRecord["kind"], allowed: boolean) =>
    ({ kind, action: kind === "authz" ? "SubjectAccessReview" : "X", allowed, summary: `${kind} ${String(allowed)}`, reasons: [] }) as const;
  const logged = (level: "info" | "debug"): { level: string; summary: string }[] => {
    const lines: string[] = [];
    const log = new DecisionLog(10, clock, createLogger(level, (l) => lines.push(l)));
    for (const kind of ["authz", "authn", "sts", "admission"] as const) {
      log.record(rec(kind, true));
      log.record(rec(kind, false));
    }
    assert.equal(log.recent().length, 8, "the ring keeps every decision at any level");
    return lines.map((l) => JSON.parse(l) as { level: string; decision: DecisionRecord }).map((l) => ({ level: l.level, summary: l.decision.summary }));
  };
  assert.deepEqual(
    logged("info").map((l) => l.summary),
    ["authz false", "authn true", "authn false", "sts true", "sts false", "admission true", "admission false"],
  );
  const atDebug = logged("debug");
  assert.equal(atDebug.length, 8);
  assert.deepEqual(atDebug[0], { level: "debug", summary: "authz true" });
  assert.deepEqual(atDebug[1], { level: "info", summary: "authz false" });
});
