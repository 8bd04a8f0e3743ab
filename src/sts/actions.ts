/**
 * STS actions: AssumeRoleWithWebIdentity, AssumeRole, GetCallerIdentity. Parameter validation,
 * limits, error codes and messages per irsa-sts spec §3; trust policies really evaluated; every
 * decision returns its reasons. Pure given its dependencies (clock value, lookups, policy port).
 */
import type { Reason } from "../lib/decision.js";
import type { SealingKey } from "../keys/sealing.js";
import type { OidcProviderView, RoleView } from "../iam/objects.js";
import { AwsError, awsErrors, constraintError } from "./aws-error.js";
import type { Caller } from "./caller.js";
import type { PolicyPort } from "./policy-port.js";
import type { QueryParams } from "./query.js";
import { memberList } from "./query.js";
import { issueSessionCredentials, type IssuedCredentials, type SessionIdentity } from "./session-credentials.js";
import { verifyWebIdentityToken, type KeyResolver, MAX_WEB_IDENTITY_TOKEN } from "./web-identity.js";
import type { XmlValue } from "./xml.js";
import { isoSeconds } from "./xml.js";

export interface StsDeps {
  account: string;
  partition: string;
  role(name: string): RoleView | undefined;
  providers(): readonly OidcProviderView[];
  resolveKey: KeyResolver;
  sealingKey(): SealingKey;
  policy: PolicyPort;
  /** Identity policies of a caller (inline + attached), as JSON texts. */
  callerPolicies(caller: Caller): string[];
  now: number;
  webIdentitySkewSeconds?: number;
}

export type StsOutcome = { ok: true; result: { [name: string]: XmlValue }; subject: string; reasons: Reason[] } | { ok: false; error: AwsError; subject?: string; reasons: Reason[] };

const SESSION_NAME = /^[\w+=,.@-]*$/;
const REDACTED = "*** Sensitive Data Redacted ***";

function sessionNameProblems(v: string | undefined): { value: string | undefined; member: string; constraint: string }[] {
  if (v === undefined) return [{ value: undefined, member: "roleSessionName", constraint: "Member must not be null" }];
  const p = [];
  if (v.length > 64) p.push({ value: v, member: "roleSessionName", constraint: "Member must have length less than or equal to 64" });
  if (v.length < 2) p.push({ value: v, member: "roleSessionName", constraint: "Member must have length greater than or equal to 2" });
  if (!SESSION_NAME.test(v)) p.push({ value: v, member: "roleSessionName", constraint: "Member must satisfy regular expression pattern: [\\w+=,.@-]*" });
  return p;
}

function durationProblems(v: string | undefined): { problems: { value: string | undefined; member: string; constraint: string }[]; seconds: number | undefined } {
  if (v === undefined) return { problems: [], seconds: undefined };
  if (!/^-?\d+$/.test(v)) return { problems: [{ value: v, member: "durationSeconds", constraint: "Member must be a number" }], seconds: undefined };
  const n = Number(v);
  if (n < 900) return { problems: [{ value: v, member: "durationSeconds", constraint: "Member must have value greater than or equal to 900" }], seconds: n };
  if (n > 43200) return { problems: [{ value: v, member: "durationSeconds", constraint: "Member must have value less than or equal to 43200" }], seconds: n };
  return { problems: [], seconds: n };
}

/** arn:PARTITION:iam::ACCOUNT:role/PATH/NAME → role name, or an error. */
function parseRoleArn(arn: string, deps: StsDeps): { name: string; path: string } | AwsError {
  const m = /^arn:([a-z-]+):iam::(\d{12}):role(\/(?:[\u0021-\u007e]*\/)?)?([\w+=,.@-]{1,64})$/.exec(arn);
  if (!m) return awsErrors.validation(`${arn} is invalid`);
  return { name: m[4]!, path: m[3] ?? "/" };
}

