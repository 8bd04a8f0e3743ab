/**
 * ARN canonicalization as aws-iam-authenticator does it (pkg/arn): an STS assumed-role ARN becomes
 * the IAM role ARN (the path STS drops is not recovered); users, roles, root and federated users
 * are kept as they are. Self-contained on purpose (src/iam has its own general ARN parser).
 */

export const ARN_PARTITIONS = [
  "aws",
  "aws-cn",
  "aws-us-gov",
  "aws-iso",
  "aws-iso-b",
  "aws-iso-e",
  "aws-iso-f",
  "aws-eusc",
] as const;

export type PrincipalType = "USER" | "ASSUMED_ROLE" | "ROLE" | "FEDERATED_USER" | "ROOT";

export interface ParsedArn {
  partition: string;
  service: string;
  region: string;
  accountId: string;
  resource: string;
}

/** The AWS SDK's arn.Parse: "arn:" prefix and six colon-separated sections (the last may hold colons). */
export function parseArn(arn: string): { ok: true; arn: ParsedArn } | { ok: false; error: string } {
  if (!arn.startsWith("arn:")) return { ok: false, error: "arn: invalid prefix" };
  const sections = splitN(arn, ":", 6);
  if (sections.length !== 6) return { ok: false, error: "arn: not enough sections" };
  const [, partition, service, region, accountId, resource] = sections as [
    string,
    string,
    string,
    string,
    string,
    string,
  ];
  return { ok: true, arn: { partition, service, region, accountId, resource } };
}

export function formatArn(a: ParsedArn): string {
  return `arn:${a.partition}:${a.service}:${a.region}:${a.accountId}:${a.resource}`;
}

/** strings.SplitN. */
export function splitN(s: string, sep: string, n: number): string[] {
  const out: string[] = [];
  let rest = s;
  while (out.length < n - 1) {
    const i = rest.indexOf(sep);
    if (i < 0) break;
    out.push(rest.slice(0, i));
    rest = rest.slice(i + sep.length);
  }
  out.push(rest);
  return out;
}

const isKnownPartition = (p: string): boolean => (ARN_PARTITIONS as readonly string[]).includes(p);

export type CanonicalizeResult =
  { ok: true; principalType: PrincipalType; canonicalArn: string } | { ok: false; error: string };

/** arn.Canonicalize, with upstream's error texts. Case is kept. */
export function canonicalizeArn(arn: string): CanonicalizeResult {
  const p = parseArn(arn);
  if (!p.ok) return { ok: false, error: `arn '${arn}' is invalid: '${p.error}'` };
  const parsed = p.arn;
  if (!isKnownPartition(parsed.partition))
    return { ok: false, error: `arn '${arn}' does not have a recognized partition` };
  const parts = parsed.resource.split("/");
  const kind = parts[0]!;
  switch (parsed.service) {
    case "sts":
      if (kind === "federated-user") return { ok: true, principalType: "FEDERATED_USER", canonicalArn: arn };
      if (kind === "assumed-role") {
        if (parts.length < 3) return { ok: false, error: `assumed-role arn '${arn}' does not have a role` };
        const role = parts.slice(1, -1).join("/");
        return {
          ok: true,
          principalType: "ASSUMED_ROLE",
          canonicalArn: `arn:${parsed.partition}:iam::${parsed.accountId}:role/${role}`,
        };
      }
      return { ok: false, error: `unrecognized resource ${parsed.resource} for service sts` };
    case "iam":
      if (kind === "role") return { ok: true, principalType: "ROLE", canonicalArn: arn };
      if (kind === "user") return { ok: true, principalType: "USER", canonicalArn: arn };
      if (kind === "root") return { ok: true, principalType: "ROOT", canonicalArn: arn };
      return { ok: false, error: `unrecognized resource ${parsed.resource} for service iam` };
    default:
      return {
        ok: false,
        error: `service ${parsed.service} in arn ${arn} is not a valid service for identities`,
      };
  }
}

/** arn.StripPath: role/a/b/name → role/name; other ARNs unchanged. */
export function stripArnPath(arn: string): { ok: true; arn: string } | { ok: false; error: string } {
  const p = parseArn(arn);
  if (!p.ok) return { ok: false, error: `arn '${arn}' is invalid: '${p.error}'` };
  if (!isKnownPartition(p.arn.partition))
    return { ok: false, error: `arn '${arn}' does not have a recognized partition` };
  const parts = p.arn.resource.split("/");
  if (parts[0] !== "role" || parts.length <= 2) return { ok: true, arn };
  return { ok: true, arn: formatArn({ ...p.arn, resource: `role/${parts[parts.length - 1]!}` }) };
}
