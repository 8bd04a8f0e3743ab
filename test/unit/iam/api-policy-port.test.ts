/**
 * The policy port's caches: answers are reused only when nothing the document reads has changed —
 * principal, action, resource and the values of the condition keys and ${variables} it refers to.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { createPolicyPort } from "../../../src/iam/policy-port.js";

const HP = "oidc.example.com/id/ABC";
const PROVIDER = `arn:aws:iam::111122223333:oidc-provider/${HP}`;
const trust = JSON.stringify({
  Version: "2012-10-17",
  Statement: [
    {
      Effect: "Allow",
      Principal: { Federated: PROVIDER },
      Action: "sts:AssumeRoleWithWebIdentity",
      Condition: {
        StringEquals: { [`${HP}:aud`]: "sts.amazonaws.com" },
        StringLike: { [`${HP}:SUB`]: "system:serviceaccount:team-a:*" },
      },
    },
  ],
});
const ask = (
  sub: string,
  extra: Record<string, string> = {},
  principal = PROVIDER,
): {
  principal: { type: "Federated"; ids: string[] };
  action: string;
  resource: string;
  context: Record<string, string>;
} => ({
  principal: { type: "Federated" as const, ids: [principal] },
  action: "sts:AssumeRoleWithWebIdentity",
  resource: "arn:aws:iam::111122223333:role/app",
  context: {
    [`${HP}:aud`]: "sts.amazonaws.com",
    [`${HP}:sub`]: sub,
    "aws:CurrentTime": new Date().toISOString(),
    ...extra,
  },
});

test("answers follow the referenced keys (matched without case), not the others", () => {
  const p = createPolicyPort();
  const seq: [ReturnType<typeof ask>, string][] = [
    [ask("system:serviceaccount:team-a:web"), "Allow"],
    [ask("system:serviceaccount:team-b:web"), "ImplicitDeny"],
    [ask("system:serviceaccount:team-a:web", { "sts:RoleSessionName": "other" }), "Allow"],
    [ask("system:serviceaccount:team-b:web"), "ImplicitDeny"],
    [
      ask("system:serviceaccount:team-a:web", {}, "arn:aws:iam::111122223333:oidc-provider/other"),
      "ImplicitDeny",
    ],
    [
      {
        ...ask("system:serviceaccount:team-a:web"),
        context: { [`${HP}:sub`]: "system:serviceaccount:team-a:web" },
      },
      "ImplicitDeny",
    ],
  ];
  for (const [q, want] of seq)
    assert.equal(p.evaluate(trust, "trust", q).decision, want, JSON.stringify(q.context));
  // the reasons of a cached answer name the request's own values
  const denied = p.evaluate(trust, "trust", ask("system:serviceaccount:team-b:api"));
  assert.ok(JSON.stringify(denied.reasons).includes("team-b:api"));
  const again = p.evaluate(trust, "trust", ask("system:serviceaccount:team-b:api"));
  assert.deepEqual(again, denied);
  again.reasons.pop();
  assert.notDeepEqual(
    p.evaluate(trust, "trust", ask("system:serviceaccount:team-b:api")).reasons,
    again.reasons,
  );
});

test("policy variables count as references, even written as JSON escapes", () => {
  const p = createPolicyPort();
  const doc = JSON.stringify({
    Version: "2012-10-17",
    Statement: [{ Effect: "Allow", Action: "s3:GetObject", Resource: "arn:aws:s3:::b/${aws:username}/*" }],
  }).replace("${", "\\u0024{");
  const q = (user: string) => ({
    action: "s3:GetObject",
    resource: "arn:aws:s3:::b/alice/k",
    context: { "aws:username": user },
  });
  assert.deepEqual(
    ["alice", "bob", "alice", "bob"].map((u) => p.evaluate(doc, "identity", q(u)).decision),
    ["Allow", "ImplicitDeny", "Allow", "ImplicitDeny"],
  );
});

test("a document that does not parse denies with the parse problem, and validate gives IAM's message", () => {
  const p = createPolicyPort();
  assert.equal(p.validate("{", "trust"), "Syntax errors in policy.");
  assert.equal(p.validate(trust, "trust"), undefined);
  const r = p.evaluate("{", "trust", ask("system:serviceaccount:team-a:web"));
  assert.equal(r.decision, "ImplicitDeny");
  assert.equal(r.reasons[0]?.check, "policy.parse");
});
