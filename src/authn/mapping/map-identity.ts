/**
 * Maps a verified IAM identity to a Kubernetes username and groups. Backends are searched in EKS
 * order (access entries, then aws-auth), each the way aws-iam-authenticator's doMapping treats a
 * mapper: a match is rendered and checked against the backend's reserved username prefixes, and
 * a failure there denies without falling through; otherwise the backend's mapAccounts may admit
 * the caller under its canonical ARN with no groups; then the next backend is tried.
 * Inside aws-auth, role mappings are searched before user mappings; the last of several entries
 * with the same ARN wins. The result always carries reasons, and an unmapped caller gets the
 * closest entry and what differs.
 */
import type { Reason } from "../../lib/decision.js";
import { binaryToText, foldKey, goToLower, textToBinary } from "../iam-token/lib/go-strings.js";
import {
  ACCESS_ENTRY_RESERVED_PREFIXES,
  accessEntryKey,
  accessEntryMapping,
  type AccessEntry,
} from "./access-entry.js";
import type { AwsAuthMappings, RoleMapping, UserMapping } from "./aws-auth.js";
import { arnLike, ssoPattern } from "./lib/sso-match.js";
import { findNearestMapping, type NearestMapping } from "./nearest-mapping.js";
import { renderMapping, type Ec2PrivateDnsLookup } from "./render-template.js";

/** EKS cluster authentication modes. */
export type AuthenticationMode = "API" | "API_AND_CONFIG_MAP" | "CONFIG_MAP";
/** Backend names as they appear in messages ("EKSConfigMap" is upstream's name for aws-auth). */
export type MappingBackend = "AccessEntry" | "EKSConfigMap";

export const NOT_MAPPED_ERROR = "identity is not mapped";

export interface MappingIdentity {
  canonicalArn: string;
  arn: string;
  accountId: string;
  userId: string;
  sessionName: string;
  accessKeyId: string;
}

export interface MappingSources {
  accessEntries?: readonly AccessEntry[] | undefined;
  awsAuth?: AwsAuthMappings | undefined;
}

export interface MapIdentityOptions {
  /** Private DNS name of an EC2 instance, for {{EC2PrivateDNSName}}. */
  ec2PrivateDnsName: Ec2PrivateDnsLookup;
  /** Default API_AND_CONFIG_MAP. */
  authenticationMode?: AuthenticationMode | undefined;
  /** Rendered usernames a backend must not produce. Defaults: access entries EKS's list, aws-auth none. */
  reservedPrefixes?:
    { accessEntries?: readonly string[] | undefined; awsAuth?: readonly string[] | undefined } | undefined;
  /** Upstream's alpha SSORoleMatch feature gate for `sso` role mappings. Default false. */
  ssoRoleMatch?: boolean | undefined;
}

export type MappedVia = "access-entry" | "role" | "user" | "sso" | "account";

export type MapIdentityResult =
  | {
      mapped: true;
      username: string;
      groups: string[];
      backend: MappingBackend;
      via: MappedVia;
      source: string;
      reasons: Reason[];
    }
  | {
      mapped: false;
      /** What upstream logs: "identity is not mapped", or the render / reserved-prefix error. */
      error: string;
      /** The entry that matched when rendering or the reserved-prefix rule denied. */
      matchedSource?: string;
      nearest?: NearestMapping;
      reasons: Reason[];
    };

interface Found {
  username: string;
  groups: readonly string[];
  source: string;
  via: MappedVia;
  written: string;
  /** Access-entry node types have EKS-set usernames the reserved-prefix rule does not apply to. */
  reservedCheck: boolean;
}

/**
 * Case-insensitive indexes, built once per parsed aws-auth / access-entry list (inputs are treated
 * as immutable) so a lookup costs one Map get instead of a scan.
 */
interface AwsAuthIndex {
  /** Last entry wins, as in upstream's map keyed by the lower-cased ARN. */
  roles: Map<string, RoleMapping>;
  users: Map<string, UserMapping>;
  sso: RoleMapping[];
}
const awsAuthIndexes = new WeakMap<AwsAuthMappings, AwsAuthIndex>();
const accessEntryIndexes = new WeakMap<readonly AccessEntry[], Map<string, AccessEntry[]>>();

