/**
 * "autocannon vs baseline": loads an HTTPS endpoint with autocannon, then loads a plain node:https
 * server (same certificate and key, keep-alive) that answers every request with a fixed body of the
 * size the endpoint answers, and reports both rates and their ratio. The baseline is the cost of TLS,
 * HTTP parsing and the network stack alone, so the ratio says how much the endpoint's own work costs.
 *
 * autocannon runs in a child process, so the load generator and the servers (in this process) each
 * get a core. Everything listens on 127.0.0.1 and every run is bounded in time.
 */
import { createServer, request as httpsRequest, type Server } from "node:https";
import type { AddressInfo } from "node:net";
import { createRequire } from "node:module";
import { spawnSync } from "node:child_process";
import { Session } from "node:inspector/promises";
import { writeFile } from "node:fs/promises";
import { readdirSync, readFileSync } from "node:fs";
import { runJsonChild } from "./json-child.js";
import { formatPerfDiff, perfAvailable, perfRecord } from "./perf-profile.js";
import { Http1Server } from "../../src/server/http1/server.js";

export interface BaselineOptions {
  readonly name: string;
  /** https://127.0.0.1:PORT/path of the endpoint under test. */
  readonly url: string;
  /** CA that signed the endpoint's certificate (PEM). */
  readonly ca: string;
  /** The endpoint's certificate and key (PEM): the baseline server serves the same ones. */
  readonly cert: string;
  readonly key: string;
  readonly method?: string;
  readonly headers?: Readonly<Record<string, string>>;
  /** One request body, or several sent in turn. */
  readonly body?: string;
  readonly bodies?: readonly string[];
  readonly connections?: number;
  /** Seconds per measured run (at most 10; default 5). */
  readonly durationSec?: number;
  /**
   * Seconds of warm-up of each side before measuring (default 3): V8 needs a few thousand requests to
   * optimise a route's code, and a server's figure that counts is its steady state.
   */
  readonly warmupSec?: number;
  /** The measured time is split into this many alternating endpoint/baseline rounds (default 3). */
  readonly rounds?: number;
  /**
   * Also load a third plain server that `JSON.parse`s each request body before answering the same
   * fixed body: the floor no JSON endpoint in Node can get under, reported as its own ratio.
   */
  readonly jsonFloor?: boolean;
}

export interface LoadFigures {
  readonly rps: number;
  /**
   * CPU time this process (the server under load; autocannon runs elsewhere) spent per completed
   * request, µs. Steadier than rps on a busy machine.
   */
  readonly cpuUsPerRequest: number;
  /** Latency percentiles, ms. */
  readonly p50: number;
  readonly p99: number;
  readonly requests: number;
  readonly non2xx: number;
  readonly errors: number;
}

export interface BaselineResult extends LoadFigures {
  readonly name: string;
  readonly baselineRps: number;
  readonly baselineP50: number;
  readonly baselineP99: number;
  /** rps / baselineRps. */
  readonly ratio: number;
  /** baseline CPU per request / endpoint CPU per request: the rate ratio when CPU-bound on an idle machine. */
  readonly cpuRatio: number;
  /** Mean size of the endpoint's response bodies, which the baseline answers with. */
  readonly responseBytes: number;
  readonly connections: number;
  readonly durationSec: number;
  readonly rounds: number;
  readonly baseline: LoadFigures;
  /** With `jsonFloor`: the plain server that parses each body, and its rate over the baseline's. */
  readonly jsonFloor?: LoadFigures & { readonly ratio: number };
  /**
   * With `jsonFloor`: kubeiam's own HTTP server (src/server/http1, ADR 0008) answering the fixed body
   * after `JSON.parse`ing each request, its rate over the baseline's, and the endpoint's rate over
   * its own: what the route's work costs on kubeiam's HTTP layer.
   */
  readonly layerFloor?: LoadFigures & { readonly ratio: number; readonly endpointRatio: number };
  /**
   * The endpoint's rate over the baseline's in each pair of adjacent rounds: on a machine whose speed
   * drifts, their spread shows how far one figure can be trusted.
   */
  readonly roundRatios: readonly number[];
  /** With KUBEIAM_BENCH_PERF: where the endpoint spends CPU per request that the baseline does not (bench/lib/perf-profile.ts). */
  readonly perf?: string;
}

