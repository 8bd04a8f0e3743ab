/**
 * Creates a service-account token from the store's objects (the service behind `kubeiam token create`
 * and the TokenRequest endpoint): looks up the service account and pod, applies defaults, mints.
 */
import { KubeiamError } from "../lib/errors.js";
import type { ObjectCache } from "../store/cache.js";
import { DEFAULT_TOKEN_SECONDS, mintServiceAccountToken, type MintedToken, type SigningKey } from "./mint-token.js";

export interface CreateTokenDeps {
  cache: Pick<ObjectCache, "get">;
  key: SigningKey;
  issuer: string;
  apiAudiences: readonly string[];
  maxExpirationSeconds: number;
  now: number;
}

export interface CreateTokenRequest {
  namespace: string;
  serviceAccount: string;
  audiences?: readonly string[] | undefined;
  expirationSeconds?: number | undefined;
  boundPod?: { name: string; uid?: string | undefined } | undefined;
}

export function createServiceAccountToken(deps: CreateTokenDeps, req: CreateTokenRequest): MintedToken {
  const sa = deps.cache.get({ kind: "ServiceAccount", namespace: req.namespace, name: req.serviceAccount });
  if (!sa) {
    throw new KubeiamError("TOKEN_SERVICE_ACCOUNT_NOT_FOUND", `serviceaccounts "${req.serviceAccount}" not found in namespace "${req.namespace}"; create it first (a ServiceAccount object in the store)`, { namespace: req.namespace, name: req.serviceAccount });
  }
  let pod;
  if (req.boundPod) {
    pod = deps.cache.get({ kind: "Pod", namespace: req.namespace, name: req.boundPod.name });
    if (!pod) {
      throw new KubeiamError("TOKEN_POD_NOT_FOUND", `pods "${req.boundPod.name}" not found in namespace "${req.namespace}"`, { namespace: req.namespace, name: req.boundPod.name });
    }
    if (req.boundPod.uid !== undefined && req.boundPod.uid !== pod.metadata.uid) {
      throw new KubeiamError("STORE_CONFLICT", `the UID in the bound object reference (${req.boundPod.uid}) does not match the UID in record. The object might have been deleted and then recreated`);
    }
  }
  return mintServiceAccountToken({
    issuer: deps.issuer,
    key: deps.key,
    now: deps.now,
    serviceAccount: sa,
    pod,
    audiences: req.audiences && req.audiences.length > 0 ? req.audiences : deps.apiAudiences,
    expirationSeconds: req.expirationSeconds ?? DEFAULT_TOKEN_SECONDS,
    maxExpirationSeconds: deps.maxExpirationSeconds,
  });
}
