import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { forbiddenStatus, statusToJson } from "../../../src/rbac/forbidden-status.js";
import type { RequestRow } from "./helpers.js";
import { fixture, requestOf } from "./helpers.js";

interface Case {
  name: string;
  attrs: RequestRow;
  reason?: string;
  json?: string;
  message?: string;
}

const cases = fixture<Case[]>("forbidden.yaml");

describe("forbiddenStatus (forbidden.yaml)", () => {
  assert.ok(cases.length >= 12, "fixture loaded");
  for (const c of cases) {
    test(c.name, () => {
      const status = forbiddenStatus(requestOf(c.attrs), c.attrs.user ?? "", c.reason ?? "");
      assert.equal(status.code, 403);
      assert.equal(status.reason, "Forbidden");
      if (c.json !== undefined) assert.equal(statusToJson(status), c.json + "\n");
      if (c.message !== undefined) assert.equal(status.message, c.message);
      assert.ok(c.json ?? c.message, "case asserts something");
    });
  }
  test("details hold the resource (not the kind), no subresource, the group only when set", () => {
    const s = forbiddenStatus(
      {
        resourceRequest: true,
        verb: "get",
        apiGroup: "apps",
        resource: "deployments",
        subresource: "scale",
        name: "web",
        namespace: "n",
      },
      { name: "u", groups: [] },
    );
    assert.deepEqual(s.details, { name: "web", group: "apps", kind: "deployments" });
    assert.equal(
      s.message,
      'deployments.apps "web" is forbidden: User "u" cannot get resource "deployments/scale" in API group "apps" in the namespace "n"',
    );
  });
});
