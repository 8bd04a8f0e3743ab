/** The query protocol pieces: parameter parsing, member lists, XML rendering, validation messages, role ARNs. */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { AwsError, constraintError } from "../../../src/sts/aws-error.js";
import { memberList, parseQueryParams } from "../../../src/sts/query.js";
import { durationParam, parseRoleArn, sessionNameProblems } from "../../../src/sts/params.js";
import { el, errorXml, esc, isoSeconds, successXml, STS_NS } from "../../../src/sts/xml.js";

describe("parseQueryParams", () => {
  test("merges the query string and a form body; decodes + and percent escapes", () => {
    const p = parseQueryParams(
      "Action=GetCallerIdentity",
      Buffer.from("Version=2011-06-15&RoleSessionName=a+b%2Bc"),
      "application/x-www-form-urlencoded; charset=utf-8",
    );
    assert.deepEqual(
      [...p],
      [
        ["Action", "GetCallerIdentity"],
        ["Version", "2011-06-15"],
        ["RoleSessionName", "a b+c"],
      ],
    );
  });

  const refused: [string, string, string | undefined, string, string][] = [
    [
      "a name twice in the body",
      "",
      "A=1&A=2",
      "ValidationError",
      "The parameter A was specified more than once",
    ],
    [
      "a name in the query and the body",
      "A=1",
      "A=2",
      "ValidationError",
      "The parameter A was specified more than once",
    ],
    [
      "a JSON body",
      "",
      '{"Action":"x"}',
      "InvalidParameterValue",
      "Unsupported content type application/json; use application/x-www-form-urlencoded",
    ],
  ];
  for (const [name, query, body, code, message] of refused) {
    test(`refuses ${name}`, () => {
      assert.throws(
        () =>
          parseQueryParams(
            query,
            body === undefined ? undefined : Buffer.from(body),
            name === "a JSON body" ? "application/json" : "application/x-www-form-urlencoded",
          ),
        (e: unknown) => e instanceof AwsError && e.code === code && e.message === message && e.status === 400,
      );
    });
  }

  test("member lists come back in index order (10 after 2), other members ignored", () => {
    const p = parseQueryParams(
      "",
      Buffer.from(
        "L.member.10=j&L.member.2=b&L.member.1=a&L.other=x&PolicyArns.member.1.arn=p1&PolicyArns.member.1.other=q",
      ),
      undefined,
    );
    assert.deepEqual(memberList(p, "L"), ["a", "b", "j"]);
    assert.deepEqual(memberList(p, "PolicyArns", "arn"), ["p1"]);
    assert.deepEqual(memberList(p, "Missing"), []);
  });
});

describe("XML", () => {
  test("escapes the five XML characters", () => {
    assert.equal(esc(`<a b="c" d='e'>&</a>`), "&lt;a b=&quot;c&quot; d=&apos;e&apos;&gt;&amp;&lt;/a&gt;");
  });

  test("nested elements, member lists and omitted undefined values", () => {
    assert.equal(
      el("R", { A: "x", B: ["1", { C: 2 }], D: undefined, E: true }),
      "<R><A>x</A><B><member>1</member><member><C>2</C></member></B><E>true</E></R>",
    );
  });

  test("success and error documents in the service namespace, with the request id", () => {
    const ok = successXml(STS_NS, "GetCallerIdentity", { Arn: "a&b" }, "rid-1");
    assert.match(ok, /^<GetCallerIdentityResponse xmlns="https:\/\/sts\.amazonaws\.com\/doc\/2011-06-15\/">/);
    assert.ok(ok.includes("<GetCallerIdentityResult><Arn>a&amp;b</Arn></GetCallerIdentityResult>"));
    assert.ok(ok.includes("<RequestId>rid-1</RequestId>"));
    const err = errorXml(STS_NS, new AwsError("AccessDenied", "no <way>", 403), "rid-2");
    assert.ok(
      err.includes(
        "<Error>\n    <Type>Sender</Type>\n    <Code>AccessDenied</Code>\n    <Message>no &lt;way&gt;</Message>\n  </Error>\n  <RequestId>rid-2</RequestId>",
      ),
    );
    assert.ok(errorXml(STS_NS, new AwsError("InternalFailure", "x", 500)).includes("<Type>Receiver</Type>"));
  });

  test("timestamps are ISO-8601 UTC without milliseconds", () => {
    assert.equal(isoSeconds(Date.UTC(2030, 0, 2, 3, 4, 5, 678)), "2030-01-02T03:04:05Z");
  });
});

