/**
 * Two kubeiam replicas in cluster mode against one real kube-apiserver, sharing everything through
 * it: replica A runs in this process, replica B is a separate `kubeiam up` process (so nothing is
 * shared through memory). Objects are custom resources and core objects in the API, keys and
 * access-key secrets are in Secrets of kubeiam-system.
 *
 * - `kubeiam install crds --apply` installs the CRDs (and says "unchanged" the second time);
 * - both replicas serve the same JWKS and accept the same admin access key;
 * - a role and an OIDC provider created through A's IAM API are used by B's
 *   AssumeRoleWithWebIdentity, and the credentials B issues verify on A (GetCallerIdentity);
 * - a key rotated by A is served by both, and B signs with it;
 * - after a kube-apiserver restart both replicas still follow changes (watch reconnect);
 * - two replicas starting at the same moment on an empty namespace agree on one key ring and one
 *   admin access key.
 */
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { readFile, writeFile } from "node:fs/promises";
import { Agent as HttpsAgent } from "node:https";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { after, before, describe, test } from "node:test";
import {
  IAMClient,
  CreateOpenIDConnectProviderCommand,
  CreateRoleCommand,
  GetRoleCommand,
} from "@aws-sdk/client-iam";
import { NodeHttpHandler } from "@smithy/node-http-handler";
import { Command, CommanderError } from "commander";
import { decodeJwt, decodeProtectedHeader } from "jose";
import { Agent, fetch as undiciFetch } from "undici";
import { stringify } from "yaml";
import { registerInstallCommands } from "../../src/cli/install.js";
import type { CliIO } from "../../src/cli/io.js";
import type { ConfigFile } from "../../src/config/schema.js";
import { asKubeiamError } from "../../src/lib/errors.js";
import { signRequest } from "../../src/sigv4/sign-request.js";
import type { AwsCredentials } from "../../src/sigv4/types.js";
import { kubeiam } from "../helpers/cli.js";
import { freePort, startTestServer, type TestServer } from "../helpers/server.js";
import { tempDir } from "../helpers/tmp.js";
import { binariesOrSkip, eventually } from "./cluster-mode-support.js";
import { startCluster, type Cluster } from "./harness.js";

const found = await binariesOrSkip();
const skip = found.skip;

const AUDIENCE = "sts.amazonaws.com";
const ACCOUNT = "000000000000";
/** A trust policy for roles that nobody assumes in these tests. */
const TRUST_NOBODY = JSON.stringify({
  Version: "2012-10-17",
  Statement: [
    { Effect: "Allow", Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: "sts:AssumeRole" },
  ],
});

/** Runs `kubeiam install …` in-process (the command is registered on a fresh program). */
async function installCli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = "";
  let stderr = "";
  const io: CliIO = {
    out: (t) => (stdout += t.endsWith("\n") ? t : t + "\n"),
    err: (t) => (stderr += t.endsWith("\n") ? t : t + "\n"),
  };
  const program = new Command("kubeiam")
    .exitOverride()
    .configureOutput({ writeOut: (t) => io.out(t), writeErr: (t) => io.err(t) });
  registerInstallCommands(program, io);
  for (const c of program.commands) for (const s of [c, ...c.commands]) s.exitOverride();
  try {
    await program.parseAsync(args, { from: "user" });
    return { code: 0, stdout, stderr };
  } catch (e) {
    if (e instanceof CommanderError) return { code: 2, stdout, stderr };
    const err = asKubeiamError(e);
    return { code: err.exitCode, stdout, stderr: stderr + `error: ${err.message}\n` };
  }
}

/** A kubeiam replica reached over HTTPS only. */
interface Replica {
  url: string;
  ca: string;
  agent: Agent;
  adminToken: string;
  adminCreds: AwsCredentials;
  configFile: string;
}

function replicaOf(s: TestServer): Replica {
  return {
    url: s.url,
    ca: s.ca,
    agent: s.agent,
    adminToken: s.app.adminToken,
    adminCreds: {
      accessKeyId: s.app.adminAccessKey.accessKeyId,
      secretAccessKey: s.app.adminAccessKey.secretAccessKey,
    },
    configFile: s.configFile,
  };
}