function policyParams(p: QueryParams, deps: StsDeps): { policy?: string; arns: string[]; error?: AwsError } {
  const policy = p.get("Policy");
  const arns = memberList(p, "PolicyArns", "arn");
  if (policy !== undefined) {
    if (policy.length < 1 || policy.length > 2048) return { arns, error: constraintError([{ value: policy.length > 100 ? policy.slice(0, 100) + "…" : policy, member: "policy", constraint: `Member must have length ${policy.length < 1 ? "greater than or equal to 1" : "less than or equal to 2048"}` }]) };
    if (!/^[\u0009\u000A\u000D\u0020-\u00FF]+$/.test(policy)) return { arns, error: constraintError([{ value: policy.slice(0, 100), member: "policy", constraint: "Member must satisfy regular expression pattern: [\\u0009\\u000A\\u000D\\u0020-\\u00FF]+" }]) };
    const bad = deps.policy.validate(policy, "identity");
    if (bad) return { arns, error: awsErrors.malformedPolicy(bad) };
  }
  if (arns.length > 10) return { arns, error: constraintError([{ value: `[${arns.length} ARNs]`, member: "policyArns", constraint: "Member must have length less than or equal to 10" }]) };
  const packed = (policy?.length ?? 0) + arns.join("").length;
  if (packed > 2048) return { arns, error: awsErrors.packedPolicyTooLarge(`Packed policy consumes ${Math.round((packed / 2048) * 100)}% of allotted space, please use smaller policy.`) };
  return policy === undefined ? { arns } : { policy, arns };
}

function credentialsXml(c: IssuedCredentials): { [name: string]: XmlValue } {
  return { AccessKeyId: c.accessKeyId, SecretAccessKey: c.secretAccessKey, SessionToken: c.sessionToken, Expiration: isoSeconds(c.expiration) };
}

