/**
 * kubeiam for the end-to-end tests: started in-process (startApp) on a fixed loopback port with a
 * temp state dir, restartable on the same port with the same keys and CA, and wired into a real
 * kube-apiserver exactly as an operator would do it with kubeiam's own CLI:
 *
 *   kubeiam keys export --dir D                       → --service-account-signing-key-file / -key-file
 *   kubeiam webhook kubeconfig --kind authentication  → --authentication-token-webhook-config-file
 *   kubeiam webhook kubeconfig --kind authorization   → --authorization-webhook-config-file (Node,RBAC,Webhook)
 *   kubeiam webhook manifests | kubectl apply -f -    → Mutating/ValidatingWebhookConfigurations
 *   --service-account-issuer = kubeiam's issuer URL, --api-audiences = kubeiam's API audiences
 *
 * kubeiam runs with its embedded directory store here, so objects kubeiam must see (ServiceAccounts
 * for pod identity, the aws-auth ConfigMap, Tenants, RBAC objects its /authorize decides on) are
 * mirrored into its object dir by `mirror()` / `put()`. The Kubernetes-API store makes that
 * unnecessary once it is used here.
 *
 * Also: the real `aws` CLI and `curl` with an isolated environment, a `kubeiam` command for kubectl's
 * exec plugins, and the skip logic shared by the flow tests.
 */
import { spawn, spawnSync } from "node:child_process";
import { createWriteStream, type WriteStream } from "node:fs";
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { stringify } from "yaml";
import { runCli } from "../../../src/cli/main.js";
import { resolveConfig } from "../../../src/config/resolve.js";
import type { ConfigFile } from "../../../src/config/schema.js";
import { systemClock } from "../../../src/lib/clock.js";
import type { DecisionKind, DecisionRecord } from "../../../src/lib/decision.js";
import { createLogger, type LogLevel } from "../../../src/lib/logger.js";
import { startApp, type App } from "../../../src/server/app.js";
import type { KubeObject, ObjectKey } from "../../../src/store/types.js";
import {
  ensureE2eBinaries,
  E2eBinariesUnavailable,
  startCluster,
  type Cluster,
  type E2eBinaries,
  type StartClusterOptions,
} from "../harness.js";
import { freePort } from "./net.js";

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
  /** Wall time of the command, ms. */
  ms: number;
}

export interface RunOptions {
  env?: NodeJS.ProcessEnv;
  input?: string;
  /** Killed (SIGKILL) after this long; default 60 s. */
  timeoutMs?: number;
  /** Resolve on a non-zero exit instead of rejecting. */
  allowFailure?: boolean;
}

/** Runs a command asynchronously (never spawnSync: kubeiam runs in this process and must keep answering). */
export function run(cmd: string, args: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  const t0 = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ["pipe", "pipe", "pipe"], env: opts.env ?? process.env });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (c: string) => (stdout += c));
    child.stderr.setEncoding("utf8").on("data", (c: string) => (stderr += c));
    const timeoutMs = opts.timeoutMs ?? 60_000;
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill("SIGKILL");
    }, timeoutMs);
    child.on("error", (err) => {
      clearTimeout(timer);
      reject(new Error(`cannot run ${cmd}: ${err.message}`));
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      const result = { code: code ?? 128, stdout, stderr, ms: Date.now() - t0 };
      if (timedOut) {
        reject(new Error(`${cmd} ${args.slice(0, 3).join(" ")} did not finish within ${timeoutMs} ms`));
      } else if (result.code !== 0 && !opts.allowFailure) {
        reject(
          new Error(
            `${cmd} ${args.slice(0, 3).join(" ")} failed (${signal ? `signal ${signal}` : `exit ${code}`}): ${stderr.trim() || stdout.trim()}`,
          ),
        );
      } else resolve(result);
    });
    child.stdin.on("error", () => undefined);
    child.stdin.end(opts.input ?? "");
  });
}

/** Whether a command is on PATH. */
export function hasCommand(cmd: string): boolean {
  return spawnSync("sh", ["-c", `command -v ${cmd}`], { stdio: "ignore" }).status === 0;
}

/**
 * The binaries, or why the e2e tests are skipped: a missing Go toolchain or module proxy (except
 * under CI=true, where that fails), or a missing command among `commands` (kubectl, aws, curl).
 */
