/**
 * Load test of POST /admission/pod-identity over HTTPS on loopback (50 connections, bounded), against
 * a plain node:https baseline with the same ECDSA P-256 certificate and a fixed body of the same size.
 * Target: at least 50% of the baseline's rate.
 *
 *   node --import tsx bench/pod-identity.bench.ts [--duration 5] [--connections 50] [--pod realistic|minimal] [--json] [--in-process]
 */
import { mkdtemp, rm } from "node:fs/promises";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { resolveConfig } from "../src/config/resolve.js";
import { systemClock } from "../src/lib/clock.js";
import { createLogger } from "../src/lib/logger.js";
import { startApp } from "../src/server/app.js";
import { registerPodIdentityRoutes, POD_IDENTITY_PATH } from "../src/server/routes/pod-identity.js";
import { formatBaseline, jsonWebhookLoad, runWithBaseline } from "./lib/baseline.js";
import { cpuMicrosPerCallAsync } from "./lib/cpu-time.js";
import { parseAdmissionReview, serializeAdmissionReview } from "../src/admission/review.js";
import { reviewPodIdentity } from "../src/admission/pod-identity/review-pod.js";
import { podIdentityConfig } from "../src/admission/pod-identity/config.js";
import type { App } from "../src/server/app.js";

const TARGET_RATIO = 0.5;

const { values: args } = parseArgs({
  options: {
    duration: { type: "string", default: "5" },
    connections: { type: "string", default: "50" },
    json: { type: "boolean", default: false },
    /** realistic: pods as a ReplicaSet creates them (~3.6 KB reviews); minimal: one bare container (~0.6 KB). */
    pod: { type: "string", default: "realistic" },
    /** Only the in-process cost of the route's parts (no HTTP load); for profiling with --cpu-prof. */
    "in-process": { type: "boolean", default: false },
  },
});
if (args.pod !== "realistic" && args.pod !== "minimal")
  throw new Error(`--pod: realistic or minimal, found ${args.pod}`);

const SERVICE_ACCOUNTS = `
apiVersion: v1
kind: ServiceAccount
metadata:
  name: s3-reader
  namespace: shop
  annotations:
    eks.amazonaws.com/role-arn: arn:aws:iam::111122223333:role/shop-s3-reader
    eks.amazonaws.com/sts-regional-endpoints: "true"
---
apiVersion: v1
kind: ServiceAccount
metadata:
  name: queue-worker
  namespace: shop
  annotations:
    eks.amazonaws.com/role-arn: arn:aws:iam::111122223333:role/shop-sqs
    eks.amazonaws.com/token-expiration: "3600"
    eks.amazonaws.com/audience: sts.amazonaws.com
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: default, namespace: shop}
`;

