import { test, describe } from "node:test";
import assert from "node:assert/strict";
import { TenantIndex } from "../../../src/tenancy/tenant-index.js";
import { tenantFromObject, type Tenant } from "../../../src/tenancy/tenant.js";
import type { RequestUser } from "../../../src/tenancy/lib/subjects.js";
import { canonicalArn } from "../../../src/tenancy/lib/subjects.js";

function tenant(name: string, spec: Record<string, unknown>): Tenant {
  return tenantFromObject({
    apiVersion: "kubeiam.io/v1alpha1",
    kind: "Tenant",
    metadata: { name },
    spec: { owners: { users: [`${name}-owner`] }, ...spec },
  });
}

const acme = tenant("acme", {
  namespaces: { names: ["acme", "shared-acme"], prefix: "acme-" },
  owners: {
    users: ["alice"],
    groups: ["acme-admins"],
    iamArns: ["arn:aws:iam::111122223333:role/ops/acme-admin"],
  },
});
const acmeLab = tenant("acme-lab", { namespaces: { prefix: "acme-lab-" } });
const sel = tenant("sel", {
  namespaces: {
    selector: {
      matchLabels: { team: "sel" },
      matchExpressions: [{ key: "env", operator: "NotIn", values: ["prod"] }],
    },
  },
});
const dup = tenant("dup", { namespaces: { names: ["acme"] } });
const index = new TenantIndex([sel, acme, acmeLab]);

const user = (
  username: string,
  groups: string[] = [],
  extra: Record<string, string[]> = {},
): RequestUser => ({ username, groups, extra });

describe("which tenant owns a namespace", () => {
  const table: [string, Record<string, string> | undefined, string | undefined, string | undefined][] = [
    ["acme", undefined, "acme", "name"],
    ["acme-web", undefined, "acme", "prefix"],
    ["acme-lab-1", undefined, "acme-lab", "prefix"], // longest prefix wins
    ["acme-", undefined, "acme", "prefix"],
    ["acmex", undefined, undefined, undefined],
    ["x", { team: "sel" }, "sel", "selector"],
    ["x", { team: "sel", env: "prod" }, undefined, undefined],
    ["x", undefined, undefined, undefined], // labels unknown: only names and prefixes decide
    ["acme-web", { team: "sel" }, "acme", "prefix"], // name/prefix before selector
  ];
  for (const [ns, labels, want, via] of table) {
    test(`${ns} ${labels ? JSON.stringify(labels) : "(no labels)"} → ${want ?? "no tenant"}`, () => {
      const o = index.ownerOf(ns, labels);
      assert.equal(o?.tenant.name, want);
      assert.equal(o?.via, via);
    });
  }

  test("a namespace claimed twice reports the other claimant", () => {
    const o = new TenantIndex([acme, dup]).ownerOf("acme");
    assert.equal(o?.tenant.name, "acme");
    assert.deepEqual(o?.alsoClaimedBy, ["dup"]);
  });

  test("conflicts: names listed twice, prefixes covering prefixes and names", () => {
    const msgs = new TenantIndex([
      acme,
      dup,
      acmeLab,
      tenant("lab", { namespaces: { names: ["acme-lab-x"] } }),
    ])
      .conflicts()
      .map((c) => c.message)
      .sort();
    assert.deepEqual(msgs, [
      'namespace "acme" is listed by tenants "acme" and "dup"',
      'namespace "acme-lab-x" of tenant "lab" also matches prefix "acme-" of tenant "acme"',
      'namespace "acme-lab-x" of tenant "lab" also matches prefix "acme-lab-" of tenant "acme-lab"',
      'prefix "acme-" of tenant "acme" also covers prefix "acme-lab-" of tenant "acme-lab"',
    ]);
  });
});

describe("is a subject an owner", () => {
  const table: [string, RequestUser, boolean][] = [
    ["user name", user("alice"), true],
    ["group", user("zed", ["x", "acme-admins"]), true],
    ["other user", user("bob"), false],
    ["IAM role ARN as user name (path dropped)", user("arn:aws:iam::111122223333:role/acme-admin"), true],
    [
      "assumed-role session in extra.arn",
      user("whoever", [], { arn: ["arn:aws:sts::111122223333:assumed-role/acme-admin/sess-1"] }),
      true,
    ],
    [
      "canonicalArn in extra, any case",
      user("whoever", [], { canonicalArn: ["ARN:AWS:IAM::111122223333:ROLE/ACME-ADMIN"] }),
      true,
    ],
    ["same role name, other account", user("arn:aws:sts::999988887777:assumed-role/acme-admin/s"), false],
    ["a group named like an owner user", user("zed", ["alice"]), false],
  ];
  for (const [name, u, want] of table) {
    test(name, () => {
      assert.equal(index.isOwner(u, acme), want);
      assert.equal(index.ownedBy(u).includes(acme), want);
    });
  }

  test("service accounts are subjects of the tenant owning their namespace", () => {
    assert.deepEqual(
      index.subjectOf(user("system:serviceaccount:acme-web:ci")).map((t) => t.name),
      ["acme"],
    );
    assert.deepEqual(
      index.subjectOf(user("system:serviceaccount:x:ci"), () => ({ team: "sel" })).map((t) => t.name),
      ["sel"],
    );
    assert.deepEqual(index.subjectOf(user("system:serviceaccount:kube-system:ci")), []);
    assert.deepEqual(index.subjectOf(user("system:node:n1", ["system:nodes"])), []);
  });

  test("canonical ARNs", () => {
    assert.equal(
      canonicalArn("arn:aws:sts::111122223333:assumed-role/R/s"),
      "arn:aws:iam::111122223333:role/r",
    );
    assert.equal(canonicalArn("arn:aws:iam::111122223333:role/a/b/R"), "arn:aws:iam::111122223333:role/r");
    assert.equal(canonicalArn("arn:aws:iam::111122223333:user/a/U"), "arn:aws:iam::111122223333:user/a/u");
  });
});
