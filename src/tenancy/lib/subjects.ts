/**
 * Who is asking: the userInfo of an AdmissionReview, and how a tenant's owners (users, groups,
 * IAM ARNs) match it. IAM identities arrive as the aws-iam-authenticator does it: the ARN (and the
 * canonical role ARN for assumed roles) in `extra.arn` / `extra.canonicalArn`, or the ARN as the
 * user name for account mappings.
 */

export interface RequestUser {
  readonly username: string;
  readonly groups: readonly string[];
  readonly extra: Readonly<Record<string, readonly string[]>>;
}

const ARN =
  /^arn:(aws|aws-cn|aws-us-gov|aws-iso|aws-iso-b|aws-iso-e|aws-iso-f|aws-eusc):(iam|sts)::(\d{12}):(.+)$/;

/** Why `s` is not an IAM role/user ARN or an STS assumed-role ARN; undefined when it is one. */
export function iamArnProblem(s: string): string | undefined {
  const m = ARN.exec(s);
  if (!m) return `expected an IAM ARN such as arn:aws:iam::111122223333:role/name, found "${s}"`;
  const service = m[2]!;
  const resource = m[4]!;
  if (service === "iam" && /^(role|user)\/.*[^/]$/.test(resource) && !resource.includes("//"))
    return undefined;
  if (service === "sts" && /^assumed-role\/[^/]+\/[^/]+$/.test(resource)) return undefined;
  return `expected an IAM role or user ARN (arn:<partition>:iam::<account>:role/<name> or user/<name>) or an STS assumed-role ARN, found "${s}"`;
}

/**
 * The form ARNs are compared in: lower case; an assumed-role session becomes its role; a role's path
 * is dropped (sessions do not carry it).
 */
export function canonicalArn(s: string): string {
  const m = ARN.exec(s);
  if (!m) return s.toLowerCase();
  const [, partition, service, account, resource] = m as unknown as [string, string, string, string, string];
  if (service === "sts" && resource.startsWith("assumed-role/")) {
    const role = resource.split("/")[1] ?? "";
    return `arn:${partition}:iam::${account}:role/${role}`.toLowerCase();
  }
  if (service === "iam" && resource.startsWith("role/")) {
    const parts = resource.split("/");
    return `arn:${partition}:iam::${account}:role/${parts[parts.length - 1] ?? ""}`.toLowerCase();
  }
  return s.toLowerCase();
}

/** Every ARN the request user presents, canonicalised. */
export function userArns(user: RequestUser): Set<string> {
  const out = new Set<string>();
  if (user.username.startsWith("arn:")) out.add(canonicalArn(user.username));
  for (const key of ["arn", "canonicalArn", "canonicalarn"])
    for (const v of user.extra[key] ?? []) out.add(canonicalArn(v));
  return out;
}

export const SERVICE_ACCOUNT_PREFIX = "system:serviceaccount:";

/** The namespace of a service-account user name, or undefined for other users. */
export function serviceAccountNamespace(username: string): string | undefined {
  if (!username.startsWith(SERVICE_ACCOUNT_PREFIX)) return undefined;
  const rest = username.slice(SERVICE_ACCOUNT_PREFIX.length);
  const i = rest.indexOf(":");
  return i <= 0 ? undefined : rest.slice(0, i);
}
