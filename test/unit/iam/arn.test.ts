import { test, describe } from "node:test";
import assert from "node:assert/strict";
import {
  accountRootArn,
  assumedRoleArn,
  formatArn,
  oidcProviderArn,
  parseArn,
  parseAssumedRoleArn,
  parseRoleArn,
  parseUserArn,
  principalArnKind,
  roleArn,
  tryParseArn,
  userArn,
} from "../../../src/iam/arn.js";
import { KubeiamError } from "../../../src/lib/errors.js";
import { loadYaml } from "./fixtures.js";

interface Row {
  input: string;
  error?: string;
  [k: string]: unknown;
}
const data = loadYaml("arn.yaml") as Record<"parse" | "roles" | "users" | "assumedRoles" | "kinds", Row[]>;

function table(name: string, rows: Row[], field: string, fn: (s: string) => object): void {
  describe(name, () => {
    for (const row of rows) {
      test(row.input, () => {
        if (row.error !== undefined) {
          assert.throws(
            () => fn(row.input),
            (e: unknown) =>
              e instanceof KubeiamError &&
              e.code === "ARN_INVALID" &&
              e.message === `arn '${row.input}' is invalid: ${row.error}` &&
              e.context.arn === row.input,
          );
          return;
        }
        const got = fn(row.input);
        assert.deepEqual({ ...got, arn: undefined }, { ...(row[field] as object), arn: undefined });
      });
    }
  });
}

table("parseArn", data.parse, "arn", parseArn);
table("parseRoleArn", data.roles, "role", parseRoleArn);
table("parseUserArn", data.users, "user", parseUserArn);
table("parseAssumedRoleArn", data.assumedRoles, "assumed", parseAssumedRoleArn);

describe("principalArnKind", () => {
  for (const row of data.kinds) {
    test(`${row.input} → ${String(row.kind)}`, () =>
      assert.equal(principalArnKind(row.input), row.kind ?? undefined));
  }
});

test("formatArn is the inverse of parseArn, and tryParseArn does not throw", () => {
  for (const row of data.parse) {
    if (row.error !== undefined) {
      assert.equal(tryParseArn(row.input), undefined);
      continue;
    }
    assert.equal(formatArn(parseArn(row.input)), row.input);
    assert.deepEqual(tryParseArn(row.input), parseArn(row.input));
  }
  const long = "arn:aws:s3:::" + "b".repeat(2048);
  assert.equal(tryParseArn(long), undefined);
});

test("builders produce ARNs the parsers accept", () => {
  assert.equal(
    roleArn("aws", "111122223333", "deployer", "/team/"),
    "arn:aws:iam::111122223333:role/team/deployer",
  );
  assert.equal(parseRoleArn(roleArn("aws-cn", "111122223333", "r")).path, "/");
  assert.equal(userArn("aws", "111122223333", "alice"), "arn:aws:iam::111122223333:user/alice");
  assert.equal(
    assumedRoleArn("aws", "111122223333", "r", "sess"),
    "arn:aws:sts::111122223333:assumed-role/r/sess",
  );
  assert.equal(accountRootArn("aws-us-gov", "111122223333"), "arn:aws-us-gov:iam::111122223333:root");
  assert.equal(
    oidcProviderArn("aws", "111122223333", "https://oidc.eks.us-west-2.amazonaws.com/id/ABC"),
    "arn:aws:iam::111122223333:oidc-provider/oidc.eks.us-west-2.amazonaws.com/id/ABC",
  );
  assert.equal(
    oidcProviderArn("aws", "111122223333", "https://x.auth0.com/"),
    "arn:aws:iam::111122223333:oidc-provider/x.auth0.com/",
  );
  assert.equal(
    principalArnKind(oidcProviderArn("aws", "111122223333", "kubeiam.example.com/clusters/dev")),
    "oidc-provider",
  );
});
