import { test } from "node:test";
import assert from "node:assert/strict";
import { redact, redactString, safeEqual } from "../../../src/lib/redact.js";
import { createLogger } from "../../../src/lib/logger.js";

const jwt = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl";

test("redact removes secret fields, JWTs, IAM tokens and bearer values", () => {
  const out = JSON.stringify(redact({ token: "abc", headers: { authorization: "Bearer xyz" }, secretAccessKey: "s", note: `got ${jwt}`, iam: "k8s-aws-v1.aHR0cHM6Ly9zdHM", privateKeyPem: "-----BEGIN", n: 3, keep: "visible" }));
  for (const secret of ["abc", "xyz", "\"s\"", jwt, "aHR0cHM6Ly9zdHM", "-----BEGIN"]) assert.ok(!out.includes(secret), `leaked ${secret}: ${out}`);
  assert.ok(out.includes("visible"));
  assert.equal(redactString(`Authorization: Bearer ${jwt}`), "Authorization: Bearer [REDACTED]");
});

test("the logger writes one JSON line per event with secrets redacted and respects the level", () => {
  const lines: string[] = [];
  const log = createLogger("info", (l) => lines.push(l), () => 0);
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