export async function e2ePrerequisites(
  commands: readonly string[] = [],
): Promise<{ binaries: E2eBinaries; skip: false } | { skip: string }> {
  const missing = commands.filter((c) => !hasCommand(c));
  if (missing.length > 0) {
    const reason = `${missing.join(", ")} not on PATH`;
    if (process.env["CI"] === "true") throw new Error(`e2e: ${reason}`);
    process.stderr.write(`[e2e] SKIPPING: ${reason}\n`);
    return { skip: reason };
  }
  try {
    return { binaries: await ensureE2eBinaries(), skip: false };
  } catch (err) {
    if (
      err instanceof E2eBinariesUnavailable &&
      err.reason === "prerequisite-missing" &&
      process.env["CI"] !== "true"
    ) {
      const reason = `kube-apiserver/etcd cannot be built here (${err.message}); see docs/e2e.md`;
      process.stderr.write(`[e2e] SKIPPING: ${reason}\n`);
      return { skip: reason };
    }
    throw err;
  }
}

// --- kubeiam in-process ------------------------------------------------------------------------

export interface KubeiamE2eOptions {
  /** kubeiam.yaml contents; `listen` is set by the helper (127.0.0.1 and a free port). */
  config?: ConfigFile;
  /** Files written into the object dir before the start (name → YAML). */
  objects?: Record<string, string>;
  /** Log level of kubeiam's log file (`<stateDir>/kubeiam.log`); default KUBEIAM_E2E_LOG or "warn". */
  logLevel?: LogLevel;
}

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

export interface KubeiamE2e {
  /** The running app; throws while stopped. */
  readonly app: App;
  readonly running: boolean;
  /** https://127.0.0.1:PORT: the listener, the issuer URL and AWS_ENDPOINT_URL. */
  readonly url: string;
  readonly port: number;
  readonly stateDir: string;
  readonly objectsDir: string;
  readonly configFile: string;
  /** kubeiam's generated CA (PEM file): trust it for kubeiam's serving certificate. */
  readonly caFile: string;
  readonly logPath: string;
  /** Runs the kubeiam CLI in-process, with `--config` pointing at this instance unless `withConfig` is false. */
  cli(args: readonly string[], withConfig?: boolean): Promise<CliRun>;
  /** Writes objects into kubeiam's object dir (its embedded store); the cache has them on return. */
  put(...objects: KubeObject[]): Promise<void>;
  /** Removes an object from kubeiam's object dir. */
  remove(key: ObjectKey): Promise<void>;
  /** Decision log entries (oldest first), optionally of one kind / outcome. */
  decisions(filter?: { kind?: DecisionKind; allowed?: boolean }): DecisionRecord[];
  /** Closes the listener (connections refused); the state dir stays. */
  stop(): Promise<void>;
  /** Starts again on the same port with the same state (keys, CA, admin credentials, objects). */
  start(): Promise<void>;
  /** stop(), then removes the state dir (kept with KUBEIAM_E2E_KEEP=1). */
  dispose(): Promise<void>;
}

const SRC_MAIN = fileURLToPath(new URL("../../../src/cli/main.ts", import.meta.url));
const TSX = fileURLToPath(new URL("../../../node_modules/tsx/dist/esm/index.mjs", import.meta.url));

