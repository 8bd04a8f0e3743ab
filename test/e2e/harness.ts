/**
 * A real Kubernetes control plane on loopback for end-to-end tests: etcd and kube-apiserver,
 * built from their Go modules (scripts/e2e-build.sh), with a throw-away PKI, an admin kubeconfig
 * for the real kubectl, and logs in a temp dir. Modelled on controller-runtime's envtest.
 * No controller-manager, scheduler or kubelet runs: objects are stored and admitted, pods never
 * start, and namespaces get no `default` ServiceAccount unless a test creates it.
 *
 *   const cluster = await startCluster();
 *   try { await cluster.kubectl(["get", "ns"]); } finally { await cluster.stop(); }
 */
import { spawn } from "node:child_process";
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { stringify } from "yaml";
import { ensureE2eBinaries, type E2eBinaries } from "./lib/binaries.js";
import { freePorts, probe, type ProbeTls } from "./lib/net.js";
import {
  createCa,
  createServiceAccountKeys,
  issueCert,
  type CertificateAuthority,
  type IssuedCert,
  type ServiceAccountKeyFiles,
} from "./lib/pki.js";
import { logTail, startProcess, type ManagedProcess } from "./lib/processes.js";

export { ensureE2eBinaries, E2eBinariesUnavailable, type E2eBinaries } from "./lib/binaries.js";
export type { ServiceAccountKeyFiles, IssuedCert } from "./lib/pki.js";

export const DEFAULT_SERVICE_ACCOUNT_ISSUER = "https://kubernetes.default.svc.cluster.local";

export interface WebhookAuthnOptions {
  /** Kubeconfig-format file naming the TokenReview webhook (--authentication-token-webhook-config-file). */
  configFile: string;
  /** --authentication-token-webhook-cache-ttl; default "0s" so every request reaches the webhook. */
  cacheTtl?: string;
  /** --authentication-token-webhook-version; default "v1". */
  version?: "v1" | "v1beta1";
}

export interface WebhookAuthzOptions {
  /** Kubeconfig-format file naming the SubjectAccessReview webhook (--authorization-webhook-config-file). */
  configFile: string;
  /** --authorization-webhook-cache-authorized-ttl; default "0s". */
  authorizedTtl?: string;
  /** --authorization-webhook-cache-unauthorized-ttl; default "0s". */
  unauthorizedTtl?: string;
  /** --authorization-webhook-version; default "v1". */
  version?: "v1" | "v1beta1";
}

export interface StartClusterOptions {
  /** Appended last to the kube-apiserver command line (a later flag overrides an earlier one). */
  extraApiServerFlags?: readonly string[];
  /** --authorization-mode; default Node,RBAC, plus Webhook last when `webhookAuthz` is set. */
  authorizationModes?: readonly string[];
  webhookAuthn?: WebhookAuthnOptions;
  webhookAuthz?: WebhookAuthzOptions;
  /** Service-account token keys (e.g. kubeiam's exported keys); default: a fresh RSA key pair. */
  serviceAccountKeys?: ServiceAccountKeyFiles;
  /** --service-account-issuer; default https://kubernetes.default.svc.cluster.local. */
  serviceAccountIssuer?: string;
  /** --api-audiences; default [serviceAccountIssuer]. */
  apiAudiences?: readonly string[];
  /** How long to wait for etcd and then for kube-apiserver to be ready; default 120 s each. */
  readyTimeoutMs?: number;
  /** Prebuilt binaries; default: ensureE2eBinaries() (builds them on first use). */
  binaries?: E2eBinaries;
  /** Keep the temp dir (certs, logs, etcd data) after stop(); default: KUBEIAM_E2E_KEEP=1. */
  keepWorkDir?: boolean;
  /** kube-apiserver --v log level; default 1. */
  verbosity?: number;
}

export interface KubectlResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface KubectlOptions {
  /** Written to kubectl's standard input (e.g. a manifest for `apply -f -`). */
  input?: string;
  /** Another kubeconfig (e.g. from issueClientCert); default: the admin one. */
  kubeconfig?: string;
  /** Resolve with the non-zero exit instead of rejecting. */
  allowFailure?: boolean;
  timeoutMs?: number;
}

export interface ClientCredentials extends IssuedCert {
  /** A kubeconfig for this client certificate. */
  kubeconfigPath: string;
}

