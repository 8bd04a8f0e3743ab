import { test, describe } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import {
  accessEntryKey,
  accessEntryMapping,
  accessEntryMatches,
  parseAccessEntry,
  validateAccessEntry,
} from "../../../src/authn/mapping/access-entry.js";
import type { KubeObject } from "../../../src/store/types.js";

const t = JSON.parse(
  readFileSync(new URL("../../fixtures/authn/access-entries.json", import.meta.url), "utf8"),
) as {
  valid: {
    spec: Record<string, unknown>;
    type: string;
    grants: { username: string; groups: string[] };
    key?: string;
  }[];
  invalid: { spec: Record<string, unknown>; problems: string[] }[];
};
const obj = (spec: unknown): KubeObject => ({
  apiVersion: "kubeiam.io/v1alpha1",
  kind: "AccessEntry",
  metadata: { name: "e" },
  spec,
});

describe("parseAccessEntry: valid", () => {
  for (const v of t.valid) {
    test(`${String(v.spec.principalArn)} ${v.type}`, () => {
      const r = parseAccessEntry(obj(v.spec));
      assert.ok(r.ok, r.ok ? "" : r.problems.join("; "));
      assert.equal(r.entry.type, v.type);
      assert.equal(r.entry.source, "AccessEntry/e");
      assert.deepEqual(accessEntryMapping(r.entry), v.grants);
      assert.equal(accessEntryKey(r.entry), v.key ?? v.spec.principalArn);
      assert.deepEqual(validateAccessEntry(obj(v.spec)), []);
    });
  }
});

describe("parseAccessEntry: invalid", () => {
  for (const v of t.invalid) {
    test(JSON.stringify(v.spec), () => {
      assert.deepEqual(parseAccessEntry(obj(v.spec)), { ok: false, problems: v.problems });
    });
  }
  test("spec must be a mapping", () =>
    assert.deepEqual(validateAccessEntry(obj("x")), ["spec: expected a mapping"]));
});

test("matching compares path-stripped role ARNs without case; user paths are kept", () => {
  const role = parseAccessEntry(obj({ principalArn: "arn:aws:iam::111122223333:role/team/Dev" }));
  const user = parseAccessEntry(obj({ principalArn: "arn:aws:iam::111122223333:user/ops/alice" }));
  assert.ok(role.ok && user.ok);
  assert.equal(accessEntryMatches(role.entry, "arn:aws:iam::111122223333:role/dev"), true);
  assert.equal(accessEntryMatches(role.entry, "arn:aws:iam::111122223334:role/dev"), false);
  assert.equal(accessEntryMatches(user.entry, "arn:aws:iam::111122223333:user/ops/alice"), true);
  assert.equal(accessEntryMatches(user.entry, "arn:aws:iam::111122223333:user/alice"), false);
});
