import { test, describe } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, readdirSync } from "node:fs";
import { parse } from "yaml";
import {
  parseAwsAuth,
  parseAwsAuthConfigMap,
  type AwsAuthMappings,
} from "../../../src/authn/mapping/aws-auth.js";
import type { KubeObject } from "../../../src/store/types.js";

const CONFORMANCE = "/work/shared/conformance/aws-auth/";
const fixture = (name: string): unknown =>
  JSON.parse(readFileSync(new URL(`../../fixtures/authn/${name}`, import.meta.url), "utf8"));

interface Expected {
  roles?: Record<string, unknown>[];
  users?: Record<string, unknown>[];
  accounts?: string[];
  problems: [string, string, string?][];
}

function check(got: AwsAuthMappings, want: Expected): void {
  assert.deepEqual(
    got.roles.map(({ rolearn, username, groups, sso }) =>
      sso ? { rolearn, username, groups, sso } : { rolearn, username, groups },
    ),
    want.roles ?? [],
  );
  assert.deepEqual(
    got.users.map(({ userarn, username, groups }) => ({ userarn, username, groups })),
    want.users ?? [],
  );
  assert.deepEqual(
    got.accounts.map((a) => a.account),
    want.accounts ?? [],
  );
  assert.deepEqual(
    got.problems.map((p) => [p.source, p.effect]),
    want.problems.map(([s, e]) => [s, e]),
  );
  want.problems.forEach(([, , message], i) => {
    if (message !== undefined) assert.equal(got.problems[i]!.message, message);
  });
}

describe("aws-auth conformance fixtures (upstream yaml_test.go)", () => {
  const expected = fixture("aws-auth-conformance-expected.json") as Record<string, Expected>;
  const files = readdirSync(CONFORMANCE).filter((f) => f.endsWith(".yaml"));
  test("every conformance file has an expectation", () => {
    assert.deepEqual(
      files.sort(),
      Object.keys(expected)
        .filter((k) => k.endsWith(".yaml"))
        .sort(),
    );
  });
  for (const file of files) {
    test(file, () => {
      const cm = parse(readFileSync(CONFORMANCE + file, "utf8")) as KubeObject;
      check(parseAwsAuthConfigMap(cm), expected[file]!);
    });
  }
});

describe("aws-auth parsing quirks (data table)", () => {
  const { cases } = fixture("aws-auth-quirks.json") as {
    cases: (Expected & { name: string; data: Record<string, unknown> })[];
  };
  for (const c of cases) test(c.name, () => check(parseAwsAuth(c.data), c));
});

describe("aws-auth sources and lines", () => {
  test("entries keep their list index and line, dropped entries included", () => {
    const m = parseAwsAuth({
      mapRoles: "- username: x\n- rolearn: arn:aws:iam::111122223333:role/a\n  username: a\n",
    });
    assert.equal(m.roles[0]!.source, "mapRoles[1]");
    assert.equal(m.roles[0]!.line, 2);
    assert.equal(m.problems[0]!.line, 1);
  });
  test("no data, or a ConfigMap whose data is not a mapping, loads nothing", () => {
    assert.deepEqual(parseAwsAuth(undefined), { roles: [], users: [], accounts: [], problems: [] });
    assert.deepEqual(
      parseAwsAuthConfigMap({
        apiVersion: "v1",
        kind: "ConfigMap",
        metadata: { name: "aws-auth" },
        data: "x",
      }).roles,
      [],
    );
  });
  test("a syntax error reports the line inside the value", () => {
    const m = parseAwsAuth({ mapUsers: "- userarn: a\n  username: b\n   bad: [\n" });
    assert.equal(m.problems[0]!.effect, "key-dropped");
    assert.equal(typeof m.problems[0]!.line, "number");
  });
  test("alias bombs are cut off", () => {
    const bomb = ["a: &a [x, x, x, x, x, x, x, x, x, x]"];
    for (let i = 0; i < 8; i++)
      bomb.push(
        `${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [*${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}]`,
      );
    const src =
      "- rolearn: arn:aws:iam::111122223333:role/a\n  x:\n" + bomb.map((l) => "    " + l).join("\n") + "\n";
    const m = parseAwsAuth({ mapRoles: src });
    assert.equal(m.roles.length, 0);
    assert.equal(m.problems[0]!.effect, "key-dropped");
  });
});
