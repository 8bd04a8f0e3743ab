import { describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  goCompare,
  goQuote,
  joinQuote,
  pluralize,
  sortedList,
} from "../../../../src/admission/pod-security/lib/text.js";
import {
  aggregateViolations,
  forbiddenPodMessage,
  violatesMessage,
  wouldViolateMessage,
} from "../../../../src/admission/pod-security/messages.js";

/** Inputs and what Go's strconv.Quote returns for them. */
const QUOTE: [string, string][] = [
  ["", '""'],
  ["unconfined", '"unconfined"'],
  ['a"b', '"a\\"b"'],
  ["a\\b", '"a\\\\b"'],
  ["tab\there", '"tab\\there"'],
  ["nl\n", '"nl\\n"'],
  ["\r\x07\b\f\v", '"\\r\\a\\b\\f\\v"'],
  ["\x00\x1f\x7f", '"\\x00\\x1f\\x7f"'],
  ["héllo ✓", '"héllo ✓"'],
  ["\u00a0", '"\\u00a0"'],
  ["\u200b", '"\\u200b"'],
  ["😀", '"😀"'],
  ["\u{e0001}", '"\\U000e0001"'],
  ["\ud800", '"\ufffd"'],
];

describe("Go text helpers", () => {
  for (const [input, quoted] of QUOTE) {
    test(`goQuote(${JSON.stringify(input)})`, () => assert.equal(goQuote(input), quoted));
  }

  test("pluralize picks the singular only for exactly one", () => {
    assert.deepEqual(
      [0, 1, 2].map((n) => pluralize("container", "containers", n)),
      ["containers", "container", "containers"],
    );
  });

  test("joinQuote quotes without escaping", () => {
    assert.equal(joinQuote([]), "");
    assert.equal(joinQuote(["a"]), '"a"');
    assert.equal(joinQuote(["a", 'b"c']), '"a", "b"c"');
  });

  test("Go order is byte order: upper case first, code points beyond the BMP last", () => {
    assert.deepEqual(sortedList(["b", "B", "a", "_", "A", "10", "9"]), ["10", "9", "A", "B", "_", "a", "b"]);
    // UTF-16 order would put U+1F600 (surrogates D83D…) before U+FF5E; UTF-8 order does not
    assert.deepEqual(sortedList(["😀", "～"]), ["～", "😀"]);
    assert.equal(goCompare("a", "a"), 0);
    assert.ok(goCompare("é", "z") > 0);
  });
});

describe("message builders", () => {
  const vs = [
    { reason: "host namespaces", detail: "hostPID=true" },
    { reason: "privileged", detail: "" },
    { reason: "", detail: "x" },
  ];
  test("aggregate: details in parentheses only when present; empty reason shows as unknown", () => {
    assert.equal(
      aggregateViolations(vs),
      "host namespaces (hostPID=true), privileged, unknown forbidden reason (x)",
    );
    assert.equal(aggregateViolations([]), "");
  });
  test("enforce, warning and Forbidden texts", () => {
    const one = [vs[0]!];
    assert.equal(
      violatesMessage("restricted:v1.30", one),
      'violates PodSecurity "restricted:v1.30": host namespaces (hostPID=true)',
    );
    assert.equal(
      wouldViolateMessage("baseline:latest", one),
      'would violate PodSecurity "baseline:latest": host namespaces (hostPID=true)',
    );
    assert.equal(
      forbiddenPodMessage("web", violatesMessage("baseline:latest", one)),
      'pods "web" is forbidden: violates PodSecurity "baseline:latest": host namespaces (hostPID=true)',
    );
  });
});
