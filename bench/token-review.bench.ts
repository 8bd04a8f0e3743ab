/**
 * Load test of POST /authenticate (the TokenReview webhook) over HTTPS on loopback, answered with
 * 50 connections by autocannon, each scenario against the plain node:https baseline (same
 * certificate and key, keep-alive, a fixed body of the same size) in the same invocation
 * (bench/lib/baseline.ts). 1,000 distinct tokens per scenario, sent in turn, so with the cache off
 * every request really verifies a token:
 *   1. service-account tokens (RS256) minted by kubeiam's issuer, each bound to one of 1,000 pods
 *      of 100 service accounts in the store; cache off — target ≥ 50% of the baseline;
 *   2. OIDC ID tokens (ES256) from an external issuer on loopback (discovery and JWKS over HTTPS
 *      with their own CA, as an IdP serves them; claims as the Keycloak-like realm of the tests:
 *      preferred_username, groups claim `group` with prefix `gid:`, one CEL user rule); cache off
 *      — target ≥ 35%;
 *   3. the same OIDC tokens with the verified-token cache on (default 10 s TTL) — target ≥ 70%;
 *   4. IAM tokens (`k8s-aws-v1.` presigned GetCallerIdentity URLs, as `kubeiam get-token` makes
 *      them) answered by kubeiam's own STS (`authentication.iam.sts: self`), signed with the admin
 *      user's key and mapped through an aws-auth ConfigMap of 60 entries; cache off — target ≥ 35%.
 * The server logs at warn (decisions still go to the in-memory decision log). Also reports the
 * chain's in-process CPU per token (no HTTP).
 *
 *   node --import tsx bench/token-review.bench.ts [--duration 4] [--connections 50] [--json]
 *        [--scenario sa|oidc|oidc-cached|iam ...] [--in-process]
 */
import { createServer, type Server } from "node:https";
import { generateKeyPairSync, randomUUID, sign, type KeyObject } from "node:crypto";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { createEksToken } from "../src/clients/eks/create-eks-token.js";
import { resolveConfig } from "../src/config/resolve.js";
import type { ConfigFile } from "../src/config/schema.js";
import { createServiceAccountToken } from "../src/issuer/create-token.js";
import { ensureTls } from "../src/keys/tls.js";
import { systemClock } from "../src/lib/clock.js";
import { createLogger } from "../src/lib/logger.js";
import { startApp, type App } from "../src/server/app.js";
import {
  formatBaseline,
  jsonWebhookLoad,
  httpsCall,
  runWithBaseline,
  type BaselineResult,
} from "./lib/baseline.js";
import { cpuMicrosPerCallConcurrent } from "./lib/cpu-time.js";
import { freePort } from "../test/helpers/free-port.js";

const TOKENS = 1000;
const SERVICE_ACCOUNTS = 100;
const SCENARIOS = ["sa", "oidc", "oidc-cached", "iam"] as const;
type Scenario = (typeof SCENARIOS)[number];
const TARGETS: Record<Scenario, number> = { sa: 0.5, oidc: 0.35, "oidc-cached": 0.7, iam: 0.35 };
const TITLES: Record<Scenario, string> = {
  sa: "TokenReview service-account tokens (RS256, cache off)",
  oidc: "TokenReview OIDC tokens (ES256, cache off)",
  "oidc-cached": "TokenReview OIDC tokens (ES256, cache on, 10 s TTL)",
  iam: "TokenReview IAM tokens (sts: self, cache off)",
};

const { values: args } = parseArgs({
  options: {
    duration: { type: "string", default: "4" },
    connections: { type: "string", default: "50" },
    json: { type: "boolean", default: false },
    scenario: { type: "string", multiple: true },
    /** Only the chain's in-process costs (no HTTP load). */
    "in-process": { type: "boolean", default: false },
  },
});
const wanted = new Set<Scenario>(
  (args.scenario ?? [...SCENARIOS]).map((s) => {
    if (!(SCENARIOS as readonly string[]).includes(s))
      throw new Error(`--scenario ${s}: expected one of ${SCENARIOS.join(", ")}`);
    return s as Scenario;
  }),
);

