/**
 * Added latency of kubeiam's webhooks on kubectl-style requests through a real kube-apiserver
 * (v1.37, test/e2e harness), against a second kube-apiserver without any webhook, in the same run
 * with the same requests:
 *
 *   A: kube-apiserver wired to kubeiam (TokenReview and SubjectAccessReview webhooks with cache
 *      TTLs 0, kubeiam's Mutating/ValidatingWebhookConfigurations, kubeiam's issuer and keys);
 *   B: kube-apiserver without webhooks (its own RBAC; kubeiam's issuer and keys too, so the same
 *      kind of service-account token is verified in-process by both).
 *
 * Scenarios (sequential requests over one keep-alive connection per cluster, like one kubectl):
 *   list-sa        GET pods with a service-account token: no webhook call on A either (control)
 *   list-oidc      GET pods with an OIDC ID token on A → kubeiam's TokenReview webhook; B: list-sa
 *   list-oidc-sar  as list-oidc, authorized by kubeiam's /authorize (binding only in kubeiam's
 *                  store) → TokenReview + SubjectAccessReview webhooks; B: list-sa
 *   create-pod     POST a pod with dryRun=All and a service-account token → kubeiam's mutating and
 *                  validating admission webhooks on A; none on B
 *
 * kube-apiserver caches successful token authentications for 10 s in front of every token
 * authenticator, whatever --authentication-token-webhook-cache-ttl says, so every OIDC request
 * carries a fresh ID token (unique jti, signed before the batch): each one reaches kubeiam, and
 * kubeiam's own verified-token cache never hits either. Batches alternate between A and B to spread
 * the drift of a shared machine over both.
 *
 *   node --import tsx bench/e2e-webhooks.bench.ts [--count 400] [--batch 50] [--max-seconds 120] [--json]
 */
import { generateKeyPairSync, randomUUID, type KeyObject } from "node:crypto";
import { createServer, type Server } from "node:https";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { exportJWK, SignJWT } from "jose";
import { Agent, request } from "undici";
import { ensureTls } from "../src/keys/tls.js";
import { startCluster, type Cluster } from "../test/e2e/harness.js";
import { e2ePrerequisites, startWiredCluster, type WiredCluster } from "../test/e2e/lib/kubeiam.js";
import { freePort } from "../test/e2e/lib/net.js";

const { values: args } = parseArgs({
  options: {
    count: { type: "string", default: "400" },
    batch: { type: "string", default: "50" },
    "max-seconds": { type: "string", default: "120" },
    json: { type: "boolean", default: false },
  },
});
const COUNT = Number(args.count);
const BATCH = Number(args.batch);
const MAX_MS = Number(args["max-seconds"]) * 1000;
const WARMUP = 20;
const NS = "bench";

// --- a minimal OIDC issuer: discovery and JWKS over HTTPS on loopback ---------------------------

interface Issuer {
  url: string;
  caPem: string;
  sign(groups: string[]): Promise<string>;
  close(): Promise<void>;
}

