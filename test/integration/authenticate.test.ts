/**
 * POST /authenticate (TokenReview webhook) over HTTPS: service-account tokens from kubeiam's
 * issuer, IAM tokens from the real `aws eks get-token` answered by kubeiam's own STS, aws-auth
 * mapping, deny bodies and statuses as aws-iam-authenticator returns them.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { startTestServer, type TestServer } from "../helpers/server.js";
import { kubeiam } from "../helpers/cli.js";

const OBJECTS = {
  "sa.yaml": "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: demo, namespace: default}\n---\napiVersion: v1\nkind: Pod\nmetadata: {name: web, namespace: default}\nspec: {serviceAccountName: demo, containers: [{name: c, image: nginx}]}\n",
};

async function review(s: TestServer, token: string, apiVersion = "authentication.k8s.io/v1"): Promise<{ status: number; body: any; explain: string | null }> {
  const r = await s.fetch("/authenticate", { method: "POST", body: JSON.stringify({ apiVersion, kind: "TokenReview", spec: { token } }) });
  return { status: r.status, body: r.status === 400 ? r.text : r.json(), explain: r.headers.get("x-kubeiam-explain") };
}

async function mint(s: TestServer, extra: string[] = []): Promise<string> {
  const r = await kubeiam(["token", "create", "--config", s.configFile, "--state-dir", s.stateDir, "--service-account", "demo", ...extra]);
  assert.equal(r.code, 0, r.stderr);
  return r.stdout.trim();
}

test("service-account tokens: authenticated with kube's user shape; v1 and v1beta1 echoed; bound pod deleted → denied", async (t) => {
  const s = await startTestServer(t, { objects: OBJECTS });
  const tok = await mint(s, ["--bound-pod", "web"]);
  for (const v of ["authentication.k8s.io/v1", "authentication.k8s.io/v1beta1"]) {
    const r = await review(s, tok, v);
    assert.equal(r.status, 200);
    assert.equal(r.body.apiVersion, v);
    assert.equal(r.body.kind, "TokenReview");
    assert.equal(r.body.status.authenticated, true);
    assert.equal(r.body.status.user.username, "system:serviceaccount:default:demo");
    assert.deepEqual(r.body.status.user.groups, ["system:serviceaccounts", "system:serviceaccounts:default"]);
    assert.deepEqual(r.body.status.user.extra["authentication.kubernetes.io/pod-name"], ["web"]);
    assert.match(r.body.status.user.extra["authentication.kubernetes.io/credential-id"][0], /^JTI=/);
  }
  await s.app.store.delete({ kind: "Pod", namespace: "default", name: "web" });
  s.app.authn.chain.clear();
  const gone = await review(s, tok);
  assert.equal(gone.status, 403);
  assert.deepEqual(gone.body.status, { user: {} });
  assert.match(gone.explain ?? "", /invalidated|not found|deleted/);
  const d = await s.fetch("/decisions?kind=authn&allowed=false", { headers: s.admin });
  assert.ok(!d.text.includes(tok), "the decision log never holds the token");
});

test("bad bodies: 400 with aws-iam-authenticator's texts, never a 500", async (t) => {
  const s = await startTestServer(t);
  const cases: [string, RegExp][] = [
    ["", /^expected a request body$/],
    ["{", /^expected a request body to be a TokenReview$/],
    ["[]", /^expected a request body to be a TokenReview$/],
    [JSON.stringify({ apiVersion: "v1", kind: "Pod" }), /^expected a request body to be a TokenReview$/],
    [JSON.stringify({ apiVersion: "authentication.k8s.io/v1", kind: "TokenReview", spec: {} }), /^token is required for TokenReview in authentication$/],
    [JSON.stringify({ apiVersion: "authentication.k8s.io/v1", kind: "TokenReview", spec: { token: "x", audiences: "a" } }), /^expected a request body to be a TokenReview$/],
  ];
  for (const [body, msg] of cases) {
    const r = await s.fetch("/authenticate", { method: "POST", body });
    assert.equal(r.status, 400, body);
    assert.match(r.text, msg, body);
  }
  const junk = await review(s, "not-a-token-at-all");
  assert.equal(junk.status, 403);
  assert.equal((await s.fetch("/authenticate")).status, 405);
});

test("IAM tokens from the real `aws eks get-token`, answered by kubeiam's STS: unmapped → 403, mapped through aws-auth → user", async (t) => {
  const s = await startTestServer(t);
  const key = s.app.adminAccessKey;
  const env = { ...process.env, AWS_ACCESS_KEY_ID: key.accessKeyId, AWS_SECRET_ACCESS_KEY: key.secretAccessKey, AWS_DEFAULT_REGION: "us-east-1", AWS_ENDPOINT_URL: s.url, AWS_CA_BUNDLE: `${s.stateDir}/ca.crt`, AWS_CONFIG_FILE: "/dev/null", AWS_SHARED_CREDENTIALS_FILE: "/dev/null" };
  const out = spawnSync("aws", ["eks", "get-token", "--cluster-name", "kubeiam"], { env, encoding: "utf8" });
  assert.equal(out.status, 0, out.stderr);
  const token = JSON.parse(out.stdout).status.token as string;
  assert.match(token, /^k8s-aws-v1\.[A-Za-z0-9_-]+$/);
  const unmapped = await review(s, token);
  assert.equal(unmapped.status, 403);
  assert.deepEqual(unmapped.body.status, { user: {} });
  assert.match(unmapped.explain ?? "", /arn:aws:iam::000000000000:user\/admin/);
  await s.app.store.put({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "aws-auth", namespace: "kube-system" }, data: { mapUsers: "- userarn: arn:aws:iam::000000000000:user/admin\n  username: admin-{{AccountID}}\n  groups: [system:masters]\n" } });
  const ok = await review(s, token);
  assert.equal(ok.status, 200, JSON.stringify(ok.body));
  assert.equal(ok.body.status.user.username, "admin-000000000000");
  assert.deepEqual(ok.body.status.user.groups, ["system:masters"]);
  assert.match(ok.body.status.user.uid, /^aws-iam-authenticator:000000000000:AIDA/);
  assert.deepEqual(Object.keys(ok.body.status.user.extra).sort(), ["accessKeyId", "arn", "canonicalArn", "principalId", "sessionName", "sigs.k8s.io/aws-iam-authenticator/principalId"]);
  const wrongCluster = spawnSync("aws", ["eks", "get-token", "--cluster-name", "other"], { env, encoding: "utf8" });
  const bad = await review(s, JSON.parse(wrongCluster.stdout).status.token);
  assert.equal(bad.status, 403, "a token for another cluster id fails STS's signature check on x-k8s-aws-id");
});

test("kubeiam authn review: offline from the state dir and with --server; exit 0 / 1 / 2", async (t) => {
  const s = await startTestServer(t, { objects: OBJECTS });
  const tok = await mint(s);
  const { writeFile } = await import("node:fs/promises");
  const file = `${s.stateDir}/token.txt`;
  await writeFile(file, tok + "\n", { mode: 0o600 });
  const base = ["authn", "review", "--config", s.configFile, "--state-dir", s.stateDir];
  const offline = await kubeiam([...base, "--token-file", file, "-o", "json"]);
  assert.equal(offline.code, 0, offline.stderr);
  const j = JSON.parse(offline.stdout);
  assert.equal(j.status.user.username, "system:serviceaccount:default:demo");
  assert.ok(j.reasons.some((r: { check: string; ok: boolean }) => r.check === "sa.signature" && r.ok));
  assert.ok(!offline.stdout.includes(tok), "the token is not echoed");
  const online = await kubeiam([...base, "--token-file", file, "--server", s.url]);
  assert.equal(online.code, 0, online.stderr);
  assert.match(online.stdout, /^authenticated: system:serviceaccount:default:demo/);
  const bad = await kubeiam([...base, "--token", "eyJhbGciOiJub25lIn0.e30.x"]);
  assert.equal(bad.code, 1);
  assert.match(bad.stdout, /^not authenticated \(HTTP 403\)/);
  assert.equal((await kubeiam([...base])).code, 2);
  assert.equal((await kubeiam([...base, "--token-file", `${s.stateDir}/missing`])).code, 2);
});
