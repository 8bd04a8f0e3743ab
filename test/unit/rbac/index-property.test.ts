/**
 * Property: the indexed authorizer fed incrementally (adds, updates, deletes, malformed objects,
 * aggregation changes) decides exactly like the naive scan-everything authorizer built from the
 * final objects: same decision, same reason, same binding/role/rule.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { authorize } from "../../../src/rbac/authorize.js";
import { createNaiveAuthorizer } from "../../../src/rbac/naive-authorizer.js";
import { RbacIndex } from "../../../src/rbac/rbac-index.js";
import type { Attributes } from "../../../src/rbac/types.js";
import type { KubeObject } from "../../../src/store/types.js";

const NS = ["ns1", "ns2"];
const VERBS = ["get", "list", "create", "frob", "*"];
const API_GROUPS = ["", "apps", "*"];
const RESOURCES = ["pods", "pods/log", "deployments", "deployments/scale", "*", "*/scale"];
const URLS = ["/healthz", "/apis/*", "/apis", "*"];
const USERS = ["u1", "u2", "system:serviceaccount:ns1:sa1", "system:serviceaccount:ns2:sa1"];
const GROUPS = ["g1", "g2", "system:serviceaccounts"];
const ROLE_NAMES = ["r1", "r2"];
const BINDING_NAMES = ["b1", "b2", "b3", "b4"];
const RBAC = "rbac.authorization.k8s.io/v1";

const sub = <T>(xs: readonly T[], min = 0) => fc.subarray([...xs], { minLength: min });

const resourceRule = fc.record({
  verbs: fc.oneof(fc.constant(["*"]), fc.constant(["get", "list"]), sub(VERBS, 1)),
  apiGroups: fc.oneof(fc.constant(["*"]), fc.constant(["", "apps"]), sub(API_GROUPS, 1)),
  resources: fc.oneof(fc.constant(["*"]), fc.constant(["pods", "deployments"]), sub(RESOURCES, 1)),
  resourceNames: fc.constantFrom([], [], [], ["a"], ["a", "b"]),
});
const urlRule = fc.record({ verbs: sub(VERBS, 1), nonResourceURLs: sub(URLS, 1) });
const badRule = fc.constantFrom(
  { verbs: [], apiGroups: [""], resources: ["pods"] },
  { verbs: ["get"], resources: ["pods"] },
);
const rules = (withUrls: boolean) =>
  fc.array(
    fc.oneof(
      { weight: 10, arbitrary: resourceRule },
      { weight: withUrls ? 4 : 1, arbitrary: urlRule },
      { weight: 1, arbitrary: badRule },
    ),
    { minLength: 1, maxLength: 3 },
  );

const labels = fc.constantFrom<Record<string, string> | undefined>(
  undefined,
  { agg: "x" },
  { agg: "y" },
  { agg: "x", tier: "t" },
);
const aggregationRule = fc.constantFrom(
  undefined,
  undefined,
  undefined,
  undefined,
  { clusterRoleSelectors: [{ matchLabels: { agg: "x" } }] },
  {
    clusterRoleSelectors: [
      { matchLabels: { agg: "y" } },
      { matchExpressions: [{ key: "tier", operator: "Exists" }] },
    ],
  },
);

const clusterRole = fc
  .record({ name: fc.constantFrom(...ROLE_NAMES), labels, aggregationRule, rules: rules(true) })
  .map(({ name, labels: l, aggregationRule: a, rules: r }): KubeObject => {
    const o: KubeObject = {
      apiVersion: RBAC,
      kind: "ClusterRole",
      metadata: l ? { name, labels: l } : { name },
      rules: r,
    };
    if (a) o.aggregationRule = a;
    return o;
  });
const role = fc
  .record({ ns: fc.constantFrom(...NS), name: fc.constantFrom(...ROLE_NAMES), rules: rules(false) })
  .map(({ ns, name, rules: r }): KubeObject => ({
    apiVersion: RBAC,
    kind: "Role",
    metadata: { name, namespace: ns },
    rules: r,
  }));

const subject = fc.oneof(
  fc.constantFrom(...USERS.filter((u) => !u.startsWith("system:"))).map((name) => ({ kind: "User", name })),
  fc.constantFrom(...GROUPS).map((name) => ({ kind: "Group", name })),
  fc
    .constantFrom("", "ns1", "ns2")
    .map((namespace) =>
      namespace
        ? { kind: "ServiceAccount", name: "sa1", namespace }
        : { kind: "ServiceAccount", name: "sa1" },
    ),
);
const subjects = fc.oneof(
  { weight: 9, arbitrary: fc.array(subject, { minLength: 1, maxLength: 3 }) },
  { weight: 1, arbitrary: fc.constant([]) },
);
const roleBinding = fc
  .record({
    ns: fc.constantFrom(...NS),
    name: fc.constantFrom(...BINDING_NAMES),
    kind: fc.constantFrom("Role", "ClusterRole", "ClusterRole"),
    role: fc.constantFrom(...ROLE_NAMES, ...ROLE_NAMES, "missing"),
    subjects,
  })
  .map(({ ns, name, kind, role: r, subjects: s }): KubeObject => ({
    apiVersion: RBAC,
    kind: "RoleBinding",
    metadata: { name, namespace: ns },
    roleRef: { apiGroup: "rbac.authorization.k8s.io", kind, name: r },
    subjects: s,
  }));
