/**
 * AssumeRole (signed): the role's trust policy with `AWS` principals; when it trusts only the
 * caller's account (root or account id), the caller's own identity policies must allow
 * sts:AssumeRole too. A session assuming another role is role chaining: at most one hour.
 */
import type { Reason } from "../lib/decision.js";
import { awsErrors, constraintError } from "./aws-error.js";
import type { Caller } from "./caller.js";
import type { StsDeps, StsOutcome } from "./deps.js";
import type { ContextValue } from "./policy-port.js";
import type { QueryParams } from "./query.js";
import {
  CHAINED_MAX_SECONDS,
  credentialsXml,
  DEFAULT_DURATION_SECONDS,
  durationParam,
  invalidRoleArn,
  lengthProblems,
  parseRoleArn,
  roleArnProblems,
  sessionNameProblems,
  sessionPolicies,
} from "./params.js";
import { issueSessionCredentials, sessionTokenUsage, type SessionIdentity } from "./session-credentials.js";
import { isoSeconds, type XmlValue } from "./xml.js";

const ACTION = "sts:AssumeRole";

/** The principal ids a caller matches in a trust policy's "AWS" principal. */
export function principalIds(caller: Caller, partition: string): string[] {
  const root = `arn:${partition}:iam::${caller.account}:root`;
  if (caller.type === "user") return [caller.arn, root, caller.account];
  const roleArn = caller.session.roleArn;
  const withoutPath = roleArn.replace(/:role\/(?:.*\/)?([^/]+)$/, ":role/$1");
  return [...new Set([caller.arn, roleArn, withoutPath])].concat(root, caller.account);
}

function isAccountPrincipal(p: string | undefined, caller: Caller): boolean {
  return p === undefined || p === caller.account || p.endsWith(`:${caller.account}:root`);
}

