import { test, describe } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { canonicalizeArn, stripArnPath } from "../../../src/authn/iam-token/arn.js";

const t = JSON.parse(
  readFileSync(new URL("../../fixtures/authn/arn-canonicalize.json", import.meta.url), "utf8"),
) as {
  canonicalize: { arn: string; type?: string; canonical?: string; error?: string }[];
  stripPath: [string, string][];
};

describe("canonicalizeArn", () => {
  for (const v of t.canonicalize) {
    test(v.arn || "(empty)", () => {
      const r = canonicalizeArn(v.arn);
      if (v.error !== undefined) assert.deepEqual(r, { ok: false, error: v.error });
      else assert.deepEqual(r, { ok: true, principalType: v.type, canonicalArn: v.canonical });
    });
  }
});

describe("stripArnPath", () => {
  for (const [input, output] of t.stripPath)
    test(input, () => assert.deepEqual(stripArnPath(input), { ok: true, arn: output }));
  test("invalid ARNs are errors", () => {
    assert.deepEqual(stripArnPath("role/x"), {
      ok: false,
      error: "arn 'role/x' is invalid: 'arn: invalid prefix'",
    });
  });
});
