/**
 * Load test of POST /admission/validate over HTTPS on loopback: Pod CREATE reviews in a tenant
 * namespace with restricted Pod Security and every tenant rule (node isolation against two other
 * tenants, host paths, capabilities), realistic pod bodies, 1 in 4 denied.
 *
 * 1. Throughput against a plain node:https baseline (same certificate and key, same body size,
 *    50 connections; bench/lib/baseline.ts). Target: at least 40% of the baseline's rate.
 * 2. Latency at a fixed offered load of 5,000 reviews/s, evenly paced, latency counted from when each
 *    review was due (bench/lib/paced-load.ts; autocannon's overallRate sends each second's quota
 *    as a burst). Target: p99 ≤ 5 ms. The same load against the plain baseline and the JSON floor
 *    shows what the machine allows any Node server at that rate.
 *
 *   node --import tsx bench/admission-validate.bench.ts [--duration 5] [--connections 50] [--rate 5000] [--json]
 */
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { resolveConfig } from "../src/config/resolve.js";
import { systemClock } from "../src/lib/clock.js";
import { createLogger } from "../src/lib/logger.js";
import { startApp } from "../src/server/app.js";
import { registerTenancyRoutes, VALIDATE_PATH } from "../src/server/routes/tenancy.js";
import {
  formatBaseline,
  jsonWebhookLoad,
  httpsCall,
  runWithBaseline,
  startBaselineServer,
} from "./lib/baseline.js";
import { pacedLoad, type PacedLoadFigures } from "./lib/paced-load.js";

const TARGET_RATIO = 0.4;
const TARGET_P99_MS = 5;

const { values: args } = parseArgs({
  options: {
    duration: { type: "string", default: "5" },
    connections: { type: "string", default: "50" },
    rate: { type: "string", default: "5000" },
    json: { type: "boolean", default: false },
  },
});

const TENANTS = `
apiVersion: kubeiam.io/v1alpha1
kind: Tenant
metadata: {name: shop}
spec:
  namespaces: {names: [shop], prefix: shop-}
  owners: {users: [sam], groups: [shop-admins], iamArns: ["arn:aws:iam::111122223333:role/shop-admin"]}
  nodeIsolation: {key: kubeiam.io/tenant, value: shop}
  podSecurity: {level: restricted, version: latest}
  hostPaths: {allowed: [{pathPrefix: /var/log}]}
  capabilities: {allowedAdd: [NET_BIND_SERVICE]}
  seLinux: {mcs: PerPod}
---
apiVersion: kubeiam.io/v1alpha1
kind: Tenant
metadata: {name: blog}
spec:
  namespaces: {names: [blog]}
  owners: {users: [bea]}
  nodeIsolation: {key: kubeiam.io/tenant, value: blog}
---
apiVersion: kubeiam.io/v1alpha1
kind: Tenant
metadata: {name: wiki}
spec:
  namespaces: {selector: {matchLabels: {team: wiki}}}
  owners: {groups: [wiki]}
  nodeIsolation: {key: dedicated, value: wiki, nodeSelector: false}
---
apiVersion: v1
kind: Namespace
metadata: {name: shop, labels: {kubeiam.io/tenant: shop, pod-security.kubernetes.io/enforce: restricted}}
`;

const RESTRICTED_CONTAINER = {
  allowPrivilegeEscalation: false,
  capabilities: { drop: ["ALL"] },
  readOnlyRootFilesystem: true,
};

