/**
 * The IAM query API subset kubeiam serves (so `aws iam … --endpoint-url` works unmodified):
 * OpenID Connect providers, roles with trust, inline and attached policies, users and access keys.
 * Reads come from the cache, writes go through the store (YAML objects in the embedded mode).
 * Error codes and messages as IAM returns them.
 */
import type { Reason } from "../lib/decision.js";
import type { ObjectCache } from "../store/cache.js";
import type { KubeObject, ObjectStore } from "../store/types.js";
import { AwsError, awsErrors, constraintError } from "../sts/aws-error.js";
import type { Caller } from "../sts/caller.js";
import type { PolicyPort } from "../sts/policy-port.js";
import { memberList, type QueryParams } from "../sts/query.js";
import { isoSeconds, type XmlValue } from "../sts/xml.js";
import type { AccessKeyStore } from "./access-keys.js";
import { newUidSeed } from "./seed.js";
import {
  AWS_MANAGED_POLICIES,
  hostPathOf,
  managedPolicyView,
  oidcProviderObject,
  oidcProviderObjectName,
  oidcProviderView,
  roleObject,
  roleView,
  userObject,
  userView,
  type OidcProviderView,
  type RoleView,
  type UserView,
} from "./objects.js";
import { stableUniqueId } from "./ids.js";

export interface IamDeps {
  account: string;
  partition: string;
  cache: Pick<ObjectCache, "get" | "list">;
  store: Pick<ObjectStore, "put" | "delete">;
  accessKeys: AccessKeyStore;
  policy: PolicyPort;
  now: number;
}

export type IamOutcome = { ok: true; result: { [name: string]: XmlValue } | undefined; reasons: Reason[] } | { ok: false; error: AwsError; reasons: Reason[] };

export const IAM_ACTIONS = new Set([
  "CreateOpenIDConnectProvider", "GetOpenIDConnectProvider", "ListOpenIDConnectProviders", "DeleteOpenIDConnectProvider",
  "CreateRole", "GetRole", "ListRoles", "DeleteRole", "UpdateAssumeRolePolicy",
  "PutRolePolicy", "GetRolePolicy", "DeleteRolePolicy", "ListRolePolicies",
  "AttachRolePolicy", "DetachRolePolicy", "ListAttachedRolePolicies",
  "CreateUser", "GetUser", "CreateAccessKey", "ListAccessKeys",
]);

const NAME = /^[\w+=,.@-]+$/;
const POLICY_NAME = /^[\w+=,.@-]+$/;

// ---- lookups shared with STS ------------------------------------------------------------------

export function findRole(deps: Pick<IamDeps, "cache" | "account" | "partition">, name: string): RoleView | undefined {
  const o = deps.cache.get({ kind: "IAMRole", name });
  return o ? roleView(o, deps.account, deps.partition) : undefined;
}

export function findUser(deps: Pick<IamDeps, "cache" | "account" | "partition">, name: string): UserView | undefined {
  const o = deps.cache.get({ kind: "IAMUser", name });
  return o ? userView(o, deps.account, deps.partition) : undefined;
}

export function listProviders(deps: Pick<IamDeps, "cache" | "account" | "partition">): OidcProviderView[] {
  return deps.cache.list("OIDCProvider").map((o) => oidcProviderView(o, deps.account, deps.partition));
}

/** The text of a managed policy by ARN: AWS-managed ones kubeiam knows, or an IAMPolicy object. */
export function managedPolicyText(deps: Pick<IamDeps, "cache" | "account" | "partition">, arn: string): string | undefined {
  if (AWS_MANAGED_POLICIES[arn]) return AWS_MANAGED_POLICIES[arn];
  for (const o of deps.cache.list("IAMPolicy")) {
    const v = managedPolicyView(o, deps.account, deps.partition);
    if (v.arn === arn) return v.document;
  }
  return undefined;
}

