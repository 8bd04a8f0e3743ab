import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { isKubeiamError } from "../../../src/lib/errors.js";
import { parseResourceArg, parseResourceType } from "../../../src/rbac/resource-type.js";
import { fixture } from "./helpers.js";

type Row = [string, string, string, boolean] | { input: string; error: true };
const rows = fixture<Row[]>("resource-types.yaml");

describe("parseResourceType (resource-types.yaml)", () => {
  assert.ok(rows.length >= 40, "fixture loaded");
  for (const row of rows) {
    if (Array.isArray(row)) {
      const [input, group, resource, known] = row;
      test(`${input} → ${group || "core"}/${resource}`, () => {
        assert.deepEqual(parseResourceType(input), { group, resource, known });
      });
    } else {
      test(`${JSON.stringify(row.input)} is rejected`, () => {
        assert.throws(
          () => parseResourceType(row.input),
          (e: unknown) => isKubeiamError(e) && e.code === "USAGE" && e.message.includes("invalid resource"),
        );
      });
    }
  }
});

describe("parseResourceArg", () => {
  test("TYPE/NAME splits the name", () => {
    assert.deepEqual(parseResourceArg("deploy/web"), {
      group: "apps",
      resource: "deployments",
      known: true,
      name: "web",
    });
    assert.deepEqual(parseResourceArg("pods"), { group: "", resource: "pods", known: true, name: "" });
  });
  test("an empty or nested name is a usage error", () => {
    for (const bad of ["pods/", "pods/a/b"])
      assert.throws(
        () => parseResourceArg(bad),
        (e: unknown) => isKubeiamError(e) && e.code === "USAGE",
      );
  });
});