const MAX_DURATION_SEC = 10;
const PIN = process.env.KUBEIAM_BENCH_PIN === "1";
if (PIN) spawnSync("taskset", ["-a", "-pc", "0", String(process.pid)]);
const AUTOCANNON = createRequire(import.meta.url).resolve("autocannon");

/**
 * Runs autocannon in a child process (autocannon only aggregates its results on a main thread); the
 * options arrive on stdin, the figures leave as one JSON line on stdout. Plain CommonJS.
 */
const RUNNER_SOURCE = `
let input = "";
process.stdin.on("data", (c) => (input += c));
process.stdin.on("end", () => {
  const { autocannon: path, opts } = JSON.parse(input);
  require(path)(opts).then(
    (r) => process.stdout.write(JSON.stringify({ ok: true, r: { rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, requests: r.requests.total, non2xx: r.non2xx, errors: r.errors + r.timeouts } }) + "\\n"),
    (e) => process.stdout.write(JSON.stringify({ ok: false, error: String((e && e.stack) || e) }) + "\\n"),
  );
});
`;

interface Load {
  url: string;
  ca: string;
  method: string;
  headers: Record<string, string>;
  bodies: readonly string[];
  connections: number;
  durationSec: number;
}

type AutocannonFigures = Omit<LoadFigures, "cpuUsPerRequest">;

/** Runs a load and measures this process's CPU time meanwhile. */
function threadTicks(): number[] {
  const out: number[] = [];
  for (const t of readdirSync("/proc/self/task")) {
    try {
      const st = readFileSync(`/proc/self/task/${t}/stat`, "utf8").split(") ")[1]!.split(" ");
      out[t === String(process.pid) ? 0 : out.length || 1] = Number(st[11]) + Number(st[12]);
    } catch {
      /* thread gone */
    }
  }
  return out;
}

async function measure(l: Load): Promise<LoadFigures> {
  const t0 = process.env.KUBEIAM_BENCH_DEBUG ? threadTicks() : [];
  const before = process.cpuUsage();
  const r = await runAutocannon(l);
  const used = process.cpuUsage(before);
  if (process.env.KUBEIAM_BENCH_DEBUG) {
    const t1 = threadTicks();
    const main = ((t1[0]! - t0[0]!) * 1e4) / r.requests;
    const other = ((t1.reduce((a, b) => a + b, 0) - t0.reduce((a, b) => a + b, 0)) * 1e4) / r.requests - main;
    process.stderr.write(
      `${l.url}: user ${(used.user / r.requests).toFixed(0)} µs, sys ${(used.system / r.requests).toFixed(0)} µs per request; main thread ${main.toFixed(0)} µs, other threads ${other.toFixed(0)} µs\n`,
    );
  }
  return { ...r, cpuUsPerRequest: r.requests > 0 ? (used.user + used.system) / r.requests : 0 };
}

async function runAutocannon(l: Load): Promise<AutocannonFigures> {
  const opts = {
    url: l.url,
    connections: l.connections,
    pipelining: 1,
    duration: l.durationSec,
    timeout: 10,
    tlsOptions: { ca: l.ca },
    requests: l.bodies.map((body) => ({ method: l.method, headers: l.headers, body })),
  };
  const node = [process.execPath, "-e", RUNNER_SOURCE];
  const [command, ...args] = PIN ? ["taskset", "-c", "1", ...node] : node;
  const m = (await runJsonChild(
    command!,
    args,
    { autocannon: AUTOCANNON, opts },
    (l.durationSec + 20) * 1000,
    "autocannon",
  )) as { ok: true; r: AutocannonFigures } | { ok: false; error: string };
  if (!m.ok) throw new Error(m.error);
  return m.r;
}

/** One request with node:https; resolves with the status and body. */
export function httpsCall(
  url: string,
  ca: string,
  method: string,
  headers: Readonly<Record<string, string>>,
  body: string | undefined,
): Promise<{ status: number; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      url,
      {
        method,
        headers: {
          ...headers,
          ...(body === undefined ? {} : { "content-length": String(Buffer.byteLength(body)) }),
        },
        ca,
        timeout: 10_000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
        res.on("error", reject);
      },
    );
    req.on("timeout", () => req.destroy(new Error(`${url}: no answer within 10 s`)));
    req.on("error", reject);
    req.end(body);
  });
}