function awsAuthIndex(m: AwsAuthMappings): AwsAuthIndex {
  let idx = awsAuthIndexes.get(m);
  if (!idx) {
    idx = { roles: new Map(), users: new Map(), sso: [] };
    for (const r of m.roles) {
      if (r.rolearn !== "") idx.roles.set(foldKey(r.rolearn), r);
      else if (r.sso) idx.sso.push(r);
    }
    for (const u of m.users) idx.users.set(foldKey(u.userarn), u);
    awsAuthIndexes.set(m, idx);
  }
  return idx;
}

function accessEntryIndex(entries: readonly AccessEntry[]): Map<string, AccessEntry[]> {
  let idx = accessEntryIndexes.get(entries);
  if (!idx) {
    idx = new Map();
    for (const e of entries) {
      const k = foldKey(accessEntryKey(e));
      const list = idx.get(k);
      if (list) list.push(e);
      else idx.set(k, [e]);
    }
    accessEntryIndexes.set(entries, idx);
  }
  return idx;
}

function findInAwsAuth(m: AwsAuthMappings, canonicalArn: string, ssoRoleMatch: boolean): Found | undefined {
  // Upstream lower-cases the canonical ARN (strings.ToLower) and then compares with EqualFold.
  const lower = binaryToText(goToLower(textToBinary(canonicalArn)));
  const idx = awsAuthIndex(m);
  const role = idx.roles.get(foldKey(lower));
  if (role)
    return {
      username: role.username,
      groups: role.groups,
      source: role.source,
      via: "role",
      written: role.rolearn,
      reservedCheck: true,
    };
  if (ssoRoleMatch) {
    let sso: RoleMapping | undefined;
    for (const r of idx.sso) if (arnLike(lower, ssoPattern(r.sso!))) sso = r;
    if (sso)
      return {
        username: sso.username,
        groups: sso.groups,
        source: sso.source,
        via: "sso",
        written: ssoPattern(sso.sso!),
        reservedCheck: true,
      };
  }
  const user = idx.users.get(foldKey(lower));
  if (user)
    return {
      username: user.username,
      groups: user.groups,
      source: user.source,
      via: "user",
      written: user.userarn,
      reservedCheck: true,
    };
  return undefined;
}

function findAccessEntry(
  entries: readonly AccessEntry[],
  canonicalArn: string,
): { found: Found; others: string[] } | undefined {
  const hits = accessEntryIndex(entries).get(foldKey(canonicalArn)) ?? [];
  const e = hits[0];
  if (!e) return undefined;
  const m = accessEntryMapping(e);
  return {
    found: {
      username: m.username,
      groups: m.groups,
      source: e.source,
      via: "access-entry",
      written: accessEntryKey(e),
      reservedCheck: e.type === "STANDARD",
    },
    others: hits.slice(1).map((h) => h.source),
  };
}