/** A TokenReview as kube-apiserver's webhook token authenticator sends it. */
const reviewBody = (token: string): string =>
  JSON.stringify({
    kind: "TokenReview",
    apiVersion: "authentication.k8s.io/v1",
    metadata: { creationTimestamp: null },
    spec: { token },
    status: { user: {} },
  });

/** Service accounts, one pod per token, and an aws-auth of 40 roles and 20 users (the admin user among them). */
function objects(): string {
  const docs: string[] = [];
  for (let i = 0; i < SERVICE_ACCOUNTS; i++)
    docs.push(`apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: sa-${i}, namespace: bench}`);
  for (let i = 0; i < TOKENS; i++) {
    docs.push(
      `apiVersion: v1\nkind: Pod\nmetadata: {name: pod-${i}, namespace: bench}\nspec: {serviceAccountName: sa-${i % SERVICE_ACCOUNTS}, containers: [{name: c, image: nginx}]}`,
    );
  }
  const roles = Array.from(
    { length: 40 },
    (_, i) =>
      `- rolearn: arn:aws:iam::000000000000:role/team-${i}\n  username: team-${i}:{{SessionName}}\n  groups: [team-${i}, developers]`,
  );
  const users = Array.from(
    { length: 19 },
    (_, i) =>
      `- userarn: arn:aws:iam::000000000000:user/person-${i}\n  username: person-${i}\n  groups: [developers]`,
  );
  users.push(
    "- userarn: arn:aws:iam::000000000000:user/admin\n  username: admin-{{AccountID}}\n  groups: [system:masters]",
  );
  const indent = (s: string): string => s.replace(/^/gm, "    ");
  docs.push(
    `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: aws-auth, namespace: kube-system}\ndata:\n  mapRoles: |\n${indent(roles.join("\n"))}\n  mapUsers: |\n${indent(users.join("\n"))}\n`,
  );
  return docs.join("\n---\n") + "\n";
}

interface Idp {
  issuer: string;
  ca: string;
  key: KeyObject;
  kid: string;
  server: Server;
}

/** A loopback OIDC issuer: discovery and JWKS over HTTPS (its own CA), one ES256 signing key. */
async function startIdp(dir: string): Promise<Idp> {
  const tls = await ensureTls(dir, { names: ["127.0.0.1"], now: Date.now() });
  const port = await freePort();
  const issuer = `https://127.0.0.1:${port}`;
  const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
  const kid = "bench-es256";
  const discovery = JSON.stringify({
    issuer,
    jwks_uri: `${issuer}/jwks`,
    id_token_signing_alg_values_supported: ["ES256"],
    response_types_supported: ["code"],
    subject_types_supported: ["public"],
  });
  const jwks = JSON.stringify({
    keys: [{ ...publicKey.export({ format: "jwk" }), kid, alg: "ES256", use: "sig" }],
  });
  const server = createServer({ cert: tls.cert, key: tls.key }, (req, res) => {
    const path = (req.url ?? "").split("?")[0];
    const body =
      path === "/.well-known/openid-configuration" ? discovery : path === "/jwks" ? jwks : undefined;
    if (body === undefined) {
      res.writeHead(404).end();
      return;
    }
    res
      .writeHead(200, { "content-type": "application/json", "cache-control": "public, max-age=3600" })
      .end(body);
  });
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  return { issuer, ca: tls.ca ?? tls.cert, key: privateKey, kid, server };
}

/** ID tokens as a Keycloak realm issues them to the `kubernetes` client, one user each. */
function oidcTokens(idp: Idp): string[] {
  const b64 = (o: object): string => Buffer.from(JSON.stringify(o)).toString("base64url");
  const header = b64({ alg: "ES256", typ: "JWT", kid: idp.kid });
  const iat = Math.floor(Date.now() / 1000);
  return Array.from({ length: TOKENS }, (_, i) => {
    const payload = b64({
      exp: iat + 3600,
      iat,
      auth_time: iat,
      jti: randomUUID(),
      iss: idp.issuer,
      aud: "kubernetes",
      sub: `0b1c2d3e-0000-4000-8000-${String(i).padStart(12, "0")}`,
      typ: "ID",
      azp: "kubernetes",
      sid: randomUUID(),
      email_verified: true,
      preferred_username: `user-${i}`,
      group: ["/testgroup", `/team-${i % 10}`],
      email: `user-${i}@example.com`,
    });
    const input = `${header}.${payload}`;
    const sig = sign("sha256", Buffer.from(input), { key: idp.key, dsaEncoding: "ieee-p1363" });
    return `${input}.${sig.toString("base64url")}`;
  });
}

