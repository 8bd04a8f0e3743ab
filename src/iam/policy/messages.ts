/**
 * MalformedPolicyDocument / LimitExceeded messages, worded as IAM answers them. The spec
 * (shared/spec/irsa-sts.md) names the error codes but not these texts; they are the texts IAM is
 * widely seen to return. Where IAM's wording for a case is not known we use the closest observed
 * text (mostly the generic "Syntax errors in policy.") and say so in the error `detail`.
 */

export const SYNTAX_ERRORS = "Syntax errors in policy.";
export const LEGACY_PARSING = "The policy failed legacy parsing";
export const VENDOR_PREFIX = "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.";
export const TRUST_ACTIONS_ONLY = "AssumeRole policy may only specify STS AssumeRole actions.";
export const NO_PRINCIPAL_ALLOWED = "Policy document should not specify a principal.";
export const NEEDS_ACTIONS = "Policy statement must contain actions.";
export const NEEDS_RESOURCES = "Policy statement must contain resources.";
export const SID_NOT_UNIQUE = "Statement IDs (SID) in a single policy must be unique.";
export const SID_NOT_ALPHANUMERIC =
  "Statement IDs (SID) must be alpha-numeric. Check that your input satisfies the regular expression [0-9A-Za-z]*";

export function invalidPrincipal(type: string, value: string): string {
  return `Invalid principal in policy: "${type}":"${value}"`;
}

export function missingField(name: string): string {
  return `Missing required field ${name}`;
}

export function prohibitedField(name: string): string {
  return `Has prohibited field ${name}`;
}

export function resourceNotArn(resource: string): string {
  return `Resource ${resource} must be in ARN format or "*".`;
}

export function invalidConditionType(operator: string): string {
  return `Invalid Condition type : ${operator}`;
}

export function quotaExceeded(quota: string, limit: number): string {
  return `Cannot exceed quota for ${quota}: ${limit}`;
}