/**
 * A keep-alive HTTPS server on 127.0.0.1 answering every request (after reading its body) with
 * `body`; with `parseJson`, it first `JSON.parse`s the request body (the JSON floor).
 */
export async function startBaselineServer(
  cert: string,
  key: string,
  body: Buffer,
  parseJson = false,
): Promise<{ server: Server; url: string }> {
  let parsed = 0;
  const server = createServer({ cert, key, keepAlive: true }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => (parseJson ? chunks.push(c) : undefined));
    req.on("end", () => {
      if (parseJson) parsed += Object.keys(JSON.parse(Buffer.concat(chunks).toString()) as object).length;
      res.writeHead(200, { "content-type": "application/json", "content-length": body.length });
      res.end(body);
    });
  });
  server.on("close", () => {
    if (parseJson && parsed === 0) process.stderr.write("json floor server parsed nothing\n");
  });
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return { server, url: `https://127.0.0.1:${port}/` };
}

/**
 * kubeiam's own HTTP/1.1 server on 127.0.0.1 (same certificate and key) that `JSON.parse`s each
 * request body and answers `body`: the endpoint minus its route's work.
 */
export async function startLayerServer(cert: string, key: string, body: Buffer): Promise<{ server: Http1Server<undefined>; url: string }> {
  let parsed = 0;
  const server = new Http1Server({
    cert,
    key,
    route: () => undefined,
    bodyLimit: () => 1 << 20,
    handle: (req, res) => {
      parsed += Object.keys(JSON.parse(req.body.toString("utf8")) as object).length;
      res.writeHead(200, { "content-type": "application/json", "content-length": body.length });
      res.end(body);
    },
  });
  server.tls.on("close", () => {
    if (parsed === 0) process.stderr.write("layer floor server parsed nothing\n");
  });
  await new Promise<void>((resolve, reject) => {
    server.tls.once("error", reject);
    server.tls.listen(0, "127.0.0.1", () => resolve());
  });
  const { port } = server.tls.address() as AddressInfo;
  return { server, url: `https://127.0.0.1:${port}/` };
}

/**
 * What the JSON webhook benchmarks share: POSTs of JSON bodies to `path` on a running kubeiam app,
 * trusting its CA, the baseline serving its certificate and key, and the JSON floor beside it.
 */
export function jsonWebhookLoad(
  app: {
    readonly tls: { readonly ca: string | undefined; readonly cert: string; readonly key: string };
    readonly listener?: { readonly url: string } | undefined;
  },
  path: string,
): Pick<BaselineOptions, "url" | "ca" | "cert" | "key" | "method" | "headers" | "jsonFloor"> {
  if (!app.listener) throw new Error("jsonWebhookLoad: the app is not listening");
  return {
    url: app.listener.url + path,
    ca: app.tls.ca ?? app.tls.cert,
    cert: app.tls.cert,
    key: app.tls.key,
    method: "POST",
    headers: { "content-type": "application/json" },
    jsonFloor: true,
  };
}