/** Projected-style service-account tokens (kubeiam's issuer, API audiences, an hour), bound to pod-i. */
function serviceAccountTokens(app: App): string[] {
  return Array.from(
    { length: TOKENS },
    (_, i) =>
      createServiceAccountToken(
        {
          cache: app.cache,
          key: app.keys.active(),
          issuer: app.config.issuer.url,
          apiAudiences: app.config.issuer.audiences,
          maxExpirationSeconds: app.config.issuer.maxTokenExpirationSeconds,
          now: Date.now(),
        },
        {
          namespace: "bench",
          serviceAccount: `sa-${i % SERVICE_ACCOUNTS}`,
          boundPod: { name: `pod-${i}` },
          expirationSeconds: 3600,
        },
      ).token,
  );
}

/**
 * `kubeiam get-token` tokens for kubeiam's own STS, signed with the admin user's key. SigV4 has
 * no nonce, so distinct tokens differ in signing time and region: 5 regions × 200 seconds around
 * now (STS accepts ±15 min, the authenticator 15 min after X-Amz-Date).
 */
function iamTokens(app: App): string[] {
  const regions = ["us-east-1", "us-west-2", "eu-west-1", "eu-central-1", "ap-southeast-2"];
  const now = Date.now();
  const key = app.adminAccessKey;
  return Array.from(
    { length: TOKENS },
    (_, i) =>
      createEksToken({
        clusterId: "kubeiam",
        credentials: { accessKeyId: key.accessKeyId, secretAccessKey: key.secretAccessKey },
        region: regions[i % regions.length]!,
        endpoint: app.listener!.url,
        now: now + (Math.floor(i / regions.length) - 100) * 1000,
      }).token,
  );
}

const EXPECTED_USER: Record<Scenario, (i: number) => string> = {
  sa: (i) => `system:serviceaccount:bench:sa-${i % SERVICE_ACCOUNTS}`,
  oidc: (i) => `user-${i}`,
  "oidc-cached": (i) => `user-${i}`,
  iam: () => "admin-000000000000",
};

/** The first reviews answer 200, authenticated: true, with the expected user. */
async function checkFirst(app: App, scenario: Scenario, bodies: readonly string[]): Promise<void> {
  const url = `${app.listener!.url}/authenticate`;
  for (let i = 0; i < 5; i++) {
    const r = await httpsCall(
      url,
      app.tls.ca ?? app.tls.cert,
      "POST",
      { "content-type": "application/json" },
      bodies[i],
    );
    const body = JSON.parse(r.body.toString()) as {
      status?: { authenticated?: boolean; user?: { username?: string } };
    };
    const want = EXPECTED_USER[scenario](i);
    if (r.status !== 200 || body.status?.authenticated !== true || body.status.user?.username !== want) {
      throw new Error(
        `${TITLES[scenario]}: review ${i} answered ${r.status} ${r.body.toString().slice(0, 300)} (expected authenticated: true as ${want})`,
      );
    }
  }
}

/**
 * CPU µs per chain.authenticate, in-process (no HTTP, no decision record, no TokenReview parse/render),
 * 50 tokens in flight as under the HTTP load (signature checks run on the thread pool): the whole
 * process and the event loop thread alone.
 */
async function inProcess(
  app: App,
  tokens: readonly string[],
): Promise<{ total: number; mainThread: number }> {
  return cpuMicrosPerCallConcurrent(
    async (i) => {
      const r = await app.authn.chain.authenticate(tokens[i]!, { now: Date.now() });
      if (r.kind !== "ok") throw new Error(`in-process review of token ${i}: ${r.kind}`);
    },
    { calls: 20_000, warmup: 2000, cycle: tokens.length, inFlight: 50 },
  );
}

interface Row {
  scenario: Scenario;
  /** Absent with --in-process. */
  result?: BaselineResult;
  target: number;
  load: number;
  inProcessUs: { total: number; mainThread: number };
}

