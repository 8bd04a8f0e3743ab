/**
 * AssumeRoleWithWebIdentity as a pure decision (real policy engine, stub lookups): the condition
 * context the trust policy sees, StringLike trusts, role paths, duration defaults and limits, session
 * policies in the issued session, and the result members.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { generateKeyPairSync, sign } from "node:crypto";
import { generateSealingKey } from "../../../src/keys/sealing.js";
import type { OidcProviderView, RoleView } from "../../../src/iam/objects.js";
import { createPolicyPort } from "../../../src/iam/policy-port.js";
import {
  assumeRoleWithWebIdentity,
  decideAssumeRoleWithWebIdentity,
} from "../../../src/sts/assume-role-with-web-identity.js";
import type { StsDeps } from "../../../src/sts/deps.js";
import { openSessionToken } from "../../../src/sts/session-credentials.js";

const NOW = 1_800_000_000_000;
const NOW_S = NOW / 1000;
const HP = "kubeiam.example:8443";
const ACCOUNT = "111122223333";
const provider: OidcProviderView = {
  objectName: "k",
  url: `https://${HP}`,
  hostPath: HP,
  arn: `arn:aws:iam::${ACCOUNT}:oidc-provider/${HP}`,
  clientIds: ["sts.amazonaws.com"],
  thumbprints: [],
  createDate: "2024-01-01T00:00:00Z",
};
const keys = generateKeyPairSync("rsa", { modulusLength: 2048 });
const sealing = generateSealingKey(NOW);

function token(claims: Record<string, unknown> = {}): string {
  const b64 = (v: unknown): string => Buffer.from(JSON.stringify(v)).toString("base64url");
  const input = `${b64({ alg: "RS256", kid: "k1" })}.${b64({ iss: `https://${HP}`, sub: "system:serviceaccount:team-a:app", aud: ["sts.amazonaws.com"], exp: NOW_S + 3600, iat: NOW_S - 10, nbf: NOW_S - 10, ...claims })}`;
  return `${input}.${sign("sha256", Buffer.from(input), keys.privateKey).toString("base64url")}`;
}

function role(name: string, trust: object, extra: Partial<RoleView> = {}): RoleView {
  const path = extra.path ?? "/";
  return {
    name,
    path,
    arn: `arn:aws:iam::${ACCOUNT}:role${path}${name}`,
    roleId: "AROAEXAMPLEEXAMPLEXX",
    trustPolicy: JSON.stringify(trust),
    maxSessionDuration: 3600,
    description: undefined,
    createDate: "2024-01-01T00:00:00Z",
    inlinePolicies: {},
    attachedPolicyArns: [],
    ...extra,
  };
}

const irsaTrust = (condition: object) => ({
  Version: "2012-10-17",
  Statement: [
    {
      Effect: "Allow",
      Principal: { Federated: provider.arn },
      Action: "sts:AssumeRoleWithWebIdentity",
      Condition: condition,
    },
  ],
});

function deps(roles: RoleView[]): StsDeps {
  return {
    account: ACCOUNT,
    partition: "aws",
    role: (n) => roles.find((r) => r.name === n),
    providers: () => [provider],
    resolveKey: (_p, kid) =>
      Promise.resolve(kid === "k1" ? { kind: "key", key: keys.publicKey } : { kind: "no-key" }),
    sealingKey: () => sealing,
    policy: createPolicyPort(),
    callerPolicies: () => [],
    now: NOW,
  };
}

const params = (p: Record<string, string>): Map<string, string> =>
  new Map(Object.entries({ RoleSessionName: "s1", WebIdentityToken: token(), ...p }));

describe("decideAssumeRoleWithWebIdentity", () => {
  const trusts: [string, object, Record<string, unknown>, boolean][] = [
    [
      "StringEquals aud and sub",
      {
        StringEquals: {
          [`${HP}:aud`]: "sts.amazonaws.com",
          [`${HP}:sub`]: "system:serviceaccount:team-a:app",
        },
      },
      {},
      true,
    ],
    [
      "StringLike on a namespace",
      { StringLike: { [`${HP}:sub`]: "system:serviceaccount:team-a:*" } },
      {},
      true,
    ],
    [
      "StringLike on another namespace",
      { StringLike: { [`${HP}:sub`]: "system:serviceaccount:team-b:*" } },
      {},
      false,
    ],
    [
      "StringEquals with a wildcard is literal",
      { StringEquals: { [`${HP}:sub`]: "system:serviceaccount:team-a:*" } },
      {},
      false,
    ],
    [
      "condition keys are case-insensitive",
      { StringEquals: { [`${HP.toUpperCase()}:SUB`]: "system:serviceaccount:team-a:app" } },
      {},
      true,
    ],
    [
      "aud: the matched client ID of an array",
      { StringEquals: { [`${HP}:aud`]: "sts.amazonaws.com" } },
      { aud: ["x", "sts.amazonaws.com"] },
      true,
    ],
    [
      "amr with ForAnyValue",
      { "ForAnyValue:StringEquals": { [`${HP}:amr`]: "mfa" } },
      { amr: ["pwd", "mfa"] },
      true,
    ],
    ["amr missing with ForAnyValue", { "ForAnyValue:StringEquals": { [`${HP}:amr`]: "mfa" } }, {}, false],
    ["sts:RoleSessionName", { StringEquals: { "sts:RoleSessionName": "s1" } }, {}, true],
    ["aws:FederatedProvider", { StringEquals: { "aws:FederatedProvider": provider.arn } }, {}, true],
  ];
  for (const [name, condition, claims, allowed] of trusts) {
    test(`trust: ${name} → ${allowed ? "allowed" : "denied"}`, async () => {
      const d = await decideAssumeRoleWithWebIdentity(
        params({ RoleArn: `arn:aws:iam::${ACCOUNT}:role/app`, WebIdentityToken: token(claims) }),
        deps([role("app", irsaTrust(condition))]),
      );
      assert.equal(d.ok, allowed, JSON.stringify(d.reasons.filter((r) => !r.ok)));
      if (!d.ok) {
        assert.deepEqual(
          [d.stage, d.error.code, d.error.status, d.error.message],
          ["trust", "AccessDenied", 403, "Not authorized to perform sts:AssumeRoleWithWebIdentity"],
        );
        assert.equal(d.subject, "system:serviceaccount:team-a:app");
      }
    });
  }

  test("a Federated principal naming another provider is denied, even with matching conditions", async () => {
    const trust = {
      Version: "2012-10-17",
      Statement: [
        {
          Effect: "Allow",
          Principal: {
            Federated: `arn:aws:iam::${ACCOUNT}:oidc-provider/oidc.us-west-2.eks.amazonaws.com/id/X`,
          },
          Action: "sts:AssumeRoleWithWebIdentity",
        },
      ],
    };
    const d = await decideAssumeRoleWithWebIdentity(
      params({ RoleArn: `arn:aws:iam::${ACCOUNT}:role/app` }),
      deps([role("app", trust)]),
    );
    assert.ok(!d.ok);
    assert.equal(d.stage, "trust");
  });

  test("an explicit Deny statement wins, and the reason says so", async () => {
    const trust = {
      Version: "2012-10-17",
      Statement: [
        irsaTrust({}).Statement[0],
        { Effect: "Deny", Principal: { Federated: provider.arn }, Action: "sts:*" },
      ],
    };
    const d = await decideAssumeRoleWithWebIdentity(
      params({ RoleArn: `arn:aws:iam::${ACCOUNT}:role/app` }),
      deps([role("app", trust)]),
    );
    assert.ok(!d.ok);
    assert.ok(
      d.reasons.some((r) => r.check === "sts.trust-policy" && r.message.includes("explicitly denies")),
    );
  });

  test("role paths: the ARN must carry the role's path", async () => {
    const r = role("app", irsaTrust({}), { path: "/team-a/" });
    assert.ok(
      (
        await decideAssumeRoleWithWebIdentity(
          params({ RoleArn: `arn:aws:iam::${ACCOUNT}:role/team-a/app` }),
          deps([r]),
        )
      ).ok,
    );
    const wrong = await decideAssumeRoleWithWebIdentity(
      params({ RoleArn: `arn:aws:iam::${ACCOUNT}:role/app` }),
      deps([r]),
    );
    assert.ok(!wrong.ok);
    assert.deepEqual([wrong.stage, wrong.error.code], ["role", "AccessDenied"]);
    assert.match(wrong.reasons.at(-1)!.message, /exists with path \/team-a\//);
  });

  test("duration: default one hour, up to the role's maximum", async () => {
    const r = role("app", irsaTrust({}), { maxSessionDuration: 7200 });
    const dflt = await decideAssumeRoleWithWebIdentity(params({ RoleArn: r.arn }), deps([r]));
    assert.ok(dflt.ok);
    assert.equal(dflt.session.expiresAt, NOW + 3600_000);
    const max = await decideAssumeRoleWithWebIdentity(
      params({ RoleArn: r.arn, DurationSeconds: "7200" }),
      deps([r]),
    );
    assert.ok(max.ok);
    assert.equal(max.session.expiresAt, NOW + 7200_000);
    const over = await decideAssumeRoleWithWebIdentity(
      params({ RoleArn: r.arn, DurationSeconds: "7201" }),
      deps([r]),
    );
    assert.ok(!over.ok);
    assert.deepEqual(
      [over.stage, over.error.message],
      ["duration", "The requested DurationSeconds exceeds the MaxSessionDuration set for this role."],
    );
  });
});

describe("assumeRoleWithWebIdentity", () => {
  test("the result members, and a session token that opens to the assumed-role session with its session policy", async () => {
    const r = role("app", irsaTrust({}));
    const policy = JSON.stringify({
      Version: "2012-10-17",
      Statement: [{ Effect: "Allow", Action: "s3:GetObject", Resource: "*" }],
    });
    const out = await assumeRoleWithWebIdentity(
      params({ RoleArn: r.arn, Policy: policy, RoleSessionName: "pod-1" }),
      deps([r]),
    );
    assert.ok(out.ok, JSON.stringify(!out.ok && out.error));
    const res = out.result as Record<string, Record<string, string> | string | number>;
    assert.equal(res.SubjectFromWebIdentityToken, "system:serviceaccount:team-a:app");
    assert.equal(res.Audience, "sts.amazonaws.com");
    assert.equal(res.Provider, provider.arn);
    assert.deepEqual(res.AssumedRoleUser, {
      AssumedRoleId: "AROAEXAMPLEEXAMPLEXX:pod-1",
      Arn: `arn:aws:sts::${ACCOUNT}:assumed-role/app/pod-1`,
    });
    assert.equal(res.PackedPolicySize, Math.ceil((policy.length / 2048) * 100));
    const creds = res.Credentials as Record<string, string>;
    assert.equal(creds.Expiration, "2027-01-15T09:00:00Z");
    const opened = openSessionToken([sealing], creds.SessionToken!, creds.AccessKeyId!, NOW);
    assert.ok(opened.ok);
    assert.equal(opened.secretAccessKey, creds.SecretAccessKey);
    assert.deepEqual(
      [opened.identity.roleArn, opened.identity.sessionPolicy, opened.identity.chained],
      [r.arn, policy, false],
    );
    assert.deepEqual(out.reasons.at(-1)?.check, "sts.issued");
  });
});