/** Identity policies that apply to a caller (inline + attached; for sessions, the role's). */
export function callerPolicies(deps: Pick<IamDeps, "cache" | "account" | "partition">, caller: Caller): string[] {
  let inline: Record<string, string> = {};
  let attached: string[] = [];
  if (caller.type === "user") {
    inline = caller.user.inlinePolicies;
    attached = caller.user.attachedPolicyArns;
  } else {
    const name = caller.session.roleArn.slice(caller.session.roleArn.lastIndexOf("/") + 1);
    const role = findRole(deps, name);
    if (role) {
      inline = role.inlinePolicies;
      attached = role.attachedPolicyArns;
    }
  }
  return [...Object.values(inline), ...attached.map((a) => managedPolicyText(deps, a)).filter((t): t is string => t !== undefined)];
}

/** Is `caller` allowed `action` on `resource` by its identity (and session) policies? */
export function authorizeCaller(deps: Pick<IamDeps, "cache" | "account" | "partition" | "policy">, caller: Caller, action: string, resource: string): { allowed: boolean; reasons: Reason[] } {
  const q = { action, resource, context: { "aws:PrincipalArn": caller.type === "user" ? caller.arn : caller.session.roleArn, "aws:PrincipalAccount": caller.account, "aws:userid": caller.userId, ...(caller.type === "user" ? { "aws:username": caller.user.name } : {}) } };
  const answers = callerPolicies(deps, caller).map((t) => deps.policy.evaluate(t, "identity", q));
  const reasons = answers.flatMap((a) => a.reasons);
  if (answers.some((a) => a.decision === "ExplicitDeny")) return { allowed: false, reasons: [...reasons, { check: "iam.identity-policy", ok: false, message: `an identity policy of ${caller.arn} explicitly denies ${action}` }] };
  if (!answers.some((a) => a.decision === "Allow")) return { allowed: false, reasons: [...reasons, { check: "iam.identity-policy", ok: false, message: `no identity policy of ${caller.arn} allows ${action} on ${resource}` }] };
  if (caller.type === "assumed-role" && (caller.session.sessionPolicy !== undefined || caller.session.sessionPolicyArns)) {
    const texts = [caller.session.sessionPolicy, ...(caller.session.sessionPolicyArns ?? []).map((a) => managedPolicyText(deps, a))].filter((t): t is string => t !== undefined);
    const s = texts.map((t) => deps.policy.evaluate(t, "identity", q));
    if (!s.some((a) => a.decision === "Allow") || s.some((a) => a.decision === "ExplicitDeny")) {
      return { allowed: false, reasons: [...reasons, ...s.flatMap((a) => a.reasons), { check: "iam.session-policy", ok: false, message: `the session policy of ${caller.arn} does not allow ${action}` }] };
    }
  }
  return { allowed: true, reasons: [...reasons, { check: "iam.identity-policy", ok: true, message: `${caller.arn} is allowed ${action} on ${resource}` }] };
}

// ---- rendering --------------------------------------------------------------------------------

const enc = (doc: string): string => encodeURIComponent(doc);

function roleXml(r: RoleView): { [name: string]: XmlValue } {
  const x: { [name: string]: XmlValue } = { Path: r.path, RoleName: r.name, RoleId: r.roleId, Arn: r.arn, CreateDate: r.createDate, AssumeRolePolicyDocument: enc(r.trustPolicy) };
  if (r.description !== undefined) x.Description = r.description;
  x.MaxSessionDuration = r.maxSessionDuration;
  return x;
}

function userXml(u: UserView): { [name: string]: XmlValue } {
  return { Path: u.path, UserName: u.name, UserId: u.userId, Arn: u.arn, CreateDate: u.createDate };
}

// ---- parameter helpers ------------------------------------------------------------------------

function required(p: QueryParams, name: string, member: string): string | AwsError {
  const v = p.get(name);
  if (v === undefined || v === "") return constraintError([{ value: undefined, member, constraint: "Member must not be null" }]);
  return v;
}

function nameParam(p: QueryParams, name: string, member: string, max: number): string | AwsError {
  const v = required(p, name, member);
  if (v instanceof AwsError) return v;
  if (v.length > max) return constraintError([{ value: v, member, constraint: `Member must have length less than or equal to ${max}` }]);
  if (!NAME.test(v)) return constraintError([{ value: v, member, constraint: "Member must satisfy regular expression pattern: [\\w+=,.@-]+" }]);
  return v;
}

