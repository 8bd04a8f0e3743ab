/**
 * `kubeiam rbac ... --server URL` against a running kubeiam with the RBAC query endpoints
 * (src/rbac/http-api.ts): the same answers as the offline commands over the same objects, live
 * updates from the object directory, admin-only endpoints, strict query bodies.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { rm, writeFile } from "node:fs/promises";
import { registerRbacApiRoutes, RBAC_API_PATHS } from "../../src/rbac/http-api.js";
import { startTestServer, type TestServer } from "../helpers/server.js";
import { tempDir, writeFiles } from "../helpers/tmp.js";
import { rbacCli } from "../unit/cli/rbac-harness.js";

const FIXTURES = new URL("../fixtures/rbac-cli/", import.meta.url);
const read = (name: string): string => readFileSync(new URL(name, FIXTURES), "utf8");
const OBJECTS = {
  "seed.yaml": read("manifests/seed.yaml"),
  "team/prod.yaml": read("manifests/team/prod.yaml"),
  "tenants.yaml": read("tenants/world.yaml"),
};

async function serve(t: Parameters<typeof startTestServer>[0]): Promise<TestServer> {
  const s = await startTestServer(t, { objects: OBJECTS });
  if (s.app.router.match("POST", RBAC_API_PATHS.canI) === undefined) registerRbacApiRoutes(s.app);
  return s;
}

/** Questions asked both offline (-f over the same files) and of the server. */
const QUESTIONS: string[][] = [
  ["can-i", "list", "deployments.apps", "-A", "--as", "system:serviceaccount:default:demo"],
  [
    "can-i",
    "list",
    "deployments.apps",
    "-A",
    "--as",
    "https://issuer.example.com#alice",
    "--as-group",
    "gid:/testgroup",
    "--explain",
  ],
  [
    "can-i",
    "create",
    "deployments",
    "-n",
    "staging",
    "--as",
    "system:serviceaccount:default:demo",
    "--explain",
  ],
  ["can-i", "get", "pods/web-0", "--subresource", "log", "-n", "prod", "--as", "jane", "-o", "json"],
  ["can-i", "get", "/healthz", "--as", "system:anonymous"],
  ["can-i", "--list", "--as", "jane", "-n", "prod"],
  ["who-can", "create", "pods", "-n", "prod"],
  ["who-can", "get", "secrets", "-A", "-o", "json"],
  ["risks"],
  ["risks", "-n", "acme-prod", "-o", "json"],
];

test("--server answers exactly as the offline commands, over a copy (-f) and over its own state dir", async (t) => {
  const s = await serve(t);
  const dir = await tempDir(t);
  await writeFiles(dir, OBJECTS);
  const state = ["--config", s.configFile, "--state-dir", s.stateDir];
  for (const q of QUESTIONS) {
    const online = await rbacCli(["rbac", ...q, "--server", s.url, ...state]);
    assert.ok(online.stdout.length > 0, q.join(" "));
    for (const offline of [
      await rbacCli(["rbac", ...q, "-f", dir]),
      await rbacCli(["rbac", ...q, ...state]),
    ]) {
      assert.equal(online.code, offline.code, `${q.join(" ")}\n${online.stderr}`);
      assert.equal(online.stdout, offline.stdout, q.join(" "));
    }
  }
});

test("seed over a live server: no, then yes once the ClusterRoleBinding lands in the object directory", async (t) => {
  const s = await serve(t);
  const ask = [
    "rbac",
    "can-i",
    "list",
    "deployments.apps",
    "-A",
    "--as",
    "system:serviceaccount:default:demo",
    "--server",
    s.url,
    "--state-dir",
    s.stateDir,
    "--config",
    s.configFile,
  ];
  const before = await rbacCli(ask);
  assert.deepEqual([before.code, before.stdout], [1, "no\n"], before.stderr);
  const file = `${s.stateDir}/objects/grant.yaml`;
  await writeFile(file, read("grant/demo-cluster-rule.yaml"));
  let after = await rbacCli(ask);
  for (const deadline = Date.now() + 10_000; after.code !== 0 && Date.now() < deadline;) {
    await new Promise((r) => setTimeout(r, 50));
    after = await rbacCli(ask);
  }
  assert.deepEqual([after.code, after.stdout], [0, "yes\n"], after.stderr);
  await rm(file);
});

