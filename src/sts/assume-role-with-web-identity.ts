/**
 * AssumeRoleWithWebIdentity (unsigned): parameters → session policy → role ARN → web-identity token
 * (issuer, audience, key, signature, times) → role → trust policy → duration, then temporary
 * credentials sealed for the assumed-role session. `decideAssumeRoleWithWebIdentity` is the same
 * decision without issuing anything (`kubeiam sts explain`, `kubeiam doctor irsa`).
 */
import type { Reason } from "../lib/decision.js";
import type { OidcProviderView, RoleView } from "../iam/objects.js";
import type { AwsError } from "./aws-error.js";
import { awsErrors, constraintError } from "./aws-error.js";
import type { StsDecisionDeps, StsDeps, StsOutcome } from "./deps.js";
import type { ContextValue } from "./policy-port.js";
import type { QueryParams } from "./query.js";
import {
  credentialsXml,
  DEFAULT_DURATION_SECONDS,
  durationParam,
  invalidRoleArn,
  lengthProblems,
  parseRoleArn,
  REDACTED_VALUE,
  requiredProblem,
  roleArnProblems,
  sessionNameProblems,
  sessionPolicies,
} from "./params.js";
import { issueSessionCredentials, sessionTokenUsage, type SessionIdentity } from "./session-credentials.js";
import { MAX_WEB_IDENTITY_TOKEN, verifyWebIdentityToken, type WebIdentityClaims } from "./web-identity.js";
import { isoSeconds, type XmlValue } from "./xml.js";

export const ACTION = "sts:AssumeRoleWithWebIdentity";

/** Which step decided: request parameters, the token, the role and its trust policy, or the duration. */
export type WebIdentityStage = "parameters" | "token" | "role" | "trust" | "duration";

export type WebIdentityDecision =
  | {
      ok: true;
      session: SessionIdentity;
      role: RoleView;
      provider: OidcProviderView;
      claims: WebIdentityClaims;
      packedSize?: number | undefined;
      subject: string;
      reasons: Reason[];
    }
  | { ok: false; stage: WebIdentityStage; error: AwsError; subject?: string | undefined; reasons: Reason[] };

/** The trust-policy condition context of a verified token (spec §3.4). */
export function webIdentityContext(
  claims: WebIdentityClaims,
  provider: OidcProviderView,
  sessionName: string,
  now: number,
): Record<string, ContextValue> {
  const hp = provider.hostPath;
  const nowS = Math.floor(now / 1000);
  const issued = new Date((claims.iat ?? nowS) * 1000);
  const context: Record<string, ContextValue> = {
    [`${hp}:aud`]: claims.matchedAud,
    [`${hp}:sub`]: claims.sub,
    "sts:RoleSessionName": sessionName,
    "aws:FederatedProvider": provider.arn,
    "aws:CurrentTime": new Date(now).toISOString(),
    "aws:EpochTime": nowS,
  };
  if (!Number.isNaN(issued.getTime())) context["aws:TokenIssueTime"] = issued.toISOString();
  if (claims.amr) context[`${hp}:amr`] = claims.amr;
  if (claims.azp !== undefined) context[`${hp}:azp`] = claims.azp;
  return context;
}

