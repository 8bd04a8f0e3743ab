import { test, describe } from "node:test";
import assert from "node:assert/strict";
import { parseAdmissionReviewValue } from "../../../../src/admission/review.js";
import { tenancyRequest } from "../../../../src/admission/tenancy/lib/request.js";
import { validateTenancyRequest } from "../../../../src/admission/tenancy/validate-request.js";
import { checkAnswer, loadCases, reviewOf, worldView } from "./cases.js";

const cases = loadCases("validate-cases.yaml");
const view = worldView();

describe("validateTenancyRequest over validate-cases.yaml", () => {
  test("the fixture has cases for every rule, allowed and denied", () => {
    assert.ok(cases.length >= 50, `${cases.length} cases`);
    assert.ok(cases.some((c) => c.expect.allowed) && cases.some((c) => !c.expect.allowed));
  });
  for (const c of cases) {
    test(c.name, () => {
      const review = parseAdmissionReviewValue(reviewOf(c.request));
      const r = validateTenancyRequest(tenancyRequest(review.request), view);
      checkAnswer(c, { ...r.verdict, ...(r.verdict.status ? { status: r.verdict.status } : {}) });
      // every denial and warning from a tenant rule names rule, tenant and field
      for (const v of [...r.denied, ...r.warned, ...r.audited]) {
        assert.ok(v.rule.length > 0 && v.tenant.length > 0 && v.field.length > 0, JSON.stringify(v));
      }
      assert.ok(r.reasons.length > 0 || r.verdict.allowed, "a denial carries reasons");
    });
  }
});
