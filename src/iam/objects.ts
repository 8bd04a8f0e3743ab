/**
 * Typed views of kubeiam's IAM kinds (IAMRole, OIDCProvider, IAMUser, IAMPolicy) over store objects,
 * their validation, and the inverse (view → object) used by the IAM API.
 */
import type { KubeObject } from "../store/types.js";
import { KUBEIAM_API_VERSION } from "../store/types.js";
import { stableUniqueId } from "./ids.js";

export interface RoleView {
  name: string;
  path: string;
  arn: string;
  roleId: string;
  /** The trust policy as JSON text (what IAM stores and returns). */
  trustPolicy: string;
  maxSessionDuration: number;
  description: string | undefined;
  createDate: string;
  inlinePolicies: Record<string, string>;
  attachedPolicyArns: string[];
}

export interface OidcProviderView {
  objectName: string;
  url: string;
  /** The URL without https:// — what `iss` is matched against and what condition keys start with. */
  hostPath: string;
  arn: string;
  clientIds: string[];
  thumbprints: string[];
  createDate: string;
}

export interface AccessKeyMeta {
  accessKeyId: string;
  status: "Active" | "Inactive";
  createDate: string;
}

export interface UserView {
  name: string;
  path: string;
  arn: string;
  userId: string;
  createDate: string;
  inlinePolicies: Record<string, string>;
  attachedPolicyArns: string[];
  accessKeys: AccessKeyMeta[];
}

export interface ManagedPolicyView {
  name: string;
  path: string;
  arn: string;
  policyId: string;
  document: string;
  createDate: string;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === "string" ? v : undefined);
const strList = (v: unknown): string[] =>
  Array.isArray(v) ? v.filter((x): x is string => typeof x === "string") : [];

/** Policy documents may be written as YAML/JSON objects or as JSON text; IAM keeps text. */
export function policyText(v: unknown): string | undefined {
  if (typeof v === "string") return v;
  if (isObj(v)) return JSON.stringify(v);
  return undefined;
}

const ROLE_NAME = /^[\w+=,.@-]{1,64}$/;
const PATH = /^\/([\u0021-\u007e]*\/)?$/;

function createDateOf(obj: KubeObject, spec: Obj): string {
  return str(spec.createDate) ?? obj.metadata.creationTimestamp ?? "1970-01-01T00:00:00Z";
}

function policyMap(v: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (isObj(v))
    for (const [k, d] of Object.entries(v)) {
      const t = policyText(d);
      if (t !== undefined) out[k] = t;
    }
  return out;
}

export function validateRole(obj: KubeObject): string[] {
  const s = obj.spec;
  if (!isObj(s)) return ["spec: expected a mapping"];
  const p: string[] = [];
  if (!ROLE_NAME.test(obj.metadata.name))
    p.push(
      `metadata.name: "${obj.metadata.name}" is not a valid IAM role name ([\\w+=,.@-], 1-64 characters)`,
    );
  if (s.path !== undefined && (typeof s.path !== "string" || !PATH.test(s.path)))
    p.push("spec.path: expected a path that starts and ends with /");
  if (policyText(s.assumeRolePolicyDocument) === undefined)
    p.push("spec.assumeRolePolicyDocument: required (the trust policy, as a mapping or JSON text)");
  if (
    s.maxSessionDuration !== undefined &&
    (typeof s.maxSessionDuration !== "number" ||
      !Number.isInteger(s.maxSessionDuration) ||
      s.maxSessionDuration < 3600 ||
      s.maxSessionDuration > 43200)
  ) {
    p.push("spec.maxSessionDuration: expected whole seconds from 3600 to 43200");
  }
  if (s.inlinePolicies !== undefined && !isObj(s.inlinePolicies))
    p.push("spec.inlinePolicies: expected a mapping of policy name to document");
  if (
    s.attachedPolicyArns !== undefined &&
    (!Array.isArray(s.attachedPolicyArns) || s.attachedPolicyArns.some((a) => typeof a !== "string"))
  )
    p.push("spec.attachedPolicyArns: expected a list of ARNs");
  return p;
}

export function roleView(obj: KubeObject, account: string, partition = "aws"): RoleView {
  const s = (obj.spec ?? {}) as Obj;
  const path = str(s.path) ?? "/";
  return {
    name: obj.metadata.name,
    path,
    arn: `arn:${partition}:iam::${account}:role${path}${obj.metadata.name}`,
    roleId: str(s.roleId) ?? stableUniqueId("AROA", `role:${obj.metadata.uid ?? obj.metadata.name}`),
    trustPolicy: policyText(s.assumeRolePolicyDocument) ?? "",
    maxSessionDuration: typeof s.maxSessionDuration === "number" ? s.maxSessionDuration : 3600,
    description: str(s.description),
    createDate: createDateOf(obj, s),
    inlinePolicies: policyMap(s.inlinePolicies),
    attachedPolicyArns: strList(s.attachedPolicyArns),
  };
}

