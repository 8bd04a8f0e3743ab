/** get-token's pure parts: the presigned URL and token, the STS endpoint choice, the ExecCredential. */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import fc from "fast-check";
import { createEksToken, EKS_TOKEN_PREFIX } from "../../../src/clients/eks/create-eks-token.js";
import { stsEndpoint, checkRegion } from "../../../src/clients/eks/sts-endpoint.js";
import { validateRoleOptions } from "../../../src/clients/eks/aws-credentials.js";
import { execApiVersion } from "../../../src/clients/exec-api-version.js";
import { execCredential, rfc3339Seconds } from "../../../src/clients/exec-credential.js";
import { isKubeiamError } from "../../../src/lib/errors.js";

interface TokenVector {
  source: string;
  clusterId: string;
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
  region: string;
  endpoint: string;
  time: string;
  url: string;
  tokenStart?: string;
  expirationTimestamp: string;
}

const fixture = (name: string): unknown =>
  JSON.parse(readFileSync(new URL(`../../fixtures/clients/${name}`, import.meta.url), "utf8"));

const decode = (token: string): string =>
  Buffer.from(token.slice(EKS_TOKEN_PREFIX.length), "base64url").toString("utf8");

describe("createEksToken", () => {
  for (const v of (fixture("eks-tokens.json") as { cases: TokenVector[] }).cases) {
    test(`${v.source}: ${v.clusterId} ${v.region} ${v.endpoint}`, () => {
      const t = createEksToken({
        clusterId: v.clusterId,
        credentials: {
          accessKeyId: v.accessKeyId,
          secretAccessKey: v.secretAccessKey,
          sessionToken: v.sessionToken,
        },
        region: v.region,
        endpoint: v.endpoint,
        now: Date.parse(v.time),
      });
      assert.equal(t.url, v.url);
      assert.equal(decode(t.token), v.url);
      assert.ok(t.token.startsWith(EKS_TOKEN_PREFIX));
      if (v.tokenStart !== undefined) assert.ok(t.token.startsWith(v.tokenStart));
      assert.equal(rfc3339Seconds(t.expiresAt), v.expirationTimestamp);
    });
  }

  test("the token is unpadded base64url of the URL for any credentials and cluster id", () => {
    fc.assert(
      fc.property(
        fc.string({ minLength: 1, maxLength: 100 }),
        fc.string({ minLength: 1, maxLength: 60 }),
        fc.option(fc.string({ maxLength: 80 }), { nil: undefined }),
        fc.integer({ min: 0, max: 4_102_444_800_000 }),
        (cluster, secret, session, now) => {
          const t = createEksToken({
            clusterId: cluster,
            credentials: { accessKeyId: "AKIDEXAMPLE", secretAccessKey: secret, sessionToken: session },
            region: "us-east-1",
            endpoint: "https://sts.us-east-1.amazonaws.com",
            now,
          });
          assert.match(t.token, /^k8s-aws-v1\.[A-Za-z0-9_-]+$/);
          assert.equal(decode(t.token), t.url);
          const q = new URL(t.url).searchParams;
          assert.equal(
            q.get("X-Amz-Security-Token"),
            session === undefined || session === "" ? null : session,
          );
          assert.equal(t.expiresAt - now, 14 * 60_000);
        },
      ),
      { numRuns: 200 },
    );
  });

  test("query parameters in the aws CLI's order; only host and x-k8s-aws-id signed; the cluster id is not in the URL", () => {
    const t = createEksToken({
      clusterId: "secret-cluster-name",
      credentials: { accessKeyId: "ASIAEXAMPLE", secretAccessKey: "s", sessionToken: "tok" },
      region: "ap-south-1",
      endpoint: "https://sts.ap-south-1.amazonaws.com",
      now: 0,
    });
    const u = new URL(t.url);
    assert.deepEqual(
      [...u.searchParams.keys()],
      [
        "Action",
        "Version",
        "X-Amz-Algorithm",
        "X-Amz-Credential",
        "X-Amz-Date",
        "X-Amz-Expires",
        "X-Amz-SignedHeaders",
        "X-Amz-Security-Token",
        "X-Amz-Signature",
      ],
    );
    assert.equal(u.searchParams.get("X-Amz-SignedHeaders"), "host;x-k8s-aws-id");
    assert.equal(u.searchParams.get("X-Amz-Credential"), "ASIAEXAMPLE/19700101/ap-south-1/sts/aws4_request");
    assert.equal(u.searchParams.get("X-Amz-Expires"), "60");
    assert.ok(!t.url.includes("secret-cluster-name"));
    // a different cluster id changes only the signature
    const other = createEksToken({
      clusterId: "other",
      credentials: { accessKeyId: "ASIAEXAMPLE", secretAccessKey: "s", sessionToken: "tok" },
      region: "ap-south-1",
      endpoint: "https://sts.ap-south-1.amazonaws.com",
      now: 0,
    });
    assert.notEqual(other.url, t.url);
    assert.equal(other.url.replace(/X-Amz-Signature=\w+/, ""), t.url.replace(/X-Amz-Signature=\w+/, ""));
  });

  test("an endpoint with a path prefix keeps it, as botocore does", () => {
    const t = createEksToken({
      clusterId: "c",
      credentials: { accessKeyId: "A", secretAccessKey: "s" },
      region: "us-east-1",
      endpoint: "https://proxy.example:8443/sts",
      now: 0,
    });
    assert.ok(t.url.startsWith("https://proxy.example:8443/sts/?Action=GetCallerIdentity&"), t.url);
  });
});

