import { test } from "node:test";
import assert from "node:assert/strict";
import { batchedWriter, createLogger, MAX_BATCH_DELAY_MS } from "../../../src/lib/logger.js";

const at = Date.UTC(2026, 10, 23, 12, 34, 56, 789);
const jwt = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl";

function capture(level: "debug" | "info" | "warn" | "error" = "debug"): { lines: string[]; log: ReturnType<typeof createLogger> } {
  const lines: string[] = [];
  return { lines, log: createLogger(level, (l) => lines.push(l), () => at) };
}

test("one JSON line per event: time, level and message first, then the fields", () => {
  const { lines, log } = capture();
  log.info("started", { port: 8443, names: ["a", "b"], nested: { ok: true }, gone: undefined });
  log.warn("no fields");
  log.error("empty fields", {});
  assert.deepEqual(lines, [
    '{"time":"2026-11-23T12:34:56.789Z","level":"info","msg":"started","port":8443,"names":["a","b"],"nested":{"ok":true}}\n',
    '{"time":"2026-11-23T12:34:56.789Z","level":"warn","msg":"no fields"}\n',
    '{"time":"2026-11-23T12:34:56.789Z","level":"error","msg":"empty fields"}\n',
  ]);
});

test("the same line as serialising the merged record, for awkward messages and fields", () => {
  const cases: [string, Record<string, unknown>][] = [
    ['quote " and \\ and \n newline', { a: 'x"y' }],
    ["unicode é → ✓", { "key with space": 1, "": "empty key" }],
    ["only undefined", { u: undefined }],
    ["overrides", { msg: "field msg", level: "field level", time: "field time", other: 1 }],
  ];
  for (const [msg, fields] of cases) {
    const { lines, log } = capture();
    log.info(msg, fields);
    assert.equal(lines[0], JSON.stringify({ time: "2026-11-23T12:34:56.789Z", level: "info", msg, ...fields }) + "\n", msg);
    assert.deepEqual(JSON.parse(lines[0]), { time: "2026-11-23T12:34:56.789Z", level: "info", msg, ...JSON.parse(JSON.stringify(fields)) });
  }
});

test("levels below the logger's are dropped; enabled() says which are kept", () => {
  const { lines, log } = capture("warn");
  log.debug("d");
  log.info("i");
  log.warn("w");
  log.error("e");
  assert.deepEqual(
    lines.map((l) => (JSON.parse(l) as { msg: string }).msg),
    ["w", "e"],
  );
  assert.deepEqual([log.enabled("info"), log.enabled("warn"), log.enabled("error")], [false, true, true]);
});

test("fields are redacted unless the caller says it already did", () => {
  const { lines, log } = capture();
  log.info("call", { token: "s3cr3t", note: `Bearer ${jwt}`, nested: { password: "p" } });
  log.preRedacted("info", "decision", { decision: { summary: "already clean" } });
  assert.equal(
    lines[0],
    '{"time":"2026-11-23T12:34:56.789Z","level":"info","msg":"call","token":"[REDACTED]","note":"Bearer [REDACTED]","nested":{"password":"[REDACTED]"}}\n',
  );
  assert.ok(!lines.join("").includes("s3cr3t") && !lines.join("").includes(jwt));
  assert.equal(lines[1], '{"time":"2026-11-23T12:34:56.789Z","level":"info","msg":"decision","decision":{"summary":"already clean"}}\n');
});

test("batchedWriter: lines leave together within 20 ms, at once past 64 KiB, and on flush", async () => {
  const chunks: string[] = [];
  const w = batchedWriter((c) => chunks.push(c));
  w.write("a\n");
  await new Promise((r) => setImmediate(r));
  w.write("b\n");
  assert.deepEqual(chunks, [], "nothing is written before the delay");
  await new Promise((r) => setTimeout(r, MAX_BATCH_DELAY_MS + 30));
  assert.deepEqual(chunks, ["a\nb\n"], "both lines in one write");
  const big = "x".repeat(64 * 1024);
  w.write(big);
  assert.deepEqual(chunks, ["a\nb\n", big], "a batch of 64 KiB leaves at once");
  w.write("c\n");
  w.flush();
  assert.deepEqual(chunks.slice(2), ["c\n"]);
  await new Promise((r) => setTimeout(r, MAX_BATCH_DELAY_MS + 30));
  assert.equal(chunks.length, 3, "a flushed batch is not written twice, and its timer is gone");
});
