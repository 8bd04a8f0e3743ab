/**
 * For an unmapped caller, finds the mapping entry that comes closest and says what differs: a role
 * path STS drops, an STS session ARN where a role ARN is needed, another account or partition, a
 * user where the caller is a role, a near-miss name, stray spaces, a disabled backend, an SSO
 * mapping that cannot match. Upstream only says "identity is not mapped".
 */
import { parseArn } from "../iam-token/arn.js";
import { accessEntryKey, type AccessEntry } from "./access-entry.js";
import type { AwsAuthMappings, RoleMapping } from "./aws-auth.js";
import { editDistance } from "./lib/edit-distance.js";
import { arnLike, intendedSsoPattern, ssoPattern } from "./lib/sso-match.js";

export interface NearestMapping {
  /** "mapRoles[2]", "mapUsers[0]", "mapAccounts[1]", "AccessEntry/dev". */
  source: string;
  /** The ARN (or account, or SSO pattern) written in that entry. */
  arn: string;
  /** What differs, as one sentence. */
  difference: string;
  differences: string[];
}

export interface NearestOptions {
  ssoRoleMatch?: boolean | undefined;
  /** Sources of backends the authentication mode does not search. */
  disabled?: { accessEntries?: boolean | undefined; awsAuth?: boolean | undefined } | undefined;
}

interface CallerArn {
  partition: string;
  accountId: string;
  kind: string;
  name: string;
  path: string;
  canonical: string;
}

interface Candidate {
  source: string;
  arn: string;
  score: number;
  differences: string[];
}

/** Above this, an entry is not "near" and is not reported. */
const MAX_SCORE = 8;

function splitResource(resource: string): { kind: string; name: string; path: string } {
  const parts = resource.split("/");
  const kind = parts[0]!;
  if (parts.length === 1) return { kind, name: "", path: "" };
  return { kind, name: parts[parts.length - 1]!, path: parts.slice(1, -1).join("/") };
}

function callerOf(canonicalArn: string): CallerArn | undefined {
  const p = parseArn(canonicalArn);
  if (!p.ok) return undefined;
  return {
    partition: p.arn.partition,
    accountId: p.arn.accountId,
    ...splitResource(p.arn.resource),
    canonical: canonicalArn,
  };
}

const nameClose = (a: string, b: string): number | undefined => {
  const limit = Math.max(2, Math.floor(Math.max(a.length, b.length) / 4));
  if (Math.abs(a.length - b.length) > limit) return undefined;
  const d = editDistance(a.toLowerCase(), b.toLowerCase());
  return d <= limit ? d : undefined;
};

/** Compares one mapping ARN with the caller; undefined when it is not close. */
function compareArn(
  caller: CallerArn,
  written: string,
  pathMatters: boolean,
): { score: number; differences: string[] } | undefined {
  const differences: string[] = [];
  let score = 0;
  let arn = written;
  if (arn !== arn.trim()) {
    differences.push("has leading or trailing spaces");
    score += 1;
    arn = arn.trim();
  }
  const p = parseArn(arn);
  if (!p.ok) {
    const d = editDistance(arn.toLowerCase(), caller.canonical.toLowerCase());
    if (d > 3) return undefined;
    return {
      score: 5 + d,
      differences: [
        ...differences,
        `is not a well-formed ARN (${p.error}); it is ${d} character${d === 1 ? "" : "s"} away from the caller's ARN`,
      ],
    };
  }
  const c = p.arn;
  let { kind, name, path } = splitResource(c.resource);
  if (c.service === "sts" && kind === "assumed-role") {
    const parts = c.resource.split("/");
    if (parts.length >= 3) {
      kind = "role";
      name = parts[parts.length - 2]!;
      path = parts.slice(1, -2).join("/");
      differences.push(
        `is an STS session ARN (assumed-role/${name}/${parts[parts.length - 1]!}); a mapping needs the role ARN arn:${c.partition}:iam::${c.accountId}:role/${name}`,
      );
      score += 1;
    }
  } else {
    const expectedService = caller.kind === "federated-user" ? "sts" : "iam";
    if (c.service !== expectedService && kind === caller.kind) {
      differences.push(`names service "${c.service}" where the caller's ARN has "${expectedService}"`);
      score += 2;
    }
  }
  if (c.partition !== caller.partition) {
    differences.push(`is in partition ${c.partition}, the caller in ${caller.partition}`);
    score += 3;
  }
  if (c.accountId !== caller.accountId) {
    const d = editDistance(c.accountId, caller.accountId);
    differences.push(
      `is in account ${c.accountId}, the caller in ${caller.accountId}${d <= 2 ? " (a typo?)" : ""}`,
    );
    score += 3;
  }
  if (kind !== caller.kind) {
    const iamKinds = ["role", "user"];
    if (iamKinds.includes(kind) && iamKinds.includes(caller.kind)) {
      differences.push(`is an IAM ${kind} ARN but the caller is an IAM ${caller.kind}`);
      score += 2;
    } else {
      differences.push(`names a ${kind} but the caller is a ${caller.kind}`);
      score += 4;
    }
  }
  if (name.toLowerCase() !== caller.name.toLowerCase()) {
    const d = nameClose(name, caller.name);
    if (d === undefined) return undefined;
    differences.push(`${kind} name "${name}" differs from the caller's "${caller.name}"`);
    score += 2 + d;
  }
  if (pathMatters && path.toLowerCase() !== caller.path.toLowerCase()) {
    if (caller.kind === "role" && caller.path === "" && kind === "role") {
      differences.push(
        `differs by path (/${path}/), which STS drops from assumed-role ARNs; write arn:${c.partition}:iam::${c.accountId}:role/${name}`,
      );
    } else {
      differences.push(
        `has path ${path === "" ? "/" : `/${path}/`}, the caller ${caller.path === "" ? "/" : `/${caller.path}/`}`,
      );
    }
    score += 1;
  }
  return { score, differences };
}