/** Starts kubeiam in this process on 127.0.0.1 and a free port, with a fresh state dir. */
export async function startKubeiam(opts: KubeiamE2eOptions = {}): Promise<KubeiamE2e> {
  const stateDir = await mkdtemp(join(tmpdir(), "kubeiam-e2e-state-"));
  const objectsDir = join(stateDir, "objects");
  const configFile = join(stateDir, "kubeiam.yaml");
  const logPath = join(stateDir, "kubeiam.log");
  const port = await freePort();
  const url = `https://127.0.0.1:${port}`;
  const raw: ConfigFile = { ...opts.config, stateDir, listen: `127.0.0.1:${port}` };
  await writeFile(configFile, stringify(raw));
  for (const [name, text] of Object.entries(opts.objects ?? {})) {
    await mkdir(join(objectsDir, name, ".."), { recursive: true });
    await writeFile(join(objectsDir, name), text);
  }
  const level = opts.logLevel ?? (process.env["KUBEIAM_E2E_LOG"] as LogLevel | undefined) ?? "warn";
  let log: WriteStream | undefined = createWriteStream(logPath, { flags: "a" });
  const logger = createLogger(level, (line) => log?.write(line));

  let app: App | undefined;
  const boot = async (): Promise<void> => {
    const config = resolveConfig(raw, configFile, {});
    // The port was free a moment ago, or was ours before a restart; retry briefly if the OS holds it.
    for (let attempt = 1; ; attempt++) {
      try {
        app = await startApp(config, { clock: systemClock, logger });
        return;
      } catch (e) {
        if (attempt >= 20 || (e as NodeJS.ErrnoException).code !== "EADDRINUSE") throw e;
        await new Promise((r) => setTimeout(r, 250));
      }
    }
  };
  await boot();

  const self: KubeiamE2e = {
    get app(): App {
      if (!app) throw new Error("kubeiam is stopped");
      return app;
    },
    get running() {
      return app !== undefined;
    },
    url,
    port,
    stateDir,
    objectsDir,
    configFile,
    caFile: join(stateDir, "ca.crt"),
    logPath,
    async cli(args, withConfig = true) {
      let stdout = "";
      let stderr = "";
      const code = await runCli(withConfig ? [...args, "--config", configFile] : [...args], {
        out: (t) => (stdout += t.endsWith("\n") ? t : t + "\n"),
        err: (t) => (stderr += t.endsWith("\n") ? t : t + "\n"),
      });
      return { code, stdout, stderr };
    },
    async put(...objects) {
      for (const o of objects) await self.app.store.put(o);
    },
    async remove(key) {
      await self.app.store.delete(key);
    },
    decisions(filter) {
      return self.app.decisions.recent(undefined, filter);
    },
    async stop() {
      const a = app;
      app = undefined;
      await a?.close();
    },
    async start() {
      if (app) return;
      await boot();
    },
    async dispose() {
      await self.stop();
      const l = log;
      log = undefined;
      await new Promise<void>((r) => (l ? l.end(r) : r()));
      if (process.env["KUBEIAM_E2E_KEEP"] === "1")
        process.stderr.write(`[e2e] kept kubeiam state ${stateDir}\n`);
      else await rm(stateDir, { recursive: true, force: true });
    },
  };
  return self;
}

/**
 * The object as kubeiam's store takes it: kind, apiVersion, the fields of `obj` except status, and
 * metadata reduced to name, namespace, uid, labels and annotations (the server-managed rest dropped).
 */
export function storable(obj: KubeObject): KubeObject {
  const { metadata, ...rest } = obj;
  delete rest.status;
  const m: KubeObject["metadata"] = { name: metadata.name };
  if (metadata.namespace !== undefined) m.namespace = metadata.namespace;
  if (metadata.uid !== undefined) m.uid = metadata.uid;
  if (metadata.labels !== undefined) m.labels = metadata.labels;
  if (metadata.annotations !== undefined) {
    const a = { ...metadata.annotations };
    delete a["kubectl.kubernetes.io/last-applied-configuration"];
    if (Object.keys(a).length > 0) m.annotations = a;
  }
  return { ...rest, metadata: m };
}

// --- kube-apiserver wired to kubeiam -----------------------------------------------------------

export interface WiredClusterOptions {
  binaries: E2eBinaries;
  kubeiam?: KubeiamE2eOptions;
  /** More harness options (the webhook, issuer and key options are set here). */
  cluster?: Omit<
    StartClusterOptions,
    | "binaries"
    | "webhookAuthn"
    | "webhookAuthz"
    | "serviceAccountKeys"
    | "serviceAccountIssuer"
    | "apiAudiences"
  >;
  /** Apply `kubeiam webhook manifests` (admission webhooks); default true. */
  admission?: boolean;
  /** --authentication-token-webhook-config-file → /authenticate; default true. */
  authn?: boolean;
  /** --authorization-mode=Node,RBAC,Webhook with --authorization-webhook-config-file → /authorize; default true. */
  authz?: boolean;
}

export interface WiredCluster {
  kubeiam: KubeiamE2e;
  cluster: Cluster;
  /** A kubeconfig with the cluster and no credentials: pass `--token` to kubectl with it. */
  anonymousKubeconfig: string;
  /** kubectl with a bearer token (and no client certificate). */
  kubectlWithToken(
    token: string,
    args: readonly string[],
    opts?: { allowFailure?: boolean; input?: string; timeoutMs?: number },
  ): ReturnType<Cluster["kubectl"]>;
  /** Reads an object from kube-apiserver with kubectl and puts it into kubeiam's store. */
  mirror(kind: string, name: string, namespace?: string): Promise<KubeObject>;
  /** Environment for the real aws CLI pointed at kubeiam (HOME in the state dir, no ~/.aws), with the given credentials. */
  awsEnv(creds?: AwsCredentialsEnv): NodeJS.ProcessEnv;
  /** The real aws CLI against kubeiam; `--output json` is added and stdout parsed when it is JSON. */
  aws(args: readonly string[], opts?: { creds?: AwsCredentialsEnv; allowFailure?: boolean }): Promise<AwsRun>;
  stop(): Promise<void>;
}