function pathParam(p: QueryParams, member = "path"): string | AwsError {
  const v = p.get("Path") ?? "/";
  if (v.length > 512 || !/^(\u002F)|(\u002F[\u0021-\u007E]+\u002F)$/.test(v)) return constraintError([{ value: v, member, constraint: "Member must satisfy regular expression pattern: (\\u002F)|(\\u002F[\\u0021-\\u007E]+\\u002F)" }]);
  return v;
}

function policyDocParam(p: QueryParams, name: string, member: string, kind: "trust" | "identity", deps: IamDeps): string | AwsError {
  const v = required(p, name, member);
  if (v instanceof AwsError) return v;
  if (v.length > 131072) return constraintError([{ value: v.slice(0, 80) + "…", member, constraint: "Member must have length less than or equal to 131072" }]);
  const bad = deps.policy.validate(v, kind);
  if (bad) return awsErrors.malformedPolicy(bad);
  return v;
}

const now = (deps: IamDeps): string => isoSeconds(deps.now);

// ---- actions ----------------------------------------------------------------------------------

type Handler = (p: QueryParams, deps: IamDeps, caller: Caller) => Promise<{ [name: string]: XmlValue } | undefined>;

function roleOrFail(deps: IamDeps, name: string): { obj: KubeObject; view: RoleView } {
  const obj = deps.cache.get({ kind: "IAMRole", name });
  if (!obj) throw awsErrors.noSuchEntity(`The role with name ${name} cannot be found.`);
  return { obj, view: roleView(obj, deps.account, deps.partition) };
}

function providerByArn(deps: IamDeps, arn: string): { obj: KubeObject; view: OidcProviderView } {
  for (const obj of deps.cache.list("OIDCProvider")) {
    const view = oidcProviderView(obj, deps.account, deps.partition);
    if (view.arn === arn) return { obj, view };
  }
  throw awsErrors.noSuchEntity(`OpenIDConnect Provider not found for arn ${arn}`);
}

const unwrap = <T>(v: T | AwsError): T => {
  if (v instanceof AwsError) throw v;
  return v;
};

async function saveRole(deps: IamDeps, view: Omit<RoleView, "arn">, base: KubeObject): Promise<void> {
  await deps.store.put(roleObject(view, base));
}

