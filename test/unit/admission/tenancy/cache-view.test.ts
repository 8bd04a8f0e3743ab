import { test } from "node:test";
import assert from "node:assert/strict";
import { CacheTenancyView, type InvalidTenant } from "../../../../src/admission/tenancy/cache-view.js";
import { fixedClock } from "../../../../src/lib/clock.js";
import { ObjectCache } from "../../../../src/store/cache.js";
import type { KubeObject, ObjectStore } from "../../../../src/store/types.js";

/** The cache is fed by hand (apply); the store is never asked. */
const noStore = {} as ObjectStore;

const tenant = (name: string, spec: Record<string, unknown>): KubeObject => ({
  apiVersion: "kubeiam.io/v1alpha1",
  kind: "Tenant",
  metadata: { name },
  spec,
});
const podWithLevel = (name: string, level?: string): KubeObject => ({
  apiVersion: "v1",
  kind: "Pod",
  metadata: { name, namespace: "a-1" },
  spec: { containers: [], ...(level ? { securityContext: { seLinuxOptions: { level } } } : {}) },
});

test("the view follows the cache: tenants, invalid tenants, namespaces, nodes, live pods' MCS levels", () => {
  const cache = new ObjectCache(noStore);
  const invalid: InvalidTenant[] = [];
  cache.apply({
    type: "ADDED",
    object: tenant("a", { namespaces: { prefix: "a-" }, owners: { users: ["u"] } }),
  });
  const view = new CacheTenancyView(cache, { clock: fixedClock(0), onInvalidTenant: (t) => invalid.push(t) });
  assert.equal(view.index.ownerOf("a-1")?.tenant.name, "a");

  cache.apply({ type: "ADDED", object: tenant("b", { namespaces: { prefix: "b-" } }) });
  assert.equal(view.index.size, 1, "an invalid tenant is left out");
  assert.deepEqual(
    invalid.map((t) => t.name),
    ["b"],
  );
  assert.match(view.invalid[0]!.problems.join(), /spec\.owners: required/);
  cache.apply({
    type: "MODIFIED",
    object: tenant("b", { namespaces: { prefix: "b-" }, owners: { groups: ["g"] } }),
  });
  assert.equal(view.index.ownerOf("b-x")?.tenant.name, "b", "the index is rebuilt after a change");
  cache.apply({ type: "DELETED", object: tenant("a", {}) });
  assert.equal(view.index.ownerOf("a-1"), undefined);

  assert.equal(view.namespaceLabels("n"), undefined);
  cache.apply({
    type: "ADDED",
    object: { apiVersion: "v1", kind: "Namespace", metadata: { name: "n", labels: { team: "x" } } },
  });
  assert.deepEqual(view.namespaceLabels("n"), { team: "x" });
  cache.apply({
    type: "ADDED",
    object: {
      apiVersion: "v1",
      kind: "Node",
      metadata: { name: "n1", labels: { a: "b" } },
      spec: { taints: [{ key: "k", value: "v", effect: "NoSchedule" }, "junk"] },
    },
  });
  assert.deepEqual(view.node("n1"), {
    labels: { a: "b" },
    taints: [{ key: "k", value: "v", effect: "NoSchedule" }],
  });

  cache.apply({ type: "ADDED", object: podWithLevel("p1", "s0:c9,c4") });
  cache.apply({ type: "ADDED", object: podWithLevel("p2") });
  assert.ok(view.mcs.inUse("s0:c4,c9"));
  assert.equal(view.mcs.allocate("a-1/p1"), "s0:c4,c9", "a live pod keeps its level");
  assert.equal(view.podsInNamespace("a-1").length, 2);
  cache.apply({ type: "DELETED", object: podWithLevel("p1", "s0:c9,c4") });
  assert.equal(view.mcs.inUse("s0:c4,c9"), false);
  view.close();
});