export interface AwsCredentialsEnv {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

export interface AwsRun extends RunResult {
  json: Record<string, unknown>;
}

/** kube-apiserver's kinds as kubectl names them for `get`. */
function kubectlResource(kind: string): string {
  return kind.toLowerCase();
}

/** Starts kubeiam, exports its keys and webhook configs with its CLI, and starts kube-apiserver with them. */
export async function startWiredCluster(opts: WiredClusterOptions): Promise<WiredCluster> {
  const kubeiam = await startKubeiam(opts.kubeiam);
  let cluster: Cluster | undefined;
  try {
    const cli = async (args: string[]): Promise<string> => {
      const r = await kubeiam.cli(args);
      if (r.code !== 0) throw new Error(`kubeiam ${args.join(" ")} exited ${r.code}: ${r.stderr}`);
      return r.stdout;
    };
    const keysDir = join(kubeiam.stateDir, "apiserver");
    await cli(["keys", "export", "--dir", keysDir]);
    const authnFile = join(keysDir, "authn-webhook.kubeconfig");
    const authzFile = join(keysDir, "authz-webhook.kubeconfig");
    await cli(["webhook", "kubeconfig", "--kind", "authentication", "--out", authnFile]);
    await cli(["webhook", "kubeconfig", "--kind", "authorization", "--out", authzFile]);
    const issuer = kubeiam.app.config.issuer.url;
    cluster = await startCluster({
      ...opts.cluster,
      binaries: opts.binaries,
      ...(opts.authn !== false ? { webhookAuthn: { configFile: authnFile } } : {}),
      ...(opts.authz !== false ? { webhookAuthz: { configFile: authzFile } } : {}),
      serviceAccountKeys: {
        signingKeyFile: join(keysDir, "sa.key"),
        publicKeyFiles: [join(keysDir, "sa.pub")],
      },
      serviceAccountIssuer: issuer,
      apiAudiences: kubeiam.app.config.issuer.audiences,
    });
    const c = cluster;
    if (opts.admission !== false) {
      const manifests = await cli(["webhook", "manifests"]);
      await c.kubectl(["apply", "-f", "-"], { input: manifests });
      // kube-apiserver picks webhook configurations up from its informer: wait until a dry-run
      // namespace creation reaches kubeiam's admission webhooks.
      await eventually(
        "kube-apiserver to call kubeiam's admission webhooks",
        async () => {
          const before = kubeiam.decisions({ kind: "admission" }).length;
          await c.kubectl(["create", "namespace", "e2e-webhook-probe", "--dry-run=server"]);
          return kubeiam.decisions({ kind: "admission" }).length > before ? true : undefined;
        },
        60_000,
        500,
      );
    }
    const anonymousKubeconfig = join(c.workDir, "anonymous.kubeconfig");
    await writeFile(
      anonymousKubeconfig,
      stringify({
        apiVersion: "v1",
        kind: "Config",
        clusters: [{ name: "e2e", cluster: { server: c.serverUrl, "certificate-authority": c.caPath } }],
        users: [{ name: "nobody", user: {} }],
        contexts: [{ name: "e2e", context: { cluster: "e2e", user: "nobody" } }],
        "current-context": "e2e",
      }),
    );
    // read once: the admin key and region stay the same across kubeiam restarts (same state dir)
    const admin: AwsCredentialsEnv = {
      accessKeyId: kubeiam.app.adminAccessKey.accessKeyId,
      secretAccessKey: kubeiam.app.adminAccessKey.secretAccessKey,
    };
    const region = kubeiam.app.config.region;
    const awsEnv = (creds?: AwsCredentialsEnv): NodeJS.ProcessEnv => {
      const env: NodeJS.ProcessEnv = {};
      for (const k of ["PATH", "PYENV_ROOT", "PYENV_VERSION", "LANG", "TMPDIR"]) {
        if (process.env[k] !== undefined) env[k] = process.env[k];
      }
      const key = creds ?? admin;
      return {
        ...env,
        // a HOME of its own: the aws CLI caches web-identity credentials in ~/.aws/cli/cache,
        // keyed by the role ARN, which is the same in every run
        HOME: join(kubeiam.stateDir, "aws-home"),
        AWS_CONFIG_FILE: join(kubeiam.stateDir, "no-aws-config"),
        AWS_SHARED_CREDENTIALS_FILE: join(kubeiam.stateDir, "no-aws-credentials"),
        AWS_DEFAULT_REGION: region,
        AWS_REGION: region,
        AWS_EC2_METADATA_DISABLED: "true",
        AWS_ENDPOINT_URL: kubeiam.url,
        AWS_CA_BUNDLE: kubeiam.caFile,
        AWS_ACCESS_KEY_ID: key.accessKeyId,
        AWS_SECRET_ACCESS_KEY: key.secretAccessKey,
        ...(key.sessionToken !== undefined ? { AWS_SESSION_TOKEN: key.sessionToken } : {}),
      };
    };
    return {
      kubeiam,
      cluster: c,
      anonymousKubeconfig,
      kubectlWithToken: (token, args, kopts = {}) =>
        c.kubectl(["--token", token, ...args], { ...kopts, kubeconfig: anonymousKubeconfig }),
      async mirror(kind, name, namespace) {
        const args = ["get", kubectlResource(kind), name, "-o", "json"];
        if (namespace !== undefined) args.push("--namespace", namespace);
        const { stdout } = await c.kubectl(args);
        const obj = storable(JSON.parse(stdout) as KubeObject);
        await kubeiam.put(obj);
        return obj;
      },
      awsEnv,
      async aws(args, aopts = {}) {
        const r = await run("aws", [...args, "--output", "json"], {
          env: awsEnv(aopts.creds),
          timeoutMs: 90_000,
          ...(aopts.allowFailure ? { allowFailure: true } : {}),
        });
        let json: Record<string, unknown> = {};
        if (r.code === 0 && r.stdout.trim() !== "") json = JSON.parse(r.stdout) as Record<string, unknown>;
        return { ...r, json };
      },
      async stop() {
        await c.stop();
        await kubeiam.dispose();
      },
    };
  } catch (e) {
    await cluster?.stop();
    await kubeiam.dispose();
    throw e;
  }
}

/**
 * A `kubeiam` command (a small shell script in `dir`) running this checkout's CLI from source, for
 * kubectl's exec plugins; returns its path.
 */
export async function writeKubeiamCommand(dir: string): Promise<string> {
  const path = join(dir, "kubeiam");
  await writeFile(
    path,
    `#!/bin/sh\nexec ${JSON.stringify(process.execPath)} --import ${JSON.stringify(TSX)} ${JSON.stringify(SRC_MAIN)} "$@"\n`,
  );
  await chmod(path, 0o755);
  return path;
}

export interface CurlResult {
  status: number;
  /** Response headers, names lower-cased (the last value of a repeated header). */
  headers: Record<string, string>;
  body: string;
}

/**
 * The real curl: `--cacert caFile`, the bearer token read from a 0600 header file (so it is not on
 * the command line), response headers and status captured. `data` is sent as a form body (POST).
 */
export async function curl(
  url: string,
  opts: {
    caFile: string;
    token?: string;
    data?: string;
    headers?: Record<string, string>;
    timeoutMs?: number;
  },
): Promise<CurlResult> {
  const dir = await mkdtemp(join(tmpdir(), "kubeiam-e2e-curl-"));
  try {
    const args = ["-sS", "--cacert", opts.caFile, "-D", join(dir, "headers"), "-o", join(dir, "body")];
    args.push("-w", "%{http_code}", "--max-time", String(Math.ceil((opts.timeoutMs ?? 30_000) / 1000)));
    const lines = Object.entries(opts.headers ?? {}).map(([k, v]) => `${k}: ${v}`);
    if (opts.token !== undefined) lines.push(`Authorization: Bearer ${opts.token}`);
    if (lines.length > 0) {
      await writeFile(join(dir, "request-headers"), lines.join("\n") + "\n", { mode: 0o600 });
      args.push("-H", `@${join(dir, "request-headers")}`);
    }
    if (opts.data !== undefined) args.push("--data-binary", `@${join(dir, "data")}`);
    if (opts.data !== undefined) await writeFile(join(dir, "data"), opts.data, { mode: 0o600 });
    const r = await run("curl", [...args, url], { timeoutMs: (opts.timeoutMs ?? 30_000) + 5_000 });
    const headers: Record<string, string> = {};
    for (const line of (await readFile(join(dir, "headers"), "utf8")).split(/\r?\n/)) {
      const i = line.indexOf(":");
      if (i > 0) headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
    }
    return { status: Number(r.stdout.trim()), headers, body: await readFile(join(dir, "body"), "utf8") };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Polls `check` every `everyMs` until it returns a value other than undefined, or fails after `timeoutMs`. */
export async function eventually<T>(
  what: string,
  check: () => Promise<T | undefined>,
  timeoutMs = 30_000,
  everyMs = 250,
): Promise<T> {
  const until = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > until) {
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what}${last instanceof Error ? ` (last error: ${last.message})` : ""}`,
      );
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
