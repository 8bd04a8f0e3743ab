/**
 * What each kubeiam kind looks like as a CustomResourceDefinition: names, a short description,
 * printer columns, and the spec fields worth typing.
 *
 * The schemas are structural but deliberately light: kubeiam's own validators (the same ones the
 * embedded store runs, src/kinds-setup.ts) hold the rules, and `spec` keeps unknown fields
 * (`x-kubernetes-preserve-unknown-fields`), because several fields take either a mapping or JSON
 * text (policy documents) and kubeiam grows fields faster than a CRD version should change. The
 * few fields typed here are ones kubeiam also requires to have that type, so the API server never
 * refuses an object kubeiam would accept.
 */

export interface JsonSchema {
  type?: "object" | "array" | "string" | "integer" | "number" | "boolean";
  description?: string;
  properties?: Record<string, JsonSchema>;
  items?: JsonSchema;
  required?: string[];
  "x-kubernetes-preserve-unknown-fields"?: boolean;
}

export interface PrinterColumn {
  name: string;
  type: "string" | "integer" | "number" | "boolean" | "date";
  jsonPath: string;
  description?: string;
  priority?: number;
}

export interface CrdDefinition {
  kind: string;
  plural: string;
  singular: string;
  shortNames?: string[];
  description: string;
  columns: PrinterColumn[];
  /** Typed spec fields; every other field is kept as written. */
  spec: Record<string, JsonSchema>;
}

const str = (description: string): JsonSchema => ({ type: "string", description });
const strList = (description: string): JsonSchema => ({
  type: "array",
  description,
  items: { type: "string" },
});
/** A field that may be a mapping or JSON text (a policy document). */
const anyValue = (description: string): JsonSchema => ({
  description,
  "x-kubernetes-preserve-unknown-fields": true,
});
const anyMap = (description: string): JsonSchema => ({
  type: "object",
  description,
  "x-kubernetes-preserve-unknown-fields": true,
});

const AGE: PrinterColumn = { name: "Age", type: "date", jsonPath: ".metadata.creationTimestamp" };

export const CRD_DEFINITIONS: readonly CrdDefinition[] = [
  {
    kind: "OIDCProvider",
    plural: "oidcproviders",
    singular: "oidcprovider",
    description:
      "An IAM OIDC identity provider: an issuer whose tokens STS AssumeRoleWithWebIdentity accepts for the listed client IDs.",
    columns: [
      { name: "URL", type: "string", jsonPath: ".spec.url" },
      { name: "Client IDs", type: "string", jsonPath: ".spec.clientIDList" },
      AGE,
    ],
    spec: {
      url: str("The issuer URL (https, no query or fragment)."),
      clientIDList: strList("Accepted audiences (client IDs), 1 to 100."),
      thumbprintList: strList("SHA-1 thumbprints of the issuer's certificates (kept for IAM compatibility)."),
      createDate: str("When the provider was created (ISO 8601)."),
    },
  },
  {
    kind: "IAMRole",
    plural: "iamroles",
    singular: "iamrole",
    description:
      "An IAM role: a trust policy (who may assume it), permission policies, and a maximum session duration.",
    columns: [
      { name: "Path", type: "string", jsonPath: ".spec.path" },
      { name: "Max Session", type: "integer", jsonPath: ".spec.maxSessionDuration" },
      { name: "Policies", type: "string", jsonPath: ".spec.attachedPolicyArns", priority: 1 },
      { name: "Role ID", type: "string", jsonPath: ".spec.roleId", priority: 1 },
      AGE,
    ],
    spec: {
      path: str("IAM path, starting and ending with /."),
      roleId: str("The role's unique ID (AROA…)."),
      assumeRolePolicyDocument: anyValue("The trust policy, as a mapping or as JSON text."),
      description: str("Free text."),
      maxSessionDuration: { type: "integer", description: "Longest session, seconds (3600 to 43200)." },
      createDate: str("When the role was created (ISO 8601)."),
      inlinePolicies: anyMap("Inline policies by name; each a mapping or JSON text."),
      attachedPolicyArns: strList("ARNs of attached managed policies."),
    },
  },
  {
    kind: "IAMUser",
    plural: "iamusers",
    singular: "iamuser",
    description:
      "An IAM user. Access-key secrets are never stored here (kubeiam keeps them in a Secret); only their IDs and status are.",
    columns: [
      { name: "Path", type: "string", jsonPath: ".spec.path" },
      { name: "User ID", type: "string", jsonPath: ".spec.userId" },
      { name: "Policies", type: "string", jsonPath: ".spec.attachedPolicyArns", priority: 1 },
      AGE,
    ],
    spec: {
      path: str("IAM path, starting and ending with /."),
      userId: str("The user's unique ID (AIDA…)."),
      createDate: str("When the user was created (ISO 8601)."),
      inlinePolicies: anyMap("Inline policies by name; each a mapping or JSON text."),
      attachedPolicyArns: strList("ARNs of attached managed policies."),
      accessKeys: {
        type: "array",
        description: "The user's access keys: ID, status and creation date (no secrets).",
        items: {
          type: "object",
          "x-kubernetes-preserve-unknown-fields": true,
          properties: {
            accessKeyId: str("AKIA…"),
            status: str("Active or Inactive."),
            createDate: str("ISO 8601."),
          },
        },
      },
    },
  },
  {
    kind: "IAMPolicy",
    plural: "iampolicies",
    singular: "iampolicy",
    description: "A customer-managed IAM policy that roles and users attach by ARN.",
    columns: [
      { name: "Path", type: "string", jsonPath: ".spec.path" },
      { name: "Policy ID", type: "string", jsonPath: ".spec.policyId", priority: 1 },
      AGE,
    ],
    spec: {
      path: str("IAM path, starting and ending with /."),
      policyId: str("The policy's unique ID (ANPA…)."),
      document: anyValue("The policy document, as a mapping or as JSON text."),
      createDate: str("When the policy was created (ISO 8601)."),
    },
  },
  {
    kind: "AccessEntry",
    plural: "accessentries",
    singular: "accessentry",
    description:
      "An EKS access entry: maps an IAM principal to a Kubernetes username and groups (ahead of aws-auth).",
    columns: [
      { name: "Principal", type: "string", jsonPath: ".spec.principalArn" },
      { name: "Type", type: "string", jsonPath: ".spec.type" },
      { name: "Username", type: "string", jsonPath: ".spec.username", priority: 1 },
      { name: "Groups", type: "string", jsonPath: ".spec.kubernetesGroups" },
      AGE,
    ],
    spec: {
      principalArn: str("ARN of the IAM role or user."),
      type: str("STANDARD (default), EC2_LINUX, EC2_WINDOWS, FARGATE_LINUX, HYBRID_LINUX or EC2."),
      username: str("Username template (STANDARD only), e.g. dev:{{SessionName}}."),
      kubernetesGroups: strList("Kubernetes groups granted (STANDARD only)."),
    },
  },
  {
    kind: "Tenant",
    plural: "tenants",
    singular: "tenant",
    description:
      "A tenant: its namespaces, owners and the isolation rules kubeiam's admission webhooks enforce for them.",
    columns: [
      { name: "Namespaces", type: "string", jsonPath: ".spec.namespaces.names" },
      { name: "Prefix", type: "string", jsonPath: ".spec.namespaces.prefix" },
      { name: "Enforcement", type: "string", jsonPath: ".spec.enforcement.action" },
      AGE,
    ],
    spec: {},
  },
];