/** A pod as kube-apiserver sends it to a validating webhook (after the mutating webhooks ran). */
function pod(i: number, bad: boolean): Record<string, unknown> {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      name: `web-7d4b9c8f6-${i}x9k`,
      generateName: "web-7d4b9c8f6-",
      namespace: "shop",
      labels: { app: "web", "pod-template-hash": "7d4b9c8f6", tier: "frontend", "kubeiam.io/tenant": "shop" },
      annotations: { "kubectl.kubernetes.io/restartedAt": "2026-01-01T00:00:00Z" },
      ownerReferences: [
        {
          apiVersion: "apps/v1",
          kind: "ReplicaSet",
          name: "web-7d4b9c8f6",
          uid: `0b1c2d3e-0000-4000-8000-${String(i).padStart(12, "0")}`,
          controller: true,
          blockOwnerDeletion: true,
        },
      ],
    },
    spec: {
      serviceAccountName: "web",
      securityContext: {
        runAsNonRoot: true,
        runAsUser: 10001,
        fsGroup: 10001,
        seccompProfile: { type: "RuntimeDefault" },
        seLinuxOptions: { level: `s0:c${i},c${i + 100}` },
      },
      volumes: [
        {
          name: "kube-api-access-x7k2p",
          projected: {
            defaultMode: 420,
            sources: [
              { serviceAccountToken: { expirationSeconds: 3607, path: "token" } },
              { configMap: { name: "kube-root-ca.crt", items: [{ key: "ca.crt", path: "ca.crt" }] } },
            ],
          },
        },
        { name: "cache", emptyDir: { sizeLimit: "1Gi" } },
        ...(bad ? [{ name: "host", hostPath: { path: "/etc" } }] : []),
      ],
      initContainers: [
        {
          name: "migrate",
          image: "registry.example.com/shop/migrate:1.4.2",
          args: ["--up"],
          securityContext: RESTRICTED_CONTAINER,
          resources: { requests: { cpu: "50m", memory: "64Mi" } },
        },
      ],
      containers: [
        {
          name: "web",
          image: "registry.example.com/shop/web:2.31.0",
          ports: [{ name: "http", containerPort: 8080, protocol: "TCP" }],
          env: [
            { name: "LOG_LEVEL", value: "info" },
            { name: "POD_NAME", valueFrom: { fieldRef: { apiVersion: "v1", fieldPath: "metadata.name" } } },
          ],
          resources: { limits: { cpu: "1", memory: "512Mi" }, requests: { cpu: "250m", memory: "256Mi" } },
          readinessProbe: { httpGet: { path: "/healthz", port: 8080, scheme: "HTTP" }, periodSeconds: 5 },
          securityContext: bad
            ? { ...RESTRICTED_CONTAINER, capabilities: { drop: ["ALL"], add: ["NET_ADMIN"] } }
            : RESTRICTED_CONTAINER,
          volumeMounts: [
            {
              name: "kube-api-access-x7k2p",
              readOnly: true,
              mountPath: "/var/run/secrets/kubernetes.io/serviceaccount",
            },
            { name: "cache", mountPath: "/cache" },
          ],
        },
        {
          name: "envoy",
          image: "envoyproxy/envoy:v1.31.0",
          securityContext: RESTRICTED_CONTAINER,
          resources: { requests: { cpu: "100m", memory: "128Mi" } },
        },
      ],
      nodeSelector: { "kubeiam.io/tenant": "shop" },
      tolerations: [
        { key: "kubeiam.io/tenant", operator: "Equal", value: "shop", effect: "NoSchedule" },
        {
          key: "node.kubernetes.io/not-ready",
          operator: "Exists",
          effect: "NoExecute",
          tolerationSeconds: 300,
        },
        {
          key: "node.kubernetes.io/unreachable",
          operator: "Exists",
          effect: "NoExecute",
          tolerationSeconds: 300,
        },
      ],
      restartPolicy: "Always",
      dnsPolicy: "ClusterFirst",
      schedulerName: "default-scheduler",
    },
  };
}

function review(i: number, bad: boolean): string {
  return JSON.stringify({
    kind: "AdmissionReview",
    apiVersion: "admission.k8s.io/v1",
    request: {
      uid: `5f0e0d0c-0000-4000-8000-${String(i).padStart(12, "0")}`,
      kind: { group: "", version: "v1", kind: "Pod" },
      resource: { group: "", version: "v1", resource: "pods" },
      requestKind: { group: "", version: "v1", kind: "Pod" },
      requestResource: { group: "", version: "v1", resource: "pods" },
      name: `web-7d4b9c8f6-${i}x9k`,
      namespace: "shop",
      operation: "CREATE",
      userInfo: {
        username: "system:serviceaccount:kube-system:replicaset-controller",
        uid: "a1b2c3",
        groups: ["system:serviceaccounts", "system:serviceaccounts:kube-system", "system:authenticated"],
      },
      object: pod(i, bad),
      oldObject: null,
      dryRun: false,
      options: { kind: "CreateOptions", apiVersion: "meta.k8s.io/v1" },
    },
  });
}

/** The fixed-rate load (bench/lib/paced-load.ts): evenly paced, latency counted from when each request was due. */
const atRate = (
  url: string,
  ca: string,
  bodies: readonly string[],
  rate: number,
  connections: number,
  durationSec: number,
): Promise<PacedLoadFigures> =>
  pacedLoad({
    url,
    ca,
    method: "POST",
    headers: { "content-type": "application/json" },
    bodies,
    rate,
    connections,
    durationSec,
  });

