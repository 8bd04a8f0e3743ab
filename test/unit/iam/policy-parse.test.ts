import { test, describe } from "node:test";
import assert from "node:assert/strict";
import { parsePolicy, parsePolicyOrThrow } from "../../../src/iam/policy/index.js";
import type { PolicyKind } from "../../../src/iam/policy/index.js";
import { KubeiamError } from "../../../src/lib/errors.js";
import { expand, loadYaml } from "./fixtures.js";

interface Case {
  name: string;
  kind?: PolicyKind;
  document?: string;
  object?: unknown;
  quota?: { name: string; limit: number };
  maxTextLength?: number;
  expect: {
    ok?: true;
    version?: string;
    versionGiven?: boolean;
    id?: string;
    statements?: number;
    principals?: unknown[];
    conditions?: unknown[];
    awsCode?: string;
    message?: string;
    path?: string;
    detailIncludes?: string;
  };
}

const { cases } = loadYaml("parse.yaml") as { cases: Case[] };

describe("parsePolicy table", () => {
  for (const c of cases) {
    test(c.name, () => {
      const input = c.document !== undefined ? expand(c.document) : c.object;
      const result = parsePolicy(input, { kind: c.kind, quota: c.quota, maxTextLength: c.maxTextLength });
      const e = c.expect;
      if (e.ok) {
        assert.ok(
          result.ok,
          result.ok ? "" : `${result.error.message} at ${result.error.path}: ${result.error.detail}`,
        );
        const p = result.policy;
        if (e.version !== undefined) assert.equal(p.version, e.version);
        if (e.versionGiven !== undefined) assert.equal(p.versionGiven, e.versionGiven);
        if (e.id !== undefined) assert.equal(p.id, e.id);
        if (e.statements !== undefined) assert.equal(p.statements.length, e.statements);
        if (e.principals !== undefined) {
          const got = p.statements.flatMap((s) =>
            (s.principal?.values ?? []).map((v) =>
              v.account === undefined ? { type: v.type, value: v.value } : { ...v },
            ),
          );
          assert.deepEqual(got, e.principals);
        }
        if (e.conditions !== undefined) {
          const got = p.statements.flatMap((s) =>
            s.conditions.map((c) => Object.fromEntries(Object.entries(c).filter(([, v]) => v !== undefined))),
          );
          assert.deepEqual(got, e.conditions);
        }
        p.statements.forEach((s, i) => assert.equal(s.index, i));
        return;
      }
      assert.equal(result.ok, false, "the document should be rejected");
      if (result.ok) return;
      assert.equal(result.error.awsCode, e.awsCode);
      assert.equal(result.error.message, e.message);
      if (e.path !== undefined) assert.equal(result.error.path, e.path);
      if (e.detailIncludes !== undefined)
        assert.ok(result.error.detail.includes(e.detailIncludes), result.error.detail);
      assert.ok(result.error.detail.length > 0);
      assert.throws(
        () => parsePolicyOrThrow(input, { kind: c.kind, quota: c.quota, maxTextLength: c.maxTextLength }),
        (err: unknown) =>
          err instanceof KubeiamError &&
          err.code === "POLICY_MALFORMED" &&
          err.message === e.message &&
          err.context.awsCode === e.awsCode,
      );
    });
  }
});

test("a parsed trust policy keeps statement order, Sid and effect, and measures its size without whitespace", () => {
  const text =
    '{"Version":"2012-10-17","Statement":[{"Sid":"A","Effect":"Allow","Principal":"*","Action":"sts:AssumeRole"},' +
    '{"Effect":"Deny","NotPrincipal":{"AWS":"111122223333"},"NotAction":"sts:TagSession"}]}';
  const r = parsePolicy(text.replace(/,/g, ",\n  "), { kind: "trust" });
  assert.ok(r.ok);
  const [a, b] = r.policy.statements;
  assert.deepEqual(
    [a?.sid, a?.effect, a?.principal?.anyone, a?.principal?.negated],
    ["A", "Allow", true, false],
  );
  assert.deepEqual(
    [b?.sid, b?.effect, b?.principal?.negated, b?.action?.negated],
    [undefined, "Deny", true, true],
  );
  assert.deepEqual(b?.action?.patterns, ["sts:TagSession"]);
  assert.equal(r.policy.significantLength, text.length);
});
