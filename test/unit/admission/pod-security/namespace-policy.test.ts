import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { parse } from "yaml";
import {
  parseNamespacePolicy,
  type LevelVersion,
  type NamespacePolicy,
} from "../../../../src/admission/pod-security/namespace-policy.js";
import type { PodSecurityLevel } from "../../../../src/admission/pod-security/level-version.js";

interface Case {
  name: string;
  labels: Record<string, string>;
  defaults?: Record<"enforce" | "audit" | "warn", string>;
  policy: Record<"enforce" | "audit" | "warn", string>;
  errors: string[];
}

const cases = (
  parse(
    readFileSync(new URL("../../../fixtures/pod-security/namespace-labels.yaml", import.meta.url), "utf8"),
  ) as { cases: Case[] }
).cases;

function lv(text: string): LevelVersion {
  const [level, version] = text.split(":");
  return { level: level as PodSecurityLevel, version: version! };
}
function show(p: NamespacePolicy): Record<string, string> {
  return {
    enforce: `${p.enforce.level}:${p.enforce.version}`,
    audit: `${p.audit.level}:${p.audit.version}`,
    warn: `${p.warn.level}:${p.warn.version}`,
  };
}

describe("namespace pod-security labels", () => {
  for (const c of cases) {
    test(c.name, () => {
      const defaults = c.defaults && {
        enforce: lv(c.defaults.enforce),
        audit: lv(c.defaults.audit),
        warn: lv(c.defaults.warn),
      };
      const r = parseNamespacePolicy(c.labels, defaults);
      assert.deepEqual(show(r.policy), c.policy);
      assert.deepEqual(
        r.errors.map((e) => e.message),
        c.errors,
      );
      for (const e of r.errors) {
        assert.equal(e.field, `metadata.labels[${e.label}]`);
        assert.equal(e.value, c.labels[e.label]);
        assert.ok(e.message.endsWith(`: ${e.detail}`));
      }
    });
  }

  test("null and undefined labels give the defaults", () => {
    for (const labels of [null, undefined]) {
      assert.deepEqual(show(parseNamespacePolicy(labels).policy), {
        enforce: "privileged:latest",
        audit: "privileged:latest",
        warn: "privileged:latest",
      });
    }
  });

  test("inherited keys of the labels object are ignored", () => {
    const labels = Object.create({ "pod-security.kubernetes.io/enforce": "restricted" }) as Record<
      string,
      string
    >;
    labels.team = "a";
    assert.equal(parseNamespacePolicy(labels).policy.enforce.level, "privileged");
  });
});
