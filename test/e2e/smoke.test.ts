/**
 * Smoke test of the e2e harness: a real etcd + kube-apiserver on loopback, driven by the real
 * kubectl. Builds the binaries first when the cache lacks them (progress on stderr).
 */
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { after, before, describe, test } from "node:test";
import { decodeJwt, importSPKI, jwtVerify } from "jose";
import {
  ensureE2eBinaries,
  E2eBinariesUnavailable,
  startCluster,
  type Cluster,
  type E2eBinaries,
} from "./harness.js";
import { probe } from "./lib/net.js";

/** Builds (or finds) the binaries; a missing Go toolchain or module proxy skips, except in CI. */
async function binariesOrSkipReason(): Promise<{ binaries: E2eBinaries } | { skip: string }> {
  try {
    return { binaries: await ensureE2eBinaries() };
  } catch (err) {
    if (
      err instanceof E2eBinariesUnavailable &&
      err.reason === "prerequisite-missing" &&
      process.env["CI"] !== "true"
    ) {
      return { skip: `kube-apiserver/etcd cannot be built here (${err.message}); see docs/e2e.md` };
    }
    throw err;
  }
}

const found = await binariesOrSkipReason();
const skip = "skip" in found ? found.skip : false;
if (skip) process.stderr.write(`[e2e] SKIPPING: ${skip}\n`);

void describe("e2e harness: real kube-apiserver and etcd on loopback", { skip }, () => {
  let cluster: Cluster;

  before(async () => {
    assert.ok("binaries" in found);
    cluster = await startCluster({ binaries: found.binaries });
  });

  after(async () => {
    await cluster?.stop();
  });

  void test("kubectl lists the system namespaces with the admin kubeconfig", async () => {
    const { stdout } = await cluster.kubectl([
      "get",
      "namespaces",
      "-o",
      "jsonpath={.items[*].metadata.name}",
    ]);
    const names = stdout.trim().split(/\s+/);
    assert.ok(names.includes("default"), `namespaces: ${stdout}`);
    assert.ok(names.includes("kube-system"), `namespaces: ${stdout}`);
    const plain = await cluster.kubectl(["get", "namespaces"]);
    assert.match(plain.stdout, /^kube-system\s+Active\s/m);
  });

  void test("the API server reports the pinned Kubernetes version", async () => {
    const { stdout } = await cluster.kubectl(["get", "--raw", "/version"]);
    const version = JSON.parse(stdout) as { gitVersion: string };
    assert.match(version.gitVersion, /^v1\.\d+\.\d+$/);
    if (cluster.versions.k8s !== "external") assert.equal(version.gitVersion, cluster.versions.k8s);
  });

  void test("a service account token is a JWT signed with the configured key, issuer and audience", async () => {
    await cluster.kubectl(["create", "serviceaccount", "demo", "--namespace", "default"]);
    const { stdout } = await cluster.kubectl(["create", "token", "demo", "--namespace", "default"]);
    const token = stdout.trim();
    assert.match(token, /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);

    const publicKeyFile = cluster.serviceAccountKeys.publicKeyFiles[0];
    assert.ok(publicKeyFile);
    const key = await importSPKI(await readFile(publicKeyFile, "utf8"), "RS256");
    const { payload } = await jwtVerify(token, key, {
      issuer: cluster.serviceAccountIssuer,
      audience: cluster.serviceAccountIssuer,
    });
    assert.equal(payload.sub, "system:serviceaccount:default:demo");

    const custom = await cluster.kubectl([
      "create",
      "token",
      "demo",
      "--namespace",
      "default",
      "--audience",
      "sts.amazonaws.com",
    ]);
    assert.deepEqual(decodeJwt(custom.stdout.trim()).aud, ["sts.amazonaws.com"]);
  });

  void test("a token for a missing service account is refused", async () => {
    const res = await cluster.kubectl(["create", "token", "nobody", "--namespace", "default"], {
      allowFailure: true,
    });
    assert.notEqual(res.code, 0);
    assert.match(res.stderr, /serviceaccounts "nobody" not found/);
  });

  void test("RBAC is enforced: a client certificate outside system:masters is forbidden", async () => {
    const alice = await cluster.issueClientCert("alice", ["e2e-testers"]);
    const res = await cluster.kubectl(["get", "namespaces"], {
      kubeconfig: alice.kubeconfigPath,
      allowFailure: true,
    });
    assert.notEqual(res.code, 0);
    assert.match(res.stderr, /User "alice" cannot list resource "namespaces"/);
  });

  void test("restartApiServer keeps the data in etcd", async () => {
    await cluster.kubectl([
      "create",
      "configmap",
      "survives-restart",
      "--namespace",
      "default",
      "--from-literal=k=v",
    ]);
    await cluster.restartApiServer();
    const { stdout } = await cluster.kubectl([
      "get",
      "configmap",
      "survives-restart",
      "--namespace",
      "default",
      "-o",
      "jsonpath={.data.k}",
    ]);
    assert.equal(stdout, "v");
  });

  void test("stop() ends kube-apiserver and etcd", async () => {
    const { serverUrl, etcdUrl, caPath } = cluster;
    const ca = await readFile(caPath, "utf8");
    await cluster.stop();
    await assert.rejects(probe(`${serverUrl}/readyz`, { ca }, 2_000), /ECONNREFUSED/);
    await assert.rejects(probe(`${etcdUrl}/health`, undefined, 2_000), /ECONNREFUSED/);
  });
});
