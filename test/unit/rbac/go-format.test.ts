import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  aggregateMessage,
  goCompare,
  goJson,
  goQuote,
  goQuoteList,
} from "../../../src/rbac/lib/go-format.js";

describe("Go formatting used in kube-apiserver messages", () => {
  const quotes: [string, string][] = [
    ["plain", '"plain"'],
    ["", '""'],
    ['a"b', '"a\\"b"'],
    ["back\\slash", '"back\\\\slash"'],
    ["tab\tnl\ncr\r", '"tab\\tnl\\ncr\\r"'],
    ["\x07\b\f\v", '"\\a\\b\\f\\v"'],
    ["\x00\x1b\x7f", '"\\x00\\x1b\\x7f"'],
    ["héllo 世界", '"héllo 世界"'],
    ["\u00a0", '"\\u00a0"'],
    ["\u200b", '"\\u200b"'],
    ["😀", '"😀"'],
  ];
  for (const [input, want] of quotes)
    test(`strconv.Quote(${JSON.stringify(input)})`, () => assert.equal(goQuote(input), want));
  test("%q of a slice", () => {
    assert.equal(goQuoteList([]), "[]");
    assert.equal(goQuoteList(["system:authenticated", 'x"y']), '["system:authenticated" "x\\"y"]');
  });
  test("aggregate error messages: one as is, several de-duplicated in brackets", () => {
    assert.equal(aggregateMessage([]), "");
    assert.equal(aggregateMessage(["a"]), "a");
    assert.equal(aggregateMessage(["a", "a"]), "a");
    assert.equal(aggregateMessage(["a", "b", "a"]), "[a, b]");
  });
  test("byte-wise order", () => {
    assert.deepEqual(["b", "B", "a", "é", "z"].sort(goCompare), ["B", "a", "b", "z", "é"]);
    assert.ok(goCompare("\uffff", "😀") < 0, "U+FFFF sorts before a supplementary character in UTF-8");
  });
  test("encoding/json escapes HTML characters and keeps key order", () => {
    assert.equal(
      goJson({ b: "<&>", a: [1, true, null], c: undefined, d: "\u2028" }),
      '{"b":"\\u003c\\u0026\\u003e","a":[1,true,null],"d":"\\u2028"}',
    );
  });
});
