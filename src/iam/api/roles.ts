/** IAM roles: Create/Get/List/Delete, UpdateRole, UpdateAssumeRolePolicy. */
import { awsErrors } from "../../sts/aws-error.js";
import { isoSeconds, type XmlValue } from "../../sts/xml.js";
import { stableUniqueId } from "../ids.js";
import { roleObject, roleView, type RoleView } from "../objects.js";
import { newUidSeed } from "../seed.js";
import type { IamHandler } from "./deps.js";
import { roleOrFail } from "./lookups.js";
import { descriptionParam, maxSessionDurationParam, nameParam, pathParam, policyDocParam } from "./params.js";

export function roleXml(r: RoleView): { [name: string]: XmlValue } {
  const x: { [name: string]: XmlValue } = {
    Path: r.path,
    RoleName: r.name,
    RoleId: r.roleId,
    Arn: r.arn,
    CreateDate: r.createDate,
    AssumeRolePolicyDocument: encodeURIComponent(r.trustPolicy),
  };
  if (r.description !== undefined) x.Description = r.description;
  x.MaxSessionDuration = r.maxSessionDuration;
  return x;
}

export const roleHandlers: Record<string, IamHandler> = {
  async CreateRole(p, deps) {
    const name = nameParam(p, "RoleName", "roleName", 64);
    const path = pathParam(p);
    const trust = policyDocParam(
      p,
      "AssumeRolePolicyDocument",
      "assumeRolePolicyDocument",
      "trust",
      deps.policy,
    );
    const maxSessionDuration = maxSessionDurationParam(p) ?? 3600;
    const description = descriptionParam(p);
    // Role names are unique without regard to case.
    if (deps.cache.list("IAMRole").some((o) => o.metadata.name.toLowerCase() === name.toLowerCase()))
      throw awsErrors.entityAlreadyExists(`Role with name ${name} already exists.`);
    const view: Omit<RoleView, "arn"> = {
      name,
      path,
      roleId: stableUniqueId("AROA", `role:${newUidSeed()}`),
      trustPolicy: trust,
      maxSessionDuration,
      description,
      createDate: isoSeconds(deps.now),
      inlinePolicies: {},
      attachedPolicyArns: [],
    };
    const stored = await deps.store.put(roleObject(view));
    return { Role: roleXml(roleView(stored, deps.account, deps.partition)) };
  },
  async GetRole(p, deps) {
    return Promise.resolve({
      Role: roleXml(roleOrFail(deps, nameParam(p, "RoleName", "roleName", 64)).view),
    });
  },
  async ListRoles(p, deps) {
    const prefix = p.get("PathPrefix") ?? "/";
    const roles = deps.cache
      .list("IAMRole")
      .map((o) => roleView(o, deps.account, deps.partition))
      .filter((r) => r.path.startsWith(prefix))
      .sort((a, b) => a.name.localeCompare(b.name));
    return Promise.resolve({ Roles: roles.map(roleXml), IsTruncated: false });
  },
  async DeleteRole(p, deps) {
    const { view } = roleOrFail(deps, nameParam(p, "RoleName", "roleName", 64));
    if (Object.keys(view.inlinePolicies).length > 0)
      throw awsErrors.deleteConflict("Cannot delete entity, must delete policies first.");
    if (view.attachedPolicyArns.length > 0)
      throw awsErrors.deleteConflict("Cannot delete entity, must detach all policies first.");
    await deps.store.delete({ kind: "IAMRole", name: view.name });
    return undefined;
  },
  async UpdateRole(p, deps) {
    const { obj, view } = roleOrFail(deps, nameParam(p, "RoleName", "roleName", 64));
    const max = maxSessionDurationParam(p);
    const description = descriptionParam(p);
    await deps.store.put(
      roleObject(
        {
          ...view,
          maxSessionDuration: max ?? view.maxSessionDuration,
          description: description ?? view.description,
        },
        obj,
      ),
    );
    return {};
  },
  async UpdateAssumeRolePolicy(p, deps) {
    const { obj, view } = roleOrFail(deps, nameParam(p, "RoleName", "roleName", 64));
    const doc = policyDocParam(p, "PolicyDocument", "policyDocument", "trust", deps.policy);
    await deps.store.put(roleObject({ ...view, trustPolicy: doc }, obj));
    return undefined;
  },
};
