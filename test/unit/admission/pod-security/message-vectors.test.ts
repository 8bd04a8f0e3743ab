/**
 * Exact wording of every check: hand-written vectors in test/fixtures/pod-security/message-vectors.yaml.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { parse } from "yaml";
import { evaluatePodSecurity } from "../../../../src/admission/pod-security/evaluate.js";
import type { PodSecurityLevel } from "../../../../src/admission/pod-security/level-version.js";
import { CHECK_CATALOGUE } from "../../../../src/admission/pod-security/registry.js";

interface Vector {
  name: string;
  level: PodSecurityLevel;
  version: string;
  pod: { metadata?: { annotations?: Record<string, string> }; spec: unknown };
  allowed?: true;
  message?: string;
  checks?: string[];
  fieldPaths?: Record<string, string[]>;
}

const file = new URL("../../../fixtures/pod-security/message-vectors.yaml", import.meta.url);
const vectors = (parse(readFileSync(file, "utf8"), { merge: true }) as { vectors: Vector[] }).vectors;

describe("Pod Security message vectors", () => {
  test("the table is well-formed and covers every check of the catalogue", () => {
    assert.ok(vectors.length > 50);
    const names = new Set<string>();
    for (const v of vectors) {
      assert.ok(!names.has(v.name), `duplicate vector name ${v.name}`);
      names.add(v.name);
      assert.ok(
        (v.allowed === true) !== (v.message !== undefined),
        `${v.name}: exactly one of allowed/message`,
      );
    }
    const failing = new Set<string>();
    for (const v of vectors) {
      if (v.message === undefined) continue;
      const r = evaluatePodSecurity({
        level: v.level,
        version: v.version,
        podMeta: v.pod.metadata,
        podSpec: v.pod.spec,
      });
      for (const x of r.violations) failing.add(x.check);
    }
    const missing = CHECK_CATALOGUE.map((c) => c.id).filter((id) => !failing.has(id));
    assert.deepEqual(missing, [], "checks without a failing vector");
  });

  for (const v of vectors) {
    test(v.name, () => {
      const r = evaluatePodSecurity({
        level: v.level,
        version: v.version,
        podMeta: v.pod.metadata,
        podSpec: v.pod.spec,
      });
      if (v.allowed) {
        assert.equal(r.allowed, true, r.message);
        assert.deepEqual(r.violations, []);
        assert.equal(r.message, undefined);
        assert.ok(r.reasons.every((x) => x.ok));
        return;
      }
      assert.equal(r.allowed, false);
      assert.equal(r.message, v.message);
      if (v.checks)
        assert.deepEqual(
          r.violations.map((x) => x.check),
          v.checks,
        );
      for (const [check, paths] of Object.entries(v.fieldPaths ?? {})) {
        assert.deepEqual(
          r.violations.find((x) => x.check === check)?.fieldPaths,
          paths,
          `field paths of ${check}`,
        );
      }
      // the reasons trail names each failing check with the same text
      const failed = r.reasons.filter((x) => !x.ok);
      assert.deepEqual(
        failed.map((x) => x.check),
        r.violations.map((x) => `psa.${x.check}`),
      );
      for (const [i, x] of failed.entries()) {
        const viol = r.violations[i]!;
        assert.equal(x.message, viol.detail === "" ? viol.reason : `${viol.reason} (${viol.detail})`);
      }
    });
  }
});
