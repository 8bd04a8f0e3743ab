/**
 * The IAM query API subset kubeiam serves (so `aws iam … --endpoint-url` works unmodified):
 * OpenID Connect providers, roles with trust, inline and attached policies of roles and users,
 * managed policies, users and access keys. Reads come from the cache, writes go through the store
 * (YAML objects in the embedded mode). Every call is authorised against the caller's identity
 * policies (and session policies); error codes and messages as IAM returns them (docs/iam.md).
 */
import type { Reason } from "../lib/decision.js";
import { KubeiamError } from "../lib/errors.js";
import { AwsError, awsErrors } from "../sts/aws-error.js";
import type { Caller } from "../sts/caller.js";
import type { QueryParams } from "../sts/query.js";
import { hostPathOf } from "./objects.js";
import type { IamDeps, IamHandler, IamLookupDeps, IamOutcome } from "./api/deps.js";
import { entityPolicyHandlers } from "./api/entity-policies.js";
import { callerPolicies, findRole, findUser, managedPolicyText } from "./api/lookups.js";
import { policyHandlers } from "./api/policies.js";
import { providerHandlers } from "./api/providers.js";
import { roleHandlers } from "./api/roles.js";
import { userHandlers } from "./api/users.js";
import type { PolicyPort } from "../sts/policy-port.js";

export type { IamDeps, IamLookupDeps, IamOutcome } from "./api/deps.js";
export {
  callerPolicies,
  findProvider,
  findRole,
  findUser,
  listManagedPolicies,
  listProviders,
  managedPolicyText,
} from "./api/lookups.js";

const HANDLERS: Readonly<Record<string, IamHandler>> = {
  ...providerHandlers,
  ...roleHandlers,
  ...entityPolicyHandlers,
  ...userHandlers,
  ...policyHandlers,
};

export const IAM_ACTIONS: ReadonlySet<string> = new Set(Object.keys(HANDLERS));

/** Is `caller` allowed `action` on `resource` by its identity policies and, for a session, its session policies? */
export function authorizeCaller(
  deps: IamLookupDeps & { policy: PolicyPort },
  caller: Caller,
  action: string,
  resource: string,
): { allowed: boolean; explicitDeny: boolean; reasons: Reason[] } {
  const context: Record<string, string> = {
    "aws:PrincipalArn": caller.type === "user" ? caller.arn : caller.session.roleArn,
    "aws:PrincipalAccount": caller.account,
    "aws:userid": caller.userId,
  };
  if (caller.type === "user") context["aws:username"] = caller.user.name;
  const q = { action, resource, context };
  const answers = callerPolicies(deps, caller).map((t) => deps.policy.evaluate(t, "identity", q));
  const reasons = answers.flatMap((a) => a.reasons);
  if (answers.some((a) => a.decision === "ExplicitDeny"))
    return {
      allowed: false,
      explicitDeny: true,
      reasons: [
        ...reasons,
        {
          check: "iam.identity-policy",
          ok: false,
          message: `an identity policy of ${caller.arn} explicitly denies ${action} on ${resource}`,
        },
      ],
    };
  if (!answers.some((a) => a.decision === "Allow"))
    return {
      allowed: false,
      explicitDeny: false,
      reasons: [
        ...reasons,
        {
          check: "iam.identity-policy",
          ok: false,
          message: `none of the ${answers.length} identity policies of ${caller.arn} allows ${action} on ${resource}`,
        },
      ],
    };
  if (
    caller.type === "assumed-role" &&
    (caller.session.sessionPolicy !== undefined || caller.session.sessionPolicyArns !== undefined)
  ) {
    const texts = [
      caller.session.sessionPolicy,
      ...(caller.session.sessionPolicyArns ?? []).map((a) => managedPolicyText(deps, a)),
    ].filter((t): t is string => t !== undefined);
    const s = texts.map((t) => deps.policy.evaluate(t, "identity", q));
    const deny = s.some((a) => a.decision === "ExplicitDeny");
    if (deny || !s.some((a) => a.decision === "Allow")) {
      return {
        allowed: false,
        explicitDeny: deny,
        reasons: [
          ...reasons,
          ...s.flatMap((a) => a.reasons),
          {
            check: "iam.session-policy",
            ok: false,
            message: `the session policies of ${caller.arn} do not allow ${action} on ${resource}`,
          },
        ],
      };
    }
  }
  return {
    allowed: true,
    explicitDeny: false,
    reasons: [
      ...reasons,
      {
        check: "iam.identity-policy",
        ok: true,
        message: `${caller.arn} is allowed ${action} on ${resource}`,
      },
    ],
  };
}

