/**
 * Load test of STS over HTTPS on loopback (autocannon, 50 connections, bounded), each against a
 * plain node:https baseline with the same certificate and key answering a fixed body of the same
 * size, in the same invocation (bench/lib/baseline.ts):
 *   - AssumeRoleWithWebIdentity: 50 distinct projected-style tokens (distinct subjects and session
 *     names), verified against kubeiam's key ring, trust policy StringEquals aud + StringLike sub;
 *   - GetCallerIdentity signed (SigV4) with the temporary credentials AssumeRoleWithWebIdentity
 *     returned: the session token is unsealed and the signature recomputed on every request.
 * Targets: AssumeRoleWithWebIdentity ≥ 25% of the baseline's rate, GetCallerIdentity ≥ 40%.
 * Also measures what the decision log costs per request (one record: redaction, ring, JSON line).
 *
 *   node --import tsx bench/sts.bench.ts [--duration 5] [--connections 50] [--json] [--in-process]
 */
import { mkdtemp, rm, writeFile, mkdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { resolveConfig } from "../src/config/resolve.js";
import { systemClock } from "../src/lib/clock.js";
import { createLogger } from "../src/lib/logger.js";
import { signJws } from "../src/issuer/mint-token.js";
import { DecisionLog } from "../src/server/decision-log.js";
import { startApp, type App } from "../src/server/app.js";
import { signRequest } from "../src/sigv4/sign-request.js";
import type { AwsRequest } from "../src/sts/service.js";
import { freePort } from "../test/helpers/server.js";
import { formatBaseline, httpsCall, runWithBaseline, type BaselineResult } from "./lib/baseline.js";
import { cpuMicrosPerCallConcurrent } from "./lib/cpu-time.js";

const TARGETS = { AssumeRoleWithWebIdentity: 0.25, GetCallerIdentity: 0.4 } as const;
const TOKENS = 50;

const { values: args } = parseArgs({
  options: {
    duration: { type: "string", default: "5" },
    connections: { type: "string", default: "50" },
    json: { type: "boolean", default: false },
    /** Only the in-process handler costs (no HTTP load); for profiling with --cpu-prof. */
    "in-process": { type: "boolean", default: false },
  },
});

function objects(issuer: string): string {
  const hp = issuer.replace(/^https:\/\//, "");
  const trust = {
    Version: "2012-10-17",
    Statement: [
      {
        Effect: "Allow",
        Principal: { Federated: `arn:aws:iam::000000000000:oidc-provider/${hp}` },
        Action: "sts:AssumeRoleWithWebIdentity",
        Condition: {
          StringEquals: { [`${hp}:aud`]: "sts.amazonaws.com" },
          StringLike: { [`${hp}:sub`]: "system:serviceaccount:bench:*" },
        },
      },
    ],
  };
  return [
    `apiVersion: kubeiam.io/v1alpha1\nkind: OIDCProvider\nmetadata: {name: kubeiam}\nspec: {url: "${issuer}", clientIDList: [sts.amazonaws.com]}`,
    `apiVersion: kubeiam.io/v1alpha1\nkind: IAMRole\nmetadata: {name: bench-reader}\nspec:\n  maxSessionDuration: 3600\n  assumeRolePolicyDocument: '${JSON.stringify(trust)}'`,
  ].join("\n---\n");
}

/** Tokens as the projected volume carries them (audience sts.amazonaws.com, a day long). */
function tokens(app: App): string[] {
  const key = app.keys.active();
  const iat = Math.floor(Date.now() / 1000);
  return Array.from({ length: TOKENS }, (_, i) =>
    signJws(
      { alg: key.alg, kid: key.kid },
      {
        aud: ["sts.amazonaws.com"],
        exp: iat + 86_400,
        iat,
        iss: app.config.issuer.url,
        jti: `bench-${i}`,
        "kubernetes.io": {
          namespace: "bench",
          pod: { name: `pod-${i}`, uid: `uid-pod-${i}` },
          serviceaccount: { name: `sa-${i}`, uid: `uid-sa-${i}` },
        },
        nbf: iat,
        sub: `system:serviceaccount:bench:sa-${i}`,
      },
      key,
    ),
  );
}

const form = (p: Record<string, string>): string =>
  new URLSearchParams({ Version: "2011-06-15", ...p }).toString();

/** µs per decision-log record, at warn (ring + redaction) and at info (plus one JSON line to a sink). */
function decisionLogCost(): { warn: number; info: number } {
  const rec = {
    kind: "sts" as const,
    action: "AssumeRoleWithWebIdentity",
    subject: "system:serviceaccount:bench:sa-1",
    allowed: true,
    summary: "AssumeRoleWithWebIdentity succeeded",
    reasons: Array.from({ length: 12 }, (_, i) => ({
      check: `check.${i}`,
      ok: true,
      message: `a reason of about the usual length, number ${i}, naming arn:aws:iam::000000000000:role/bench-reader`,
    })),
  };
  const time = (log: DecisionLog): number => {
    for (let i = 0; i < 2000; i++) log.record(rec);
    const n = 20_000;
    const t = performance.now();
    for (let i = 0; i < n; i++) log.record(rec);
    return ((performance.now() - t) * 1000) / n;
  };
  let bytes = 0;
  return {
    warn: time(new DecisionLog(1000, systemClock, createLogger("warn"))),
    info: time(
      new DecisionLog(
        1000,
        systemClock,
        createLogger("info", (l) => (bytes += l.length)),
      ),
    ),
  };
}

/**
 * CPU µs per call of the STS service's handler, in-process (no HTTP, no decision record), 50 calls
 * in flight as under the HTTP load (signature checks run on the thread pool): the whole process and
 * the event loop thread alone.
 */
async function inProcess(
  app: App,
  request: (i: number) => AwsRequest,
): Promise<{ total: number; mainThread: number }> {
  const n = 20_000;
  const reqs = Array.from({ length: 1000 }, (_, i) => request(i));
  for (let i = 0; i < 5; i++) {
    const r = await app.aws.handle(reqs[i]!);
    if (r.status !== 200) throw new Error(`in-process ${r.action}: ${r.status} ${r.body}`);
  }
  return cpuMicrosPerCallConcurrent((i) => app.aws.handle(reqs[i]!), {
    calls: n,
    warmup: 2000,
    cycle: reqs.length,
    inFlight: 50,
  });
}

async function main(): Promise<void> {
  const stateDir = await mkdtemp(join(tmpdir(), "kubeiam-bench-"));
  try {
    const port = await freePort();
    const config = resolveConfig({ listen: `127.0.0.1:${port}` }, undefined, { stateDir });
    await mkdir(join(stateDir, "objects"), { recursive: true });
    await writeFile(join(stateDir, "objects", "irsa.yaml"), objects(config.issuer.url));
    // Decisions are logged at info; a loaded server runs at warn (the ring and redaction still run).
    const app = await startApp(config, { clock: systemClock, logger: createLogger("warn") });
    try {
      const url = `${app.listener!.url}/`;
      const ca = app.tls.ca ?? app.tls.cert;
      const common = {
        url,
        ca,
        cert: app.tls.cert,
        key: app.tls.key,
        method: "POST",
        connections: Number(args.connections),
        durationSec: Number(args.duration),
      };
      const formHeaders = { "content-type": "application/x-www-form-urlencoded; charset=utf-8" };
      const roleArn = "arn:aws:iam::000000000000:role/bench-reader";
      const bodies = tokens(app).map((t, i) =>
        form({
          Action: "AssumeRoleWithWebIdentity",
          RoleArn: roleArn,
          RoleSessionName: `bench-${i}`,
          WebIdentityToken: t,
        }),
      );

      const results: BaselineResult[] = [];
      if (!args["in-process"])
        results.push(
          await runWithBaseline({
            ...common,
            name: "STS AssumeRoleWithWebIdentity",
            headers: formHeaders,
            bodies,
          }),
        );

      // Temporary credentials for the signed calls.
      const assumed = await httpsCall(url, ca, "POST", formHeaders, bodies[0]);
      const xml = assumed.body.toString();
      const field = (n: string): string => new RegExp(`<${n}>([^<]+)</${n}>`).exec(xml)?.[1] ?? "";
      const credentials = {
        accessKeyId: field("AccessKeyId"),
        secretAccessKey: field("SecretAccessKey"),
        sessionToken: field("SessionToken"),
      };
      if (assumed.status !== 200 || credentials.accessKeyId === "")
        throw new Error(`AssumeRoleWithWebIdentity failed: ${xml}`);
      // SigV4 has no nonce: a signed request stays valid for 15 minutes and the server recomputes
      // its signature (and unseals the session token) on every request, so one request repeated
      // costs the server what distinct ones would.
      const body = form({ Action: "GetCallerIdentity" });
      const signed = signRequest({
        method: "POST",
        url,
        headers: formHeaders,
        body,
        credentials,
        region: "us-east-1",
        service: "sts",
        now: Date.now(),
      });
      if (!args["in-process"])
        results.push(
          await runWithBaseline({
            ...common,
            name: "STS GetCallerIdentity (SigV4, temporary credentials)",
            headers: signed.headers,
            body,
          }),
        );

      const handleMicros = {
        AssumeRoleWithWebIdentity: await inProcess(app, (i) => ({
          method: "POST",
          path: "/",
          rawQuery: "",
          headers: {},
          body: Buffer.from(bodies[i % bodies.length]!),
          contentType: formHeaders["content-type"],
          accept: undefined,
        })),
        GetCallerIdentity: await inProcess(app, () => ({
          method: "POST",
          path: "/",
          rawQuery: "",
          headers: {
            host: [new URL(url).host],
            ...Object.fromEntries(Object.entries(signed.headers).map(([k, v]) => [k.toLowerCase(), [v]])),
          },
          body: Buffer.from(body),
          contentType: formHeaders["content-type"],
          accept: undefined,
        })),
      };
      const log = decisionLogCost();
      const rows = results.map((r, i) => ({ ...r, target: Object.values(TARGETS)[i]! }));
      if (args.json)
        console.log(JSON.stringify({ results: rows, decisionLogMicros: log, handleMicros }, null, 2));
      else {
        for (const r of rows) {
          console.log(formatBaseline(r));
          console.log(
            `  target ≥ ${r.target * 100}% of baseline: ${r.ratio >= r.target ? "met" : "NOT met"}`,
          );
        }
        console.log(
          `in-process aws.handle µs CPU per request, 50 in flight (no HTTP, no decision record): AssumeRoleWithWebIdentity ${handleMicros.AssumeRoleWithWebIdentity.total} (event loop ${handleMicros.AssumeRoleWithWebIdentity.mainThread}), GetCallerIdentity ${handleMicros.GetCallerIdentity.total} (event loop ${handleMicros.GetCallerIdentity.mainThread})`,
        );
        console.log(
          `decision log per request: ${log.warn.toFixed(1)} µs at warn (ring + redaction), ${log.info.toFixed(1)} µs at info (plus the JSON line)`,
        );
      }
      for (const r of rows) {
        if (r.non2xx > 0 || r.errors > 0) {
          console.error(`${r.name}: ${r.non2xx} non-2xx answers, ${r.errors} errors`);
          process.exitCode = 1;
        }
        if (r.ratio < r.target) process.exitCode = 1;
      }
    } finally {
      await app.close();
    }
  } finally {
    await rm(stateDir, { recursive: true, force: true });
  }
}

await main();