export async function assumeRoleWithWebIdentity(p: QueryParams, deps: StsDeps): Promise<StsOutcome> {
  const roleArn = p.get("RoleArn");
  const sessionName = p.get("RoleSessionName");
  const token = p.get("WebIdentityToken");
  const problems = [];
  if (roleArn === undefined) problems.push({ value: undefined, member: "roleArn", constraint: "Member must not be null" });
  else if (roleArn.length < 20 || roleArn.length > 2048) problems.push({ value: roleArn, member: "roleArn", constraint: `Member must have length ${roleArn.length < 20 ? "greater than or equal to 20" : "less than or equal to 2048"}` });
  problems.push(...sessionNameProblems(sessionName));
  if (token === undefined) problems.push({ value: undefined, member: "webIdentityToken", constraint: "Member must not be null" });
  else if (token.length > MAX_WEB_IDENTITY_TOKEN) problems.push({ value: REDACTED, member: "webIdentityToken", constraint: `Member must have length less than or equal to ${MAX_WEB_IDENTITY_TOKEN}` });
  else if (token.length < 4) problems.push({ value: REDACTED, member: "webIdentityToken", constraint: "Member must have length greater than or equal to 4" });
  const dur = durationProblems(p.get("DurationSeconds"));
  problems.push(...dur.problems);
  if (problems.length > 0) return { ok: false, error: constraintError(problems), reasons: [{ check: "sts.parameters", ok: false, message: "request parameters failed validation" }] };
  const pol = policyParams(p, deps);
  if (pol.error) return { ok: false, error: pol.error, reasons: [{ check: "sts.session-policy", ok: false, message: pol.error.message }] };
  const parsedArn = parseRoleArn(roleArn!, deps);
  if (parsedArn instanceof AwsError) return { ok: false, error: parsedArn, reasons: [{ check: "sts.role-arn", ok: false, message: `RoleArn ${roleArn!} is not a role ARN` }] };

  const web = await verifyWebIdentityToken(token!, { providers: deps.providers(), resolveKey: deps.resolveKey, now: deps.now, skewSeconds: deps.webIdentitySkewSeconds ?? 60 });
  if (!web.ok) return { ok: false, error: web.error, reasons: web.reasons };
  const claims = web.claims;
  const reasons = [...web.reasons];
  const denied = (why: Reason[]): StsOutcome => ({ ok: false, error: awsErrors.accessDenied("Not authorized to perform sts:AssumeRoleWithWebIdentity"), subject: claims.sub, reasons: [...reasons, ...why] });

  const role = deps.role(parsedArn.name);
  if (!role || role.path !== parsedArn.path || !roleArn!.includes(`::${deps.account}:`)) {
    const why = !role ? `role ${parsedArn.name} does not exist in account ${deps.account}` : role.path !== parsedArn.path ? `role ${parsedArn.name} exists with path ${role.path}, the ARN says ${parsedArn.path}` : `the role ARN names another account than ${deps.account}`;
    return denied([{ check: "sts.role", ok: false, message: why, expected: role?.arn, actual: roleArn }]);
  }
  const hp = web.provider.hostPath;
  const context: Record<string, string | string[] | boolean | number> = {
    [`${hp}:aud`]: claims.matchedAud,
    [`${hp}:sub`]: claims.sub,
    "sts:RoleSessionName": sessionName!,
    "aws:FederatedProvider": web.provider.arn,
    "aws:TokenIssueTime": new Date((claims.iat ?? Math.floor(deps.now / 1000)) * 1000).toISOString(),
    "aws:CurrentTime": new Date(deps.now).toISOString(),
    "aws:EpochTime": Math.floor(deps.now / 1000),
  };
  if (claims.amr) context[`${hp}:amr`] = claims.amr;
  if (claims.azp !== undefined) context[`${hp}:azp`] = claims.azp;
  const trust = deps.policy.evaluate(role.trustPolicy, "trust", { principal: { type: "Federated", ids: [web.provider.arn] }, action: "sts:AssumeRoleWithWebIdentity", resource: role.arn, context });
  if (trust.decision !== "Allow") return denied([{ check: "sts.trust-policy", ok: false, message: `the trust policy of ${role.arn} ${trust.decision === "ExplicitDeny" ? "explicitly denies" : "does not allow"} sts:AssumeRoleWithWebIdentity for ${web.provider.arn} with sub ${claims.sub}` }, ...trust.reasons]);
  reasons.push(...trust.reasons, { check: "sts.trust-policy", ok: true, message: `the trust policy of ${role.arn} allows it` });
  const seconds = dur.seconds ?? 3600;
  if (seconds > role.maxSessionDuration) {
    return { ok: false, error: awsErrors.validation("The requested DurationSeconds exceeds the MaxSessionDuration set for this role."), subject: claims.sub, reasons: [...reasons, { check: "sts.duration", ok: false, message: `DurationSeconds ${seconds} exceeds the role's MaxSessionDuration ${role.maxSessionDuration}`, expected: `<= ${role.maxSessionDuration}`, actual: seconds }] };
  }
  const session: SessionIdentity = {
    arn: `arn:${deps.partition}:sts::${deps.account}:assumed-role/${role.name}/${sessionName!}`,
    userId: `${role.roleId}:${sessionName!}`,
    account: deps.account,
    roleArn: role.arn,
    sessionName: sessionName!,
    expiresAt: deps.now + seconds * 1000,
    chained: false,
  };
  if (pol.policy) session.sessionPolicy = pol.policy;
  if (pol.arns.length > 0) session.sessionPolicyArns = pol.arns;
  const creds = issueSessionCredentials(deps.sealingKey(), session);
  const result: { [name: string]: XmlValue } = {
    Credentials: credentialsXml(creds),
    SubjectFromWebIdentityToken: claims.sub,
    AssumedRoleUser: { AssumedRoleId: session.userId, Arn: session.arn },
    Provider: web.provider.arn,
    Audience: claims.matchedAud,
  };
  if (pol.policy || pol.arns.length > 0) result.PackedPolicySize = Math.round((((pol.policy?.length ?? 0) + pol.arns.join("").length) / 2048) * 100);
  return { ok: true, result, subject: claims.sub, reasons: [...reasons, { check: "sts.issued", ok: true, message: `issued credentials for ${session.arn} until ${isoSeconds(session.expiresAt)}` }] };
}

