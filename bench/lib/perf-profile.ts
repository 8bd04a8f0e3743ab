/**
 * With KUBEIAM_BENCH_PERF=DIR (and `perf` installed), one more endpoint round and one more baseline
 * round run under `perf record` (software cpu-clock, so it works in a VM without hardware counters),
 * and the benchmark prints where the endpoint spends CPU per request that the baseline does not:
 * each symbol's µs per request on both sides, sorted by the difference. Native frames (OpenSSL,
 * V8's runtime and garbage collector, the kernel's TCP path) are named too, which V8's own profiler
 * lumps together as "(program)"; run node with `--perf-basic-prof` to also name JavaScript functions.
 *
 *   KUBEIAM_BENCH_PERF=/tmp/perf node --perf-basic-prof --import tsx bench/sar.bench.ts
 */
import { spawn, spawnSync } from "node:child_process";

export interface PerfSide {
  /** Completed requests during the recording. */
  readonly requests: number;
  /** CPU time recorded over all threads of this process, ns. */
  readonly cpuNs: number;
  /** µs of CPU per request, by "dso symbol". */
  readonly bySymbol: ReadonlyMap<string, number>;
}

const PERF_HZ = 4000;

/** Whether `perf` can record this process here; explains on stderr when not. */
export function perfAvailable(): boolean {
  const r = spawnSync("perf", ["--version"], { encoding: "utf8" });
  if (r.status === 0) return true;
  process.stderr.write("KUBEIAM_BENCH_PERF is set but `perf` is not installed (apt-get install linux-perf); skipping\n");
  return false;
}

/** Records this process with perf while `run` runs; `run` resolves with the number of requests it completed. */
export async function perfRecord(file: string, run: () => Promise<number>): Promise<PerfSide> {
  const rec = spawn("perf", ["record", "--no-inherit", "-e", "cpu-clock", "-F", String(PERF_HZ), "-p", String(process.pid), "-o", file], {
    stdio: ["ignore", "ignore", "pipe"],
  });
  let err = "";
  rec.stderr.on("data", (c: Buffer) => (err += c.toString()));
  // Listened for from the start: perf may fail (no permission) and exit while the load runs.
  const exited = new Promise<number | null>((resolve) => {
    rec.once("exit", resolve);
    rec.once("error", (e) => {
      err += e.message;
      resolve(null);
    });
  });
  await new Promise((r) => setTimeout(r, 300)); // perf attaches to every thread
  const requests = await run();
  rec.kill("SIGINT");
  if ((await exited) !== 0 && !err.includes("Captured")) throw new Error(`perf record failed: ${err.trim()}`);
  return summarize(file, requests);
}

function summarize(file: string, requests: number): PerfSide {
  const r = spawnSync("perf", ["report", "-i", file, "--no-children", "--sort", "dso,sym", "-g", "none", "--stdio"], {
    encoding: "utf8",
    maxBuffer: 64 << 20,
  });
  if (r.status !== 0) throw new Error(`perf report failed: ${r.stderr.trim()}`);
  return parsePerfReport(r.stdout, requests);
}

/** `perf report --no-children --sort dso,sym -g none --stdio` of a cpu-clock recording, per request. */
export function parsePerfReport(report: string, requests: number): PerfSide {
  // The cpu-clock event counts nanoseconds; the "Samples: 3K" line is rounded.
  const events = /# Event count \(approx\.\): (\d+)/.exec(report);
  if (!events) throw new Error("perf report: no event count (was the recording empty?)");
  const cpuNs = Number(events[1]);
  const usPerPercent = requests > 0 ? cpuNs / 1e3 / requests / 100 : 0;
  const bySymbol = new Map<string, number>();
  for (const line of report.split("\n")) {
    // "  1.34%  [JIT] tid 3055       [.] JS:*dispatch file:///…/src/server/https-server.ts:1:1644"
    const m = /^\s*([\d.]+)%\s+(.+?)\s+\[[.k]\]\s+(.*)$/.exec(line);
    if (!m) continue;
    // JIT frames carry their tier and position; group by function and file.
    const sym = m[3]!.trim().replace(/:\d+:\d+$/, "").replace(/file:\/\/\/\S*?\/(src|bench|node_modules)\//, "$1/");
    const key = `${m[2]!.startsWith("[JIT]") ? "[JIT]" : m[2]!} ${sym}`;
    bySymbol.set(key, (bySymbol.get(key) ?? 0) + Number(m[1]) * usPerPercent);
  }
  return { requests, cpuNs, bySymbol };
}

/** The symbols costing the endpoint the most more than the baseline, µs per request. */
export function formatPerfDiff(endpoint: PerfSide, baseline: PerfSide, top = 40): string {
  const total = (s: PerfSide): number => (s.requests > 0 ? s.cpuNs / 1e3 / s.requests : 0);
  const keys = new Set([...endpoint.bySymbol.keys(), ...baseline.bySymbol.keys()]);
  const rows = [...keys]
    .map((k) => ({ k, e: endpoint.bySymbol.get(k) ?? 0, b: baseline.bySymbol.get(k) ?? 0 }))
    .sort((x, y) => y.e - y.b - (x.e - x.b))
    .slice(0, top);
  return [
    `  perf: endpoint ${total(endpoint).toFixed(0)} µs CPU/request (${endpoint.requests} requests), baseline ${total(baseline).toFixed(0)} µs (${baseline.requests}); the largest differences, µs per request:`,
    "     diff  endpoint  baseline  symbol",
    ...rows.map((r) => `  ${(r.e - r.b).toFixed(2).padStart(7)}  ${r.e.toFixed(2).padStart(8)}  ${r.b.toFixed(2).padStart(8)}  ${r.k.slice(0, 120)}`),
  ].join("\n");
}