/** A pod as kube-apiserver sends it to a mutating webhook (after the ServiceAccount admission plugin). */
function pod(i: number, serviceAccountName: string): Record<string, unknown> {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      generateName: `web-7d4b9c8f6-`,
      namespace: "shop",
      labels: { app: "web", "pod-template-hash": "7d4b9c8f6", tier: "frontend" },
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
      managedFields: [
        {
          manager: "kube-controller-manager",
          operation: "Update",
          apiVersion: "v1",
          time: "2026-01-01T00:00:00Z",
          fieldsType: "FieldsV1",
          fieldsV1: {
            "f:metadata": {
              "f:generateName": {},
              "f:labels": { ".": {}, "f:app": {}, "f:pod-template-hash": {} },
            },
            "f:spec": { "f:containers": { 'k:{"name":"web"}': { ".": {}, "f:image": {} } } },
          },
        },
      ],
    },
    spec: {
      serviceAccountName,
      volumes: [
        {
          name: "kube-api-access-x7k2p",
          projected: {
            defaultMode: 420,
            sources: [
              { serviceAccountToken: { expirationSeconds: 3607, path: "token" } },
              { configMap: { name: "kube-root-ca.crt", items: [{ key: "ca.crt", path: "ca.crt" }] } },
              {
                downwardAPI: {
                  items: [
                    { path: "namespace", fieldRef: { apiVersion: "v1", fieldPath: "metadata.namespace" } },
                  ],
                },
              },
            ],
          },
        },
      ],
      initContainers: [
        {
          name: "migrate",
          image: "registry.example.com/shop/migrate:1.4.2",
          args: ["--up"],
          resources: { requests: { cpu: "50m", memory: "64Mi" } },
          volumeMounts: [
            {
              name: "kube-api-access-x7k2p",
              readOnly: true,
              mountPath: "/var/run/secrets/kubernetes.io/serviceaccount",
            },
          ],
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
            { name: "BUCKET", value: "shop-assets" },
          ],
          resources: { limits: { cpu: "1", memory: "512Mi" }, requests: { cpu: "250m", memory: "256Mi" } },
          readinessProbe: {
            httpGet: { path: "/healthz", port: 8080, scheme: "HTTP" },
            periodSeconds: 5,
            timeoutSeconds: 1,
            successThreshold: 1,
            failureThreshold: 3,
          },
          volumeMounts: [
            {
              name: "kube-api-access-x7k2p",
              readOnly: true,
              mountPath: "/var/run/secrets/kubernetes.io/serviceaccount",
            },
          ],
          terminationMessagePath: "/dev/termination-log",
          terminationMessagePolicy: "File",
          imagePullPolicy: "IfNotPresent",
        },
        {
          name: "envoy",
          image: "envoyproxy/envoy:v1.31.0",
          resources: { requests: { cpu: "100m", memory: "128Mi" } },
          volumeMounts: [
            {
              name: "kube-api-access-x7k2p",
              readOnly: true,
              mountPath: "/var/run/secrets/kubernetes.io/serviceaccount",
            },
          ],
        },
      ],
      restartPolicy: "Always",
      terminationGracePeriodSeconds: 30,
      dnsPolicy: "ClusterFirst",
      securityContext: { fsGroup: 65534 },
      schedulerName: "default-scheduler",
      tolerations: [
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
      priority: 0,
      enableServiceLinks: true,
      preemptionPolicy: "PreemptLowerPriority",
    },
    status: {},
  };
}

function review(i: number, serviceAccountName: string): string {
  return JSON.stringify({
    kind: "AdmissionReview",
    apiVersion: "admission.k8s.io/v1",
    request: {
      uid: `5f0e0d0c-0000-4000-8000-${String(i).padStart(12, "0")}`,
      kind: { group: "", version: "v1", kind: "Pod" },
      resource: { group: "", version: "v1", resource: "pods" },
      requestKind: { group: "", version: "v1", kind: "Pod" },
      requestResource: { group: "", version: "v1", resource: "pods" },
      name: "",
      namespace: "shop",
      operation: "CREATE",
      userInfo: {
        username: "system:serviceaccount:kube-system:replicaset-controller",
        uid: "a1b2c3",
        groups: ["system:serviceaccounts", "system:serviceaccounts:kube-system", "system:authenticated"],
      },
      object:
        args.pod === "minimal"
          ? {
              apiVersion: "v1",
              kind: "Pod",
              metadata: { generateName: "web-" },
              spec: { serviceAccountName, containers: [{ name: "web", image: "nginx" }] },
            }
          : pod(i, serviceAccountName),
      oldObject: null,
      dryRun: false,
      options: { kind: "CreateOptions", apiVersion: "meta.k8s.io/v1" },
    },
  });
}

