/**
 * How Kubernetes API failures become kubeiam errors (src/store/kube/errors.ts): the table in
 * test/fixtures/store-kube/status-errors.json (conflicts, not-found variants, validation, RBAC,
 * server errors), Status parsing, and the Gone / unknown-resource predicates the reflector and the
 * store branch on.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import type { ErrorCode } from "../../../src/lib/errors.js";
import {
  isGone,
  isUnknownResource,
  KubeApiError,
  kubeApiErrorFrom,
  toStoreError,
  type WriteContext,
} from "../../../src/store/kube/errors.js";

interface Case {
  name: string;
  status: number;
  body: unknown;
  context: WriteContext & { group?: string };
  request?: string;
  expect: { code: ErrorCode; message: string };
}

const fixture = JSON.parse(
  readFileSync(new URL("../../fixtures/store-kube/status-errors.json", import.meta.url), "utf8"),
) as { cases: Case[] };

describe("API failure → kubeiam error", () => {
  for (const c of fixture.cases) {
    test(c.name, () => {
      const e = kubeApiErrorFrom(c.status, c.body, c.request ?? "");
      const mapped = toStoreError(e, c.context);
      assert.equal(mapped.code, c.expect.code);
      assert.equal(mapped.message, c.expect.message);
      assert.equal(mapped.context.status, c.status);
    });
  }

  test("validation causes are kept as problems", () => {
    const c = fixture.cases.find((x) => x.status === 422)!;
    const mapped = toStoreError(kubeApiErrorFrom(c.status, c.body), c.context);
    assert.deepEqual(mapped.context.problems, [
      "spec.ports[0].port: Invalid value: 70000: must be between 1 and 65535, inclusive",
    ]);
  });
});

describe("Status parsing", () => {
  test("reason, message, details and causes are read; junk in details is ignored", () => {
    const e = kubeApiErrorFrom(
      422,
      {
        kind: "Status",
        reason: "Invalid",
        message: "bad",
        details: {
          name: "x",
          kind: "Pod",
          group: "",
          causes: [{ field: "a", message: "m", reason: "r" }, "junk", { field: 3 }],
        },
      },
      "PUT /x",
    );
    assert.equal(e.status, 422);
    assert.equal(e.reason, "Invalid");
    assert.equal(e.message, "bad");
    assert.equal(e.request, "PUT /x");
    assert.deepEqual(e.details, {
      name: "x",
      kind: "Pod",
      group: "",
      causes: [{ field: "a", message: "m", reason: "r" }, {}],
    });
  });

  test("a body that is not a Status keeps at most 300 characters of its text", () => {
    const e = kubeApiErrorFrom(502, "x".repeat(1000));
    assert.equal(e.reason, "");
    assert.equal(e.message, "x".repeat(300));
    for (const body of [undefined, null, 42, [], { kind: "Pod" }])
      assert.equal(kubeApiErrorFrom(500, body).message, "HTTP 500", JSON.stringify(body));
  });

  test("Gone: 410, or the Expired / Gone reasons a watch ERROR event carries", () => {
    const cases: [KubeApiError | Error, boolean][] = [
      [
        kubeApiErrorFrom(410, {
          kind: "Status",
          reason: "Expired",
          message: "too old resource version: 1 (200)",
          code: 410,
        }),
        true,
      ],
      [kubeApiErrorFrom(500, { kind: "Status", reason: "Expired", message: "continue token expired" }), true],
      [kubeApiErrorFrom(410, {}), true],
      [kubeApiErrorFrom(409, { kind: "Status", reason: "Conflict", message: "x" }), false],
      [new Error("410"), false],
    ];
    for (const [e, want] of cases) assert.equal(isGone(e), want, e.message);
  });

  test("unknown resource: 404 without a named object", () => {
    assert.equal(
      isUnknownResource(
        kubeApiErrorFrom(404, {
          kind: "Status",
          reason: "NotFound",
          message: "the server could not find the requested resource",
          details: {},
        }),
      ),
      true,
    );
    assert.equal(isUnknownResource(kubeApiErrorFrom(404, "404 page not found")), true);
    assert.equal(
      isUnknownResource(
        kubeApiErrorFrom(404, {
          kind: "Status",
          reason: "NotFound",
          message: "x",
          details: { name: "a", kind: "pods" },
        }),
      ),
      false,
    );
    assert.equal(isUnknownResource(kubeApiErrorFrom(403, {})), false);
  });
});
