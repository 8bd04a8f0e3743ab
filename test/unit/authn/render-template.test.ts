import { test, describe } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import {
  renderMapping,
  renderTemplate,
  unknownPlaceholders,
} from "../../../src/authn/mapping/render-template.js";

const t = JSON.parse(
  readFileSync(new URL("../../fixtures/authn/templates.json", import.meta.url), "utf8"),
) as {
  ec2: Record<string, string>;
  cases: { template: string; sessionName?: string; out?: string; error?: string }[];
};
const lookup = (id: string): string | undefined => t.ec2[id];

describe("renderTemplate (data table)", () => {
  for (const c of t.cases) {
    test(`${c.template} with session ${JSON.stringify(c.sessionName ?? "")}`, () => {
      const r = renderTemplate(
        c.template,
        { accountId: "111122223333", sessionName: c.sessionName ?? "", accessKeyId: "ASIAEXAMPLE" },
        lookup,
      );
      if (c.error !== undefined) assert.deepEqual(r, { ok: false, error: c.error });
      else assert.deepEqual(r, { ok: true, value: c.out });
    });
  }
});

describe("renderMapping", () => {
  const identity = { accountId: "111122223333", sessionName: "i-aaaaa", accessKeyId: "AK" };
  test("the first failing template is named, username before groups", () => {
    assert.deepEqual(renderMapping("system:node:{{EC2PrivateDNSName}}", ["g"], identity, lookup), {
      ok: false,
      error:
        'error rendering username template "system:node:{{EC2PrivateDNSName}}": SessionName did not contain an instance id',
      template: "system:node:{{EC2PrivateDNSName}}",
    });
    assert.deepEqual(renderMapping("u", ["ok-{{AccountID}}", "n-{{EC2PrivateDNSName}}"], identity, lookup), {
      ok: false,
      error:
        'error rendering group template "n-{{EC2PrivateDNSName}}": SessionName did not contain an instance id',
      template: "n-{{EC2PrivateDNSName}}",
    });
  });
  test("every group is rendered", () => {
    assert.deepEqual(
      renderMapping(
        "u-{{SessionName}}",
        ["a-{{AccountID}}", "b"],
        { ...identity, sessionName: "s@x" },
        lookup,
      ),
      { ok: true, username: "u-s-x", groups: ["a-111122223333", "b"] },
    );
  });
  test("the EC2 lookup is only consulted when the template needs it", () => {
    let calls = 0;
    renderMapping("{{SessionName}}", ["{{AccountID}}"], identity, () => {
      calls++;
      return "x";
    });
    assert.equal(calls, 0);
  });
});

test("unknownPlaceholders lists what stays literal", () => {
  assert.deepEqual(unknownPlaceholders("{{UserID}}:{{SessionName}}:{{ AccountID }}"), [
    "{{UserID}}",
    "{{ AccountID }}",
  ]);
  assert.deepEqual(unknownPlaceholders("system:node:{{EC2PrivateDNSName}}"), []);
});
