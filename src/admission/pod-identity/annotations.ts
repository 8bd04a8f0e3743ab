/** Annotation names the webhook reads (`<prefix>/<name>`; prefix `eks.amazonaws.com` by default). */

/** On the ServiceAccount. */
export const ROLE_ARN = "role-arn";
export const AUDIENCE = "audience";
export const STS_REGIONAL_ENDPOINTS = "sts-regional-endpoints";
/** On the ServiceAccount and on the Pod (the Pod wins). */
export const TOKEN_EXPIRATION = "token-expiration";
/** On the Pod. */
export const SKIP_CONTAINERS = "skip-containers";

export function annotationKey(prefix: string, name: string): string {
  return `${prefix}/${name}`;
}
