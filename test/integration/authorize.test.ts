/**
 * POST /authorize (the SubjectAccessReview webhook) over HTTPS: v1 `groups` and v1beta1 `group`,
 * kube-apiserver's allow reasons, no opinion, malformed reviews (400), bodies over the limit (413),
 * the decision log, and the webhook kubeconfig `kubeiam webhook kubeconfig --kind authorization`
 * writes, used as kube-apiserver would use it. Cases in test/fixtures/rbac-cli/authorize.yaml.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { rm, writeFile } from "node:fs/promises";
import { request } from "node:https";
import { parse } from "yaml";
import type { DecisionRecord } from "../../src/lib/decision.js";
import { kubeiam } from "../helpers/cli.js";
import { startTestServer, type TestServer } from "../helpers/server.js";

const FIXTURES = new URL("../fixtures/rbac-cli/", import.meta.url);
const read = (name: string): string => readFileSync(new URL(name, FIXTURES), "utf8");
const OBJECTS = {
  "seed.yaml": read("manifests/seed.yaml"),
  "prod.yaml": read("manifests/team/prod.yaml"),
  "broken.yaml": read("manifests/broken.yaml"),
};

interface SarCase {
  name: string;
  body?: unknown;
  raw?: string;
  status: number;
  response?: unknown;
  message?: string;
}
const CASES = parse(read("authorize.yaml")) as SarCase[];

const post = (s: TestServer, body: string) =>
  s.fetch("/authorize", { method: "POST", headers: { "content-type": "application/json" }, body });

test("SubjectAccessReview cases (authorize.yaml): exact response bodies, 400 for malformed reviews", async (t) => {
  const s = await startTestServer(t, { objects: OBJECTS });
  for (const c of CASES) {
    const r = await post(s, c.raw ?? JSON.stringify(c.body));
    assert.equal(r.status, c.status, `${c.name}: ${r.text}`);
    assert.match(r.headers.get("content-type") ?? "", /^application\/json/);
    if (c.response !== undefined) {
      // byte-exact: apiVersion, kind, status {allowed, reason} in kube's field order
      assert.equal(r.text, JSON.stringify(c.response), c.name);
    }
    if (c.message !== undefined)
      assert.deepEqual(r.json(), { code: "REQUEST_INVALID", message: c.message }, c.name);
  }
});

test("the index follows the object directory: a new ClusterRoleBinding allows, its removal revokes", async (t) => {
  const s = await startTestServer(t, { objects: OBJECTS });
  const sar = JSON.stringify({
    apiVersion: "authorization.k8s.io/v1",
    kind: "SubjectAccessReview",
    spec: {
      resourceAttributes: { verb: "list", group: "apps", version: "v1", resource: "deployments" },
      user: "system:serviceaccount:default:demo",
      groups: ["system:serviceaccounts", "system:serviceaccounts:default", "system:authenticated"],
    },
  });
  assert.equal(((await post(s, sar)).json() as { status: { allowed: boolean } }).status.allowed, false);
  const grant = read("grant/demo-cluster-rule.yaml");
  const file = `${s.stateDir}/objects/demo-cluster-rule.yaml`;
  await writeFile(file, grant);
  const until = async (want: boolean): Promise<unknown> => {
    const deadline = Date.now() + 10_000;
    for (;;) {
      const body = (await post(s, sar)).json() as { status: { allowed: boolean } };
      if (body.status.allowed === want || Date.now() > deadline) return body;
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  assert.deepEqual(await until(true), {
    apiVersion: "authorization.k8s.io/v1",
    kind: "SubjectAccessReview",
    status: {
      allowed: true,
      reason:
        'RBAC: allowed by ClusterRoleBinding "demo-cluster-rule" of ClusterRole "cluster-admin" to ServiceAccount "demo/default"',
    },
  });
  await rm(file);
  assert.deepEqual(await until(false), {
    apiVersion: "authorization.k8s.io/v1",
    kind: "SubjectAccessReview",
    status: { allowed: false },
  });
});

test("a store object replacing a default one decides; deleting it brings the default back", async (t) => {
  const s = await startTestServer(t, { objects: OBJECTS });
  const sar = JSON.stringify({
    apiVersion: "authorization.k8s.io/v1beta1",
    kind: "SubjectAccessReview",
    spec: {
      nonResourceAttributes: { verb: "get", path: "/apis" },
      user: "bob",
      group: ["system:authenticated"],
    },
  });
  const allowed = async (): Promise<boolean> =>
    ((await post(s, sar)).json() as { status: { allowed: boolean } }).status.allowed;
  const waitFor = async (want: boolean): Promise<boolean> => {
    const deadline = Date.now() + 10_000;
    let got = await allowed();
    while (got !== want && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
      got = await allowed();
    }
    return got;
  };
  assert.equal(await allowed(), true, "system:discovery is bound to system:authenticated by default");
  const file = `${s.stateDir}/objects/discovery.yaml`;
  await writeFile(
    file,
    "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: {name: system:discovery}\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: system:discovery}\nsubjects: [{apiGroup: rbac.authorization.k8s.io, kind: Group, name: nobody}]\n",
  );
  assert.equal(await waitFor(false), false, "the store's copy replaced the default");
  await rm(file);
  assert.equal(await waitFor(true), true, "the default is back");
});

test("a body over the limit is refused with 413; GET is not a review", async (t) => {
  const s = await startTestServer(t, { objects: OBJECTS });
  const huge = JSON.stringify({
    apiVersion: "authorization.k8s.io/v1",
    kind: "SubjectAccessReview",
    spec: { user: "x".repeat(300 * 1024), resourceAttributes: { verb: "get", resource: "pods" } },
  });
  const r = await post(s, huge);
  assert.equal(r.status, 413);
  assert.equal((r.json() as { code: string }).code, "REQUEST_TOO_LARGE");
  assert.equal((await s.fetch("/authorize")).status, 405);
  // the server still answers afterwards
  const ok = await post(s, JSON.stringify(CASES[0]!.body));
  assert.equal(ok.status, 200);
});

test("every review is in the decision log with the subject, the request and the deciding rule", async (t) => {
  const s = await startTestServer(t, { objects: OBJECTS });
  for (const c of CASES.slice(0, 2)) assert.equal((await post(s, JSON.stringify(c.body))).status, 200);
  const d = await s.fetch("/decisions?kind=authz", { headers: s.admin });
  assert.equal(d.status, 200);
  const recs = (d.json() as { decisions: DecisionRecord[] }).decisions;
  assert.equal(recs.length, 2);
  const [denied, allowed] = recs as [DecisionRecord, DecisionRecord];
  assert.deepEqual(
    [denied.action, denied.subject, denied.allowed, denied.summary],
    [
      "SubjectAccessReview",
      "system:serviceaccount:default:demo",
      false,
      "list deployments.apps (cluster scope): no RBAC rule allows it",
    ],
  );
  assert.equal(denied.reasons[0]?.check, "rbac.no-match");
  assert.deepEqual(
    [allowed.subject, allowed.allowed, allowed.summary],
    [
      "https://issuer.example.com#alice",
      true,
      'list deployments.apps in default: RBAC: allowed by ClusterRoleBinding "testgroup-read-deployments" of ClusterRole "read-deployments" to Group "gid:/testgroup"',
    ],
  );
  assert.deepEqual(allowed.reasons, [
    {
      check: "rbac.rule",
      ok: true,
      message:
        'list deployments.apps in namespace "default" allowed by ClusterRoleBinding/testgroup-read-deployments → ClusterRole read-deployments to Group gid:/testgroup, rule 0 (verbs=[get,list,watch] apiGroups=[apps] resources=[deployments])',
      source: "ClusterRoleBinding/testgroup-read-deployments",
    },
  ]);
  // a refusal that met a missing role says so
  const mallory = CASES.find((c) => c.name.startsWith("a binding to a missing role"))!;
  await post(s, JSON.stringify(mallory.body));
  const last = (
    (await s.fetch("/decisions?kind=authz", { headers: s.admin })).json() as { decisions: DecisionRecord[] }
  ).decisions.at(-1)!;
  assert.equal(
    last.summary,
    'get pods in prod: no RBAC rule allows it (RBAC: clusterrole.rbac.authorization.k8s.io "does-not-exist" not found)',
  );
  assert.deepEqual(
    last.reasons.map((r) => r.check),
    ["rbac.no-match", "rbac.role-ref"],
  );
  // malformed reviews are not decisions
  await post(s, "{");
  assert.equal(
    ((await s.fetch("/decisions?kind=authz", { headers: s.admin })).json() as { decisions: unknown[] })
      .decisions.length,
    3,
  );
});

test("kubeiam webhook kubeconfig --kind authorization: points at /authorize with the CA, and works as kube-apiserver uses it", async (t) => {
  const s = await startTestServer(t, { objects: OBJECTS });
  const r = await kubeiam([
    "webhook",
    "kubeconfig",
    "--kind",
    "authorization",
    "--config",
    s.configFile,
    "--state-dir",
    s.stateDir,
    "-o",
    "json",
  ]);
  assert.equal(r.code, 0, r.stderr);
  const kc = JSON.parse(r.stdout) as {
    kind: string;
    clusters: { cluster: { server: string; "certificate-authority-data": string } }[];
    "current-context": string;
  };
  assert.equal(kc.kind, "Config");
  const cluster = kc.clusters[0]!.cluster;
  assert.equal(cluster.server, `${s.url}/authorize`);
  assert.match(cluster.server, /\/authorize$/);
  const ca = Buffer.from(cluster["certificate-authority-data"], "base64").toString("utf8");
  assert.equal(ca, s.ca);
  assert.match(ca, /^-----BEGIN CERTIFICATE-----/);

  const yaml = await kubeiam([
    "webhook",
    "kubeconfig",
    "--kind",
    "authorization",
    "--config",
    s.configFile,
    "--state-dir",
    s.stateDir,
  ]);
  assert.equal(yaml.code, 0, yaml.stderr);
  assert.deepEqual(parse(yaml.stdout), kc);

  // kube-apiserver POSTs a review to `server`, trusting only `certificate-authority-data`
  const body = JSON.stringify(CASES[1]!.body);
  const answer = await new Promise<{ status: number; text: string }>((resolve, reject) => {
    const req = request(
      cluster.server,
      {
        method: "POST",
        ca,
        headers: { "content-type": "application/json", "content-length": Buffer.byteLength(body) },
      },
      (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (c: string) => (text += c));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, text }));
      },
    );
    req.on("error", reject);
    req.end(body);
  });
  assert.equal(answer.status, 200);
  assert.equal(answer.text, JSON.stringify(CASES[1]!.response));
});
