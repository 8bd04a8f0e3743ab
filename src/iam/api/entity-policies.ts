/**
 * Inline and attached (managed) policies of roles and users: Put/Get/Delete/List{Role,User}Policy
 * and Attach/Detach/ListAttached{Role,User}Policies, one implementation for both entity kinds.
 */
import type { KubeObject } from "../../store/types.js";
import { awsErrors, constraintError } from "../../sts/aws-error.js";
import type { QueryParams } from "../../sts/query.js";
import { roleObject, userObject, type RoleView, type UserView } from "../objects.js";
import type { IamDeps, IamHandler } from "./deps.js";
import { managedPolicyText, roleOrFail, userOrFail } from "./lookups.js";
import { nameParam, policyDocParam, required } from "./params.js";

/** IAM's quota of managed policies attached to one role or user (default). */
export const MAX_ATTACHED = 10;

type Entity =
  { kind: "role"; obj: KubeObject; view: RoleView } | { kind: "user"; obj: KubeObject; view: UserView };

const enc = (doc: string): string => encodeURIComponent(doc);

function entity(kind: "role" | "user", p: QueryParams, deps: IamDeps): Entity {
  if (kind === "role") return { kind, ...roleOrFail(deps, nameParam(p, "RoleName", "roleName", 64)) };
  return { kind, ...userOrFail(deps, nameParam(p, "UserName", "userName", 64)) };
}

async function save(
  deps: IamDeps,
  e: Entity,
  change: { inlinePolicies?: Record<string, string>; attachedPolicyArns?: string[] },
): Promise<void> {
  if (e.kind === "role") await deps.store.put(roleObject({ ...e.view, ...change }, e.obj));
  else await deps.store.put(userObject({ ...e.view, ...change }, e.obj));
}

function policyName(p: QueryParams): string {
  const n = required(p, "PolicyName", "policyName");
  if (n.length > 128 || !/^[\w+=,.@-]+$/.test(n))
    throw constraintError([
      {
        value: n,
        member: "policyName",
        constraint:
          n.length > 128
            ? "Member must have length less than or equal to 128"
            : "Member must satisfy regular expression pattern: [\\w+=,.@-]+",
      },
    ]);
  return n;
}

function policyArn(p: QueryParams): string {
  const arn = required(p, "PolicyArn", "policyArn");
  if (arn.length < 20 || arn.length > 2048 || !/^arn:aws[a-z-]*:iam::(aws|\d{12}):policy\/./.test(arn))
    throw awsErrors.invalidInput(`ARN ${arn} is not valid.`);
  return arn;
}

function handlersFor(kind: "role" | "user"): Record<string, IamHandler> {
  const K = kind === "role" ? "Role" : "User";
  const nameKey = `${K}Name`;
  return {
    async [`Put${K}Policy`](p, deps) {
      const e = entity(kind, p, deps);
      const name = policyName(p);
      const doc = policyDocParam(p, "PolicyDocument", "policyDocument", "identity", deps.policy);
      await save(deps, e, { inlinePolicies: { ...e.view.inlinePolicies, [name]: doc } });
      return undefined;
    },
    async [`Get${K}Policy`](p, deps) {
      const e = entity(kind, p, deps);
      const name = policyName(p);
      const doc = e.view.inlinePolicies[name];
      if (doc === undefined)
        throw awsErrors.noSuchEntity(`The ${kind} policy with name ${name} cannot be found.`);
      return Promise.resolve({ [nameKey]: e.view.name, PolicyName: name, PolicyDocument: enc(doc) });
    },
    async [`Delete${K}Policy`](p, deps) {
      const e = entity(kind, p, deps);
      const name = policyName(p);
      if (e.view.inlinePolicies[name] === undefined)
        throw awsErrors.noSuchEntity(`The ${kind} policy with name ${name} cannot be found.`);
      await save(deps, e, {
        inlinePolicies: Object.fromEntries(Object.entries(e.view.inlinePolicies).filter(([k]) => k !== name)),
      });
      return undefined;
    },
    async [`List${K}Policies`](p, deps) {
      const e = entity(kind, p, deps);
      return Promise.resolve({ PolicyNames: Object.keys(e.view.inlinePolicies).sort(), IsTruncated: false });
    },
    async [`Attach${K}Policy`](p, deps) {
      const e = entity(kind, p, deps);
      const arn = policyArn(p);
      if (managedPolicyText(deps, arn) === undefined)
        throw awsErrors.noSuchEntity(`Policy ${arn} does not exist or is not attachable.`);
      if (e.view.attachedPolicyArns.includes(arn)) return undefined;
      if (e.view.attachedPolicyArns.length >= MAX_ATTACHED)
        throw awsErrors.limitExceeded(`Cannot exceed quota for PoliciesPer${K}: ${MAX_ATTACHED}`);
      await save(deps, e, { attachedPolicyArns: [...e.view.attachedPolicyArns, arn] });
      return undefined;
    },
    async [`Detach${K}Policy`](p, deps) {
      const e = entity(kind, p, deps);
      const arn = policyArn(p);
      if (!e.view.attachedPolicyArns.includes(arn))
        throw awsErrors.noSuchEntity(`Policy ${arn} was not found.`);
      await save(deps, e, { attachedPolicyArns: e.view.attachedPolicyArns.filter((a) => a !== arn) });
      return undefined;
    },
    async [`ListAttached${K}Policies`](p, deps) {
      const e = entity(kind, p, deps);
      return Promise.resolve({
        AttachedPolicies: e.view.attachedPolicyArns.map((a) => ({
          PolicyName: a.slice(a.lastIndexOf("/") + 1),
          PolicyArn: a,
        })),
        IsTruncated: false,
      });
    },
  };
}

export const entityPolicyHandlers: Record<string, IamHandler> = {
  ...handlersFor("role"),
  ...handlersFor("user"),
};
