/**
 * The capability services over one state directory, without any listener: the same objects answer
 * the server and the offline CLI commands (`authn review`, `rbac can-i`, `sts explain`, …), so the
 * two can never disagree.
 */
import type { Config } from "../config/resolve.js";
import type { Clock } from "../lib/clock.js";
import type { Logger } from "../lib/logger.js";
import { ObjectCache } from "../store/cache.js";
import { DirectoryStore } from "../store/directory-store.js";
import type { LoadProblem, ObjectStore } from "../store/types.js";
import { FileKeyPersistence, KeyManager } from "../keys/manager.js";
import { openSharedKeyManager, retryOnConflict } from "../keys/secret-persistence.js";
import type { ClusterState } from "../store/kube/open.js";
import "../kinds-setup.js";
import { AccessKeyStore, type StoredAccessKey } from "../iam/access-keys.js";
import { ensureAdminUser } from "../iam/bootstrap.js";
import { createPolicyPort } from "../iam/policy-port.js";
import { AwsService } from "../sts/service.js";
import { createKeyResolver } from "../sts/key-resolver.js";
import type { RbacIndex } from "../rbac/rbac-index.js";
import { buildRbacIndex } from "./rbac-setup.js";
import { setupAuthentication, type AuthnSetup } from "./authn-setup.js";

export interface Services {
  store: ObjectStore;
  cache: ObjectCache;
  keys: KeyManager;
  accessKeys: AccessKeyStore;
  adminAccessKey: StoredAccessKey;
  aws: AwsService;
  rbac: RbacIndex;
  authn: AuthnSetup;
  loadProblems: LoadProblem[];
  close(): Promise<void>;
}

export interface ServicesOptions {
  clock: Clock;
  logger?: Logger | undefined;
  store?: ObjectStore | undefined;
  /** Follow changes made by other processes (server: yes; one-shot CLI commands: no). */
  watch: boolean;
}

export async function openServices(config: Config, o: ServicesOptions): Promise<Services> {
  // Cluster mode: objects in the Kubernetes API, keys and access-key secrets in Secrets.
  const cluster = config.mode === "cluster" ? (await import("../store/kube/open.js")).openCluster(config, { logger: o.logger }) : undefined;
  try {
    return await openServicesWith(config, o, cluster);
  } catch (e) {
    cluster?.close();
    throw e;
  }
}

async function openServicesWith(config: Config, o: ServicesOptions, cluster: ClusterState | undefined): Promise<Services> {
  const store = o.store ?? cluster?.newStore({ follow: o.watch }) ?? new DirectoryStore(config.objectsDir, { clock: o.clock, watch: o.watch });
  const loaded = await store.start();
  for (const p of loaded.problems) o.logger?.warn("object skipped", { ...p });
  const cache = new ObjectCache(store);
  cache.start((p) => o.logger?.warn("object skipped", { ...p }));
  const keyOpts = { algorithm: config.keys.algorithm, retentionSeconds: config.keys.retentionSeconds, clock: o.clock };
  const keys = cluster ? await openSharedKeyManager(cluster.keyPersistence, keyOpts) : await KeyManager.open(new FileKeyPersistence(config.stateDir), keyOpts);
  if (o.watch) keys.watch();
  const accessKeys = new AccessKeyStore(cluster?.accessKeyPersistence ?? config.stateDir);
  const adminAccessKey = await retryOnConflict(() => ensureAdminUser({ store, cache, accessKeys, account: config.account, now: o.clock.now() }));
  if (o.watch) accessKeys.watch();
  const aws = new AwsService({
    account: config.account,
    region: config.region,
    partition: "aws",
    cache,
    store,
    accessKeys,
    policy: createPolicyPort(),
    resolveKey: createKeyResolver({ issuerUrl: config.issuer.url, keys, clock: o.clock, caFile: config.sts.webIdentityCaFile, timeoutMs: config.sts.jwksTimeoutMs }),
    sealing: () => keys.sealingKeys(),
    now: () => o.clock.now(),
    webIdentitySkewSeconds: config.sts.webIdentitySkewSeconds,
  });
  const rbac = buildRbacIndex(cache, { bootstrap: config.mode === "embedded" });
  const authn = await setupAuthentication({ config, cache, keys, aws, clock: o.clock });
  return {
    store,
    cache,
    keys,
    accessKeys,
    adminAccessKey,
    aws,
    rbac: rbac.index,
    authn,
    loadProblems: loaded.problems,
    close: async () => {
      keys.close();
      accessKeys.close();
      await authn.close();
      rbac.stop();
      cache.stop();
      await store.close();
      cluster?.close();
    },
  };
}