/** The resource ARN an action is authorised against. */
function resourceFor(action: string, p: QueryParams, deps: IamLookupDeps, caller: Caller): string {
  const a = `arn:${deps.partition}:iam::${deps.account}`;
  if (action.includes("OpenIDConnectProvider")) {
    const arn = p.get("OpenIDConnectProviderArn");
    if (arn !== undefined) return arn;
    const url = p.get("Url");
    return url !== undefined ? `${a}:oidc-provider/${hostPathOf(url)}` : "*";
  }
  if (action === "ListRoles" || action === "ListUsers" || action === "ListPolicies") return "*";
  if (action === "CreatePolicy") return `${a}:policy${p.get("Path") ?? "/"}${p.get("PolicyName") ?? ""}`;
  if (action === "GetPolicy" || action === "GetPolicyVersion" || action === "DeletePolicy")
    return p.get("PolicyArn") ?? "*";
  const role = p.get("RoleName");
  if (role !== undefined) return `${a}:role${p.get("Path") ?? findRole(deps, role)?.path ?? "/"}${role}`;
  const user = p.get("UserName") ?? (caller.type === "user" ? caller.user.name : undefined);
  if (user !== undefined) return `${a}:user${p.get("Path") ?? findUser(deps, user)?.path ?? "/"}${user}`;
  return "*";
}

/** Store failures IAM has a code for: a concurrent change, or an object the store's validation refuses. */
function storeError(e: unknown): AwsError | undefined {
  if (!(e instanceof KubeiamError)) return undefined;
  if (e.code === "STORE_CONFLICT")
    return new AwsError(
      "ConcurrentModification",
      "The request was rejected because multiple requests to change this object were submitted simultaneously. Wait a few minutes and submit your request again.",
      409,
    );
  if (e.code === "STORE_OBJECT_INVALID") return awsErrors.validation(e.message);
  return undefined;
}

export async function runIamAction(
  action: string,
  p: QueryParams,
  caller: Caller,
  deps: IamDeps,
): Promise<IamOutcome> {
  const handler = HANDLERS[action];
  if (!handler)
    return {
      ok: false,
      error: awsErrors.invalidAction(action, "2010-05-08"),
      reasons: [{ check: "iam.action", ok: false, message: `kubeiam does not implement IAM ${action}` }],
    };
  const resource = resourceFor(action, p, deps, caller);
  const authz = authorizeCaller(deps, caller, `iam:${action}`, resource);
  if (!authz.allowed) {
    const why = authz.explicitDeny
      ? "with an explicit deny in an identity-based policy"
      : `because no identity-based policy allows the iam:${action} action`;
    return {
      ok: false,
      error: awsErrors.accessDenied(
        `User: ${caller.arn} is not authorized to perform: iam:${action} on resource: ${resource} ${why}`,
      ),
      reasons: authz.reasons,
    };
  }
  try {
    const result = await handler(p, deps, caller);
    return {
      ok: true,
      result,
      reasons: [...authz.reasons, { check: "iam.action", ok: true, message: `${action} done` }],
    };
  } catch (e) {
    const error = e instanceof AwsError ? e : storeError(e);
    if (error)
      return {
        ok: false,
        error,
        reasons: [
          ...authz.reasons,
          { check: "iam.action", ok: false, message: e instanceof Error ? e.message : String(e) },
        ],
      };
    throw e;
  }
}
