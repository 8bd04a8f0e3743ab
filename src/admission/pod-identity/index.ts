/** Pod identity (IRSA) mutating webhook, compatible with aws/amazon-eks-pod-identity-webhook. */
export {
  mutatePodForIdentity,
  serviceAccountNameOf,
  ENV_DEFAULT_REGION,
  ENV_REGION,
  ENV_ROLE_ARN,
  ENV_STS_REGIONAL_ENDPOINTS,
  ENV_TOKEN_FILE,
} from "./mutate-pod.js";
export type { PodIdentityInput, PodIdentityResult } from "./mutate-pod.js";
export { reviewPodIdentity } from "./review-pod.js";
export type { PodIdentityReviewOptions, PodIdentityReviewOutcome } from "./review-pod.js";
export { readServiceAccountIdentity } from "./read-service-account.js";
export type { ServiceAccountIdentity } from "./read-service-account.js";
export {
  DEFAULT_POD_IDENTITY_CONFIG,
  TOKEN_FILE_NAME,
  TOKEN_VOLUME_NAME,
  partitionOfRegion,
  podIdentityConfig,
} from "./config.js";
export type { PodIdentityConfig } from "./config.js";
export * as annotations from "./annotations.js";
