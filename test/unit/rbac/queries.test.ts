import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { explain } from "../../../src/rbac/explain.js";
import { RbacIndex } from "../../../src/rbac/rbac-index.js";
import { risks } from "../../../src/rbac/risks.js";
import { rulesFor } from "../../../src/rbac/rules-for.js";
import { whoCan } from "../../../src/rbac/who-can.js";
import type { KubeObject } from "../../../src/store/types.js";
import { attrsOf, fixture, requestOf } from "./helpers.js";

const idx = RbacIndex.from(fixture<KubeObject[]>("scenario.yaml"));
const alice = { name: "alice", groups: ["system:authenticated"] };

describe("explain", () => {
  test("allowed: the binding, role and rule that decided", () => {
    const e = explain(
      idx,
      attrsOf({
        user: "bob",
        groups: ["gid:/testgroup"],
        verb: "list",
        group: "apps",
        resource: "deployments",
        namespace: "x",
      }),
    );
    assert.equal(e.decision, "allow");
    assert.deepEqual(e.allowedBy?.binding, { kind: "ClusterRoleBinding", name: "devs-read" });
    assert.deepEqual(e.allowedBy.role, { kind: "ClusterRole", name: "read-deployments" });
    assert.equal(e.allowedBy.ruleIndex, 0);
    assert.equal(e.nearest, undefined);
  });
  test("not allowed: the subject's bindings everywhere and the nearest rule with what differed", () => {
    const e = explain(idx, {
      ...requestOf({ verb: "delete", resource: "secrets", namespace: "team-a" }),
      user: alice,
    });
    assert.equal(e.decision, "no-opinion");
    assert.equal(e.reason, 'RBAC: role.rbac.authorization.k8s.io "gone" not found');
    assert.deepEqual(
      e.bindings.map((b) => [
        b.binding.kind,
        b.binding.namespace ?? "",
        b.binding.name,
        b.inScope,
        b.error ?? "",
      ]),
      [
        ["ClusterRoleBinding", "", "health", true, ""],
        ["RoleBinding", "team-a", "cm", true, ""],
        ["RoleBinding", "team-a", "dangling", true, 'role.rbac.authorization.k8s.io "gone" not found'],
        ["RoleBinding", "team-a", "secrets", true, ""],
        ["RoleBinding", "team-b", "debug", false, ""],
      ],
    );
    assert.deepEqual(e.nearest?.binding, { kind: "RoleBinding", name: "secrets", namespace: "team-a" });
    assert.deepEqual(
      e.nearest.differences.map((d) => [d.field, d.expected, d.actual]),
      [["verb", ["get", "list"], "delete"]],
    );
    assert.ok(
      e.reasons.some((r) => r.check === "rbac.explain.nearest" && r.message.includes('verb "delete"')),
    );
  });
  test("a binding in another namespace shows up as a namespace difference", () => {
    const e = explain(idx, {
      ...requestOf({
        verb: "create",
        resource: "pods",
        subresource: "exec",
        namespace: "team-a",
        name: "web",
      }),
      user: alice,
    });
    assert.deepEqual(e.nearest?.binding, { kind: "RoleBinding", name: "debug", namespace: "team-b" });
    assert.deepEqual(
      e.nearest.differences.map((d) => [d.field, d.expected, d.actual]),
      [["namespace", ["team-b"], "team-a"]],
    );
  });
  test("resource names: a request without a name is explained", () => {
    const e = explain(idx, {
      ...requestOf({ verb: "update", resource: "configmaps", namespace: "team-a" }),
      user: alice,
    });
    assert.deepEqual(
      e.nearest?.differences.map((d) => d.field),
      ["resourceName"],
    );
  });
  test("no bindings at all", () => {
    const e = explain(idx, attrsOf({ user: "nobody", verb: "get", resource: "pods", namespace: "x" }));
    assert.deepEqual(e.bindings, []);
    assert.ok(e.reasons.some((r) => r.check === "rbac.explain.no-bindings"));
  });
});

describe("rulesFor (SelfSubjectRulesReview)", () => {
  test("cluster rules then the namespace's, split by kind, with resolution errors", () => {
    const r = rulesFor(idx, alice, "team-a");
    assert.deepEqual(r.resourceRules, [
      { verbs: ["get", "update"], apiGroups: [""], resources: ["configmaps"], resourceNames: ["app-config"] },
      { verbs: ["get", "list"], apiGroups: [""], resources: ["secrets"] },
    ]);
    assert.deepEqual(r.nonResourceRules, [{ verbs: ["get"], nonResourceURLs: ["/healthz", "/readyz"] }]);
    assert.equal(r.incomplete, false);
    assert.equal(r.evaluationError, 'role.rbac.authorization.k8s.io "gone" not found');
    assert.deepEqual(
      r.sources.map((s) => s.binding.name),
      ["health", "cm", "secrets"],
    );
  });
  test("without a namespace only cluster rules; no errors means no evaluationError", () => {
    const r = rulesFor(idx, alice, "");
    assert.deepEqual(r.resourceRules, []);
    assert.equal(r.nonResourceRules.length, 1);
    assert.equal("evaluationError" in r, false);
  });
});

