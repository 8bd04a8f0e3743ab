/**
 * Load test of POST /authorize (the SubjectAccessReview webhook) over HTTPS on loopback with a
 * realistic store: the default policy plus 2,000 roles and 10,000 bindings over 5,000 users, 500
 * groups and 500 service accounts (generated as in bench/rbac.bench.ts, loaded into the server's
 * index), answered with 50 connections by autocannon, against the plain node:https baseline with the
 * same certificate and key and a fixed body of the same size, in the same invocation.
 *
 * Runs twice: with the logger at info, the default (every no-opinion decision is also one JSON log
 * line, written to a pipe as a container's stderr would be; allowed ones log at debug) and at warn
 * (the decision ring and its redaction still run, no log line). Also reports the route's in-process cost per request, split into its parts.
 * Target: the endpoint at ≥ 60% of the baseline's rate.
 *
 *   node --import tsx bench/sar.bench.ts [--duration 4] [--connections 50] [--json]
 */
import { spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { resolveConfig } from "../src/config/resolve.js";
import { systemClock } from "../src/lib/clock.js";
import { batchedWriter, createLogger, type Logger, type LogLevel } from "../src/lib/logger.js";
import { authorize, briefReasons } from "../src/rbac/authorize.js";
import {
  parseSubjectAccessReview,
  renderSubjectAccessReviewResponse,
  subjectAccessReviewStatus,
} from "../src/rbac/subject-access-review.js";
import type { Attributes } from "../src/rbac/types.js";
import { startApp, type App } from "../src/server/app.js";
import { freePort } from "../test/helpers/server.js";
import { formatBaseline, jsonWebhookLoad, runWithBaseline, type BaselineResult } from "./lib/baseline.js";
import { cpuMicrosPerCall } from "./lib/cpu-time.js";
import { generate } from "./rbac.bench.js";

const TARGET_RATIO = 0.6;
const BODIES = 1000;

const { values: args } = parseArgs({
  options: {
    duration: { type: "string", default: "4" },
    connections: { type: "string", default: "50" },
    json: { type: "boolean", default: false },
  },
});

/** A v1 SubjectAccessReview as kube-apiserver's webhook authorizer sends it. */
function sarBody(a: Attributes, i: number): string {
  const spec: Record<string, unknown> = a.resourceRequest
    ? {
        resourceAttributes: {
          namespace: a.namespace ?? "",
          verb: a.verb,
          group: a.apiGroup ?? "",
          version: "v1",
          resource: a.resource,
          subresource: a.subresource ?? "",
          name: a.name ?? "",
        },
      }
    : { nonResourceAttributes: { path: a.path, verb: a.verb } };
  spec.user = a.user.name;
  spec.uid = `0b1c2d3e-0000-4000-8000-${String(i).padStart(12, "0")}`;
  spec.groups = a.user.groups;
  return JSON.stringify({
    apiVersion: "authorization.k8s.io/v1",
    kind: "SubjectAccessReview",
    metadata: { creationTimestamp: null },
    spec,
    status: { allowed: false },
  });
}

/**
 * A logger whose level can change between runs (the app keeps the one it was started with). Lines go
 * to a pipe read by a child that discards them, as a container's stderr goes to a log pipe.
 */
function switchableLogger(): { logger: Logger; set(level: LogLevel): void; close(): void } {
  const drain = spawn(process.execPath, ["-e", "process.stdin.resume()"], {
    stdio: ["pipe", "ignore", "ignore"],
  });
  // Written after the child is gone at the end (EPIPE): nothing to report.
  drain.stdin.on("error", () => undefined);
  // As the default stderr sink does: lines leave in batches.
  const out = batchedWriter((chunk) => void drain.stdin.write(chunk));
  const write = (l: string): void => out.write(l);
  const loggers = { info: createLogger("info", write), warn: createLogger("warn", write) };
  let current: Logger = loggers.warn;
  return {
    set: (level) => (current = level === "info" ? loggers.info : loggers.warn),
    close: () => {
      out.flush();
      drain.stdin.end();
      drain.kill();
    },
    logger: {
      debug: (m, f) => current.debug(m, f),
      info: (m, f) => current.info(m, f),
      warn: (m, f) => current.warn(m, f),
      error: (m, f) => current.error(m, f),
      enabled: (l) => current.enabled(l),
      preRedacted: (l, m, f) => current.preRedacted(l, m, f),
    },
  };
}

/** In-process cost of the route's parts, µs per request (no HTTP). */
function profile(app: App, bodies: readonly string[], setLevel: (l: LogLevel) => void): Record<string, number> {
  const parsed = bodies.map((b) => parseSubjectAccessReview(JSON.parse(b), { allowUnknownFields: true }));
  const results = parsed.map((p) => authorize(app.rbac, p.attributes));
  const time = (f: (i: number) => unknown): number =>
    cpuMicrosPerCall(f, { calls: 20_000, warmup: 2000, cycle: bodies.length });
  return {
    jsonParse: time((i) => JSON.parse(bodies[i]!)),
    parseReview: time((i) => parseSubjectAccessReview(JSON.parse(bodies[i]!), { allowUnknownFields: true })),
    authorize: time((i) => authorize(app.rbac, parsed[i]!.attributes)),
    authorizeWithReasons: time((i) => authorize(app.rbac, parsed[i]!.attributes).reasons),
    renderResponse: time((i) =>
      JSON.stringify(
        renderSubjectAccessReviewResponse(parsed[i]!.apiVersion, subjectAccessReviewStatus(results[i]!)),
      ),
    ),
    decisionRecord: time(record),
    decisionRecordInfo: atInfo(() => time(record)),
  };
  function record(i: number): void {
    const r = results[i]!;
    app.decisions.record({
      kind: "authz",
      action: "SubjectAccessReview",
      subject: parsed[i]!.attributes.user.name,
      allowed: r.decision === "allow",
      summary: r.reason,
      reasons: () => briefReasons(r),
    });
  }
  function atInfo(f: () => number): number {
    setLevel("info");
    try {
      return f();
    } finally {
      setLevel("warn");
    }
  }
}

async function main(): Promise<void> {
  const stateDir = await mkdtemp(join(tmpdir(), "kubeiam-bench-"));
  const log = switchableLogger();
  try {
    const port = await freePort();
    const config = resolveConfig({ listen: `127.0.0.1:${port}` }, undefined, { stateDir });
    const app = await startApp(config, { clock: systemClock, logger: log.logger });
    try {
      const { objects, requests } = generate(1);
      const t0 = performance.now();
      for (const o of objects) app.rbac.apply({ type: "ADDED", object: o });
      const loadMs = Math.round(performance.now() - t0);
      const stats = app.rbac.stats();
      const bodies = requests.slice(0, BODIES).map((a, i) => sarBody(a, i));
      const allowed = requests
        .slice(0, BODIES)
        .filter((a) => authorize(app.rbac, a).decision === "allow").length;
      const requestBytes = Math.round(bodies.reduce((n, b) => n + Buffer.byteLength(b), 0) / bodies.length);

      const results: { level: LogLevel; result: BaselineResult; load: number }[] = [];
      for (const level of ["info", "warn"] as const) {
        log.set(level);
        const result = await runWithBaseline({
          ...jsonWebhookLoad(app, "/authorize"),
          name: `POST /authorize (log level ${level})`,
          bodies,
          connections: Number(args.connections),
          durationSec: Number(args.duration),
        });
        results.push({ level, result, load: Number(loadavg()[0]!.toFixed(1)) });
      }
      log.set("warn");
      const parts = profile(app, bodies, (l) => log.set(l));
      const store = `${stats.clusterRoleBindings + stats.roleBindings} bindings, ${stats.clusterRoles + stats.roles} roles (index load ${loadMs} ms); ${BODIES} distinct ${requestBytes}-byte reviews, ${((allowed / BODIES) * 100).toFixed(0)}% allowed`;
      if (args.json) {
        console.log(
          JSON.stringify({ store, runs: results, profileUsPerRequest: parts, target: TARGET_RATIO }, null, 2),
        );
      } else {
        console.log(store);
        for (const r of results) {
          console.log(formatBaseline(r.result));
          console.log(
            `  load average ${r.load}; target ≥ ${TARGET_RATIO * 100}% of baseline: ${r.result.ratio >= TARGET_RATIO ? "met" : "NOT met"}`,
          );
        }
        console.log(
          `in-process µs CPU per request: ${Object.entries(parts)
            .map(([k, v]) => `${k} ${v}`)
            .join(", ")} (decisionRecord at log level warn, decisionRecordInfo with its log line)`,
        );
      }
      for (const r of results) {
        if (r.result.non2xx > 0 || r.result.errors > 0) {
          console.error(`${r.result.name}: ${r.result.non2xx} non-2xx answers and ${r.result.errors} errors`);
          process.exitCode = 1;
        }
      }
      if (results.some((r) => r.level === "warn" && r.result.ratio < TARGET_RATIO)) process.exitCode = 1;
    } finally {
      await app.close();
    }
  } finally {
    log.close();
    await rm(stateDir, { recursive: true, force: true });
  }
}

await main();
