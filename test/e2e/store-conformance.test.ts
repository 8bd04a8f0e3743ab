/**
 * The Kubernetes-API store against a real kube-apiserver (with kubeiam's CRDs installed): the same
 * ObjectStore conformance suite as the directory store, then what only a real API shows — kubeiam
 * kinds stored as custom resources and printed by kubectl, writes by another client arriving
 * through the watch, objects kubeiam refuses reported and skipped, conflicts with another writer,
 * kinds read straight from the API.
 *
 * Each conformance test gets a store confined to its own label (scopeLabel), so the tests share one
 * cluster without seeing each other's objects or the system namespaces.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, describe, test } from "node:test";
import { parse } from "yaml";
import "../../src/kinds-setup.js";
import { KubeiamError } from "../../src/lib/errors.js";
import { KubernetesStore } from "../../src/store/kubernetes-store.js";
import type { KubeClient } from "../../src/store/kube/client.js";
import type { KubeObject, LoadProblem, WatchEvent } from "../../src/store/types.js";
import { keyOf } from "../../src/store/types.js";
import { storeConformance } from "../unit/store/conformance.js";
import { adminClient, binariesOrSkip, eventually, installCrds } from "./cluster-mode-support.js";
import { startCluster, type Cluster } from "./harness.js";

const found = await binariesOrSkip();
const skip = found.skip;

const SCOPE_KEY = "conformance.kubeiam.io/run";

const trust = JSON.stringify({
  Version: "2012-10-17",
  Statement: [
    {
      Effect: "Allow",
      Principal: { Federated: "arn:aws:iam::000000000000:oidc-provider/example.com" },
      Action: "sts:AssumeRoleWithWebIdentity",
    },
  ],
});

void describe("KubernetesStore on a real kube-apiserver", { skip }, () => {
  let cluster: Cluster;
  const clients: KubeClient[] = [];
  const client = (): KubeClient => {
    const c = adminClient(cluster.kubeconfigPath);
    clients.push(c);
    return c;
  };

  before(async () => {
    assert.ok("binaries" in found);
    cluster = await startCluster({ binaries: found.binaries });
    await installCrds(cluster.kubeconfigPath);
    // The conformance suite writes into ns1 and ns2 before it creates the Namespace ns1.
    await cluster.kubectl(["create", "namespace", "ns1"]);
    await cluster.kubectl(["create", "namespace", "ns2"]);
  });

  after(async () => {
    for (const c of clients) c.close();
    await cluster?.stop();
  });

  storeConformance("KubernetesStore", () => {
    const scope = { key: SCOPE_KEY, value: randomBytes(6).toString("hex") };
    const api = client();
    const store = new KubernetesStore(api, { scopeLabel: scope });
    return Promise.resolve({
      store,
      close: async () => {
        // Remove what this test wrote (namespaces stay: nothing finalizes them without a controller-manager).
        for (const kind of store.watchedKinds().filter((k) => k !== "Namespace")) {
          for (const o of await store.list(kind)) await store.delete(keyOf(o));
        }
        await store.close();
      },
    });
  });

  void describe("what only a real API shows", () => {
    let store: KubernetesStore;
    const events: WatchEvent[] = [];
    const problems: LoadProblem[] = [];

    before(async () => {
      store = new KubernetesStore(client(), { backoff: { initialMs: 100, maxMs: 1000 } });
      const started = await store.start();
      assert.deepEqual(started.problems, [], "every watched kind lists (the CRDs are installed)");
      store.watch(
        (e) => events.push(e),
        (p) => problems.push(p),
      );
    });

    after(async () => {
      await store?.close();
    });

    void test("kubeiam kinds are custom resources: stored, listed by kubectl with their columns, read back unchanged", async () => {
      const role = await store.put({
        apiVersion: "kubeiam.io/v1alpha1",
        kind: "IAMRole",
        metadata: { name: "app-s3" },
        spec: {
          path: "/team/",
          assumeRolePolicyDocument: trust,
          maxSessionDuration: 7200,
          attachedPolicyArns: ["arn:aws:iam::aws:policy/ReadOnlyAccess"],
        },
      });
      assert.match(role.metadata.uid ?? "", /^[0-9a-f-]{36}$/);
      const policy = await store.put({
        apiVersion: "kubeiam.io/v1alpha1",
        kind: "IAMPolicy",
        metadata: { name: "read-s3" },
        spec: {
          document: {
            Version: "2012-10-17",
            Statement: [{ Effect: "Allow", Action: "s3:Get*", Resource: "*" }],
          },
        },
      });
      assert.deepEqual((policy.spec as { document: unknown }).document, {
        Version: "2012-10-17",
        Statement: [{ Effect: "Allow", Action: "s3:Get*", Resource: "*" }],
      });

      const table = await cluster.kubectl(["get", "iamroles"]);
      assert.match(table.stdout, /^NAME\s+PATH\s+MAX SESSION\s+AGE$/m);
      assert.match(table.stdout, /^app-s3\s+\/team\/\s+7200\s+\S+$/m);
      const all = await cluster.kubectl(["get", "kubeiam", "-o", "name"]);
      assert.match(all.stdout, /^iamrole\.kubeiam\.io\/app-s3$/m);
      assert.match(all.stdout, /^iampolicy\.kubeiam\.io\/read-s3$/m);

      const viaKubectl = parse(
        (await cluster.kubectl(["get", "iamrole", "app-s3", "-o", "yaml"])).stdout,
      ) as KubeObject;
      assert.deepEqual(viaKubectl.spec, role.spec);
      assert.equal(viaKubectl.metadata.uid, role.metadata.uid);
      const got = await store.get({ kind: "IAMRole", name: "app-s3" });
      assert.deepEqual(got?.spec, {
        path: "/team/",
        assumeRolePolicyDocument: trust,
        maxSessionDuration: 7200,
        attachedPolicyArns: ["arn:aws:iam::aws:policy/ReadOnlyAccess"],
      });
      assert.equal(got?.metadata.managedFields, undefined, "managedFields are not kept in kubeiam's copy");
    });

    void test("objects written by another client arrive through the watch; objects kubeiam refuses are reported and skipped until fixed", async () => {
      await cluster.kubectl(["create", "serviceaccount", "from-kubectl", "-n", "default"]);
      await eventually("the ServiceAccount written by kubectl", () =>
        events.find(
          (e) =>
            e.type === "ADDED" &&
            e.object.kind === "ServiceAccount" &&
            e.object.metadata.name === "from-kubectl",
        ),
      );
      assert.ok(await store.get({ kind: "ServiceAccount", namespace: "default", name: "from-kubectl" }));

      const bad = `apiVersion: kubeiam.io/v1alpha1\nkind: IAMRole\nmetadata: {name: no-trust}\nspec: {path: /}\n`;
      await cluster.kubectl(["apply", "-f", "-"], { input: bad });
      const p = await eventually("a problem for the role without a trust policy", () =>
        problems.find((x) => x.message.includes("no-trust")),
      );
      assert.equal(p.source, "/apis/kubeiam.io/v1alpha1/iamroles/no-trust");
      assert.match(
        p.message,
        /IAMRole no-trust is in the API but kubeiam skips it: spec\.assumeRolePolicyDocument: required/,
      );
      assert.equal(await store.get({ kind: "IAMRole", name: "no-trust" }), undefined);

      const fixed = `apiVersion: kubeiam.io/v1alpha1\nkind: IAMRole\nmetadata: {name: no-trust}\nspec: {path: /, assumeRolePolicyDocument: '${trust}'}\n`;
      await cluster.kubectl(["apply", "-f", "-"], { input: fixed });
      await eventually("the fixed role", () => store.get({ kind: "IAMRole", name: "no-trust" }));
      assert.ok(
        events.some((e) => e.type === "ADDED" && e.object.metadata.name === "no-trust"),
        "the fixed role arrives as ADDED",
      );

      await cluster.kubectl(["delete", "serviceaccount", "from-kubectl", "-n", "default"]);
      await eventually("the DELETED event", () =>
        events.find((e) => e.type === "DELETED" && e.object.metadata.name === "from-kubectl"),
      );
      assert.equal(
        await store.get({ kind: "ServiceAccount", namespace: "default", name: "from-kubectl" }),
        undefined,
      );
    });

    void test("a write based on what another client has since changed is a conflict; a put without resourceVersion replaces", async () => {
      const mine = await store.put({
        apiVersion: "v1",
        kind: "ConfigMap",
        metadata: { name: "aws-auth", namespace: "kube-system" },
        data: { mapRoles: "[]" },
      });
      await cluster.kubectl(["label", "configmap", "aws-auth", "-n", "kube-system", "edited-by=kubectl"]);
      await assert.rejects(
        store.put({ ...mine, data: { mapRoles: "- rolearn: x" } }),
        (e: unknown) =>
          e instanceof KubeiamError &&
          e.code === "STORE_CONFLICT" &&
          /ConfigMap kube-system\/aws-auth was changed since it was read \(resourceVersion \d+\)/.test(
            e.message,
          ),
      );
      const replaced = await store.put({
        apiVersion: "v1",
        kind: "ConfigMap",
        metadata: { name: "aws-auth", namespace: "kube-system" },
        data: { mapRoles: "- rolearn: y" },
      });
      assert.equal(replaced.metadata.uid, mine.metadata.uid);
      assert.deepEqual(replaced.data, { mapRoles: "- rolearn: y" });
      assert.equal(
        replaced.metadata.labels,
        undefined,
        "a replace is a replace: the label kubectl added is gone",
      );
    });

    void test("kinds not watched, and watches narrowed by namespace or fields, are read from the API", async () => {
      assert.ok(!store.watchedKinds().includes("Deployment"));
      const d = await store.put({
        apiVersion: "apps/v1",
        kind: "Deployment",
        metadata: { name: "web", namespace: "ns1" },
        spec: {
          selector: { matchLabels: { app: "web" } },
          template: {
            metadata: { labels: { app: "web" } },
            spec: { containers: [{ name: "c", image: "nginx" }] },
          },
        },
      });
      assert.equal(d.metadata.namespace, "ns1");
      assert.deepEqual(
        (await store.list("Deployment", { namespace: "ns1" })).map((o) => o.metadata.name),
        ["web"],
      );
      assert.equal(
        (await store.get({ kind: "Deployment", namespace: "ns1", name: "web" }))?.metadata.uid,
        d.metadata.uid,
      );
      // Opaque Secrets are outside the watch (only service-account token Secrets are followed).
      await store.put({
        apiVersion: "v1",
        kind: "Secret",
        metadata: { name: "opaque", namespace: "ns1" },
        data: { k: Buffer.from("v").toString("base64") },
      });
      assert.equal(
        (await store.get({ kind: "Secret", namespace: "ns1", name: "opaque" }))?.metadata.name,
        "opaque",
      );
      assert.ok(
        !events.some((e) => e.object.kind === "Secret" && e.object.metadata.name === "opaque"),
        "not delivered to watchers",
      );
      // A ConfigMap outside kube-system (the watched namespace).
      await store.put({
        apiVersion: "v1",
        kind: "ConfigMap",
        metadata: { name: "elsewhere", namespace: "ns1" },
        data: {},
      });
      assert.deepEqual(
        (await store.list("ConfigMap", { namespace: "ns1" }))
          .map((o) => o.metadata.name)
          .filter((n) => n === "elsewhere"),
        ["elsewhere"],
      );
      assert.equal(await store.delete({ kind: "Deployment", namespace: "ns1", name: "web" }), true);
      assert.equal(await store.get({ kind: "Deployment", namespace: "ns1", name: "web" }), undefined);
    });

    void test("a namespace that does not exist, and a refusal by the API server, have clear errors", async () => {
      await assert.rejects(
        store.put({
          apiVersion: "v1",
          kind: "ServiceAccount",
          metadata: { name: "x", namespace: "nowhere" },
        }),
        (e: unknown) =>
          e instanceof KubeiamError &&
          e.code === "STORE_NOT_FOUND" &&
          e.message === "cannot create ServiceAccount nowhere/x: namespace nowhere does not exist",
      );
      // kubeiam's check passes (it does not model Service specs), the API server's validation refuses.
      await assert.rejects(
        store.put({
          apiVersion: "v1",
          kind: "Service",
          metadata: { name: "bad-port", namespace: "default" },
          spec: { ports: [{ port: 70000 }] },
        }),
        (e: unknown) =>
          e instanceof KubeiamError &&
          e.code === "STORE_OBJECT_INVALID" &&
          /^invalid Service: the API server refused it: spec\.ports\[0\]\.port: Invalid value: 70000: must be between 1 and 65535/.test(
            e.message,
          ),
      );
      // Refused by authorization: a client whose certificate grants nothing.
      const nobody = await cluster.issueClientCert("nobody");
      const { KubeClient } = await import("../../src/store/kube/client.js");
      const api = KubeClient.fromKubeconfig({ kubeconfig: nobody.kubeconfigPath });
      clients.push(api);
      await assert.rejects(
        new KubernetesStore(api).start(),
        (e: unknown) =>
          e instanceof KubeiamError &&
          e.code === "KUBE_API_ERROR" &&
          /^cannot list anything from the Kubernetes API at https:\/\/127\.0\.0\.1:\d+: 403 Forbidden: .*User "nobody" cannot list resource/.test(
            e.message,
          ),
      );
    });
  });
});