async function call(
  r: Replica,
  path: string,
  init: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<{ status: number; text: string }> {
  const res = await undiciFetch(r.url + path, {
    method: init.method ?? "GET",
    dispatcher: r.agent,
    ...(init.headers ? { headers: init.headers } : {}),
    ...(init.body !== undefined ? { body: init.body } : {}),
  });
  return { status: res.status, text: await res.text() };
}

function xml(text: string, name: string): string | undefined {
  return new RegExp(`<${name}>([^<]*)</${name}>`).exec(text)?.[1];
}

async function sts(
  r: Replica,
  params: Record<string, string>,
  creds?: AwsCredentials,
): Promise<{ status: number; text: string }> {
  const body = new URLSearchParams({ Version: "2011-06-15", ...params }).toString();
  let headers: Record<string, string> = {
    "content-type": "application/x-www-form-urlencoded; charset=utf-8",
  };
  if (creds)
    headers = signRequest({
      method: "POST",
      url: r.url + "/",
      headers,
      body,
      credentials: creds,
      region: "us-east-1",
      service: "sts",
      now: Date.now(),
    }).headers;
  return call(r, "/", { method: "POST", headers, body });
}

async function jwksKids(r: Replica): Promise<string[]> {
  const res = await call(r, "/openid/v1/jwks");
  assert.equal(res.status, 200, res.text);
  return (JSON.parse(res.text) as { keys: { kid: string }[] }).keys.map((k) => k.kid).sort();
}

async function mintToken(r: Replica, namespace: string, sa: string): Promise<string> {
  const res = await call(r, `/api/v1/namespaces/${namespace}/serviceaccounts/${sa}/token`, {
    method: "POST",
    headers: { authorization: `Bearer ${r.adminToken}`, "content-type": "application/json" },
    body: JSON.stringify({ spec: { audiences: [AUDIENCE] } }),
  });
  assert.equal(res.status, 201, res.text);
  return (JSON.parse(res.text) as { status: { token: string } }).status.token;
}

function iamClient(r: Replica, cleanup: (() => void)[]): IAMClient {
  const requestHandler = new NodeHttpHandler({ httpsAgent: new HttpsAgent({ ca: r.ca, keepAlive: true }) });
  cleanup.push(() => requestHandler.destroy());
  return new IAMClient({
    endpoint: r.url,
    region: "us-east-1",
    requestHandler,
    maxAttempts: 1,
    credentials: { accessKeyId: r.adminCreds.accessKeyId, secretAccessKey: r.adminCreds.secretAccessKey },
  });
}

const MAIN = fileURLToPath(new URL("../../src/cli/main.ts", import.meta.url));
const TSX = fileURLToPath(new URL("../../node_modules/tsx/dist/esm/index.mjs", import.meta.url));

/** `kubeiam up --config FILE -o json` as a separate process; resolves once it says it is up. */
async function startProcessReplica(
  configFile: string,
  stateDir: string,
): Promise<{ replica: Replica; proc: ChildProcess }> {
  const proc = spawn(
    process.execPath,
    ["--import", TSX, MAIN, "up", "--config", configFile, "--state-dir", stateDir, "-o", "json"],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  const killOnExit = (): void => void proc.kill("SIGKILL");
  process.once("exit", killOnExit);
  proc.once("exit", () => process.off("exit", killOnExit));
  let out = "";
  let err = "";
  proc.stderr.setEncoding("utf8").on("data", (c: string) => (err += c));
  const info = await new Promise<{
    url: string;
    caFile: string;
    adminTokenFile: string;
    aws: Record<string, string>;
  }>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`kubeiam up did not start within 90 s; stderr:\n${err.slice(-3000)}`)),
      90_000,
    );
    proc.stdout.setEncoding("utf8").on("data", (c: string) => {
      out += c;
      const line = out.split("\n").find((l) => l.startsWith("{"));
      if (line) {
        clearTimeout(timer);
        resolve(
          JSON.parse(line) as {
            url: string;
            caFile: string;
            adminTokenFile: string;
            aws: Record<string, string>;
          },
        );
      }
    });
    proc.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`kubeiam up exited with ${code ?? "a signal"}; stderr:\n${err.slice(-3000)}`));
    });
  });
  const ca = await readFile(info.caFile, "utf8");
  const adminToken = (await readFile(info.adminTokenFile, "utf8")).trim();
  return {
    proc,
    replica: {
      url: info.url,
      ca,
      agent: new Agent({ connect: { ca } }),
      adminToken,
      adminCreds: {
        accessKeyId: info.aws["AWS_ACCESS_KEY_ID"]!,
        secretAccessKey: info.aws["AWS_SECRET_ACCESS_KEY"]!,
      },
      configFile,
    },
  };
}

