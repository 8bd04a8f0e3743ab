/** IAM object views and validation: IAMRole, OIDCProvider, IAMUser, IAMPolicy as YAML writes them, and back. */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import type { KubeObject } from "../../../src/store/types.js";
import {
  hostPathOf,
  isProviderUrl,
  managedPolicyView,
  oidcProviderObjectName,
  oidcProviderView,
  roleObject,
  roleView,
  userObject,
  userView,
  validateManagedPolicy,
  validateOidcProvider,
  validateRole,
  validateUser,
} from "../../../src/iam/objects.js";

const obj = (kind: string, name: string, spec: unknown, uid = "u-1"): KubeObject => ({
  apiVersion: "kubeiam.io/v1alpha1",
  kind,
  metadata: { name, uid, creationTimestamp: "2024-05-01T10:00:00Z" },
  spec,
});

describe("IAMRole", () => {
  test("a hand-written role: the trust policy as a mapping becomes JSON text, defaults fill in, the id is stable per uid", () => {
    const o = obj("IAMRole", "app", {
      path: "/team/",
      assumeRolePolicyDocument: { Version: "2012-10-17", Statement: [] },
      inlinePolicies: { read: { Version: "2012-10-17", Statement: [] } },
    });
    const v = roleView(o, "111122223333");
    assert.equal(v.arn, "arn:aws:iam::111122223333:role/team/app");
    assert.equal(v.trustPolicy, '{"Version":"2012-10-17","Statement":[]}');
    assert.deepEqual(
      [v.maxSessionDuration, v.createDate, v.attachedPolicyArns, Object.keys(v.inlinePolicies)],
      [3600, "2024-05-01T10:00:00Z", [], ["read"]],
    );
    assert.match(v.roleId, /^AROA[A-Z2-7]{17}$/);
    assert.equal(roleView(o, "111122223333").roleId, v.roleId);
    assert.notEqual(roleView(obj("IAMRole", "app", o.spec, "u-2"), "111122223333").roleId, v.roleId);
    assert.equal(roleView(o, "111122223333", "aws-cn").arn, "arn:aws-cn:iam::111122223333:role/team/app");
  });

  test("view → object → view keeps everything (the API's writes)", () => {
    const v = roleView(
      obj("IAMRole", "app", {
        roleId: "AROAAAAAAAAAAAAAAAAAA",
        assumeRolePolicyDocument: "{}",
        maxSessionDuration: 7200,
        description: "d",
        attachedPolicyArns: ["arn:aws:iam::aws:policy/ReadOnlyAccess"],
        createDate: "2024-01-01T00:00:00Z",
      }),
      "111122223333",
    );
    const back = roleView(roleObject(v, obj("IAMRole", "app", {})), "111122223333");
    assert.deepEqual(back, v);
  });

  const roleProblems: [string, unknown, string, RegExp | undefined][] = [
    ["valid", { assumeRolePolicyDocument: "{}" }, "app", undefined],
    ["no trust policy", {}, "app", /spec\.assumeRolePolicyDocument: required/],
    ["a bad path", { assumeRolePolicyDocument: "{}", path: "team" }, "app", /spec\.path/],
    [
      "too short a maximum session",
      { assumeRolePolicyDocument: "{}", maxSessionDuration: 900 },
      "app",
      /spec\.maxSessionDuration/,
    ],
    ["a name IAM refuses", { assumeRolePolicyDocument: "{}" }, "has space", /not a valid IAM role name/],
    [
      "inline policies not a mapping",
      { assumeRolePolicyDocument: "{}", inlinePolicies: ["x"] },
      "app",
      /spec\.inlinePolicies/,
    ],
    [
      "attached ARNs not strings",
      { assumeRolePolicyDocument: "{}", attachedPolicyArns: [1] },
      "app",
      /spec\.attachedPolicyArns/,
    ],
  ];
  for (const [name, spec, roleName, problem] of roleProblems) {
    test(`validateRole: ${name}`, () => {
      const p = validateRole(obj("IAMRole", roleName, spec));
      if (problem === undefined) assert.deepEqual(p, []);
      else
        assert.ok(
          p.some((x) => problem.test(x)),
          p.join("; "),
        );
    });
  }
});

