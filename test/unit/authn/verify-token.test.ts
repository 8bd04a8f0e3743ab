import { test, describe } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import fc from "fast-check";
import {
  verifyIamTokenFormat,
  MAX_TOKEN_BYTES,
  type VerifyTokenOptions,
} from "../../../src/authn/iam-token/verify-token.js";
import { verifyStsHost, type Partition } from "../../../src/authn/iam-token/sts-hosts.js";
import { textToBinary } from "../../../src/authn/iam-token/lib/go-strings.js";
import { presignGetCallerIdentity, tokenFor } from "./helpers/presign.js";

interface Case {
  name: string;
  url?: string;
  token?: string;
  tokenRepeat?: { text: string; count: number };
  now?: string;
  partition?: Partition;
  extraHosts?: string[];
  check?: string;
  error?: string;
  region?: string;
  accessKeyId?: string;
  replay?: string;
}

const table = JSON.parse(
  readFileSync(new URL("../../fixtures/authn/iam-token-pre-sts.json", import.meta.url), "utf8"),
) as {
  now: string;
  rejected: Case[];
  accepted: Case[];
};

function run(c: Case) {
  const token =
    c.token ?? (c.tokenRepeat ? c.tokenRepeat.text.repeat(c.tokenRepeat.count) : tokenFor(c.url!));
  const opts: VerifyTokenOptions = {
    clusterID: "test-cluster",
    now: Date.parse(c.now ?? table.now),
    partition: c.partition,
    extraHosts: c.extraHosts,
  };
  return verifyIamTokenFormat(token, opts);
}

// V1 of the spec (aws-iam-authenticator TestGetWithSTS): static, non-real credentials.
const V1 = {
  accessKeyId: "ASIAR2TG44V6AS3ZZE7C",
  secretAccessKey: Buffer.from(
    "NEtENWNudEdjVm1MV1JkRjV3dk5SdXpOTDVReG1wNk9LVlk2RnovUQ==",
    "base64",
  ).toString(),
  region: "us-west-2",
  clusterId: "test-cluster",
  time: Date.UTC(2023, 3, 28),
};

describe("verifyIamTokenFormat: rejections (data table)", () => {
  for (const c of table.rejected) {
    test(c.name, () => {
      const r = run(c);
      assert.equal(r.ok, false, "expected a rejection");
      if (r.ok) return;
      assert.equal(r.error, c.error);
      assert.equal(r.check, c.check);
      assert.equal(r.reason.check, `iam-token.${c.check!}`);
      assert.equal(r.reason.ok, false);
    });
  }
});

describe("verifyIamTokenFormat: accepted tokens (data table)", () => {
  for (const c of table.accepted) {
    test(c.name, () => {
      const r = run(c);
      assert.ok(r.ok, r.ok ? "" : r.error);
      assert.equal(r.region, c.region);
      assert.equal(r.accessKeyId, c.accessKeyId);
      const expectedReplay = new URL(c.replay ?? c.url!.replace(/^HTTPS:/, "https:"));
      assert.equal(r.stsUrl.href, expectedReplay.href);
      assert.deepEqual(r.headers, { "x-k8s-aws-id": "test-cluster", accept: "application/json" });
      assert.equal(r.reasons[0]?.ok, true);
    });
  }
});

