/** Options every state-reading command shares, and opening state offline. */
import { Command, Option } from "commander";
import "../kinds-setup.js";
import { loadConfig } from "../config/load.js";
import type { Config } from "../config/resolve.js";
import { systemClock, type Clock } from "../lib/clock.js";
import { ObjectCache } from "../store/cache.js";
import { DirectoryStore } from "../store/directory-store.js";
import { FileKeyPersistence, KeyManager } from "../keys/manager.js";
import { openSharedKeyManager } from "../keys/secret-persistence.js";
import { AccessKeyStore } from "../iam/access-keys.js";
import type { LoadProblem } from "../store/types.js";
import { ensureStateDir } from "../server/state-dir.js";

export interface StateFlags {
  config?: string;
  stateDir?: string;
  objects?: string;
}

/** Adds --config, --state-dir and --objects, so every command works offline on the server's folder. */
export function withStateOptions(cmd: Command): Command {
  return cmd
    .option("--config <file>", "kubeiam.yaml to read (default ./kubeiam.yaml when present)")
    .option("--state-dir <dir>", "state directory (default .kubeiam)")
    .option("--objects <dir>", "object directory (default <state-dir>/objects)");
}

export function outputOption(formats = ["text", "json"]): Option {
  return new Option("-o, --output <format>", `output format: ${formats.join("|")}`).default("text");
}

export function configFrom(flags: StateFlags & { listen?: string }): Config {
  return loadConfig(flags.config, { stateDir: flags.stateDir, objects: flags.objects, listen: flags.listen });
}

export interface OfflineState {
  config: Config;
  cache: ObjectCache;
  problems: LoadProblem[];
  close(): Promise<void>;
}

/** Loads the object directory (cluster mode: the Kubernetes API) once, no watch, for a command that answers offline. */
export async function openObjects(config: Config): Promise<OfflineState> {
  await ensureStateDir(config.stateDir);
  if (config.mode === "cluster") {
    const cluster = (await import("../store/kube/open.js")).openCluster(config);
    const store = cluster.newStore({ follow: false });
    try {
      const { problems } = await store.start();
      const cache = new ObjectCache(store);
      cache.start();
      return { config, cache, problems, close: async () => { await store.close(); cluster.close(); } };
    } catch (e) {
      cluster.close();
      throw e;
    }
  }
  const store = new DirectoryStore(config.objectsDir, { watch: false });
  const { problems } = await store.start();
  const cache = new ObjectCache(store);
  cache.start();
  return { config, cache, problems, close: () => store.close() };
}

/** The key ring: <state-dir>/keys, or in cluster mode the kubeiam-keys Secret. */
export async function openKeys(config: Config, clock: Clock = systemClock): Promise<KeyManager> {
  await ensureStateDir(config.stateDir);
  const opts = { algorithm: config.keys.algorithm, retentionSeconds: config.keys.retentionSeconds, clock };
  if (config.mode === "cluster") {
    // The client holds no open connection once the keys are read: nothing to close here.
    const cluster = (await import("../store/kube/open.js")).openCluster(config);
    return openSharedKeyManager(cluster.keyPersistence, opts);
  }
  return KeyManager.open(new FileKeyPersistence(config.stateDir), opts);
}

/** The access-key secrets: <state-dir>/iam/access-keys.json, or in cluster mode the kubeiam-access-keys Secret. */
export async function openAccessKeys(config: Config): Promise<AccessKeyStore> {
  if (config.mode === "cluster") return new AccessKeyStore((await import("../store/kube/open.js")).openCluster(config).accessKeyPersistence);
  return new AccessKeyStore(config.stateDir);
}

export function collect(value: string, prev: string[] = []): string[] {
  return [...prev, value];
}
