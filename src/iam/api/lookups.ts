/** Reads of IAM objects shared by the IAM API and STS: roles, users, providers, managed policies, a caller's policies. */
import type { KubeObject } from "../../store/types.js";
import { awsErrors } from "../../sts/aws-error.js";
import type { Caller } from "../../sts/caller.js";
import {
  AWS_MANAGED_POLICIES,
  managedPolicyView,
  oidcProviderView,
  roleView,
  userView,
  type ManagedPolicyView,
  type OidcProviderView,
  type RoleView,
  type UserView,
} from "../objects.js";
import type { IamLookupDeps } from "./deps.js";

/**
 * Views are derived once per stored object (the cache replaces an object when it changes, so the
 * object itself is the memo key): STS reads the role and providers on every request.
 */
const views = new WeakMap<KubeObject, { at: string; view: RoleView | UserView | OidcProviderView }>();

function memo<V extends RoleView | UserView | OidcProviderView>(
  o: KubeObject,
  deps: IamLookupDeps,
  make: (o: KubeObject, account: string, partition: string) => V,
): V {
  const at = `${deps.account}:${deps.partition}`;
  const hit = views.get(o);
  if (hit?.at === at) return hit.view as V;
  const view = make(o, deps.account, deps.partition);
  views.set(o, { at, view });
  return view;
}

export function findRole(deps: IamLookupDeps, name: string): RoleView | undefined {
  const o = deps.cache.get({ kind: "IAMRole", name });
  return o ? memo(o, deps, roleView) : undefined;
}

export function findUser(deps: IamLookupDeps, name: string): UserView | undefined {
  const o = deps.cache.get({ kind: "IAMUser", name });
  return o ? memo(o, deps, userView) : undefined;
}

export function listProviders(deps: IamLookupDeps): OidcProviderView[] {
  return deps.cache.list("OIDCProvider").map((o) => memo(o, deps, oidcProviderView));
}

/** The provider whose URL (without https://) is `hostPath`. */
export function findProvider(deps: IamLookupDeps, hostPath: string): OidcProviderView | undefined {
  return listProviders(deps).find((p) => p.hostPath === hostPath);
}

/** Customer-managed policies (IAMPolicy objects). */
export function listManagedPolicies(deps: IamLookupDeps): { obj: KubeObject; view: ManagedPolicyView }[] {
  return deps.cache
    .list("IAMPolicy")
    .map((obj) => ({ obj, view: managedPolicyView(obj, deps.account, deps.partition) }));
}

/** The text of a managed policy by ARN: AWS-managed ones kubeiam knows, or an IAMPolicy object. */
export function managedPolicyText(deps: IamLookupDeps, arn: string): string | undefined {
  const aws = AWS_MANAGED_POLICIES[arn];
  if (aws !== undefined) return aws;
  return listManagedPolicies(deps).find((m) => m.view.arn === arn)?.view.document;
}

/** Identity policies that apply to a caller (inline + attached; for a role session, the role's). */
export function callerPolicies(deps: IamLookupDeps, caller: Caller): string[] {
  let inline: Record<string, string> = {};
  let attached: string[] = [];
  if (caller.type === "user") {
    inline = caller.user.inlinePolicies;
    attached = caller.user.attachedPolicyArns;
  } else {
    const role = findRole(deps, caller.session.roleArn.slice(caller.session.roleArn.lastIndexOf("/") + 1));
    if (role) {
      inline = role.inlinePolicies;
      attached = role.attachedPolicyArns;
    }
  }
  return [
    ...Object.values(inline),
    ...attached.map((a) => managedPolicyText(deps, a)).filter((t): t is string => t !== undefined),
  ];
}

export function roleOrFail(deps: IamLookupDeps, name: string): { obj: KubeObject; view: RoleView } {
  const obj = deps.cache.get({ kind: "IAMRole", name });
  if (!obj) throw awsErrors.noSuchEntity(`The role with name ${name} cannot be found.`);
  return { obj, view: roleView(obj, deps.account, deps.partition) };
}

export function userOrFail(deps: IamLookupDeps, name: string): { obj: KubeObject; view: UserView } {
  const obj = deps.cache.get({ kind: "IAMUser", name });
  if (!obj) throw awsErrors.noSuchEntity(`The user with name ${name} cannot be found.`);
  return { obj, view: userView(obj, deps.account, deps.partition) };
}

export function providerOrFail(
  deps: IamLookupDeps,
  arn: string,
): { obj: KubeObject; view: OidcProviderView } {
  for (const obj of deps.cache.list("OIDCProvider")) {
    const view = oidcProviderView(obj, deps.account, deps.partition);
    if (view.arn === arn) return { obj, view };
  }
  throw awsErrors.noSuchEntity(`OpenIDConnect Provider not found for arn ${arn}`);
}