export interface Cluster {
  /** Temp dir holding certs, kubeconfigs, logs and etcd's data. */
  readonly workDir: string;
  /** https://127.0.0.1:PORT */
  readonly serverUrl: string;
  /** Admin kubeconfig (client cert in group system:masters), usable by the real kubectl. */
  readonly kubeconfigPath: string;
  /** CA that signed the serving cert and the client certs (--client-ca-file). */
  readonly caPath: string;
  readonly caKeyPath: string;
  readonly servingCertPath: string;
  readonly adminClientCertPath: string;
  readonly adminClientKeyPath: string;
  readonly serviceAccountKeys: ServiceAccountKeyFiles;
  readonly serviceAccountIssuer: string;
  readonly etcdUrl: string;
  readonly etcdDataDir: string;
  readonly apiServerLogPath: string;
  readonly etcdLogPath: string;
  readonly versions: { k8s: string; etcd: string };
  /** Milliseconds from startCluster() until the API server answered ready (binaries already built). */
  readonly startupMs: number;
  /** Runs the real kubectl against this cluster (admin kubeconfig unless told otherwise). */
  kubectl(args: readonly string[], opts?: KubectlOptions): Promise<KubectlResult>;
  /** Issues a client certificate (CN = user, O = groups) and a kubeconfig for it. */
  issueClientCert(user: string, groups?: readonly string[]): Promise<ClientCredentials>;
  /** Stops kube-apiserver and starts it again on the same port and etcd; new extra flags replace the old. */
  restartApiServer(opts?: { extraApiServerFlags?: readonly string[] }): Promise<void>;
  /** Stops kube-apiserver and etcd and (unless kept) removes the temp dir. Idempotent. */
  stop(): Promise<void>;
}

const DEFAULT_READY_TIMEOUT_MS = 120_000;

function progress(message: string): void {
  process.stderr.write(`[e2e] ${message}\n`);
}

/** Thrown when a control-plane process fails to start or become ready; carries its log tail. */
export class ClusterStartError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ClusterStartError";
  }
}

interface KubeconfigUser {
  certPem: string;
  keyPem: string;
}

async function writeKubeconfig(
  path: string,
  serverUrl: string,
  caPem: string,
  user: KubeconfigUser,
  name: string,
): Promise<void> {
  const b64 = (s: string): string => Buffer.from(s).toString("base64");
  const doc = {
    apiVersion: "v1",
    kind: "Config",
    clusters: [{ name: "e2e", cluster: { server: serverUrl, "certificate-authority-data": b64(caPem) } }],
    users: [
      { name, user: { "client-certificate-data": b64(user.certPem), "client-key-data": b64(user.keyPem) } },
    ],
    contexts: [{ name, context: { cluster: "e2e", user: name } }],
    "current-context": name,
    preferences: {},
  };
  await writeFile(path, stringify(doc), { mode: 0o600 });
}

/** Polls `check` every 250 ms until it returns true, `proc` exits, or `timeoutMs` passes. */
async function waitFor(
  what: string,
  proc: ManagedProcess,
  timeoutMs: number,
  check: () => Promise<boolean>,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError = "";
  while (Date.now() < deadline) {
    if (proc.exit) {
      const how = proc.exit.signal ? `signal ${proc.exit.signal}` : `exit code ${proc.exit.code}`;
      throw new ClusterStartError(
        `${proc.name} exited (${how}) before ${what}; last lines of ${proc.logPath}:\n${await logTail(proc.logPath)}`,
      );
    }
    try {
      if (await check()) return;
      lastError = "";
    } catch (err) {
      lastError = (err as Error).message;
    }
    await sleep(250);
  }
  throw new ClusterStartError(
    `timed out after ${timeoutMs} ms waiting for ${what}${lastError ? ` (last error: ${lastError})` : ""}; last lines of ${proc.logPath}:\n${await logTail(proc.logPath)}`,
  );
}

async function addressInUse(logPath: string): Promise<boolean> {
  const text = await readFile(logPath, "utf8").catch(() => "");
  return text.includes("address already in use");
}

