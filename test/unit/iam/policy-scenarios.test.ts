import { test, describe } from "node:test";
import assert from "node:assert/strict";
import { evaluatePolicy, parsePolicy } from "../../../src/iam/policy/index.js";
import type { ContextValue, Policy, PolicyKind, RequestPrincipal } from "../../../src/iam/policy/index.js";
import { loadYaml } from "./fixtures.js";

interface ScenarioFile {
  policies: Record<string, { kind?: PolicyKind; document: string }>;
  principals?: Record<string, RequestPrincipal>;
  cases: {
    name: string;
    policy: string;
    principal?: string;
    action: string;
    resource?: string;
    context?: Record<string, ContextValue>;
    expect: {
      decision: "Allow" | "ExplicitDeny" | "ImplicitDeny";
      decidedBy?: number[];
      failed?: { statement?: number; check: string; operator?: string; key?: string; actual?: unknown };
    };
  }[];
}

for (const file of ["trust-irsa.yaml", "trust-assume-role.yaml", "elements.yaml"]) {
  const data = loadYaml(file) as ScenarioFile;
  describe(`policy scenarios: ${file}`, () => {
    const parsed = new Map<string, Policy>();
    for (const [name, p] of Object.entries(data.policies)) {
      const r = parsePolicy(p.document, { kind: p.kind });
      if (!r.ok)
        throw new Error(`${file}: policy ${name} does not parse: ${r.error.message} (${r.error.detail})`);
      parsed.set(name, r.policy);
    }
    for (const c of data.cases) {
      test(c.name, () => {
        const policy = parsed.get(c.policy);
        assert.ok(policy, `unknown policy ${c.policy}`);
        const principal = c.principal === undefined ? undefined : data.principals?.[c.principal];
        if (c.principal !== undefined) assert.ok(principal, `unknown principal ${c.principal}`);
        const result = evaluatePolicy(policy, {
          principal,
          action: c.action,
          resource: c.resource,
          context: c.context,
        });
        assert.equal(result.decision, c.expect.decision, result.reasons.map((r) => r.message).join("\n"));
        assert.equal(result.allowed, c.expect.decision === "Allow");
        assert.equal(result.statements.length, policy.statements.length);
        for (const r of result.reasons) assert.ok(r.message.length > 0);

        const headers = result.reasons.filter((r) => r.check === "policy.statement");
        if (c.expect.decidedBy !== undefined) {
          assert.deepEqual(
            headers.map((h) => h.statement?.index),
            c.expect.decidedBy,
          );
          for (const h of headers) assert.equal(h.ok, c.expect.decision === "Allow");
          const deciding = result.statements.filter((s) => c.expect.decidedBy!.includes(s.index));
          for (const s of deciding) assert.ok(s.matched && s.checks.every((x) => x.ok));
        }
        if (c.expect.failed !== undefined) {
          const f = c.expect.failed;
          const first = result.reasons.find(
            (r) =>
              !r.ok &&
              r.check !== "policy.statement" &&
              (f.statement === undefined || r.statement?.index === f.statement),
          );
          assert.ok(first, "a failing check is reported");
          assert.equal(first.check, f.check, first.message);
          if (f.operator !== undefined) assert.equal(first.operator, f.operator);
          if (f.key !== undefined) assert.equal(first.key, f.key);
          if (f.actual !== undefined) assert.deepEqual(first.actual, f.actual);
        }
      });
    }
  });
}
