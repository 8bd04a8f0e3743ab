import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { authorize, briefReasons, toDecision } from "../../../src/rbac/authorize.js";
import { createNaiveAuthorizer } from "../../../src/rbac/naive-authorizer.js";
import { RbacIndex } from "../../../src/rbac/rbac-index.js";
import type { KubeObject } from "../../../src/store/types.js";
import type { RequestRow } from "./helpers.js";
import { attrsOf, fixture, label } from "./helpers.js";

interface Case {
  name: string;
  objects: KubeObject[];
  allow?: RequestRow[];
  noOpinion?: RequestRow[];
}

const cases = fixture<Case[]>("authorizer.yaml");

for (const [engine, build] of [
  [
    "indexed",
    (objs: KubeObject[]) => {
      const idx = RbacIndex.from(objs);
      return (row: RequestRow) => authorize(idx, attrsOf(row));
    },
  ],
  [
    "naive",
    (objs: KubeObject[]) => {
      const n = createNaiveAuthorizer(objs);
      return (row: RequestRow) => n.authorize(attrsOf(row));
    },
  ],
] as const) {
  describe(`authorizer.yaml (${engine})`, () => {
    assert.ok(cases.length >= 10, "fixture loaded");
    for (const c of cases) {
      test(c.name, () => {
        const decide = build(c.objects);
        for (const row of c.allow ?? []) {
          const r = decide(row);
          assert.equal(r.decision, "allow", `should allow: ${label(row)} (${r.reason})`);
          if (row.reason !== undefined) assert.equal(r.reason, row.reason, label(row));
          assert.ok(r.reasons.length > 0 && r.reasons.every((x) => x.ok), "allow carries ok reasons");
        }
        for (const row of c.noOpinion ?? []) {
          const r = decide(row);
          assert.equal(r.decision, "no-opinion", `should not allow: ${label(row)} (${r.reason})`);
          if (row.reason !== undefined) assert.equal(r.reason, row.reason, label(row));
          assert.ok(
            r.reasons.some((x) => !x.ok),
            "no-opinion carries a failing reason",
          );
        }
      });
    }
  });
}

describe("authorize result details", () => {
  test("allowedBy names binding, role, subject and rule; reasons carry expected and actual", () => {
    const idx = RbacIndex.from(
      fixture<Case[]>("authorizer.yaml").find((c) => c.name.startsWith("service account"))!.objects,
    );
    const r = authorize(
      idx,
      attrsOf({
        user: "system:serviceaccount:team:app",
        verb: "get",
        resource: "configmaps",
        namespace: "team",
      }),
    );
    assert.deepEqual(r.allowedBy, {
      binding: { kind: "RoleBinding", name: "read", namespace: "team" },
      role: { kind: "Role", name: "reader", namespace: "team" },
      subject: { kind: "ServiceAccount", name: "app", namespace: "", apiGroup: "" },
      ruleIndex: 0,
      rule: {
        verbs: ["get"],
        apiGroups: [""],
        resources: ["configmaps"],
        resourceNames: [],
        nonResourceURLs: [],
      },
    });
    const [reason] = r.reasons;
    assert.equal(reason?.check, "rbac.rule");
    assert.equal(reason.source, "RoleBinding/team/read");
    assert.deepEqual(reason.expected, { verbs: ["get"], apiGroups: [""], resources: ["configmaps"] });
    assert.deepEqual(reason.actual, { verb: "get", apiGroup: "", resource: "configmaps", namespace: "team" });
  });
  test("superusers are flagged and carry no allowedBy", () => {
    const r = authorize(
      new RbacIndex(),
      attrsOf({ user: "x", groups: ["system:masters"], verb: "get", path: "/" }),
    );
    assert.equal(r.superuser, true);
    assert.equal(r.allowedBy, undefined);
    assert.equal(r.reasons[0]?.check, "rbac.superuser");
    assert.deepEqual(toDecision(r), { allowed: true, reasons: r.reasons });
  });
  test("no-opinion as a Decision: not allowed, with the failing reason and each lookup error", () => {
    const idx = RbacIndex.from([
      {
        apiVersion: "rbac.authorization.k8s.io/v1",
        kind: "ClusterRoleBinding",
        metadata: { name: "x" },
        roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "gone" },
        subjects: [{ kind: "User", name: "u" }],
      },
    ]);
    const d = toDecision(
      authorize(idx, attrsOf({ user: "u", verb: "get", resource: "pods", namespace: "n" })),
    );
    assert.equal(d.allowed, false);
    assert.deepEqual(
      d.reasons.map((r) => [r.check, r.ok]),
      [
        ["rbac.no-match", false],
        ["rbac.role-ref", false],
      ],
    );
    assert.match(
      d.reasons[0]!.message,
      /no RBAC rule allows get pods in namespace "n" for user "u"; 1 applicable binding examined/,
    );
  });
});

test("briefReasons are the reasons without their structured expected/actual, for every fixture request", () => {
  let checked = 0;
  for (const c of cases) {
    const idx = RbacIndex.from(c.objects);
    for (const row of [...(c.allow ?? []), ...(c.noOpinion ?? [])]) {
      const r = authorize(idx, attrsOf(row));
      const full = r.reasons.map((x) => {
        const rest: Record<string, unknown> = { ...x };
        delete rest.expected;
        delete rest.actual;
        return rest;
      });
      assert.deepEqual(briefReasons(r), full, `${c.name}: ${label(row)}`);
      checked++;
    }
  }
  assert.ok(checked >= 20, `checked ${checked} requests`);
});
