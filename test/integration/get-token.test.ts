/**
 * `kubeiam get-token` next to the real `aws eks get-token` (aws CLI v1 on the machine):
 * - byte-level: the same URL shape (scheme, host, path, ordered parameter names, X-Amz-Expires,
 *   X-Amz-SignedHeaders, credential scope), and — signing at the instant the aws CLI signed, read
 *   from its X-Amz-Date — the very same token and the same printed bytes; the same stderr notes
 *   for KUBERNETES_EXEC_INFO;
 * - end to end: kubeiam up (sts: self), aws-auth mapping the admin user and a role; tokens from
 *   both clients, with and without --role-arn, authenticate through POST /authenticate to the
 *   mapped user; unmapped → 403 deny body; a token for another cluster id → 403.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { registerGetTokenCommands } from "../../src/cli/get-token.js";
import { fixedClock, systemClock } from "../../src/lib/clock.js";
import { startTestServer, type TestServer } from "../helpers/server.js";
import { kubeiamProcess } from "../helpers/cli.js";
import { buildProgram } from "../../src/cli/main.js";
import { tempDir } from "../helpers/tmp.js";
import { runCommand, type Run } from "../unit/clients/lib/run-cli.js";

interface AwsRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** `aws …` with exactly this environment (plus PATH and HOME), never the user's files. */
function aws(args: string[], env: Record<string, string>, home: string): Promise<AwsRun> {
  return new Promise((resolve) => {
    execFile(
      "aws",
      args,
      {
        env: {
          PATH: process.env.PATH ?? "/usr/bin:/bin",
          HOME: home,
          AWS_CONFIG_FILE: "/dev/null",
          AWS_SHARED_CREDENTIALS_FILE: "/dev/null",
          AWS_EC2_METADATA_DISABLED: "true",
          ...env,
        },
        timeout: 30_000,
      },
      (err, stdout, stderr) =>
        resolve({ code: err ? (typeof err.code === "number" ? err.code : 1) : 0, stdout, stderr }),
    );
  });
}

interface Cred {
  kind: string;
  apiVersion: string;
  spec: Record<string, unknown>;
  status: { expirationTimestamp: string; token: string };
}

const urlOfToken = (token: string): URL => {
  assert.match(token, /^k8s-aws-v1\.[A-Za-z0-9_-]+$/, "unpadded base64url after the prefix");
  return new URL(Buffer.from(token.slice("k8s-aws-v1.".length), "base64url").toString("utf8"));
};