async function main(): Promise<void> {
  const stateDir = await mkdtemp(join(tmpdir(), "kubeiam-bench-"));
  try {
    await mkdir(join(stateDir, "objects"), { recursive: true });
    await writeFile(join(stateDir, "objects", "tenants.yaml"), TENANTS);
    const { freePort } = await import("../test/helpers/server.js");
    const port = await freePort();
    const config = resolveConfig({ listen: `127.0.0.1:${port}` }, undefined, { stateDir });
    // Decisions are logged at info; a loaded server runs at warn (the ring and redaction still run).
    const app = await startApp(config, { clock: systemClock, logger: createLogger("warn") });
    try {
      registerTenancyRoutes(app);
      const url = app.listener!.url + VALIDATE_PATH;
      const ca = app.tls.ca ?? app.tls.cert;
      const bodies = [review(1, false), review(2, false), review(3, true), review(4, false)];
      // sanity: the mix is what it claims
      const verdicts: boolean[] = [];
      for (const b of bodies) {
        const r = await httpsCall(url, ca, "POST", { "content-type": "application/json" }, b);
        verdicts.push((JSON.parse(r.body.toString()) as { response: { allowed: boolean } }).response.allowed);
      }
      if (verdicts.join() !== "true,true,false,true")
        throw new Error(`unexpected verdicts ${verdicts.join()}`);

      const result = await runWithBaseline({
        ...jsonWebhookLoad(app, VALIDATE_PATH),
        name: "POST /admission/validate (restricted + tenancy)",
        bodies,
        connections: Number(args.connections),
        durationSec: Number(args.duration),
      });
      const rate = Number(args.rate);
      const fixed = await atRate(url, ca, bodies, rate, Number(args.connections), Number(args.duration));
      // The same fixed rate against the plain baseline and the JSON floor (same certificate, a fixed
      // answer of the endpoint's size): what this machine allows any Node endpoint at that rate.
      const plainAtRate: Record<"baseline" | "jsonFloor", PacedLoadFigures> = {} as never;
      for (const side of ["baseline", "jsonFloor"] as const) {
        const s = await startBaselineServer(
          app.tls.cert,
          app.tls.key,
          Buffer.alloc(result.responseBytes, "x"),
          side === "jsonFloor",
        );
        try {
          plainAtRate[side] = await atRate(
            s.url,
            ca,
            bodies,
            rate,
            Number(args.connections),
            Number(args.duration),
          );
        } finally {
          s.server.closeAllConnections();
          await new Promise<void>((resolve) => s.server.close(() => resolve()));
        }
      }
      const requestBytes = Math.round(bodies.reduce((n, b) => n + Buffer.byteLength(b), 0) / bodies.length);
      const ok = result.ratio >= TARGET_RATIO && fixed.p99 <= TARGET_P99_MS && fixed.rps >= rate * 0.95;
      if (args.json)
        console.log(
          JSON.stringify(
            {
              ...result,
              requestBytes,
              target: TARGET_RATIO,
              atRate: { offered: rate, ...fixed, targetP99Ms: TARGET_P99_MS },
              plainAtRate,
              ok,
            },
            null,
            2,
          ),
        );
      else {
        console.log(formatBaseline(result));
        console.log(`  request body: ${requestBytes} bytes on average; 1 in 4 reviews denied`);
        console.log(
          `  at ${rate} reviews/s offered: ${fixed.rps.toFixed(0)} served, p50 ${fixed.p50} ms  p90 ${fixed.p90} ms  p99 ${fixed.p99} ms  max ${fixed.max} ms  (${fixed.non2xx} non-2xx, ${fixed.errors} errors)`,
        );
        for (const [side, f] of Object.entries(plainAtRate))
          console.log(
            `    the same against the ${side === "baseline" ? "plain baseline" : "JSON floor (parse only)"}: ${f.rps.toFixed(0)} served, p50 ${f.p50} ms  p90 ${f.p90} ms  p99 ${f.p99} ms  max ${f.max} ms`,
          );
        console.log(
          `  targets: ≥ ${TARGET_RATIO * 100}% of baseline, p99 ≤ ${TARGET_P99_MS} ms at ${rate}/s — ${ok ? "met" : "NOT met"}`,
        );
      }
      process.exitCode = ok ? 0 : 1;
    } finally {
      await app.close();
    }
  } finally {
    await rm(stateDir, { recursive: true, force: true });
  }
}

await main();
