/**
 * AssumeRole (SigV4-signed) with the AWS SDK for JavaScript v3: trust policies naming a user, a
 * role or the whole account (which then needs an identity policy), explicit denies, ExternalId,
 * role chaining and its one-hour limit, session policies limiting what a session may do, and
 * IAM calls made with role-session credentials.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as iam from "@aws-sdk/client-iam";
import {
  AssumeRoleCommand,
  AssumeRoleWithWebIdentityCommand,
  GetCallerIdentityCommand,
} from "@aws-sdk/client-sts";
import { presignUrl } from "../../src/sigv4/presign-url.js";
import type { AwsCredentials } from "../../src/sigv4/types.js";
import { ACCOUNT, ROLE, ROLE_ARN, rejectsAws, sdkClients, startIrsaServer } from "./sts-support.js";

const doc = (statements: object[]): string =>
  JSON.stringify({ Version: "2012-10-17", Statement: statements });
const trusts = (principal: object, extra: object = {}): string =>
  doc([{ Effect: "Allow", Principal: principal, Action: "sts:AssumeRole", ...extra }]);
const roleArn = (name: string): string => `arn:aws:iam::${ACCOUNT}:role/${name}`;
const sessionArn = (role: string, session: string): string =>
  `arn:aws:sts::${ACCOUNT}:assumed-role/${role}/${session}`;
const ADMIN = `arn:aws:iam::${ACCOUNT}:user/admin`;

function credsOf(r: {
  Credentials?:
    | {
        AccessKeyId?: string | undefined;
        SecretAccessKey?: string | undefined;
        SessionToken?: string | undefined;
      }
    | undefined;
}): AwsCredentials {
  const c = r.Credentials;
  assert.ok(c?.AccessKeyId && c.SecretAccessKey && c.SessionToken);
  return { accessKeyId: c.AccessKeyId, secretAccessKey: c.SecretAccessKey, sessionToken: c.SessionToken };
}

test("AssumeRole: trust by user ARN, by account (identity policy required), explicit deny, ExternalId", async (t) => {
  const s = await startIrsaServer(t);
  const c = sdkClients(s, t);
  const admin = c.iam();
  await admin.send(
    new iam.CreateRoleCommand({
      RoleName: "deployer",
      AssumeRolePolicyDocument: trusts({ AWS: ADMIN }),
      MaxSessionDuration: 7200,
    }),
  );
  await admin.send(
    new iam.CreateRoleCommand({
      RoleName: "by-account",
      AssumeRolePolicyDocument: trusts({ AWS: `arn:aws:iam::${ACCOUNT}:root` }),
    }),
  );
  await admin.send(
    new iam.CreateRoleCommand({
      RoleName: "partner",
      AssumeRolePolicyDocument: trusts(
        { AWS: ACCOUNT },
        { Condition: { StringEquals: { "sts:ExternalId": "s3cr3t-id" } } },
      ),
    }),
  );

  const r = await c
    .sts()
    .send(
      new AssumeRoleCommand({
        RoleArn: roleArn("deployer"),
        RoleSessionName: "deploy-1",
        DurationSeconds: 7200,
      }),
    );
  assert.equal(r.AssumedRoleUser?.Arn, sessionArn("deployer", "deploy-1"));
  assert.match(r.AssumedRoleUser?.AssumedRoleId ?? "", /^AROA[A-Z2-7]{17}:deploy-1$/);
  assert.match(r.Credentials?.AccessKeyId ?? "", /^ASIA/);
  const lifetime = (r.Credentials?.Expiration?.getTime() ?? 0) - Date.now();
  assert.ok(lifetime > 7100_000 && lifetime <= 7200_000);
  const who = await c.sts(credsOf(r)).send(new GetCallerIdentityCommand({}));
  assert.deepEqual(
    [who.Arn, who.UserId, who.Account],
    [sessionArn("deployer", "deploy-1"), r.AssumedRoleUser?.AssumedRoleId, ACCOUNT],
  );
  await rejectsAws(
    c
      .sts()
      .send(
        new AssumeRoleCommand({
          RoleArn: roleArn("deployer"),
          RoleSessionName: "long",
          DurationSeconds: 7201,
        }),
      ),
    "ValidationError",
    400,
    "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.",
  );
  await rejectsAws(
    c.sts().send(new AssumeRoleCommand({ RoleArn: roleArn("nobody"), RoleSessionName: "x1" })),
    "AccessDenied",
    403,
    `User: ${ADMIN} is not authorized to perform: sts:AssumeRole on resource: ${roleArn("nobody")}`,
  );

  // A user trusted only through the account needs its own permission.
  await admin.send(new iam.CreateUserCommand({ UserName: "ci" }));
  const key = (await admin.send(new iam.CreateAccessKeyCommand({ UserName: "ci" }))).AccessKey!;
  const ci = c.sts({ accessKeyId: key.AccessKeyId!, secretAccessKey: key.SecretAccessKey! });
  const ciArn = `arn:aws:iam::${ACCOUNT}:user/ci`;
  await rejectsAws(
    ci.send(new AssumeRoleCommand({ RoleArn: roleArn("by-account"), RoleSessionName: "ci-1" })),
    "AccessDenied",
    403,
    `User: ${ciArn} is not authorized to perform: sts:AssumeRole on resource: ${roleArn("by-account")}`,
  );
  let d = s.app.decisions.recent(1)[0]!;
  assert.ok(
    d.reasons.some(
      (x) => x.check === "sts.identity-policy" && !x.ok && x.message.includes("trusts the whole account"),
    ),
    JSON.stringify(d.reasons),
  );
  await rejectsAws(
    ci.send(new AssumeRoleCommand({ RoleArn: roleArn("deployer"), RoleSessionName: "ci-1" })),
    "AccessDenied",
    403,
    `User: ${ciArn} is not authorized to perform: sts:AssumeRole on resource: ${roleArn("deployer")}`,
  );
  d = s.app.decisions.recent(1)[0]!;
  assert.ok(
    d.reasons.some((x) => x.check === "sts.trust-policy" && !x.ok),
    JSON.stringify(d.reasons),
  );

  await admin.send(
    new iam.PutUserPolicyCommand({
      UserName: "ci",
      PolicyName: "assume",
      PolicyDocument: doc([
        { Effect: "Allow", Action: "sts:AssumeRole", Resource: [roleArn("by-account"), roleArn("partner")] },
      ]),
    }),
  );
  const ok = await ci.send(
    new AssumeRoleCommand({ RoleArn: roleArn("by-account"), RoleSessionName: "ci-1" }),
  );
  assert.equal(ok.AssumedRoleUser?.Arn, sessionArn("by-account", "ci-1"));
  // still not the role that trusts admin by name: the identity policy does not reach it either
  await rejectsAws(
    ci.send(new AssumeRoleCommand({ RoleArn: roleArn("deployer"), RoleSessionName: "ci-1" })),
    "AccessDenied",
    403,
    /not authorized to perform: sts:AssumeRole/,
  );

  await admin.send(
    new iam.PutUserPolicyCommand({
      UserName: "ci",
      PolicyName: "deny",
      PolicyDocument: doc([{ Effect: "Deny", Action: "sts:AssumeRole", Resource: roleArn("by-account") }]),
    }),
  );
  await rejectsAws(
    ci.send(new AssumeRoleCommand({ RoleArn: roleArn("by-account"), RoleSessionName: "ci-2" })),
    "AccessDenied",
    403,
    `User: ${ciArn} is not authorized to perform: sts:AssumeRole on resource: ${roleArn("by-account")}`,
  );
  d = s.app.decisions.recent(1)[0]!;
  assert.ok(
    d.reasons.some(
      (x) => x.check === "sts.identity-policy" && !x.ok && x.message.includes("explicitly denies"),
    ),
    JSON.stringify(d.reasons),
  );

  await rejectsAws(
    ci.send(new AssumeRoleCommand({ RoleArn: roleArn("partner"), RoleSessionName: "p-1" })),
    "AccessDenied",
    403,
    /not authorized to perform: sts:AssumeRole/,
  );
  await rejectsAws(
    ci.send(
      new AssumeRoleCommand({ RoleArn: roleArn("partner"), RoleSessionName: "p-1", ExternalId: "wrong-id" }),
    ),
    "AccessDenied",
    403,
    /not authorized to perform: sts:AssumeRole/,
  );
  const partner = await ci.send(
    new AssumeRoleCommand({ RoleArn: roleArn("partner"), RoleSessionName: "p-1", ExternalId: "s3cr3t-id" }),
  );
  assert.equal(partner.AssumedRoleUser?.Arn, sessionArn("partner", "p-1"));
});

test("role chaining: a role session (from AssumeRole or a web identity) assumes another role, at most one hour", async (t) => {
  const s = await startIrsaServer(t);
  const c = sdkClients(s, t);
  const admin = c.iam();
  await admin.send(
    new iam.CreateRoleCommand({ RoleName: "first", AssumeRolePolicyDocument: trusts({ AWS: ADMIN }) }),
  );
  await admin.send(
    new iam.CreateRoleCommand({
      RoleName: "second",
      AssumeRolePolicyDocument: trusts({ AWS: [roleArn("first"), ROLE_ARN] }),
      MaxSessionDuration: 43200,
    }),
  );

  const first = credsOf(
    await c.sts().send(new AssumeRoleCommand({ RoleArn: roleArn("first"), RoleSessionName: "hop-1" })),
  );
  await rejectsAws(
    c
      .sts(first)
      .send(
        new AssumeRoleCommand({
          RoleArn: roleArn("second"),
          RoleSessionName: "hop-2",
          DurationSeconds: 3601,
        }),
      ),
    "ValidationError",
    400,
    "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.",
  );
  const second = await c
    .sts(first)
    .send(
      new AssumeRoleCommand({ RoleArn: roleArn("second"), RoleSessionName: "hop-2", DurationSeconds: 3600 }),
    );
  assert.equal(second.AssumedRoleUser?.Arn, sessionArn("second", "hop-2"));
  assert.equal(
    (await c.sts(credsOf(second)).send(new GetCallerIdentityCommand({}))).Arn,
    sessionArn("second", "hop-2"),
  );
  // `second` does not trust itself
  await rejectsAws(
    c
      .sts(credsOf(second))
      .send(new AssumeRoleCommand({ RoleArn: roleArn("second"), RoleSessionName: "hop-3" })),
    "AccessDenied",
    403,
    `User: ${sessionArn("second", "hop-2")} is not authorized to perform: sts:AssumeRole on resource: ${roleArn("second")}`,
  );

  // the IRSA role's web-identity session chains into `second` as well
  const web = await c
    .sts()
    .send(
      new AssumeRoleWithWebIdentityCommand({
        RoleArn: ROLE_ARN,
        RoleSessionName: "pod",
        WebIdentityToken: s.token(),
      }),
    );
  const chained = await c
    .sts(credsOf(web))
    .send(new AssumeRoleCommand({ RoleArn: roleArn("second"), RoleSessionName: "from-pod" }));
  assert.equal(chained.AssumedRoleUser?.Arn, sessionArn("second", "from-pod"));
  const ok = s.app.decisions.recent(1)[0]!;
  assert.ok(
    ok.reasons.some((x) => x.check === "sts.issued" && x.message.includes("role chaining")),
    JSON.stringify(ok.reasons),
  );
  assert.equal(ROLE, "irsa-demo");
});

test("role sessions call IAM with the role's policies, limited by a session policy", async (t) => {
  const s = await startIrsaServer(t);
  const c = sdkClients(s, t);
  const admin = c.iam();
  await admin.send(
    new iam.CreateRoleCommand({ RoleName: "ops", AssumeRolePolicyDocument: trusts({ AWS: ADMIN }) }),
  );
  await admin.send(
    new iam.CreateRoleCommand({ RoleName: "nothing", AssumeRolePolicyDocument: trusts({ AWS: ADMIN }) }),
  );
  await admin.send(
    new iam.AttachRolePolicyCommand({ RoleName: "ops", PolicyArn: "arn:aws:iam::aws:policy/IAMFullAccess" }),
  );

  const full = credsOf(
    await c.sts().send(new AssumeRoleCommand({ RoleArn: roleArn("ops"), RoleSessionName: "full" })),
  );
  assert.ok((await c.iam(full).send(new iam.ListRolesCommand({}))).Roles?.some((r) => r.RoleName === "ops"));

  const limited = await c
    .sts()
    .send(
      new AssumeRoleCommand({
        RoleArn: roleArn("ops"),
        RoleSessionName: "limited",
        Policy: doc([{ Effect: "Allow", Action: "iam:GetRole", Resource: "*" }]),
      }),
    );
  // PackedPolicySize (deprecated in newer models) and its replacements
  const usage = limited as unknown as Record<string, unknown>;
  assert.equal(
    usage.PackedPolicySize,
    Math.ceil((doc([{ Effect: "Allow", Action: "iam:GetRole", Resource: "*" }]).length / 2048) * 100),
  );
  assert.equal(usage.SessionTokenSize, limited.Credentials?.SessionToken?.length);
  assert.equal(usage.SessionTokenUtilization, Math.ceil((Number(usage.SessionTokenSize) / 8192) * 100));
  const lim = c.iam(credsOf(limited));
  assert.equal((await lim.send(new iam.GetRoleCommand({ RoleName: "ops" }))).Role?.RoleName, "ops");
  await rejectsAws(
    lim.send(new iam.ListRolesCommand({})),
    "AccessDenied",
    403,
    `User: ${sessionArn("ops", "limited")} is not authorized to perform: iam:ListRoles on resource: * because no identity-based policy allows the iam:ListRoles action`,
  );
  const d = s.app.decisions.recent(1)[0]!;
  assert.ok(
    d.reasons.some((x) => x.check === "iam.session-policy" && !x.ok),
    JSON.stringify(d.reasons),
  );

  const none = c.iam(
    credsOf(
      await c.sts().send(new AssumeRoleCommand({ RoleArn: roleArn("nothing"), RoleSessionName: "n1" })),
    ),
  );
  await rejectsAws(
    none.send(new iam.GetRoleCommand({ RoleName: "ops" })),
    "AccessDenied",
    403,
    `User: ${sessionArn("nothing", "n1")} is not authorized to perform: iam:GetRole on resource: ${roleArn("ops")} because no identity-based policy allows the iam:GetRole action`,
  );
  // GetCallerIdentity needs no permission
  assert.equal(
    (await c.sts(await Promise.resolve(credsOf(limited))).send(new GetCallerIdentityCommand({}))).Arn,
    sessionArn("ops", "limited"),
  );
});

test("GetCallerIdentity presigned (GET, query-string SigV4) with session credentials, and as JSON for Accept: application/json", async (t) => {
  const s = await startIrsaServer(t);
  const web = await s.query({
    Action: "AssumeRoleWithWebIdentity",
    RoleArn: ROLE_ARN,
    RoleSessionName: "pod",
    WebIdentityToken: s.token(),
  });
  assert.equal(web.status, 200, web.text);
  const creds = {
    accessKeyId: web.field("AccessKeyId")!,
    secretAccessKey: web.field("SecretAccessKey")!,
    sessionToken: web.field("SessionToken")!,
  };
  const url = presignUrl({
    url: `${s.url}/?Action=GetCallerIdentity&Version=2011-06-15`,
    credentials: creds,
    region: "us-east-1",
    service: "sts",
    now: Date.now(),
    expiresSeconds: 60,
  });
  const xml = await s.fetch(url.slice(s.url.length));
  assert.equal(xml.status, 200, xml.text);
  assert.match(xml.text, /<Arn>arn:aws:sts::000000000000:assumed-role\/irsa-demo\/pod<\/Arn>/);
  const json = await s.fetch(url.slice(s.url.length), { headers: { accept: "application/json" } });
  assert.equal(json.headers.get("content-type"), "application/json");
  const body = json.json() as {
    GetCallerIdentityResponse: {
      GetCallerIdentityResult: { Arn: string; Account: string };
      ResponseMetadata: { RequestId: string };
    };
  };
  assert.equal(
    body.GetCallerIdentityResponse.GetCallerIdentityResult.Arn,
    "arn:aws:sts::000000000000:assumed-role/irsa-demo/pod",
  );
  assert.equal(
    body.GetCallerIdentityResponse.ResponseMetadata.RequestId,
    json.headers.get("x-amzn-requestid"),
  );
  // a presigned URL altered after signing no longer verifies
  const tampered = await s.fetch(url.slice(s.url.length).replace("Version=2011-06-15", "Version=2011-06-16"));
  assert.equal(tampered.status, 403);
  assert.match(tampered.text, /<Code>SignatureDoesNotMatch<\/Code>/);
});
