import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { compactRules, compactString, covers, nonResourceURLCovers } from "../../../src/rbac/covers.js";
import { checkRbacWrite, escalationMessage } from "../../../src/rbac/escalation-check.js";
import { RbacIndex } from "../../../src/rbac/rbac-index.js";
import type { UserInfo } from "../../../src/rbac/types.js";
import type { KubeObject } from "../../../src/store/types.js";
import { fixture, ruleOf } from "./helpers.js";

type R = Record<string, string[]>;
interface Fixture {
  covers: { name: string; owner: R[]; servant: R[]; covered: boolean; uncovered?: R[] }[];
  nonResourceURLCovers: [string, string, boolean][];
  compact: { name: string; rules: R[]; lines: string[] }[];
  writes: {
    store: KubeObject[];
    cases: {
      name: string;
      user: UserInfo;
      operation: "create" | "update";
      object: KubeObject;
      oldObject?: KubeObject;
      allowed: boolean;
      message?: string;
    }[];
  };
}

const fx = fixture<Fixture>("escalation.yaml");

describe("covers (escalation.yaml)", () => {
  assert.ok(fx.covers.length >= 25, "fixture loaded");
  for (const c of fx.covers) {
    test(c.name, () => {
      const res = covers(c.owner.map(ruleOf), c.servant.map(ruleOf));
      assert.equal(res.covered, c.covered);
      assert.deepEqual(res.uncovered, (c.uncovered ?? []).map(ruleOf));
    });
  }
  test("nonResourceURLCovers rows", () => {
    for (const [owner, requested, want] of fx.nonResourceURLCovers)
      assert.equal(nonResourceURLCovers(owner, requested), want, `${owner} covers ${requested}`);
  });
});

describe("compactRules + compactString", () => {
  for (const c of fx.compact) {
    test(c.name, () => {
      assert.deepEqual(compactRules(c.rules.map(ruleOf)).map(compactString).sort(), [...c.lines].sort());
    });
  }
  test("escalationMessage sorts and de-duplicates lines and quotes groups like Go", () => {
    const msg = escalationMessage({ name: "u", groups: ['a"b', "c"] }, [
      ruleOf({ verbs: ["get"], apiGroups: ["z"], resources: ["r"] }),
      ruleOf({ verbs: ["get"], apiGroups: ["a"], resources: ["r"] }),
      ruleOf({ verbs: ["get"], apiGroups: ["a"], resources: ["r"] }),
    ]);
    assert.equal(
      msg,
      'user "u" (groups=["a\\"b" "c"]) is attempting to grant RBAC permissions not currently held:\n{APIGroups:["a"], Resources:["r"], Verbs:["get"]}\n{APIGroups:["z"], Resources:["r"], Verbs:["get"]}',
    );
  });
});

describe("checkRbacWrite (escalation.yaml writes)", () => {
  const idx = RbacIndex.from(fx.writes.store);
  assert.deepEqual(
    idx.problems().filter((p) => p.severity === "error"),
    [],
    "store is valid",
  );
  for (const c of fx.writes.cases) {
    test(c.name, () => {
      const r = checkRbacWrite(
        idx,
        c.user,
        c.oldObject
          ? { operation: c.operation, object: c.object, oldObject: c.oldObject }
          : { operation: c.operation, object: c.object },
      );
      assert.equal(r.allowed, c.allowed, JSON.stringify(r.reasons));
      assert.ok(r.reasons.length > 0);
      if (c.message !== undefined) {
        assert.equal(r.status?.message, c.message);
        assert.equal(r.status.code, c.message.endsWith("not found") ? 404 : 403);
      } else {
        assert.equal(r.status, undefined);
      }
    });
  }
  test("a malformed object is not allowed and says why", () => {
    const r = checkRbacWrite(
      idx,
      { name: "bob", groups: [] },
      {
        operation: "create",
        object: {
          apiVersion: "rbac.authorization.k8s.io/v1",
          kind: "Role",
          metadata: { name: "x", namespace: "team" },
          rules: [{ verbs: [] }],
        },
      },
    );
    assert.equal(r.allowed, false);
    assert.ok(r.reasons.some((x) => x.message.includes("verbs must contain at least one value")));
  });
  test("the refusal Status has the group-resource and name in details", () => {
    const r = checkRbacWrite(
      idx,
      { name: "bob", groups: [] },
      {
        operation: "create",
        object: {
          apiVersion: "rbac.authorization.k8s.io/v1",
          kind: "ClusterRole",
          metadata: { name: "x" },
          rules: [{ verbs: ["get"], apiGroups: [""], resources: ["secrets"] }],
        },
      },
    );
    assert.deepEqual(r.status?.details, {
      name: "x",
      group: "rbac.authorization.k8s.io",
      kind: "clusterroles",
    });
    assert.equal(r.status.reason, "Forbidden");
  });
});