export function assumeRole(p: QueryParams, caller: Caller, deps: StsDeps): StsOutcome {
  const roleArn = p.get("RoleArn");
  const sessionName = p.get("RoleSessionName");
  const externalId = p.get("ExternalId");
  const sourceIdentity = p.get("SourceIdentity");
  const dur = durationParam(p.get("DurationSeconds"));
  const problems = [...roleArnProblems(roleArn), ...sessionNameProblems(sessionName), ...dur.problems];
  if (externalId !== undefined) {
    problems.push(...lengthProblems(externalId, "externalId", 2, 1224));
    if (!/^[\w+=,.@:/-]*$/.test(externalId))
      problems.push({
        value: externalId,
        member: "externalId",
        constraint: "Member must satisfy regular expression pattern: [\\w+=,.@:\\/-]*",
      });
  }
  if (sourceIdentity !== undefined) {
    problems.push(...lengthProblems(sourceIdentity, "sourceIdentity", 2, 64));
    if (!/^[\w+=,.@-]*$/.test(sourceIdentity))
      problems.push({
        value: sourceIdentity,
        member: "sourceIdentity",
        constraint: "Member must satisfy regular expression pattern: [\\w+=,.@-]*",
      });
  }
  if (problems.length > 0 || roleArn === undefined || sessionName === undefined) {
    const error = constraintError(problems);
    return {
      ok: false,
      error,
      subject: caller.arn,
      reasons: [{ check: "sts.parameters", ok: false, message: error.message }],
    };
  }
  const policies = sessionPolicies(p, deps.policy);
  if (!("arns" in policies))
    return {
      ok: false,
      error: policies,
      subject: caller.arn,
      reasons: [{ check: "sts.session-policy", ok: false, message: policies.message }],
    };
  const arn = parseRoleArn(roleArn);
  if (!arn)
    return {
      ok: false,
      error: invalidRoleArn(),
      subject: caller.arn,
      reasons: [
        {
          check: "sts.role-arn",
          ok: false,
          message: `RoleArn ${roleArn} is not a role ARN`,
          actual: roleArn,
        },
      ],
    };
  const denied = (why: Reason[]): StsOutcome => ({
    ok: false,
    error: awsErrors.accessDenied(
      `User: ${caller.arn} is not authorized to perform: ${ACTION} on resource: ${roleArn}`,
    ),
    subject: caller.arn,
    reasons: why,
  });
  const role =
    arn.account === deps.account && arn.partition === deps.partition ? deps.role(arn.name) : undefined;
  if (!role || role.path !== arn.path) {
    return denied([
      {
        check: "sts.role",
        ok: false,
        message:
          arn.account !== deps.account || arn.partition !== deps.partition
            ? `the role ARN names account ${arn.account}; kubeiam is account ${deps.account}`
            : !role
              ? `role ${arn.name} does not exist`
              : `role ${arn.name} has path ${role.path}; the ARN says ${arn.path}`,
        actual: roleArn,
      },
    ]);
  }
  const context: Record<string, ContextValue> = {
    "aws:PrincipalArn": caller.type === "user" ? caller.arn : caller.session.roleArn,
    "aws:PrincipalAccount": caller.account,
    "aws:PrincipalType": caller.type === "user" ? "User" : "AssumedRole",
    "aws:userid": caller.userId,
    "sts:RoleSessionName": sessionName,
    "aws:CurrentTime": new Date(deps.now).toISOString(),
    "aws:EpochTime": Math.floor(deps.now / 1000),
  };
  if (caller.type === "user") context["aws:username"] = caller.user.name;
  if (externalId !== undefined) context["sts:ExternalId"] = externalId;
  if (sourceIdentity !== undefined) context["sts:SourceIdentity"] = sourceIdentity;
  const trust = deps.policy.evaluate(role.trustPolicy, "trust", {
    principal: { type: "AWS", ids: principalIds(caller, deps.partition) },
    action: ACTION,
    resource: role.arn,
    context,
  });
  if (trust.decision !== "Allow") {
    return denied([
      ...trust.reasons,
      {
        check: "sts.trust-policy",
        ok: false,
        message: `the trust policy of ${role.arn} ${trust.decision === "ExplicitDeny" ? "explicitly denies" : "does not allow"} ${ACTION} for ${caller.arn}`,
      },
    ]);
  }
  const reasons: Reason[] = [
    ...trust.reasons,
    {
      check: "sts.trust-policy",
      ok: true,
      message: `the trust policy of ${role.arn} allows ${caller.arn}${trust.matchedPrincipal !== undefined ? ` (principal ${trust.matchedPrincipal})` : ""}`,
    },
  ];
  // A trust policy that names only the account delegates to the account's own policies.
  if (isAccountPrincipal(trust.matchedPrincipal, caller)) {
    const q = { action: ACTION, resource: role.arn, context };
    const answers = deps.callerPolicies(caller).map((doc) => deps.policy.evaluate(doc, "identity", q));
    const explicit = answers.some((a) => a.decision === "ExplicitDeny");
    const allowed = answers.some((a) => a.decision === "Allow");
    if (explicit || !allowed) {
      return denied([
        ...reasons,
        ...answers.flatMap((a) => a.reasons),
        {
          check: "sts.identity-policy",
          ok: false,
          message: explicit
            ? `an identity policy of ${caller.arn} explicitly denies ${ACTION} on ${role.arn}`
            : `the trust policy trusts the whole account ${caller.account}, so ${caller.arn} also needs an identity policy allowing ${ACTION} on ${role.arn}; none of its ${answers.length} policies does`,
        },
      ]);
    }
    reasons.push({
      check: "sts.identity-policy",
      ok: true,
      message: `an identity policy of ${caller.arn} allows ${ACTION} on ${role.arn}`,
    });
  }
  const chained = caller.type === "assumed-role";
  const seconds = dur.seconds ?? DEFAULT_DURATION_SECONDS;
  if (chained && seconds > CHAINED_MAX_SECONDS) {
    return {
      ok: false,
      error: awsErrors.validation(
        "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.",
      ),
      subject: caller.arn,
      reasons: [
        ...reasons,
        {
          check: "sts.duration",
          ok: false,
          message: `role chaining (a role session assuming a role) limits sessions to ${CHAINED_MAX_SECONDS} s; ${seconds} s requested`,
          expected: `<= ${CHAINED_MAX_SECONDS}`,
          actual: seconds,
        },
      ],
    };
  }
  if (seconds > role.maxSessionDuration) {
    return {
      ok: false,
      error: awsErrors.validation(
        "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.",
      ),
      subject: caller.arn,
      reasons: [
        ...reasons,
        {
          check: "sts.duration",
          ok: false,
          message: `DurationSeconds ${seconds} exceeds the MaxSessionDuration ${role.maxSessionDuration} of ${role.arn}`,
          expected: `<= ${role.maxSessionDuration}`,
          actual: seconds,
        },
      ],
    };
  }
  const expiresAt = deps.now + seconds * 1000;
  const session: SessionIdentity = {
    arn: `arn:${deps.partition}:sts::${deps.account}:assumed-role/${role.name}/${sessionName}`,
    userId: `${role.roleId}:${sessionName}`,
    account: deps.account,
    roleArn: role.arn,
    sessionName,
    expiresAt,
    chained,
  };
  const si = sourceIdentity ?? (caller.type === "assumed-role" ? caller.session.sourceIdentity : undefined);
  if (si !== undefined) session.sourceIdentity = si;
  if (policies.policy !== undefined) session.sessionPolicy = policies.policy;
  if (policies.arns.length > 0) session.sessionPolicyArns = policies.arns;
  const creds = issueSessionCredentials(deps.sealingKey(), session);
  const result: { [name: string]: XmlValue } = {
    Credentials: credentialsXml(creds),
    AssumedRoleUser: { AssumedRoleId: session.userId, Arn: session.arn },
  };
  if (policies.packedSize !== undefined)
    Object.assign(result, { PackedPolicySize: policies.packedSize, ...sessionTokenUsage(creds) });
  if (session.sourceIdentity !== undefined) result.SourceIdentity = session.sourceIdentity;
  return {
    ok: true,
    result,
    subject: caller.arn,
    reasons: [
      ...reasons,
      {
        check: "sts.issued",
        ok: true,
        message: `issued credentials for ${session.arn}${chained ? " (role chaining)" : ""} until ${isoSeconds(session.expiresAt)}`,
      },
    ],
  };
}
