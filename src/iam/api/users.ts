/** IAM users and their access keys: Create/Get/List/Delete user, Create/List/Update/Delete access key. */
import { awsErrors, constraintError } from "../../sts/aws-error.js";
import type { Caller } from "../../sts/caller.js";
import type { QueryParams } from "../../sts/query.js";
import { isoSeconds, type XmlValue } from "../../sts/xml.js";
import { stableUniqueId } from "../ids.js";
import { userObject, userView, type UserView } from "../objects.js";
import { newUidSeed } from "../seed.js";
import type { IamHandler } from "./deps.js";
import { userOrFail } from "./lookups.js";
import { nameParam, optionalName, pathParam, required } from "./params.js";

export const MAX_ACCESS_KEYS = 2;

export function userXml(u: UserView): { [name: string]: XmlValue } {
  return { Path: u.path, UserName: u.name, UserId: u.userId, Arn: u.arn, CreateDate: u.createDate };
}

/** UserName, or the calling user when absent (IAM's default for key operations). */
function userNameOrCaller(p: QueryParams, caller: Caller): string {
  const name = optionalName(p, "UserName", "userName", 128);
  if (name !== undefined) return name;
  if (caller.type !== "user")
    throw awsErrors.validation("Must specify userName when calling with non-User credentials");
  return caller.user.name;
}

function accessKeyIdParam(p: QueryParams): string {
  const id = required(p, "AccessKeyId", "accessKeyId");
  if (id.length < 16 || id.length > 128 || !/^\w+$/.test(id))
    throw constraintError([
      {
        value: id,
        member: "accessKeyId",
        constraint: "Member must satisfy regular expression pattern: [\\w]+",
      },
    ]);
  return id;
}

export const userHandlers: Record<string, IamHandler> = {
  async CreateUser(p, deps) {
    const name = nameParam(p, "UserName", "userName", 64);
    const path = pathParam(p);
    if (deps.cache.list("IAMUser").some((o) => o.metadata.name.toLowerCase() === name.toLowerCase()))
      throw awsErrors.entityAlreadyExists(`User with name ${name} already exists.`);
    const stored = await deps.store.put(
      userObject({
        name,
        path,
        userId: stableUniqueId("AIDA", `user:${newUidSeed()}`),
        createDate: isoSeconds(deps.now),
        inlinePolicies: {},
        attachedPolicyArns: [],
        accessKeys: [],
      }),
    );
    return { User: userXml(userView(stored, deps.account, deps.partition)) };
  },
  async GetUser(p, deps, caller) {
    const name = optionalName(p, "UserName", "userName", 128);
    if (name === undefined) {
      if (caller.type !== "user")
        throw awsErrors.validation("Must specify userName when calling with non-User credentials");
      return { User: userXml(caller.user) };
    }
    return Promise.resolve({ User: userXml(userOrFail(deps, name).view) });
  },
  async ListUsers(p, deps) {
    const prefix = p.get("PathPrefix") ?? "/";
    const users = deps.cache
      .list("IAMUser")
      .map((o) => userView(o, deps.account, deps.partition))
      .filter((u) => u.path.startsWith(prefix))
      .sort((a, b) => a.name.localeCompare(b.name));
    return Promise.resolve({ Users: users.map(userXml), IsTruncated: false });
  },
  async DeleteUser(p, deps) {
    const { view } = userOrFail(deps, nameParam(p, "UserName", "userName", 64));
    if (deps.accessKeys.forUser(view.name).length > 0)
      throw awsErrors.deleteConflict("Cannot delete entity, must delete access keys first.");
    if (Object.keys(view.inlinePolicies).length > 0)
      throw awsErrors.deleteConflict("Cannot delete entity, must delete policies first.");
    if (view.attachedPolicyArns.length > 0)
      throw awsErrors.deleteConflict("Cannot delete entity, must detach all policies first.");
    await deps.store.delete({ kind: "IAMUser", name: view.name });
    return undefined;
  },
  async CreateAccessKey(p, deps, caller) {
    const { obj, view } = userOrFail(deps, userNameOrCaller(p, caller));
    const key = await deps.accessKeys.create(view.name, deps.now, MAX_ACCESS_KEYS);
    if (!key) throw awsErrors.limitExceeded(`Cannot exceed quota for AccessKeysPerUser: ${MAX_ACCESS_KEYS}`);
    await deps.store.put(
      userObject(
        {
          ...view,
          accessKeys: [
            ...view.accessKeys,
            { accessKeyId: key.accessKeyId, status: "Active", createDate: key.createDate },
          ],
        },
        obj,
      ),
    );
    return {
      AccessKey: {
        UserName: view.name,
        AccessKeyId: key.accessKeyId,
        Status: key.status,
        SecretAccessKey: key.secretAccessKey,
        CreateDate: key.createDate,
      },
    };
  },
  async ListAccessKeys(p, deps, caller) {
    const { view } = userOrFail(deps, userNameOrCaller(p, caller));
    const keys = deps.accessKeys
      .forUser(view.name)
      .map((k) => ({
        UserName: view.name,
        AccessKeyId: k.accessKeyId,
        Status: k.status,
        CreateDate: k.createDate,
      }));
    return Promise.resolve({ AccessKeyMetadata: keys, IsTruncated: false });
  },
  async UpdateAccessKey(p, deps, caller) {
    const { obj, view } = userOrFail(deps, userNameOrCaller(p, caller));
    const id = accessKeyIdParam(p);
    const status = required(p, "Status", "status");
    if (status !== "Active" && status !== "Inactive")
      throw constraintError([
        {
          value: status,
          member: "status",
          constraint: "Member must satisfy enum value set: [Active, Inactive]",
        },
      ]);
    const key = deps.accessKeys.get(id);
    if (key?.userName !== view.name)
      throw awsErrors.noSuchEntity(`The Access Key with id ${id} cannot be found.`);
    await deps.accessKeys.setStatus(id, status);
    await deps.store.put(
      userObject(
        { ...view, accessKeys: view.accessKeys.map((k) => (k.accessKeyId === id ? { ...k, status } : k)) },
        obj,
      ),
    );
    return undefined;
  },
  async DeleteAccessKey(p, deps, caller) {
    const { obj, view } = userOrFail(deps, userNameOrCaller(p, caller));
    const id = accessKeyIdParam(p);
    const key = deps.accessKeys.get(id);
    if (key?.userName !== view.name)
      throw awsErrors.noSuchEntity(`The Access Key with id ${id} cannot be found.`);
    await deps.accessKeys.remove(id);
    await deps.store.put(
      userObject({ ...view, accessKeys: view.accessKeys.filter((k) => k.accessKeyId !== id) }, obj),
    );
    return undefined;
  },
};