async function startIssuer(dir: string): Promise<Issuer> {
  const tls = await ensureTls(dir, { names: ["127.0.0.1"], now: Date.now() });
  const port = await freePort();
  const url = `https://127.0.0.1:${port}`;
  const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const jwk = { ...(await exportJWK(publicKey)), kid: "bench-1", alg: "RS256", use: "sig" };
  const discovery = JSON.stringify({
    issuer: url,
    jwks_uri: `${url}/jwks`,
    authorization_endpoint: `${url}/auth`,
    response_types_supported: ["code"],
    subject_types_supported: ["public"],
    id_token_signing_alg_values_supported: ["RS256"],
  });
  const jwks = JSON.stringify({ keys: [jwk] });
  const server: Server = createServer({ cert: tls.cert, key: tls.key }, (req, res) => {
    const body =
      req.url === "/.well-known/openid-configuration" ? discovery : req.url === "/jwks" ? jwks : undefined;
    res.writeHead(body ? 200 : 404, { "content-type": "application/json" });
    res.end(body ?? "{}");
  });
  await new Promise<void>((r) => server.listen(port, "127.0.0.1", r));
  const key: KeyObject = privateKey;
  return {
    url,
    caPem: tls.ca ?? "",
    sign: (groups) =>
      new SignJWT({ groups })
        .setProtectedHeader({ alg: "RS256", kid: "bench-1" })
        .setIssuer(url)
        .setAudience("kubernetes")
        .setSubject("bench-user")
        .setJti(randomUUID())
        .setIssuedAt()
        .setExpirationTime("1h")
        .sign(key),
    close: async () => {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}

// --- requests -----------------------------------------------------------------------------------

interface Target {
  name: "A" | "B";
  cluster: Cluster;
  agent: Agent;
  saToken: string;
}

const POD = JSON.stringify({
  apiVersion: "v1",
  kind: "Pod",
  metadata: { name: "bench-pod", namespace: NS },
  spec: { serviceAccountName: NS, containers: [{ name: "c", image: "nginx" }] },
});

async function call(t: Target, kind: "list" | "create", token: string): Promise<number> {
  const path =
    kind === "list"
      ? `/api/v1/namespaces/${NS}/pods?limit=500`
      : `/api/v1/namespaces/${NS}/pods?dryRun=All&fieldManager=kubectl-create&fieldValidation=Strict`;
  const t0 = process.hrtime.bigint();
  const r = await request(`${t.cluster.serverUrl}${path}`, {
    method: kind === "list" ? "GET" : "POST",
    dispatcher: t.agent,
    headers: {
      authorization: `Bearer ${token}`,
      accept: "application/json",
      "user-agent": "kubectl/v1.32.4 (linux/amd64) kubernetes/bench",
      ...(kind === "create" ? { "content-type": "application/json" } : {}),
    },
    ...(kind === "create" ? { body: POD } : {}),
  });
  const text = await r.body.text();
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.statusCode !== (kind === "list" ? 200 : 201)) {
    throw new Error(`${t.name} ${kind}: HTTP ${r.statusCode}: ${text.slice(0, 300)}`);
  }
  return ms;
}

interface Scenario {
  id: string;
  what: string;
  /** The request on A: kind and how each token is made. */
  a: { kind: "list" | "create"; token: () => Promise<string> | string };
  /** The same request on B (a token B verifies itself). */
  b: { kind: "list" | "create"; token: () => string };
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

interface Figures {
  n: number;
  p50: number;
  p90: number;
  p99: number;
  mean: number;
}

function figures(samples: number[]): Figures {
  const s = [...samples].sort((x, y) => x - y);
  return {
    n: s.length,
    p50: percentile(s, 50),
    p90: percentile(s, 90),
    p99: percentile(s, 99),
    mean: s.reduce((a, b) => a + b, 0) / Math.max(1, s.length),
  };
}

async function setUpRbac(c: Cluster): Promise<void> {
  await c.kubectl(["create", "namespace", NS]);
  for (const sa of ["default", NS]) await c.kubectl(["create", "serviceaccount", sa, "--namespace", NS]);
  await c.kubectl(["create", "clusterrole", "bench-pods", "--verb=get,list,create", "--resource=pods"]);
  await c.kubectl([
    "create",
    "clusterrolebinding",
    "bench-pods",
    "--clusterrole=bench-pods",
    `--serviceaccount=${NS}:${NS}`,
    "--group=bench:readers",
  ]);
}

async function main(): Promise<void> {
  const pre = await e2ePrerequisites(["kubectl"]);
  if (pre.skip !== false) {
    process.stdout.write(`skipped: ${pre.skip}\n`);
    return;
  }
  const work = await mkdtemp(join(tmpdir(), "kubeiam-bench-e2e-"));
  const issuer = await startIssuer(work);
  let a: WiredCluster | undefined;
  let b: Cluster | undefined;
  const agents: Agent[] = [];
  try {
    const t0 = Date.now();
    a = await startWiredCluster({
      binaries: pre.binaries,
      kubeiam: {
        config: {
          authentication: {
            oidc: [
              {
                issuer: { url: issuer.url, audiences: ["kubernetes"], certificateAuthority: issuer.caPem },
                claimMappings: {
                  username: { claim: "sub", prefix: "oidc:" },
                  groups: { claim: "groups", prefix: "" },
                },
              },
            ],
          },
        },
      },
    });
    const keysDir = join(a.kubeiam.stateDir, "apiserver");
    b = await startCluster({
      binaries: pre.binaries,
      serviceAccountIssuer: a.kubeiam.url,
      serviceAccountKeys: {
        signingKeyFile: join(keysDir, "sa.key"),
        publicKeyFiles: [join(keysDir, "sa.pub")],
      },
      apiAudiences: a.kubeiam.app.config.issuer.audiences,
    });
    const setupMs = Date.now() - t0;
    await setUpRbac(a.cluster);
    await setUpRbac(b);
    // kubeiam's mutating webhook reads the pod's ServiceAccount from its store (and would wait
    // 1.5 s for one it has not seen): mirror it, as cluster mode would have it
    await a.mirror("ServiceAccount", NS, NS);
    // list-oidc-sar: group bench:kubeiam is allowed by a binding kubeiam alone holds
    await a.kubeiam.put(
      {
        apiVersion: "rbac.authorization.k8s.io/v1",
        kind: "ClusterRole",
        metadata: { name: "bench-kubeiam-pods" },
        rules: [{ apiGroups: [""], resources: ["pods"], verbs: ["list"] }],
      },
      {
        apiVersion: "rbac.authorization.k8s.io/v1",
        kind: "ClusterRoleBinding",
        metadata: { name: "bench-kubeiam-pods" },
        roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "bench-kubeiam-pods" },
        subjects: [{ apiGroup: "rbac.authorization.k8s.io", kind: "Group", name: "bench:kubeiam" }],
      },
    );
    const saToken = async (c: Cluster): Promise<string> =>
      (await c.kubectl(["create", "token", NS, "--namespace", NS, "--duration", "2h"])).stdout.trim();
    const caA = a.cluster.caPath;
    const mkAgent = async (caPath: string): Promise<Agent> => {
      const agent = new Agent({
        connect: { ca: await readFile(caPath, "utf8") },
        connections: 1,
        pipelining: 1,
      });
      agents.push(agent);
      return agent;
    };
    const A: Target = {
      name: "A",
      cluster: a.cluster,
      agent: await mkAgent(caA),
      saToken: await saToken(a.cluster),
    };
    const B: Target = { name: "B", cluster: b, agent: await mkAgent(b.caPath), saToken: await saToken(b) };

    const scenarios: Scenario[] = [
      {
        id: "list-sa",
        what: "GET pods, service-account token (no webhook on A either)",
        a: { kind: "list", token: () => A.saToken },
        b: { kind: "list", token: () => B.saToken },
      },
      {
        id: "list-oidc",
        what: "GET pods, OIDC token: TokenReview webhook",
        a: { kind: "list", token: () => issuer.sign(["bench:readers"]) },
        b: { kind: "list", token: () => B.saToken },
      },
      {
        id: "list-oidc-sar",
        what: "GET pods, OIDC token: TokenReview + SubjectAccessReview webhooks",
        a: { kind: "list", token: () => issuer.sign(["bench:kubeiam"]) },
        b: { kind: "list", token: () => B.saToken },
      },
      {
        id: "create-pod",
        what: "POST pod (dryRun=All), service-account token: mutating + validating webhooks",
        a: { kind: "create", token: () => A.saToken },
        b: { kind: "create", token: () => B.saToken },
      },
    ];

    const decisions = a.kubeiam.app.decisions;
    // warm-up (also proves every request succeeds before measuring)
    for (const s of scenarios) {
      for (let i = 0; i < WARMUP; i++) {
        await call(A, s.a.kind, await s.a.token());
        await call(B, s.b.kind, s.b.token());
      }
    }
    const decisionsBefore = decisions.count();
    const samples = new Map<string, { a: number[]; b: number[]; calls: number }>(
      scenarios.map((s) => [s.id, { a: [], b: [], calls: 0 }]),
    );
    const started = Date.now();
    const load0 = loadavg()[0] ?? 0;
    let round = 0;
    let timedOut = false;
    while (scenarios.some((s) => samples.get(s.id)!.a.length < COUNT)) {
      if (Date.now() - started > MAX_MS) {
        timedOut = true;
        break;
      }
      for (const s of scenarios) {
        const acc = samples.get(s.id)!;
        const n = Math.min(BATCH, COUNT - acc.a.length);
        if (n <= 0) continue;
        const tokens: string[] = [];
        for (let i = 0; i < n; i++) tokens.push(await s.a.token());
        const runA = async (): Promise<void> => {
          const before = decisions.count();
          for (const tok of tokens) acc.a.push(await call(A, s.a.kind, tok));
          acc.calls += decisions.count() - before;
        };
        const runB = async (): Promise<void> => {
          for (let i = 0; i < n; i++) acc.b.push(await call(B, s.b.kind, s.b.token()));
        };
        // alternate which side goes first
        if (round % 2 === 0) {
          await runA();
          await runB();
        } else {
          await runB();
          await runA();
        }
      }
      round++;
    }
    const measuredMs = Date.now() - started;
    const webhookCalls = decisions.count() - decisionsBefore;

    const rows = scenarios.map((s) => {
      const acc = samples.get(s.id)!;
      const fa = figures(acc.a);
      const fb = figures(acc.b);
      return {
        id: s.id,
        what: s.what,
        a: fa,
        b: fb,
        addedP50: fa.p50 - fb.p50,
        addedP99: fa.p99 - fb.p99,
        kubeiamCallsPerRequest: acc.calls / Math.max(1, acc.a.length),
      };
    });
    const meta = {
      k8s: a.cluster.versions.k8s,
      cpus: cpus().length,
      loadavgStart: load0,
      loadavgEnd: loadavg()[0] ?? 0,
      setupMs,
      measuredMs,
      rounds: round,
      timedOut,
      kubeiamDecisions: webhookCalls,
    };
    if (args.json) {
      process.stdout.write(JSON.stringify({ meta, rows }, null, 2) + "\n");
      return;
    }
    const f = (x: number): string => x.toFixed(2).padStart(7);
    const out: string[] = [];
    out.push(
      `e2e webhooks: kube-apiserver ${meta.k8s}, ${meta.cpus} cores, load ${meta.loadavgStart.toFixed(1)} → ${meta.loadavgEnd.toFixed(1)}; clusters up in ${(setupMs / 1000).toFixed(1)} s; measured ${(measuredMs / 1000).toFixed(1)} s in ${round} rounds${timedOut ? " (stopped at --max-seconds)" : ""}; ${webhookCalls} kubeiam decisions while measuring`,
    );
    out.push(
      "A = wired to kubeiam, B = no webhooks; ms per request, sequential, one keep-alive connection; calls = kubeiam webhook calls per request on A",
    );
    out.push(
      `${"scenario".padEnd(14)} ${"n".padStart(4)}  ${"A p50".padStart(7)} ${"A p90".padStart(7)} ${"A p99".padStart(7)}  ${"B p50".padStart(7)} ${"B p99".padStart(7)}  ${"+p50".padStart(7)} ${"+p99".padStart(7)}  calls`,
    );
    for (const r of rows) {
      out.push(
        `${r.id.padEnd(14)} ${String(r.a.n).padStart(4)}  ${f(r.a.p50)} ${f(r.a.p90)} ${f(r.a.p99)}  ${f(r.b.p50)} ${f(r.b.p99)}  ${f(r.addedP50)} ${f(r.addedP99)}  ${r.kubeiamCallsPerRequest.toFixed(1).padStart(5)}`,
      );
    }
    for (const r of rows) out.push(`  ${r.id}: ${r.what}`);
    process.stdout.write(out.join("\n") + "\n");
  } finally {
    for (const ag of agents) await ag.close();
    await b?.stop();
    await a?.stop();
    await issuer.close();
    await rm(work, { recursive: true, force: true });
  }
}

await main();
