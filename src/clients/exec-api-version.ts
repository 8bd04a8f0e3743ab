/**
 * Which `client.authentication.k8s.io` version an exec credential plugin answers with, read from
 * the KUBERNETES_EXEC_INFO variable kubectl sets — the rules `aws eks get-token` follows, with its
 * stderr notes word for word (a user who switches from the aws CLI sees the same messages).
 */

export const EXEC_API_V1 = "client.authentication.k8s.io/v1";
export const EXEC_API_V1BETA1 = "client.authentication.k8s.io/v1beta1";
export const EXEC_API_V1ALPHA1 = "client.authentication.k8s.io/v1alpha1";

const SUPPORTED: readonly string[] = [EXEC_API_V1, EXEC_API_V1BETA1];
const DEPRECATED: readonly string[] = [EXEC_API_V1ALPHA1];
const FALLBACK = EXEC_API_V1BETA1;

export interface ExecApiVersion {
  apiVersion: string;
  /** A note for stderr (deprecated, unknown or unparsable input); never contains the variable's value. */
  warning?: string;
}

/** `raw` is the variable's value (undefined when unset). Pure. */
export function execApiVersion(raw: string | undefined): ExecApiVersion {
  if (raw === undefined || raw === "") return { apiVersion: FALLBACK };
  let info: unknown;
  try {
    info = JSON.parse(raw);
  } catch {
    return {
      apiVersion: FALLBACK,
      warning: `Error parsing KUBERNETES_EXEC_INFO, defaulting to ${FALLBACK}. This is likely a bug in your Kubernetes client. Please update your Kubernetes client.`,
    };
  }
  const v =
    info !== null && typeof info === "object" && !Array.isArray(info)
      ? (info as Record<string, unknown>).apiVersion
      : undefined;
  if (typeof v === "string" && SUPPORTED.includes(v)) return { apiVersion: v };
  if (typeof v === "string" && DEPRECATED.includes(v)) {
    return {
      apiVersion: v,
      warning: `Kubeconfig user entry is using deprecated API version ${v}. Run 'aws eks update-kubeconfig' to update.`,
    };
  }
  return {
    apiVersion: FALLBACK,
    warning: `Unrecognized API version in KUBERNETES_EXEC_INFO, defaulting to ${FALLBACK}. This is likely due to an outdated AWS CLI. Please update your AWS CLI.`,
  };
}
