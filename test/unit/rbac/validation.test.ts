import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { parseRbacObject } from "../../../src/rbac/lib/parse-objects.js";
import { RbacIndex } from "../../../src/rbac/rbac-index.js";
import type { KubeObject } from "../../../src/store/types.js";
import { fixture } from "./helpers.js";

interface Case {
  name: string;
  object: KubeObject;
  errors: string[];
  warnings?: string[];
}

const cases = fixture<Case[]>("validation.yaml");

describe("RBAC object validation (validation.yaml)", () => {
  assert.ok(cases.length >= 15, "fixture loaded");
  for (const c of cases) {
    test(c.name, () => {
      const out = parseRbacObject(c.object);
      const errors = out.problems.filter((p) => p.severity === "error").map((p) => p.message);
      const warnings = out.problems.filter((p) => p.severity === "warning").map((p) => p.message);
      for (const want of c.errors)
        assert.ok(
          errors.some((e) => e.includes(want)),
          `expected error containing ${JSON.stringify(want)}; got ${JSON.stringify(errors)}`,
        );
      assert.equal(errors.length, c.errors.length, `errors: ${JSON.stringify(errors)}`);
      for (const want of c.warnings ?? [])
        assert.ok(
          warnings.some((w) => w.includes(want)),
          `expected warning ${want}; got ${JSON.stringify(warnings)}`,
        );
      assert.equal(out.value === undefined, c.errors.length > 0, "skipped exactly when there are errors");
    });
  }
  test("the index reports problems with kind, name and namespace, and forgets them when fixed or deleted", () => {
    const idx = new RbacIndex();
    const bad: KubeObject = {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "RoleBinding",
      metadata: { name: "b", namespace: "ns" },
      subjects: [{ kind: "User", name: "u" }],
    };
    idx.apply({ type: "ADDED", object: bad });
    assert.deepEqual(idx.problems(), [
      {
        severity: "error",
        kind: "RoleBinding",
        name: "b",
        namespace: "ns",
        message: "roleRef: Required value: a binding must reference a Role or ClusterRole",
      },
    ]);
    idx.apply({
      type: "MODIFIED",
      object: { ...bad, roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: "r" } },
    });
    assert.deepEqual(idx.problems(), [
      {
        severity: "warning",
        kind: "RoleBinding",
        name: "b",
        namespace: "ns",
        message: 'roleRef: role.rbac.authorization.k8s.io "r" not found',
      },
    ]);
    idx.apply({ type: "DELETED", object: bad });
    assert.deepEqual(idx.problems(), []);
    assert.equal(idx.stats().roleBindings, 0);
  });
  test("non-RBAC kinds are ignored by the index", () => {
    const idx = new RbacIndex();
    idx.apply({
      type: "ADDED",
      object: { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "x", namespace: "y" } },
    });
    assert.equal(idx.version, 0);
    assert.deepEqual(idx.problems(), []);
  });
});