test("the endpoints need the admin token and strict bodies", async (t) => {
  const s = await serve(t);
  const q = {
    user: { name: "jane", groups: [] },
    request: { resourceRequest: true, verb: "get", resource: "pods", namespace: "prod" },
  };
  const anon = await s.fetch(RBAC_API_PATHS.canI, { method: "POST", body: JSON.stringify(q) });
  assert.equal(anon.status, 401);
  const wrong = await s.fetch(RBAC_API_PATHS.canI, {
    method: "POST",
    headers: { authorization: "Bearer nope" },
    body: JSON.stringify(q),
  });
  assert.equal(wrong.status, 401);
  for (const path of Object.values(RBAC_API_PATHS)) {
    assert.equal((await s.fetch(path, { method: "POST", body: "{}" })).status, 401, path);
  }

  const ok = await s.fetch(RBAC_API_PATHS.canI, {
    method: "POST",
    headers: s.admin,
    body: JSON.stringify(q),
  });
  assert.equal(ok.status, 200);
  assert.deepEqual((ok.json() as { allowed: boolean; reason: string }).allowed, false);

  const bad: [string, unknown, string][] = [
    [RBAC_API_PATHS.canI, { ...q, extra: 1 }, "can-i query: extra: unknown field"],
    [
      RBAC_API_PATHS.canI,
      { request: q.request },
      "can-i query: user: expected a mapping {name, groups, uid?, extra?}",
    ],
    [
      RBAC_API_PATHS.canI,
      { ...q, user: { name: "", groups: [] } },
      "can-i query: user: give a name or at least one group",
    ],
    [
      RBAC_API_PATHS.canI,
      { ...q, request: { verb: "get", resource: "pods" } },
      "can-i query: request.resourceRequest: expected true (an API resource) or false (a non-resource URL)",
    ],
    [
      RBAC_API_PATHS.canI,
      { ...q, request: { resourceRequest: false, verb: "get" } },
      "can-i query: request.path: required",
    ],
    [
      RBAC_API_PATHS.canI,
      { ...q, request: { ...q.request, verb: 7 } },
      "can-i query: request.verb: expected a string",
    ],
    [
      RBAC_API_PATHS.whoCan,
      { request: q.request, allNamespaces: "yes" },
      "who-can query: allNamespaces: expected true or false",
    ],
    [
      RBAC_API_PATHS.rules,
      { user: { name: "jane", groups: "devs" }, namespace: "prod" },
      "rules query: user.groups: expected a list of strings",
    ],
    [RBAC_API_PATHS.risks, { namespace: 3 }, "risks query: namespace: expected a string"],
  ];
  for (const [path, body, message] of bad) {
    const r = await s.fetch(path, { method: "POST", headers: s.admin, body: JSON.stringify(body) });
    assert.equal(r.status, 400, `${path} ${JSON.stringify(body)}: ${r.text}`);
    assert.deepEqual(r.json(), { code: "REQUEST_INVALID", message });
  }
  const notJson = await s.fetch(RBAC_API_PATHS.risks, { method: "POST", headers: s.admin, body: "[" });
  assert.equal(notJson.status, 400);
  const big = await s.fetch(RBAC_API_PATHS.rules, {
    method: "POST",
    headers: s.admin,
    body: JSON.stringify({ user: { name: "x".repeat(70_000), groups: [] }, namespace: "" }),
  });
  assert.equal(big.status, 413);
});

test("CLI errors against a server: no admin token in the state dir, --no-bootstrap, unreachable", async (t) => {
  const s = await serve(t);
  const elsewhere = await tempDir(t);
  const noToken = await rbacCli([
    "rbac",
    "who-can",
    "get",
    "pods",
    "--server",
    s.url,
    "--state-dir",
    elsewhere,
  ]);
  assert.equal(noToken.code, 2);
  assert.match(noToken.stderr, /no admin token in the state dir/);
  const nb = await rbacCli(["rbac", "risks", "--server", s.url, "--state-dir", s.stateDir, "--no-bootstrap"]);
  assert.equal(nb.code, 2);
  assert.match(nb.stderr, /--no-bootstrap applies to -f and the offline state/);
  const down = await rbacCli(["rbac", "risks", "--server", "https://127.0.0.1:1", "--state-dir", s.stateDir]);
  assert.equal(down.code, 2);
  assert.match(down.stderr, /cannot reach kubeiam at https:\/\/127\.0\.0\.1:1/);
});