function compareSso(
  caller: CallerArn,
  role: RoleMapping,
  ssoRoleMatch: boolean,
): { score: number; differences: string[] } | undefined {
  const sso = role.sso!;
  if (caller.kind !== "role" || !caller.name.toLowerCase().startsWith("awsreservedsso_")) return undefined;
  const differences: string[] = [];
  let score = 0;
  const intended = intendedSsoPattern(sso);
  if (!arnLike(caller.canonical.toLowerCase(), intended)) {
    if (sso.accountID !== caller.accountId) {
      differences.push(`is for account ${sso.accountID}, the caller in ${caller.accountId}`);
      score += 3;
    }
    const m = /^AWSReservedSSO_(.+)_[0-9a-f]+$/i.exec(caller.name);
    const permSet = m?.[1] ?? "";
    if (permSet.toLowerCase() !== sso.permissionSetName.toLowerCase()) {
      const d = nameClose(sso.permissionSetName, permSet);
      if (d === undefined) return undefined;
      differences.push(
        `is for permission set "${sso.permissionSetName}", the caller's role is for "${permSet}"`,
      );
      score += 2 + d;
    }
    if (differences.length === 0) return undefined;
  }
  if (sso.partition !== "") {
    differences.push(
      "sets sso.partition; aws-iam-authenticator then builds the pattern with an empty partition, so it never matches (leave partition out)",
    );
    score += 1;
  }
  if (!ssoRoleMatch) {
    differences.push("is an SSO mapping, and SSO role matching (feature gate SSORoleMatch) is off");
    score += 1;
  }
  return { score, differences };
}

/** The closest entry to an unmapped caller, or undefined when nothing is close. */
export function findNearestMapping(
  identity: { canonicalArn: string; accountId: string },
  sources: { accessEntries?: readonly AccessEntry[] | undefined; awsAuth?: AwsAuthMappings | undefined },
  opts: NearestOptions = {},
): NearestMapping | undefined {
  const caller = callerOf(identity.canonicalArn);
  const candidates: Candidate[] = [];
  const add = (
    source: string,
    arn: string,
    r: { score: number; differences: string[] } | undefined,
    disabledNote?: string,
  ): void => {
    if (!r) return;
    const differences = disabledNote ? [...r.differences, disabledNote] : r.differences;
    if (differences.length === 0) return;
    candidates.push({ source, arn, score: r.score + (disabledNote ? 1 : 0), differences });
  };
  const aeOff = opts.disabled?.accessEntries
    ? "is an access entry, and the authentication mode (CONFIG_MAP) does not read access entries"
    : undefined;
  const cmOff = opts.disabled?.awsAuth
    ? "is in aws-auth, and the authentication mode (API) does not read aws-auth"
    : undefined;

  if (caller) {
    for (const e of sources.accessEntries ?? [])
      add(e.source, e.principalArn, compareArn(caller, accessEntryKey(e), false), aeOff);
    for (const r of sources.awsAuth?.roles ?? []) {
      if (r.rolearn !== "") add(r.source, r.rolearn, compareArn(caller, r.rolearn, true), cmOff);
      else if (r.sso)
        add(r.source, ssoPattern(r.sso), compareSso(caller, r, opts.ssoRoleMatch ?? false), cmOff);
    }
    for (const u of sources.awsAuth?.users ?? [])
      add(u.source, u.userarn, compareArn(caller, u.userarn, true), cmOff);
  }
  for (const a of sources.awsAuth?.accounts ?? []) {
    if (a.account === identity.accountId) {
      if (cmOff) candidates.push({ source: a.source, arn: a.account, score: 1, differences: [cmOff] });
      continue;
    }
    const d = editDistance(a.account.trim(), identity.accountId);
    if (a.account.trim() === identity.accountId)
      candidates.push({
        source: a.source,
        arn: a.account,
        score: 2,
        differences: ["has spaces around the account ID"],
      });
    else if (d <= 2)
      candidates.push({
        source: a.source,
        arn: a.account,
        score: 3 + d,
        differences: [`lists account ${a.account}, the caller is in ${identity.accountId}`],
      });
  }

  let best: Candidate | undefined;
  for (const c of candidates) if (c.score <= MAX_SCORE && (!best || c.score < best.score)) best = c;
  if (!best) return undefined;
  return {
    source: best.source,
    arn: best.arn,
    difference: best.differences.join("; "),
    differences: best.differences,
  };
}