function runKubectl(
  args: readonly string[],
  kubeconfig: string,
  cacheDir: string,
  opts: KubectlOptions,
): Promise<KubectlResult> {
  const bin = process.env["KUBECTL"] ?? "kubectl";
  const fullArgs = [`--kubeconfig=${kubeconfig}`, `--cache-dir=${cacheDir}`, ...args];
  return new Promise((resolve, reject) => {
    const child = spawn(bin, fullArgs, {
      stdio: ["pipe", "pipe", "pipe"],
      env: { ...process.env, KUBECONFIG: kubeconfig },
    });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (c: string) => (stdout += c));
    child.stderr.setEncoding("utf8").on("data", (c: string) => (stderr += c));
    const timer = setTimeout(() => child.kill("SIGKILL"), opts.timeoutMs ?? 60_000);
    child.on("error", (err) => {
      clearTimeout(timer);
      reject(new Error(`cannot run ${bin}: ${err.message} (set KUBECTL to its path)`));
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      const result = { code: code ?? 128, stdout, stderr };
      if (result.code !== 0 && !opts.allowFailure) {
        reject(
          new Error(
            `kubectl ${args.join(" ")} failed (${signal ? `signal ${signal}` : `exit ${code}`}): ${stderr.trim()}`,
          ),
        );
      } else {
        resolve(result);
      }
    });
    // kubectl may exit before reading its input; that is reported by its exit code, not EPIPE.
    child.stdin.on("error", () => undefined);
    child.stdin.end(opts.input ?? "");
  });
}

const WORK_DIR_PREFIX = "kubeiam-e2e-";
const OWNER_FILE = "owner.pid";

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * Deletes the etcd data (over 100 MB each) of work dirs whose owning process is gone: runs that
 * were killed, or whose start failed (their logs and certs stay for a post-mortem).
 */
async function sweepStaleWorkDirs(): Promise<void> {
  const entries = await readdir(tmpdir()).catch(() => []);
  for (const entry of entries) {
    if (!entry.startsWith(WORK_DIR_PREFIX)) continue;
    const dir = join(tmpdir(), entry);
    const owner = Number.parseInt(await readFile(join(dir, OWNER_FILE), "utf8").catch(() => ""), 10);
    if (!Number.isInteger(owner) || isAlive(owner)) continue;
    await rm(join(dir, "etcd-data"), { recursive: true, force: true });
  }
}

