/**
 * Cross-checks against two independent SigV4 implementations on seeded random requests:
 * the AWS SDK for JavaScript's signer (@smithy/signature-v4, installed with the @aws-sdk clients)
 * and botocore (python3). Each must produce the same signature as ours, and we must verify theirs.
 */
import { test, describe } from "node:test";
import assert from "node:assert/strict";
import { createHash, createHmac } from "node:crypto";
import { execFileSync } from "node:child_process";
import { SignatureV4 } from "@smithy/signature-v4";
import type { Checksum, SourceData } from "@smithy/types";
import { parseSignedRequest, presignUrl, signRequest, verifySignature } from "../../../src/sigv4/index.js";
import { formatAmzDate } from "../../../src/sigv4/lib/amz-date.js";
import { FIXTURES, incoming } from "./helpers.js";
import { randomRequests, rawQueryOf, urlOf } from "./random-requests.js";
import type { RandomRequest } from "./random-requests.js";

class NodeSha256 implements Checksum {
  #secret: SourceData | undefined;
  #h: ReturnType<typeof createHash> | ReturnType<typeof createHmac>;
  constructor(secret?: SourceData) {
    this.#secret = secret;
    this.#h = this.#fresh();
  }
  #fresh(): ReturnType<typeof createHash> | ReturnType<typeof createHmac> {
    const s = this.#secret;
    if (s === undefined) return createHash("sha256");
    const key =
      typeof s === "string"
        ? s
        : Buffer.from(
            s instanceof ArrayBuffer
              ? new Uint8Array(s)
              : new Uint8Array(s.buffer, s.byteOffset, s.byteLength),
          );
    return createHmac("sha256", key);
  }
  update(data: Uint8Array): void {
    this.#h.update(data);
  }
  digest(): Promise<Uint8Array> {
    return Promise.resolve(new Uint8Array(this.#h.digest()));
  }
  reset(): void {
    this.#h = this.#fresh();
  }
}

function smithyRequest(req: RandomRequest, extraHeaders: [string, string][] = []) {
  const query: Record<string, string | string[]> = {};
  for (const [k, v] of req.query) {
    const prev = query[k];
    query[k] = prev === undefined ? v : [...(typeof prev === "string" ? [prev] : prev), v];
  }
  const [hostname, port] = req.host.startsWith("[") ? [req.host, undefined] : req.host.split(":");
  return {
    method: req.method,
    protocol: "https:",
    hostname,
    ...(port ? { port: Number(port) } : {}),
    path: req.path,
    query,
    headers: Object.fromEntries([["host", req.host], ...req.headers, ...extraHeaders]),
    body: req.body === "" ? undefined : req.body,
  };
}

const RANDOM_COUNT = 150;

function sdkCredentials(req: RandomRequest): {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
} {
  const { accessKeyId, secretAccessKey, sessionToken } = req.credentials;
  return sessionToken === undefined
    ? { accessKeyId, secretAccessKey }
    : { accessKeyId, secretAccessKey, sessionToken };
}

describe("cross-check with the AWS SDK for JavaScript (@smithy/signature-v4)", () => {
  const requests = randomRequests(20240301, RANDOM_COUNT);

  test("header signing: same signature, and we verify the SDK's request", async () => {
    // smithy's query map cannot keep the wire order of repeated keys; canonical order is sorted anyway
    for (const req of requests) {
      const signer = new SignatureV4({
        credentials: sdkCredentials(req),
        region: req.region,
        service: req.service,
        sha256: NodeSha256,
      });
      const signedBySdk = await signer.sign(smithyRequest(req), { signingDate: new Date(req.now) });
      const sdkHeaders = signedBySdk.headers;
      const ours = signRequest({
        method: req.method,
        url: urlOf(req),
        headers: Object.fromEntries([["host", req.host], ...req.headers]),
        body: req.body,
        credentials: req.credentials,
        region: req.region,
        service: req.service,
        now: req.now,
        contentSha256Header: true,
      });
      assert.equal(ours.headers.authorization, sdkHeaders.authorization, `${req.method} ${urlOf(req)}`);

      const received = incoming(req.method, urlOf(req), Object.entries(sdkHeaders), req.body);
      const parsed = parseSignedRequest(received);
      assert.ok(parsed.ok, parsed.ok ? "" : parsed.error.message);
      const verified = verifySignature(
        parsed.auth,
        req.credentials.secretAccessKey,
        received,
        req.now + 60_000,
        {
          service: req.service,
          regions: [req.region],
        },
      );
      assert.ok(verified.ok, verified.ok ? "" : verified.error.detail);
    }
  });

  test("presigning: same signature, and we verify the SDK's URL", async () => {
    for (const req of requests) {
      const signer = new SignatureV4({
        credentials: sdkCredentials(req),
        region: req.region,
        service: req.service,
        sha256: NodeSha256,
      });
      const getReq = { ...req, method: "GET", body: "", headers: [] };
      const presigned = await signer.presign(smithyRequest(getReq, [["x-k8s-aws-id", "cluster-1"]]), {
        signingDate: new Date(req.now),
        expiresIn: 60,
      });
      const sdkQuery = Object.entries(presigned.query ?? {}).flatMap(([k, v]) =>
        (typeof v === "string" ? [v] : (v ?? [])).map((x): [string, string] => [k, x]),
      );
      const sdkSignature = sdkQuery.find(([k]) => k === "X-Amz-Signature")![1];
      const ourUrl = presignUrl({
        url: urlOf(getReq),
        headers: { "x-k8s-aws-id": "cluster-1" },
        credentials: req.credentials,
        region: req.region,
        service: req.service,
        now: req.now,
        expiresSeconds: 60,
      });
      assert.equal(new URL(ourUrl).searchParams.get("X-Amz-Signature"), sdkSignature, urlOf(getReq));

      const received = incoming(
        "GET",
        `https://${req.host}${req.path}?${rawQueryOf(sdkQuery)}`,
        Object.entries(presigned.headers),
      );
      const parsed = parseSignedRequest(received);
      assert.ok(parsed.ok, parsed.ok ? "" : parsed.error.message);
      assert.deepEqual(parsed.auth.signedHeaders, ["host", "x-k8s-aws-id"]);
      const verified = verifySignature(
        parsed.auth,
        req.credentials.secretAccessKey,
        received,
        req.now + 60_000,
      );
      assert.ok(verified.ok, verified.ok ? "" : verified.error.detail);
    }
  });
});

function botocoreAvailable(): boolean {
  try {
    execFileSync("python3", ["-c", "import botocore"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

describe(
  "cross-check with botocore (python3)",
  { skip: botocoreAvailable() ? false : "python3 with botocore not found" },
  () => {
    const modes = Array.from({ length: RANDOM_COUNT }, (_, i) => (i % 2 === 0 ? "header" : "query"));
    // botocore's presigner keeps only the first value of a repeated query key: give it unique keys
    const requests = randomRequests(1682640000, RANDOM_COUNT).map((req, i) =>
      modes[i] === "query"
        ? { ...req, query: req.query.filter(([k], j) => req.query.findIndex(([x]) => x === k) === j) }
        : req,
    );
    const input = {
      cases: requests.map((req, i) => ({
        mode: modes[i],
        method: modes[i] === "query" ? "GET" : req.method,
        url: urlOf(req),
        headers: modes[i] === "query" ? [["x-k8s-aws-id", "cluster-1"]] : req.headers,
        body: modes[i] === "query" ? "" : req.body,
        accessKeyId: req.credentials.accessKeyId,
        secretAccessKey: req.credentials.secretAccessKey,
        ...(req.credentials.sessionToken ? { sessionToken: req.credentials.sessionToken } : {}),
        region: req.region,
        service: req.service,
        amzDate: formatAmzDate(req.now),
        expires: 60,
      })),
    };
    const output = (): { url: string; headers: [string, string][]; signature: string }[] =>
      JSON.parse(
        execFileSync("python3", [FIXTURES + "botocore_sign.py"], {
          input: JSON.stringify(input),
          maxBuffer: 64 << 20,
        }).toString(),
      ) as { url: string; headers: [string, string][]; signature: string }[];

    test("botocore-signed requests verify, and our signature is the same", () => {
      const results = output();
      assert.equal(results.length, requests.length);
      let checkedHeader = 0;
      let checkedQuery = 0;
      results.forEach((res, i) => {
        const req = requests[i]!;
        const c = input.cases[i]!;
        const headers = [
          ...(c.headers as [string, string][]).filter(
            ([k]) => !res.headers.some(([h]) => h.toLowerCase() === k.toLowerCase()),
          ),
          ...res.headers,
        ];
        const received = incoming(c.method, res.url, headers, c.body);
        const parsed = parseSignedRequest(received);
        assert.ok(parsed.ok, parsed.ok ? "" : parsed.error.message);
        assert.equal(parsed.auth.kind, c.mode);
        const verified = verifySignature(
          parsed.auth,
          req.credentials.secretAccessKey,
          received,
          req.now - 30_000,
          {
            service: req.service,
            regions: [req.region],
          },
        );
        assert.ok(verified.ok, verified.ok ? "" : `${c.mode} ${res.url}: ${verified.error.detail}`);
        if (c.mode === "header") {
          const ours = signRequest({
            method: c.method,
            url: urlOf(req),
            headers: Object.fromEntries(req.headers),
            body: req.body,
            credentials: req.credentials,
            region: req.region,
            service: req.service,
            now: req.now,
          });
          assert.equal(ours.signature, res.signature, `${c.method} ${urlOf(req)}`);
          checkedHeader++;
        } else {
          const ourUrl = presignUrl({
            url: urlOf(req),
            headers: { "x-k8s-aws-id": "cluster-1" },
            credentials: req.credentials,
            region: req.region,
            service: req.service,
            now: req.now,
            expiresSeconds: 60,
          });
          assert.equal(new URL(ourUrl).searchParams.get("X-Amz-Signature"), res.signature, urlOf(req));
          checkedQuery++;
        }
      });
      assert.equal(checkedHeader + checkedQuery, requests.length);
    });
  },
);
