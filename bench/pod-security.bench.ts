/**
 * Pod Security evaluation throughput, in process, on one core (the main thread): a realistic pod with
 * two containers at restricted:latest. Reports the rate for a compliant pod (the common case) and for
 * a pod that violates four checks (messages built). Bounded: BENCH_SECONDS per measurement (default
 * 3, capped so the whole run stays under 10 s) after a short warm-up.
 * Target: ≥ 50,000 pods/s for the compliant pod.
 * Run: node --import tsx bench/pod-security.bench.ts
 */
import { cpus } from "node:os";
import { evaluatePodSecurity, type PodSecurityInput } from "../src/admission/pod-security/evaluate.js";

const SECONDS = Math.min(Number(process.env.BENCH_SECONDS ?? 3), 4);
const TARGET = 50_000;

function container(name: string, image: string, port: number): Record<string, unknown> {
  return {
    name,
    image,
    imagePullPolicy: "IfNotPresent",
    args: ["--port", String(port), "--log-level=info"],
    env: [
      { name: "POD_NAME", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } },
      { name: "AWS_REGION", value: "eu-west-1" },
      { name: "AWS_ROLE_ARN", value: "arn:aws:iam::111122223333:role/web" },
      {
        name: "AWS_WEB_IDENTITY_TOKEN_FILE",
        value: "/var/run/secrets/eks.amazonaws.com/serviceaccount/token",
      },
    ],
    ports: [{ name: "http", containerPort: port, protocol: "TCP" }],
    resources: { requests: { cpu: "100m", memory: "128Mi" }, limits: { memory: "256Mi" } },
    livenessProbe: { httpGet: { path: "/healthz", port }, periodSeconds: 10 },
    readinessProbe: { httpGet: { path: "/readyz", port }, periodSeconds: 5 },
    lifecycle: { preStop: { exec: { command: ["sleep", "5"] } } },
    volumeMounts: [
      { name: "config", mountPath: "/etc/app" },
      {
        name: "aws-iam-token",
        mountPath: "/var/run/secrets/eks.amazonaws.com/serviceaccount",
        readOnly: true,
      },
      { name: "tmp", mountPath: "/tmp" },
    ],
    securityContext: {
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      runAsUser: 10001,
      capabilities: { drop: ["ALL"], add: port < 1024 ? ["NET_BIND_SERVICE"] : [] },
    },
  };
}

const meta = {
  name: "web-7d4b9c-x2x9z",
  namespace: "tenant-a",
  labels: { app: "web", "pod-template-hash": "7d4b9c" },
  annotations: { "kubectl.kubernetes.io/default-container": "web", "prometheus.io/scrape": "true" },
};

const spec = {
  serviceAccountName: "web",
  nodeSelector: { "kubeiam.io/tenant": "tenant-a" },
  tolerations: [{ key: "tenant", operator: "Equal", value: "tenant-a", effect: "NoSchedule" }],
  securityContext: { runAsNonRoot: true, fsGroup: 10001, seccompProfile: { type: "RuntimeDefault" } },
  containers: [
    container("web", "public.ecr.aws/nginx/nginx:1.27", 80),
    container("sidecar", "public.ecr.aws/aws-observability/aws-otel-collector:v0.40.0", 4317),
  ],
  volumes: [
    { name: "config", configMap: { name: "web-config" } },
    {
      name: "aws-iam-token",
      projected: {
        sources: [
          { serviceAccountToken: { audience: "sts.amazonaws.com", expirationSeconds: 86400, path: "token" } },
        ],
      },
    },
    { name: "tmp", emptyDir: {} },
  ],
};

const violating = structuredClone(spec) as typeof spec & { hostNetwork: boolean };
violating.hostNetwork = true;
violating.volumes.push({ name: "host", hostPath: { path: "/var/log" } } as never);
(violating.containers[1]!.securityContext as Record<string, unknown>).allowPrivilegeEscalation = true;
(violating.containers[1]!.securityContext as Record<string, unknown>).runAsUser = 0;

function rate(input: PodSecurityInput, expectAllowed: boolean): number {
  const check = evaluatePodSecurity(input);
  if (check.allowed !== expectAllowed) throw new Error(`unexpected verdict: ${check.message ?? "allowed"}`);
  let sink = 0;
  const warmEnd = performance.now() + 300;
  while (performance.now() < warmEnd)
    for (let i = 0; i < 200; i++) sink += evaluatePodSecurity(input).violations.length;
  let n = 0;
  const start = performance.now();
  const end = start + SECONDS * 1000;
  let now = start;
  while (now < end) {
    for (let i = 0; i < 500; i++) sink += evaluatePodSecurity(input).violations.length;
    n += 500;
    now = performance.now();
  }
  if (sink < 0) throw new Error("unreachable");
  return n / ((now - start) / 1000);
}

export function run(): { compliantPerSec: number; violatingPerSec: number } {
  const compliantPerSec = Math.round(
    rate({ level: "restricted", version: "latest", podMeta: meta, podSpec: spec }, true),
  );
  const violatingPerSec = Math.round(
    rate({ level: "restricted", version: "latest", podMeta: meta, podSpec: violating }, false),
  );
  return { compliantPerSec, violatingPerSec };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  process.stderr.write(
    `pod-security.bench: ${cpus()[0]?.model ?? "cpu"}, node ${process.version}, ${SECONDS}s per measurement, 1 core\n`,
  );
  const r = run();
  process.stdout.write(
    `restricted:latest, 2-container pod: ${r.compliantPerSec} pods/s compliant (target ≥ ${TARGET}) ${r.compliantPerSec >= TARGET ? "PASS" : "MISS"}; ` +
      `${r.violatingPerSec} pods/s with 4 violations\n`,
  );
}