export function roleObject(v: Omit<RoleView, "arn">, base?: KubeObject): KubeObject {
  const spec: Obj = {
    path: v.path,
    roleId: v.roleId,
    assumeRolePolicyDocument: v.trustPolicy,
    maxSessionDuration: v.maxSessionDuration,
    createDate: v.createDate,
  };
  if (v.description !== undefined) spec.description = v.description;
  if (Object.keys(v.inlinePolicies).length > 0) spec.inlinePolicies = v.inlinePolicies;
  if (v.attachedPolicyArns.length > 0) spec.attachedPolicyArns = v.attachedPolicyArns;
  return {
    apiVersion: KUBEIAM_API_VERSION,
    kind: "IAMRole",
    metadata: { ...(base?.metadata ?? {}), name: v.name },
    spec,
  };
}

/**
 * An OIDC provider URL: https://host[:port][/path], no query or fragment. IAM refuses a port;
 * kubeiam accepts one because its own issuer listens on one (docs/iam.md).
 */
export function isProviderUrl(url: string): boolean {
  return (
    url.length <= 255 && /^https:\/\/(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)(:\d{1,5})?(\/[^?#\s]*)?$/.test(url)
  );
}

/** "https://Host/path" → "Host/path" as IAM matches it (scheme removed, trailing slash kept). */
export function hostPathOf(url: string): string {
  return url.replace(/^https:\/\//i, "");
}

export function validateOidcProvider(obj: KubeObject): string[] {
  const s = obj.spec;
  if (!isObj(s)) return ["spec: expected a mapping"];
  const p: string[] = [];
  const url = str(s.url);
  if (!url || !isProviderUrl(url))
    p.push("spec.url: expected an https URL without query or fragment (the issuer)");
  const ids = s.clientIDList;
  if (
    !Array.isArray(ids) ||
    ids.length === 0 ||
    ids.length > 100 ||
    ids.some((x) => typeof x !== "string" || x.length === 0 || x.length > 255)
  ) {
    p.push("spec.clientIDList: expected 1-100 client IDs (audiences), each 1-255 characters");
  }
  const th = s.thumbprintList;
  if (
    th !== undefined &&
    (!Array.isArray(th) ||
      th.length > 5 ||
      th.some((x) => typeof x !== "string" || !/^[0-9a-fA-F]{40}$/.test(x)))
  ) {
    p.push("spec.thumbprintList: expected up to 5 SHA-1 thumbprints of 40 hex characters");
  }
  return p;
}

export function oidcProviderView(obj: KubeObject, account: string, partition = "aws"): OidcProviderView {
  const s = (obj.spec ?? {}) as Obj;
  const url = str(s.url) ?? "";
  const hostPath = hostPathOf(url);
  return {
    objectName: obj.metadata.name,
    url,
    hostPath,
    arn: `arn:${partition}:iam::${account}:oidc-provider/${hostPath}`,
    clientIds: strList(s.clientIDList),
    thumbprints: strList(s.thumbprintList),
    createDate: createDateOf(obj, s),
  };
}

/** Object name for a provider created through the API: the host/path with separators replaced. */
export function oidcProviderObjectName(hostPath: string): string {
  return (
    hostPath
      .replace(/[/:%\\]/g, "-")
      .replace(/^-+|-+$/g, "")
      .slice(0, 253) || "provider"
  );
}

export function oidcProviderObject(
  v: { objectName: string; url: string; clientIds: string[]; thumbprints: string[]; createDate: string },
  base?: KubeObject,
): KubeObject {
  return {
    apiVersion: KUBEIAM_API_VERSION,
    kind: "OIDCProvider",
    metadata: { ...(base?.metadata ?? {}), name: v.objectName },
    spec: { url: v.url, clientIDList: v.clientIds, thumbprintList: v.thumbprints, createDate: v.createDate },
  };
}

export function validateUser(obj: KubeObject): string[] {
  const s = obj.spec;
  if (!isObj(s)) return ["spec: expected a mapping"];
  const p: string[] = [];
  if (!ROLE_NAME.test(obj.metadata.name))
    p.push(`metadata.name: "${obj.metadata.name}" is not a valid IAM user name`);
  if (s.path !== undefined && (typeof s.path !== "string" || !PATH.test(s.path)))
    p.push("spec.path: expected a path that starts and ends with /");
  if (
    s.accessKeys !== undefined &&
    (!Array.isArray(s.accessKeys) || s.accessKeys.some((k) => !isObj(k) || typeof k.accessKeyId !== "string"))
  )
    p.push("spec.accessKeys: expected a list of {accessKeyId, status}");
  if (
    isObj(s) &&
    Array.isArray(s.accessKeys) &&
    s.accessKeys.some((k) => isObj(k) && k.secretAccessKey !== undefined)
  ) {
    p.push(
      "spec.accessKeys[].secretAccessKey: secrets do not belong in objects; kubeiam keeps them in the state dir (0600)",
    );
  }
  return p;
}

export function userView(obj: KubeObject, account: string, partition = "aws"): UserView {
  const s = (obj.spec ?? {}) as Obj;
  const path = str(s.path) ?? "/";
  const keys: AccessKeyMeta[] = Array.isArray(s.accessKeys)
    ? s.accessKeys
        .filter(isObj)
        .map((k) => ({
          accessKeyId: str(k.accessKeyId) ?? "",
          status: k.status === "Inactive" ? "Inactive" : "Active",
          createDate: str(k.createDate) ?? createDateOf(obj, s),
        }))
    : [];
  return {
    name: obj.metadata.name,
    path,
    arn: `arn:${partition}:iam::${account}:user${path}${obj.metadata.name}`,
    userId: str(s.userId) ?? stableUniqueId("AIDA", `user:${obj.metadata.uid ?? obj.metadata.name}`),
    createDate: createDateOf(obj, s),
    inlinePolicies: policyMap(s.inlinePolicies),
    attachedPolicyArns: strList(s.attachedPolicyArns),
    accessKeys: keys,
  };
}

export function userObject(v: Omit<UserView, "arn">, base?: KubeObject): KubeObject {
  const spec: Obj = { path: v.path, userId: v.userId, createDate: v.createDate };
  if (Object.keys(v.inlinePolicies).length > 0) spec.inlinePolicies = v.inlinePolicies;
  if (v.attachedPolicyArns.length > 0) spec.attachedPolicyArns = v.attachedPolicyArns;
  if (v.accessKeys.length > 0) spec.accessKeys = v.accessKeys;
  return {
    apiVersion: KUBEIAM_API_VERSION,
    kind: "IAMUser",
    metadata: { ...(base?.metadata ?? {}), name: v.name },
    spec,
  };
}

export function validateManagedPolicy(obj: KubeObject): string[] {
  const s = obj.spec;
  if (!isObj(s)) return ["spec: expected a mapping"];
  return policyText(s.document) === undefined ? ["spec.document: required (the policy document)"] : [];
}

export function managedPolicyView(obj: KubeObject, account: string, partition = "aws"): ManagedPolicyView {
  const s = (obj.spec ?? {}) as Obj;
  const path = str(s.path) ?? "/";
  return {
    name: obj.metadata.name,
    path,
    arn: `arn:${partition}:iam::${account}:policy${path}${obj.metadata.name}`,
    policyId: str(s.policyId) ?? stableUniqueId("ANPA", `policy:${obj.metadata.uid ?? obj.metadata.name}`),
    document: policyText(s.document) ?? "",
    createDate: createDateOf(obj, s),
  };
}

/** AWS-managed policies kubeiam knows without objects. */
export const AWS_MANAGED_POLICIES: Readonly<Record<string, string>> = {
  "arn:aws:iam::aws:policy/AdministratorAccess": JSON.stringify({
    Version: "2012-10-17",
    Statement: [{ Effect: "Allow", Action: "*", Resource: "*" }],
  }),
  "arn:aws:iam::aws:policy/IAMFullAccess": JSON.stringify({
    Version: "2012-10-17",
    Statement: [
      {
        Effect: "Allow",
        Action: [
          "iam:*",
          "organizations:DescribeAccount",
          "organizations:DescribeOrganization",
          "organizations:DescribeOrganizationalUnit",
          "organizations:DescribePolicy",
          "organizations:ListChildren",
          "organizations:ListParents",
          "organizations:ListPoliciesForTarget",
          "organizations:ListRoots",
          "organizations:ListPolicies",
          "organizations:ListTargetsForPolicy",
        ],
        Resource: "*",
      },
    ],
  }),
  "arn:aws:iam::aws:policy/ReadOnlyAccess": JSON.stringify({
    Version: "2012-10-17",
    Statement: [
      { Effect: "Allow", Action: ["iam:Get*", "iam:List*", "sts:GetCallerIdentity"], Resource: "*" },
    ],
  }),
  "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess": JSON.stringify({
    Version: "2012-10-17",
    Statement: [
      {
        Effect: "Allow",
        Action: ["s3:Get*", "s3:List*", "s3:Describe*", "s3-object-lambda:Get*", "s3-object-lambda:List*"],
        Resource: "*",
      },
    ],
  }),
};
