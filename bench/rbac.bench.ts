/**
 * RBAC decision throughput, in process, on one core (the main thread): the bootstrap policy plus
 * 2,000 roles (1,000 ClusterRoles, 1,000 Roles in 50 namespaces) and 10,000 bindings (3,000
 * ClusterRoleBindings, 7,000 RoleBindings) over 5,000 users, 500 groups and 500 service accounts,
 * generated from a fixed seed. Measures the indexed authorizer and the naive scan-every-binding
 * authorizer on the same pre-generated requests (about a third allowed), plus the index load time.
 * Bounded: BENCH_SECONDS per measurement (default 3, capped at 4), whole run under 20 s.
 * Target: ≥ 200,000 decisions/s indexed.
 * Run: node --import tsx bench/rbac.bench.ts
 */
import { cpus, loadavg } from "node:os";
import { authorize } from "../src/rbac/authorize.js";
import { bootstrapPolicy } from "../src/rbac/bootstrap/policy.js";
import { createNaiveAuthorizer } from "../src/rbac/naive-authorizer.js";
import { RbacIndex } from "../src/rbac/rbac-index.js";
import type { Attributes } from "../src/rbac/types.js";
import type { KubeObject } from "../src/store/types.js";

const SECONDS = Math.min(Number(process.env.BENCH_SECONDS ?? 3), 4);
const TARGET = 200_000;
const RBAC = "rbac.authorization.k8s.io/v1";

/** mulberry32: a small deterministic PRNG so every run measures the same store. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const RESOURCES: [string, string][] = [
  ["", "pods"],
  ["", "pods/log"],
  ["", "pods/exec"],
  ["", "services"],
  ["", "configmaps"],
  ["", "secrets"],
  ["", "serviceaccounts"],
  ["", "persistentvolumeclaims"],
  ["", "events"],
  ["", "endpoints"],
  ["apps", "deployments"],
  ["apps", "deployments/scale"],
  ["apps", "statefulsets"],
  ["apps", "daemonsets"],
  ["apps", "replicasets"],
  ["batch", "jobs"],
  ["batch", "cronjobs"],
  ["networking.k8s.io", "ingresses"],
  ["networking.k8s.io", "networkpolicies"],
  ["policy", "poddisruptionbudgets"],
  ["autoscaling", "horizontalpodautoscalers"],
  ["coordination.k8s.io", "leases"],
];
const VERB_SETS = [
  ["get"],
  ["get", "list", "watch"],
  ["get", "list", "watch", "create", "update", "patch", "delete"],
  ["create"],
  ["update", "patch"],
  ["delete"],
  ["*"],
];
const REQUEST_VERBS = ["get", "list", "watch", "create", "update", "patch", "delete"];

export interface BenchStore {
  objects: KubeObject[];
  requests: Attributes[];
}

export function generate(seed = 1): BenchStore {
  const rnd = prng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const namespaces = Array.from({ length: 50 }, (_, i) => `ns-${i}`);
  const objects: KubeObject[] = [...bootstrapPolicy()];
  const rules = () =>
    Array.from({ length: 3 + Math.floor(rnd() * 6) }, () => {
      const byGroup = new Map<string, string[]>();
      for (let i = 0; i < 1 + Math.floor(rnd() * 3); i++) {
        const [g, r] = pick(RESOURCES);
        byGroup.set(g, [...(byGroup.get(g) ?? []), r]);
      }
      const [g, rs] = [...byGroup.entries()][0]!;
      const rule: Record<string, string[]> = {
        verbs: pick(VERB_SETS),
        apiGroups: [g],
        resources: [...new Set(rs)],
      };
      if (rnd() < 0.1) rule.resourceNames = [`obj-${Math.floor(rnd() * 20)}`];
      return rule;
    });
  for (let i = 0; i < 1000; i++)
    objects.push({ apiVersion: RBAC, kind: "ClusterRole", metadata: { name: `cr-${i}` }, rules: rules() });
  for (let i = 0; i < 1000; i++)
    objects.push({
      apiVersion: RBAC,
      kind: "Role",
      metadata: { name: `role-${i % 20}`, namespace: namespaces[Math.floor(i / 20)]! },
      rules: rules(),
    });
  const subject = (ns: string | undefined) => {
    const x = rnd();
    if (x < 0.5)
      return {
        kind: "User",
        apiGroup: "rbac.authorization.k8s.io",
        name: `user-${Math.floor(rnd() * 5000)}`,
      };
    if (x < 0.8)
      return {
        kind: "Group",
        apiGroup: "rbac.authorization.k8s.io",
        name: `group-${Math.floor(rnd() * 500)}`,
      };
    return {
      kind: "ServiceAccount",
      name: `sa-${Math.floor(rnd() * 10)}`,
      namespace: ns ?? pick(namespaces),
    };
  };
  const subjects = (ns?: string) => Array.from({ length: 1 + Math.floor(rnd() * 3) }, () => subject(ns));
  for (let i = 0; i < 3000; i++) {
    objects.push({
      apiVersion: RBAC,
      kind: "ClusterRoleBinding",
      metadata: { name: `crb-${i}` },
      roleRef: {
        apiGroup: "rbac.authorization.k8s.io",
        kind: "ClusterRole",
        name: `cr-${Math.floor(rnd() * 1000)}`,
      },
      subjects: subjects(),
    });
  }
  for (let i = 0; i < 7000; i++) {
    const ns = pick(namespaces);
    const toRole = rnd() < 0.5;
    objects.push({
      apiVersion: RBAC,
      kind: "RoleBinding",
      metadata: { name: `rb-${i}`, namespace: ns },
      roleRef: {
        apiGroup: "rbac.authorization.k8s.io",
        kind: toRole ? "Role" : "ClusterRole",
        name: toRole ? `role-${Math.floor(rnd() * 20)}` : `cr-${Math.floor(rnd() * 1000)}`,
      },
      subjects: subjects(ns),
    });
  }
  const requests: Attributes[] = [];
  for (let i = 0; i < 20_000; i++) {
    const sa = rnd() < 0.2;
    const ns = pick(namespaces);
    const user = sa
      ? {
          name: `system:serviceaccount:${ns}:sa-${Math.floor(rnd() * 10)}`,
          groups: ["system:serviceaccounts", `system:serviceaccounts:${ns}`, "system:authenticated"],
        }
      : {
          name: `user-${Math.floor(rnd() * 5000)}`,
          groups: [
            ...Array.from({ length: 1 + Math.floor(rnd() * 3) }, () => `group-${Math.floor(rnd() * 500)}`),
            "system:authenticated",
          ],
        };
    if (rnd() < 0.05) {
      requests.push({
        user,
        verb: "get",
        resourceRequest: false,
        path: pick(["/healthz", "/apis/apps/v1", "/metrics"]),
      });
      continue;
    }
    const [g, res] = pick(RESOURCES);
    const [resource, subresource = ""] = res.split("/") as [string, string?];
    requests.push({
      user,
      verb: pick(REQUEST_VERBS),
      resourceRequest: true,
      apiGroup: g,
      resource,
      subresource,
      namespace: rnd() < 0.9 ? ns : "",
      name: rnd() < 0.5 ? `obj-${Math.floor(rnd() * 20)}` : "",
    });
  }
  return { objects, requests };
}

/**
 * Decisions per second of wall time and per second of this thread's CPU time (the figure that
 * holds on a shared, loaded machine: other processes take wall time, not our CPU time).
 */