/** CPU µs per request of the route's parts in-process (no HTTP), as the route runs them. */
async function inProcess(app: App, bodies: readonly string[]): Promise<Record<string, number>> {
  const buffers = bodies.map((b) => Buffer.from(b));
  const config = podIdentityConfig({ region: app.config.region });
  const deps = { config, lookupServiceAccount: (k: Parameters<App["cache"]["get"]>[0]) => app.cache.get(k) };
  const reviews = buffers.map((b) => parseAdmissionReview(b));
  const outcomes = await Promise.all(reviews.map((r) => reviewPodIdentity(r, deps)));
  const time = (f: (i: number) => unknown): Promise<number> =>
    cpuMicrosPerCallAsync(f, { calls: 10_000, warmup: 1000, cycle: bodies.length });
  return {
    jsonParse: await time((i) => JSON.parse(bodies[i]!)),
    parseReview: await time((i) => parseAdmissionReview(buffers[i]!)),
    review: await time((i) => reviewPodIdentity(reviews[i]!, deps)),
    respond: await time((i) => serializeAdmissionReview(outcomes[i]!.response)),
    record: await time((i) => {
      const o = outcomes[i]!;
      app.decisions.record({
        kind: "admission",
        action: "PodIdentity",
        subject: o.subject,
        allowed: o.allowed,
        summary: o.summary,
        reasons: o.reasons,
      });
    }),
  };
}

async function main(): Promise<void> {
  const stateDir = await mkdtemp(join(tmpdir(), "kubeiam-bench-"));
  try {
    const { writeFile, mkdir } = await import("node:fs/promises");
    await mkdir(join(stateDir, "objects"), { recursive: true });
    await writeFile(join(stateDir, "objects", "service-accounts.yaml"), SERVICE_ACCOUNTS);
    const { freePort } = await import("../test/helpers/server.js");
    const port = await freePort();
    const config = resolveConfig({ listen: `127.0.0.1:${port}`, region: "eu-west-1" }, undefined, {
      stateDir,
    });
    // Decisions are logged at info; a loaded server runs at warn (the ring and redaction still run).
    const app = await startApp(config, { clock: systemClock, logger: createLogger("warn") });
    try {
      registerPodIdentityRoutes(app);
      // 3 of 4 reviews mutate (two roles), 1 is a ServiceAccount without a role.
      const bodies = [
        review(1, "s3-reader"),
        review(2, "queue-worker"),
        review(3, "s3-reader"),
        review(4, "default"),
      ];
      const parts = await inProcess(app, bodies);
      const partsLine = `in-process µs CPU per request: ${Object.entries(parts)
        .map(([k, v]) => `${k} ${v}`)
        .join(", ")} (parseReview includes jsonParse; record at log level warn)`;
      if (args["in-process"]) {
        console.log(partsLine);
        return;
      }
      const result = await runWithBaseline({
        ...jsonWebhookLoad(app, POD_IDENTITY_PATH),
        name: `POST /admission/pod-identity (${args.pod} pods)`,
        bodies,
        connections: Number(args.connections),
        durationSec: Number(args.duration),
      });
      const requestBytes = Math.round(bodies.reduce((n, b) => n + Buffer.byteLength(b), 0) / bodies.length);
      const load = loadavg()
        .map((l) => l.toFixed(2))
        .join(" ");
      if (args.json)
        console.log(
          JSON.stringify(
            { ...result, requestBytes, load, target: TARGET_RATIO, inProcessMicros: parts },
            null,
            2,
          ),
        );
      else {
        console.log(formatBaseline(result));
        console.log(
          `  requests: ${requestBytes}-byte AdmissionReviews; load average ${load}; target ≥ ${TARGET_RATIO * 100}% of baseline: ${result.ratio >= TARGET_RATIO ? "met" : "NOT met"}`,
        );
        console.log(partsLine);
      }
      if (result.non2xx > 0 || result.errors > 0) {
        console.error(`the endpoint answered ${result.non2xx} non-2xx and had ${result.errors} errors`);
        process.exitCode = 1;
      }
      if (result.ratio < TARGET_RATIO) process.exitCode = 1;
    } finally {
      await app.close();
    }
  } finally {
    await rm(stateDir, { recursive: true, force: true });
  }
}

await main();
