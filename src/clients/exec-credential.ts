/**
 * The ExecCredential object an exec credential plugin prints for kubectl: kind, apiVersion, an
 * empty spec and a status with the bearer token and its expiry, keys in the order `aws eks
 * get-token` and aws-iam-authenticator write them.
 */

export interface ExecCredential {
  kind: "ExecCredential";
  apiVersion: string;
  spec: Record<string, never>;
  status: { expirationTimestamp: string; token: string };
}

/** RFC 3339 in UTC with whole seconds ("2019-10-23T23:14:00Z"), as client-go expects. */
export function rfc3339Seconds(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace(/\.\d{3}Z$/, "Z");
}

export function execCredential(apiVersion: string, token: string, expiresAtMs: number): ExecCredential {
  return {
    kind: "ExecCredential",
    apiVersion,
    spec: {},
    status: { expirationTimestamp: rfc3339Seconds(expiresAtMs), token },
  };
}
