/**
 * runIamAction and authorizeCaller against an in-memory store: identity policies (allow, implicit
 * and explicit deny, the AccessDenied wording), session policies, unknown actions, and store
 * failures mapped to IAM codes. The API over HTTP with real clients is test/integration/iam-api.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { KubeiamError } from "../../../src/lib/errors.js";
import type { KubeObject, ObjectKey } from "../../../src/store/types.js";
import { AccessKeyStore, FileAccessKeyPersistence } from "../../../src/iam/access-keys.js";
import { chmod, stat } from "node:fs/promises";
import { authorizeCaller, IAM_ACTIONS, runIamAction, type IamDeps } from "../../../src/iam/api.js";
import { userView } from "../../../src/iam/objects.js";
import { createPolicyPort } from "../../../src/iam/policy-port.js";
import type { Caller } from "../../../src/sts/caller.js";
import { tempDir } from "../../helpers/tmp.js";

const ACCOUNT = "111122223333";
const key = (k: ObjectKey): string => `${k.kind}/${k.namespace ?? ""}/${k.name}`;

function memory(
  objects: KubeObject[],
  failPut?: KubeiamError,
): Pick<IamDeps, "cache" | "store"> & { all: Map<string, KubeObject> } {
  const all = new Map(objects.map((o) => [key({ kind: o.kind, name: o.metadata.name }), o]));
  return {
    all,
    cache: { get: (k) => all.get(key(k)), list: (kind) => [...all.values()].filter((o) => o.kind === kind) },
    store: {
      put: (o) => {
        if (failPut) return Promise.reject(failPut);
        all.set(key({ kind: o.kind, name: o.metadata.name }), o);
        return Promise.resolve(o);
      },
      delete: (k) => Promise.resolve(all.delete(key(k))),
    },
  };
}

const doc = (...statements: object[]): string =>
  JSON.stringify({ Version: "2012-10-17", Statement: statements });
const userObj = (name: string, inline: Record<string, string> = {}, attached: string[] = []): KubeObject => ({
  apiVersion: "kubeiam.io/v1alpha1",
  kind: "IAMUser",
  metadata: { name, uid: name },
  spec: { inlinePolicies: inline, attachedPolicyArns: attached },
});

function userCaller(o: KubeObject): Caller {
  const u = userView(o, ACCOUNT);
  return {
    type: "user",
    arn: u.arn,
    userId: u.userId,
    account: ACCOUNT,
    user: u,
    accessKeyId: "AKIAAAAAAAAAAAAAAAAA",
  };
}

async function deps(
  t: { after(fn: () => Promise<void> | void): void },
  objects: KubeObject[],
  failPut?: KubeiamError,
): Promise<IamDeps & { all: Map<string, KubeObject> }> {
  const m = memory(objects, failPut);
  return {
    ...m,
    account: ACCOUNT,
    partition: "aws",
    accessKeys: new AccessKeyStore(await tempDir(t)),
    policy: createPolicyPort(),
    now: Date.UTC(2030, 0, 1),
  };
}

const TRUST = doc({ Effect: "Allow", Principal: { Service: "ec2.amazonaws.com" }, Action: "sts:AssumeRole" });

describe("runIamAction", () => {
  test("the actions kubeiam serves", () => {
    for (const a of [
      "CreateOpenIDConnectProvider",
      "GetOpenIDConnectProvider",
      "ListOpenIDConnectProviders",
      "DeleteOpenIDConnectProvider",
      "CreateRole",
      "GetRole",
      "ListRoles",
      "DeleteRole",
      "UpdateAssumeRolePolicy",
      "PutRolePolicy",
      "GetRolePolicy",
      "DeleteRolePolicy",
      "ListRolePolicies",
      "AttachRolePolicy",
      "DetachRolePolicy",
      "ListAttachedRolePolicies",
      "CreateUser",
      "CreateAccessKey",
    ]) {
      assert.ok(IAM_ACTIONS.has(a), a);
    }
  });

  const authz: [string, KubeObject, string, Record<string, string>, boolean, string | undefined][] = [
    [
      "no policy at all",
      userObj("u"),
      "ListRoles",
      {},
      false,
      `User: arn:aws:iam::${ACCOUNT}:user/u is not authorized to perform: iam:ListRoles on resource: * because no identity-based policy allows the iam:ListRoles action`,
    ],
    [
      "an inline allow",
      userObj("u", { p: doc({ Effect: "Allow", Action: "iam:List*", Resource: "*" }) }),
      "ListRoles",
      {},
      true,
      undefined,
    ],
    [
      "an allow for another action",
      userObj("u", { p: doc({ Effect: "Allow", Action: "iam:GetRole", Resource: "*" }) }),
      "ListRoles",
      {},
      false,
      undefined,
    ],
    [
      "allow everything, deny this",
      userObj("u", {
        a: doc({ Effect: "Allow", Action: "*", Resource: "*" }),
        d: doc({ Effect: "Deny", Action: "iam:CreateRole", Resource: "*" }),
      }),
      "CreateRole",
      { RoleName: "x", AssumeRolePolicyDocument: TRUST },
      false,
      `User: arn:aws:iam::${ACCOUNT}:user/u is not authorized to perform: iam:CreateRole on resource: arn:aws:iam::${ACCOUNT}:role/x with an explicit deny in an identity-based policy`,
    ],
    [
      "an allow scoped to one role's ARN",
      userObj("u", {
        p: doc({
          Effect: "Allow",
          Action: "iam:CreateRole",
          Resource: `arn:aws:iam::${ACCOUNT}:role/team/*`,
        }),
      }),
      "CreateRole",
      { RoleName: "x", Path: "/team/", AssumeRolePolicyDocument: TRUST },
      true,
      undefined,
    ],
    [
      "… and outside it",
      userObj("u", {
        p: doc({
          Effect: "Allow",
          Action: "iam:CreateRole",
          Resource: `arn:aws:iam::${ACCOUNT}:role/team/*`,
        }),
      }),
      "CreateRole",
      { RoleName: "x", AssumeRolePolicyDocument: TRUST },
      false,
      undefined,
    ],
    [
      "an attached AWS managed policy",
      userObj("u", {}, ["arn:aws:iam::aws:policy/IAMFullAccess"]),
      "CreateUser",
      { UserName: "v" },
      true,
      undefined,
    ],
  ];
  for (const [name, user, action, params, allowed, message] of authz) {
    test(`authorisation: ${name}`, async (t) => {
      const d = await deps(t, [user]);
      const r = await runIamAction(action, new Map(Object.entries(params)), userCaller(user), d);
      assert.equal(r.ok, allowed, JSON.stringify(r.reasons.filter((x) => !x.ok)));
      if (!r.ok) {
        assert.deepEqual([r.error.code, r.error.status], ["AccessDenied", 403]);
        if (message !== undefined) assert.equal(r.error.message, message);
        assert.ok(r.reasons.some((x) => x.check === "iam.identity-policy" && !x.ok));
      }
    });
  }

  test("a role session is limited by its session policy", async (t) => {
    const role: KubeObject = {
      apiVersion: "kubeiam.io/v1alpha1",
      kind: "IAMRole",
      metadata: { name: "ops", uid: "ops" },
      spec: {
        assumeRolePolicyDocument: TRUST,
        attachedPolicyArns: ["arn:aws:iam::aws:policy/IAMFullAccess"],
      },
    };
    const d = await deps(t, [role]);
    const session = (sessionPolicy?: string): Caller => ({
      type: "assumed-role",
      arn: `arn:aws:sts::${ACCOUNT}:assumed-role/ops/s`,
      userId: "AROA:s",
      account: ACCOUNT,
      accessKeyId: "ASIA",
      session: {
        arn: `arn:aws:sts::${ACCOUNT}:assumed-role/ops/s`,
        userId: "AROA:s",
        account: ACCOUNT,
        roleArn: `arn:aws:iam::${ACCOUNT}:role/ops`,
        sessionName: "s",
        expiresAt: 0,
        chained: false,
        ...(sessionPolicy !== undefined ? { sessionPolicy } : {}),
      },
    });
    assert.ok(authorizeCaller(d, session(), "iam:ListRoles", "*").allowed);
    const limited = session(doc({ Effect: "Allow", Action: "iam:GetRole", Resource: "*" }));
    assert.ok(authorizeCaller(d, limited, "iam:GetRole", "*").allowed);
    const no = authorizeCaller(d, limited, "iam:ListRoles", "*");
    assert.deepEqual(
      [no.allowed, no.explicitDeny, no.reasons.at(-1)?.check],
      [false, false, "iam.session-policy"],
    );
    const deny = authorizeCaller(
      d,
      session(
        doc(
          { Effect: "Allow", Action: "*", Resource: "*" },
          { Effect: "Deny", Action: "iam:ListRoles", Resource: "*" },
        ),
      ),
      "iam:ListRoles",
      "*",
    );
    assert.deepEqual([deny.allowed, deny.explicitDeny], [false, true]);
  });

  test("unknown actions and store failures get IAM's codes", async (t) => {
    const admin = userObj("admin", {}, ["arn:aws:iam::aws:policy/AdministratorAccess"]);
    const d = await deps(t, [admin]);
    const unknown = await runIamAction("CreateGroup", new Map(), userCaller(admin), d);
    assert.ok(!unknown.ok);
    assert.deepEqual(
      [unknown.error.code, unknown.error.status, unknown.error.message],
      ["InvalidAction", 400, "Could not find operation CreateGroup for version 2010-05-08"],
    );

    const conflict = await deps(t, [admin], new KubeiamError("STORE_CONFLICT", "changed"));
    const c = await runIamAction(
      "CreateRole",
      new Map([
        ["RoleName", "x"],
        ["AssumeRolePolicyDocument", TRUST],
      ]),
      userCaller(admin),
      conflict,
    );
    assert.ok(!c.ok);
    assert.deepEqual([c.error.code, c.error.status], ["ConcurrentModification", 409]);
    const invalid = await deps(
      t,
      [admin],
      new KubeiamError("STORE_OBJECT_INVALID", "invalid IAMRole: spec.path: bad"),
    );
    const v = await runIamAction(
      "CreateRole",
      new Map([
        ["RoleName", "x"],
        ["AssumeRolePolicyDocument", TRUST],
      ]),
      userCaller(admin),
      invalid,
    );
    assert.ok(!v.ok);
    assert.deepEqual([v.error.code, v.error.message], ["ValidationError", "invalid IAMRole: spec.path: bad"]);
  });

  test("CreateRole writes an object with a fresh AROA id; names are unique without regard to case", async (t) => {
    const admin = userObj("admin", {}, ["arn:aws:iam::aws:policy/AdministratorAccess"]);
    const d = await deps(t, [admin]);
    const r = await runIamAction(
      "CreateRole",
      new Map([
        ["RoleName", "App"],
        ["AssumeRolePolicyDocument", TRUST],
        ["MaxSessionDuration", "43200"],
      ]),
      userCaller(admin),
      d,
    );
    assert.ok(r.ok);
    const stored = d.all.get("IAMRole//App");
    assert.deepEqual(
      [
        (stored?.spec as { maxSessionDuration: number }).maxSessionDuration,
        (stored?.spec as { createDate: string }).createDate,
      ],
      [43200, "2030-01-01T00:00:00Z"],
    );
    const dup = await runIamAction(
      "CreateRole",
      new Map([
        ["RoleName", "app"],
        ["AssumeRolePolicyDocument", TRUST],
      ]),
      userCaller(admin),
      d,
    );
    assert.ok(!dup.ok);
    assert.deepEqual(
      [dup.error.code, dup.error.message],
      ["EntityAlreadyExists", "Role with name app already exists."],
    );
  });
});

describe("AccessKeyStore", () => {
  test("concurrent creates respect the per-user limit; another instance sees the keys after load()", async (t) => {
    const dir = await tempDir(t);
    const a = new AccessKeyStore(dir);
    a.watch();
    t.after(() => a.close());
    const made = await Promise.all([1, 2, 3, 4].map(() => a.create("ci", 0, 2)));
    assert.equal(made.filter((k) => k !== undefined).length, 2);
    assert.equal(a.forUser("ci").length, 2);
    const b = new AccessKeyStore(dir);
    await b.load();
    assert.deepEqual(
      b
        .forUser("ci")
        .map((k) => k.accessKeyId)
        .sort(),
      a
        .forUser("ci")
        .map((k) => k.accessKeyId)
        .sort(),
    );
    const first = made.find((k) => k !== undefined)!;
    assert.ok(await b.setStatus(first.accessKeyId, "Inactive"));
    assert.ok(await b.remove(first.accessKeyId));
    assert.equal(await b.remove(first.accessKeyId), false);
    await a.load();
    assert.equal(a.get(first.accessKeyId), undefined);
    assert.equal(a.forUser("ci").length, 1);
  });

  test("two processes watching one key file settle: reading does not touch the file again", async (t) => {
    const dir = await tempDir(t);
    let reads = 0;
    const counted = (): FileAccessKeyPersistence => {
      const p = new FileAccessKeyPersistence(dir);
      const read = p.read.bind(p);
      p.read = () => {
        reads++;
        return read();
      };
      return p;
    };
    const a = new AccessKeyStore(counted());
    const b = new AccessKeyStore(counted());
    await a.create("ci", 0); // creates the directory the watchers watch
    a.watch();
    b.watch();
    t.after(() => {
      a.close();
      b.close();
    });
    await chmod(a.file, 0o644); // loosened by hand: the next read tightens it
    await b.load();
    assert.equal((await stat(a.file)).mode & 0o777, 0o600);
    await new Promise((r) => setTimeout(r, 300)); // let the watchers' reloads finish
    const settled = reads;
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(reads, settled, "reads went on without any change to the file (a reload storm)");
    assert.equal(b.forUser("ci").length, 1);
  });
});
