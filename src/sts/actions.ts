/** The STS actions kubeiam serves (one file each) and their shared types. */
export {
  assumeRoleWithWebIdentity,
  decideAssumeRoleWithWebIdentity,
  webIdentityContext,
} from "./assume-role-with-web-identity.js";
export type { WebIdentityDecision, WebIdentityStage } from "./assume-role-with-web-identity.js";
export { assumeRole, principalIds } from "./assume-role.js";
export { getCallerIdentity } from "./get-caller-identity.js";
export type { StsDecisionDeps, StsDeps, StsOutcome } from "./deps.js";