describe("OIDCProvider", () => {
  const urls: [string, boolean][] = [
    ["https://oidc.eks.us-west-2.amazonaws.com/id/ABC", true],
    ["https://127.0.0.1:8443", true],
    ["https://[::1]:8443", true],
    ["https://x.auth0.com/", true],
    ["http://insecure.example", false],
    ["https://q.example/?a=b", false],
    ["https://f.example/#frag", false],
    ["https://", false],
    ["https://sp ace.example", false],
    [`https://${"a".repeat(250)}.example`, false],
  ];
  for (const [url, ok] of urls)
    test(`isProviderUrl ${url.length > 50 ? `${url.slice(0, 40)}…` : url} → ${ok}`, () =>
      assert.equal(isProviderUrl(url), ok));

  test("the host/path keeps a trailing slash and case; object names are path-safe", () => {
    assert.equal(hostPathOf("https://x.auth0.com/"), "x.auth0.com/");
    assert.equal(hostPathOf("HTTPS://Oidc.Example/ID"), "Oidc.Example/ID");
    assert.equal(
      oidcProviderObjectName("oidc.eks.us-west-2.amazonaws.com/id/ABC"),
      "oidc.eks.us-west-2.amazonaws.com-id-ABC",
    );
    assert.equal(oidcProviderObjectName("127.0.0.1:8443"), "127.0.0.1-8443");
    const v = oidcProviderView(
      obj("OIDCProvider", "p", { url: "https://127.0.0.1:8443", clientIDList: ["sts.amazonaws.com"] }),
      "111122223333",
    );
    assert.deepEqual(
      [v.hostPath, v.arn, v.clientIds, v.thumbprints],
      ["127.0.0.1:8443", "arn:aws:iam::111122223333:oidc-provider/127.0.0.1:8443", ["sts.amazonaws.com"], []],
    );
  });

  const providerProblems: [string, unknown, RegExp | undefined][] = [
    ["valid", { url: "https://i.example", clientIDList: ["a"] }, undefined],
    ["no client IDs", { url: "https://i.example", clientIDList: [] }, /spec\.clientIDList/],
    ["an http URL", { url: "http://i.example", clientIDList: ["a"] }, /spec\.url/],
    [
      "six thumbprints",
      { url: "https://i.example", clientIDList: ["a"], thumbprintList: Array(6).fill("a".repeat(40)) },
      /spec\.thumbprintList/,
    ],
    [
      "a short thumbprint",
      { url: "https://i.example", clientIDList: ["a"], thumbprintList: ["abc"] },
      /spec\.thumbprintList/,
    ],
  ];
  for (const [name, spec, problem] of providerProblems) {
    test(`validateOidcProvider: ${name}`, () => {
      const p = validateOidcProvider(obj("OIDCProvider", "p", spec));
      if (problem === undefined) assert.deepEqual(p, []);
      else
        assert.ok(
          p.some((x) => problem.test(x)),
          p.join("; "),
        );
    });
  }
});

describe("IAMUser and IAMPolicy", () => {
  test("users keep key metadata, never secrets", () => {
    const v = userView(
      obj("IAMUser", "ci", {
        path: "/bots/",
        accessKeys: [{ accessKeyId: "AKIAAAAAAAAAAAAAAAAA", status: "Inactive" }],
      }),
      "111122223333",
    );
    assert.equal(v.arn, "arn:aws:iam::111122223333:user/bots/ci");
    assert.deepEqual(v.accessKeys, [
      { accessKeyId: "AKIAAAAAAAAAAAAAAAAA", status: "Inactive", createDate: "2024-05-01T10:00:00Z" },
    ]);
    assert.deepEqual(userView(userObject(v), "111122223333"), { ...v, createDate: v.createDate });
    assert.ok(
      validateUser(
        obj("IAMUser", "ci", { accessKeys: [{ accessKeyId: "AKIA", secretAccessKey: "s" }] }),
      ).some((p) => p.includes("secrets do not belong in objects")),
    );
    assert.deepEqual(validateUser(obj("IAMUser", "ci", {})), []);
  });

  test("managed policies: ARN with path, document as text", () => {
    const v = managedPolicyView(
      obj("IAMPolicy", "team-read", { path: "/team/", document: { Version: "2012-10-17", Statement: [] } }),
      "111122223333",
    );
    assert.deepEqual(
      [v.arn, v.document],
      ["arn:aws:iam::111122223333:policy/team/team-read", '{"Version":"2012-10-17","Statement":[]}'],
    );
    assert.match(v.policyId, /^ANPA[A-Z2-7]{17}$/);
    assert.deepEqual(validateManagedPolicy(obj("IAMPolicy", "p", {})), [
      "spec.document: required (the policy document)",
    ]);
  });
});
