import { test, describe } from "node:test";
import assert from "node:assert/strict";
import { cidrContains, parseCidr, parseIp, type Cidr } from "../../../src/tenancy/lib/cidr.js";
import {
  formatSelector,
  parseLabelSelector,
  selectorMatches,
} from "../../../src/tenancy/lib/label-selector.js";

function cidr(s: string): Cidr {
  const c = parseCidr(s);
  assert.ok(typeof c !== "string", `${s}: ${JSON.stringify(c)}`);
  return c;
}

describe("CIDR containment", () => {
  const table: [string, string, boolean][] = [
    ["10.0.0.0/8", "10.255.1.2", true],
    ["10.0.0.0/8", "11.0.0.1", false],
    ["203.0.113.0/24", "203.0.113.255", true],
    ["203.0.113.0/25", "203.0.113.128", false],
    ["192.0.2.7", "192.0.2.7", true],
    ["192.0.2.7", "192.0.2.8", false],
    ["0.0.0.0/0", "8.8.8.8", true],
    ["169.254.0.0/16", "169.254.169.254", true],
    ["2001:db8::/32", "2001:db8:ffff::1", true],
    ["2001:db8::/32", "2001:db9::1", false],
    ["fd00:ec2::254/128", "fd00:ec2:0:0:0:0:0:254", true],
    ["::ffff:0:0/96", "::ffff:10.0.0.1", true],
    ["10.0.0.0/8", "::ffff:10.0.0.1", false], // families never mix
    ["::/0", "10.0.0.1", false],
  ];
  for (const [c, ip, want] of table) {
    test(`${ip} in ${c} = ${want}`, () => {
      const p = parseIp(ip);
      assert.ok(p, ip);
      assert.equal(cidrContains(cidr(c), p), want);
    });
  }
  test("bad input", () => {
    for (const s of [
      "",
      "10.0.0.0/33",
      "10.0.0.0/",
      "10.0.0.0/08",
      "256.0.0.1",
      "example.com",
      "fe80::1%eth0",
      "::/129",
      "1.2.3.4/-1",
    ]) {
      assert.equal(typeof parseCidr(s), "string", s);
    }
    for (const s of ["1.2.3", "01.2.3.4", "::g", "1.2.3.4 "]) assert.equal(parseIp(s), undefined, s);
  });
});

describe("label selectors", () => {
  const sel = parseLabelSelector(
    {
      matchLabels: { team: "a" },
      matchExpressions: [
        { key: "env", operator: "In", values: ["dev", "prod"] },
        { key: "legacy", operator: "DoesNotExist" },
        { key: "tier", operator: "NotIn", values: ["db"] },
        { key: "owner", operator: "Exists" },
      ],
    },
    "s",
    [],
  );
  assert.ok(sel);
  const table: [Record<string, string>, boolean][] = [
    [{ team: "a", env: "dev", owner: "x" }, true],
    [{ team: "a", env: "dev", owner: "x", tier: "web" }, true],
    [{ team: "a", env: "dev", owner: "x", tier: "db" }, false],
    [{ team: "a", env: "test", owner: "x" }, false],
    [{ team: "a", env: "dev" }, false],
    [{ team: "a", env: "dev", owner: "x", legacy: "" }, false],
    [{ team: "b", env: "dev", owner: "x" }, false],
  ];
  for (const [labels, want] of table)
    test(`${JSON.stringify(labels)} → ${want}`, () => assert.equal(selectorMatches(sel, labels), want));
  test("kubectl rendering", () =>
    assert.equal(formatSelector(sel), "team=a,env in (dev,prod),!legacy,tier notin (db),owner"));
  test("problems carry paths", () => {
    const problems: string[] = [];
    assert.equal(
      parseLabelSelector({ matchLabels: [], matchExpressions: {}, other: 1 }, "x.sel", problems),
      undefined,
    );
    assert.deepEqual(problems, [
      "x.sel.other: unknown field",
      "x.sel.matchLabels: expected a mapping of strings, found a list",
      "x.sel.matchExpressions: expected a list, found a mapping",
    ]);
  });
});
