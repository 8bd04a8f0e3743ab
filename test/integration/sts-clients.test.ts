/**
 * The IRSA chain with real AWS clients against kubeiam on loopback: the aws CLI (IAM setup through
 * the API, AssumeRoleWithWebIdentity from a token file, GetCallerIdentity signed with the returned
 * credentials), the AWS SDK for JavaScript v3 (fromTokenFile and the default chain, configured only
 * by environment, in its own process) and boto3 (default chain and an explicit call).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFile, spawnSync } from "node:child_process";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { kubeiam } from "../helpers/cli.js";
import {
  ACCOUNT,
  AUDIENCE,
  ROLE,
  ROLE_ARN,
  SA_NAME,
  SUB,
  startIrsaServer,
  trustPolicy,
  type IrsaServer,
} from "./sts-support.js";

const run = promisify(execFile);
const has = (cmd: string): boolean =>
  spawnSync("sh", ["-c", `command -v ${cmd}`], { stdio: "ignore" }).status === 0;
const FIXTURES = fileURLToPath(new URL("../fixtures/sts/", import.meta.url));

/** Environment isolated from the developer's ~/.aws. */
function baseEnv(s: IrsaServer, extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const k of ["PATH", "HOME", "PYENV_ROOT", "PYENV_VERSION", "LANG", "SYSTEMROOT"])
    if (process.env[k] !== undefined) env[k] = process.env[k];
  return {
    ...env,
    AWS_CONFIG_FILE: join(s.stateDir, "no-aws-config"),
    AWS_SHARED_CREDENTIALS_FILE: join(s.stateDir, "no-aws-credentials"),
    AWS_DEFAULT_REGION: "us-east-1",
    AWS_REGION: "us-east-1",
    AWS_EC2_METADATA_DISABLED: "true",
    ...extra,
  };
}

async function tokenFile(s: IrsaServer): Promise<string> {
  const r = await kubeiam([
    "token",
    "create",
    "--config",
    s.configFile,
    "--state-dir",
    s.stateDir,
    "--service-account",
    SA_NAME,
    "--audience",
    AUDIENCE,
  ]);
  assert.equal(r.code, 0, r.stderr);
  const file = join(s.stateDir, "token");
  // kubectl-style: the file ends with a newline, which the clients send as part of the token
  await writeFile(file, r.stdout);
  return file;
}

test(
  "aws CLI: create the provider and role through IAM, assume the role with a token file, call GetCallerIdentity with the session",
  { skip: has("aws") ? false : "aws CLI not installed" },
  async (t) => {
    const s = await startIrsaServer(t, { register: false });
    // IAM calls name the endpoint with --endpoint-url, STS calls through AWS_ENDPOINT_URL_STS.
    const env = baseEnv(s, {
      AWS_ENDPOINT_URL_STS: s.url,
      AWS_CA_BUNDLE: s.caFile,
      AWS_ACCESS_KEY_ID: s.adminCreds.accessKeyId,
      AWS_SECRET_ACCESS_KEY: s.adminCreds.secretAccessKey,
    });
    const aws = async (
      args: string[],
      extraEnv: Record<string, string> = {},
    ): Promise<Record<string, unknown>> => {
      try {
        const endpoint = args[0] === "iam" ? ["--endpoint-url", s.url] : [];
        const r = await run("aws", [...args, ...endpoint, "--output", "json"], {
          env: { ...env, ...extraEnv },
          timeout: 60_000,
        });
        return r.stdout.trim() === "" ? {} : (JSON.parse(r.stdout) as Record<string, unknown>);
      } catch (e) {
        throw new Error(
          `aws ${args.slice(0, 2).join(" ")} failed: ${(e as { stderr?: string }).stderr ?? ""}`,
          { cause: e },
        );
      }
    };
    const trustFile = join(s.stateDir, "trust.json");
    await writeFile(trustFile, trustPolicy(s.hostPath));
    const tok = await tokenFile(s);

    const [provider, created] = await Promise.all([
      aws(["iam", "create-open-id-connect-provider", "--url", s.issuer, "--client-id-list", AUDIENCE]),
      aws([
        "iam",
        "create-role",
        "--role-name",
        ROLE,
        "--assume-role-policy-document",
        `file://${trustFile}`,
        "--max-session-duration",
        "7200",
      ]),
    ]);
    assert.equal(provider.OpenIDConnectProviderArn, s.providerArn);
    const role = created.Role as Record<string, unknown>;
    assert.equal(role.Arn, ROLE_ARN);
    assert.match(String(role.RoleId), /^AROA[A-Z2-7]{17}$/);

    const [got, assumed] = await Promise.all([
      aws(["iam", "get-role", "--role-name", ROLE]),
      aws([
        "sts",
        "assume-role-with-web-identity",
        "--role-arn",
        ROLE_ARN,
        "--role-session-name",
        "cli-session",
        "--web-identity-token",
        `file://${tok}`,
        "--duration-seconds",
        "7200",
      ]),
    ]);
    const gotRole = got.Role as Record<string, unknown>;
    assert.equal(gotRole.RoleId, role.RoleId);
    assert.equal(gotRole.MaxSessionDuration, 7200);
    // the CLI URL-decodes and parses the document: the exact trust policy comes back
    assert.deepEqual(gotRole.AssumeRolePolicyDocument, JSON.parse(trustPolicy(s.hostPath)));

    const creds = assumed.Credentials as Record<string, string>;
    assert.match(creds.AccessKeyId!, /^ASIA[A-Z2-7]{16}$/);
    const lifetime = Date.parse(creds.Expiration!) - Date.now();
    assert.ok(lifetime > 7100_000 && lifetime <= 7200_000, `expiration ${creds.Expiration!}`);
    assert.equal(assumed.SubjectFromWebIdentityToken, SUB);
    assert.equal(assumed.Audience, AUDIENCE);
    assert.equal(assumed.Provider, s.providerArn);
    assert.deepEqual(assumed.AssumedRoleUser, {
      Arn: `arn:aws:sts::${ACCOUNT}:assumed-role/${ROLE}/cli-session`,
      AssumedRoleId: `${String(role.RoleId)}:cli-session`,
    });

    const who = await aws(["sts", "get-caller-identity"], {
      AWS_ACCESS_KEY_ID: creds.AccessKeyId!,
      AWS_SECRET_ACCESS_KEY: creds.SecretAccessKey!,
      AWS_SESSION_TOKEN: creds.SessionToken!,
    });
    assert.deepEqual(who, {
      UserId: `${String(role.RoleId)}:cli-session`,
      Account: ACCOUNT,
      Arn: `arn:aws:sts::${ACCOUNT}:assumed-role/${ROLE}/cli-session`,
    });
    const decisions = s.app.decisions.recent(20, { kind: "sts" });
    assert.deepEqual(
      decisions.map((d) => [d.action, d.allowed]),
      [
        ["AssumeRoleWithWebIdentity", true],
        ["GetCallerIdentity", true],
      ],
    );
  },
);

