import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { authorize } from "../../../src/rbac/authorize.js";
import {
  bootstrapClusterRoleBindings,
  bootstrapClusterRoles,
  bootstrapPolicy,
} from "../../../src/rbac/bootstrap/policy.js";
import { covers } from "../../../src/rbac/covers.js";
import { RbacIndex } from "../../../src/rbac/rbac-index.js";
import { attrsOf } from "./helpers.js";

const idx = RbacIndex.from(bootstrapPolicy());

describe("bootstrap policy", () => {
  test("every object is valid; the only warning is system:node's empty subject list", () => {
    assert.deepEqual(
      idx.problems().map((p) => `${p.severity} ${p.kind}/${p.name}`),
      ["warning ClusterRoleBinding/system:node"],
    );
    assert.equal(idx.stats().clusterRoles, bootstrapClusterRoles().length);
    assert.equal(idx.stats().clusterRoleBindings, bootstrapClusterRoleBindings().length);
  });
  test("labels and annotations of the defaults", () => {
    for (const o of bootstrapPolicy()) {
      assert.equal(o.metadata.labels?.["kubernetes.io/bootstrapping"], "rbac-defaults", o.metadata.name);
      assert.equal(
        o.metadata.annotations?.["rbac.authorization.kubernetes.io/autoupdate"],
        "true",
        o.metadata.name,
      );
    }
  });
  test("admin ⊇ edit ⊇ view after aggregation (policy_test.go relationships)", () => {
    const admin = idx.clusterRoleRules("admin")!;
    const edit = idx.clusterRoleRules("edit")!;
    const view = idx.clusterRoleRules("view")!;
    assert.ok(view.length > 5 && edit.length > view.length && admin.length > edit.length);
    assert.equal(covers(admin, edit).covered, true, "admin covers edit");
    assert.equal(covers(edit, view).covered, true, "edit covers view");
    assert.equal(covers(view, edit).covered, false, "view does not cover edit");
  });
  const cases: [string, Parameters<typeof attrsOf>[0], boolean][] = [
    [
      "authenticated users discover APIs",
      { user: "u", groups: ["system:authenticated"], verb: "get", path: "/apis/apps/v1" },
      true,
    ],
    [
      "authenticated users review themselves",
      {
        user: "u",
        groups: ["system:authenticated"],
        verb: "create",
        group: "authorization.k8s.io",
        resource: "selfsubjectaccessreviews",
      },
      true,
    ],
    [
      "anonymous users see /version",
      { user: "system:anonymous", groups: ["system:unauthenticated"], verb: "get", path: "/version" },
      true,
    ],
    [
      "anonymous users do not see /apis",
      { user: "system:anonymous", groups: ["system:unauthenticated"], verb: "get", path: "/apis" },
      false,
    ],
    [
      "service accounts read the OIDC discovery document",
      {
        user: "system:serviceaccount:a:b",
        groups: ["system:serviceaccounts"],
        verb: "get",
        path: "/openid/v1/jwks",
      },
      true,
    ],
    [
      "kube-dns lists services",
      { user: "system:serviceaccount:kube-system:kube-dns", verb: "list", resource: "services" },
      true,
    ],
    [
      "the scheduler binds pods",
      {
        user: "system:kube-scheduler",
        verb: "create",
        resource: "pods",
        subresource: "binding",
        namespace: "x",
      },
      true,
    ],
    [
      "system:masters via cluster-admin (and the privileged authorizer)",
      { user: "root", groups: ["system:masters"], verb: "delete", resource: "nodes" },
      true,
    ],
    [
      "nobody else writes nodes",
      { user: "u", groups: ["system:authenticated"], verb: "delete", resource: "nodes" },
      false,
    ],
    [
      "monitoring reads /metrics",
      { user: "prom", groups: ["system:monitoring"], verb: "get", path: "/metrics" },
      true,
    ],
  ];
  for (const [name, row, want] of cases) {
    test(name, () => assert.equal(authorize(idx, attrsOf(row)).decision, want ? "allow" : "no-opinion"));
  }
  test("view has no secrets and edit has no roles, via a RoleBinding", () => {
    const withBindings = RbacIndex.from([
      ...bootstrapPolicy(),
      {
        apiVersion: "rbac.authorization.k8s.io/v1",
        kind: "RoleBinding",
        metadata: { name: "v", namespace: "ns" },
        roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "view" },
        subjects: [{ kind: "User", name: "viewer" }],
      },
      {
        apiVersion: "rbac.authorization.k8s.io/v1",
        kind: "RoleBinding",
        metadata: { name: "e", namespace: "ns" },
        roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "edit" },
        subjects: [{ kind: "User", name: "editor" }],
      },
    ]);
    const d = (user: string, verb: string, resource: string, group = "", subresource = "") =>
      authorize(withBindings, attrsOf({ user, verb, group, resource, subresource, namespace: "ns" }))
        .decision;
    assert.equal(d("viewer", "get", "pods", "", "log"), "allow");
    assert.equal(d("viewer", "get", "secrets"), "no-opinion");
    assert.equal(d("editor", "get", "secrets"), "allow", "edit reads secrets (view rules + write)");
    assert.equal(d("editor", "create", "secrets"), "allow");
    assert.equal(d("editor", "create", "roles", "rbac.authorization.k8s.io"), "no-opinion");
    assert.equal(d("editor", "create", "endpoints"), "no-opinion", "CVE-2021-25740");
  });
});
