/**
 * KubernetesStore over an in-memory API (kube-fake-api.ts): the ObjectStore conformance suite, then
 * the informer behaviour a real server only shows now and then — a write's own watch echo delivered
 * once, events lost in transit recovered by a relist after "410 Expired" or by the periodic resync,
 * watch failures reported once and recovered, a kind whose CRD is missing reported while the others
 * serve, and the scope label. The same store against a real kube-apiserver:
 * test/e2e/store-conformance.test.ts.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import "../../../src/kinds-setup.js";
import { KubeiamError } from "../../../src/lib/errors.js";
import {
  compareResourceVersions,
  fromApiObject,
  KubernetesStore,
  toApiObject,
  type KubernetesStoreOptions,
} from "../../../src/store/kubernetes-store.js";
import { resourceFor } from "../../../src/store/kube/resources.js";
import {
  labelSelectorString,
  matchesFieldSelector,
  parseFieldSelector,
} from "../../../src/store/kube/selectors.js";
import type { KubeObject, LoadProblem, WatchEvent } from "../../../src/store/types.js";
import { storeConformance } from "./conformance.js";
import { FakeKubeApi } from "./kube-fake-api.js";

const FAST = { backoff: { initialMs: 5, maxMs: 20 } };

storeConformance("KubernetesStore (in-memory API)", () => {
  const api = new FakeKubeApi();
  const store = new KubernetesStore(api, FAST);
  return Promise.resolve({ store, close: () => store.close() });
});

const sa = (name: string, ns = "default", labels?: Record<string, string>): KubeObject => ({
  apiVersion: "v1",
  kind: "ServiceAccount",
  metadata: { name, namespace: ns, ...(labels ? { labels } : {}) },
});
const role = (
  name: string,
  spec: Record<string, unknown> = { assumeRolePolicyDocument: "{}" },
): KubeObject => ({ apiVersion: "kubeiam.io/v1alpha1", kind: "IAMRole", metadata: { name }, spec });

async function until(what: string, pred: () => boolean, ms = 2000): Promise<void> {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

async function started(
  opts: KubernetesStoreOptions = {},
  api = new FakeKubeApi(),
): Promise<{
  api: FakeKubeApi;
  store: KubernetesStore;
  events: WatchEvent[];
  problems: LoadProblem[];
  close(): Promise<void>;
}> {
  const store = new KubernetesStore(api, { ...FAST, ...opts });
  await store.start();
  const events: WatchEvent[] = [];
  const problems: LoadProblem[] = [];
  store.watch(
    (e) => events.push(e),
    (p) => problems.push(p),
  );
  return { api, store, events, problems, close: () => store.close() };
}

const names = (evs: WatchEvent[]): string[] =>
  evs.map((e) => `${e.type} ${e.object.kind} ${e.object.metadata.name}`);

describe("KubernetesStore informer behaviour", () => {
  test("a write is seen at once by the writer, and its watch echo is not delivered a second time", async () => {
    const s = await started();
    try {
      const a = await s.store.put(sa("a"));
      assert.equal(
        (await s.store.get({ kind: "ServiceAccount", namespace: "default", name: "a" }))?.metadata
          .resourceVersion,
        a.metadata.resourceVersion,
      );
      await s.store.put({ ...a, metadata: { ...a.metadata, labels: { x: "1" } } });
      await s.store.delete({ kind: "ServiceAccount", namespace: "default", name: "a" });
      await new Promise((r) => setTimeout(r, 30));
      assert.deepEqual(names(s.events), [
        "ADDED ServiceAccount a",
        "MODIFIED ServiceAccount a",
        "DELETED ServiceAccount a",
      ]);
    } finally {
      await s.close();
    }
  });

  test("changes lost in transit are recovered by a relist when the watch comes back with 410 Expired", async () => {
    const s = await started();
    try {
      await s.store.put(sa("stays"));
      await s.store.put(sa("goes"));
      s.api.paused = true;
      s.api.external("/api/v1/namespaces/default/serviceaccounts", sa("new"));
      s.api.externalDelete("/api/v1/namespaces/default/serviceaccounts/goes");
      s.api.compact();
      s.api.paused = false;
      s.api.endWatches(); // the reflectors re-watch from their old resourceVersion → 410 → relist
      await until("the relist", () =>
        s.events.some((e) => e.object.metadata.name === "goes" && e.type === "DELETED"),
      );
      assert.deepEqual(
        names(s.events).filter((n) => !n.endsWith(" stays")),
        ["ADDED ServiceAccount goes", "ADDED ServiceAccount new", "DELETED ServiceAccount goes"],
      );
      assert.deepEqual((await s.store.list("ServiceAccount")).map((o) => o.metadata.name).sort(), [
        "new",
        "stays",
      ]);
      assert.ok(
        s.api.requests.filter((r) => r === "GET /api/v1/serviceaccounts").length >= 2,
        "listed again",
      );
      assert.deepEqual(s.problems, [], "410 is routine, not a problem");
    } finally {
      await s.close();
    }
  });

  test("the periodic resync catches up with changes the watch never delivered", async () => {
    const s = await started({ resyncMs: 40 });
    try {
      s.api.paused = true;
      s.api.external("/apis/kubeiam.io/v1alpha1/iamroles", role("silent"));
      await until("the resync", () => s.events.some((e) => e.object.metadata.name === "silent"));
      assert.equal(s.events.find((e) => e.object.metadata.name === "silent")?.type, "ADDED");
    } finally {
      await s.close();
    }
  });

  test("watch failures are reported once per distinct message, retried with backoff, and the stream recovers", async () => {
    const api = new FakeKubeApi();
    const s = await started({ watch: ["ServiceAccount"] }, api);
    try {
      const down = new KubeiamError(
        "KUBE_API_UNREACHABLE",
        "cannot reach the Kubernetes API at https://fake.invalid (watch /api/v1/serviceaccounts): ECONNREFUSED",
      );
      api.failNextWatch.push(down, down, down);
      api.endWatches();
      await until("the retries", () => api.requests.filter((r) => r.startsWith("WATCH")).length >= 5);
      await until("a watch is open again", () => api.openWatches === 1);
      api.external("/api/v1/namespaces/default/serviceaccounts", sa("after"));
      await until("the event after recovery", () => s.events.some((e) => e.object.metadata.name === "after"));
      assert.deepEqual(s.problems, [
        {
          source: "/api/v1/serviceaccounts",
          message: `cannot list or watch ServiceAccount: ${down.message}`,
        },
      ]);
    } finally {
      await s.close();
    }
  });

  test("objects the API holds but kubeiam refuses are reported once and left out until fixed", async () => {
    const s = await started();
    try {
      s.api.external("/apis/kubeiam.io/v1alpha1/iamroles", role("bad", { path: "no-slash" }));
      await until("the problem", () => s.problems.length > 0);
      s.api.external(
        "/apis/kubeiam.io/v1alpha1/iamroles",
        role("bad", { path: "no-slash", description: "still bad" }),
      );
      await new Promise((r) => setTimeout(r, 20));
      assert.equal(s.problems.length, 1, "the same problem is not repeated");
      assert.equal(s.problems[0]?.source, "/apis/kubeiam.io/v1alpha1/iamroles/bad");
      assert.match(
        s.problems[0]?.message ?? "",
        /^IAMRole bad is in the API but kubeiam skips it: .*spec\.path: expected a path that starts and ends with \//,
      );
      assert.equal(await s.store.get({ kind: "IAMRole", name: "bad" }), undefined);
      s.api.external(
        "/apis/kubeiam.io/v1alpha1/iamroles",
        role("bad", { path: "/ok/", assumeRolePolicyDocument: "{}" }),
      );
      await until("the fixed role", () => s.events.some((e) => e.object.metadata.name === "bad"));
      assert.equal((await s.store.get({ kind: "IAMRole", name: "bad" }))?.metadata.name, "bad");
      // A valid object that turns invalid leaves the copy (DELETED), like a bad edit of a file.
      s.api.external("/apis/kubeiam.io/v1alpha1/iamroles", role("bad", { path: 3 }));
      await until("the DELETED", () =>
        s.events.some((e) => e.type === "DELETED" && e.object.metadata.name === "bad"),
      );
    } finally {
      await s.close();
    }
  });

  test("a kind whose CRD is not installed is a start problem naming the fix; the other kinds serve, and it appears once installed", async () => {
    const api = new FakeKubeApi();
    api.unserved.add("tenants");
    const store = new KubernetesStore(api, FAST);
    try {
      const r = await store.start();
      assert.deepEqual(r.problems, [
        {
          source: "/apis/kubeiam.io/v1alpha1/tenants",
          message:
            "cannot list Tenant: the API server does not serve Tenant (kubeiam.io); install kubeiam's CRDs with `kubeiam install crds --apply`",
        },
      ]);
      await assert.rejects(
        store.put({
          apiVersion: "kubeiam.io/v1alpha1",
          kind: "Tenant",
          metadata: { name: "t" },
          spec: { namespaces: { names: ["t1"] }, owners: { users: ["u"] } },
        }),
        (e: unknown) =>
          e instanceof KubeiamError &&
          e.code === "KUBE_API_ERROR" &&
          e.message.startsWith("the API server does not serve Tenant (kubeiam.io); install kubeiam's CRDs"),
      );
      await store.put(sa("works"));
      const events: WatchEvent[] = [];
      const later: LoadProblem[] = [];
      store.watch(
        (e) => events.push(e),
        (p) => later.push(p),
      );
      await until(
        "a few retries",
        () => api.requests.filter((x) => x === "GET /apis/kubeiam.io/v1alpha1/tenants").length >= 3,
      );
      assert.deepEqual(later, [], "the problem reported at start is not repeated while it lasts");
      api.unserved.delete("tenants");
      api.external("/apis/kubeiam.io/v1alpha1/tenants", {
        apiVersion: "kubeiam.io/v1alpha1",
        kind: "Tenant",
        metadata: { name: "later" },
        spec: { namespaces: { names: ["t1"] }, owners: { users: ["u"] } },
      });
      await until("the Tenant after the CRD appears", () => events.some((e) => e.object.kind === "Tenant"));
    } finally {
      await store.close();
    }
  });

  test("start fails when nothing can be listed: the API is unreachable", async () => {
    const api = new FakeKubeApi();
    const down = new KubeiamError(
      "KUBE_API_UNREACHABLE",
      "cannot reach the Kubernetes API at https://fake.invalid (GET /api/v1/namespaces): ECONNREFUSED",
    );
    for (let i = 0; i < 3; i++) api.failNext.push(down);
    const store = new KubernetesStore(api, { ...FAST, watch: ["Namespace", "ServiceAccount", "Pod"] });
    await assert.rejects(store.start(), (e: unknown) => e === down);
    await store.close();
  });

  test("follow: false lists once and opens no watch; reads of unwatched kinds go to the API", async () => {
    const api = new FakeKubeApi();
    api.external("/api/v1/namespaces/default/serviceaccounts", sa("pre"));
    api.external("/apis/apps/v1/namespaces/default/deployments", {
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: "web", namespace: "default" },
    });
    const store = new KubernetesStore(api, { follow: false });
    try {
      assert.equal((await store.start()).objects, 1);
      assert.equal(api.openWatches, 0);
      assert.ok(!api.requests.some((r) => r.startsWith("WATCH")));
      const before = api.requests.length;
      assert.equal((await store.list("ServiceAccount")).length, 1);
      assert.equal(api.requests.length, before, "a watched kind is answered from the copy");
      assert.deepEqual(
        (await store.list("Deployment")).map((d) => d.metadata.name),
        ["web"],
      );
      assert.equal(
        (await store.get({ kind: "Deployment", namespace: "default", name: "web" }))?.metadata.name,
        "web",
      );
      assert.equal(await store.get({ kind: "Deployment", namespace: "default", name: "nope" }), undefined);
      assert.equal(api.requests.length, before + 3);
    } finally {
      await store.close();
    }
  });

  test("a put without resourceVersion that loses a race to another writer retries and replaces", async () => {
    const s = await started();
    try {
      await s.store.put(sa("raced"));
      // Another writer changes it between our read and our PUT.
      const realRequest = s.api.request.bind(s.api);
      let once = true;
      s.api.request = async (method, path, opts) => {
        if (once && method === "PUT") {
          once = false;
          s.api.external(
            "/api/v1/namespaces/default/serviceaccounts",
            sa("raced", "default", { by: "other" }),
          );
        }
        return realRequest(method, path, opts);
      };
      const out = await s.store.put(sa("raced", "default", { by: "me" }));
      assert.deepEqual(out.metadata.labels, { by: "me" });
      assert.equal(
        s.api.requests.filter((r) => r === "PUT /api/v1/namespaces/default/serviceaccounts/raced").length,
        2,
      );
    } finally {
      await s.close();
    }
  });

  test("a scope label is added on write, hidden on read, and confines lists, gets and deletes", async () => {
    const api = new FakeKubeApi();
    api.external("/api/v1/namespaces/default/serviceaccounts", sa("outside"));
    const s = await started({ scopeLabel: { key: "run", value: "r1" } }, api);
    try {
      const mine = await s.store.put(sa("inside", "default", { app: "x" }));
      assert.deepEqual(mine.metadata.labels, { app: "x" });
      const raw = (await api.request(
        "GET",
        "/api/v1/namespaces/default/serviceaccounts/inside",
      )) as KubeObject;
      assert.deepEqual(raw.metadata.labels, { app: "x", run: "r1" });
      assert.deepEqual(
        (await s.store.list("ServiceAccount")).map((o) => o.metadata.name),
        ["inside"],
      );
      assert.equal(
        await s.store.get({ kind: "ServiceAccount", namespace: "default", name: "outside" }),
        undefined,
      );
      assert.equal(
        await s.store.delete({ kind: "ServiceAccount", namespace: "default", name: "outside" }),
        false,
      );
      assert.ok(
        await api.request("GET", "/api/v1/namespaces/default/serviceaccounts/outside"),
        "not deleted",
      );
    } finally {
      await s.close();
    }
  });

  test("a namespace that does not exist is STORE_NOT_FOUND", async () => {
    const api = new FakeKubeApi();
    api.requireNamespaces = true;
    const s = await started({}, api);
    try {
      await assert.rejects(
        s.store.put(sa("x", "nowhere")),
        (e: unknown) =>
          e instanceof KubeiamError &&
          e.code === "STORE_NOT_FOUND" &&
          e.message === "cannot create ServiceAccount nowhere/x: namespace nowhere does not exist",
      );
    } finally {
      await s.close();
    }
  });
});

describe("object conversion and resourceVersions", () => {
  test("resourceVersions compare as decimal revisions; anything else is unknown unless equal", () => {
    const cases: [string | undefined, string | undefined, -1 | 0 | 1 | undefined][] = [
      ["9", "10", -1],
      ["10", "9", 1],
      ["123456789012345678901234567890", "123456789012345678901234567890", 0],
      ["99999999999999999999", "100000000000000000000", -1],
      ["abc", "abc", 0],
      ["abc", "abd", undefined],
      ["10", "1a", undefined],
      [undefined, "1", undefined],
      ["", "", 0],
    ];
    for (const [a, b, want] of cases) assert.equal(compareResourceVersions(a, b), want, `${a} vs ${b}`);
  });

  test("the body sent drops server-owned metadata and carries the scope label", () => {
    const obj: KubeObject = {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: {
        name: "c",
        namespace: "n",
        uid: "u",
        resourceVersion: "5",
        creationTimestamp: "t",
        generation: 2,
        managedFields: [],
        selfLink: "/x",
        labels: { a: "b" },
      },
      data: {},
    };
    assert.deepEqual(toApiObject(obj, { key: "run", value: "1" }), {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: "c", namespace: "n", resourceVersion: "5", labels: { a: "b", run: "1" } },
      data: {},
    });
    assert.equal(obj.metadata.uid, "u", "the input is not changed");
  });

  test("list items get their apiVersion and kind; managedFields and the scope label are dropped; the object is checked", () => {
    const r = resourceFor("ServiceAccount");
    const ok = fromApiObject(
      { metadata: { name: "a", namespace: "default", managedFields: [{}], labels: { run: "1" } } },
      r,
      { key: "run", value: "1" },
    );
    assert.deepEqual(ok, {
      ok: true,
      object: { apiVersion: "v1", kind: "ServiceAccount", metadata: { name: "a", namespace: "default" } },
    });
    const bad = fromApiObject({ metadata: { name: "Bad_Name", namespace: "default" } }, r);
    assert.deepEqual(bad, {
      ok: false,
      name: "Bad_Name",
      namespace: "default",
      problems: ['metadata.name: "Bad_Name" is not a valid name for ServiceAccount'],
    });
  });

  test("selectors: label selector strings and the field selectors evaluated locally", () => {
    assert.equal(labelSelectorString({ b: "2", a: "1" }, undefined, { c: "3" }), "a=1,b=2,c=3");
    assert.equal(labelSelectorString(undefined, {}), undefined);
    const secret = {
      apiVersion: "v1",
      kind: "Secret",
      metadata: { name: "s", namespace: "n" },
      type: "kubernetes.io/service-account-token",
    } as KubeObject;
    const cases: [string | undefined, boolean][] = [
      [undefined, true],
      ["type=kubernetes.io/service-account-token", true],
      ["type==kubernetes.io/service-account-token,metadata.name=s", true],
      ["type!=kubernetes.io/service-account-token", false],
      ["metadata.namespace=other", false],
      ["spec.missing=", true],
      ["not a selector", false],
    ];
    for (const [sel, want] of cases) assert.equal(matchesFieldSelector(secret, sel), want, String(sel));
    assert.equal(parseFieldSelector("a=b,,c!=d")?.length, 2);
  });
});
