/**
 * `kubeiam get-token` in-process with a fixed clock and environment: the exact bytes printed,
 * KUBERNETES_EXEC_INFO handling, region precedence (flag, env, profile, default), named profiles,
 * and usage errors. No network: without --role-arn get-token never calls STS.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { registerGetTokenCommands } from "../../../src/cli/get-token.js";
import { fixedClock } from "../../../src/lib/clock.js";
import { tempDir } from "../../helpers/tmp.js";
import { runCommand, type Run } from "./lib/run-cli.js";

interface TokenVector {
  clusterId: string;
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
  region: string;
  endpoint: string;
  time: string;
  url: string;
  expirationTimestamp: string;
}
const vectors = (
  JSON.parse(readFileSync(new URL("../../fixtures/clients/eks-tokens.json", import.meta.url), "utf8")) as {
    cases: TokenVector[];
  }
).cases;

const getToken = (
  args: string[],
  env: Record<string, string>,
  now = Date.parse("2026-11-23T13:08:53Z"),
): Promise<Run> =>
  runCommand(
    (p, io) => registerGetTokenCommands(p, io, { clock: fixedClock(now), env }),
    ["get-token", ...args],
  );

const urlOf = (r: Run): URL => {
  const token = (JSON.parse(r.stdout) as { status: { token: string } }).status.token;
  return new URL(Buffer.from(token.slice("k8s-aws-v1.".length), "base64url").toString("utf8"));
};

/** The aws CLI's rendering: json.dumps(indent=4) + "\n" from its formatter, then one more "\n". */
const awsCliText = (apiVersion: string, expiration: string, token: string): string =>
  `{\n    "kind": "ExecCredential",\n    "apiVersion": "${apiVersion}",\n    "spec": {},\n    "status": {\n        "expirationTimestamp": "${expiration}",\n        "token": "${token}"\n    }\n}\n\n`;

describe("kubeiam get-token output", () => {
  for (const v of vectors) {
    test(`bytes as the aws CLI prints them: ${v.endpoint}`, async () => {
      const env: Record<string, string> = {
        AWS_ACCESS_KEY_ID: v.accessKeyId,
        AWS_SECRET_ACCESS_KEY: v.secretAccessKey,
        AWS_REGION: v.region,
      };
      if (v.sessionToken !== undefined) env.AWS_SESSION_TOKEN = v.sessionToken;
      if (!v.endpoint.includes("amazonaws.com")) env.AWS_ENDPOINT_URL = v.endpoint;
      const r = await getToken(["--cluster-name", v.clusterId], env, Date.parse(v.time));
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stderr, "");
      const token = "k8s-aws-v1." + Buffer.from(v.url).toString("base64url");
      assert.equal(
        r.stdout,
        awsCliText("client.authentication.k8s.io/v1beta1", v.expirationTimestamp, token),
      );
    });
  }

  test("KUBERNETES_EXEC_INFO picks the apiVersion; notes go to stderr only", async () => {
    const base = {
      AWS_ACCESS_KEY_ID: "AKIDEXAMPLE",
      AWS_SECRET_ACCESS_KEY: "secret",
      AWS_REGION: "us-east-1",
    };
    const v1 = await getToken(["--cluster-name", "c"], {
      ...base,
      KUBERNETES_EXEC_INFO:
        '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","spec":{"interactive":false}}',
    });
    assert.equal(JSON.parse(v1.stdout).apiVersion, "client.authentication.k8s.io/v1");
    assert.equal(v1.stderr, "");
    const bad = await getToken(["--cluster-name", "c"], { ...base, KUBERNETES_EXEC_INFO: "{" });
    assert.equal(JSON.parse(bad.stdout).apiVersion, "client.authentication.k8s.io/v1beta1");
    assert.match(
      bad.stderr,
      /^Error parsing KUBERNETES_EXEC_INFO, defaulting to client\.authentication\.k8s\.io\/v1beta1\./,
    );
  });

  test("--cluster-id signs the id; the expiry is now + 14 min", async () => {
    const r = await getToken(
      ["--cluster-id", "0123-outposts", "--region", "us-west-2"],
      { AWS_ACCESS_KEY_ID: "AKIDEXAMPLE", AWS_SECRET_ACCESS_KEY: "secret" },
      Date.parse("2019-10-23T23:00:00Z"),
    );
    assert.equal(r.code, 0, r.stderr);
    assert.equal(JSON.parse(r.stdout).status.expirationTimestamp, "2019-10-23T23:14:00Z");
    assert.equal(urlOf(r).host, "sts.us-west-2.amazonaws.com");
  });
});