void describe("two kubeiam replicas sharing one kube-apiserver (cluster mode)", { skip }, () => {
  let cluster: Cluster;
  let a: TestServer;
  let A: Replica;
  let B: Replica;
  let bProc: ChildProcess | undefined;
  let installOutput = "";
  const cleanups: (() => Promise<void> | void)[] = [];
  const owner = { after: (fn: () => Promise<void> | void) => void cleanups.push(fn) };
  const sdkCleanup: (() => void)[] = [];
  let issuer = "";
  const clusterConfig = (extra: ConfigFile = {}): ConfigFile => ({
    mode: "cluster",
    kubernetes: { kubeconfig: cluster.kubeconfigPath, namespace: "kubeiam-system" },
    log: { level: "warn" },
    ...extra,
  });

  before(async () => {
    assert.ok("binaries" in found);
    cluster = await startCluster({ binaries: found.binaries });
    const installed = await installCli([
      "install",
      "crds",
      "--apply",
      "--kubeconfig",
      cluster.kubeconfigPath,
    ]);
    assert.equal(installed.code, 0, installed.stderr);
    installOutput = installed.stdout;
    a = await startTestServer(owner, { config: clusterConfig() });
    A = replicaOf(a);
    issuer = a.app.config.issuer.url;
    const bDir = await tempDir(owner);
    const bConfig = join(bDir, "kubeiam.yaml");
    await writeFile(
      bConfig,
      stringify(clusterConfig({ listen: `127.0.0.1:${await freePort()}`, issuer: { url: issuer } })),
    );
    const b = await startProcessReplica(bConfig, bDir);
    bProc = b.proc;
    B = b.replica;
  });

  after(async () => {
    if (bProc && bProc.exitCode === null) {
      const exited = new Promise((r) => bProc!.once("exit", r));
      bProc.kill("SIGTERM");
      await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
      if (bProc.exitCode === null) bProc.kill("SIGKILL");
    }
    await B?.agent.close();
    for (const f of sdkCleanup) f();
    for (const f of cleanups.reverse()) await f();
    await cluster?.stop();
  });

  void test("kubeiam install crds --apply installs the six CRDs and waits until they are served; a second run changes nothing", async () => {
    const kinds = ["oidcproviders", "iamroles", "iamusers", "iampolicies", "accessentries", "tenants"];
    for (const k of kinds) {
      assert.match(
        installOutput,
        new RegExp(`^customresourcedefinition\\.apiextensions\\.k8s\\.io/${k}\\.kubeiam\\.io created$`, "m"),
      );
      assert.match(
        installOutput,
        new RegExp(
          `^customresourcedefinition\\.apiextensions\\.k8s\\.io/${k}\\.kubeiam\\.io established$`,
          "m",
        ),
      );
    }
    const again = await installCli([
      "install",
      "crds",
      "--apply",
      "--kubeconfig",
      cluster.kubeconfigPath,
      "-o",
      "json",
    ]);
    assert.equal(again.code, 0, again.stderr);
    const r = JSON.parse(again.stdout) as { crds: { name: string; action: string; established: boolean }[] };
    assert.deepEqual(
      r.crds.map((c) => `${c.name} ${c.action} ${c.established}`).sort(),
      kinds.map((k) => `${k}.kubeiam.io unchanged true`).sort(),
    );
    const { stdout } = await cluster.kubectl([
      "get",
      "crd",
      "-l",
      "app.kubernetes.io/part-of=kubeiam",
      "-o",
      "name",
    ]);
    assert.equal(stdout.trim().split("\n").length, 6);
  });

  void test("both replicas serve one JWKS and accept one admin access key, all kept in the cluster", async () => {
    assert.deepEqual(await jwksKids(B), await jwksKids(A));
    assert.equal(B.adminCreds.accessKeyId, A.adminCreds.accessKeyId);
    const me = await sts(B, { Action: "GetCallerIdentity" }, A.adminCreds);
    assert.equal(me.status, 200, me.text);
    assert.equal(xml(me.text, "Arn"), `arn:aws:iam::${ACCOUNT}:user/admin`);
    const secrets = await cluster.kubectl([
      "get",
      "secrets",
      "-n",
      "kubeiam-system",
      "-o",
      'jsonpath={range .items[*]}{.metadata.name}:{.data}{"\\n"}{end}',
    ]);
    assert.match(secrets.stdout, /^kubeiam-keys:.*"sealing\.json".*"signing\.json"/m);
    assert.match(secrets.stdout, /^kubeiam-access-keys:.*"access-keys\.json"/m);
    assert.doesNotMatch(
      (await cluster.kubectl(["get", "iamuser", "admin", "-o", "yaml"])).stdout,
      /secretAccessKey/,
    );
  });

  void test("a role created through A's IAM API is assumed through B, and B's credentials verify on A", async () => {
    await cluster.kubectl(["create", "serviceaccount", "demo", "-n", "default"]);
    const iam = iamClient(A, sdkCleanup);
    const hostPath = issuer.replace(/^https:\/\//, "");
    await iam.send(new CreateOpenIDConnectProviderCommand({ Url: issuer, ClientIDList: [AUDIENCE] }));
    const trust = JSON.stringify({
      Version: "2012-10-17",
      Statement: [
        {
          Effect: "Allow",
          Principal: { Federated: `arn:aws:iam::${ACCOUNT}:oidc-provider/${hostPath}` },
          Action: "sts:AssumeRoleWithWebIdentity",
          Condition: {
            StringEquals: {
              [`${hostPath}:aud`]: AUDIENCE,
              [`${hostPath}:sub`]: "system:serviceaccount:default:demo",
            },
          },
        },
      ],
    });
    const created = await iam.send(
      new CreateRoleCommand({ RoleName: "shared-role", AssumeRolePolicyDocument: trust }),
    );
    assert.equal(created.Role?.Arn, `arn:aws:iam::${ACCOUNT}:role/shared-role`);
    assert.match(
      (await cluster.kubectl(["get", "iamroles", "shared-role", "-o", "name"])).stdout,
      /^iamrole\.kubeiam\.io\/shared-role$/m,
    );

    await eventually("A sees ServiceAccount default/demo", () =>
      a.app.cache.get({ kind: "ServiceAccount", namespace: "default", name: "demo" }),
    );
    const token = await mintToken(A, "default", "demo");
    const assumed = await eventually("B assumes the role created through A", async () => {
      const r = await sts(B, {
        Action: "AssumeRoleWithWebIdentity",
        RoleArn: created.Role!.Arn!,
        RoleSessionName: "from-b",
        WebIdentityToken: token,
      });
      return r.status === 200 ? r : undefined;
    });
    const creds: AwsCredentials = {
      accessKeyId: xml(assumed.text, "AccessKeyId")!,
      secretAccessKey: xml(assumed.text, "SecretAccessKey")!,
      sessionToken: xml(assumed.text, "SessionToken")!,
    };
    assert.match(creds.accessKeyId, /^ASIA/);
    for (const r of [A, B]) {
      const who = await sts(r, { Action: "GetCallerIdentity" }, creds);
      assert.equal(who.status, 200, who.text);
      assert.equal(xml(who.text, "Arn"), `arn:aws:sts::${ACCOUNT}:assumed-role/shared-role/from-b`);
    }
  });

  void test("a key rotated by A is served by both replicas, and B signs with it", async () => {
    const before = await jwksKids(B);
    const rotated = await a.app.keys.rotate();
    assert.ok(!before.includes(rotated.kid));
    assert.ok((await jwksKids(A)).includes(rotated.kid));
    await eventually("B serves the rotated key", async () => (await jwksKids(B)).includes(rotated.kid));
    assert.deepEqual(await jwksKids(B), await jwksKids(A));
    const after = await jwksKids(B);
    assert.ok(
      before.every((k) => after.includes(k)),
      "the old key stays in the JWKS for the retention window",
    );
    const fromB = await eventually("B signs with the new key", async () => {
      const t = await mintToken(B, "default", "demo");
      return decodeProtectedHeader(t).kid === rotated.kid ? t : undefined;
    });
    assert.equal(decodeJwt(fromB).iss, issuer);
    const r = await sts(A, {
      Action: "AssumeRoleWithWebIdentity",
      RoleArn: `arn:aws:iam::${ACCOUNT}:role/shared-role`,
      RoleSessionName: "from-a",
      WebIdentityToken: fromB,
    });
    assert.equal(r.status, 200, r.text);
    const listed = await kubeiam([
      "keys",
      "list",
      "--config",
      a.configFile,
      "--state-dir",
      a.stateDir,
      "-o",
      "json",
    ]);
    assert.equal(listed.code, 0, listed.stderr);
    assert.equal(
      (JSON.parse(listed.stdout) as { keys: { kid: string; active: boolean }[] }).keys.find((k) => k.active)
        ?.kid,
      rotated.kid,
      "`kubeiam keys list` in cluster mode reads the Secret",
    );
  });

  void test("after a kube-apiserver restart both replicas follow changes again", async () => {
    await cluster.restartApiServer();
    const iamB = iamClient(B, sdkCleanup);
    await eventually(
      "B writes again after the restart",
      async () => {
        try {
          await iamB.send(
            new CreateRoleCommand({ RoleName: "after-restart", AssumeRolePolicyDocument: TRUST_NOBODY }),
          );
        } catch (e) {
          // An earlier try that timed out may have written it.
          if ((e as { name?: string }).name !== "EntityAlreadyExists") throw e;
        }
        return true;
      },
      30_000,
    );
    await eventually(
      "A sees the role created through B",
      () => a.app.cache.get({ kind: "IAMRole", name: "after-restart" }),
      30_000,
    );
    await cluster.kubectl(["apply", "-f", "-"], {
      input: `apiVersion: kubeiam.io/v1alpha1\nkind: IAMRole\nmetadata: {name: from-kubectl}\nspec:\n  assumeRolePolicyDocument: '${TRUST_NOBODY}'\n`,
    });
    for (const r of [A, B]) {
      const iam = iamClient(r, sdkCleanup);
      const got = await eventually(
        `${r === A ? "A" : "B"} serves the role applied with kubectl`,
        () => iam.send(new GetRoleCommand({ RoleName: "from-kubectl" })),
        30_000,
      );
      assert.equal(got.Role?.Arn, `arn:aws:iam::${ACCOUNT}:role/from-kubectl`);
    }
  });

  void test("two replicas starting at the same moment on an empty namespace agree on one key ring and one admin access key", async () => {
    const config = clusterConfig({
      kubernetes: { kubeconfig: cluster.kubeconfigPath, namespace: "kubeiam-race" },
    });
    const [c, d] = await Promise.all([
      startTestServer(owner, { config }),
      startTestServer(owner, { config }),
    ]);
    assert.equal(c.app.keys.active().kid, d.app.keys.active().kid);
    assert.equal(c.app.adminAccessKey.accessKeyId, d.app.adminAccessKey.accessKeyId);
    const C = replicaOf(c);
    assert.deepEqual(await jwksKids(C), await jwksKids(replicaOf(d)));
    const who = await sts(replicaOf(d), { Action: "GetCallerIdentity" }, C.adminCreds);
    assert.equal(who.status, 200, who.text);
  });
});