/** Everything about a presigned URL except the values that depend on the time and the secret. */
function shape(u: URL): Record<string, unknown> {
  const q = u.searchParams;
  return {
    scheme: u.protocol,
    host: u.host,
    path: u.pathname,
    params: [...q.keys()],
    action: q.get("Action"),
    version: q.get("Version"),
    algorithm: q.get("X-Amz-Algorithm"),
    expires: q.get("X-Amz-Expires"),
    signedHeaders: q.get("X-Amz-SignedHeaders"),
    credential: (q.get("X-Amz-Credential") ?? "").replace(/\/\d{8}\//, "/<date>/"),
    date: /^\d{8}T\d{6}Z$/.test(q.get("X-Amz-Date") ?? ""),
    signature: /^[0-9a-f]{64}$/.test(q.get("X-Amz-Signature") ?? ""),
    securityToken: q.get("X-Amz-Security-Token"),
    rawQueryEncoding:
      u.search.includes("X-Amz-Credential=") &&
      u.search.includes("%2F") &&
      u.search.includes("host%3Bx-k8s-aws-id"),
  };
}

const amzDateMs = (u: URL): number => {
  const d = u.searchParams.get("X-Amz-Date") ?? "";
  return Date.parse(
    `${d.slice(0, 4)}-${d.slice(4, 6)}-${d.slice(6, 8)}T${d.slice(9, 11)}:${d.slice(11, 13)}:${d.slice(13, 15)}Z`,
  );
};

const kubeiamGetToken = (args: string[], env: Record<string, string>, now?: number): Promise<Run> =>
  runCommand(
    (p, io) =>
      registerGetTokenCommands(p, io, { clock: now === undefined ? systemClock : fixedClock(now), env }),
    ["get-token", ...args],
  );

const execInfo = (
  JSON.parse(readFileSync(new URL("../fixtures/clients/exec-info.json", import.meta.url), "utf8")) as {
    cases: { name: string; env: string | null }[];
  }
).cases;

test("the same token as `aws eks get-token`: URL shape, then byte for byte at the same instant; the same stderr notes", async (t) => {
  const home = await tempDir(t);
  const keys = {
    AWS_ACCESS_KEY_ID: "AKIAIOSFODNN7EXAMPLE",
    AWS_SECRET_ACCESS_KEY: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
  };
  // each run also carries a KUBERNETES_EXEC_INFO case, so the stderr notes are compared as well
  const info = (name: string): string => execInfo.find((c) => c.name === name)?.env ?? assert.fail(name);
  const setups: [string, string[], Record<string, string>, string][] = [
    [
      "regional endpoint; exec info v1",
      ["--cluster-name", "demo"],
      { ...keys, AWS_DEFAULT_REGION: "eu-west-1", KUBERNETES_EXEC_INFO: info("v1") },
      "sts.eu-west-1.amazonaws.com",
    ],
    [
      "--region in the China partition; deprecated v1alpha1",
      ["--cluster-name", "prod", "--region", "cn-north-1"],
      { ...keys, AWS_DEFAULT_REGION: "eu-west-1", KUBERNETES_EXEC_INFO: info("v1alpha1 (deprecated)") },
      "sts.cn-north-1.amazonaws.com.cn",
    ],
    [
      "AWS_ENDPOINT_URL and a session token; unknown version",
      ["--cluster-name", "kubeiam"],
      {
        ...keys,
        AWS_SESSION_TOKEN: "FwoGZXIvYXdzE/session+token==",
        AWS_DEFAULT_REGION: "us-west-2",
        AWS_ENDPOINT_URL: "https://127.0.0.1:8443",
        KUBERNETES_EXEC_INFO: info("unknown version"),
      },
      "127.0.0.1:8443",
    ],
    [
      "AWS_ENDPOINT_URL_STS wins over AWS_ENDPOINT_URL; malformed exec info",
      ["--cluster-name", "c"],
      {
        ...keys,
        AWS_DEFAULT_REGION: "us-east-2",
        AWS_ENDPOINT_URL: "https://other.example",
        AWS_ENDPOINT_URL_STS: "https://sts.internal:9443",
        KUBERNETES_EXEC_INFO: info("malformed JSON"),
      },
      "sts.internal:9443",
    ],
  ];
  const awsRuns = await Promise.all(
    setups.map(([, args, env]) => aws(["eks", "get-token", ...args], env, home)),
  );
  for (const [i, [name, args, env, host]] of setups.entries()) {
    const theirs = awsRuns[i]!;
    assert.equal(theirs.code, 0, `${name}: ${theirs.stderr}`);
    const theirCred = JSON.parse(theirs.stdout) as Cred;
    const theirUrl = urlOfToken(theirCred.status.token);
    assert.equal(theirUrl.host, host, name);

    // shape, from our own clock
    const ours = await kubeiamGetToken(args, env);
    assert.equal(ours.code, 0, `${name}: ${ours.stderr}`);
    const ourCred = JSON.parse(ours.stdout) as Cred;
    assert.deepEqual(shape(urlOfToken(ourCred.status.token)), shape(theirUrl), name);
    assert.deepEqual(Object.keys(ourCred), Object.keys(theirCred), name);

    // at the aws CLI's signing instant: the same token, the same bytes on stdout
    const at = amzDateMs(theirUrl);
    const same = await kubeiamGetToken(args, env, at);
    const sameCred = JSON.parse(same.stdout) as Cred;
    assert.equal(sameCred.status.token, theirCred.status.token, `${name}: identical token`);
    // the aws CLI reads its clock again for the expiry, which may be a moment later
    const drift = Date.parse(theirCred.status.expirationTimestamp) - (at + 14 * 60_000);
    assert.ok(
      drift >= 0 && drift <= 5000,
      `${name}: aws expiry is signing time + 14 min (drift ${drift} ms)`,
    );
    assert.equal(
      same.stdout,
      theirs.stdout.replace(theirCred.status.expirationTimestamp, sameCred.status.expirationTimestamp),
      `${name}: identical output bytes`,
    );
    assert.equal(same.stderr, theirs.stderr, `${name}: the same stderr`);
    assert.equal(sameCred.apiVersion, theirCred.apiVersion, name);
  }
  assert.deepEqual(
    awsRuns.map((r) => r.stderr !== ""),
    [false, true, true, true],
    "three of the four runs had a note",
  );
});

interface Review {
  status: number;
  body: {
    apiVersion?: string;
    kind?: string;
    status: {
      authenticated?: boolean;
      user?: { username?: string; uid?: string; groups?: string[]; extra?: Record<string, string[]> };
    };
  };
}

async function review(s: TestServer, token: string): Promise<Review> {
  const r = await s.fetch("/authenticate", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ apiVersion: "authentication.k8s.io/v1", kind: "TokenReview", spec: { token } }),
  });
  return { status: r.status, body: r.json() as Review["body"] };
}

