import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { isKubeiamError } from "../../../src/lib/errors.js";
import { authorize } from "../../../src/rbac/authorize.js";
import { RbacIndex } from "../../../src/rbac/rbac-index.js";
import {
  parseSubjectAccessReview,
  renderSubjectAccessReviewResponse,
  SAR_LIMITS,
  subjectAccessReviewStatus,
} from "../../../src/rbac/subject-access-review.js";
import { fixture, rbac } from "./helpers.js";

interface Fx {
  valid: { name: string; body: unknown; attributes: unknown }[];
  invalid: { name: string; body: unknown; error: string }[];
}
const fx = fixture<Fx>("subject-access-review.yaml");

const rejects = (body: unknown, fragment: string, opts = {}) =>
  assert.throws(
    () => parseSubjectAccessReview(body, opts),
    (e: unknown) => isKubeiamError(e) && e.code === "REQUEST_INVALID" && e.message.includes(fragment),
    `expected REQUEST_INVALID containing ${JSON.stringify(fragment)}`,
  );

describe("parseSubjectAccessReview (subject-access-review.yaml)", () => {
  for (const c of fx.valid) {
    test(c.name, () => {
      const parsed = parseSubjectAccessReview(c.body);
      assert.equal(parsed.apiVersion, (c.body as { apiVersion: string }).apiVersion);
      assert.deepEqual(parsed.attributes, c.attributes);
    });
  }
  for (const c of fx.invalid) test(`rejects: ${c.name}`, () => rejects(c.body, c.error));

  test("selectors are kept for list/watch requests", () => {
    const parsed = parseSubjectAccessReview(fx.valid[0]!.body);
    assert.deepEqual(parsed.selectors, {
      fieldSelector: { requirements: [{ key: "spec.nodeName", operator: "In", values: ["n1"] }] },
    });
  });
  test("size limits: too many groups, too long strings", () => {
    const base = { apiVersion: "authorization.k8s.io/v1", kind: "SubjectAccessReview" };
    rejects(
      {
        ...base,
        spec: {
          user: "u",
          groups: Array.from({ length: SAR_LIMITS.maxGroups + 1 }, (_, i) => `g${i}`),
          resourceAttributes: { verb: "get", resource: "pods" },
        },
      },
      "spec.groups: more than",
    );
    rejects(
      {
        ...base,
        spec: {
          user: "x".repeat(SAR_LIMITS.maxString + 1),
          resourceAttributes: { verb: "get", resource: "pods" },
        },
      },
      "spec.user: longer than",
    );
  });
  test("unknown fields can be allowed for newer servers", () => {
    const body = {
      apiVersion: "authorization.k8s.io/v1",
      kind: "SubjectAccessReview",
      spec: {
        user: "u",
        futureField: 1,
        resourceAttributes: { verb: "get", resource: "pods", future: true },
      },
    };
    rejects(body, "spec.futureField: unknown field");
    assert.equal(parseSubjectAccessReview(body, { allowUnknownFields: true }).attributes.user.name, "u");
  });
  test("all problems are reported at once", () => {
    rejects(
      { apiVersion: "authorization.k8s.io/v1", kind: "SubjectAccessReview", spec: { user: 1, groups: "x" } },
      "spec.user: expected a string, found number; spec.groups: expected a list of strings",
    );
  });
});

describe("renderSubjectAccessReviewResponse", () => {
  test("echoes apiVersion and kind; omits empty fields", () => {
    assert.deepEqual(
      renderSubjectAccessReviewResponse("authorization.k8s.io/v1beta1", { allowed: false, reason: "" }),
      { apiVersion: "authorization.k8s.io/v1beta1", kind: "SubjectAccessReview", status: { allowed: false } },
    );
    assert.deepEqual(
      renderSubjectAccessReviewResponse("authorization.k8s.io/v1", {
        allowed: false,
        denied: true,
        reason: "no",
        evaluationError: "boom",
      }),
      {
        apiVersion: "authorization.k8s.io/v1",
        kind: "SubjectAccessReview",
        status: { allowed: false, denied: true, reason: "no", evaluationError: "boom" },
      },
    );
  });
  test("a parsed review decided by the index renders kube-apiserver's RBAC reason", () => {
    const idx = RbacIndex.from([
      rbac.clusterRole("read-deployments", [
        { verbs: ["get", "list", "watch"], apiGroups: ["apps"], resources: ["deployments"] },
      ]),
      rbac.clusterRoleBinding("devs", "read-deployments", [{ kind: "Group", name: "gid:/testgroup" }]),
    ]);
    const review = parseSubjectAccessReview({
      apiVersion: "authorization.k8s.io/v1",
      kind: "SubjectAccessReview",
      spec: {
        user: "alice",
        groups: ["gid:/testgroup"],
        resourceAttributes: { verb: "list", group: "apps", resource: "deployments", namespace: "x" },
      },
    });
    const res = renderSubjectAccessReviewResponse(
      review.apiVersion,
      subjectAccessReviewStatus(authorize(idx, review.attributes)),
    );
    assert.deepEqual(res.status, {
      allowed: true,
      reason:
        'RBAC: allowed by ClusterRoleBinding "devs" of ClusterRole "read-deployments" to Group "gid:/testgroup"',
    });
    const denied = renderSubjectAccessReviewResponse(
      review.apiVersion,
      subjectAccessReviewStatus(authorize(idx, { ...review.attributes, verb: "delete" })),
    );
    assert.deepEqual(denied.status, { allowed: false });
  });
});