describe("region and credentials", () => {
  const creds = { AWS_ACCESS_KEY_ID: "AKIDEXAMPLE", AWS_SECRET_ACCESS_KEY: "secret" };
  const cases: [string, string[], Record<string, string>, string][] = [
    [
      "--region wins",
      ["--region", "eu-central-1"],
      { ...creds, AWS_REGION: "us-west-1", AWS_DEFAULT_REGION: "us-west-2" },
      "eu-central-1",
    ],
    [
      "AWS_REGION before AWS_DEFAULT_REGION",
      [],
      { ...creds, AWS_REGION: "us-west-1", AWS_DEFAULT_REGION: "us-west-2" },
      "us-west-1",
    ],
    ["AWS_DEFAULT_REGION", [], { ...creds, AWS_DEFAULT_REGION: "us-west-2" }, "us-west-2"],
    ["a China region gets the .com.cn endpoint", ["--region", "cn-northwest-1"], creds, "cn-northwest-1"],
  ];
  for (const [name, args, env, region] of cases) {
    test(name, async () => {
      const r = await getToken(["--cluster-name", "c", ...args], env);
      assert.equal(r.code, 0, r.stderr);
      const u = urlOf(r);
      assert.equal(u.searchParams.get("X-Amz-Credential"), `AKIDEXAMPLE/20261123/${region}/sts/aws4_request`);
      assert.equal(
        u.host,
        region.startsWith("cn-") ? `sts.${region}.amazonaws.com.cn` : `sts.${region}.amazonaws.com`,
      );
    });
  }

  test("the shared config file: the profile's region, and a named profile's keys", async (t) => {
    const dir = await tempDir(t);
    const config = join(dir, "config");
    await writeFile(
      config,
      "[default]\nregion = ap-southeast-2\n\n[profile ci]\nregion = sa-east-1\naws_access_key_id = AKIDPROFILE\naws_secret_access_key = profile-secret\n",
    );
    const saved = { ...process.env };
    t.after(() => {
      for (const k of [
        "AWS_CONFIG_FILE",
        "AWS_SHARED_CREDENTIALS_FILE",
        "AWS_PROFILE",
        "AWS_REGION",
        "AWS_DEFAULT_REGION",
      ]) {
        if (saved[k] === undefined) Reflect.deleteProperty(process.env, k);
        else process.env[k] = saved[k];
      }
    });
    // the SDK reads the files named in the process environment
    process.env.AWS_CONFIG_FILE = config;
    process.env.AWS_SHARED_CREDENTIALS_FILE = join(dir, "none");
    delete process.env.AWS_PROFILE;
    delete process.env.AWS_REGION;
    delete process.env.AWS_DEFAULT_REGION;
    const def = await getToken(["--cluster-name", "c"], creds);
    assert.equal(def.code, 0, def.stderr);
    assert.equal(urlOf(def).host, "sts.ap-southeast-2.amazonaws.com");
    const ci = await getToken(["--cluster-name", "c", "--profile", "ci"], creds);
    assert.equal(ci.code, 0, ci.stderr);
    assert.equal(
      urlOf(ci).searchParams.get("X-Amz-Credential"),
      "AKIDPROFILE/20261123/sa-east-1/sts/aws4_request",
      "a named profile skips the environment's keys",
    );
    // nothing configured anywhere: us-east-1, as aws-iam-authenticator defaults
    process.env.AWS_CONFIG_FILE = join(dir, "none");
    const none = await getToken(["--cluster-name", "c"], creds);
    assert.equal(urlOf(none).host, "sts.us-east-1.amazonaws.com");
  });
});

describe("usage errors (exit 2, nothing on stdout)", () => {
  const creds = {
    AWS_ACCESS_KEY_ID: "AKIDEXAMPLE",
    AWS_SECRET_ACCESS_KEY: "secret",
    AWS_REGION: "us-east-1",
  };
  const cases: [string[], Record<string, string>, RegExp][] = [
    [[], creds, /^error: Either parameter --cluster-name or --cluster-id must be specified\.$/m],
    [
      ["--cluster-name", "a", "--cluster-id", "b"],
      creds,
      /--cluster-name and --cluster-id are mutually exclusive/,
    ],
    [["--cluster-name", "a", "-o", "text"], creds, /unknown output format "text"; use one of: json/],
    [["--cluster-name", "a", "--region", "Not_A_Region"], creds, /--region: expected an AWS region/],
    [["--cluster-name", "a"], { ...creds, AWS_REGION: "bad region" }, /AWS_REGION: expected an AWS region/],
    [["--cluster-name", "a", "--session-name", "bob"], creds, /--session-name needs --role-arn/],
    [
      ["--cluster-name", "a", "--role-arn", "arn:aws:iam::000000000000:user/admin"],
      creds,
      /--role-arn: expected a role ARN/,
    ],
    [["--cluster-name", "a"], { ...creds, AWS_ENDPOINT_URL: "::" }, /AWS_ENDPOINT_URL: expected a URL/],
    [["--cluster-name", "a", "--bogus"], creds, /unknown option '--bogus'/],
  ];
  for (const [args, env, msg] of cases) {
    test(args.join(" ") || "(no flags)", async () => {
      const r = await getToken(args, env);
      assert.equal(r.code, 2, r.stderr);
      assert.equal(r.stdout, "");
      assert.match(r.stderr, msg);
    });
  }
});
