/**
 * Amazon Resource Names: parse, validate and format.
 *   arn:<partition>:<service>:<region>:<account>:<resource>   (the resource may contain ":" and "/")
 * Partitions: aws, aws-cn, aws-us-gov, aws-iso, aws-iso-b/-e/-f, aws-eusc. Helpers for the identity
 * ARNs kubeiam deals in: IAM roles (with path), users, account root, STS assumed-role sessions and
 * federated users, and OIDC / SAML provider ARNs. `parse*` functions throw KubeiamError ARN_INVALID
 * with a message naming the ARN and the problem; `tryParseArn` returns undefined instead.
 */
import { KubeiamError } from "../lib/errors.js";

export const PARTITIONS = [
  "aws",
  "aws-cn",
  "aws-us-gov",
  "aws-iso",
  "aws-iso-b",
  "aws-iso-e",
  "aws-iso-f",
  "aws-eusc",
] as const;
export type KnownPartition = (typeof PARTITIONS)[number];

export interface Arn {
  readonly partition: string;
  readonly service: string;
  readonly region: string;
  /** 12 digits, "" (e.g. S3) or "aws" (AWS-managed policies). */
  readonly account: string;
  readonly resource: string;
}

/** Longest ARN accepted (IAM's arnType maximum). */
export const MAX_ARN_LENGTH = 2048;

const ACCOUNT = /^\d{12}$/;
const SERVICE = /^[a-z0-9][a-z0-9-]*$/;
const REGION = /^[a-z0-9-]*$/;
/** IAM role/user names and STS session names ([\w+=,.@-]). */
const NAME = /^[\w+=,.@-]+$/;
/** IAM path: "/" or "/segment/…/" with printable ASCII. */
const PATH = /^\/(?:[\u0021-\u007E]*\/)?$/;

export function isKnownPartition(p: string): p is KnownPartition {
  return (PARTITIONS as readonly string[]).includes(p);
}

function invalid(text: string, why: string): KubeiamError {
  return new KubeiamError("ARN_INVALID", `arn '${text}' is invalid: ${why}`, { arn: text, reason: why });
}

function validate(text: string): Arn | string {
  if (text.length > MAX_ARN_LENGTH) return `longer than ${MAX_ARN_LENGTH} characters`;
  if (!text.startsWith("arn:")) return "it does not start with 'arn:'";
  const parts = text.split(":");
  if (parts.length < 6)
    return "it needs 6 colon-separated sections (arn:partition:service:region:account:resource)";
  const [, partition, service, region, account] = parts as [string, string, string, string, string];
  const resource = parts.slice(5).join(":");
  if (!isKnownPartition(partition)) return `'${partition}' is not a known partition`;
  if (!SERVICE.test(service)) return `'${service}' is not a service name`;
  if (!REGION.test(region)) return `'${region}' is not a region`;
  if (account !== "" && account !== "aws" && !ACCOUNT.test(account))
    return `'${account}' is not a 12-digit account id`;
  if (resource === "") return "the resource is empty";
  return { partition, service, region, account, resource };
}

export function tryParseArn(text: string): Arn | undefined {
  const r = validate(text);
  return typeof r === "string" ? undefined : r;
}

export function parseArn(text: string): Arn {
  const r = validate(text);
  if (typeof r === "string") throw invalid(text, r);
  return r;
}

export function formatArn(a: Arn): string {
  return `arn:${a.partition}:${a.service}:${a.region}:${a.account}:${a.resource}`;
}

export function isAccountId(s: string): boolean {
  return ACCOUNT.test(s);
}

// ---- identity ARNs --------------------------------------------------------------------------

export interface RoleArn {
  readonly arn: string;
  readonly partition: string;
  readonly account: string;
  /** "/" or "/a/b/". */
  readonly path: string;
  readonly name: string;
}

export interface UserArn {
  readonly arn: string;
  readonly partition: string;
  readonly account: string;
  readonly path: string;
  readonly name: string;
}

export interface AssumedRoleArn {
  readonly arn: string;
  readonly partition: string;
  readonly account: string;
  /** Role name as STS writes it (STS never includes the role path). */
  readonly roleName: string;
  readonly sessionName: string;
}

function pathAndName(resource: string, prefix: string): { path: string; name: string } | string {
  const rest = resource.slice(prefix.length);
  const slash = rest.lastIndexOf("/");
  const path = slash < 0 ? "/" : "/" + rest.slice(0, slash + 1);
  const name = rest.slice(slash + 1);
  if (name === "" || name.length > 64 || !NAME.test(name))
    return `'${name}' is not a valid name ([\\w+=,.@-], 1-64 characters)`;
  if (path.length > 512 || !PATH.test(path)) return `'${path}' is not a valid IAM path`;
  return { path, name };
}