describe("verifyIamTokenFormat: real client tokens", () => {
  test("the V1 deterministic token: our presigner reproduces upstream's signature and the token verifies", () => {
    const url = presignGetCallerIdentity(V1);
    assert.equal(
      url,
      "https://sts.us-west-2.amazonaws.com/?Action=GetCallerIdentity&Version=2011-06-15&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=ASIAR2TG44V6AS3ZZE7C%2F20230428%2Fus-west-2%2Fsts%2Faws4_request&X-Amz-Date=20230428T000000Z&X-Amz-Expires=60&X-Amz-SignedHeaders=host%3Bx-k8s-aws-id&X-Amz-Signature=e211dba77aba9dc44b0b6be38b8eaad092599c5157f6314444c5b9d85747f5ce",
    );
    const token = tokenFor(url);
    assert.ok(
      token.startsWith(
        "k8s-aws-v1.aHR0cHM6Ly9zdHMudXMtd2VzdC0yLmFtYXpvbmF3cy5jb20vP0FjdGlvbj1HZXRDYWxsZXJJZGVudGl0eSZ",
      ),
    );
    assert.ok(!token.includes("="));
    const r = verifyIamTokenFormat(token, { clusterID: "test-cluster", now: V1.time + 14 * 60_000 });
    assert.ok(r.ok);
    assert.equal(r.stsUrl.href, url);
    assert.equal(r.region, "us-west-2");
    assert.equal(r.stsEndpoint, "sts.us-west-2.amazonaws.com");
    assert.equal(r.accessKeyId, "ASIAR2TG44V6AS3ZZE7C");
    assert.equal(r.expiresAt, V1.time + 15 * 60_000);
  });

  test("expiry is X-Amz-Date + 15 min, inclusive, whatever X-Amz-Expires says", () => {
    const token = tokenFor(presignGetCallerIdentity({ ...V1, expires: 0 }));
    assert.equal(verifyIamTokenFormat(token, { clusterID: "c", now: V1.time + 15 * 60_000 }).ok, true);
    const late = verifyIamTokenFormat(token, { clusterID: "c", now: V1.time + 15 * 60_000 + 1 });
    assert.equal(late.ok, false);
    assert.equal(late.ok ? "" : late.check, "date-expired");
  });

  test("a session-token presign is accepted and no result text contains the signature or session token", () => {
    const sessionToken = "FwoGZXIvYXdzEXAMPLESESSIONTOKEN/+=";
    const url = presignGetCallerIdentity({ ...V1, sessionToken });
    const signature = new URL(url).searchParams.get("X-Amz-Signature")!;
    const ok = verifyIamTokenFormat(tokenFor(url), { clusterID: "c", now: V1.time });
    assert.ok(ok.ok);
    assert.equal(ok.stsUrl.searchParams.get("X-Amz-Security-Token"), sessionToken);
    const text = JSON.stringify({ ...ok, stsUrl: undefined });
    assert.ok(!text.includes(signature) && !text.includes("EXAMPLESESSIONTOKEN"));
    // Rejections that happen after the query is parsed must not echo it either.
    for (const broken of [
      url.replace("https://", "https://sts.evil.com/x?").replace("/?Action", "&Action"),
      url + "#%zz",
      url.replace("/?", "/x?"),
      url + "&Foo=1",
      url.replace("X-Amz-Date=20230428T000000Z", "X-Amz-Date=2023"),
    ]) {
      const r = verifyIamTokenFormat(tokenFor(broken), { clusterID: "c", now: V1.time });
      assert.equal(r.ok, false);
      const out = JSON.stringify(r);
      assert.ok(!out.includes(signature), out);
      assert.ok(!out.includes("EXAMPLESESSIONTOKEN"), out);
    }
  });

  test("a token exactly at the size limit is judged on its content, one byte more is too large", () => {
    const base = tokenFor(presignGetCallerIdentity(V1));
    const padded = base + "A".repeat(MAX_TOKEN_BYTES - base.length);
    const atLimit = verifyIamTokenFormat(padded, { clusterID: "c", now: V1.time });
    assert.equal(Buffer.byteLength(padded), MAX_TOKEN_BYTES);
    assert.notEqual(atLimit.ok ? "ok" : atLimit.check, "size");
    const over = verifyIamTokenFormat(padded + "A", { clusterID: "c", now: V1.time });
    assert.equal(over.ok ? "ok" : over.check, "size");
  });

  test("CR and LF inside the base64 body are skipped, as Go's decoder does", () => {
    const token = tokenFor(presignGetCallerIdentity(V1));
    const body = token.slice("k8s-aws-v1.".length);
    const withBreaks =
      "k8s-aws-v1." + body.slice(0, 10) + "\r\n" + body.slice(10, 30) + "\n" + body.slice(30);
    const r = verifyIamTokenFormat(withBreaks, { clusterID: "c", now: V1.time });
    assert.ok(r.ok);
  });

  test("non-zero trailing bits are tolerated (RawURLEncoding is not strict)", () => {
    const token = tokenFor(presignGetCallerIdentity(V1));
    // The URL length leaves a 2- or 3-character final quantum; bump its last character's unused bits.
    const last = token.at(-1)!;
    const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    const idx = alphabet.indexOf(last);
    const rem = (token.length - "k8s-aws-v1.".length) % 4;
    assert.ok(rem === 2 || rem === 3);
    const unused = rem === 2 ? 4 : 2;
    assert.equal(idx % (1 << unused), 0);
    const tweaked = token.slice(0, -1) + alphabet[idx + 1]!;
    assert.ok(verifyIamTokenFormat(tweaked, { clusterID: "c", now: V1.time }).ok);
  });
});

describe("verifyStsHost (data table)", () => {
  const hosts = JSON.parse(
    readFileSync(new URL("../../fixtures/authn/sts-hosts.json", import.meta.url), "utf8"),
  ) as { rows: [Partition, string, string, true | string][] };
  for (const [partition, host, instanceRegion, expected] of hosts.rows) {
    test(`${partition} ${host}${instanceRegion ? ` (instance region ${instanceRegion})` : ""}`, () => {
      const r = verifyStsHost(textToBinary(host), { partition, instanceRegion });
      if (expected === true) assert.ok(r.ok, r.ok ? "" : r.error);
      else {
        assert.equal(r.ok, false);
        assert.equal(r.ok ? "" : r.error, expected);
      }
    });
  }
});

describe("verifyIamTokenFormat: never throws", () => {
  test("arbitrary strings", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), (s) => {
        const r = verifyIamTokenFormat(s, { clusterID: "c", now: V1.time });
        assert.equal(typeof r.ok, "boolean");
        if (!r.ok) assert.ok(r.error.startsWith("input token was not properly formatted: "));
      }),
      { numRuns: 500 },
    );
  });

  test("arbitrary bytes behind the prefix", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), (bytes) => {
        const r = verifyIamTokenFormat("k8s-aws-v1." + Buffer.from(bytes).toString("base64url"), {
          clusterID: "c",
          now: V1.time,
        });
        assert.equal(r.ok, false);
      }),
      { numRuns: 500 },
    );
  });

  test("mutations of a valid presigned URL only pass if host, path and action survive", () => {
    const url = presignGetCallerIdentity(V1);
    fc.assert(
      fc.property(fc.nat(url.length - 1), fc.string({ minLength: 0, maxLength: 3 }), (at, insert) => {
        const mutated = url.slice(0, at) + insert + url.slice(at + 1);
        const r = verifyIamTokenFormat(tokenFor(mutated), { clusterID: "c", now: V1.time });
        if (r.ok) {
          assert.equal(r.stsUrl.pathname, "/");
          assert.ok(/(^|\.)(amazonaws\.com|api\.aws)$/.test(r.stsUrl.hostname), r.stsUrl.hostname);
          assert.equal(r.stsUrl.protocol, "https:");
        }
      }),
      { numRuns: 1000 },
    );
  });
});
