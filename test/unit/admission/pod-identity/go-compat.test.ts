/** Go standard-library behaviour the webhook relies on (test/fixtures/pod-identity/go-compat.yaml). */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { readCsvRecord } from "../../../../src/admission/pod-identity/lib/go-csv.js";
import { goCleanPath, goJoinPath } from "../../../../src/admission/pod-identity/lib/go-path.js";
import { goParseBool, goParseInt64 } from "../../../../src/admission/pod-identity/lib/go-strconv.js";
import { readFixture } from "./helpers.js";

interface Tables {
  parseBool: [string, boolean | null][];
  parseInt64: [string, number | null][];
  csvRecord: [string, string[] | null][];
  cleanPath: [string, string][];
}

const t = readFixture("go-compat.yaml") as Tables;

describe("strconv.ParseBool", () => {
  for (const [input, want] of t.parseBool)
    test(JSON.stringify(input), () => assert.equal(goParseBool(input), want ?? undefined));
});

describe("strconv.ParseInt(s, 10, 64)", () => {
  for (const [input, want] of t.parseInt64)
    test(JSON.stringify(input), () => assert.equal(goParseInt64(input), want ?? undefined));
});

describe("encoding/csv first record", () => {
  for (const [input, want] of t.csvRecord)
    test(JSON.stringify(input), () => assert.deepEqual(readCsvRecord(input), want ?? undefined));
});

describe("path.Clean and filepath.Join", () => {
  for (const [input, want] of t.cleanPath)
    test(JSON.stringify(input), () => assert.equal(goCleanPath(input), want));
  test("Join skips empty elements and cleans", () => {
    assert.equal(
      goJoinPath("/var/run/secrets/eks.amazonaws.com/serviceaccount", "token"),
      "/var/run/secrets/eks.amazonaws.com/serviceaccount/token",
    );
    assert.equal(goJoinPath("/a/", "", "b/"), "/a/b");
    assert.equal(goJoinPath("", ""), "");
    assert.equal(goJoinPath("rel", "../token"), "token");
  });
});
