/**
 * The IAM query API with the AWS SDK for JavaScript v3 (@aws-sdk/client-iam) on loopback: OIDC
 * providers, roles, inline and attached role policies, managed policies, users and access keys,
 * UpdateAssumeRolePolicy, with the AWS error code, HTTP status and message of each failure, and the
 * objects the API writes to the store.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { parse } from "yaml";
import * as iam from "@aws-sdk/client-iam";
import { GetCallerIdentityCommand, type STSClient } from "@aws-sdk/client-sts";
import type { AwsCredentials } from "../../src/sigv4/types.js";
import {
  ACCOUNT,
  rejectsAws,
  sdkClients,
  startIrsaServer,
  trustPolicy,
  type IrsaServer,
} from "./sts-support.js";

interface Clients {
  s: IrsaServer;
  iam: iam.IAMClient;
  sts: (creds?: AwsCredentials) => STSClient;
  iamAs: (creds: AwsCredentials) => iam.IAMClient;
}

async function setup(t: { after(fn: () => Promise<void> | void): void }): Promise<Clients> {
  const s = await startIrsaServer(t, { register: false });
  const c = sdkClients(s, t);
  return { s, iam: c.iam(), sts: (creds) => c.sts(creds), iamAs: (creds) => c.iam(creds) };
}

const rejects = rejectsAws;

const ALLOW_S3 = JSON.stringify({
  Version: "2012-10-17",
  Statement: [{ Effect: "Allow", Action: "s3:GetObject", Resource: "arn:aws:s3:::bucket/*" }],
});

describe("IAM API with @aws-sdk/client-iam", () => {
  test("OpenID Connect providers: create (with a port), get, list, client IDs, thumbprints, delete (idempotent)", async (t) => {
    const { s, iam: c } = await setup(t);
    const created = await c.send(
      new iam.CreateOpenIDConnectProviderCommand({
        Url: s.issuer,
        ClientIDList: ["sts.amazonaws.com"],
        ThumbprintList: ["9e99a48a9960b14926bb7f3b02e22da2b0ab7280"],
      }),
    );
    assert.equal(created.OpenIDConnectProviderArn, s.providerArn);
    await rejects(
      c.send(new iam.CreateOpenIDConnectProviderCommand({ Url: s.issuer, ClientIDList: ["x"] })),
      "EntityAlreadyExists",
      409,
      `Provider with url ${s.issuer} already exists.`,
    );
    await rejects(
      c.send(
        new iam.CreateOpenIDConnectProviderCommand({ Url: "http://insecure.example", ClientIDList: ["x"] }),
      ),
      "ValidationError",
      400,
      /The URL http:\/\/insecure\.example is invalid/,
    );
    await rejects(
      c.send(
        new iam.CreateOpenIDConnectProviderCommand({ Url: "https://q.example/?a=b", ClientIDList: ["x"] }),
      ),
      "ValidationError",
      400,
      /is invalid/,
    );
    await rejects(
      c.send(
        new iam.CreateOpenIDConnectProviderCommand({ Url: "https://t.example", ThumbprintList: ["abc"] }),
      ),
      "ValidationError",
      400,
      "1 validation error detected: Value 'abc' at 'thumbprintList.member' failed to satisfy constraint: Member must have length greater than or equal to 40",
    );

    await c.send(
      new iam.AddClientIDToOpenIDConnectProviderCommand({
        OpenIDConnectProviderArn: s.providerArn,
        ClientID: "other-audience",
      }),
    );
    await c.send(
      new iam.AddClientIDToOpenIDConnectProviderCommand({
        OpenIDConnectProviderArn: s.providerArn,
        ClientID: "other-audience",
      }),
    );
    let got = await c.send(
      new iam.GetOpenIDConnectProviderCommand({ OpenIDConnectProviderArn: s.providerArn }),
    );
    assert.equal(got.Url, s.hostPath);
    assert.deepEqual(got.ClientIDList, ["sts.amazonaws.com", "other-audience"]);
    assert.deepEqual(got.ThumbprintList, ["9e99a48a9960b14926bb7f3b02e22da2b0ab7280"]);
    assert.ok(got.CreateDate instanceof Date && Math.abs(got.CreateDate.getTime() - Date.now()) < 60_000);
    await c.send(
      new iam.RemoveClientIDFromOpenIDConnectProviderCommand({
        OpenIDConnectProviderArn: s.providerArn,
        ClientID: "other-audience",
      }),
    );
    await c.send(
      new iam.UpdateOpenIDConnectProviderThumbprintCommand({
        OpenIDConnectProviderArn: s.providerArn,
        ThumbprintList: [],
      }),
    );
    got = await c.send(new iam.GetOpenIDConnectProviderCommand({ OpenIDConnectProviderArn: s.providerArn }));
    assert.deepEqual([got.ClientIDList, got.ThumbprintList ?? []], [["sts.amazonaws.com"], []]);

    await c.send(
      new iam.CreateOpenIDConnectProviderCommand({
        Url: "https://oidc.eks.us-west-2.amazonaws.com/id/ABC",
        ClientIDList: ["sts.amazonaws.com"],
      }),
    );
    const list = await c.send(new iam.ListOpenIDConnectProvidersCommand({}));
    assert.deepEqual(
      list.OpenIDConnectProviderList?.map((p) => p.Arn).sort(),
      [s.providerArn, `arn:aws:iam::${ACCOUNT}:oidc-provider/oidc.eks.us-west-2.amazonaws.com/id/ABC`].sort(),
    );
    // the object in the store is the issuer URL and its audiences
    const obj = s.app.cache.list("OIDCProvider").find((o) => (o.spec as { url: string }).url === s.issuer);
    assert.deepEqual((obj?.spec as { clientIDList: string[] }).clientIDList, ["sts.amazonaws.com"]);

    await c.send(new iam.DeleteOpenIDConnectProviderCommand({ OpenIDConnectProviderArn: s.providerArn }));
    await c.send(new iam.DeleteOpenIDConnectProviderCommand({ OpenIDConnectProviderArn: s.providerArn }));
    await rejects(
      c.send(new iam.GetOpenIDConnectProviderCommand({ OpenIDConnectProviderArn: s.providerArn })),
      "NoSuchEntity",
      404,
      `OpenIDConnect Provider not found for arn ${s.providerArn}`,
    );
  });

  test("roles: create, get, list by path, update trust and settings, refuse bad input, delete", async (t) => {
    const { s, iam: c } = await setup(t);
    const trust = trustPolicy(s.hostPath);
    const created = await c.send(
      new iam.CreateRoleCommand({
        RoleName: "app",
        Path: "/team-a/",
        AssumeRolePolicyDocument: trust,
        Description: "the app",
        MaxSessionDuration: 7200,
      }),
    );
    assert.equal(created.Role?.Arn, `arn:aws:iam::${ACCOUNT}:role/team-a/app`);
    assert.match(created.Role?.RoleId ?? "", /^AROA[A-Z2-7]{17}$/);
    assert.equal(decodeURIComponent(created.Role?.AssumeRolePolicyDocument ?? ""), trust);
    await c.send(new iam.CreateRoleCommand({ RoleName: "other", AssumeRolePolicyDocument: trust }));

    await rejects(
      c.send(new iam.CreateRoleCommand({ RoleName: "APP", AssumeRolePolicyDocument: trust })),
      "EntityAlreadyExists",
      409,
      "Role with name APP already exists.",
    );
    await rejects(
      c.send(new iam.CreateRoleCommand({ RoleName: "bad name", AssumeRolePolicyDocument: trust })),
      "ValidationError",
      400,
      "1 validation error detected: Value 'bad name' at 'roleName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]+",
    );
    await rejects(
      c.send(new iam.CreateRoleCommand({ RoleName: "x".repeat(65), AssumeRolePolicyDocument: trust })),
      "ValidationError",
      400,
      `1 validation error detected: Value '${"x".repeat(65)}' at 'roleName' failed to satisfy constraint: Member must have length less than or equal to 64`,
    );
    await rejects(
      c.send(
        new iam.CreateRoleCommand({
          RoleName: "short",
          AssumeRolePolicyDocument: trust,
          MaxSessionDuration: 600,
        }),
      ),
      "ValidationError",
      400,
      "1 validation error detected: Value '600' at 'maxSessionDuration' failed to satisfy constraint: Member must have value greater than or equal to 3600",
    );
    await rejects(
      c.send(
        new iam.CreateRoleCommand({
          RoleName: "long",
          AssumeRolePolicyDocument: trust,
          MaxSessionDuration: 43201,
        }),
      ),
      "ValidationError",
      400,
      "1 validation error detected: Value '43201' at 'maxSessionDuration' failed to satisfy constraint: Member must have value less than or equal to 43200",
    );
    await rejects(
      c.send(new iam.CreateRoleCommand({ RoleName: "notjson", AssumeRolePolicyDocument: "{" })),
      "MalformedPolicyDocument",
      400,
      "Syntax errors in policy.",
    );
    await rejects(
      c.send(new iam.CreateRoleCommand({ RoleName: "noprincipal", AssumeRolePolicyDocument: ALLOW_S3 })),
      "MalformedPolicyDocument",
      400,
      "Missing required field Principal",
    );
    await rejects(
      c.send(
        new iam.CreateRoleCommand({ RoleName: "badpath", Path: "team", AssumeRolePolicyDocument: trust }),
      ),
      "ValidationError",
      400,
      /at 'path' failed to satisfy constraint/,
    );

    const got = await c.send(new iam.GetRoleCommand({ RoleName: "app" }));
    assert.deepEqual(
      [got.Role?.Path, got.Role?.Description, got.Role?.MaxSessionDuration, got.Role?.RoleId],
      ["/team-a/", "the app", 7200, created.Role?.RoleId],
    );
    const listed = await c.send(new iam.ListRolesCommand({ PathPrefix: "/team-a/" }));
    assert.deepEqual(
      listed.Roles?.map((r) => r.RoleName),
      ["app"],
    );
    assert.deepEqual(
      (await c.send(new iam.ListRolesCommand({}))).Roles?.map((r) => r.RoleName),
      ["app", "other"],
    );

    const narrower = trustPolicy(s.hostPath, "system:serviceaccount:prod:app");
    await c.send(new iam.UpdateAssumeRolePolicyCommand({ RoleName: "app", PolicyDocument: narrower }));
    await rejects(
      c.send(new iam.UpdateAssumeRolePolicyCommand({ RoleName: "app", PolicyDocument: ALLOW_S3 })),
      "MalformedPolicyDocument",
      400,
      "Missing required field Principal",
    );
    await rejects(
      c.send(new iam.UpdateAssumeRolePolicyCommand({ RoleName: "ghost", PolicyDocument: narrower })),
      "NoSuchEntity",
      404,
      "The role with name ghost cannot be found.",
    );
    await c.send(
      new iam.UpdateRoleCommand({ RoleName: "app", MaxSessionDuration: 43200, Description: "changed" }),
    );
    const after = await c.send(new iam.GetRoleCommand({ RoleName: "app" }));
    assert.equal(decodeURIComponent(after.Role?.AssumeRolePolicyDocument ?? ""), narrower);
    assert.deepEqual(
      [after.Role?.MaxSessionDuration, after.Role?.Description, after.Role?.RoleId],
      [43200, "changed", created.Role?.RoleId],
    );

    // the role is a YAML object in the object directory, with its trust policy as text
    const file = parse(await readFile(join(s.stateDir, "objects", "iamrole", "app.yaml"), "utf8")) as {
      kind: string;
      spec: Record<string, unknown>;
    };
    assert.equal(file.kind, "IAMRole");
    assert.deepEqual(
      [file.spec.path, file.spec.roleId, file.spec.maxSessionDuration, file.spec.assumeRolePolicyDocument],
      ["/team-a/", created.Role?.RoleId, 43200, narrower],
    );

    await c.send(new iam.DeleteRoleCommand({ RoleName: "app" }));
    await rejects(
      c.send(new iam.GetRoleCommand({ RoleName: "app" })),
      "NoSuchEntity",
      404,
      "The role with name app cannot be found.",
    );
    await rejects(
      c.send(new iam.DeleteRoleCommand({ RoleName: "app" })),
      "NoSuchEntity",
      404,
      "The role with name app cannot be found.",
    );
  });

  test("role policies: inline put/get/list/delete, managed attach/list/detach, customer-managed policies, delete conflicts", async (t) => {
    const { s, iam: c } = await setup(t);
    await c.send(
      new iam.CreateRoleCommand({ RoleName: "app", AssumeRolePolicyDocument: trustPolicy(s.hostPath) }),
    );
    await c.send(
      new iam.PutRolePolicyCommand({ RoleName: "app", PolicyName: "read-bucket", PolicyDocument: ALLOW_S3 }),
    );
    await rejects(
      c.send(
        new iam.PutRolePolicyCommand({
          RoleName: "app",
          PolicyName: "bad",
          PolicyDocument:
            '{"Version":"2012-10-17","Statement":[{"Effect":"Maybe","Action":"*","Resource":"*"}]}',
        }),
      ),
      "MalformedPolicyDocument",
      400,
      "Syntax errors in policy.",
    );
    await rejects(
      c.send(
        new iam.PutRolePolicyCommand({
          RoleName: "app",
          PolicyName: "nores",
          PolicyDocument: '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*"}]}',
        }),
      ),
      "MalformedPolicyDocument",
      400,
      "Policy statement must contain resources.",
    );
    await rejects(
      c.send(
        new iam.PutRolePolicyCommand({ RoleName: "app", PolicyName: "has space", PolicyDocument: ALLOW_S3 }),
      ),
      "ValidationError",
      400,
      /at 'policyName' failed to satisfy constraint/,
    );
    assert.deepEqual((await c.send(new iam.ListRolePoliciesCommand({ RoleName: "app" }))).PolicyNames, [
      "read-bucket",
    ]);
    const inline = await c.send(new iam.GetRolePolicyCommand({ RoleName: "app", PolicyName: "read-bucket" }));
    assert.deepEqual(
      [inline.RoleName, inline.PolicyName, decodeURIComponent(inline.PolicyDocument ?? "")],
      ["app", "read-bucket", ALLOW_S3],
    );
    await rejects(
      c.send(new iam.GetRolePolicyCommand({ RoleName: "app", PolicyName: "nope" })),
      "NoSuchEntity",
      404,
      "The role policy with name nope cannot be found.",
    );

    await c.send(
      new iam.AttachRolePolicyCommand({
        RoleName: "app",
        PolicyArn: "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess",
      }),
    );
    const mine = await c.send(
      new iam.CreatePolicyCommand({ PolicyName: "team-read", PolicyDocument: ALLOW_S3, Description: "team" }),
    );
    assert.equal(mine.Policy?.Arn, `arn:aws:iam::${ACCOUNT}:policy/team-read`);
    assert.match(mine.Policy?.PolicyId ?? "", /^ANPA[A-Z2-7]{17}$/);
    await rejects(
      c.send(new iam.CreatePolicyCommand({ PolicyName: "team-read", PolicyDocument: ALLOW_S3 })),
      "EntityAlreadyExists",
      409,
      "A policy called team-read already exists. Duplicate names are not allowed.",
    );
    await c.send(new iam.AttachRolePolicyCommand({ RoleName: "app", PolicyArn: mine.Policy?.Arn }));
    await rejects(
      c.send(
        new iam.AttachRolePolicyCommand({
          RoleName: "app",
          PolicyArn: `arn:aws:iam::${ACCOUNT}:policy/missing`,
        }),
      ),
      "NoSuchEntity",
      404,
      `Policy arn:aws:iam::${ACCOUNT}:policy/missing does not exist or is not attachable.`,
    );
    await rejects(
      c.send(new iam.AttachRolePolicyCommand({ RoleName: "app", PolicyArn: "not-an-arn-at-all-really" })),
      "InvalidInput",
      400,
      "ARN not-an-arn-at-all-really is not valid.",
    );
    const attached = await c.send(new iam.ListAttachedRolePoliciesCommand({ RoleName: "app" }));
    assert.deepEqual(
      attached.AttachedPolicies?.map((p) => [p.PolicyName, p.PolicyArn]),
      [
        ["AmazonS3ReadOnlyAccess", "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"],
        ["team-read", mine.Policy?.Arn],
      ],
    );
    assert.equal(
      (await c.send(new iam.GetPolicyCommand({ PolicyArn: mine.Policy?.Arn }))).Policy?.AttachmentCount,
      1,
    );
    const version = await c.send(
      new iam.GetPolicyVersionCommand({ PolicyArn: mine.Policy?.Arn, VersionId: "v1" }),
    );
    assert.equal(decodeURIComponent(version.PolicyVersion?.Document ?? ""), ALLOW_S3);
    assert.deepEqual(
      (await c.send(new iam.ListPoliciesCommand({ Scope: "Local" }))).Policies?.map((p) => p.PolicyName),
      ["team-read"],
    );

    await rejects(
      c.send(new iam.DeletePolicyCommand({ PolicyArn: mine.Policy?.Arn })),
      "DeleteConflict",
      409,
      "Cannot delete a policy attached to entities.",
    );
    await rejects(
      c.send(new iam.DeleteRoleCommand({ RoleName: "app" })),
      "DeleteConflict",
      409,
      "Cannot delete entity, must delete policies first.",
    );
    await c.send(new iam.DeleteRolePolicyCommand({ RoleName: "app", PolicyName: "read-bucket" }));
    await rejects(
      c.send(new iam.DeleteRoleCommand({ RoleName: "app" })),
      "DeleteConflict",
      409,
      "Cannot delete entity, must detach all policies first.",
    );
    await c.send(
      new iam.DetachRolePolicyCommand({
        RoleName: "app",
        PolicyArn: "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess",
      }),
    );
    await c.send(new iam.DetachRolePolicyCommand({ RoleName: "app", PolicyArn: mine.Policy?.Arn }));
    await rejects(
      c.send(new iam.DetachRolePolicyCommand({ RoleName: "app", PolicyArn: mine.Policy?.Arn })),
      "NoSuchEntity",
      404,
      `Policy ${mine.Policy?.Arn ?? ""} was not found.`,
    );
    await c.send(new iam.DeletePolicyCommand({ PolicyArn: mine.Policy?.Arn }));
    await c.send(new iam.DeleteRoleCommand({ RoleName: "app" }));
    assert.deepEqual(s.app.cache.list("IAMRole"), []);
  });

  test("users and access keys: create, list, sign with the new key, deny without a policy, deactivate, delete", async (t) => {
    const { s, iam: c, sts, iamAs } = await setup(t);
    const user = await c.send(new iam.CreateUserCommand({ UserName: "ci", Path: "/bots/" }));
    assert.equal(user.User?.Arn, `arn:aws:iam::${ACCOUNT}:user/bots/ci`);
    assert.match(user.User?.UserId ?? "", /^AIDA[A-Z2-7]{17}$/);
    await rejects(
      c.send(new iam.CreateUserCommand({ UserName: "CI" })),
      "EntityAlreadyExists",
      409,
      "User with name CI already exists.",
    );
    assert.deepEqual(
      (await c.send(new iam.ListUsersCommand({}))).Users?.map((u) => u.UserName),
      ["admin", "ci"],
    );
    assert.equal((await c.send(new iam.GetUserCommand({}))).User?.UserName, "admin");

    const k1 = (await c.send(new iam.CreateAccessKeyCommand({ UserName: "ci" }))).AccessKey!;
    assert.match(k1.AccessKeyId!, /^AKIA[A-Z2-7]{16}$/);
    assert.equal(k1.SecretAccessKey?.length, 40);
    await c.send(new iam.CreateAccessKeyCommand({ UserName: "ci" }));
    await rejects(
      c.send(new iam.CreateAccessKeyCommand({ UserName: "ci" })),
      "LimitExceeded",
      409,
      "Cannot exceed quota for AccessKeysPerUser: 2",
    );
    const keys = await c.send(new iam.ListAccessKeysCommand({ UserName: "ci" }));
    assert.equal(keys.AccessKeyMetadata?.length, 2);
    assert.ok(keys.AccessKeyMetadata?.every((k) => k.Status === "Active" && !("SecretAccessKey" in k)));
    // the secret is in the 0600 key file, never in the object
    const obj = s.app.cache.get({ kind: "IAMUser", name: "ci" });
    assert.ok(!JSON.stringify(obj).includes(k1.SecretAccessKey ?? "-"));

    const creds = { accessKeyId: k1.AccessKeyId ?? "", secretAccessKey: k1.SecretAccessKey ?? "" };
    const who = await sts(creds).send(new GetCallerIdentityCommand({}));
    assert.deepEqual([who.Arn, who.UserId, who.Account], [user.User?.Arn, user.User?.UserId, ACCOUNT]);
    await rejects(
      iamAs(creds).send(new iam.ListRolesCommand({})),
      "AccessDenied",
      403,
      `User: arn:aws:iam::${ACCOUNT}:user/bots/ci is not authorized to perform: iam:ListRoles on resource: * because no identity-based policy allows the iam:ListRoles action`,
    );
    await c.send(
      new iam.PutUserPolicyCommand({
        UserName: "ci",
        PolicyName: "list",
        PolicyDocument: JSON.stringify({
          Version: "2012-10-17",
          Statement: [
            { Effect: "Allow", Action: "iam:List*", Resource: "*" },
            { Effect: "Deny", Action: "iam:ListUsers", Resource: "*" },
          ],
        }),
      }),
    );
    assert.ok(Array.isArray((await iamAs(creds).send(new iam.ListRolesCommand({}))).Roles));
    await rejects(
      iamAs(creds).send(new iam.ListUsersCommand({})),
      "AccessDenied",
      403,
      `User: arn:aws:iam::${ACCOUNT}:user/bots/ci is not authorized to perform: iam:ListUsers on resource: * with an explicit deny in an identity-based policy`,
    );
    assert.deepEqual((await c.send(new iam.ListUserPoliciesCommand({ UserName: "ci" }))).PolicyNames, [
      "list",
    ]);

    await c.send(
      new iam.UpdateAccessKeyCommand({ UserName: "ci", AccessKeyId: k1.AccessKeyId, Status: "Inactive" }),
    );
    await rejects(
      sts(creds).send(new GetCallerIdentityCommand({})),
      "InvalidClientTokenId",
      403,
      "The security token included in the request is invalid.",
    );
    await rejects(
      c.send(new iam.DeleteUserCommand({ UserName: "ci" })),
      "DeleteConflict",
      409,
      "Cannot delete entity, must delete access keys first.",
    );
    for (const k of keys.AccessKeyMetadata ?? [])
      await c.send(new iam.DeleteAccessKeyCommand({ UserName: "ci", AccessKeyId: k.AccessKeyId }));
    await rejects(
      c.send(new iam.DeleteAccessKeyCommand({ UserName: "ci", AccessKeyId: k1.AccessKeyId })),
      "NoSuchEntity",
      404,
      `The Access Key with id ${k1.AccessKeyId!} cannot be found.`,
    );
    await rejects(
      c.send(new iam.DeleteUserCommand({ UserName: "ci" })),
      "DeleteConflict",
      409,
      "Cannot delete entity, must delete policies first.",
    );
    await c.send(new iam.DeleteUserPolicyCommand({ UserName: "ci", PolicyName: "list" }));
    await c.send(new iam.DeleteUserCommand({ UserName: "ci" }));
    await rejects(
      c.send(new iam.GetUserCommand({ UserName: "ci" })),
      "NoSuchEntity",
      404,
      "The user with name ci cannot be found.",
    );
    const file = JSON.parse(await readFile(join(s.stateDir, "iam", "access-keys.json"), "utf8")) as {
      keys: { userName: string }[];
    };
    assert.deepEqual(
      file.keys.map((k) => k.userName),
      ["admin"],
    );
  });

  test("requests that fail authentication: unknown key, wrong secret", async (t) => {
    const { s, iamAs } = await setup(t);
    await rejects(
      iamAs({ accessKeyId: "AKIAAAAAAAAAAAAAAAAA", secretAccessKey: "x".repeat(40) }).send(
        new iam.ListRolesCommand({}),
      ),
      "InvalidClientTokenId",
      403,
      "The security token included in the request is invalid.",
    );
    await rejects(
      iamAs({ accessKeyId: s.adminCreds.accessKeyId, secretAccessKey: "y".repeat(40) }).send(
        new iam.ListRolesCommand({}),
      ),
      "SignatureDoesNotMatch",
      403,
      "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.",
    );
  });
});