describe("stsEndpoint", () => {
  const table: [string, Record<string, string>, string, string][] = [
    ["us-west-2", {}, "https://sts.us-west-2.amazonaws.com", "regional"],
    ["us-east-1", {}, "https://sts.us-east-1.amazonaws.com", "regional"],
    ["cn-north-1", {}, "https://sts.cn-north-1.amazonaws.com.cn", "regional"],
    ["us-gov-west-1", {}, "https://sts.us-gov-west-1.amazonaws.com", "regional"],
    ["us-iso-east-1", {}, "https://sts.us-iso-east-1.c2s.ic.gov", "regional"],
    ["us-isob-east-1", {}, "https://sts.us-isob-east-1.sc2s.sgov.gov", "regional"],
    ["eu-isoe-west-1", {}, "https://sts.eu-isoe-west-1.cloud.adc-e.uk", "regional"],
    ["eusc-de-east-1", {}, "https://sts.eusc-de-east-1.amazonaws.eu", "regional"],
    [
      "us-west-2",
      { AWS_USE_FIPS_ENDPOINT: "true" },
      "https://sts-fips.us-west-2.amazonaws.com",
      "regional-fips",
    ],
    [
      "us-west-2",
      { AWS_USE_DUALSTACK_ENDPOINT: "TRUE" },
      "https://sts.us-west-2.api.aws",
      "regional-dualstack",
    ],
    [
      "us-west-2",
      { AWS_USE_FIPS_ENDPOINT: "true", AWS_USE_DUALSTACK_ENDPOINT: "true" },
      "https://sts-fips.us-west-2.api.aws",
      "regional-fips-dualstack",
    ],
    ["us-west-2", { AWS_USE_FIPS_ENDPOINT: "false" }, "https://sts.us-west-2.amazonaws.com", "regional"],
    [
      "us-west-2",
      { AWS_ENDPOINT_URL: "https://127.0.0.1:8443" },
      "https://127.0.0.1:8443",
      "AWS_ENDPOINT_URL",
    ],
    [
      "us-west-2",
      { AWS_ENDPOINT_URL: "https://127.0.0.1:8443/" },
      "https://127.0.0.1:8443",
      "AWS_ENDPOINT_URL",
    ],
    [
      "us-west-2",
      { AWS_ENDPOINT_URL: "https://a.example", AWS_ENDPOINT_URL_STS: "https://sts.local:9443" },
      "https://sts.local:9443",
      "AWS_ENDPOINT_URL_STS",
    ],
    [
      "us-west-2",
      { AWS_ENDPOINT_URL: "", AWS_ENDPOINT_URL_STS: "" },
      "https://sts.us-west-2.amazonaws.com",
      "regional",
    ],
    [
      "us-west-2",
      { AWS_ENDPOINT_URL: "https://a.example", AWS_IGNORE_CONFIGURED_ENDPOINT_URLS: "true" },
      "https://sts.us-west-2.amazonaws.com",
      "regional",
    ],
    [
      "us-west-2",
      { AWS_ENDPOINT_URL: "http://localhost:4566/prefix" },
      "http://localhost:4566/prefix",
      "AWS_ENDPOINT_URL",
    ],
  ];
  for (const [region, env, url, source] of table) {
    test(`${region} ${JSON.stringify(env)} → ${url}`, () => {
      assert.deepEqual(stsEndpoint(region, env), { url, source });
    });
  }

  const bad: [Record<string, string>, RegExp][] = [
    [{ AWS_ENDPOINT_URL: "not a url" }, /^AWS_ENDPOINT_URL: expected a URL/],
    [{ AWS_ENDPOINT_URL_STS: "ftp://x.example" }, /^AWS_ENDPOINT_URL_STS: expected an http\(s\) URL/],
    [{ AWS_ENDPOINT_URL: "https://x.example/?a=b" }, /may not carry a query/],
    [{ AWS_ENDPOINT_URL: "https://user:pw@x.example" }, /user info/],
  ];
  for (const [env, msg] of bad) {
    test(`rejects ${JSON.stringify(env)}`, () => {
      assert.throws(
        () => stsEndpoint("us-east-1", env),
        (e: unknown) => isKubeiamError(e) && e.code === "USAGE" && msg.test(e.message),
      );
    });
  }
  test("no dual-stack endpoint in an ISO partition", () => {
    assert.throws(
      () => stsEndpoint("us-iso-east-1", { AWS_USE_DUALSTACK_ENDPOINT: "true" }),
      /no dual-stack STS endpoint/,
    );
  });
  test("region names", () => {
    assert.equal(checkRegion("us-west-2", "--region"), "us-west-2");
    for (const r of ["US-WEST-2", "us_west_2", "", "-us", "us-west-2.", "a b"])
      assert.throws(() => checkRegion(r, "--region"), /--region: expected an AWS region/);
  });
});