/** Loads the endpoint, then the baseline, with the same connections, duration and requests. */
export async function runWithBaseline(o: BaselineOptions): Promise<BaselineResult> {
  const bodies = o.bodies ?? (o.body === undefined ? [""] : [o.body]);
  if (bodies.length === 0) throw new Error("runWithBaseline: give body or bodies");
  const method = o.method ?? "POST";
  const headers = { ...o.headers };
  const connections = o.connections ?? 50;
  const durationSec = Math.min(o.durationSec ?? 5, MAX_DURATION_SEC);
  const warmupSec = Math.min(o.warmupSec ?? 3, MAX_DURATION_SEC);
  const rounds = Math.max(1, Math.min(o.rounds ?? 3, durationSec));

  // The baseline answers with as many bytes as the endpoint does on average.
  let total = 0;
  const sample = bodies.slice(0, 20);
  for (const b of sample) {
    const r = await httpsCall(o.url, o.ca, method, headers, method === "GET" ? undefined : b);
    if (r.status < 200 || r.status > 299)
      throw new Error(`${o.name}: the endpoint answered ${r.status}: ${r.body.toString().slice(0, 300)}`);
    total += r.body.length;
  }
  const responseBytes = Math.round(total / sample.length);
  const fixed = Buffer.alloc(responseBytes, "x");

  const load = (url: string, d: number): Promise<LoadFigures> =>
    measure({ url, ca: o.ca, method, headers, bodies, connections, durationSec: d });
  const base = await startBaselineServer(o.cert, o.key, fixed);
  const floor = o.jsonFloor ? await startBaselineServer(o.cert, o.key, fixed, true) : undefined;
  const layer = o.jsonFloor ? await startLayerServer(o.cert, o.key, fixed) : undefined;
  const targetRuns: LoadFigures[] = [];
  const baselineRuns: LoadFigures[] = [];
  const floorRuns: LoadFigures[] = [];
  const layerRuns: LoadFigures[] = [];
  let perfText: string | undefined;
  try {
    if (warmupSec > 0) {
      await load(o.url, warmupSec);
      await load(base.url, warmupSec);
      if (floor) await load(floor.url, warmupSec);
      if (layer) await load(layer.url, warmupSec);
    }
    // Alternate endpoint and baseline in short rounds, so a change in the machine's load (other
    // processes) affects both sides alike.
    const slice = durationSec / rounds;
    for (let i = 0; i < rounds; i++) {
      targetRuns.push(await load(o.url, slice));
      baselineRuns.push(await load(base.url, slice));
      if (floor) floorRuns.push(await load(floor.url, slice));
      if (layer) layerRuns.push(await load(layer.url, slice));
    }
    if (process.env.KUBEIAM_BENCH_PROFILE) {
      await profileLoad(process.env.KUBEIAM_BENCH_PROFILE, o.name, () => load(o.url, slice));
      await profileLoad(process.env.KUBEIAM_BENCH_PROFILE, `${o.name} baseline`, () => load(base.url, slice));
    }
    const perfDir = process.env.KUBEIAM_BENCH_PERF;
    if (perfDir && perfAvailable()) {
      const e = await perfRecord(outFile(perfDir, o.name, ".perf.data"), async () => (await load(o.url, slice)).requests);
      const b = await perfRecord(outFile(perfDir, `${o.name} baseline`, ".perf.data"), async () => (await load(base.url, slice)).requests);
      perfText = formatPerfDiff(e, b);
    }
  } finally {
    for (const side of floor ? [base, floor] : [base]) {
      side.server.closeAllConnections();
      await new Promise<void>((resolve) => side.server.close(() => resolve()));
    }
    await layer?.server.close(0);
  }
  const target = combine(targetRuns, durationSec);
  const baseline = combine(baselineRuns, durationSec);
  const roundRatios = targetRuns.map((t, i) => (baselineRuns[i]!.rps > 0 ? t.rps / baselineRuns[i]!.rps : 0));
  const jsonFloor = floor ? combine(floorRuns, durationSec) : undefined;
  const layerFloor = layer ? combine(layerRuns, durationSec) : undefined;
  return {
    name: o.name,
    ...target,
    baselineRps: baseline.rps,
    baselineP50: baseline.p50,
    baselineP99: baseline.p99,
    ratio: baseline.rps > 0 ? target.rps / baseline.rps : 0,
    cpuRatio: target.cpuUsPerRequest > 0 ? baseline.cpuUsPerRequest / target.cpuUsPerRequest : 0,
    responseBytes,
    connections,
    durationSec,
    rounds,
    baseline,
    roundRatios,
    ...(perfText ? { perf: perfText } : {}),
    ...(jsonFloor
      ? { jsonFloor: { ...jsonFloor, ratio: baseline.rps > 0 ? jsonFloor.rps / baseline.rps : 0 } }
      : {}),
    ...(layerFloor
      ? {
          layerFloor: {
            ...layerFloor,
            ratio: baseline.rps > 0 ? layerFloor.rps / baseline.rps : 0,
            endpointRatio: layerFloor.rps > 0 ? target.rps / layerFloor.rps : 0,
          },
        }
      : {}),
  };
}

