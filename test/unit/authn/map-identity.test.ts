import { test, describe } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import {
  mapIdentity,
  type MapIdentityOptions,
  type MappingIdentity,
} from "../../../src/authn/mapping/map-identity.js";
import { parseAwsAuth } from "../../../src/authn/mapping/aws-auth.js";
import { parseAccessEntry, type AccessEntry } from "../../../src/authn/mapping/access-entry.js";
import type { KubeObject } from "../../../src/store/types.js";

interface Scenario {
  name: string;
  identity?: Partial<MappingIdentity>;
  awsAuth?: Record<string, string>;
  accessEntries?: KubeObject[];
  options?: Partial<MapIdentityOptions>;
  expect: {
    mapped: boolean;
    username?: string;
    groups?: string[];
    source?: string;
    via?: string;
    backend?: string;
    error?: string;
    matchedSource?: string;
    nearest?: { source: string; arn?: string; difference?: string } | null;
    reasonChecks?: string[];
  };
}

const t = JSON.parse(
  readFileSync(new URL("../../fixtures/authn/map-identity.json", import.meta.url), "utf8"),
) as { identity: MappingIdentity; cases: Scenario[] };
const ec2: Record<string, string> = { "i-0c6f21bf1f24f9708": "ip-172-31-27-14" };

function entries(objs: KubeObject[] | undefined): AccessEntry[] | undefined {
  return objs?.map((o) => {
    const r = parseAccessEntry(o);
    assert.ok(r.ok, r.ok ? "" : r.problems.join("; "));
    return r.entry;
  });
}

describe("mapIdentity (data table)", () => {
  for (const c of t.cases) {
    test(c.name, () => {
      const r = mapIdentity(
        { ...t.identity, ...c.identity },
        { awsAuth: c.awsAuth ? parseAwsAuth(c.awsAuth) : undefined, accessEntries: entries(c.accessEntries) },
        { ec2PrivateDnsName: (id) => ec2[id], ...c.options },
      );
      const e = c.expect;
      assert.equal(r.mapped, e.mapped, JSON.stringify(r.reasons, null, 1));
      assert.ok(r.reasons.length > 0);
      if (r.mapped) {
        assert.deepEqual(
          { username: r.username, groups: r.groups, source: r.source, via: r.via, backend: r.backend },
          { username: e.username, groups: e.groups, source: e.source, via: e.via, backend: e.backend },
        );
        assert.equal(r.reasons.at(-1)!.ok, true);
        return;
      }
      assert.equal(r.error, e.error);
      if (e.matchedSource !== undefined) assert.equal(r.matchedSource, e.matchedSource);
      if (e.nearest === null) assert.equal(r.nearest, undefined);
      else if (e.nearest) {
        assert.ok(r.nearest, "expected a nearest mapping");
        assert.equal(r.nearest.source, e.nearest.source);
        if (e.nearest.arn !== undefined) assert.equal(r.nearest.arn, e.nearest.arn);
        if (e.nearest.difference !== undefined) assert.equal(r.nearest.difference, e.nearest.difference);
        assert.equal(r.reasons.at(-1)!.check, "mapping.nearest");
      }
      if (e.reasonChecks)
        assert.deepEqual(
          r.reasons.map((x) => x.check),
          e.reasonChecks,
        );
    });
  }
});

test("no backend data at all: not mapped, with a reason per backend searched", () => {
  const r = mapIdentity(t.identity, {}, { ec2PrivateDnsName: () => undefined });
  assert.equal(r.mapped, false);
  assert.deepEqual(
    r.reasons.map((x) => x.check),
    ["mapping.access-entry", "mapping.aws-auth"],
  );
});