describe("role options", () => {
  test("good ARNs and session names pass", () => {
    validateRoleOptions(undefined, undefined);
    validateRoleOptions("arn:aws:iam::111122223333:role/eks-admin", undefined);
    validateRoleOptions("arn:aws-cn:iam::111122223333:role/team/path/admin", "bob@example.com");
  });
  const bad: [string | undefined, string | undefined, string, RegExp][] = [
    ["arn:aws:iam::111122223333:user/bob", undefined, "ARN_INVALID", /--role-arn: expected a role ARN/],
    ["role/eks-admin", undefined, "ARN_INVALID", /--role-arn/],
    ["arn:aws:iam::1111:role/x", undefined, "ARN_INVALID", /--role-arn/],
    ["arn:aws:iam::111122223333:role/x", "a", "USAGE", /--session-name: expected 2 to 64/],
    ["arn:aws:iam::111122223333:role/x", "has space", "USAGE", /--session-name/],
    ["arn:aws:iam::111122223333:role/x", "x".repeat(65), "USAGE", /--session-name/],
    [undefined, "alone", "USAGE", /--session-name needs --role-arn/],
  ];
  for (const [arn, session, code, msg] of bad) {
    test(`rejects ${arn ?? "-"} / ${session ?? "-"}`, () => {
      assert.throws(
        () => validateRoleOptions(arn, session),
        (e: unknown) => isKubeiamError(e) && e.code === code && msg.test(e.message),
      );
    });
  }
});

describe("ExecCredential", () => {
  interface Case {
    name: string;
    env: string | null;
    apiVersion: string;
    warning: string | null;
  }
  for (const c of (fixture("exec-info.json") as { cases: Case[] }).cases) {
    test(`KUBERNETES_EXEC_INFO ${c.name}`, () => {
      const r = execApiVersion(c.env ?? undefined);
      assert.equal(r.apiVersion, c.apiVersion);
      assert.equal(r.warning ?? null, c.warning);
    });
  }
  test("JSON that is not an object is an unknown version, not a crash", () => {
    for (const raw of ["[]", "null", "42", '"client.authentication.k8s.io/v1"'])
      assert.match(execApiVersion(raw).warning ?? "", /^Unrecognized API version/);
  });
  test("key order kind, apiVersion, spec, status; expiry in whole UTC seconds", () => {
    const c = execCredential(
      "client.authentication.k8s.io/v1",
      "tok",
      Date.parse("2019-10-23T23:14:00.999Z"),
    );
    assert.equal(
      JSON.stringify(c),
      '{"kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/v1","spec":{},"status":{"expirationTimestamp":"2019-10-23T23:14:00Z","token":"tok"}}',
    );
    assert.equal(rfc3339Seconds(0), "1970-01-01T00:00:00Z");
  });
});
