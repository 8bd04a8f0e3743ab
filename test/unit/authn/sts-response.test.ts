import { test, describe } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import {
  interpretStsReply,
  STS_MAX_BODY_BYTES,
  type StsReply,
} from "../../../src/authn/iam-token/sts-response.js";

const t = JSON.parse(
  readFileSync(new URL("../../fixtures/authn/sts-responses.json", import.meta.url), "utf8"),
) as {
  ok: { name: string; reply: StsReply; identity: Record<string, string> }[];
  error: { name: string; reply: StsReply; httpStatus: number; throttled: boolean; error: string }[];
};
const token = { region: "us-west-2", stsEndpoint: "sts.us-west-2.amazonaws.com", accessKeyId: "ASIAEXAMPLE" };

describe("interpretStsReply: identities", () => {
  for (const c of t.ok) {
    test(c.name, () => {
      const r = interpretStsReply(c.reply, token);
      assert.ok(r.ok, r.ok ? "" : r.error);
      assert.deepEqual(r.identity, {
        ...c.identity,
        accessKeyId: "ASIAEXAMPLE",
        stsEndpoint: "sts.us-west-2.amazonaws.com",
      });
      assert.equal(r.reasons[0]?.ok, true);
    });
  }
});

describe("interpretStsReply: failures", () => {
  for (const c of t.error) {
    test(c.name, () => {
      const r = interpretStsReply(c.reply, token);
      assert.equal(r.ok, false);
      if (r.ok) return;
      assert.equal(r.error, c.error);
      assert.equal(r.httpStatus, c.httpStatus);
      assert.equal(r.throttled, c.throttled);
      assert.equal(r.metricResult, c.throttled ? "sts_throttling" : "sts_error");
      assert.equal(r.reason.ok, false);
    });
  }
  test("an oversized body is refused before it is parsed or echoed", () => {
    const r = interpretStsReply(
      { kind: "response", status: 500, body: "x".repeat(STS_MAX_BODY_BYTES + 1) },
      token,
    );
    assert.equal(r.ok, false);
    assert.equal(
      r.ok ? "" : r.error,
      `sts getCallerIdentity failed: error reading HTTP result: body larger than ${STS_MAX_BODY_BYTES} bytes`,
    );
  });
});
