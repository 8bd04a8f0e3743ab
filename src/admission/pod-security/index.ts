/** Pod Security Standards engine (k8s.io/pod-security-admission behaviour, every policy version). */
export { evaluatePodSecurity } from "./evaluate.js";
export type { PodMetaLike, PodSecurityInput, PodSecurityResult, PodSecurityViolation } from "./evaluate.js";
export { extractPodSpec, isPodSecurityKind, POD_SECURITY_KINDS } from "./extract-pod-spec.js";
export type { ExtractedPodSpec, PodSecurityKind } from "./extract-pod-spec.js";
export { parseNamespacePolicy, DEFAULT_NAMESPACE_POLICY, LABEL_PREFIX } from "./namespace-policy.js";
export type {
  LabelError,
  LevelVersion,
  NamespacePolicy,
  NamespacePolicyResult,
  PolicyMode,
} from "./namespace-policy.js";
export {
  NEWEST_POLICY_MINOR,
  POD_SECURITY_LEVELS,
  compareLevels,
  effectiveMinor,
  formatLevelVersion,
  formatVersion,
  isPodSecurityLevel,
  parseLevel,
  parseVersion,
  tryParseVersion,
} from "./level-version.js";
export type { PodSecurityLevel, PolicyVersion } from "./level-version.js";
export {
  aggregateViolations,
  forbiddenPodMessage,
  violatesMessage,
  wouldViolateMessage,
} from "./messages.js";
export { CHECK_CATALOGUE, checksFor } from "./registry.js";
export type { CheckId, BaselineCheckId, RestrictedCheckId } from "./check-types.js";