test("end to end: tokens from both clients authenticate through kubeiam's /authenticate and map through aws-auth", async (t) => {
  const s = await startTestServer(t);
  const home = await tempDir(t);
  const key = s.app.adminAccessKey;
  const caFile = join(s.stateDir, "ca.crt");
  await writeFile(caFile, s.ca);
  const env: Record<string, string> = {
    AWS_ACCESS_KEY_ID: key.accessKeyId,
    AWS_SECRET_ACCESS_KEY: key.secretAccessKey,
    AWS_DEFAULT_REGION: "us-east-1",
    AWS_ENDPOINT_URL: s.url,
    AWS_CA_BUNDLE: caFile,
  };
  // a role with a path that trusts the admin user (STS drops the path from assumed-role ARNs)
  await s.app.store.put({
    apiVersion: "kubeiam.io/v1alpha1",
    kind: "IAMRole",
    metadata: { name: "eks-admin" },
    spec: {
      path: "/team/",
      assumeRolePolicyDocument: {
        Version: "2012-10-17",
        Statement: [
          {
            Effect: "Allow",
            Principal: { AWS: "arn:aws:iam::000000000000:user/admin" },
            Action: "sts:AssumeRole",
          },
        ],
      },
    },
  });
  const roleArn = "arn:aws:iam::000000000000:role/team/eks-admin";
  const [awsPlain, awsRoleRun] = await Promise.all([
    aws(["eks", "get-token", "--cluster-name", "kubeiam"], env, home),
    aws(["eks", "get-token", "--cluster-name", "kubeiam", "--role-arn", roleArn], env, home),
  ]);
  assert.equal(awsPlain.code, 0, awsPlain.stderr);
  assert.equal(awsRoleRun.code, 0, awsRoleRun.stderr);

  const ours = await kubeiamGetToken(["--cluster-name", "kubeiam"], env);
  assert.equal(ours.code, 0, ours.stderr);
  const awsToken = (JSON.parse(awsPlain.stdout) as Cred).status.token;
  const ourToken = (JSON.parse(ours.stdout) as Cred).status.token;
  assert.deepEqual(shape(urlOfToken(ourToken)), shape(urlOfToken(awsToken)));

  // no aws-auth yet: both are valid IAM tokens of an unmapped identity → 403 with the deny body
  for (const tok of [awsToken, ourToken]) {
    const r = await review(s, tok);
    assert.equal(r.status, 403);
    assert.deepEqual(r.body.status, { user: {} });
  }

  await s.app.store.put({
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name: "aws-auth", namespace: "kube-system" },
    data: {
      mapUsers:
        "- userarn: arn:aws:iam::000000000000:user/admin\n  username: admin\n  groups: [system:masters]\n",
      // STS drops the role path: the mapping names the role without it
      mapRoles:
        "- rolearn: arn:aws:iam::000000000000:role/eks-admin\n  username: 'eks-admin:{{SessionName}}'\n  groups: [developers]\n",
    },
  });
  const byAws = await review(s, awsToken);
  const byUs = await review(s, ourToken);
  for (const r of [byAws, byUs]) {
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.status.authenticated, true);
    assert.equal(r.body.status.user?.username, "admin");
    assert.deepEqual(r.body.status.user?.groups, ["system:masters"]);
    assert.deepEqual(r.body.status.user?.extra?.arn, ["arn:aws:iam::000000000000:user/admin"]);
  }
  assert.equal(byUs.body.status.user?.uid, byAws.body.status.user?.uid);

  // --role-arn: AssumeRole at kubeiam's STS (AWS_ENDPOINT_URL, AWS_CA_BUNDLE), then a token with the session's keys
  const [ourRole, ourNamed] = await Promise.all([
    kubeiamGetToken(["--cluster-name", "kubeiam", "--role-arn", roleArn], env),
    kubeiamGetToken(["--cluster-name", "kubeiam", "--role-arn", roleArn, "--session-name", "bob"], env),
  ]);
  assert.equal(ourRole.code, 0, ourRole.stderr);
  assert.equal(ourNamed.code, 0, ourNamed.stderr);
  const awsRoleToken = (JSON.parse(awsRoleRun.stdout) as Cred).status.token;
  const ourRoleToken = (JSON.parse(ourRole.stdout) as Cred).status.token;
  const ourShape = shape(urlOfToken(ourRoleToken));
  const awsShape = shape(urlOfToken(awsRoleToken));
  assert.ok(
    typeof ourShape.securityToken === "string" && ourShape.securityToken !== "",
    "temporary credentials carry X-Amz-Security-Token",
  );
  assert.deepEqual(
    { ...ourShape, securityToken: "", credential: "" },
    { ...awsShape, securityToken: "", credential: "" },
  );
  assert.match(String(ourShape.credential), /^ASIA[A-Z0-9]+\/<date>\/us-east-1\/sts\/aws4_request$/);
  const cases: [string, string][] = [
    [awsRoleToken, "eks-admin:EKSGetTokenAuth"],
    [ourRoleToken, "eks-admin:EKSGetTokenAuth"],
    [(JSON.parse(ourNamed.stdout) as Cred).status.token, "eks-admin:bob"],
  ];
  for (const [tok, username] of cases) {
    const r = await review(s, tok);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.status.user?.username, username);
    assert.deepEqual(r.body.status.user?.groups, ["developers"]);
    assert.deepEqual(r.body.status.user?.extra?.canonicalArn, ["arn:aws:iam::000000000000:role/eks-admin"]);
  }

  // a token for another cluster id: STS's signature check on x-k8s-aws-id fails → 403
  const other = await kubeiamGetToken(["--cluster-name", "another-cluster"], env);
  assert.equal((await review(s, (JSON.parse(other.stdout) as Cred).status.token)).status, 403);

  // a role that does not exist (or does not trust the caller): STS says no, exit 1, nothing on stdout
  const denied = await kubeiamGetToken(
    ["--cluster-name", "kubeiam", "--role-arn", "arn:aws:iam::000000000000:role/nobody"],
    env,
  );
  assert.equal(denied.code, 1, denied.stderr);
  assert.equal(denied.error, "AWS_ASSUME_ROLE_FAILED");
  assert.equal(denied.stdout, "");
  assert.match(
    denied.stderr,
    /^error: AssumeRole arn:aws:iam::000000000000:role\/nobody failed: AccessDenied: /m,
  );
  assert.ok(!denied.stderr.includes(key.secretAccessKey));
  // STS not reachable at all
  const down = await kubeiamGetToken(["--cluster-name", "kubeiam", "--role-arn", roleArn], {
    ...env,
    AWS_ENDPOINT_URL: "https://127.0.0.1:1",
  });
  assert.equal(down.code, 2);
  assert.equal(down.error, "UPSTREAM_UNREACHABLE");
  assert.match(down.stderr, /cannot reach STS at https:\/\/127\.0\.0\.1:1/);
});