/** Starts etcd and kube-apiserver on loopback; resolves once the API server is ready for kubectl. */
export async function startCluster(opts: StartClusterOptions = {}): Promise<Cluster> {
  const t0 = Date.now();
  const binaries = opts.binaries ?? (await ensureE2eBinaries());
  const buildDoneAt = Date.now();
  const readyTimeoutMs = opts.readyTimeoutMs ?? DEFAULT_READY_TIMEOUT_MS;
  const keep = opts.keepWorkDir ?? process.env["KUBEIAM_E2E_KEEP"] === "1";
  await sweepStaleWorkDirs();
  const workDir = await mkdtemp(join(tmpdir(), WORK_DIR_PREFIX));
  await writeFile(join(workDir, OWNER_FILE), `${process.pid}\n`);
  const pkiDir = join(workDir, "pki");
  const etcdDataDir = join(workDir, "etcd-data");
  await mkdir(pkiDir, { recursive: true });
  await mkdir(etcdDataDir, { recursive: true, mode: 0o700 });
  const etcdLogPath = join(workDir, "etcd.log");
  const apiServerLogPath = join(workDir, "kube-apiserver.log");
  const kubectlCacheDir = join(workDir, "kubectl-cache");

  let etcd: ManagedProcess | undefined;
  let apiServer: ManagedProcess | undefined;
  let stopped = false;

  const stopAll = async (): Promise<void> => {
    await apiServer?.stop();
    await etcd?.stop();
  };

  try {
    // --- PKI ---------------------------------------------------------------------------------
    const ca: CertificateAuthority = await createCa(pkiDir, "ca", "kubeiam-e2e-ca");
    const serving = await issueCert(ca, pkiDir, {
      name: "apiserver",
      commonName: "kube-apiserver",
      hosts: [
        "127.0.0.1",
        "localhost",
        "kubernetes",
        "kubernetes.default",
        "kubernetes.default.svc",
        "kubernetes.default.svc.cluster.local",
        "10.0.0.1",
      ],
      usage: "server",
    });
    const admin = await issueCert(ca, pkiDir, {
      name: "admin",
      commonName: "kubeiam-e2e-admin",
      organizations: ["system:masters"],
      usage: "client",
    });
    const serviceAccountKeys = opts.serviceAccountKeys ?? (await createServiceAccountKeys(pkiDir));
    const serviceAccountIssuer = opts.serviceAccountIssuer ?? DEFAULT_SERVICE_ACCOUNT_ISSUER;
    const apiAudiences = opts.apiAudiences ?? [serviceAccountIssuer];
    const adminTls: ProbeTls = { ca: ca.certPem, cert: admin.certPem, key: admin.keyPem };

    // --- etcd --------------------------------------------------------------------------------
    let etcdUrl = "";
    for (let attempt = 1; ; attempt++) {
      const [clientPort, peerPort] = await freePorts(2);
      etcdUrl = `http://127.0.0.1:${clientPort}`;
      const peerUrl = `http://127.0.0.1:${peerPort}`;
      progress(`starting etcd ${binaries.etcdVersion} on ${etcdUrl}`);
      etcd = await startProcess(
        "etcd",
        binaries.etcd,
        [
          "--name=e2e",
          `--data-dir=${etcdDataDir}`,
          `--listen-client-urls=${etcdUrl}`,
          `--advertise-client-urls=${etcdUrl}`,
          `--listen-peer-urls=${peerUrl}`,
          `--initial-advertise-peer-urls=${peerUrl}`,
          `--initial-cluster=e2e=${peerUrl}`,
          "--unsafe-no-fsync=true",
          "--log-level=warn",
        ],
        etcdLogPath,
      );
      const url = etcdUrl;
      try {
        await waitFor("etcd answered /health", etcd, readyTimeoutMs, async () => {
          const res = await probe(`${url}/health`);
          return res.status === 200 && res.body.includes('"health":"true"');
        });
        break;
      } catch (err) {
        if (attempt < 3 && etcd.exit && (await addressInUse(etcdLogPath))) {
          // Start over on new ports with an empty data dir (the old one names the old peer URL).
          await rm(etcdDataDir, { recursive: true, force: true });
          await mkdir(etcdDataDir, { recursive: true, mode: 0o700 });
          continue;
        }
        throw err;
      }
    }

    // --- kube-apiserver ----------------------------------------------------------------------
    let [port] = await freePorts(1);
    const serverUrl = (): string => `https://127.0.0.1:${port}`;
    const modes = [...(opts.authorizationModes ?? ["Node", "RBAC"])];
    if (opts.webhookAuthz && !opts.authorizationModes) modes.push("Webhook");

    const apiServerArgs = (extra: readonly string[]): string[] => {
      const args = [
        `--etcd-servers=${etcdUrl}`,
        "--bind-address=127.0.0.1",
        "--advertise-address=127.0.0.1",
        // The default (lease) reconciler refuses a loopback advertise address; with no pods to
        // reach it, the `kubernetes` Service needs no endpoints.
        "--endpoint-reconciler-type=none",
        `--secure-port=${port}`,
        `--tls-cert-file=${serving.certPath}`,
        `--tls-private-key-file=${serving.keyPath}`,
        `--cert-dir=${join(workDir, "apiserver-certs")}`,
        `--client-ca-file=${ca.certPath}`,
        "--service-cluster-ip-range=10.0.0.0/24",
        `--service-account-issuer=${serviceAccountIssuer}`,
        ...serviceAccountKeys.publicKeyFiles.map((f) => `--service-account-key-file=${f}`),
        `--service-account-signing-key-file=${serviceAccountKeys.signingKeyFile}`,
        `--api-audiences=${apiAudiences.join(",")}`,
        `--authorization-mode=${modes.join(",")}`,
        "--allow-privileged=true",
        "--profiling=false",
        `--v=${opts.verbosity ?? 1}`,
      ];
      if (opts.webhookAuthn) {
        args.push(
          `--authentication-token-webhook-config-file=${opts.webhookAuthn.configFile}`,
          `--authentication-token-webhook-cache-ttl=${opts.webhookAuthn.cacheTtl ?? "0s"}`,
          `--authentication-token-webhook-version=${opts.webhookAuthn.version ?? "v1"}`,
        );
      }
      if (opts.webhookAuthz) {
        args.push(
          `--authorization-webhook-config-file=${opts.webhookAuthz.configFile}`,
          `--authorization-webhook-cache-authorized-ttl=${opts.webhookAuthz.authorizedTtl ?? "0s"}`,
          `--authorization-webhook-cache-unauthorized-ttl=${opts.webhookAuthz.unauthorizedTtl ?? "0s"}`,
          `--authorization-webhook-version=${opts.webhookAuthz.version ?? "v1"}`,
        );
      }
      return [...args, ...extra];
    };

    const waitReady = async (proc: ManagedProcess): Promise<void> => {
      const base = serverUrl();
      await waitFor(
        "kube-apiserver answered /readyz",
        proc,
        readyTimeoutMs,
        async () => (await probe(`${base}/readyz`, adminTls)).status === 200,
      );
      // The system namespaces are created by controllers that /readyz does not wait for.
      await waitFor("namespaces default and kube-system exist", proc, readyTimeoutMs, async () => {
        for (const ns of ["default", "kube-system"]) {
          if ((await probe(`${base}/api/v1/namespaces/${ns}`, adminTls)).status !== 200) return false;
        }
        return true;
      });
    };

    let extraFlags: readonly string[] = opts.extraApiServerFlags ?? [];
    const launchApiServer = async (pickNewPortOnConflict: boolean): Promise<ManagedProcess> => {
      for (let attempt = 1; ; attempt++) {
        progress(`starting kube-apiserver ${binaries.k8sVersion} on ${serverUrl()}`);
        const proc = await startProcess(
          "kube-apiserver",
          binaries.kubeApiServer,
          apiServerArgs(extraFlags),
          apiServerLogPath,
        );
        apiServer = proc;
        try {
          await waitReady(proc);
          return proc;
        } catch (err) {
          if (pickNewPortOnConflict && attempt < 3 && proc.exit && (await addressInUse(apiServerLogPath))) {
            [port] = await freePorts(1);
            continue;
          }
          throw err;
        }
      }
    };

    await launchApiServer(true);
    const startupMs = Date.now() - buildDoneAt;
    progress(`cluster ready at ${serverUrl()} in ${(startupMs / 1000).toFixed(1)} s (work dir ${workDir})`);

    const kubeconfigPath = join(workDir, "admin.kubeconfig");
    await writeKubeconfig(kubeconfigPath, serverUrl(), ca.certPem, admin, "admin");

    const cluster: Cluster = {
      workDir,
      serverUrl: serverUrl(),
      kubeconfigPath,
      caPath: ca.certPath,
      caKeyPath: ca.keyPath,
      servingCertPath: serving.certPath,
      adminClientCertPath: admin.certPath,
      adminClientKeyPath: admin.keyPath,
      serviceAccountKeys,
      serviceAccountIssuer,
      etcdUrl,
      etcdDataDir,
      apiServerLogPath,
      etcdLogPath,
      versions: { k8s: binaries.k8sVersion, etcd: binaries.etcdVersion },
      startupMs,
      kubectl: (args, kopts = {}) =>
        runKubectl(args, kopts.kubeconfig ?? kubeconfigPath, kubectlCacheDir, kopts),
      async issueClientCert(user, groups = []) {
        const stem = `user-${user.replace(/[^A-Za-z0-9_.-]/g, "_")}`;
        const issued = await issueCert(ca, pkiDir, {
          name: stem,
          commonName: user,
          organizations: groups,
          usage: "client",
        });
        const path = join(workDir, `${stem}.kubeconfig`);
        await writeKubeconfig(path, serverUrl(), ca.certPem, issued, user);
        return { ...issued, kubeconfigPath: path };
      },
      async restartApiServer(ropts = {}) {
        if (stopped) throw new Error("the cluster is stopped");
        if (ropts.extraApiServerFlags) extraFlags = ropts.extraApiServerFlags;
        const t = Date.now();
        await apiServer?.stop();
        await launchApiServer(false);
        progress(`kube-apiserver restarted in ${((Date.now() - t) / 1000).toFixed(1)} s`);
      },
      async stop() {
        if (stopped) return;
        stopped = true;
        await stopAll();
        if (keep) progress(`kept work dir ${workDir}`);
        else await rm(workDir, { recursive: true, force: true });
      },
    };
    progress(`total startCluster time ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    return cluster;
  } catch (err) {
    await stopAll();
    await rm(etcdDataDir, { recursive: true, force: true });
    progress(`startCluster failed; logs kept in ${workDir}`);
    throw err;
  }
}