/** DIR/<name with anything but letters, digits, ".", "_" and "-" as "_"><ext>. */
function outFile(dir: string, name: string, ext: string): string {
  return `${dir}/${name.replace(/[^A-Za-z0-9._-]+/g, "_")}${ext}`;
}

/**
 * With KUBEIAM_BENCH_PROFILE=DIR, one more endpoint round and one more baseline round run under the
 * V8 CPU profiler; the profiles are written to DIR/<name>.cpuprofile and DIR/<name>_baseline.cpuprofile
 * (open them in Chrome DevTools or speedscope).
 */
async function profileLoad(dir: string, name: string, run: () => Promise<unknown>): Promise<void> {
  const session = new Session();
  session.connect();
  try {
    await session.post("Profiler.enable");
    await session.post("Profiler.setSamplingInterval", { interval: 200 });
    await session.post("Profiler.start");
    await run();
    const { profile } = await session.post("Profiler.stop");
    const file = outFile(dir, name, ".cpuprofile");
    await writeFile(file, JSON.stringify(profile));
    process.stderr.write(`profile of one endpoint round written to ${file}\n`);
  } finally {
    session.disconnect();
  }
}

/** Rounds of one side as one run: total requests over total time, p50 averaged per request, p99 the worst round's. */
function combine(runs: readonly LoadFigures[], durationSec: number): LoadFigures {
  const requests = runs.reduce((n, r) => n + r.requests, 0);
  const weighted = (f: (r: LoadFigures) => number): number =>
    requests === 0 ? 0 : runs.reduce((n, r) => n + f(r) * r.requests, 0) / requests;
  return {
    rps: requests / durationSec,
    cpuUsPerRequest: weighted((r) => r.cpuUsPerRequest),
    p50: Math.round(weighted((r) => r.p50) * 10) / 10,
    p99: Math.max(...runs.map((r) => r.p99)),
    requests,
    non2xx: runs.reduce((n, r) => n + r.non2xx, 0),
    errors: runs.reduce((n, r) => n + r.errors, 0),
  };
}

/** A short human report of a result. */
export function formatBaseline(r: BaselineResult): string {
  const pct = (r.ratio * 100).toFixed(1);
  return [
    `${r.name}: ${r.connections} connections, ${r.durationSec} s per side in ${r.rounds} alternating rounds, ${r.responseBytes}-byte responses`,
    `  endpoint: ${r.rps.toFixed(0)} req/s  p50 ${r.p50} ms  p99 ${r.p99} ms  ${r.cpuUsPerRequest.toFixed(0)} µs CPU/req  (${r.requests} requests, ${r.non2xx} non-2xx, ${r.errors} errors)`,
    `  baseline: ${r.baselineRps.toFixed(0)} req/s  p50 ${r.baselineP50} ms  p99 ${r.baselineP99} ms  ${r.baseline.cpuUsPerRequest.toFixed(0)} µs CPU/req  (plain node:https, same cert/key, fixed body)`,
    `  ratio:    ${pct}% of baseline rate; ${(r.cpuRatio * 100).toFixed(1)}% by CPU per request; rounds ${r.roundRatios.map((x) => `${(x * 100).toFixed(0)}%`).join(" ")}`,
    ...(r.jsonFloor
      ? [
          `  floor:    a plain node:https server that only JSON.parses each body: ${r.jsonFloor.rps.toFixed(0)} req/s = ${(r.jsonFloor.ratio * 100).toFixed(1)}% of baseline  p50 ${r.jsonFloor.p50} ms  p99 ${r.jsonFloor.p99} ms`,
        ]
      : []),
    ...(r.layerFloor
      ? [
          `  layer:    kubeiam's HTTP server (ADR 0008) that only JSON.parses each body: ${r.layerFloor.rps.toFixed(0)} req/s = ${(r.layerFloor.ratio * 100).toFixed(1)}% of baseline; the endpoint is ${(r.layerFloor.endpointRatio * 100).toFixed(1)}% of it`,
        ]
      : []),
    ...(r.perf ? [r.perf] : []),
  ].join("\n");
}