test("as a process: the exact bytes on stdout, and a clear exit 2 when there are no credentials", async (t) => {
  const program = await buildProgram({ out: () => undefined, err: () => undefined });
  if (!program.commands.some((c) => c.name() === "get-token")) {
    t.skip("get-token is not wired into src/cli/extensions.ts yet");
    return;
  }
  const home = await tempDir(t);
  const base = {
    HOME: home,
    AWS_CONFIG_FILE: "/dev/null",
    AWS_SHARED_CREDENTIALS_FILE: "/dev/null",
    AWS_EC2_METADATA_DISABLED: "true",
    AWS_PROFILE: "",
    AWS_REGION: "",
    AWS_DEFAULT_REGION: "us-east-1",
    AWS_ENDPOINT_URL: "",
    AWS_ENDPOINT_URL_STS: "",
    KUBERNETES_EXEC_INFO: "",
  };
  const [ok, none] = await Promise.all([
    kubeiamProcess(["get-token", "--cluster-name", "kubeiam"], {
      env: {
        ...base,
        AWS_ACCESS_KEY_ID: "AKIDEXAMPLE",
        AWS_SECRET_ACCESS_KEY: "secret",
        AWS_SESSION_TOKEN: "",
      },
    }),
    kubeiamProcess(["get-token", "--cluster-name", "kubeiam"], {
      env: {
        ...base,
        AWS_ACCESS_KEY_ID: "",
        AWS_SECRET_ACCESS_KEY: "",
        AWS_SESSION_TOKEN: "",
        AWS_CONTAINER_CREDENTIALS_RELATIVE_URI: "",
        AWS_CONTAINER_CREDENTIALS_FULL_URI: "",
        AWS_WEB_IDENTITY_TOKEN_FILE: "",
      },
    }),
  ]);
  assert.equal(ok.code, 0, ok.stderr);
  assert.equal(ok.stderr, "");
  const cred = JSON.parse(ok.stdout) as Cred;
  assert.equal(
    ok.stdout,
    JSON.stringify(cred, null, 4) + "\n\n",
    "4-space JSON and a blank line, as the aws CLI prints",
  );
  assert.equal(urlOfToken(cred.status.token).host, "sts.us-east-1.amazonaws.com");
  assert.equal(none.code, 2, none.stderr);
  assert.equal(none.stdout, "");
  assert.match(
    none.stderr,
    /^error: no AWS credentials found \(.*\); set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, AWS_PROFILE, or run on a host with an instance or container role\n$/,
  );
});
