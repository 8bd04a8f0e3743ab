/**
 * Serving the issuer: GET /.well-known/openid-configuration and GET /openid/v1/jwks over HTTPS on
 * loopback (autocannon, 50 connections, bounded) against a plain node:https baseline with the same
 * certificate and a fixed body of the same size. Target: ≥ 70% of the baseline for both.
 *
 *   node --import tsx bench/issuer.bench.ts [--duration 5] [--connections 50] [--json]
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { resolveConfig } from "../src/config/resolve.js";
import { systemClock } from "../src/lib/clock.js";
import { createLogger } from "../src/lib/logger.js";
import { startApp } from "../src/server/app.js";
import { freePort } from "../test/helpers/free-port.js";
import { formatBaseline, runWithBaseline, type BaselineResult } from "./lib/baseline.js";

const TARGET = 0.7;
const { values: args } = parseArgs({ options: { duration: { type: "string", default: "5" }, connections: { type: "string", default: "50" }, json: { type: "boolean", default: false } } });


const stateDir = await mkdtemp(join(tmpdir(), "kubeiam-bench-issuer-"));
const port = await freePort();
const config = resolveConfig({ listen: `127.0.0.1:${port}`, log: { level: "warn" } }, undefined, { stateDir });
const app = await startApp(config, { clock: systemClock, logger: createLogger("warn") });
const results: BaselineResult[] = [];
try {
  for (const [name, path] of [["discovery", "/.well-known/openid-configuration"], ["jwks", "/openid/v1/jwks"]] as const) {
    const r = await runWithBaseline({ name, url: `${app.listener!.url}${path}`, ca: app.tls.ca!, cert: app.tls.cert, key: app.tls.key, method: "GET", connections: Number(args.connections), durationSec: Number(args.duration) });
    results.push(r);
    if (!args.json) process.stdout.write(`${formatBaseline(r)} (target ≥ ${TARGET * 100}%) ${r.ratio >= TARGET ? "PASS" : "MISS"}\n`);
  }
  if (args.json) process.stdout.write(JSON.stringify(results, null, 2) + "\n");
} finally {
  await app.close();
  await rm(stateDir, { recursive: true, force: true });
}