function identity(
  text: string,
  service: "iam" | "sts",
  prefix: string,
  what: string,
): { arn: Arn; rest: string } {
  const a = parseArn(text);
  if (a.service !== service || !a.resource.startsWith(prefix)) throw invalid(text, `it is not ${what}`);
  if (a.region !== "") throw invalid(text, `${what} has no region`);
  if (!ACCOUNT.test(a.account)) throw invalid(text, `'${a.account}' is not a 12-digit account id`);
  return { arn: a, rest: a.resource.slice(prefix.length) };
}

/** arn:<p>:iam::<acct>:role/<path/>name */
export function parseRoleArn(text: string): RoleArn {
  const { arn } = identity(text, "iam", "role/", "an IAM role ARN");
  const pn = pathAndName(arn.resource, "role/");
  if (typeof pn === "string") throw invalid(text, pn);
  return { arn: text, partition: arn.partition, account: arn.account, ...pn };
}

/** arn:<p>:iam::<acct>:user/<path/>name */
export function parseUserArn(text: string): UserArn {
  const { arn } = identity(text, "iam", "user/", "an IAM user ARN");
  const pn = pathAndName(arn.resource, "user/");
  if (typeof pn === "string") throw invalid(text, pn);
  return { arn: text, partition: arn.partition, account: arn.account, ...pn };
}

/** arn:<p>:sts::<acct>:assumed-role/<role>/<session> */
export function parseAssumedRoleArn(text: string): AssumedRoleArn {
  const { arn, rest } = identity(text, "sts", "assumed-role/", "an assumed-role ARN");
  const slash = rest.lastIndexOf("/");
  if (slash <= 0) throw invalid(text, "an assumed-role ARN needs assumed-role/<role>/<session>");
  const roleName = rest.slice(0, slash);
  const sessionName = rest.slice(slash + 1);
  if (!roleName.split("/").every((p) => p !== "" && NAME.test(p)))
    throw invalid(text, `'${roleName}' is not a valid role name`);
  if (sessionName.length < 2 || sessionName.length > 64 || !NAME.test(sessionName)) {
    throw invalid(text, `'${sessionName}' is not a valid session name ([\\w+=,.@-], 2-64 characters)`);
  }
  return { arn: text, partition: arn.partition, account: arn.account, roleName, sessionName };
}

export function roleArn(partition: string, account: string, name: string, path = "/"): string {
  return `arn:${partition}:iam::${account}:role${path}${name}`;
}

export function userArn(partition: string, account: string, name: string, path = "/"): string {
  return `arn:${partition}:iam::${account}:user${path}${name}`;
}

export function assumedRoleArn(
  partition: string,
  account: string,
  roleName: string,
  sessionName: string,
): string {
  return `arn:${partition}:sts::${account}:assumed-role/${roleName}/${sessionName}`;
}

export function accountRootArn(partition: string, account: string): string {
  return `arn:${partition}:iam::${account}:root`;
}

/** OIDC provider ARN for an issuer URL or host/path ("https://" and one trailing "/" are not removed). */
export function oidcProviderArn(partition: string, account: string, issuer: string): string {
  const hostPath = issuer.startsWith("https://") ? issuer.slice("https://".length) : issuer;
  return `arn:${partition}:iam::${account}:oidc-provider/${hostPath}`;
}

export type PrincipalArnKind =
  "root" | "user" | "role" | "assumed-role" | "federated-user" | "oidc-provider" | "saml-provider";

/** Classifies an IAM/STS identity ARN, or returns undefined when it is not one. */
export function principalArnKind(text: string): PrincipalArnKind | undefined {
  const a = tryParseArn(text);
  if (!a || a.region !== "" || !ACCOUNT.test(a.account)) return undefined;
  if (a.service === "iam") {
    if (a.resource === "root") return "root";
    if (a.resource.startsWith("user/") && typeof pathAndName(a.resource, "user/") !== "string") return "user";
    if (a.resource.startsWith("role/") && typeof pathAndName(a.resource, "role/") !== "string") return "role";
    if (/^oidc-provider\/[^/\s]+/.test(a.resource)) return "oidc-provider";
    if (/^saml-provider\/[\w.-]+$/.test(a.resource)) return "saml-provider";
    return undefined;
  }
  if (a.service === "sts") {
    if (/^assumed-role\/[^/]+(\/[^/]+)*\/[^/]+$/.test(a.resource)) return "assumed-role";
    if (/^federated-user\/[\w+=,.@-]+$/.test(a.resource)) return "federated-user";
  }
  return undefined;
}
