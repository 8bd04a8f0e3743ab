import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { authorize } from "../../../src/rbac/authorize.js";
import { bootstrapPolicy } from "../../../src/rbac/bootstrap/policy.js";
import { forbiddenStatus } from "../../../src/rbac/forbidden-status.js";
import { RbacIndex } from "../../../src/rbac/rbac-index.js";
import {
  parseSubjectAccessReview,
  renderSubjectAccessReviewResponse,
  subjectAccessReviewStatus,
} from "../../../src/rbac/subject-access-review.js";
import type { UserInfo } from "../../../src/rbac/types.js";
import type { KubeObject } from "../../../src/store/types.js";
import type { RequestRow } from "./helpers.js";
import { fixture, requestOf } from "./helpers.js";

interface Seed {
  serviceAccountUser: UserInfo;
  request: RequestRow;
  forbidden: string;
  grant: KubeObject;
  allowedReason: string;
  groupObjects: KubeObject[];
  groupUser: UserInfo;
  groupAllowedReason: string;
}
const seed = fixture<Seed>("seed.yaml");

describe("seed flow (issue 5)", () => {
  test("SA default:demo is refused with the exact 403, then allowed after a ClusterRoleBinding to cluster-admin", () => {
    const idx = RbacIndex.from(bootstrapPolicy());
    const req = requestOf(seed.request);
    const first = authorize(idx, { ...req, user: seed.serviceAccountUser });
    assert.equal(first.decision, "no-opinion");
    assert.equal(forbiddenStatus(req, seed.serviceAccountUser, first.reason).message, seed.forbidden);

    idx.apply({ type: "ADDED", object: seed.grant });
    const second = authorize(idx, { ...req, user: seed.serviceAccountUser });
    assert.equal(second.decision, "allow");
    assert.equal(second.reason, seed.allowedReason);

    idx.apply({ type: "DELETED", object: seed.grant });
    assert.equal(
      authorize(idx, { ...req, user: seed.serviceAccountUser }).decision,
      "no-opinion",
      "revoked again",
    );
  });

  test("group gid:/testgroup bound to read-deployments reads deployments everywhere, writes nothing", () => {
    const idx = RbacIndex.from([...bootstrapPolicy(), ...seed.groupObjects]);
    for (const namespace of ["", "default", "prod"]) {
      const r = authorize(idx, { ...requestOf({ ...seed.request, namespace }), user: seed.groupUser });
      assert.equal(r.decision, "allow", `list in ${namespace || "cluster"}`);
      assert.equal(r.reason, seed.groupAllowedReason);
    }
    assert.equal(
      authorize(idx, {
        ...requestOf({ ...seed.request, verb: "delete", name: "web", namespace: "default" }),
        user: seed.groupUser,
      }).decision,
      "no-opinion",
    );
    assert.equal(
      authorize(idx, { ...requestOf(seed.request), user: { ...seed.groupUser, groups: ["gid:/othergroup"] } })
        .decision,
      "no-opinion",
    );
  });

  test("the same decision through a v1beta1 SubjectAccessReview", () => {
    const idx = RbacIndex.from([...bootstrapPolicy(), ...seed.groupObjects]);
    const review = parseSubjectAccessReview({
      apiVersion: "authorization.k8s.io/v1beta1",
      kind: "SubjectAccessReview",
      spec: {
        resourceAttributes: { verb: "watch", group: "apps", resource: "deployments", namespace: "default" },
        user: seed.groupUser.name,
        group: seed.groupUser.groups,
      },
    });
    assert.deepEqual(
      renderSubjectAccessReviewResponse(
        review.apiVersion,
        subjectAccessReviewStatus(authorize(idx, review.attributes)),
      ),
      {
        apiVersion: "authorization.k8s.io/v1beta1",
        kind: "SubjectAccessReview",
        status: { allowed: true, reason: seed.groupAllowedReason },
      },
    );
  });
});
