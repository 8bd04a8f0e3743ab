import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { ERROR_CODES, KubeiamError, asKubeiamError } from "../../../src/lib/errors.js";

test("docs/errors.md lists exactly the codes in ERROR_CODES, with the same exit and HTTP status", () => {
  const doc = readFileSync(new URL("../../../docs/errors.md", import.meta.url), "utf8");
  const rows = new Map<string, { exit: number; http: number }>();
  for (const line of doc.split("\n")) {
    const m = /^\|\s*`?([A-Z][A-Z0-9_]+)`?\s*\|\s*(\d)\s*\|\s*(\d{3})\s*\|/.exec(line);
    if (m) rows.set(m[1]!, { exit: Number(m[2]), http: Number(m[3]) });
  }
  const codes = Object.keys(ERROR_CODES).sort();
  assert.deepEqual([...rows.keys()].sort(), codes, "docs/errors.md and src/lib/errors.ts differ");
  for (const [code, spec] of Object.entries(ERROR_CODES)) {
    assert.deepEqual(rows.get(code), { exit: spec.exit, http: spec.http }, `row for ${code}`);
  }
});

test("KubeiamError carries code, exit code, HTTP status and context; unknown errors become INTERNAL", () => {
  const e = new KubeiamError("STORE_CONFLICT", "changed", { key: "k" });
  assert.equal(e.exitCode, 1);
  assert.equal(e.httpStatus, 409);
  assert.deepEqual(e.toJSON(), { code: "STORE_CONFLICT", message: "changed", context: { key: "k" } });
  assert.equal(asKubeiamError(e), e);
  const w = asKubeiamError(new TypeError("boom"));
  assert.equal(w.code, "INTERNAL");
  assert.equal(w.exitCode, 2);
});
