/**
 * A real kube-apiserver wired to kubeiam (issuer and keys, TokenReview and SubjectAccessReview
 * webhooks, admission webhook configurations), and the seed's service-account flow replayed with
 * the real kubectl and curl: `kubectl create token demo` → 403 with kube's exact message →
 * `kubectl create clusterrolebinding demo-cluster-rule …` → 200. Also: the token verifies with
 * kubeiam's published discovery document and JWKS, a token kubeiam mints is accepted by
 * kube-apiserver, and kubeiam's /authorize decides what kube-apiserver's own RBAC has no opinion on.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { createLocalJWKSet, decodeJwt, jwtVerify, type JSONWebKeySet } from "jose";
import type { KubeObject } from "../../src/store/types.js";
import { curl, e2ePrerequisites, eventually, startWiredCluster, type WiredCluster } from "./lib/kubeiam.js";

const pre = await e2ePrerequisites(["kubectl", "curl"]);

const FORBIDDEN_DEMO =
  'deployments.apps is forbidden: User "system:serviceaccount:default:demo" cannot list resource "deployments" in API group "apps" at the cluster scope';

interface Status {
  kind: string;
  status: string;
  message: string;
  reason: string;
  code: number;
  details?: Record<string, unknown>;
}

interface WebhookConfiguration {
  webhooks: {
    name: string;
    failurePolicy: string;
    clientConfig: { url?: string; caBundle: string };
  }[];
}

function kids(jwks: JSONWebKeySet): string[] {
  return jwks.keys.map((k) => String(k.kid)).sort();
}

void describe("kube-apiserver wired to kubeiam; the service-account flow", { skip: pre.skip }, () => {
  let w: WiredCluster;

  before(
    async () => {
      assert.ok(pre.skip === false);
      w = await startWiredCluster({ binaries: pre.binaries });
      await w.cluster.kubectl(["create", "serviceaccount", "demo", "--namespace", "default"]);
    },
    { timeout: 240_000 },
  );

  after(async () => {
    await w?.stop();
  });

  const authzDecisionsFor = (
    user: string,
  ): {
    allowed: boolean;
    summary: string;
    reasons: readonly { check: string; message: string; source?: string }[];
  }[] => w.kubeiam.decisions({ kind: "authz" }).filter((d) => d.subject === user);

  void test(
    "wiring: kube-apiserver publishes kubeiam's issuer and keys; the admission webhooks point at kubeiam and fail closed",
    { timeout: 120_000 },
    async () => {
      const c = w.cluster;
      const kubeDiscovery = JSON.parse(
        (await c.kubectl(["get", "--raw", "/.well-known/openid-configuration"])).stdout,
      ) as { issuer: string };
      const ours = await curl(`${w.kubeiam.url}/.well-known/openid-configuration`, {
        caFile: w.kubeiam.caFile,
      });
      assert.equal(ours.status, 200);
      const kubeiamDiscovery = JSON.parse(ours.body) as { issuer: string; jwks_uri: string };
      assert.equal(kubeiamDiscovery.issuer, w.kubeiam.url);
      assert.equal(kubeDiscovery.issuer, kubeiamDiscovery.issuer, "one issuer for both");

      const kubeJwks = JSON.parse(
        (await c.kubectl(["get", "--raw", "/openid/v1/jwks"])).stdout,
      ) as JSONWebKeySet;
      const jwksAnswer = await curl(kubeiamDiscovery.jwks_uri, { caFile: w.kubeiam.caFile });
      const kubeiamJwks = JSON.parse(jwksAnswer.body) as JSONWebKeySet;
      assert.ok(kubeiamJwks.keys.length > 0);
      assert.deepEqual(
        kids(kubeJwks),
        kids(kubeiamJwks),
        "kube-apiserver serves kubeiam's exported keys under the same kids",
      );

      const ca = Buffer.from(w.kubeiam.app.tls.ca ?? "")
        .toString("utf8")
        .trim();
      for (const [kind, path] of [
        ["mutatingwebhookconfiguration", "/admission/mutate"],
        ["validatingwebhookconfiguration", "/admission/validate"],
      ] as const) {
        const cfg = JSON.parse(
          (await c.kubectl(["get", kind, "kubeiam-tenancy", "-o", "json"])).stdout,
        ) as WebhookConfiguration;
        const enforcing = cfg.webhooks[0];
        assert.ok(enforcing);
        assert.equal(enforcing.clientConfig.url, `${w.kubeiam.url}${path}`);
        assert.equal(Buffer.from(enforcing.clientConfig.caBundle, "base64").toString("utf8").trim(), ca);
        assert.equal(enforcing.failurePolicy, "Fail");
      }
    },
  );

  void test(
    "seed: `kubectl create token demo` → curl 403 with kube's exact message → clusterrolebinding → 200",
    { timeout: 120_000 },
    async () => {
      const c = w.cluster;
      const token = (await c.kubectl(["create", "token", "demo", "--namespace", "default"])).stdout.trim();
      const claims = decodeJwt(token);
      assert.equal(claims.iss, w.kubeiam.url, "kube-apiserver issues tokens as kubeiam's issuer");
      assert.equal(claims.sub, "system:serviceaccount:default:demo");

      const url = `${c.serverUrl}/apis/apps/v1/deployments`;
      const denied = await curl(url, { caFile: c.caPath, token });
      assert.equal(denied.status, 403, denied.body);
      const status = JSON.parse(denied.body) as Status;
      assert.equal(status.message, FORBIDDEN_DEMO);
      assert.deepEqual(
        {
          kind: status.kind,
          status: status.status,
          reason: status.reason,
          code: status.code,
          details: status.details,
        },
        {
          kind: "Status",
          status: "Failure",
          reason: "Forbidden",
          code: 403,
          details: { group: "apps", kind: "deployments" },
        },
      );
      // kube-apiserver's RBAC had no opinion, so it asked kubeiam's /authorize, which said no and why
      const asked = authzDecisionsFor("system:serviceaccount:default:demo");
      const last = asked.at(-1);
      assert.ok(last, "kubeiam's SubjectAccessReview webhook was called");
      assert.equal(last.allowed, false);
      assert.match(last.summary, /^list deployments\.apps \(cluster scope\)/);
      assert.ok(
        last.reasons.some((r) => r.check === "rbac.no-match"),
        JSON.stringify(last.reasons),
      );

      await c.kubectl([
        "create",
        "clusterrolebinding",
        "demo-cluster-rule",
        "--clusterrole=cluster-admin",
        "--serviceaccount=default:demo",
      ]);
      // kube-apiserver's RBAC authorizer sees the binding through its informer, within moments
      const ok = await eventually("the binding to take effect", async () => {
        const r = await curl(url, { caFile: c.caPath, token });
        return r.status === 200 ? r : undefined;
      });
      assert.equal((JSON.parse(ok.body) as { kind: string }).kind, "DeploymentList");
      const before = authzDecisionsFor("system:serviceaccount:default:demo").length;
      assert.equal((await curl(url, { caFile: c.caPath, token })).status, 200);
      assert.equal(
        authzDecisionsFor("system:serviceaccount:default:demo").length,
        before,
        "allowed by kube-apiserver's RBAC, which comes before the webhook: kubeiam is not asked",
      );
    },
  );

  void test(
    "a token from kube-apiserver's TokenRequest verifies with kubeiam's discovery document and JWKS",
    { timeout: 60_000 },
    async () => {
      const token = (
        await w.cluster.kubectl([
          "create",
          "token",
          "demo",
          "--namespace",
          "default",
          "--audience",
          "https://example.test",
        ])
      ).stdout.trim();
      const jwks = JSON.parse(
        (await curl(`${w.kubeiam.url}/openid/v1/jwks`, { caFile: w.kubeiam.caFile })).body,
      ) as JSONWebKeySet;
      const { payload, protectedHeader } = await jwtVerify(token, createLocalJWKSet(jwks), {
        issuer: w.kubeiam.url,
        audience: "https://example.test",
      });
      assert.equal(payload.sub, "system:serviceaccount:default:demo");
      assert.ok(kids(jwks).includes(String(protectedHeader.kid)));
    },
  );

  void test(
    "a token minted by kubeiam (`kubeiam token create`) is accepted by kube-apiserver itself",
    { timeout: 60_000 },
    async () => {
      // kubeiam mints for ServiceAccounts in its own store: mirror demo (with kube-apiserver's uid)
      const sa = await w.mirror("ServiceAccount", "demo", "default");
      assert.ok(sa.metadata.uid);
      const minted = await w.kubeiam.cli([
        "token",
        "create",
        "--service-account",
        "demo",
        "--namespace",
        "default",
      ]);
      assert.equal(minted.code, 0, minted.stderr);
      const token = minted.stdout.trim();
      const authnBefore = w.kubeiam.decisions({ kind: "authn" }).length;
      const who = await w.kubectlWithToken(token, ["auth", "whoami", "-o", "json"]);
      const review = JSON.parse(who.stdout) as {
        status: { userInfo: { username: string; groups: string[] } };
      };
      assert.equal(review.status.userInfo.username, "system:serviceaccount:default:demo");
      assert.deepEqual(review.status.userInfo.groups, [
        "system:serviceaccounts",
        "system:serviceaccounts:default",
        "system:authenticated",
      ]);
      assert.equal(
        w.kubeiam.decisions({ kind: "authn" }).length,
        authnBefore,
        "kube-apiserver verified the token with kubeiam's exported key itself; no TokenReview was needed",
      );
    },
  );

  void test(
    "kubeiam's /authorize grants what only kubeiam's RBAC objects allow, and stops when they go",
    { timeout: 120_000 },
    async () => {
      const c = w.cluster;
      await c.kubectl(["create", "serviceaccount", "reader", "--namespace", "default"]);
      await c.kubectl([
        "create",
        "configmap",
        "e2e-settings",
        "--namespace",
        "default",
        "--from-literal=k=v",
      ]);
      const token = (await c.kubectl(["create", "token", "reader", "--namespace", "default"])).stdout.trim();
      const user = "system:serviceaccount:default:reader";
      const list = (): Promise<{ code: number; stdout: string; stderr: string }> =>
        w.kubectlWithToken(token, ["get", "configmaps", "--namespace", "default"], { allowFailure: true });

      const denied = await list();
      assert.notEqual(denied.code, 0);
      assert.match(
        denied.stderr,
        /configmaps is forbidden: User "system:serviceaccount:default:reader" cannot list resource "configmaps" in API group "" in the namespace "default"/,
      );

      const role: KubeObject = {
        apiVersion: "rbac.authorization.k8s.io/v1",
        kind: "ClusterRole",
        metadata: { name: "e2e-configmap-reader" },
        rules: [{ apiGroups: [""], resources: ["configmaps"], verbs: ["get", "list", "watch"] }],
      };
      const binding: KubeObject = {
        apiVersion: "rbac.authorization.k8s.io/v1",
        kind: "RoleBinding",
        metadata: { name: "e2e-reader", namespace: "default" },
        roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "e2e-configmap-reader" },
        subjects: [{ kind: "ServiceAccount", name: "reader", namespace: "default" }],
      };
      // in kubeiam's store only: kube-apiserver's RBAC does not know them
      await w.kubeiam.put(role, binding);
      const absent = await c.kubectl(["get", "rolebinding", "e2e-reader", "--namespace", "default"], {
        allowFailure: true,
      });
      assert.match(absent.stderr, /NotFound|not found/);

      const allowed = await list();
      assert.equal(allowed.code, 0, allowed.stderr);
      assert.match(allowed.stdout, /^e2e-settings\s+1\s/m);
      const decision = authzDecisionsFor(user).at(-1);
      assert.ok(decision);
      assert.equal(decision.allowed, true);
      assert.match(decision.summary, /^list configmaps in default/);
      assert.ok(
        JSON.stringify(decision.reasons).includes("e2e-reader"),
        `the reasons name the binding: ${JSON.stringify(decision.reasons)}`,
      );

      await w.kubeiam.remove({ kind: "RoleBinding", namespace: "default", name: "e2e-reader" });
      const again = await list();
      assert.notEqual(again.code, 0, "removing the binding from kubeiam's store takes the access away");
      assert.match(again.stderr, /forbidden/);
    },
  );
});
