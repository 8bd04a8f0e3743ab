/**
 * The ObjectStore conformance suite: every store implementation (directory, Kubernetes API) must
 * pass it. Call `storeConformance(name, factory)` from the implementation's test file.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import type { KubeObject, ObjectStore, WatchEvent } from "../../../src/store/types.js";
import { KubeiamError } from "../../../src/lib/errors.js";

export interface StoreUnderTest {
  store: ObjectStore;
  close(): Promise<void>;
}

const sa = (name: string, ns = "default", extra: Partial<KubeObject["metadata"]> = {}): KubeObject => ({ apiVersion: "v1", kind: "ServiceAccount", metadata: { name, namespace: ns, ...extra } });

function waitForEvent(events: WatchEvent[], pred: (e: WatchEvent) => boolean, ms = 5000): Promise<WatchEvent> {
  return new Promise((resolve, reject) => {
    const start = Date.now();
    const tick = (): void => {
      const e = events.find(pred);
      if (e) resolve(e);
      else if (Date.now() - start > ms) reject(new Error("timed out waiting for a watch event"));
      else setTimeout(tick, 10);
    };
    tick();
  });
}

export function storeConformance(name: string, factory: () => Promise<StoreUnderTest>): void {
  describe(`ObjectStore conformance: ${name}`, () => {
    const withStore = (fn: (s: ObjectStore) => Promise<void>) => async () => {
      const s = await factory();
      try {
        await s.store.start();
        await fn(s.store);
      } finally {
        await s.close();
      }
    };

    test("put assigns uid, creationTimestamp and resourceVersion; get returns a copy", withStore(async (store) => {
      const created = await store.put(sa("a"));
      assert.match(created.metadata.uid ?? "", /^[0-9a-f-]{36}$/);
      assert.ok(created.metadata.resourceVersion);
      assert.match(created.metadata.creationTimestamp ?? "", /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
      const got = await store.get({ kind: "ServiceAccount", namespace: "default", name: "a" });
      assert.equal(got?.metadata.uid, created.metadata.uid);
      got!.metadata.name = "mutated";
      assert.equal((await store.get({ kind: "ServiceAccount", namespace: "default", name: "a" }))?.metadata.name, "a");
    }));

    test("update keeps uid and creationTimestamp and changes resourceVersion", withStore(async (store) => {
      const a = await store.put(sa("a"));
      const b = await store.put({ ...sa("a"), metadata: { ...sa("a").metadata, labels: { x: "1" } } });
      assert.equal(b.metadata.uid, a.metadata.uid);
      assert.equal(b.metadata.creationTimestamp, a.metadata.creationTimestamp);
      assert.notEqual(b.metadata.resourceVersion, a.metadata.resourceVersion);
      assert.deepEqual(b.metadata.labels, { x: "1" });
    }));

    test("a stale resourceVersion is a conflict and changes nothing", withStore(async (store) => {
      const a = await store.put(sa("a"));
      await store.put({ ...a, metadata: { ...a.metadata, labels: { v: "2" } } });
      await assert.rejects(store.put({ ...a, metadata: { ...a.metadata, labels: { v: "3" } } }), (e: unknown) => e instanceof KubeiamError && e.code === "STORE_CONFLICT");
      assert.deepEqual((await store.get({ kind: "ServiceAccount", namespace: "default", name: "a" }))?.metadata.labels, { v: "2" });
    }));

    test("list filters by kind, namespace and labels", withStore(async (store) => {
      await store.put(sa("a", "ns1", { labels: { team: "x" } }));
      await store.put(sa("b", "ns1"));
      await store.put(sa("c", "ns2", { labels: { team: "x" } }));
      await store.put({ apiVersion: "v1", kind: "Namespace", metadata: { name: "ns1" } });
      assert.deepEqual((await store.list("ServiceAccount")).map((o) => o.metadata.name).sort(), ["a", "b", "c"]);
      assert.deepEqual((await store.list("ServiceAccount", { namespace: "ns1" })).map((o) => o.metadata.name).sort(), ["a", "b"]);
      assert.deepEqual((await store.list("ServiceAccount", { labelSelector: { team: "x" } })).map((o) => o.metadata.name).sort(), ["a", "c"]);
      assert.equal((await store.list("Namespace")).length, 1);
      assert.equal((await store.list("Namespace"))[0]?.metadata.namespace, undefined);
    }));

    test("namespaced kinds default to namespace default; cluster kinds drop a namespace", withStore(async (store) => {
      const a = await store.put({ apiVersion: "v1", kind: "ServiceAccount", metadata: { name: "nons" } });
      assert.equal(a.metadata.namespace, "default");
      const cr = await store.put({ apiVersion: "rbac.authorization.k8s.io/v1", kind: "ClusterRole", metadata: { name: "system:x", namespace: "ignored" }, rules: [] });
      assert.equal(cr.metadata.namespace, undefined);
      assert.ok(await store.get({ kind: "ClusterRole", name: "system:x" }));
    }));

    test("delete removes and reports whether something was deleted", withStore(async (store) => {
      await store.put(sa("a"));
      assert.equal(await store.delete({ kind: "ServiceAccount", namespace: "default", name: "a" }), true);
      assert.equal(await store.get({ kind: "ServiceAccount", namespace: "default", name: "a" }), undefined);
      assert.equal(await store.delete({ kind: "ServiceAccount", namespace: "default", name: "a" }), false);
    }));

    test("invalid objects and unknown kinds are rejected with clear codes", withStore(async (store) => {
      await assert.rejects(store.put({ apiVersion: "v1", kind: "ServiceAccount", metadata: { name: "Bad_Name" } }), (e: unknown) => e instanceof KubeiamError && e.code === "STORE_OBJECT_INVALID" && e.message.includes("metadata.name"));
      await assert.rejects(store.put({ apiVersion: "v1", kind: "Gadget", metadata: { name: "g" } }), (e: unknown) => e instanceof KubeiamError && e.code === "STORE_UNKNOWN_KIND");
      await assert.rejects(store.put({ apiVersion: "v2", kind: "ServiceAccount", metadata: { name: "x" } }), (e: unknown) => e instanceof KubeiamError && e.code === "STORE_OBJECT_INVALID" && e.message.includes("apiVersion"));
      await assert.rejects(store.put({ apiVersion: "kubeiam.io/v1alpha1", kind: "IAMRole", metadata: { name: "r" } }), (e: unknown) => e instanceof KubeiamError && e.code === "STORE_OBJECT_INVALID" && e.message.includes("spec"));
      assert.equal((await store.list("ServiceAccount")).length, 0);
    }));

    test("watch replays existing objects, then streams ADDED, MODIFIED and DELETED", withStore(async (store) => {
      await store.put(sa("existing"));
      const events: WatchEvent[] = [];
      const stop = store.watch((e) => events.push(e));
      try {
        await waitForEvent(events, (e) => e.type === "ADDED" && e.object.metadata.name === "existing");
        await store.put(sa("new"));
        await waitForEvent(events, (e) => e.type === "ADDED" && e.object.metadata.name === "new");
        await store.put({ ...sa("new"), metadata: { ...sa("new").metadata, labels: { a: "b" } } });
        await waitForEvent(events, (e) => e.type === "MODIFIED" && e.object.metadata.name === "new");
        await store.delete({ kind: "ServiceAccount", namespace: "default", name: "new" });
        await waitForEvent(events, (e) => e.type === "DELETED" && e.object.metadata.name === "new");
      } finally {
        stop();
      }
      const n = events.length;
      await store.put(sa("after-stop"));
      await new Promise((r) => setTimeout(r, 100));
      assert.equal(events.length, n, "no events after unsubscribe");
    }));

    test("concurrent puts of different objects all land", withStore(async (store) => {
      await Promise.all(Array.from({ length: 25 }, (_, i) => store.put(sa(`c${i}`))));
      assert.equal((await store.list("ServiceAccount")).length, 25);
    }));
  });
}
