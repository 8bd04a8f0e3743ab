/**
 * Composition root: config → store → cache → keys → services → routes → one HTTPS listener.
 * Capabilities register their routes here; nothing else wires dependencies.
 */
import type { Config } from "../config/resolve.js";
import { ensureStateDir } from "./state-dir.js";
import type { Clock } from "../lib/clock.js";
import { createLogger, type Logger } from "../lib/logger.js";
import type { LoadProblem, ObjectStore } from "../store/types.js";
import { ensureTls, type TlsMaterial } from "../keys/tls.js";
import { ensureAdminToken } from "./admin-token.js";
import { DecisionLog } from "./decision-log.js";
import { listenHttps, type ListeningServer } from "./https-server.js";
import { Metrics } from "./metrics.js";
import { Router } from "./router.js";
import { registerCoreRoutes } from "./routes/core.js";
import { registerIssuerRoutes } from "./routes/issuer.js";
import { openServices } from "./services.js";
import { registerTenancyRoutes } from "./routes/tenancy.js";
import { registerPodIdentityRoutes } from "./routes/pod-identity.js";
import { registerRbacApiRoutes } from "../rbac/http-api.js";
import type { ObjectCache } from "../store/cache.js";
import type { KeyManager } from "../keys/manager.js";
import type { AccessKeyStore } from "../iam/access-keys.js";
import type { AwsService } from "../sts/service.js";
import type { AuthnSetup } from "./authn-setup.js";
import { registerAwsRoutes } from "./routes/aws.js";
import { registerAuthnRoutes } from "./routes/authn.js";
import { registerAuthzRoutes } from "./routes/authz.js";
import type { RbacIndex } from "../rbac/rbac-index.js";
import type { StoredAccessKey } from "../iam/access-keys.js";

export { ensureStateDir };

export interface App {
  config: Config;
  clock: Clock;
  logger: Logger;
  store: ObjectStore;
  cache: ObjectCache;
  keys: KeyManager;
  tls: TlsMaterial;
  decisions: DecisionLog;
  metrics: Metrics;
  router: Router;
  adminToken: string;
  accessKeys: AccessKeyStore;
  adminAccessKey: StoredAccessKey;
  aws: AwsService;
  authn: AuthnSetup;
  rbac: RbacIndex;
  loadProblems: LoadProblem[];
  /** Set once listening. */
  listener?: ListeningServer;
  ready: boolean;
  close(): Promise<void>;
}

export interface AppOptions {
  clock: Clock;
  logger?: Logger;
  /** Use this store instead of the one the config names (tests, cluster mode). */
  store?: ObjectStore;
}

/** Opens state and wires every service, without listening. */
export async function buildApp(config: Config, opts: AppOptions): Promise<App> {
  const logger = opts.logger ?? createLogger(config.logLevel);
  await ensureStateDir(config.stateDir);
  const svc = await openServices(config, { clock: opts.clock, logger, store: opts.store, watch: true });
  const { store, cache, keys, accessKeys, adminAccessKey, aws, authn } = svc;
  const metrics = new Metrics();
  metrics.objects.set(cache.count());
  cache.onChange("*", () => metrics.objects.set(cache.count()));
  const tlsOpts: { certFile?: string; keyFile?: string; names: string[]; now: number } = { names: [...config.tls.names, config.listen.host, new URL(config.issuer.url).hostname.replace(/^\[|\]$/g, "")], now: opts.clock.now() };
  if (config.tls.certFile) tlsOpts.certFile = config.tls.certFile;
  if (config.tls.keyFile) tlsOpts.keyFile = config.tls.keyFile;
  const tls = await ensureTls(config.stateDir, tlsOpts);
  const adminToken = await ensureAdminToken(config.stateDir);
  const decisions = new DecisionLog(config.decisionRingSize, opts.clock, logger, (kind, allowed) => metrics.decisions.inc({ kind, allowed: allowed ? "true" : "false" }));
  const router = new Router();
  const app: App = {
    config,
    clock: opts.clock,
    logger,
    store,
    cache,
    keys,
    tls,
    decisions,
    metrics,
    router,
    adminToken,
    accessKeys,
    adminAccessKey,
    aws,
    authn,
    rbac: svc.rbac,
    loadProblems: svc.loadProblems,
    ready: false,
    close: async () => {
      app.ready = false;
      await app.listener?.close();
      await svc.close();
    },
  };
  registerCoreRoutes(app);
  registerIssuerRoutes(app);
  registerAwsRoutes(app, aws);
  registerAuthnRoutes(app, authn.chain);
  registerAuthzRoutes(app, svc.rbac);
  registerRbacApiRoutes(app);
  registerTenancyRoutes(app);
  registerPodIdentityRoutes(app);
  return app;
}

/** Builds the app and starts the listener; ready once the store is loaded and keys exist. */
export async function startApp(config: Config, opts: AppOptions): Promise<App> {
  const app = await buildApp(config, opts);
  try {
    app.listener = await listenHttps({ host: config.listen.host, port: config.listen.port, cert: app.tls.cert, key: app.tls.key, router: app.router, logger: app.logger, metrics: app.metrics });
  } catch (e) {
    await app.close();
    throw e;
  }
  app.ready = true;
  return app;
}
