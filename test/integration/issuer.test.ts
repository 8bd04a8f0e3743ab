/**
 * The issuer with real OIDC clients: openid-client discovery and jose's remote JWKS verifying
 * minted tokens, before and after `kubeiam keys rotate`.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as client from "openid-client";
import { createRemoteJWKSet, customFetch, decodeProtectedHeader, jwtVerify, errors as joseErrors } from "jose";
import { startTestServer } from "../helpers/server.js";
import { kubeiam } from "../helpers/cli.js";

const SA = "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: demo, namespace: default}\n---\napiVersion: v1\nkind: Pod\nmetadata: {name: web, namespace: default}\nspec: {serviceAccountName: demo, containers: [{name: c, image: nginx}]}\n";

test("openid-client discovers the issuer; jose verifies minted tokens through the JWKS, across a rotation", async (t) => {
  const s = await startTestServer(t, { objects: { "demo.yaml": SA } });
  const issuer = s.app.config.issuer.url;
  const config = await client.discovery(new URL(issuer), "kubeiam-test", undefined, undefined, { [client.customFetch]: s.trustedFetch, execute: [] });
  const meta = config.serverMetadata();
  assert.equal(meta.issuer, issuer);
  assert.equal(meta.jwks_uri, `${issuer}/openid/v1/jwks`);
  assert.deepEqual(meta.response_types_supported, ["id_token"]);
  assert.deepEqual(meta.subject_types_supported, ["public"]);
  assert.deepEqual(meta.id_token_signing_alg_values_supported, ["RS256"]);

  const jwks = createRemoteJWKSet(new URL(meta.jwks_uri), { [customFetch]: s.trustedFetch, cooldownDuration: 0 });
  const mint = async (): Promise<string> => {
    const r = await kubeiam(["token", "create", "--state-dir", s.stateDir, "--service-account", "demo", "--audience", "sts.amazonaws.com", "--bound-pod", "web", "--config", s.configFile]);
    assert.equal(r.code, 0, r.stderr);
    return r.stdout.trim();
  };
  const old = await mint();
  const v1 = await jwtVerify(old, jwks, { issuer, audience: "sts.amazonaws.com" });
  assert.equal(v1.payload.sub, "system:serviceaccount:default:demo");
  assert.ok((v1.payload.exp ?? 0) > Date.now() / 1000);
  await assert.rejects(jwtVerify(old, jwks, { issuer, audience: "someone-else" }), joseErrors.JWTClaimValidationFailed);
  await assert.rejects(jwtVerify(old, jwks, { issuer: "https://evil.example", audience: "sts.amazonaws.com" }), joseErrors.JWTClaimValidationFailed);

  const oldKid = decodeProtectedHeader(old).kid;
  const rot = await kubeiam(["keys", "rotate", "--state-dir", s.stateDir, "--config", s.configFile, "-o", "json"]);
  assert.equal(rot.code, 0, rot.stderr);
  const newKid = JSON.parse(rot.stdout).active.kid as string;
  assert.notEqual(newKid, oldKid);
  // the running server follows the rotation made by another process
  const start = Date.now();
  while (!(await s.fetch("/openid/v1/jwks")).text.includes(newKid) && Date.now() - start < 5000) await new Promise((r) => setTimeout(r, 25));
  const fresh = await mint();
  assert.equal(decodeProtectedHeader(fresh).kid, newKid);
  await jwtVerify(fresh, jwks, { issuer, audience: "sts.amazonaws.com" });
  await jwtVerify(old, jwks, { issuer, audience: "sts.amazonaws.com" });
  const served = JSON.parse((await s.fetch("/openid/v1/jwks")).text).keys.map((k: { kid: string }) => k.kid);
  assert.deepEqual(served.sort(), [oldKid, newKid].sort());
});

test("discovery and JWKS carry cache headers and answer conditional requests with 304", async (t) => {
  const s = await startTestServer(t);
  for (const path of ["/.well-known/openid-configuration", "/openid/v1/jwks"]) {
    const r = await s.fetch(path);
    assert.equal(r.status, 200);
    assert.match(r.headers.get("cache-control") ?? "", /^public, max-age=\d+$/);
    assert.equal(r.headers.get("content-type"), "application/json");
    const etag = r.headers.get("etag")!;
    assert.ok(etag);
    assert.equal((await s.fetch(path, { headers: { "if-none-match": etag } })).status, 304);
  }
});

test("TokenRequest endpoint: admin only, kube-shaped response, kube's errors", async (t) => {
  const s = await startTestServer(t, { objects: { "demo.yaml": SA } });
  const path = "/api/v1/namespaces/default/serviceaccounts/demo/token";
  const body = JSON.stringify({ apiVersion: "authentication.k8s.io/v1", kind: "TokenRequest", spec: { audiences: ["a1"], expirationSeconds: 1200, boundObjectRef: { kind: "Pod", apiVersion: "v1", name: "web" } } });
  assert.equal((await s.fetch(path, { method: "POST", body })).status, 401);
  assert.equal((await s.fetch(path, { method: "POST", body, headers: { authorization: "Bearer wrong" } })).status, 401);
  const ok = await s.fetch(path, { method: "POST", body, headers: s.admin });
  assert.equal(ok.status, 201, ok.text);
  const tr = ok.json() as { kind: string; status: { token: string; expirationTimestamp: string }; spec: { audiences: string[]; expirationSeconds: number } };
  assert.equal(tr.kind, "TokenRequest");
  assert.deepEqual(tr.spec.audiences, ["a1"]);
  assert.equal(tr.spec.expirationSeconds, 1200);
  assert.match(tr.status.token, /^eyJ/);
  const bad = async (p: string, b: string, status: number, msg: RegExp): Promise<void> => {
    const r = await s.fetch(p, { method: "POST", body: b, headers: s.admin });
    assert.equal(r.status, status, r.text);
    assert.match(r.text, msg);
    assert.doesNotMatch(r.text, /at .*\.ts:\d+/, "no stack traces");
  };
  await bad(path, "{", 400, /not valid JSON/);
  await bad(path, "[]", 400, /must be a JSON object/);
  await bad(path, JSON.stringify({ spec: { expirationSeconds: 60 } }), 400, /may not specify a duration less than 10 minutes/);
  await bad(path, JSON.stringify({ spec: { audiences: "x" } }), 400, /list of non-empty strings/);
  await bad(path, JSON.stringify({ spec: { boundObjectRef: { kind: "Secret", name: "s" } } }), 400, /cannot bind token to object of type/);
  await bad(path, JSON.stringify({ metadata: { name: "other" } }), 400, /must match the service account name/);
  await bad("/api/v1/namespaces/default/serviceaccounts/ghost/token", "{}", 404, /serviceaccounts \\"ghost\\" not found/);
  await bad(path, JSON.stringify({ spec: { boundObjectRef: { kind: "Pod", name: "gone" } } }), 404, /pods \\"gone\\" not found/);
  await bad(path, "x".repeat(70 * 1024), 413, /exceeds the limit/);
  const d = await s.fetch("/decisions?kind=token", { headers: s.admin });
  const recs = (d.json() as { decisions: { action: string; subject: string }[] }).decisions;
  assert.equal(recs.length, 1);
  assert.equal(recs[0]!.subject, "system:serviceaccount:default:demo");
  assert.ok(!d.text.includes(tr.status.token), "the decision log never holds the token");
});

test("health, readiness, metrics, unknown routes and the admin-only decision log", async (t) => {
  const s = await startTestServer(t);
  assert.equal((await s.fetch("/healthz")).text, "ok");
  assert.equal((await s.fetch("/readyz")).status, 200);
  const m = await s.fetch("/metrics");
  assert.match(m.text, /kubeiam_http_requests_total\{route="\/readyz",code="200"\} 1/);
  assert.match(m.text, /kubeiam_store_objects 1\n/, "the admin IAMUser created on first start");
  const nf = await s.fetch("/nope");
  assert.equal(nf.status, 404);
  assert.equal((nf.json() as { code: string }).code, "NOT_FOUND");
  assert.equal((await s.fetch("/healthz", { method: "POST", body: "" })).status, 405);
  const head = await s.fetch("/healthz", { method: "HEAD" });
  assert.equal(head.status, 200, "HEAD is answered by the GET route (load balancers probe with it)");
  assert.equal(head.headers.get("content-length"), "2");
  assert.equal(head.text, "");
  assert.equal((await s.fetch("/decisions")).status, 401);
  s.app.decisions.record({ kind: "authn", action: "TokenReview", subject: "alice", allowed: false, summary: "no mapping", reasons: [{ check: "x", ok: false, message: "token eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln was bad" }] });
  const d = await s.fetch("/decisions", { headers: s.admin });
  assert.equal(d.status, 200);
  assert.ok(!d.text.includes("eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln"));
  const cli = await kubeiam(["decisions", "--state-dir", s.stateDir, "--server", s.url, "--config", s.configFile, "-o", "json"]);
  assert.equal(cli.code, 0, cli.stderr);
  assert.equal(JSON.parse(cli.stdout).decisions[0].subject, "alice");
  const text = await kubeiam(["decisions", "--state-dir", s.stateDir, "--server", s.url, "--config", s.configFile]);
  assert.match(text.stdout, /DENY\s+authn\/TokenReview\s+alice\s+no mapping/);
});