const handlers: Record<string, Handler> = {
  async CreateOpenIDConnectProvider(p, deps) {
    const url = unwrap(required(p, "Url", "url"));
    // AWS refuses a port; kubeiam accepts one because its own embedded issuer listens on one (docs/iam.md).
    if (url.length > 255 || !/^https:\/\/[^/?#:]+(:\d{1,5})?(\/[^?#]*)?$/i.test(url)) throw awsErrors.validation(`The URL ${url} is invalid: it must begin with https:// and have no query or fragment.`);
    const clientIds = memberList(p, "ClientIDList");
    const thumbprints = memberList(p, "ThumbprintList");
    if (clientIds.some((c) => c.length < 1 || c.length > 255)) throw constraintError([{ value: clientIds.find((c) => c.length < 1 || c.length > 255), member: "clientIDList.member", constraint: "Member must have length less than or equal to 255" }]);
    if (thumbprints.length > 5) throw awsErrors.limitExceeded("Thumbprint list must contain fewer than 5 entries.");
    const badThumb = thumbprints.find((t) => !/^[0-9a-fA-F]{40}$/.test(t));
    if (badThumb !== undefined) throw constraintError([{ value: badThumb, member: "thumbprintList.member", constraint: "Member must have length greater than or equal to 40" }]);
    const hostPath = hostPathOf(url);
    if (listProviders(deps).some((v) => v.hostPath === hostPath)) throw awsErrors.entityAlreadyExists(`Provider with url ${url} already exists.`);
    await deps.store.put(oidcProviderObject({ objectName: oidcProviderObjectName(hostPath), url, clientIds, thumbprints, createDate: now(deps) }));
    return { OpenIDConnectProviderArn: `arn:${deps.partition}:iam::${deps.account}:oidc-provider/${hostPath}` };
  },
  async GetOpenIDConnectProvider(p, deps) {
    const { view } = providerByArn(deps, unwrap(required(p, "OpenIDConnectProviderArn", "openIDConnectProviderArn")));
    return Promise.resolve({ Url: view.hostPath, ClientIDList: view.clientIds, ThumbprintList: view.thumbprints, CreateDate: view.createDate, Tags: [] });
  },
  async ListOpenIDConnectProviders(_p, deps) {
    return Promise.resolve({ OpenIDConnectProviderList: listProviders(deps).map((v) => ({ Arn: v.arn })) });
  },
  async DeleteOpenIDConnectProvider(p, deps) {
    const { obj } = providerByArn(deps, unwrap(required(p, "OpenIDConnectProviderArn", "openIDConnectProviderArn")));
    await deps.store.delete({ kind: "OIDCProvider", name: obj.metadata.name });
    return undefined;
  },
  async CreateRole(p, deps) {
    const name = unwrap(nameParam(p, "RoleName", "roleName", 64));
    const path = unwrap(pathParam(p));
    const trust = unwrap(policyDocParam(p, "AssumeRolePolicyDocument", "assumeRolePolicyDocument", "trust", deps));
    const msdRaw = p.get("MaxSessionDuration");
    let maxSessionDuration = 3600;
    if (msdRaw !== undefined) {
      const n = Number(msdRaw);
      if (!/^\d+$/.test(msdRaw) || n < 3600) throw constraintError([{ value: msdRaw, member: "maxSessionDuration", constraint: "Member must have value greater than or equal to 3600" }]);
      if (n > 43200) throw constraintError([{ value: msdRaw, member: "maxSessionDuration", constraint: "Member must have value less than or equal to 43200" }]);
      maxSessionDuration = n;
    }
    const description = p.get("Description");
    if (description !== undefined && description.length > 1000) throw constraintError([{ value: description.slice(0, 50), member: "description", constraint: "Member must have length less than or equal to 1000" }]);
    if (deps.cache.get({ kind: "IAMRole", name })) throw awsErrors.entityAlreadyExists(`Role with name ${name} already exists.`);
    const view: Omit<RoleView, "arn"> = { name, path, roleId: stableUniqueId("AROA", `role:${newUidSeed()}`), trustPolicy: trust, maxSessionDuration, description, createDate: now(deps), inlinePolicies: {}, attachedPolicyArns: [] };
    const stored = await deps.store.put(roleObject(view));
    return { Role: roleXml(roleView(stored, deps.account, deps.partition)) };
  },
  async GetRole(p, deps) {
    return Promise.resolve({ Role: roleXml(roleOrFail(deps, unwrap(nameParam(p, "RoleName", "roleName", 64))).view) });
  },
  async ListRoles(p, deps) {
    const prefix = p.get("PathPrefix") ?? "/";
    const roles = deps.cache.list("IAMRole").map((o) => roleView(o, deps.account, deps.partition)).filter((r) => r.path.startsWith(prefix)).sort((a, b) => a.name.localeCompare(b.name));
    return Promise.resolve({ Roles: roles.map(roleXml), IsTruncated: false });
  },
  async DeleteRole(p, deps) {
    const { view } = roleOrFail(deps, unwrap(nameParam(p, "RoleName", "roleName", 64)));
    if (Object.keys(view.inlinePolicies).length > 0) throw awsErrors.deleteConflict("Cannot delete entity, must delete policies first.");
    if (view.attachedPolicyArns.length > 0) throw awsErrors.deleteConflict("Cannot delete entity, must detach all policies first.");
    await deps.store.delete({ kind: "IAMRole", name: view.name });
    return undefined;
  },
  async UpdateAssumeRolePolicy(p, deps) {
    const { obj, view } = roleOrFail(deps, unwrap(nameParam(p, "RoleName", "roleName", 64)));
    const doc = unwrap(policyDocParam(p, "PolicyDocument", "policyDocument", "trust", deps));
    await saveRole(deps, { ...view, trustPolicy: doc }, obj);
    return undefined;
  },
  async PutRolePolicy(p, deps) {
    const { obj, view } = roleOrFail(deps, unwrap(nameParam(p, "RoleName", "roleName", 64)));
    const policyName = unwrap(required(p, "PolicyName", "policyName"));
    if (policyName.length > 128 || !POLICY_NAME.test(policyName)) throw constraintError([{ value: policyName, member: "policyName", constraint: "Member must satisfy regular expression pattern: [\\w+=,.@-]+" }]);
    const doc = unwrap(policyDocParam(p, "PolicyDocument", "policyDocument", "identity", deps));
    await saveRole(deps, { ...view, inlinePolicies: { ...view.inlinePolicies, [policyName]: doc } }, obj);
    return undefined;
  },
  async GetRolePolicy(p, deps) {
    const { view } = roleOrFail(deps, unwrap(nameParam(p, "RoleName", "roleName", 64)));
    const policyName = unwrap(required(p, "PolicyName", "policyName"));
    const doc = view.inlinePolicies[policyName];
    if (doc === undefined) throw awsErrors.noSuchEntity(`The role policy with name ${policyName} cannot be found.`);
    return Promise.resolve({ RoleName: view.name, PolicyName: policyName, PolicyDocument: enc(doc) });
  },
  async DeleteRolePolicy(p, deps) {
    const { obj, view } = roleOrFail(deps, unwrap(nameParam(p, "RoleName", "roleName", 64)));
    const policyName = unwrap(required(p, "PolicyName", "policyName"));
    if (view.inlinePolicies[policyName] === undefined) throw awsErrors.noSuchEntity(`The role policy with name ${policyName} cannot be found.`);
    const inline = { ...view.inlinePolicies };
    delete inline[policyName];
    await saveRole(deps, { ...view, inlinePolicies: inline }, obj);
    return undefined;
  },
  async ListRolePolicies(p, deps) {
    const { view } = roleOrFail(deps, unwrap(nameParam(p, "RoleName", "roleName", 64)));
    return Promise.resolve({ PolicyNames: Object.keys(view.inlinePolicies).sort(), IsTruncated: false });
  },
  async AttachRolePolicy(p, deps) {
    const { obj, view } = roleOrFail(deps, unwrap(nameParam(p, "RoleName", "roleName", 64)));
    const arn = unwrap(required(p, "PolicyArn", "policyArn"));
    if (!/^arn:[\w-]+:iam::(aws|\d{12}):policy\//.test(arn)) throw awsErrors.validation(`ARN ${arn} is not valid.`);
    if (managedPolicyText(deps, arn) === undefined) throw awsErrors.noSuchEntity(`Policy ${arn} does not exist or is not attachable.`);
    if (!view.attachedPolicyArns.includes(arn)) {
      if (view.attachedPolicyArns.length >= 10) throw awsErrors.limitExceeded("Cannot exceed quota for PoliciesPerRole: 10");
      await saveRole(deps, { ...view, attachedPolicyArns: [...view.attachedPolicyArns, arn] }, obj);
    }
    return undefined;
  },
  async DetachRolePolicy(p, deps) {
    const { obj, view } = roleOrFail(deps, unwrap(nameParam(p, "RoleName", "roleName", 64)));
    const arn = unwrap(required(p, "PolicyArn", "policyArn"));
    if (!view.attachedPolicyArns.includes(arn)) throw awsErrors.noSuchEntity(`Policy ${arn} was not found.`);
    await saveRole(deps, { ...view, attachedPolicyArns: view.attachedPolicyArns.filter((a) => a !== arn) }, obj);
    return undefined;
  },
  async ListAttachedRolePolicies(p, deps) {
    const { view } = roleOrFail(deps, unwrap(nameParam(p, "RoleName", "roleName", 64)));
    return Promise.resolve({ AttachedPolicies: view.attachedPolicyArns.map((a) => ({ PolicyName: a.slice(a.lastIndexOf("/") + 1), PolicyArn: a })), IsTruncated: false });
  },
  async CreateUser(p, deps) {
    const name = unwrap(nameParam(p, "UserName", "userName", 64));
    const path = unwrap(pathParam(p));
    if (deps.cache.get({ kind: "IAMUser", name })) throw awsErrors.entityAlreadyExists(`User with name ${name} already exists.`);
    const stored = await deps.store.put(userObject({ name, path, userId: stableUniqueId("AIDA", `user:${newUidSeed()}`), createDate: now(deps), inlinePolicies: {}, attachedPolicyArns: [], accessKeys: [] }));
    return { User: userXml(userView(stored, deps.account, deps.partition)) };
  },
  async GetUser(p, deps, caller) {
    const name = p.get("UserName");
    if (name === undefined) {
      if (caller.type !== "user") throw awsErrors.validation("Must specify userName when calling with non-User credentials");
      return { User: userXml(caller.user) };
    }
    const u = findUser(deps, name);
    if (!u) throw awsErrors.noSuchEntity(`The user with name ${name} cannot be found.`);
    return Promise.resolve({ User: userXml(u) });
  },
  async CreateAccessKey(p, deps, caller) {
    const name = p.get("UserName") ?? (caller.type === "user" ? caller.user.name : undefined);
    if (name === undefined) throw awsErrors.validation("Must specify userName when calling with non-User credentials");
    const obj = deps.cache.get({ kind: "IAMUser", name });
    if (!obj) throw awsErrors.noSuchEntity(`The user with name ${name} cannot be found.`);
    const view = userView(obj, deps.account, deps.partition);
    if (deps.accessKeys.forUser(name).length >= 2) throw awsErrors.limitExceeded("Cannot exceed quota for AccessKeysPerUser: 2");
    const key = await deps.accessKeys.create(name, deps.now);
    await deps.store.put(userObject({ ...view, accessKeys: [...view.accessKeys, { accessKeyId: key.accessKeyId, status: "Active", createDate: key.createDate }] }, obj));
    return { AccessKey: { UserName: name, AccessKeyId: key.accessKeyId, Status: key.status, SecretAccessKey: key.secretAccessKey, CreateDate: key.createDate } };
  },
  async ListAccessKeys(p, deps, caller) {
    const name = p.get("UserName") ?? (caller.type === "user" ? caller.user.name : undefined);
    if (name === undefined) throw awsErrors.validation("Must specify userName when calling with non-User credentials");
    if (!findUser(deps, name)) throw awsErrors.noSuchEntity(`The user with name ${name} cannot be found.`);
    return Promise.resolve({ AccessKeyMetadata: deps.accessKeys.forUser(name).map((k) => ({ UserName: name, AccessKeyId: k.accessKeyId, Status: k.status, CreateDate: k.createDate })), IsTruncated: false });
  },
};

/** The resource ARN an action is authorised against. */
function resourceFor(action: string, p: QueryParams, deps: IamDeps, caller: Caller): string {
  const a = `arn:${deps.partition}:iam::${deps.account}`;
  if (action.includes("OpenIDConnectProvider")) {
    const arn = p.get("OpenIDConnectProviderArn");
    if (arn) return arn;
    const url = p.get("Url");
    return url ? `${a}:oidc-provider/${hostPathOf(url)}` : "*";
  }
  const role = p.get("RoleName");
  if (role) return `${a}:role${p.get("Path") ?? findRole(deps, role)?.path ?? "/"}${role}`;
  const user = p.get("UserName") ?? (caller.type === "user" ? caller.user.name : undefined);
  if (user) return `${a}:user${p.get("Path") ?? findUser(deps, user)?.path ?? "/"}${user}`;
  return "*";
}

export async function runIamAction(action: string, p: QueryParams, caller: Caller, deps: IamDeps): Promise<IamOutcome> {
  const handler = handlers[action];
  if (!handler) return { ok: false, error: new AwsError("InvalidAction", `Could not find operation ${action} for version 2010-05-08`, 400), reasons: [{ check: "iam.action", ok: false, message: `kubeiam does not implement IAM ${action}` }] };
  const resource = resourceFor(action, p, deps, caller);
  const authz = authorizeCaller(deps, caller, `iam:${action}`, resource);
  if (!authz.allowed) {
    return { ok: false, error: awsErrors.accessDenied(`User: ${caller.arn} is not authorized to perform: iam:${action} on resource: ${resource} because no identity-based policy allows the iam:${action} action`), reasons: authz.reasons };
  }
  try {
    const result = await handler(p, deps, caller);
    return { ok: true, result, reasons: [...authz.reasons, { check: "iam.action", ok: true, message: `${action} done` }] };
  } catch (e) {
    if (e instanceof AwsError) return { ok: false, error: e, reasons: [...authz.reasons, { check: "iam.action", ok: false, message: e.message }] };
    throw e;
  }
}
