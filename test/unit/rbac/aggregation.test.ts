import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { AggregationInput } from "../../../src/rbac/aggregate-cluster-roles.js";
import { aggregateClusterRole, aggregateClusterRoles } from "../../../src/rbac/aggregate-cluster-roles.js";
import { parseClusterRole } from "../../../src/rbac/lib/parse-objects.js";
import { RbacIndex } from "../../../src/rbac/rbac-index.js";
import type { KubeObject } from "../../../src/store/types.js";
import { fixture, rbac, ruleOf } from "./helpers.js";

interface Case {
  name: string;
  clusterRoles: KubeObject[];
  sync?: { target: string; rules: Record<string, string[]>[] };
  settled?: Record<string, Record<string, string[]>[]>;
}

const cases = fixture<Case[]>("aggregation.yaml");

function inputs(objs: KubeObject[]): Map<string, AggregationInput> {
  const m = new Map<string, AggregationInput>();
  for (const o of objs) {
    const p = parseClusterRole(o);
    assert.ok(p.value, `fixture ClusterRole ${o.metadata.name} is valid: ${JSON.stringify(p.problems)}`);
    m.set(p.value.name, p.value);
  }
  return m;
}

describe("aggregation.yaml", () => {
  assert.ok(cases.length >= 8, "fixture loaded");
  for (const c of cases) {
    test(c.name, () => {
      const all = inputs(c.clusterRoles);
      if (c.sync) {
        const target = all.get(c.sync.target)!;
        assert.deepEqual(
          aggregateClusterRole(target, all.values()),
          c.sync.rules.map(ruleOf),
          "one controller sync",
        );
      }
      if (c.settled) {
        const settled = aggregateClusterRoles(all);
        const idx = RbacIndex.from(c.clusterRoles);
        for (const [name, rules] of Object.entries(c.settled)) {
          assert.deepEqual(settled.get(name), rules.map(ruleOf), `settled ${name}`);
          assert.deepEqual(idx.clusterRoleRules(name), rules.map(ruleOf), `index ${name}`);
        }
      }
      assert.ok(c.sync ?? c.settled, "case asserts something");
    });
  }
});

describe("the index keeps aggregated roles current", () => {
  const sel = { aggregationRule: { clusterRoleSelectors: [{ matchLabels: { "to-agg": "true" } }] } };
  const get = ruleOf({ verbs: ["get"], apiGroups: [""], resources: ["pods"] });
  const list = ruleOf({ verbs: ["list"], apiGroups: [""], resources: ["pods"] });

  test("a source added, relabelled, changed and deleted updates the aggregate", () => {
    const idx = new RbacIndex();
    idx.apply({ type: "ADDED", object: rbac.clusterRole("agg", [], sel) });
    assert.deepEqual(idx.clusterRoleRules("agg"), []);
    const src = rbac.clusterRole(
      "src",
      [{ verbs: ["get"], apiGroups: [""], resources: ["pods"] }],
      {},
      { "to-agg": "true" },
    );
    idx.apply({ type: "ADDED", object: src });
    assert.deepEqual(idx.clusterRoleRules("agg"), [get]);
    idx.apply({
      type: "MODIFIED",
      object: rbac.clusterRole(
        "src",
        [{ verbs: ["list"], apiGroups: [""], resources: ["pods"] }],
        {},
        { "to-agg": "true" },
      ),
    });
    assert.deepEqual(idx.clusterRoleRules("agg"), [list]);
    idx.apply({
      type: "MODIFIED",
      object: rbac.clusterRole(
        "src",
        [{ verbs: ["list"], apiGroups: [""], resources: ["pods"] }],
        {},
        { other: "x" },
      ),
    });
    assert.deepEqual(idx.clusterRoleRules("agg"), [], "label removed: no longer aggregated");
    idx.apply({ type: "MODIFIED", object: src });
    assert.deepEqual(idx.clusterRoleRules("agg"), [get]);
    idx.apply({ type: "DELETED", object: src });
    assert.deepEqual(idx.clusterRoleRules("agg"), []);
  });

  test("a change deep in a chain reaches the top; a selector change re-aggregates", () => {
    const idx = RbacIndex.from([
      rbac.clusterRole("top", [], sel),
      rbac.clusterRole(
        "mid",
        [],
        { aggregationRule: { clusterRoleSelectors: [{ matchLabels: { "to-mid": "true" } }] } },
        { "to-agg": "true" },
      ),
      rbac.clusterRole(
        "leaf",
        [{ verbs: ["get"], apiGroups: [""], resources: ["pods"] }],
        {},
        { "to-mid": "true" },
      ),
    ]);
    assert.deepEqual(idx.clusterRoleRules("top"), [get]);
    idx.apply({
      type: "MODIFIED",
      object: rbac.clusterRole(
        "leaf",
        [{ verbs: ["list"], apiGroups: [""], resources: ["pods"] }],
        {},
        { "to-mid": "true" },
      ),
    });
    assert.deepEqual(idx.clusterRoleRules("top"), [list]);
    idx.apply({
      type: "MODIFIED",
      object: rbac.clusterRole("top", [], {
        aggregationRule: { clusterRoleSelectors: [{ matchLabels: { nothing: "true" } }] },
      }),
    });
    assert.deepEqual(idx.clusterRoleRules("top"), []);
    idx.apply({
      type: "MODIFIED",
      object: rbac.clusterRole("top", [{ verbs: ["delete"], apiGroups: [""], resources: ["pods"] }]),
    });
    assert.deepEqual(
      idx.clusterRoleRules("top"),
      [ruleOf({ verbs: ["delete"], apiGroups: [""], resources: ["pods"] })],
      "aggregationRule removed: own rules count again",
    );
  });

  test("a malformed source does not contribute", () => {
    const idx = RbacIndex.from([
      rbac.clusterRole("agg", [], sel),
      rbac.clusterRole("bad", [{ verbs: ["get"] }], {}, { "to-agg": "true" }),
    ]);
    assert.deepEqual(idx.clusterRoleRules("agg"), []);
    assert.equal(idx.problems().filter((p) => p.name === "bad" && p.severity === "error").length, 2);
  });
});
