/**
 * Cluster mode's state, from the config: one API client, the Kubernetes store, and the Secrets
 * holding the keys and the access-key secrets. Loaded with a dynamic import by the composition
 * root (src/server/services.ts) and the CLI (src/cli/common.ts), so embedded mode never loads the
 * Kubernetes client.
 */
import type { Config } from "../../config/resolve.js";
import type { Logger } from "../../lib/logger.js";
import { SecretAccessKeyPersistence, SecretKeyPersistence } from "../../keys/secret-persistence.js";
import { KubernetesStore, type KubernetesStoreOptions } from "../kubernetes-store.js";
import { KubeClient } from "./client.js";

export interface ClusterState {
  api: KubeClient;
  keyPersistence: SecretKeyPersistence;
  accessKeyPersistence: SecretAccessKeyPersistence;
  /** A store over the API (not started). */
  newStore(opts?: KubernetesStoreOptions): KubernetesStore;
  /** Closes the API client (stores and watches must be closed first). */
  close(): void;
}

export function openCluster(config: Config, o: { logger?: Logger | undefined } = {}): ClusterState {
  const k = config.kubernetes;
  const api = KubeClient.fromKubeconfig({ kubeconfig: k.kubeconfig, context: k.context });
  const onProblem = (message: string): void => o.logger?.warn("kubernetes watch problem", { message });
  return {
    api,
    keyPersistence: SecretKeyPersistence.inCluster(api, k.namespace, { onProblem }),
    accessKeyPersistence: SecretAccessKeyPersistence.inCluster(api, k.namespace, { onProblem }),
    newStore: (opts = {}) => new KubernetesStore(api, { resyncMs: k.resyncSeconds * 1000, ...opts }),
    close: () => api.close(),
  };
}
