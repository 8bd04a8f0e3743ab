import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { redact, redactRecord, redactString, safeEqual } from "../../../src/lib/redact.js";
import { createLogger } from "../../../src/lib/logger.js";

const jwt = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl";

test("redact removes secret fields, JWTs, IAM tokens and bearer values", () => {
  const out = JSON.stringify(
    redact({
      token: "abc",
      headers: { authorization: "Bearer xyz" },
      secretAccessKey: "s",
      note: `got ${jwt}`,
      iam: "k8s-aws-v1.aHR0cHM6Ly9zdHM",
      privateKeyPem: "-----BEGIN",
      n: 3,
      keep: "visible",
    }),
  );
  for (const secret of ["abc", "xyz", '"s"', jwt, "aHR0cHM6Ly9zdHM", "-----BEGIN"])
    assert.ok(!out.includes(secret), `leaked ${secret}: ${out}`);
  assert.ok(out.includes("visible"));
  assert.equal(redactString(`Authorization: Bearer ${jwt}`), "Authorization: Bearer [REDACTED]");
});

test("the logger writes one JSON line per event with secrets redacted and respects the level", () => {
  const lines: string[] = [];
  const log = createLogger(
    "info",
    (l) => lines.push(l),
    () => 0,
  );
  log.debug("hidden");
  log.info("request", { authorization: "Bearer top-secret", path: "/x" });
  assert.equal(lines.length, 1);
  const rec = JSON.parse(lines[0]!);
  assert.equal(rec.msg, "request");
  assert.equal(rec.path, "/x");
  assert.equal(rec.authorization, "[REDACTED]");
  assert.ok(!lines[0]!.includes("top-secret"));
});

test("safeEqual compares in constant time and exactly", () => {
  assert.equal(safeEqual("abc", "abc"), true);
  assert.equal(safeEqual("abc", "abd"), false);
  assert.equal(safeEqual("abc", "abcd"), false);
  assert.equal(safeEqual("", ""), true);
});

test("redactRecord gives exactly what redact gives for decision records, and leaks nothing", () => {
  const records = [
    {
      time: "t",
      kind: "sts",
      action: "AssumeRoleWithWebIdentity",
      subject: "system:serviceaccount:a:b",
      allowed: true,
      summary: "ok",
      reasons: [{ check: "c", ok: true, message: "m" }],
    },
    {
      time: "t",
      kind: "authn",
      action: "TokenReview",
      allowed: false,
      summary: `rejected ${jwt}`,
      reasons: [
        {
          check: "authn.oidc",
          ok: false,
          message: `token ${jwt} expired`,
          source: "Bearer abc.def",
          expected: { token: "x", aud: ["a"], nested: { privateKey: { d: 1 } } },
          actual: [`k8s-aws-v1.aHR0cHM6Ly9zdHM`, 3, null],
        },
        { check: "x", ok: true, message: "m", sessionToken: "s3cr3t", credential: { id: 1 }, extra: 5 },
      ],
    },
    {
      time: "t",
      kind: "iam",
      action: "CreateAccessKey",
      allowed: true,
      summary: "s",
      reasons: [],
      token: "abc",
      details: { secretAccessKey: "zzz", note: `see ${jwt}` },
    },
  ];
  class Box {
    constructor(readonly v: string) {}
  }
  let deep: Record<string, unknown> = { leaf: "x" };
  for (let i = 0; i < 9; i++) deep = { d: deep };
  const edge: Record<string, unknown>[] = [
    { time: "t", kind: "authz", action: "SAR", allowed: true, summary: "clean", reasons: [{ check: "c", ok: true, message: "m", source: "s", expected: { a: [1, "x"] } }] },
    { time: "t", kind: "authz", action: "SAR", allowed: true, summary: "a Date", reasons: [], when: new Date(0) },
    { time: "t", kind: "authz", action: "SAR", allowed: true, summary: "a class", reasons: [{ check: "c", ok: true, message: "m", actual: new Box("v") }] },
    { time: "t", kind: "authz", action: "SAR", allowed: true, summary: "null secret", reasons: [], token: null, keyCount: 3 },
    { time: "t", kind: "authz", action: "SAR", allowed: true, summary: "too deep", reasons: [{ check: "c", ok: true, message: "m", expected: deep }] },
    { time: "t", kind: "authz", action: "SAR", allowed: true, summary: "BEARER shout", reasons: ["loose", 3] },
  ];
  for (const r of edge) assert.deepEqual(redactRecord(r as (typeof records)[0]), redact(r), String(r.summary));
  for (const r of records) {
    assert.deepEqual(redactRecord(r), redact(r));
    const text = JSON.stringify(redactRecord(r));
    for (const secret of [jwt, "aHR0cHM6Ly9zdHM", "s3cr3t", "zzz", "abc.def", '"abc"'])
      assert.ok(!text.includes(secret), `leaked ${secret}: ${text}`);
  }
});

test("log lines pending at process.exit() are written, not lost", () => {
  const code = `
    import("${new URL("../../../src/lib/logger.ts", import.meta.url).href}").then(({ createLogger }) => {
      const log = createLogger("info");
      for (let i = 0; i < 3; i++) log.info("line " + i, { authorization: "Bearer top-secret" });
      process.exit(3);
    });`;
  const r = spawnSync(process.execPath, ["--import", "tsx", "-e", code], {
    encoding: "utf8",
    timeout: 30_000,
  });
  assert.equal(r.status, 3, r.stderr);
  const lines = r.stderr
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l) as { msg: string; authorization: string });
  assert.deepEqual(
    lines.map((l) => l.msg),
    ["line 0", "line 1", "line 2"],
  );
  assert.ok(lines.every((l) => l.authorization === "[REDACTED]"));
});
