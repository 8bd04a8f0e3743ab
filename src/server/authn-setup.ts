/**
 * Builds the token authentication chain from the config: service-account tokens (kubeiam's issuer
 * and configured external issuers), OIDC issuers, and IAM tokens (STS replay to AWS, or answered
 * by kubeiam's own STS), in the configured order, behind the verified-token cache.
 */
import { readFileSync } from "node:fs";
import { dirname } from "node:path";
import type { Agent } from "undici";
import type { Config } from "../config/resolve.js";
import type { Clock } from "../lib/clock.js";
import type { KubeObject } from "../store/types.js";
import type { ObjectCache } from "../store/cache.js";
import type { KeyManager } from "../keys/manager.js";
import type { AwsService } from "../sts/service.js";
import { AUTHENTICATION_DEFAULTS, oidcSpecFromConfig } from "../authn/config.js";
import { cachedAuthenticator, orderedChain, type CachedAuthenticator } from "../authn/chain.js";
import type { Authenticator, KeySource } from "../authn/types.js";
import { ServiceAccountAuthenticator } from "../authn/service-account/authenticate-service-account.js";
import { combinedKeySource, keyRingKeySource, publicKeysFromPem, staticKeySource } from "../authn/service-account/key-sources.js";
import { RemoteJwks } from "../authn/jwks-cache.js";
import { createOidcAuthenticator, type OidcChain } from "../authn/oidc/authenticate-oidc.js";
import { iamTokenAuthenticator, type StsReplayer } from "../authn/iam-token/authenticator.js";
import { STS_MAX_BODY_BYTES, STS_TIMEOUT_MS, type StsReply } from "../authn/iam-token/sts-response.js";
import { parseAwsAuthConfigMap, type AwsAuthMappings } from "../authn/mapping/aws-auth.js";
import { parseAccessEntry, type AccessEntry } from "../authn/mapping/access-entry.js";

export interface AuthnSetup {
  chain: CachedAuthenticator;
  oidc: OidcChain | undefined;
  close(): Promise<void>;
}

/** Replays the presigned URL to AWS STS: 10 s timeout, redirects not followed, body limit. */
export function networkReplayer(): StsReplayer {
  let agent: Agent | undefined; // undici is loaded on the first replay, not at start-up
  return async (url, headers) => {
    try {
      const { Agent, request } = await import("undici");
      agent ??= new Agent({ connect: { timeout: STS_TIMEOUT_MS } });
      const r = await request(url, { method: "GET", headers, dispatcher: agent, headersTimeout: STS_TIMEOUT_MS, bodyTimeout: STS_TIMEOUT_MS, maxRedirections: 0 } as Parameters<typeof request>[1]);
      let size = 0;
      const chunks: Buffer[] = [];
      for await (const c of r.body) {
        size += (c as Buffer).length;
        if (size > STS_MAX_BODY_BYTES) return { kind: "read-error", message: `response larger than ${STS_MAX_BODY_BYTES} bytes` } satisfies StsReply;
        chunks.push(c as Buffer);
      }
      return { kind: "response", status: r.statusCode, body: Buffer.concat(chunks).toString("utf8") };
    } catch (e) {
      return { kind: "transport-error", message: (e instanceof Error ? e.message : String(e)).replace(/https?:\/\/\S+/g, "<sts>") };
    }
  };
}

/** Answers the presigned URL with kubeiam's own STS, in-process (`authentication.iam.sts: self`). */
export function selfReplayer(aws: AwsService): StsReplayer {
  return async (url, headers) => {
    const r = await aws.handle({ method: "GET", path: url.pathname, rawQuery: url.search.replace(/^\?/, ""), headers: { host: url.host, ...headers }, body: "", contentType: undefined, accept: headers.accept });
    return { kind: "response", status: r.status, body: r.body };
  };
}

/**
 * Parsed mapping sources, re-parsed only when an AccessEntry or ConfigMap changes (not on every
 * change in the store: parsing a large aws-auth costs far more than a token review).
 */
