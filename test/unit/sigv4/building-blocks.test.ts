import { test, describe } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import {
  canonicalHeaderValue,
  canonicalUri,
  percentDecode,
  uriEncode,
} from "../../../src/sigv4/lib/canonical.js";
import { formatAmzDate, parseAmzDate } from "../../../src/sigv4/lib/amz-date.js";
import { SigningKeyCache, deriveSigningKey } from "../../../src/sigv4/index.js";
import { FIXTURES } from "./helpers.js";

const canonical = JSON.parse(readFileSync(FIXTURES + "canonical.json", "utf8")) as {
  uriEncode: [string, string][];
  percentDecode: [string, string][];
  canonicalUri: [string, string][];
  canonicalHeaderValue: [string | string[], string][];
  amzDate: [string, number | null][];
};
const keys = JSON.parse(readFileSync(FIXTURES + "signing-keys.json", "utf8")) as {
  cases: { secretAccessKey: string; date: string; region: string; service: string; signingKey: string }[];
};

describe("canonical request building blocks", () => {
  for (const [input, want] of canonical.uriEncode)
    test(`uriEncode ${JSON.stringify(input)}`, () => assert.equal(uriEncode(input), want));
  for (const [input, want] of canonical.percentDecode) {
    test(`percentDecode ${JSON.stringify(input)}`, () => assert.equal(percentDecode(input), want));
  }
  for (const [input, want] of canonical.canonicalUri) {
    test(`canonicalUri ${JSON.stringify(input)}`, () => assert.equal(canonicalUri(input), want));
  }
  test("canonicalUri for S3-style signing keeps the path as sent", () => {
    assert.equal(canonicalUri("//a/./b%20c", { normalizePath: false, doubleEncode: false }), "//a/./b%20c");
  });
  for (const [input, want] of canonical.canonicalHeaderValue) {
    test(`canonicalHeaderValue ${JSON.stringify(input)}`, () =>
      assert.equal(canonicalHeaderValue(input), want));
  }
  for (const [input, want] of canonical.amzDate) {
    test(`parseAmzDate ${JSON.stringify(input)}`, () => {
      assert.equal(parseAmzDate(input), want ?? undefined);
      if (want !== null) assert.equal(formatAmzDate(want), input);
    });
  }
});

describe("signing keys", () => {
  for (const c of keys.cases) {
    test(`published key for ${c.date}/${c.region}/${c.service}`, () => {
      assert.equal(
        deriveSigningKey(c.secretAccessKey, c.date, c.region, c.service).toString("hex"),
        c.signingKey,
      );
      const cache = new SigningKeyCache(4);
      assert.equal(cache.get(c.secretAccessKey, c.date, c.region, c.service).toString("hex"), c.signingKey);
      assert.equal(cache.get(c.secretAccessKey, c.date, c.region, c.service).toString("hex"), c.signingKey);
      assert.deepEqual([cache.hits, cache.misses], [1, 1]);
    });
  }

  test("the cache is a bounded LRU keyed by secret, date, region and service", () => {
    const cache = new SigningKeyCache(2);
    const a = cache.get("secret-a", "20240101", "us-east-1", "sts");
    cache.get("secret-b", "20240101", "us-east-1", "sts");
    assert.equal(cache.size, 2);
    cache.get("secret-a", "20240101", "us-east-1", "sts"); // a is now most recent
    cache.get("secret-a", "20240102", "us-east-1", "sts"); // evicts b
    assert.equal(cache.size, 2);
    assert.deepEqual([cache.hits, cache.misses], [1, 3]);
    cache.get("secret-b", "20240101", "us-east-1", "sts"); // miss again: b was evicted
    assert.deepEqual([cache.hits, cache.misses], [1, 4]);
    assert.equal(
      cache
        .get("secret-a", "20240102", "us-east-1", "sts")
        .equals(deriveSigningKey("secret-a", "20240102", "us-east-1", "sts")),
      true,
    );
    for (const [region, service] of [
      ["us-west-2", "sts"],
      ["us-east-1", "iam"],
    ] as const) {
      assert.equal(deriveSigningKey("secret-a", "20240101", region, service).equals(a), false);
    }
    cache.clear();
    assert.deepEqual([cache.size, cache.hits, cache.misses], [0, 0, 0]);
  });
});