/** Maps an identity to a username and groups, or explains why it is not mapped. */
export function mapIdentity(
  identity: MappingIdentity,
  sources: MappingSources,
  opts: MapIdentityOptions,
): MapIdentityResult {
  const mode = opts.authenticationMode ?? "API_AND_CONFIG_MAP";
  const reasons: Reason[] = [];
  const useAccessEntries = mode !== "CONFIG_MAP";
  const useAwsAuth = mode !== "API";

  const backends: {
    name: MappingBackend;
    find: () => Found | undefined;
    accounts: AwsAuthMappings["accounts"];
    reserved: readonly string[];
  }[] = [];
  if (useAccessEntries) {
    const entries = sources.accessEntries ?? [];
    backends.push({
      name: "AccessEntry",
      find: () => {
        const r = findAccessEntry(entries, identity.canonicalArn);
        if (r && r.others.length > 0) {
          reasons.push({
            check: "mapping.access-entry",
            ok: true,
            message: `Several access entries name this principal; ${r.found.source} is used, ${r.others.join(", ")} ignored.`,
            source: r.found.source,
          });
        }
        return r?.found;
      },
      accounts: [],
      reserved: opts.reservedPrefixes?.accessEntries ?? ACCESS_ENTRY_RESERVED_PREFIXES,
    });
  }
  if (useAwsAuth) {
    const m = sources.awsAuth;
    backends.push({
      name: "EKSConfigMap",
      find: () => (m ? findInAwsAuth(m, identity.canonicalArn, opts.ssoRoleMatch ?? false) : undefined),
      accounts: m?.accounts ?? [],
      reserved: opts.reservedPrefixes?.awsAuth ?? [],
    });
  }

  for (const b of backends) {
    const found = b.find();
    if (found) {
      const rendered = renderMapping(found.username, found.groups, identity, opts.ec2PrivateDnsName);
      if (!rendered.ok) {
        const error = `mapper ${b.name} renderTemplates error: ${rendered.error}`;
        reasons.push({
          check: "mapping.template",
          ok: false,
          message: `${found.source} matches, but its template cannot be rendered: ${rendered.error}.`,
          source: found.source,
          actual: identity.sessionName,
        });
        return { mapped: false, error, matchedSource: found.source, reasons };
      }
      const prefix = found.reservedCheck
        ? b.reserved.find((p) => rendered.username.startsWith(p))
        : undefined;
      if (prefix !== undefined) {
        const error = `invalid username '${rendered.username}' for mapper ${b.name}: username must not begin with with the following prefixes: [${b.reserved.join(" ")}]`;
        reasons.push({
          check: "mapping.reserved-prefix",
          ok: false,
          message: `${found.source} matches, but the username "${rendered.username}" begins with the reserved prefix "${prefix}".`,
          source: found.source,
          expected: `no prefix among ${b.reserved.join(" ")}`,
          actual: rendered.username,
        });
        return { mapped: false, error, matchedSource: found.source, reasons };
      }
      reasons.push({
        check: found.via === "access-entry" ? "mapping.access-entry" : `mapping.aws-auth.${found.via}`,
        ok: true,
        message: `${identity.canonicalArn} matches ${found.source} (${found.written}); username "${rendered.username}"${rendered.groups.length > 0 ? `, groups ${rendered.groups.join(", ")}` : ", no groups"}.`,
        source: found.source,
        expected: found.written,
        actual: identity.canonicalArn,
      });
      return {
        mapped: true,
        username: rendered.username,
        groups: rendered.groups,
        backend: b.name,
        via: found.via,
        source: found.source,
        reasons,
      };
    }
    reasons.push({
      check: b.name === "AccessEntry" ? "mapping.access-entry" : "mapping.aws-auth",
      ok: false,
      message: `No ${b.name === "AccessEntry" ? "access entry" : "aws-auth entry"} matches ${identity.canonicalArn} (compared ignoring case).`,
      actual: identity.canonicalArn,
    });
    const account = b.accounts.find((a) => a.account === identity.accountId);
    if (account) {
      reasons.push({
        check: "mapping.aws-auth.account",
        ok: true,
        message: `Account ${identity.accountId} is listed in ${account.source}; the caller is admitted as its canonical ARN with no groups.`,
        source: account.source,
      });
      return {
        mapped: true,
        username: identity.canonicalArn,
        groups: [],
        backend: b.name,
        via: "account",
        source: account.source,
        reasons,
      };
    }
  }

  for (const p of sources.awsAuth?.problems ?? []) {
    if (useAwsAuth && p.effect === "key-dropped") {
      reasons.push({
        check: "mapping.aws-auth.problem",
        ok: false,
        message: `aws-auth ${p.source} was not loaded${p.line ? ` (line ${p.line})` : ""}: ${p.message}.`,
        source: p.source,
      });
    }
  }
  if (backends.length === 0)
    reasons.push({ check: "mapping", ok: false, message: "No mapping backend is enabled." });
  const nearest = findNearestMapping(identity, sources, {
    ssoRoleMatch: opts.ssoRoleMatch,
    disabled: { accessEntries: !useAccessEntries, awsAuth: !useAwsAuth },
  });
  if (nearest) {
    reasons.push({
      check: "mapping.nearest",
      ok: false,
      message: `Closest entry: ${nearest.source} (${nearest.arn}) ${nearest.difference}.`,
      source: nearest.source,
      expected: nearest.arn,
      actual: identity.canonicalArn,
    });
  }
  return nearest
    ? { mapped: false, error: NOT_MAPPED_ERROR, nearest, reasons }
    : { mapped: false, error: NOT_MAPPED_ERROR, reasons };
}