function mappingSources(cache: ObjectCache): { get: () => { accessEntries: AccessEntry[]; awsAuth: AwsAuthMappings | undefined }; stop: () => void } {
  let dirty = true;
  let value: { accessEntries: AccessEntry[]; awsAuth: AwsAuthMappings | undefined } = { accessEntries: [], awsAuth: undefined };
  const stop = cache.onChange(["AccessEntry", "ConfigMap"], () => (dirty = true));
  const get = (): typeof value => {
    if (dirty) {
      dirty = false;
      const cm = cache.get({ kind: "ConfigMap", namespace: "kube-system", name: "aws-auth" });
      const entries: AccessEntry[] = [];
      for (const o of cache.list("AccessEntry")) {
        const r = parseAccessEntry(o);
        if (r.ok) entries.push(r.entry);
      }
      value = { accessEntries: entries, awsAuth: cm ? parseAwsAuthConfigMap(cm) : undefined };
    }
    return value;
  };
  return { get, stop };
}

export async function setupAuthentication(o: { config: Config; cache: ObjectCache; keys: KeyManager; aws: AwsService; clock: Clock }): Promise<AuthnSetup> {
  const a = o.config.raw.authentication ?? {};
  const baseDir = o.config.file ? dirname(o.config.file) : process.cwd();
  const saCfg = a.serviceAccount ?? {};
  const apiAudiences = saCfg.apiAudiences ?? o.config.issuer.audiences;
  const saKeySources: KeySource[] = [keyRingKeySource({ verificationKeys: () => o.keys.verificationKeys() })];
  for (const f of saCfg.publicKeyFiles ?? []) {
    const path = f.startsWith("/") ? f : `${baseDir}/${f}`;
    saKeySources.push(staticKeySource(publicKeysFromPem(readFileSync(path, "utf8"), path)));
  }
  if (saCfg.externalJwksUri) {
    const issuer = saCfg.issuers?.[0] ?? saCfg.externalJwksUri;
    const ca = saCfg.externalJwksCAFile ? readFileSync(saCfg.externalJwksCAFile.startsWith("/") ? saCfg.externalJwksCAFile : `${baseDir}/${saCfg.externalJwksCAFile}`, "utf8") : undefined;
    saKeySources.push(new RemoteJwks({ issuer, jwksUri: saCfg.externalJwksUri, ca, clock: o.clock }));
  }
  const lookup = { get: (k: Parameters<ObjectCache["get"]>[0]): KubeObject | undefined => o.cache.get(k) };
  const serviceAccount = new ServiceAccountAuthenticator({
    issuers: [o.config.issuer.url, ...(saCfg.issuers ?? [])],
    apiAudiences,
    keys: combinedKeySource(saKeySources),
    lookup,
    legacy: saCfg.legacyTokens ?? true,
    legacyLookup: saCfg.lookup ?? true,
  });
  let oidc: OidcChain | undefined;
  if (a.oidc && a.oidc.length > 0) {
    const compiled = a.oidc.map((x) => oidcSpecFromConfig(x, baseDir));
    oidc = createOidcAuthenticator(compiled.map((c) => c.spec), apiAudiences, { clock: o.clock, disallowedIssuers: [o.config.issuer.url], ...(compiled[0]?.algorithms ? { algorithms: compiled[0].algorithms } : {}) });
    await oidc.start();
  }
  const iamCfg = { sts: a.iam?.sts ?? AUTHENTICATION_DEFAULTS.iam.sts, clusterID: a.iam?.clusterID ?? AUTHENTICATION_DEFAULTS.iam.clusterID, partition: a.iam?.partition };
  const extraHosts = iamCfg.sts === "self" ? [`${o.config.listen.host}:${o.config.listen.port}`, `localhost:${o.config.listen.port}`, new URL(o.config.issuer.url).host] : [];
  const mappings = mappingSources(o.cache);
  const iam: Authenticator = iamTokenAuthenticator({
    clusterID: iamCfg.clusterID,
    partition: iamCfg.partition,
    extraHosts,
    replay: iamCfg.sts === "self" ? selfReplayer(o.aws) : networkReplayer(),
    mappings: mappings.get,
  });
  const order = a.order ?? AUTHENTICATION_DEFAULTS.order;
  const chain = orderedChain("tokenreview", order, { serviceAccount, oidc, iam });
  const cached = cachedAuthenticator(chain, { ttlSeconds: a.cacheTTLSeconds ?? AUTHENTICATION_DEFAULTS.cacheTTLSeconds, maxEntries: a.cacheMaxEntries ?? AUTHENTICATION_DEFAULTS.cacheMaxEntries });
  return {
    chain: cached,
    oidc,
    close: async () => {
      mappings.stop();
      await oidc?.close();
    },
  };
}
