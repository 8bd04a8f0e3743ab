/**
 * The AccessEntry kubeiam kind: EKS access entries (principalArn, type, username,
 * kubernetesGroups) as objects in the store. Under EKS's API_AND_CONFIG_MAP mode they take
 * precedence over aws-auth. EKS keys an entry by the principal's unique ID, so a role entry
 * matches whatever path the role has; here that is modelled by comparing path-stripped ARNs.
 *
 *   apiVersion: kubeiam.io/v1alpha1
 *   kind: AccessEntry
 *   metadata: { name: dev-team }
 *   spec:
 *     principalArn: arn:aws:iam::111122223333:role/dev
 *     type: STANDARD            # default; EC2_LINUX, EC2_WINDOWS, FARGATE_LINUX, HYBRID_LINUX, EC2
 *     username: dev:{{SessionName}}   # optional
 *     kubernetesGroups: [dev]
 */
import type { KubeObject } from "../../store/types.js";
import { canonicalizeArn, parseArn, stripArnPath } from "../iam-token/arn.js";
import { goEqualFold, textToBinary } from "../iam-token/lib/go-strings.js";

export const ACCESS_ENTRY_TYPES = [
  "STANDARD",
  "EC2_LINUX",
  "EC2_WINDOWS",
  "FARGATE_LINUX",
  "HYBRID_LINUX",
  "EC2",
] as const;
export type AccessEntryType = (typeof ACCESS_ENTRY_TYPES)[number];

/** Prefixes EKS refuses in access-entry usernames and groups. */
export const ACCESS_ENTRY_RESERVED_PREFIXES = ["system:", "eks:", "aws:", "amazon:", "iam:"] as const;

export interface AccessEntry {
  name: string;
  principalArn: string;
  type: AccessEntryType;
  /** As written; absent means the type's default. */
  username?: string;
  kubernetesGroups: string[];
  /** "AccessEntry/<name>". */
  source: string;
}

/** Node types: fixed username and groups, set by EKS. */
const NODE_MAPPINGS: Readonly<
  Record<Exclude<AccessEntryType, "STANDARD">, { username: string; groups: readonly string[] }>
> = {
  EC2_LINUX: { username: "system:node:{{EC2PrivateDNSName}}", groups: ["system:nodes"] },
  EC2_WINDOWS: {
    username: "system:node:{{EC2PrivateDNSName}}",
    groups: ["system:nodes", "eks:kube-proxy-windows"],
  },
  EC2: { username: "system:node:{{EC2PrivateDNSName}}", groups: ["system:nodes"] },
  FARGATE_LINUX: { username: "system:node:{{SessionName}}", groups: ["system:nodes", "system:node-proxier"] },
  HYBRID_LINUX: { username: "system:node:{{SessionName}}", groups: ["system:nodes"] },
};

export type ParseAccessEntryResult = { ok: true; entry: AccessEntry } | { ok: false; problems: string[] };