/** The principal ids a caller matches in a trust policy's "AWS" principal. */
function principalIds(caller: Caller): string[] {
  if (caller.type === "user") return [caller.arn, `arn:aws:iam::${caller.account}:root`, caller.account];
  return [caller.session.roleArn.replace(/:role\/.*\/([^/]+)$/, ":role/$1"), caller.session.roleArn, caller.arn, `arn:aws:iam::${caller.account}:root`, caller.account];
}

export function assumeRole(p: QueryParams, caller: Caller, deps: StsDeps): StsOutcome {
  const roleArn = p.get("RoleArn");
  const sessionName = p.get("RoleSessionName");
  const problems = [];
  if (roleArn === undefined) problems.push({ value: undefined, member: "roleArn", constraint: "Member must not be null" });
  problems.push(...sessionNameProblems(sessionName));
  const dur = durationProblems(p.get("DurationSeconds"));
  problems.push(...dur.problems);
  const externalId = p.get("ExternalId");
  if (externalId !== undefined && (externalId.length < 2 || externalId.length > 1224 || !/^[\w+=,.@:/-]*$/.test(externalId))) problems.push({ value: externalId, member: "externalId", constraint: "Member must satisfy regular expression pattern: [\\w+=,.@:\\/-]*" });
  const sourceIdentity = p.get("SourceIdentity");
  if (problems.length > 0) return { ok: false, error: constraintError(problems), subject: caller.arn, reasons: [{ check: "sts.parameters", ok: false, message: "request parameters failed validation" }] };
  const pol = policyParams(p, deps);
  if (pol.error) return { ok: false, error: pol.error, subject: caller.arn, reasons: [{ check: "sts.session-policy", ok: false, message: pol.error.message }] };
  const parsedArn = parseRoleArn(roleArn!, deps);
  if (parsedArn instanceof AwsError) return { ok: false, error: parsedArn, subject: caller.arn, reasons: [{ check: "sts.role-arn", ok: false, message: `RoleArn ${roleArn!} is not a role ARN` }] };
  const denied = (why: Reason[]): StsOutcome => ({ ok: false, error: awsErrors.accessDenied(`User: ${caller.arn} is not authorized to perform: sts:AssumeRole on resource: ${roleArn!}`), subject: caller.arn, reasons: why });
  const role = deps.role(parsedArn.name);
  if (!role || role.path !== parsedArn.path || !roleArn!.includes(`::${deps.account}:`)) {
    return denied([{ check: "sts.role", ok: false, message: !role ? `role ${parsedArn.name} does not exist in account ${deps.account}` : `role ${parsedArn.name} is at path ${role.path}, the ARN says ${parsedArn.path}` }]);
  }
  const context: Record<string, string | string[] | boolean | number> = {
    "aws:PrincipalArn": caller.type === "user" ? caller.arn : caller.session.roleArn,
    "aws:PrincipalAccount": caller.account,
    "aws:PrincipalType": caller.type === "user" ? "User" : "AssumedRole",
    "aws:userid": caller.userId,
    "sts:RoleSessionName": sessionName!,
    "aws:CurrentTime": new Date(deps.now).toISOString(),
    "aws:EpochTime": Math.floor(deps.now / 1000),
  };
  if (caller.type === "user") context["aws:username"] = caller.user.name;
  if (externalId !== undefined) context["sts:ExternalId"] = externalId;
  if (sourceIdentity !== undefined) context["sts:SourceIdentity"] = sourceIdentity;
  const ids = principalIds(caller);
  const trust = deps.policy.evaluate(role.trustPolicy, "trust", { principal: { type: "AWS", ids }, action: "sts:AssumeRole", resource: role.arn, context });
  if (trust.decision !== "Allow") return denied([{ check: "sts.trust-policy", ok: false, message: `the trust policy of ${role.arn} ${trust.decision === "ExplicitDeny" ? "explicitly denies" : "does not allow"} sts:AssumeRole for ${caller.arn}` }, ...trust.reasons]);
  const reasons: Reason[] = [...trust.reasons, { check: "sts.trust-policy", ok: true, message: `the trust policy of ${role.arn} allows ${caller.arn}` }];
  // When the trust policy trusts the whole account (root), the caller's own policies must allow it too.
  const viaAccount = trust.matchedPrincipal === undefined || trust.matchedPrincipal === caller.account || trust.matchedPrincipal.endsWith(":root");
  if (viaAccount) {
    const q = { action: "sts:AssumeRole", resource: role.arn, context };
    const answers = deps.callerPolicies(caller).map((doc) => deps.policy.evaluate(doc, "identity", q));
    const explicit = answers.find((a) => a.decision === "ExplicitDeny");
    const allowed = answers.some((a) => a.decision === "Allow");
    if (explicit || !allowed) {
      return denied([...reasons, { check: "sts.identity-policy", ok: false, message: explicit ? `an identity policy of ${caller.arn} explicitly denies sts:AssumeRole on ${role.arn}` : `the trust policy trusts the account, so ${caller.arn} also needs an identity policy allowing sts:AssumeRole on ${role.arn}; none does` }, ...answers.flatMap((a) => a.reasons)]);
    }
    reasons.push({ check: "sts.identity-policy", ok: true, message: `an identity policy of ${caller.arn} allows sts:AssumeRole on ${role.arn}` });
  }
  const chained = caller.type === "assumed-role";
  const seconds = dur.seconds ?? 3600;
  if (chained && seconds > 3600) {
    return { ok: false, error: awsErrors.validation("The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining."), subject: caller.arn, reasons: [...reasons, { check: "sts.duration", ok: false, message: `role chaining limits sessions to 3600 s; ${seconds} requested` }] };
  }
  if (seconds > role.maxSessionDuration) {
    return { ok: false, error: awsErrors.validation("The requested DurationSeconds exceeds the MaxSessionDuration set for this role."), subject: caller.arn, reasons: [...reasons, { check: "sts.duration", ok: false, message: `DurationSeconds ${seconds} exceeds MaxSessionDuration ${role.maxSessionDuration}` }] };
  }
  const session: SessionIdentity = {
    arn: `arn:${deps.partition}:sts::${deps.account}:assumed-role/${role.name}/${sessionName!}`,
    userId: `${role.roleId}:${sessionName!}`,
    account: deps.account,
    roleArn: role.arn,
    sessionName: sessionName!,
    expiresAt: deps.now + seconds * 1000,
    chained,
  };
  if (sourceIdentity !== undefined) session.sourceIdentity = sourceIdentity;
  else if (caller.type === "assumed-role" && caller.session.sourceIdentity !== undefined) session.sourceIdentity = caller.session.sourceIdentity;
  if (pol.policy) session.sessionPolicy = pol.policy;
  if (pol.arns.length > 0) session.sessionPolicyArns = pol.arns;
  const creds = issueSessionCredentials(deps.sealingKey(), session);
  const result: { [name: string]: XmlValue } = { Credentials: credentialsXml(creds), AssumedRoleUser: { AssumedRoleId: session.userId, Arn: session.arn } };
  if (session.sourceIdentity !== undefined) result.SourceIdentity = session.sourceIdentity;
  return { ok: true, result, subject: caller.arn, reasons: [...reasons, { check: "sts.issued", ok: true, message: `issued credentials for ${session.arn}${chained ? " (role chaining)" : ""} until ${isoSeconds(session.expiresAt)}` }] };
}

export function getCallerIdentity(caller: Caller): StsOutcome {
  return { ok: true, result: { Arn: caller.arn, UserId: caller.userId, Account: caller.account }, subject: caller.arn, reasons: [{ check: "sts.caller", ok: true, message: `caller is ${caller.arn}` }] };
}
