import { test, describe } from "node:test";
import assert from "node:assert/strict";
import {
  canonicalRequestFor,
  parseSignedRequest,
  presignUrl,
  signRequest,
  verifySignature,
} from "../../../src/sigv4/index.js";
import { parseAmzDate } from "../../../src/sigv4/lib/amz-date.js";
import { incomingFromVector, loadVectors, vectorCredentials } from "./helpers.js";

const file = loadVectors();

describe("SigV4 vectors (expected values from botocore)", () => {
  for (const v of file.vectors) {
    const now = parseAmzDate(v.amzDate)!;
    const credentials = vectorCredentials(file, v);

    if (v.signable !== false) {
      test(`${v.name}: our signer produces botocore's signature`, () => {
        if (v.mode === "header") {
          const signed = signRequest({
            method: v.method,
            url: v.url,
            headers: Object.fromEntries(v.headers),
            body: v.body,
            credentials,
            region: v.region,
            service: v.service,
            now,
          });
          assert.equal(signed.signature, v.expected.signature);
          assert.equal(signed.headers.authorization, v.expected.authorization);
          assert.equal(signed.headers["x-amz-date"], v.amzDate);
          assert.equal(signed.headers["x-amz-security-token"], credentials.sessionToken);
        } else {
          const url = presignUrl({
            method: v.method,
            url: v.url,
            headers: Object.fromEntries(v.headers),
            credentials,
            region: v.region,
            service: v.service,
            now,
            expiresSeconds: v.expires ?? 3600,
          });
          assert.equal(url, v.expected.url);
        }
      });
    }

    test(`${v.name}: botocore's request parses and verifies`, () => {
      const req = incomingFromVector(v);
      const parsed = parseSignedRequest(req);
      assert.ok(parsed.ok, parsed.ok ? "" : parsed.error.message);
      const { auth } = parsed;
      assert.equal(auth.kind, v.mode);
      assert.equal(auth.accessKeyId, credentials.accessKeyId);
      assert.deepEqual(auth.scope, {
        date: v.amzDate.slice(0, 8),
        region: v.region,
        service: v.service,
        terminator: "aws4_request",
      });
      assert.equal(auth.amzDate, v.amzDate);
      assert.equal(auth.dateMs, now);
      assert.equal(auth.signature, v.expected.signature);
      assert.equal(auth.securityToken, credentials.sessionToken);
      assert.equal(auth.expires, v.mode === "query" ? (v.expires ?? 3600) : undefined);
      assert.equal(canonicalRequestFor(auth, req), v.expected.canonicalRequest);
      const result = verifySignature(auth, credentials.secretAccessKey, req, now, {
        service: v.service,
        regions: [v.region],
      });
      assert.ok(result.ok, result.ok ? "" : result.error.detail);
      assert.equal(result.reasons[0]?.check, "sigv4.signature");
    });
  }
});
