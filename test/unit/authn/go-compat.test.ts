import { test, describe } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import fc from "fast-check";
import { decodeRawUrlBase64 } from "../../../src/authn/iam-token/lib/go-base64.js";
import { parseAmzDate } from "../../../src/authn/iam-token/lib/go-time.js";
import {
  goAtoi,
  goEqualFold,
  goQuote,
  goToLower,
  textToBinary,
  binaryToText,
} from "../../../src/authn/iam-token/lib/go-strings.js";
import { goParseQuery } from "../../../src/authn/iam-token/lib/go-url.js";

describe("decodeRawUrlBase64", () => {
  test("round-trips whatever Node encodes as unpadded base64url", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        const r = decodeRawUrlBase64(Buffer.from(Buffer.from(bytes).toString("base64url")));
        assert.ok(r.ok);
        assert.deepEqual([...r.bytes], [...bytes]);
      }),
    );
  });

  test("agrees with a reference model on strings mixing the alphabet, padding, CR/LF and strays", () => {
    const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    const chars = fc.constantFrom(
      ...alphabet.split(""),
      ...alphabet.slice(0, 8).split(""),
      "=",
      "+",
      "/",
      "\n",
      "\r",
      " ",
    );
    fc.assert(
      fc.property(
        fc.array(chars, { maxLength: 40 }).map((a) => a.join("")),
        (s) => {
          const stripped = s.replace(/[\r\n]/g, "");
          const valid = /^[A-Za-z0-9_-]*$/.test(stripped) && stripped.length % 4 !== 1;
          const r = decodeRawUrlBase64(Buffer.from(s));
          assert.equal(r.ok, valid);
          if (r.ok) assert.deepEqual(r.bytes, Buffer.from(stripped, "base64url"));
        },
      ),
      { numRuns: 2000 },
    );
  });

  const errors: [string, number][] = [
    ["A", 0],
    ["AAAAA", 4],
    ["AA==", 2],
    ["AA+A", 2],
    ["AA/A", 2],
    ["AAA.", 3],
    ["AAAA AAAA", 4],
    ["AAAAAAAA=", 8],
    ["\n\nA", 2],
  ];
  for (const [input, offset] of errors) {
    test(`${JSON.stringify(input)} fails at byte ${offset}`, () => {
      const r = decodeRawUrlBase64(Buffer.from(input));
      assert.equal(r.ok, false);
      assert.equal(r.ok ? "" : r.error, `illegal base64 data at input byte ${offset}`);
    });
  }

  test("Buffer's decoder would have accepted what this one rejects", () => {
    for (const [input] of errors.filter(([i]) => i.length > 1))
      assert.doesNotThrow(() => Buffer.from(input, "base64url"));
  });
});

describe("parseAmzDate (Go time.Parse, layout 20060102T150405Z)", () => {
  const t = JSON.parse(
    readFileSync(new URL("../../fixtures/authn/go-time.json", import.meta.url), "utf8"),
  ) as { ok: [string, number, string][]; error: [string, string][] };
  for (const [value, ms, display] of t.ok) {
    test(`parses ${value}`, () => {
      const r = parseAmzDate(textToBinary(value));
      assert.ok(r.ok, r.ok ? "" : r.error);
      assert.equal(Number(r.epochNs / 1_000_000n), ms);
      assert.equal(r.display, display);
    });
  }
  for (const [value, error] of t.error) {
    test(`rejects ${JSON.stringify(value)}`, () => {
      const r = parseAmzDate(textToBinary(value));
      assert.equal(r.ok, false);
      assert.equal(r.ok ? "" : binaryToText(r.error), error);
    });
  }
  test("agrees with Date for every valid timestamp", () => {
    fc.assert(
      fc.property(
        fc.date({
          min: new Date("1970-01-01T00:00:00Z"),
          max: new Date("2999-12-31T23:59:59Z"),
          noInvalidDate: true,
        }),
        (d) => {
          const s = d
            .toISOString()
            .replace(/[-:]/g, "")
            .replace(/\.\d{3}/, "");
          const r = parseAmzDate(s);
          assert.ok(r.ok);
          assert.equal(Number(r.epochNs / 1_000_000n), Math.floor(d.getTime() / 1000) * 1000);
        },
      ),
    );
  });
});

describe("Go string helpers", () => {
  const quotes: [string, string][] = [
    ["abc", '"abc"'],
    ['a"b\\c', '"a\\"b\\\\c"'],
    ["\n\t\x00\x7f", '"\\n\\t\\x00\\x7f"'],
    ["é", '"é"'],
    ["\u00a0", '"\\u00a0"'],
    ["\u{1F600}", '"\u{1F600}"'],
  ];
  for (const [input, quoted] of quotes)
    test(`goQuote(${JSON.stringify(input)})`, () => assert.equal(goQuote(textToBinary(input)), quoted));
  test("goQuote escapes invalid UTF-8 bytes", () => assert.equal(goQuote("a\xff\xc3"), '"a\\xff\\xc3"'));

  test("goToLower uses simple case mapping (İ → i, Kelvin sign → k) and replaces bad bytes", () => {
    assert.equal(goToLower(textToBinary("X-Amz-\u212Aey")), "x-amz-key");
    assert.equal(binaryToText(goToLower(textToBinary("\u0130"))), "i");
    assert.equal(binaryToText(goToLower("A\xff")), "a\ufffd");
  });

  const folds: [string, string, boolean][] = [
    ["x-k8s-aws-id", "X-K8S-AWS-ID", true],
    ["x-\u212A8s-aws-id", "x-k8s-aws-id", true],
    ["x-k8\u017F-aws-id", "x-k8s-aws-id", true],
    ["x-k8s-aws-\u0130d", "x-k8s-aws-id", false],
    ["x-k8s-aws-id ", "x-k8s-aws-id", false],
  ];
  for (const [a, b, eq] of folds)
    test(`goEqualFold(${JSON.stringify(a)}, ${JSON.stringify(b)}) = ${eq}`, () =>
      assert.equal(goEqualFold(textToBinary(a), textToBinary(b)), eq));

  const atoi: [string, string, boolean][] = [
    ["60", "60", true],
    ["+60", "60", true],
    ["-0", "0", true],
    ["060", "60", true],
    ["", "0", false],
    ["6o", "0", false],
    [" 60", "0", false],
    ["1_000", "0", false],
    ["99999999999999999999", "9223372036854775807", false],
    ["-99999999999999999999", "-9223372036854775808", false],
  ];
  for (const [s, v, ok] of atoi)
    test(`goAtoi(${JSON.stringify(s)})`, () => assert.deepEqual(goAtoi(s), { value: BigInt(v), ok }));
});

describe("goParseQuery", () => {
  test("decodes + and escapes, keeps first-seen key order, groups repeated keys", () => {
    const q = goParseQuery("b=1+2&a=%41&b=3&&c");
    assert.equal(q.error, undefined);
    assert.deepEqual(
      [...q.values.entries()],
      [
        ["b", ["1 2", "3"]],
        ["a", ["A"]],
        ["c", [""]],
      ],
    );
  });
  test("reports Go's errors but keeps the good pairs", () => {
    assert.equal(goParseQuery("a=1;b=2").error, "invalid semicolon separator in query");
    const bad = goParseQuery("a=%zz&b=2");
    assert.equal(bad.error, 'invalid URL escape "%zz"');
    assert.deepEqual([...bad.values.keys()], ["b"]);
  });
});