/** Reads and validates an AccessEntry object; problems are "spec.field: message". */
export function parseAccessEntry(obj: KubeObject): ParseAccessEntryResult {
  const problems: string[] = [];
  const spec = obj.spec;
  if (spec === null || typeof spec !== "object" || Array.isArray(spec))
    return { ok: false, problems: ["spec: expected a mapping"] };
  const s = spec as Record<string, unknown>;

  const type = s.type ?? "STANDARD";
  if (typeof type !== "string" || !(ACCESS_ENTRY_TYPES as readonly string[]).includes(type)) {
    problems.push(
      `spec.type: expected one of ${ACCESS_ENTRY_TYPES.join(", ")}, found ${JSON.stringify(type)}`,
    );
  }
  const entryType = (ACCESS_ENTRY_TYPES as readonly string[]).includes(type as string)
    ? (type as AccessEntryType)
    : "STANDARD";

  const principalArn = s.principalArn;
  if (typeof principalArn !== "string" || principalArn === "") {
    problems.push("spec.principalArn: expected the ARN of an IAM role or user");
  } else {
    const c = canonicalizeArn(principalArn);
    const parsed = parseArn(principalArn);
    if (!c.ok) problems.push(`spec.principalArn: ${c.error}`);
    else if (c.principalType === "ASSUMED_ROLE")
      problems.push(
        `spec.principalArn: "${principalArn}" is an STS session ARN; use the role ARN ${c.canonicalArn}`,
      );
    else if (c.principalType !== "ROLE" && c.principalType !== "USER")
      problems.push(
        `spec.principalArn: expected an IAM role or user ARN, found a ${c.principalType.toLowerCase().replace("_", " ")} ARN`,
      );
    else if (entryType !== "STANDARD" && c.principalType !== "ROLE")
      problems.push(`spec.principalArn: type ${entryType} needs an IAM role ARN`);
    if (parsed.ok && !/^[0-9]{12}$/.test(parsed.arn.accountId))
      problems.push(`spec.principalArn: account "${parsed.arn.accountId}" is not a 12-digit account ID`);
  }

  const username = s.username;
  if (username !== undefined && (typeof username !== "string" || username === ""))
    problems.push("spec.username: expected a non-empty string");
  const groups = s.kubernetesGroups ?? [];
  if (!Array.isArray(groups) || groups.some((g) => typeof g !== "string" || g === ""))
    problems.push("spec.kubernetesGroups: expected a list of non-empty strings");

  if (entryType === "STANDARD") {
    if (typeof username === "string") {
      const p = ACCESS_ENTRY_RESERVED_PREFIXES.find((x) => username.startsWith(x));
      if (p)
        problems.push(
          `spec.username: must not begin with "${p}" (reserved: ${ACCESS_ENTRY_RESERVED_PREFIXES.join(" ")})`,
        );
    }
    if (Array.isArray(groups)) {
      for (const g of groups) {
        const p =
          typeof g === "string" ? ACCESS_ENTRY_RESERVED_PREFIXES.find((x) => g.startsWith(x)) : undefined;
        if (p)
          problems.push(
            `spec.kubernetesGroups: "${String(g)}" must not begin with "${p}"; grant cluster-wide access through RBAC instead`,
          );
      }
    }
  } else {
    if (username !== undefined)
      problems.push(
        `spec.username: not allowed for type ${entryType} (EKS sets ${NODE_MAPPINGS[entryType].username})`,
      );
    if (s.kubernetesGroups !== undefined)
      problems.push(`spec.kubernetesGroups: not allowed for type ${entryType}`);
  }

  if (problems.length > 0) return { ok: false, problems };
  const entry: AccessEntry = {
    name: obj.metadata.name,
    principalArn: principalArn as string,
    type: entryType,
    kubernetesGroups: [...(groups as string[])],
    source: `AccessEntry/${obj.metadata.name}`,
  };
  if (typeof username === "string") entry.username = username;
  return { ok: true, entry };
}

/** Problems only; suits a store kind validator. */
export function validateAccessEntry(obj: KubeObject): string[] {
  const r = parseAccessEntry(obj);
  return r.ok ? [] : r.problems;
}

/** The username template and groups an entry grants (type defaults applied). */
export function accessEntryMapping(entry: AccessEntry): { username: string; groups: string[] } {
  if (entry.type !== "STANDARD") {
    const m = NODE_MAPPINGS[entry.type];
    return { username: m.username, groups: [...m.groups] };
  }
  if (entry.username !== undefined) return { username: entry.username, groups: [...entry.kubernetesGroups] };
  const parsed = parseArn(entry.principalArn);
  if (parsed.ok && parsed.arn.resource.startsWith("role/")) {
    const name = parsed.arn.resource.split("/").pop()!;
    return {
      username: `arn:${parsed.arn.partition}:sts::${parsed.arn.accountId}:assumed-role/${name}/{{SessionName}}`,
      groups: [...entry.kubernetesGroups],
    };
  }
  return { username: entry.principalArn, groups: [...entry.kubernetesGroups] };
}

/** The ARN an entry is compared on: role paths removed (EKS matches the role whatever its path). */
export function accessEntryKey(entry: AccessEntry): string {
  const s = stripArnPath(entry.principalArn);
  return s.ok ? s.arn : entry.principalArn;
}

export function accessEntryMatches(entry: AccessEntry, canonicalArn: string): boolean {
  return goEqualFold(textToBinary(accessEntryKey(entry)), textToBinary(canonicalArn));
}
