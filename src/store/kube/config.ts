/**
 * The `kubernetes:` section of kubeiam.yaml (cluster mode):
 *
 *   mode: cluster
 *   kubernetes:
 *     kubeconfig: /etc/kubeiam/kubeconfig   # default: $KUBECONFIG, ~/.kube/config, in-cluster
 *     context: admin@prod                   # default: the kubeconfig's current-context
 *     namespace: kubeiam-system             # where kubeiam keeps its Secrets (keys, access keys)
 *     resyncSeconds: 600                    # full relist of every watched kind
 *
 * Light on purpose (zod only): the config schema imports it, and embedded mode must not load the
 * Kubernetes client.
 */
import { isAbsolute, resolve as resolvePath } from "node:path";
import { z } from "zod";

export const kubernetesConfigSchema = z.strictObject({
  kubeconfig: z.string().min(1).optional(),
  context: z.string().min(1).optional(),
  namespace: z
    .string()
    .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, { message: "a namespace name (DNS label)" })
    .max(63)
    .optional(),
  resyncSeconds: z.int().min(10).max(86_400).optional(),
});

export type KubernetesConfigFile = z.infer<typeof kubernetesConfigSchema>;

export interface KubernetesConfig {
  /** Absolute path, or undefined for the default loading rules. */
  kubeconfig: string | undefined;
  context: string | undefined;
  namespace: string;
  resyncSeconds: number;
}

export const KUBERNETES_DEFAULTS = { namespace: "kubeiam-system", resyncSeconds: 600 } as const;

/** Applies defaults; a relative kubeconfig path is taken from the config file's folder. */
export function resolveKubernetesConfig(
  raw: KubernetesConfigFile | undefined,
  fileBase: string,
): KubernetesConfig {
  const kc = raw?.kubeconfig;
  return {
    kubeconfig: kc === undefined ? undefined : isAbsolute(kc) ? kc : resolvePath(fileBase, kc),
    context: raw?.context,
    namespace: raw?.namespace ?? KUBERNETES_DEFAULTS.namespace,
    resyncSeconds: raw?.resyncSeconds ?? KUBERNETES_DEFAULTS.resyncSeconds,
  };
}