function rate(
  decide: (a: Attributes) => boolean,
  requests: Attributes[],
  seconds: number,
): { perSec: number; perCpuSec: number; allowed: number } {
  // warm-up
  for (let i = 0; i < Math.min(5000, requests.length); i++) decide(requests[i]!);
  let n = 0;
  let allowed = 0;
  const cpu0 = process.cpuUsage();
  const start = performance.now();
  const end = start + seconds * 1000;
  let now = start;
  while (now < end) {
    for (let i = 0; i < 100; i++) {
      if (decide(requests[(n + i) % requests.length]!)) allowed++;
    }
    n += 100;
    now = performance.now();
  }
  const cpu = process.cpuUsage(cpu0);
  return {
    perSec: n / ((now - start) / 1000),
    perCpuSec: n / ((cpu.user + cpu.system) / 1e6),
    allowed: allowed / n,
  };
}

export interface RbacBenchResult {
  loadMs: number;
  bindings: number;
  roles: number;
  /** Decisions per second of wall time. */
  indexedPerSec: number;
  naivePerSec: number;
  /** Decisions per second of CPU time of the benchmark thread. */
  indexedPerCpuSec: number;
  naivePerCpuSec: number;
  allowedShare: number;
  speedup: number;
  loadAverage: number;
}

export function run(): RbacBenchResult {
  const { objects, requests } = generate(1);
  const t0 = performance.now();
  const idx = new RbacIndex();
  for (const o of objects) idx.apply({ type: "ADDED", object: o });
  const loadMs = performance.now() - t0;
  const stats = idx.stats();
  const naive = createNaiveAuthorizer(objects);
  const indexed = rate((a) => authorize(idx, a).decision === "allow", requests, SECONDS);
  const slow = rate((a) => naive.authorize(a).decision === "allow", requests, Math.min(SECONDS, 2));
  return {
    loadMs: Math.round(loadMs),
    bindings: stats.clusterRoleBindings + stats.roleBindings,
    roles: stats.clusterRoles + stats.roles,
    indexedPerSec: Math.round(indexed.perSec),
    naivePerSec: Math.round(slow.perSec),
    indexedPerCpuSec: Math.round(indexed.perCpuSec),
    naivePerCpuSec: Math.round(slow.perCpuSec),
    allowedShare: Number(indexed.allowed.toFixed(3)),
    speedup: Math.round(indexed.perCpuSec / slow.perCpuSec),
    loadAverage: Number(loadavg()[0]!.toFixed(1)),
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  process.stderr.write(
    `rbac.bench: ${cpus()[0]?.model ?? "cpu"}, node ${process.version}, ${SECONDS}s per measurement, 1 core\n`,
  );
  const r = run();
  process.stdout.write(
    `${r.bindings} bindings, ${r.roles} roles (index load ${r.loadMs} ms), ${(r.allowedShare * 100).toFixed(1)}% allowed, load average ${r.loadAverage}:\n` +
      `  indexed ${r.indexedPerCpuSec} decisions/CPU-s (${r.indexedPerSec}/s wall) — target ≥ ${TARGET}: ${r.indexedPerCpuSec >= TARGET ? "PASS" : "MISS"}\n` +
      `  naive   ${r.naivePerCpuSec} decisions/CPU-s (${r.naivePerSec}/s wall); indexed ×${r.speedup}\n`,
  );
}
