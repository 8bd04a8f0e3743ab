/**
 * Start-up to ready with 1,000 objects in the store: spawns the built CLI (`node dist/cli/main.js up`)
 * and polls /readyz until 200. Reports the first start (keys and certificates generated) and the
 * median of later starts, with the CPU time the server used until ready (from /proc, on Linux:
 * steadier than wall time on a busy machine). Target: < 1 s. Needs `npm run build` first.
 * Run: node --import tsx bench/startup.bench.ts
 */
import { spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { mkdtemp, rm, writeFile, mkdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { request } from "node:https";
import { freePort } from "../test/helpers/free-port.js";

const MAIN = fileURLToPath(new URL("../dist/cli/main.js", import.meta.url));
const OBJECTS = Number(process.env.BENCH_OBJECTS ?? 1000);
const RUNS = Number(process.env.BENCH_RUNS ?? 5);


function ready(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request({ host: "127.0.0.1", port, path: "/readyz", rejectUnauthorized: false, timeout: 500 }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on("error", () => resolve(false));
    req.on("timeout", () => req.destroy());
    req.end();
  });
}

async function writeObjects(dir: string, n: number): Promise<void> {
  const per = Math.ceil(n / 4);
  for (let f = 0; f < 4; f++) {
    const docs: string[] = [];
    for (let i = 0; i < per && f * per + i < n; i++) {
      const j = f * per + i;
      const ns = `team-${j % 50}`;
      switch (j % 4) {
        case 0: docs.push(`apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: sa-${j}\n  namespace: ${ns}\n  annotations:\n    eks.amazonaws.com/role-arn: arn:aws:iam::000000000000:role/r-${j}\n`); break;
        case 1: docs.push(`apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata:\n  name: role-${j}\n  namespace: ${ns}\nrules:\n- apiGroups: [""]\n  resources: [pods, services]\n  verbs: [get, list, watch]\n`); break;
        case 2: docs.push(`apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata:\n  name: rb-${j}\n  namespace: ${ns}\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: role-${j - 1}}\nsubjects:\n- {kind: ServiceAccount, name: sa-${j - 2}, namespace: ${ns}}\n`); break;
        default: docs.push(`apiVersion: kubeiam.io/v1alpha1\nkind: IAMRole\nmetadata:\n  name: r-${j}\nspec:\n  assumeRolePolicyDocument:\n    Version: "2012-10-17"\n    Statement:\n    - Effect: Allow\n      Principal: {Federated: arn:aws:iam::000000000000:oidc-provider/127.0.0.1:8443}\n      Action: sts:AssumeRoleWithWebIdentity\n`);
      }
    }
    await writeFile(join(dir, `objects-${f}.yaml`), docs.join("---\n"));
  }
}

/** user + system CPU time of a process so far, ms (Linux), or undefined. */
function cpuMs(pid: number | undefined): number | undefined {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // USER_HZ is 100 on Linux
  } catch {
    return undefined;
  }
}

async function startOnce(stateDir: string): Promise<{ wallMs: number; cpuMs: number | undefined }> {
  const port = await freePort();
  const t0 = performance.now();
  const p = spawn(process.execPath, [MAIN, "up", "--state-dir", stateDir, "--listen", `127.0.0.1:${port}`], { stdio: "ignore" });
  try {
    for (;;) {
      if (await ready(port)) return { wallMs: performance.now() - t0, cpuMs: cpuMs(p.pid) };
      if (performance.now() - t0 > 15_000) throw new Error("not ready after 15 s");
      await new Promise((r) => setTimeout(r, 5));
    }
  } finally {
    p.kill("SIGTERM");
    await new Promise((r) => p.on("close", r));
  }
}

export async function run(): Promise<{ objects: number; firstMs: number; medianMs: number; runs: number[]; medianCpuMs: number | undefined }> {
  if (!existsSync(MAIN)) throw new Error("run `npm run build` first");
  const stateDir = await mkdtemp(join(tmpdir(), "kubeiam-bench-startup-"));
  try {
    await mkdir(join(stateDir, "objects"), { recursive: true });
    await writeObjects(join(stateDir, "objects"), OBJECTS);
    const firstMs = (await startOnce(stateDir)).wallMs;
    const runs: number[] = [];
    const cpus: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const r = await startOnce(stateDir);
      runs.push(r.wallMs);
      if (r.cpuMs !== undefined) cpus.push(r.cpuMs);
    }
    const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    return { objects: OBJECTS, firstMs: Math.round(firstMs), medianMs: Math.round(median(runs)), runs: runs.map(Math.round), medianCpuMs: cpus.length === runs.length ? Math.round(median(cpus)) : undefined };
  } finally {
    await rm(stateDir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const r = await run();
  const cpu = r.medianCpuMs === undefined ? "" : `; CPU to ready median ${r.medianCpuMs} ms`;
  process.stdout.write(`startup with ${r.objects} objects: first start (keys + certificates generated) ${r.firstMs} ms; later starts median ${r.medianMs} ms (${r.runs.join(", ")})${cpu} (target < 1000 ms) ${r.medianMs < 1000 ? "PASS" : "MISS"}\n`);
}