describe("validation messages", () => {
  test("one, then several problems, in AWS's sentence", () => {
    assert.equal(
      constraintError([{ value: undefined, member: "roleArn", constraint: "Member must not be null" }])
        .message,
      "1 validation error detected: Value null at 'roleArn' failed to satisfy constraint: Member must not be null",
    );
    assert.equal(
      constraintError([
        { value: "a", member: "x", constraint: "c1" },
        { value: "b", member: "y", constraint: "c2" },
      ]).message,
      "2 validation errors detected: Value 'a' at 'x' failed to satisfy constraint: c1; Value 'b' at 'y' failed to satisfy constraint: c2",
    );
  });

  const sessionNames: [string, string[]][] = [
    ["ab", []],
    ["a".repeat(64), []],
    ["user@example.com,team=x+y.z-1_2", []],
    ["a", ["Member must have length greater than or equal to 2"]],
    ["a".repeat(65), ["Member must have length less than or equal to 64"]],
    ["has space", ["Member must satisfy regular expression pattern: [\\w+=,.@-]*"]],
    ["slash/no", ["Member must satisfy regular expression pattern: [\\w+=,.@-]*"]],
    [
      "é",
      [
        "Member must have length greater than or equal to 2",
        "Member must satisfy regular expression pattern: [\\w+=,.@-]*",
      ],
    ],
  ];
  for (const [name, constraints] of sessionNames) {
    test(`RoleSessionName ${JSON.stringify(name.length > 20 ? `${name.slice(0, 8)}…(${name.length})` : name)}`, () => {
      assert.deepEqual(
        sessionNameProblems(name).map((p) => p.constraint),
        constraints,
      );
    });
  }

  const durations: [string, number | undefined, string[]][] = [
    ["900", 900, []],
    ["43200", 43200, []],
    ["899", 899, ["Member must have value greater than or equal to 900"]],
    ["43201", 43201, ["Member must have value less than or equal to 43200"]],
    ["-5", -5, ["Member must have value greater than or equal to 900"]],
    ["3600.5", undefined, ["Member must be a whole number of seconds"]],
    ["", undefined, ["Member must be a whole number of seconds"]],
  ];
  for (const [raw, seconds, constraints] of durations) {
    test(`DurationSeconds ${JSON.stringify(raw)}`, () => {
      const d = durationParam(raw);
      assert.equal(d.seconds, seconds);
      assert.deepEqual(
        d.problems.map((p) => p.constraint),
        constraints,
      );
    });
  }
});

describe("parseRoleArn", () => {
  const cases: [string, ReturnType<typeof parseRoleArn>][] = [
    [
      "arn:aws:iam::123456789012:role/app",
      { partition: "aws", account: "123456789012", path: "/", name: "app" },
    ],
    [
      "arn:aws:iam::123456789012:role/team/a/app",
      { partition: "aws", account: "123456789012", path: "/team/a/", name: "app" },
    ],
    [
      "arn:aws-cn:iam::123456789012:role/app",
      { partition: "aws-cn", account: "123456789012", path: "/", name: "app" },
    ],
    ["arn:aws:iam::123456789012:roleapp", undefined],
    ["arn:aws:iam::123456789012:user/app", undefined],
    ["arn:aws:iam::12345678901:role/app", undefined],
    ["arn:aws:sts::123456789012:role/app", undefined],
    ["arn:aws:iam::123456789012:role/", undefined],
    ["arn:aws:iam::123456789012:role/has space", undefined],
    [`arn:aws:iam::123456789012:role/${"r".repeat(65)}`, undefined],
    ["arn:aws:iam::123456789012:oidc-provider/oidc.eks.us-west-2.amazonaws.com/id/X", undefined],
  ];
  for (const [arn, want] of cases) {
    test(arn.length > 60 ? `${arn.slice(0, 60)}…` : arn, () => assert.deepEqual(parseRoleArn(arn), want));
  }
});

describe("form decoding matches URLSearchParams", () => {
  const inputs = [
    "a=1&b=2",
    "a=x+y%20z%2B",
    "a&b=&=c&&d=1=2",
    "a=%E2%82%AC",
    "a=%ZZ&b=%",
    "k%3D=v%26w",
    "a=%F0%9F%98%80&a2=%ED%A0%80",
    "A.member.1=x&A.member.2=y",
  ];
  for (const src of inputs) {
    test(JSON.stringify(src), () => {
      const want = new Map<string, string>();
      for (const [k, v] of new URLSearchParams(src)) if (!want.has(k)) want.set(k, v);
      const dup = [...new URLSearchParams(src)].length !== want.size;
      if (dup) assert.throws(() => parseQueryParams("", Buffer.from(src), undefined));
      else assert.deepEqual([...parseQueryParams("", Buffer.from(src), undefined)], [...want]);
    });
  }
});