test("AWS SDK for JavaScript v3: fromTokenFile and the default chain, configured by environment only", async (t) => {
  const s = await startIrsaServer(t);
  const tok = await tokenFile(s);
  const env = baseEnv(s, {
    AWS_ENDPOINT_URL_STS: s.url,
    AWS_ROLE_ARN: ROLE_ARN,
    AWS_WEB_IDENTITY_TOKEN_FILE: tok,
    NODE_EXTRA_CA_CERTS: s.caFile,
  });
  const r = await run(process.execPath, [join(FIXTURES, "js-sdk-chain.mjs")], { env, timeout: 60_000 }).catch(
    (e: unknown) => {
      throw new Error(`js-sdk-chain failed: ${(e as { stderr?: string }).stderr ?? ""}`, { cause: e });
    },
  );
  const out = JSON.parse(r.stdout) as {
    accessKeyIdPrefix: string;
    hasSessionToken: boolean;
    expiresInSeconds: number;
    viaProvider: Record<string, string>;
    defaultChain: Record<string, string>;
  };
  assert.equal(out.accessKeyIdPrefix, "ASIA");
  assert.equal(out.hasSessionToken, true);
  // no DurationSeconds is sent by the SDK: the default hour
  assert.ok(out.expiresInSeconds > 3500 && out.expiresInSeconds <= 3600, String(out.expiresInSeconds));
  for (const who of [out.viaProvider, out.defaultChain]) {
    assert.match(
      who.arn!,
      new RegExp(`^arn:aws:sts::${ACCOUNT}:assumed-role/${ROLE}/aws-sdk-js-session-\\d+$`),
    );
    assert.equal(who.account, ACCOUNT);
    assert.match(who.userId!, /^AROA[A-Z2-7]{17}:aws-sdk-js-session-\d+$/);
  }
  const calls = s.app.decisions.recent(20, { kind: "sts" }).map((d) => `${d.action}:${String(d.allowed)}`);
  assert.equal(calls.filter((c) => c === "AssumeRoleWithWebIdentity:true").length, 3, calls.join(" "));
  assert.equal(calls.filter((c) => c === "GetCallerIdentity:true").length, 2, calls.join(" "));
});

test(
  "boto3: the default chain from AWS_ROLE_ARN / AWS_WEB_IDENTITY_TOKEN_FILE / AWS_ENDPOINT_URL_STS, and an explicit call",
  {
    skip:
      has("python3") && spawnSync("python3", ["-c", "import boto3"], { stdio: "ignore" }).status === 0
        ? false
        : "boto3 not installed",
  },
  async (t) => {
    const s = await startIrsaServer(t);
    const tok = await tokenFile(s);
    const env = baseEnv(s, {
      AWS_ENDPOINT_URL_STS: s.url,
      AWS_CA_BUNDLE: s.caFile,
      AWS_ROLE_ARN: ROLE_ARN,
      AWS_WEB_IDENTITY_TOKEN_FILE: tok,
    });
    const r = await run("python3", [join(FIXTURES, "boto3_chain.py")], { env, timeout: 60_000 }).catch(
      (e: unknown) => {
        throw new Error(`boto3_chain.py failed: ${(e as { stderr?: string }).stderr ?? ""}`, { cause: e });
      },
    );
    const out = JSON.parse(r.stdout) as {
      chain: Record<string, string>;
      explicit: Record<string, string | number>;
      signed: Record<string, string>;
    };
    assert.match(
      out.chain.Arn!,
      new RegExp(`^arn:aws:sts::${ACCOUNT}:assumed-role/${ROLE}/botocore-session-\\d+$`),
    );
    assert.equal(out.chain.Account, ACCOUNT);
    assert.equal(out.explicit.Arn, `arn:aws:sts::${ACCOUNT}:assumed-role/${ROLE}/boto3-explicit`);
    assert.equal(out.explicit.Subject, SUB);
    assert.equal(out.explicit.Audience, AUDIENCE);
    assert.equal(out.explicit.Provider, s.providerArn);
    assert.equal(out.explicit.KeyPrefix, "ASIA");
    assert.ok(
      Number(out.explicit.Seconds) > 800 && Number(out.explicit.Seconds) <= 900,
      String(out.explicit.Seconds),
    );
    assert.equal(out.signed.Arn, out.explicit.Arn);
  },
);
