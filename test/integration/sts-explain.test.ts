/**
 * `kubeiam sts explain`: the AssumeRoleWithWebIdentity decision check by check, offline from the
 * state dir and through a running server (POST /sts/explain), with exit codes 0 / 1 / 2.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { StsExplainResponse } from "../../src/server/routes/aws.js";
import { cli, ROLE_ARN, startIrsaServer, SUB, type IrsaServer } from "./sts-support.js";

async function tokenFiles(
  s: IrsaServer,
): Promise<{ good: string; intruder: string; expired: string; empty: string }> {
  const files = {
    good: s.token(),
    intruder: s.token({ claims: { sub: "system:serviceaccount:default:intruder" } }),
    expired: s.token({ claims: { exp: Math.floor(Date.now() / 1000) - 3600 } }),
    empty: "\n",
  };
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(files)) {
    out[k] = join(s.stateDir, `${k}.jwt`);
    await writeFile(out[k], v + "\n");
  }
  return out as { good: string; intruder: string; expired: string; empty: string };
}

test("sts explain offline: allowed (exit 0), denied by the trust policy (exit 1), expired (exit 1), bad input (exit 2)", async (t) => {
  const s = await startIrsaServer(t);
  const f = await tokenFiles(s);
  const base = [
    "sts",
    "explain",
    "--config",
    s.configFile,
    "--state-dir",
    s.stateDir,
    "--role-arn",
    ROLE_ARN,
  ];

  const ok = await cli([...base, "--token-file", f.good]);
  assert.equal(ok.code, 0, ok.stderr);
  assert.match(ok.stdout, new RegExp(`^AssumeRoleWithWebIdentity ${ROLE_ARN} for ${SUB}\\n`));
  for (const check of [
    "web-identity.provider",
    "web-identity.aud",
    "web-identity.signature",
    "web-identity.time",
    "sts.role",
    "sts.trust-policy",
    "sts.duration",
  ]) {
    assert.match(ok.stdout, new RegExp(`^  ✓ ${check.replace(".", "\\.")}: `, "m"), check);
  }
  assert.ok(!ok.stdout.includes("✗"));
  assert.match(
    ok.stdout,
    /\nallowed: the session would be arn:aws:sts::000000000000:assumed-role\/irsa-demo\/kubeiam-explain\n$/,
  );

  const denied = await cli([...base, "--token-file", f.intruder, "-o", "json"]);
  assert.equal(denied.code, 1);
  const j = JSON.parse(denied.stdout) as StsExplainResponse;
  assert.deepEqual(
    [j.allowed, j.stage, j.error, j.subject],
    [
      false,
      "trust",
      {
        code: "AccessDenied",
        status: 403,
        message: "Not authorized to perform sts:AssumeRoleWithWebIdentity",
      },
      "system:serviceaccount:default:intruder",
    ],
  );
  assert.ok(j.reasons.some((r) => r.check === "sts.trust-policy" && !r.ok));
  const text = await cli([...base, "--token-file", f.intruder]);
  assert.match(
    text.stdout,
    /^ {2}✗ sts\.trust-policy: the trust policy of arn:aws:iam::000000000000:role\/irsa-demo does not allow/m,
  );
  assert.match(
    text.stdout,
    /\ndenied: STS answers AccessDenied \(403\): Not authorized to perform sts:AssumeRoleWithWebIdentity\n$/,
  );

  const expired = await cli([...base, "--token-file", f.expired]);
  assert.equal(expired.code, 1);
  assert.match(expired.stdout, /✗ web-identity\.exp: the token expired at /);
  assert.match(
    expired.stdout,
    /denied: STS answers ExpiredTokenException \(400\): Token expired: current date\/time \d+ must be before the expiration date\/time \d+/,
  );

  const longer = await cli([...base, "--token-file", f.good, "--duration-seconds", "7200"]);
  assert.equal(longer.code, 1);
  assert.match(longer.stdout, /✗ sts\.duration: DurationSeconds 7200 exceeds the MaxSessionDuration 3600/);

  const badArn = await cli([
    "sts",
    "explain",
    "--config",
    s.configFile,
    "--state-dir",
    s.stateDir,
    "--role-arn",
    "arn:aws:iam::000000000000:user/x",
    "--token-file",
    f.good,
  ]);
  assert.equal(badArn.code, 2);
  assert.match(badArn.stdout, /denied: STS answers ValidationError \(400\): Request ARN is invalid/);
  const missing = await cli([...base, "--token-file", join(s.stateDir, "nope.jwt")]);
  assert.deepEqual([missing.code, missing.stdout], [2, ""]);
  assert.match(missing.stderr, /cannot read the token file .*nope\.jwt \(ENOENT\)/);
  const empty = await cli([...base, "--token-file", f.empty]);
  assert.equal(empty.code, 2);
  assert.match(empty.stderr, /empty\.jwt is empty/);
  const noArn = await cli(["sts", "explain", "--token-file", f.good]);
  assert.equal(noArn.code, 2);
  assert.match(noArn.stderr, /required option '--role-arn <arn>' not specified/);
  // nothing was issued, nothing logged as an STS call
  assert.deepEqual(s.app.decisions.recent(10, { kind: "sts" }), []);
});

test("sts explain --server: the running server's decision, with the admin token from the state dir", async (t) => {
  const s = await startIrsaServer(t);
  const f = await tokenFiles(s);
  const base = [
    "sts",
    "explain",
    "--config",
    s.configFile,
    "--state-dir",
    s.stateDir,
    "--server",
    s.url,
    "--role-arn",
    ROLE_ARN,
  ];
  const ok = await cli([...base, "--token-file", f.good, "--session-name", "remote", "-o", "json"]);
  assert.equal(ok.code, 0, ok.stderr);
  const j = JSON.parse(ok.stdout) as StsExplainResponse;
  assert.deepEqual(
    [j.allowed, j.assumedRoleArn, j.subject],
    [true, "arn:aws:sts::000000000000:assumed-role/irsa-demo/remote", SUB],
  );
  const denied = await cli([...base, "--token-file", f.intruder]);
  assert.equal(denied.code, 1);
  assert.match(denied.stdout, /✗ sts\.trust-policy/);

  // the route is admin-only and validates its body
  const anon = await s.fetch("/sts/explain", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ roleArn: ROLE_ARN, token: "x" }),
  });
  assert.equal(anon.status, 401);
  const bad = await s.fetch("/sts/explain", {
    method: "POST",
    headers: { ...s.admin, "content-type": "application/json" },
    body: JSON.stringify({ roleArn: ROLE_ARN }),
  });
  assert.equal(bad.status, 400);
  assert.match(bad.text, /token: expected a non-empty string/);
  const unreachable = await cli([
    "sts",
    "explain",
    "--config",
    s.configFile,
    "--state-dir",
    s.stateDir,
    "--server",
    "https://127.0.0.1:1",
    "--role-arn",
    ROLE_ARN,
    "--token-file",
    f.good,
  ]);
  assert.equal(unreachable.code, 2);
  assert.match(unreachable.stderr, /cannot reach kubeiam at https:\/\/127\.0\.0\.1:1/);
});
