/**
 * IAM policy documents: parsePolicy (validate, with IAM's MalformedPolicyDocument wording) and
 * evaluatePolicy (explicit deny wins, with a reason for every statement and condition).
 */
export { parsePolicy, parsePolicyOrThrow, TRUST_POLICY_QUOTA } from "./parse-policy.js";
export type { ParsePolicyOptions, ParsePolicyResult } from "./parse-policy.js";
export { evaluatePolicy } from "./evaluate-policy.js";
export type * from "./types.js";
