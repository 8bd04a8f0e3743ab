import { test, describe } from "node:test";
import assert from "node:assert/strict";
import { evaluatePolicy, parsePolicy } from "../../../src/iam/policy/index.js";
import type { ContextValue } from "../../../src/iam/policy/index.js";
import { loadYaml } from "./fixtures.js";

interface Row {
  op: string;
  values: string[];
  request?: ContextValue;
  result: boolean;
  key?: string;
  requestKey?: string;
  context?: Record<string, ContextValue>;
  version?: string;
  note?: string;
}

const { rows } = loadYaml("operators.yaml") as { rows: Row[] };

describe("condition operators table", () => {
  for (const row of rows) {
    const key = row.key ?? "test:Key";
    const shown = row.request === undefined ? "(absent)" : JSON.stringify(row.request);
    test(`${row.op} ${JSON.stringify(row.values)} vs ${shown} → ${row.result}${row.note ? ` (${row.note})` : ""}`, () => {
      const parsed = parsePolicy({
        Version: row.version ?? "2012-10-17",
        Statement: [
          {
            Effect: "Allow",
            Principal: "*",
            Action: "sts:AssumeRole",
            Condition: { [row.op]: { [key]: row.values } },
          },
        ],
      });
      assert.ok(parsed.ok, parsed.ok ? "" : parsed.error.detail);
      const context: Record<string, ContextValue> = { ...row.context };
      if (row.request !== undefined) context[row.requestKey ?? key] = row.request;
      const result = evaluatePolicy(parsed.policy, {
        principal: { type: "AWS", ids: ["arn:aws:iam::111122223333:role/r"] },
        action: "sts:AssumeRole",
        context,
      });
      assert.equal(result.decision, row.result ? "Allow" : "ImplicitDeny");
      assert.equal(result.allowed, row.result);
      const clause = result.statements[0]?.checks.find((c) => c.check === "policy.condition");
      assert.ok(clause, "the condition is reported");
      assert.equal(clause.ok, row.result);
      assert.equal(clause.operator, row.op);
      assert.equal(clause.key, key);
      assert.deepEqual(clause.expected, row.values);
      assert.deepEqual(clause.actual, row.request);
      assert.ok(clause.message.startsWith(`${row.op} ${JSON.stringify(key)}`), clause.message);
      if (!row.result) {
        const first = result.reasons.find((r) => r.check === "policy.condition");
        assert.equal(first?.key, key, "the failing clause is among the reasons");
      }
    });
  }
});
