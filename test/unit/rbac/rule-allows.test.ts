import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { compileRules, RuleInterner } from "../../../src/rbac/lib/rule-matcher.js";
import type { RequestAttributes } from "../../../src/rbac/types.js";
import { ruleAllows, ruleDifferences, toMatchRequest } from "../../../src/rbac/rule-allows.js";
import { fixture, ruleOf } from "./helpers.js";

interface Case {
  name: string;
  rule: Record<string, string[]>;
  resource?: [string, string, string, string, string, boolean][];
  nonResource?: { verb: string; path: string; allowed: boolean }[];
}

const cases = fixture<Case[]>("rule-matches.yaml");

describe("ruleAllows (rule-matches.yaml)", () => {
  assert.ok(cases.length >= 20, "fixture loaded");
  for (const c of cases) {
    test(c.name, () => {
      const rule = ruleOf(c.rule);
      // the compiled matcher (behind a decoy rule, so index 1 is the answer) must agree
      const interner = new RuleInterner();
      const compiled = compileRules(
        [ruleOf({ verbs: ["nothing"], apiGroups: ["none"], resources: ["none"] }), rule],
        interner,
      );
      const compiledAllows = (a: RequestAttributes) => {
        const req = toMatchRequest(a);
        return compiled.first(req, interner.keys(req)) === 1;
      };
      let rows = 0;
      for (const [verb, apiGroup, resource, subresource, name, want] of c.resource ?? []) {
        const attrs = { resourceRequest: true as const, verb, apiGroup, resource, subresource, name };
        assert.equal(
          ruleAllows(rule, attrs),
          want,
          `${verb} ${apiGroup}/${resource}/${subresource} name=${name}`,
        );
        // differences are empty exactly when the rule allows
        assert.equal(
          ruleDifferences(rule, attrs).length === 0,
          want,
          `differences agree for ${verb} ${resource}/${subresource}`,
        );
        rows++;
      }
      for (const r of c.nonResource ?? []) {
        const attrs = { resourceRequest: false as const, verb: r.verb, path: r.path };
        assert.equal(ruleAllows(rule, attrs), r.allowed, `${r.verb} ${r.path}`);
        assert.equal(compiledAllows(attrs), r.allowed, `compiled: ${r.verb} ${r.path}`);
        assert.equal(
          ruleDifferences(rule, attrs).length === 0,
          r.allowed,
          `differences agree for ${r.verb} ${r.path}`,
        );
        rows++;
      }
      assert.ok(rows > 0, "case has rows");
    });
  }
});

describe("ruleDifferences", () => {
  test("names each failing dimension with expected and actual", () => {
    const rule = ruleOf({
      verbs: ["get"],
      apiGroups: ["apps"],
      resources: ["deployments"],
      resourceNames: ["web"],
    });
    const d = ruleDifferences(rule, {
      resourceRequest: true,
      verb: "delete",
      apiGroup: "",
      resource: "pods",
      name: "db",
    });
    assert.deepEqual(
      d.map((x) => [x.field, x.expected, x.actual]),
      [
        ["verb", ["get"], "delete"],
        ["apiGroup", ["apps"], ""],
        ["resource", ["deployments"], "pods"],
        ["resourceName", ["web"], "db"],
      ],
    );
  });
  test("a request without a name against a rule with names says why", () => {
    const rule = ruleOf({
      verbs: ["list"],
      apiGroups: [""],
      resources: ["configmaps"],
      resourceNames: ["cfg"],
    });
    const [d] = ruleDifferences(rule, { resourceRequest: true, verb: "list", resource: "configmaps" });
    assert.equal(d?.field, "resourceName");
    assert.match(d.message, /names no object/);
  });
  test("resource vs non-resource mismatch is reported as requestKind", () => {
    const urlRule = ruleOf({ verbs: ["get"], nonResourceURLs: ["/healthz"] });
    assert.deepEqual(
      ruleDifferences(urlRule, { resourceRequest: true, verb: "get", resource: "pods" }).map((x) => x.field),
      ["requestKind"],
    );
    const resRule = ruleOf({ verbs: ["get"], apiGroups: [""], resources: ["pods"] });
    assert.deepEqual(
      ruleDifferences(resRule, { resourceRequest: false, verb: "get", path: "/healthz" }).map((x) => x.field),
      ["requestKind"],
    );
    assert.deepEqual(
      ruleDifferences(urlRule, { resourceRequest: false, verb: "get", path: "/livez" }).map((x) => x.field),
      ["nonResourceURL"],
    );
  });
});
