/** Customer-managed policies (IAMPolicy objects) and the AWS-managed ones kubeiam knows: Create/Get/List/Delete. */
import { KUBEIAM_API_VERSION } from "../../store/types.js";
import { awsErrors, constraintError } from "../../sts/aws-error.js";
import type { QueryParams } from "../../sts/query.js";
import { isoSeconds, type XmlValue } from "../../sts/xml.js";
import { stableUniqueId } from "../ids.js";
import { AWS_MANAGED_POLICIES, managedPolicyView, roleView, userView } from "../objects.js";
import { newUidSeed } from "../seed.js";
import type { IamDeps, IamHandler, IamLookupDeps } from "./deps.js";
import { listManagedPolicies } from "./lookups.js";
import { descriptionParam, nameParam, pathParam, policyDocParam, required } from "./params.js";

interface PolicyInfo {
  name: string;
  path: string;
  arn: string;
  policyId: string;
  document: string;
  createDate: string;
  description?: string | undefined;
  objectName?: string;
}

function attachments(deps: IamLookupDeps, arn: string): number {
  const roles = deps.cache
    .list("IAMRole")
    .filter((o) => roleView(o, deps.account, deps.partition).attachedPolicyArns.includes(arn)).length;
  const users = deps.cache
    .list("IAMUser")
    .filter((o) => userView(o, deps.account, deps.partition).attachedPolicyArns.includes(arn)).length;
  return roles + users;
}

function allPolicies(deps: IamLookupDeps): PolicyInfo[] {
  const aws: PolicyInfo[] = Object.entries(AWS_MANAGED_POLICIES).map(([arn, document]) => ({
    name: arn.slice(arn.lastIndexOf("/") + 1),
    path: "/",
    arn,
    policyId: stableUniqueId("ANPA", `aws-policy:${arn}`),
    document,
    createDate: "2015-02-06T18:39:46Z",
  }));
  const local: PolicyInfo[] = listManagedPolicies(deps).map(({ obj, view }) => {
    const spec = (obj.spec ?? {}) as { description?: unknown };
    return {
      ...view,
      objectName: obj.metadata.name,
      description: typeof spec.description === "string" ? spec.description : undefined,
    };
  });
  return [...aws, ...local];
}

function policyOrFail(deps: IamLookupDeps, arn: string): PolicyInfo {
  const found = allPolicies(deps).find((x) => x.arn === arn);
  if (!found) throw awsErrors.noSuchEntity(`Policy ${arn} does not exist or is not attachable.`);
  return found;
}

function policyXml(deps: IamLookupDeps, x: PolicyInfo): { [name: string]: XmlValue } {
  const out: { [name: string]: XmlValue } = {
    PolicyName: x.name,
    PolicyId: x.policyId,
    Arn: x.arn,
    Path: x.path,
    DefaultVersionId: "v1",
    AttachmentCount: attachments(deps, x.arn),
    PermissionsBoundaryUsageCount: 0,
    IsAttachable: true,
    CreateDate: x.createDate,
    UpdateDate: x.createDate,
  };
  if (x.description !== undefined) out.Description = x.description;
  return out;
}

function arnParam(p: QueryParams): string {
  const arn = required(p, "PolicyArn", "policyArn");
  if (!/^arn:aws[a-z-]*:iam::(aws|\d{12}):policy\/./.test(arn))
    throw awsErrors.invalidInput(`ARN ${arn} is not valid.`);
  return arn;
}

async function createPolicy(p: QueryParams, deps: IamDeps): Promise<{ [name: string]: XmlValue }> {
  const name = nameParam(p, "PolicyName", "policyName", 128);
  const path = pathParam(p);
  const document = policyDocParam(p, "PolicyDocument", "policyDocument", "identity", deps.policy);
  const description = descriptionParam(p);
  if (listManagedPolicies(deps).some((m) => m.view.name === name))
    throw awsErrors.entityAlreadyExists(
      `A policy called ${name} already exists. Duplicate names are not allowed.`,
    );
  const spec: Record<string, unknown> = {
    path,
    policyId: stableUniqueId("ANPA", `policy:${newUidSeed()}`),
    document,
    createDate: isoSeconds(deps.now),
  };
  if (description !== undefined) spec.description = description;
  const stored = await deps.store.put({
    apiVersion: KUBEIAM_API_VERSION,
    kind: "IAMPolicy",
    metadata: { name },
    spec,
  });
  const view = managedPolicyView(stored, deps.account, deps.partition);
  return { Policy: policyXml(deps, { ...view, description }) };
}

export const policyHandlers: Record<string, IamHandler> = {
  CreatePolicy: (p, deps) => createPolicy(p, deps),
  async GetPolicy(p, deps) {
    return Promise.resolve({ Policy: policyXml(deps, policyOrFail(deps, arnParam(p))) });
  },
  async GetPolicyVersion(p, deps) {
    const x = policyOrFail(deps, arnParam(p));
    const version = required(p, "VersionId", "versionId");
    if (version !== "v1")
      throw awsErrors.noSuchEntity(`Policy ${x.arn} version ${version} does not exist or is not attachable.`);
    return Promise.resolve({
      PolicyVersion: {
        Document: encodeURIComponent(x.document),
        VersionId: "v1",
        IsDefaultVersion: true,
        CreateDate: x.createDate,
      },
    });
  },
  async ListPolicies(p, deps) {
    const scope = p.get("Scope") ?? "All";
    if (!["All", "AWS", "Local"].includes(scope))
      throw constraintError([
        {
          value: scope,
          member: "scope",
          constraint: "Member must satisfy enum value set: [All, AWS, Local]",
        },
      ]);
    const onlyAttached = p.get("OnlyAttached") === "true";
    const list = allPolicies(deps)
      .filter((x) => scope === "All" || (scope === "AWS") === (x.objectName === undefined))
      .filter((x) => !onlyAttached || attachments(deps, x.arn) > 0)
      .sort((a, b) => a.name.localeCompare(b.name));
    return Promise.resolve({ Policies: list.map((x) => policyXml(deps, x)), IsTruncated: false });
  },
  async DeletePolicy(p, deps) {
    const x = policyOrFail(deps, arnParam(p));
    if (x.objectName === undefined)
      throw awsErrors.accessDenied(`Cannot delete the AWS managed policy ${x.arn}.`);
    if (attachments(deps, x.arn) > 0)
      throw awsErrors.deleteConflict("Cannot delete a policy attached to entities.");
    await deps.store.delete({ kind: "IAMPolicy", name: x.objectName });
    return undefined;
  },
};
