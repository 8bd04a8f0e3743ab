/**
 * The identity every service-account token produces (k8s.io/apiserver
 * pkg/authentication/serviceaccount/util.go): username `system:serviceaccount:<ns>:<name>`, the SA
 * uid, groups `system:serviceaccounts` and `system:serviceaccounts:<ns>`, and extra keys only when
 * their values are known.
 */
import type { AuthnUser } from "../types.js";

export const SERVICE_ACCOUNT_USERNAME_PREFIX = "system:serviceaccount:";
export const ALL_SERVICE_ACCOUNTS_GROUP = "system:serviceaccounts";
export const POD_NAME_KEY = "authentication.kubernetes.io/pod-name";
export const POD_UID_KEY = "authentication.kubernetes.io/pod-uid";
export const NODE_NAME_KEY = "authentication.kubernetes.io/node-name";
export const NODE_UID_KEY = "authentication.kubernetes.io/node-uid";
export const CREDENTIAL_ID_KEY = "authentication.kubernetes.io/credential-id";

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

export function isValidNamespaceName(s: string): boolean {
  return s.length <= 63 && DNS1123_LABEL.test(s);
}

export function isValidServiceAccountName(s: string): boolean {
  return s.length <= 253 && DNS1123_SUBDOMAIN.test(s);
}

export function makeServiceAccountUsername(namespace: string, name: string): string {
  return `${SERVICE_ACCOUNT_USERNAME_PREFIX}${namespace}:${name}`;
}

export const INVALID_USERNAME_MESSAGE = "Username must be in the form system:serviceaccount:namespace:name";

/** SplitUsername: namespace and name, or an error with kube's message. */
export function splitServiceAccountUsername(username: string): { ok: true; namespace: string; name: string } | { ok: false; message: string } {
  if (!username.startsWith(SERVICE_ACCOUNT_USERNAME_PREFIX)) return { ok: false, message: INVALID_USERNAME_MESSAGE };
  const parts = username.slice(SERVICE_ACCOUNT_USERNAME_PREFIX.length).split(":");
  if (parts.length !== 2) return { ok: false, message: INVALID_USERNAME_MESSAGE };
  const [namespace, name] = parts as [string, string];
  if (!isValidNamespaceName(namespace) || !isValidServiceAccountName(name)) return { ok: false, message: INVALID_USERNAME_MESSAGE };
  return { ok: true, namespace, name };
}

export interface ServiceAccountInfo {
  namespace: string;
  name: string;
  uid: string;
  podName?: string;
  podUID?: string;
  nodeName?: string;
  nodeUID?: string;
  credentialID?: string;
}

export function serviceAccountGroups(namespace: string): string[] {
  return [ALL_SERVICE_ACCOUNTS_GROUP, `${ALL_SERVICE_ACCOUNTS_GROUP}:${namespace}`];
}

export function serviceAccountUser(sa: ServiceAccountInfo): AuthnUser {
  const user: AuthnUser = { username: makeServiceAccountUsername(sa.namespace, sa.name), groups: serviceAccountGroups(sa.namespace) };
  if (sa.uid) user.uid = sa.uid;
  const extra: Record<string, string[]> = {};
  if (sa.podName && sa.podUID) {
    extra[POD_NAME_KEY] = [sa.podName];
    extra[POD_UID_KEY] = [sa.podUID];
  }
  if (sa.credentialID) extra[CREDENTIAL_ID_KEY] = [sa.credentialID];
  if (sa.nodeName) {
    extra[NODE_NAME_KEY] = [sa.nodeName];
    if (sa.nodeUID) extra[NODE_UID_KEY] = [sa.nodeUID];
  }
  if (Object.keys(extra).length > 0) user.extra = extra;
  return user;
}