async function measureScenario(app: App, scenario: Scenario, tokens: readonly string[]): Promise<Row> {
  const bodies = tokens.map(reviewBody);
  await checkFirst(app, scenario, bodies);
  if (args["in-process"]) {
    await inProcess(app, tokens); // warm-up
    return { scenario, target: TARGETS[scenario], load: 0, inProcessUs: await inProcess(app, tokens) };
  }
  const result = await runWithBaseline({
    ...jsonWebhookLoad(app, "/authenticate"),
    name: TITLES[scenario],
    bodies,
    connections: Number(args.connections),
    durationSec: Number(args.duration),
  });
  const load = Number(loadavg()[0]!.toFixed(1));
  // after the load, so the code is warm
  const inProcessUs = await inProcess(app, tokens);
  return { scenario, result, target: TARGETS[scenario], load, inProcessUs };
}

async function withApp<T>(
  stateDir: string,
  authentication: NonNullable<ConfigFile["authentication"]>,
  f: (app: App) => Promise<T>,
): Promise<T> {
  const port = await freePort();
  const raw: ConfigFile = { listen: `127.0.0.1:${port}`, authentication };
  const config = resolveConfig(raw, undefined, { stateDir });
  const app = await startApp(config, { clock: systemClock, logger: createLogger("warn") });
  try {
    return await f(app);
  } finally {
    await app.close();
  }
}

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), "kubeiam-bench-"));
  const stateDir = join(dir, "state");
  await mkdir(join(stateDir, "objects"), { recursive: true });
  await writeFile(join(stateDir, "objects", "bench.yaml"), objects());
  const idp = await startIdp(join(dir, "idp"));
  const oidc = [
    {
      issuer: { url: idp.issuer, audiences: ["kubernetes"], certificateAuthority: idp.ca },
      claimMappings: {
        username: { claim: "preferred_username", prefix: "" },
        groups: { claim: "group", prefix: "gid:" },
      },
      userValidationRules: [
        {
          expression: "!user.username.startsWith('system:')",
          message: "username cannot use reserved system: prefix",
        },
      ],
    },
  ];
  const rows: Row[] = [];
  try {
    const tokens = oidcTokens(idp);
    if (wanted.has("sa") || wanted.has("oidc") || wanted.has("iam")) {
      await withApp(stateDir, { cacheTTLSeconds: 0, oidc, iam: { sts: "self" } }, async (app) => {
        if (wanted.has("sa")) rows.push(await measureScenario(app, "sa", serviceAccountTokens(app)));
        if (wanted.has("oidc")) rows.push(await measureScenario(app, "oidc", tokens));
        // minted last, so their signing times stay well inside STS's 15 minutes
        if (wanted.has("iam")) rows.push(await measureScenario(app, "iam", iamTokens(app)));
      });
    }
    if (wanted.has("oidc-cached")) {
      await withApp(stateDir, { oidc, iam: { sts: "self" } }, async (app) => {
        rows.push(await measureScenario(app, "oidc-cached", tokens));
      });
    }
  } finally {
    idp.server.closeAllConnections();
    await new Promise<void>((resolve) => idp.server.close(() => resolve()));
    await rm(dir, { recursive: true, force: true });
  }
  rows.sort((a, b) => SCENARIOS.indexOf(a.scenario) - SCENARIOS.indexOf(b.scenario));

  if (args.json) {
    console.log(JSON.stringify({ tokens: TOKENS, runs: rows }, null, 2));
  } else {
    console.log(`${TOKENS} distinct tokens per scenario, sent in turn; server logger at warn`);
    for (const r of rows) {
      if (r.result) console.log(formatBaseline(r.result));
      else console.log(TITLES[r.scenario]);
      console.log(
        `  in-process: ${r.inProcessUs.total} µs CPU per token through the chain, ${r.inProcessUs.mainThread} on the event loop (50 in flight, no HTTP)`,
      );
      if (r.result)
        console.log(
          `  load average ${r.load}; target ≥ ${r.target * 100}% of baseline: ${r.result.ratio >= r.target ? "met" : "NOT met"}`,
        );
    }
  }
  for (const r of rows) {
    if (!r.result) continue;
    if (r.result.non2xx > 0 || r.result.errors > 0) {
      console.error(`${r.result.name}: ${r.result.non2xx} non-2xx answers, ${r.result.errors} errors`);
      process.exitCode = 1;
    }
    if (r.result.ratio < r.target) process.exitCode = 1;
  }
}

await main();