describe("whoCan", () => {
  test("who can get secrets in team-a: masters, root, and the RoleBinding's subjects with SA namespace defaulted", () => {
    const w = whoCan(idx, requestOf({ verb: "get", resource: "secrets", namespace: "team-a" }));
    assert.deepEqual(
      w.groups.map((g) => [g.name, g.privileged ?? false]),
      [["system:masters", true]],
    );
    assert.deepEqual(
      w.users.map((u) => [u.name, u.grants.map((g) => g.binding.name)]),
      [
        ["alice", ["secrets"]],
        ["ops", ["ops-root"]],
      ],
    );
    assert.deepEqual(
      w.serviceAccounts.map((s) => [
        s.namespace,
        s.name,
        s.grants.map((g) => `${g.role.kind}/${g.role.name}`),
      ]),
      [["team-a", "app", ["ClusterRole/secret-reader"]]],
    );
    assert.equal(w.evaluationError, 'role.rbac.authorization.k8s.io "gone" not found');
  });
  test("cluster-scoped requests ignore RoleBindings unless all namespaces are asked", () => {
    const req = requestOf({ verb: "get", resource: "secrets" });
    assert.deepEqual(
      whoCan(idx, req).users.map((u) => u.name),
      ["ops"],
    );
    assert.deepEqual(
      whoCan(idx, req, { allNamespaces: true }).users.map((u) => u.name),
      ["alice", "ops"],
    );
  });
  test("non-resource URLs and group subjects", () => {
    const w = whoCan(idx, requestOf({ verb: "get", path: "/healthz" }));
    assert.deepEqual(
      w.groups.map((g) => g.name),
      ["system:authenticated", "system:masters"],
    );
    assert.deepEqual(
      w.users.map((u) => u.name),
      ["ops"],
    );
  });
});

describe("risks", () => {
  const findings = risks(idx);
  const has = (risk: string, who: string, binding: string) =>
    findings.some(
      (f) =>
        f.risk === risk &&
        `${f.subject.kind}:${f.subject.namespace ? `${f.subject.namespace}/` : ""}${f.subject.name}` ===
          who &&
        f.binding.name === binding,
    );
  test("flags each kind of risk with the granting binding", () => {
    assert.ok(has("read-secrets", "User:alice", "secrets"));
    assert.ok(has("read-secrets", "ServiceAccount:team-a/app", "secrets"));
    assert.ok(has("exec", "User:alice", "debug"));
    assert.ok(has("proxy-nodes", "User:alice", "debug"));
    assert.ok(has("bind", "ServiceAccount:platform/manager", "rbac-managers"));
    assert.ok(has("escalate", "ServiceAccount:platform/manager", "rbac-managers"));
    assert.ok(has("impersonate", "ServiceAccount:platform/manager", "rbac-managers"));
    assert.ok(has("create-pods-kube-system", "ServiceAccount:kube-system/deployer", "sys-pods"));
    assert.ok(has("wildcard", "User:ops", "ops-root"));
    for (const r of [
      "escalate",
      "bind",
      "impersonate",
      "read-secrets",
      "exec",
      "proxy-nodes",
      "create-pods-kube-system",
    ])
      assert.ok(has(r, "User:ops", "ops-root"), `root holds ${r}`);
  });
  test("resourceNames limits are reported; harmless rules are not flagged", () => {
    const bind = findings.find((f) => f.risk === "bind");
    assert.deepEqual(bind?.limitedToNames, ["view"]);
    assert.match(bind.message, /only names view/);
    assert.equal(
      findings.some(
        (f) => f.binding.name === "devs-read" || f.binding.name === "health" || f.binding.name === "cm",
      ),
      false,
    );
  });
  test("a namespace filter keeps cluster bindings and that namespace's RoleBindings", () => {
    const ns = risks(idx, { namespace: "team-b" });
    assert.ok(ns.some((f) => f.binding.name === "debug"));
    assert.equal(
      ns.some((f) => f.binding.name === "secrets"),
      false,
    );
    assert.ok(ns.some((f) => f.binding.name === "ops-root"));
  });
});
