import { test } from "node:test";
import assert from "node:assert/strict";
import { applyPatch } from "../../../../src/admission/tenancy/lib/json-patch.js";
import { isKubeiamError } from "../../../../src/lib/errors.js";

test("applyPatch: add, replace, remove, move, copy, test; the input is not changed", () => {
  const doc = { a: { b: [1, 2] }, "x/y": 1, "m~n": 2 };
  const out = applyPatch(doc, [
    { op: "add", path: "/a/b/-", value: 3 },
    { op: "add", path: "/a/b/0", value: 0 },
    { op: "replace", path: "/x~1y", value: 10 },
    { op: "remove", path: "/m~0n" },
    { op: "copy", from: "/a/b", path: "/c" },
    { op: "move", from: "/x~1y", path: "/z" },
    { op: "test", path: "/z", value: 10 },
    { op: "add", path: "/a/new", value: { k: true } },
  ]);
  assert.deepEqual(out, { a: { b: [0, 1, 2, 3], new: { k: true } }, c: [0, 1, 2, 3], z: 10 });
  assert.deepEqual(doc, { a: { b: [1, 2] }, "x/y": 1, "m~n": 2 });
});

test("applyPatch: bad operations fail", () => {
  const bad = [
    { op: "replace", path: "/nope", value: 1 },
    { op: "remove", path: "/a/b/9" },
    { op: "add", path: "/missing/child", value: 1 },
    { op: "test", path: "/a/b/0", value: 2 },
    { op: "add", path: "no-slash", value: 1 },
  ] as const;
  for (const op of bad)
    assert.throws(
      () => applyPatch({ a: { b: [1] } }, [op]),
      (e: unknown) => isKubeiamError(e),
      JSON.stringify(op),
    );
});