const clusterRoleBinding = fc
  .record({
    name: fc.constantFrom(...BINDING_NAMES),
    role: fc.constantFrom(...ROLE_NAMES, ...ROLE_NAMES, "missing"),
    subjects,
    broken: fc.boolean(),
  })
  .map(({ name, role: r, subjects: s, broken }): KubeObject => {
    const o: KubeObject = {
      apiVersion: RBAC,
      kind: "ClusterRoleBinding",
      metadata: { name },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: r },
      subjects: s,
    };
    if (broken && s.length === 0) delete o.roleRef;
    return o;
  });

const object = fc.oneof(
  { weight: 3, arbitrary: clusterRole },
  { weight: 3, arbitrary: role },
  { weight: 2, arbitrary: roleBinding },
  { weight: 2, arbitrary: clusterRoleBinding },
);
const ops = fc.array(
  fc.oneof(
    { weight: 5, arbitrary: fc.record({ op: fc.constant("put" as const), object, replay: fc.boolean() }) },
    { weight: 1, arbitrary: fc.record({ op: fc.constant("delete" as const), pick: fc.nat() }) },
  ),
  { minLength: 8, maxLength: 60 },
);

const request = fc.oneof(
  fc
    .record({
      verb: fc.constantFrom("get", "get", "list", "create", "delete", "frob", "GET"),
      apiGroup: fc.constantFrom("", "", "apps", "batch"),
      res: fc.constantFrom("pods", "pods", "deployments", "pods/log", "deployments/scale", "secrets"),
      name: fc.constantFrom("", "", "a", "b"),
      namespace: fc.constantFrom("", "ns1", "ns1", "ns2", "ns2", "ns3"),
    })
    .map(({ verb, apiGroup, res, name, namespace }) => {
      const [resource, subresource = ""] = res.split("/");
      return {
        resourceRequest: true as const,
        verb,
        apiGroup,
        resource: resource!,
        subresource,
        name,
        namespace,
      };
    }),
  fc
    .record({
      verb: fc.constantFrom("get", "post"),
      path: fc.constantFrom("/healthz", "/apis", "/apis/apps", "/metrics"),
    })
    .map(({ verb, path }) => ({ resourceRequest: false as const, verb, path })),
);
const user = fc.record({ name: fc.constantFrom(...USERS, "other"), groups: sub(GROUPS) });
const requests = fc.array(
  fc.tuple(user, request).map(([u, r]): Attributes => ({ ...r, user: u })),
  { minLength: 10, maxLength: 30 },
);

const keyOf = (o: KubeObject) => `${o.kind}/${o.metadata.namespace ?? ""}/${o.metadata.name}`;

test("indexed authorizer agrees with the naive scan on random stores, events and requests", () => {
  let allows = 0;
  let denies = 0;
  fc.assert(
    fc.property(ops, requests, (opList, reqs) => {
      const idx = new RbacIndex();
      const state = new Map<string, KubeObject>();
      for (const o of opList) {
        if (o.op === "put") {
          const k = keyOf(o.object);
          idx.apply({ type: state.has(k) && !o.replay ? "MODIFIED" : "ADDED", object: o.object });
          state.set(k, o.object);
        } else if (state.size > 0) {
          const keys = [...state.keys()];
          const k = keys[o.pick % keys.length]!;
          idx.apply({ type: "DELETED", object: state.get(k)! });
          state.delete(k);
        }
      }
      const naive = createNaiveAuthorizer(state.values());
      for (const name of ROLE_NAMES)
        assert.deepEqual(
          idx.clusterRoleRules(name),
          naive.clusterRoleRules(name),
          `effective rules of ClusterRole ${name}`,
        );
      for (const attrs of reqs) {
        const a = authorize(idx, attrs);
        const b = naive.authorize(attrs);
        assert.equal(a.decision, b.decision, JSON.stringify(attrs));
        assert.equal(a.reason, b.reason, JSON.stringify(attrs));
        assert.deepEqual(a.allowedBy, b.allowedBy);
        if (a.decision === "allow") allows++;
        else denies++;
      }
    }),
    { numRuns: 400 },
  );
  // the property is not vacuous: both outcomes occur often
  assert.ok(allows > 300 && denies > 300, `allows=${allows} denies=${denies}`);
});
