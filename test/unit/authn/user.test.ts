import { test } from "node:test";
import assert from "node:assert/strict";
import { buildTokenReviewUser } from "../../../src/authn/iam-token/user.js";

// Spec §4.2 V5 (aws-iam-authenticator server_test).
const identity = {
  arn: "arn:aws:iam::0123456789012:role/Test",
  canonicalArn: "arn:aws:iam::0123456789012:role/Test",
  accountId: "0123456789012",
  userId: "Test",
  sessionName: "TestSession",
  accessKeyId: "ABCDEF",
};

test("role mapping: uid, groups and the six extra keys, byte-exact as Go encodes them", () => {
  const user = buildTokenReviewUser(identity, { username: "TestUser", groups: ["sys:admin", "listers"] });
  assert.equal(
    JSON.stringify(user),
    '{"username":"TestUser","uid":"aws-iam-authenticator:0123456789012:Test","groups":["sys:admin","listers"],"extra":{"accessKeyId":["ABCDEF"],"arn":["arn:aws:iam::0123456789012:role/Test"],"canonicalArn":["arn:aws:iam::0123456789012:role/Test"],"principalId":["Test"],"sessionName":["TestSession"],"sigs.k8s.io/aws-iam-authenticator/principalId":["Test"]}}',
  );
  const keys = Object.keys(user.extra!);
  assert.deepEqual(keys, [...keys].sort());
});

test("account mapping: no groups key at all; empty session name kept as an empty string", () => {
  const assumed = { ...identity, arn: "arn:aws:sts::0123456789012:assumed-role/Test/extra", sessionName: "" };
  const user = buildTokenReviewUser(assumed, { username: assumed.canonicalArn, groups: [] });
  assert.equal("groups" in user, false);
  assert.equal(user.username, "arn:aws:iam::0123456789012:role/Test");
  assert.deepEqual(user.extra?.sessionName, [""]);
  assert.deepEqual(user.extra?.arn, ["arn:aws:sts::0123456789012:assumed-role/Test/extra"]);
});

test("scrubbed account: administrative uid and no extra", () => {
  const user = buildTokenReviewUser(
    identity,
    { username: "admin", groups: ["system:masters"] },
    { scrubbedAccounts: ["0123456789012"] },
  );
  assert.deepEqual(user, {
    username: "admin",
    uid: "aws-iam-authenticator:administrative:admin",
    groups: ["system:masters"],
  });
  const other = buildTokenReviewUser(
    identity,
    { username: "admin", groups: [] },
    { scrubbedAccounts: ["999999999999"] },
  );
  assert.equal(other.uid, "aws-iam-authenticator:0123456789012:Test");
});