export async function decideAssumeRoleWithWebIdentity(
  p: QueryParams,
  deps: StsDecisionDeps,
): Promise<WebIdentityDecision> {
  const roleArn = p.get("RoleArn");
  const sessionName = p.get("RoleSessionName");
  const token = p.get("WebIdentityToken");
  const dur = durationParam(p.get("DurationSeconds"));
  const problems = [
    ...roleArnProblems(roleArn),
    ...sessionNameProblems(sessionName),
    ...(token === undefined
      ? [requiredProblem("webIdentityToken")]
      : lengthProblems(token, "webIdentityToken", 4, MAX_WEB_IDENTITY_TOKEN, REDACTED_VALUE)),
    ...dur.problems,
  ];
  if (problems.length > 0 || roleArn === undefined || sessionName === undefined || token === undefined) {
    const error = constraintError(problems);
    return {
      ok: false,
      stage: "parameters",
      error,
      reasons: [{ check: "sts.parameters", ok: false, message: error.message }],
    };
  }
  const policies = sessionPolicies(p, deps.policy);
  if (!("arns" in policies))
    return {
      ok: false,
      stage: "parameters",
      error: policies,
      reasons: [{ check: "sts.session-policy", ok: false, message: policies.message }],
    };
  const arn = parseRoleArn(roleArn);
  if (!arn)
    return {
      ok: false,
      stage: "parameters",
      error: invalidRoleArn(),
      reasons: [
        {
          check: "sts.role-arn",
          ok: false,
          message: `RoleArn ${roleArn} is not a role ARN (arn:aws:iam::ACCOUNT:role/NAME)`,
          actual: roleArn,
        },
      ],
    };

  const web = await verifyWebIdentityToken(token, {
    providers: deps.providers(),
    resolveKey: deps.resolveKey,
    now: deps.now,
    skewSeconds: deps.webIdentitySkewSeconds ?? 60,
  });
  if (!web.ok) return { ok: false, stage: "token", error: web.error, reasons: web.reasons };
  const { claims, provider } = web;
  const reasons = [...web.reasons];
  const denied = (stage: WebIdentityStage, why: Reason[]): WebIdentityDecision => ({
    ok: false,
    stage,
    error: awsErrors.accessDenied(`Not authorized to perform ${ACTION}`),
    subject: claims.sub,
    reasons: [...reasons, ...why],
  });

  const role =
    arn.account === deps.account && arn.partition === deps.partition ? deps.role(arn.name) : undefined;
  if (!role || role.path !== arn.path) {
    const why =
      arn.account !== deps.account || arn.partition !== deps.partition
        ? `the role ARN names account ${arn.account} (partition ${arn.partition}); kubeiam is account ${deps.account} (partition ${deps.partition})`
        : !role
          ? `role ${arn.name} does not exist`
          : `role ${arn.name} exists with path ${role.path}; the ARN says ${arn.path}`;
    return denied("role", [
      { check: "sts.role", ok: false, message: why, expected: role?.arn, actual: roleArn },
    ]);
  }
  reasons.push({ check: "sts.role", ok: true, message: `role ${role.arn} exists` });
  const context = webIdentityContext(claims, provider, sessionName, deps.now);
  const trust = deps.policy.evaluate(role.trustPolicy, "trust", {
    principal: { type: "Federated", ids: [provider.arn] },
    action: ACTION,
    resource: role.arn,
    context,
  });
  if (trust.decision !== "Allow") {
    const verb = trust.decision === "ExplicitDeny" ? "explicitly denies" : "does not allow";
    return denied("trust", [
      ...trust.reasons,
      {
        check: "sts.trust-policy",
        ok: false,
        message: `the trust policy of ${role.arn} ${verb} ${ACTION} for ${provider.arn} with sub ${claims.sub} and aud ${claims.matchedAud}`,
      },
    ]);
  }
  reasons.push(...trust.reasons, {
    check: "sts.trust-policy",
    ok: true,
    message: `the trust policy of ${role.arn} allows ${claims.sub}`,
  });
  const seconds = dur.seconds ?? DEFAULT_DURATION_SECONDS;
  if (seconds > role.maxSessionDuration) {
    return {
      ok: false,
      stage: "duration",
      error: awsErrors.validation(
        "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.",
      ),
      subject: claims.sub,
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
  const session: SessionIdentity = {
    arn: `arn:${deps.partition}:sts::${deps.account}:assumed-role/${role.name}/${sessionName}`,
    userId: `${role.roleId}:${sessionName}`,
    account: deps.account,
    roleArn: role.arn,
    sessionName,
    expiresAt: deps.now + seconds * 1000,
    chained: false,
  };
  if (policies.policy !== undefined) session.sessionPolicy = policies.policy;
  if (policies.arns.length > 0) session.sessionPolicyArns = policies.arns;
  reasons.push({
    check: "sts.duration",
    ok: true,
    message: `session of ${seconds} s (role maximum ${role.maxSessionDuration} s)`,
  });
  return {
    ok: true,
    session,
    role,
    provider,
    claims,
    packedSize: policies.packedSize,
    subject: claims.sub,
    reasons,
  };
}

export async function assumeRoleWithWebIdentity(p: QueryParams, deps: StsDeps): Promise<StsOutcome> {
  const d = await decideAssumeRoleWithWebIdentity(p, deps);
  if (!d.ok) return d;
  const creds = issueSessionCredentials(deps.sealingKey(), d.session);
  const result: { [name: string]: XmlValue } = {
    Credentials: credentialsXml(creds),
    SubjectFromWebIdentityToken: d.claims.sub,
    AssumedRoleUser: { AssumedRoleId: d.session.userId, Arn: d.session.arn },
    Provider: d.provider.arn,
    Audience: d.claims.matchedAud,
  };
  // With session policies, how much of the allowance they use (PackedPolicySize, deprecated in newer
  // SDK models in favour of SessionTokenUtilization / SessionTokenSize, which are sent too).
  if (d.packedSize !== undefined)
    Object.assign(result, { PackedPolicySize: d.packedSize, ...sessionTokenUsage(creds) });
  return {
    ok: true,
    result,
    subject: d.subject,
    reasons: [
      ...d.reasons,
      {
        check: "sts.issued",
        ok: true,
        message: `issued credentials for ${d.session.arn} until ${isoSeconds(d.session.expiresAt)}`,
      },
    ],
  };
}
