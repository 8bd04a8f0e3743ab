/**
 * Applies defaults and command-line overrides to a parsed config file.
 */
import { isAbsolute, resolve as resolvePath } from "node:path";
import { KubeiamError } from "../lib/errors.js";
import type { ConfigFile } from "./schema.js";
import { resolveKubernetesConfig, type KubernetesConfig } from "../store/kube/config.js";

export interface Config {
  /** Path of the file read, or undefined when none was given and none was found. */
  file: string | undefined;
  raw: ConfigFile;
  account: string;
  region: string;
  mode: "embedded" | "cluster";
  stateDir: string;
  objectsDir: string;
  listen: { host: string; port: number };
  issuer: { url: string; audiences: string[]; maxTokenExpirationSeconds: number };
  keys: { algorithm: "RS256" | "ES256"; retentionSeconds: number };
  tls: { certFile?: string; keyFile?: string; names: string[] };
  logLevel: "debug" | "info" | "warn" | "error";
  decisionRingSize: number;
  explainDenials: boolean;
  sts: { webIdentityCaFile: string | undefined; webIdentitySkewSeconds: number; jwksTimeoutMs: number };
  /** Cluster mode: the Kubernetes API and kubeiam's namespace (defaults apply in every mode). */
  kubernetes: KubernetesConfig;
}

export interface Overrides {
  stateDir?: string | undefined;
  objects?: string | undefined;
  listen?: string | undefined;
}

export const DEFAULTS = {
  account: "000000000000",
  region: "us-east-1",
  stateDir: ".kubeiam",
  listen: "127.0.0.1:8443",
  maxTokenExpirationSeconds: 172_800,
  decisionRingSize: 1000,
} as const;

export function parseListen(v: string, what: string): { host: string; port: number } {
  const m = /^(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/.exec(v);
  const port = m ? Number(m[2]) : NaN;
  if (!m || port > 65535) {
    throw new KubeiamError("USAGE", `${what}: expected HOST:PORT (e.g. 127.0.0.1:8443), found "${v}"`);
  }
  const host = m[1]!.startsWith("[") ? m[1]!.slice(1, -1) : m[1]!;
  return { host, port };
}

function hostForUrl(host: string): string {
  if (host === "0.0.0.0" || host === "::") return "127.0.0.1";
  return host.includes(":") ? `[${host}]` : host;
}

export function resolveConfig(raw: ConfigFile, file: string | undefined, o: Overrides, cwd = process.cwd()): Config {
  const abs = (p: string, base: string): string => (isAbsolute(p) ? p : resolvePath(base, p));
  // Paths inside the config file are relative to the file's folder; flags are relative to cwd.
  const fileBase = file ? resolvePath(file, "..") : cwd;
  const stateDir = o.stateDir ? abs(o.stateDir, cwd) : abs(raw.stateDir ?? DEFAULTS.stateDir, fileBase);
  const objectsDir = o.objects ? abs(o.objects, cwd) : raw.objects ? abs(raw.objects, fileBase) : resolvePath(stateDir, "objects");
  const listen = parseListen(o.listen ?? raw.listen ?? DEFAULTS.listen, o.listen ? "--listen" : "listen");
  const issuerUrl = (raw.issuer?.url ?? `https://${hostForUrl(listen.host)}:${listen.port}`).replace(/\/$/, "");
  const maxTokenExpirationSeconds = raw.issuer?.maxTokenExpirationSeconds ?? DEFAULTS.maxTokenExpirationSeconds;
  // Old public keys must outlive every token they signed: retention > longest token lifetime.
  const retentionSeconds = raw.keys?.retentionSeconds ?? maxTokenExpirationSeconds + 86_400;
  if (retentionSeconds <= maxTokenExpirationSeconds) {
    throw new KubeiamError(
      "CONFIG_INVALID",
      `${file ?? "config"}: field "keys.retentionSeconds": expected more than issuer.maxTokenExpirationSeconds (${maxTokenExpirationSeconds}), found ${retentionSeconds}`,
      { file, field: "keys.retentionSeconds" },
    );
  }
  if ((raw.tls?.certFile === undefined) !== (raw.tls?.keyFile === undefined)) {
    throw new KubeiamError(
      "CONFIG_INVALID",
      `${file ?? "config"}: field "tls": expected both certFile and keyFile or neither, found only ${raw.tls?.certFile ? "certFile" : "keyFile"}`,
      { file, field: "tls" },
    );
  }
  const mode = raw.mode ?? "embedded";
  const tls: Config["tls"] = { names: raw.tls?.names ?? [] };
  if (raw.tls?.certFile) tls.certFile = abs(raw.tls.certFile, fileBase);
  if (raw.tls?.keyFile) tls.keyFile = abs(raw.tls.keyFile, fileBase);
  return {
    file,
    raw,
    account: raw.account ?? DEFAULTS.account,
    region: raw.region ?? DEFAULTS.region,
    mode,
    stateDir,
    objectsDir,
    listen,
    issuer: { url: issuerUrl, audiences: raw.issuer?.audiences ?? [issuerUrl], maxTokenExpirationSeconds },
    keys: { algorithm: raw.keys?.algorithm ?? "RS256", retentionSeconds },
    tls,
    logLevel: raw.log?.level ?? "info",
    decisionRingSize: raw.decisions?.ringSize ?? DEFAULTS.decisionRingSize,
    explainDenials: raw.explainDenials ?? mode === "embedded",
    sts: {
      webIdentityCaFile: raw.sts?.webIdentityCaFile ? abs(raw.sts.webIdentityCaFile, fileBase) : undefined,
      webIdentitySkewSeconds: raw.sts?.webIdentitySkewSeconds ?? 60,
      jwksTimeoutMs: raw.sts?.jwksTimeoutMs ?? 5000,
    },
    kubernetes: resolveKubernetesConfig(raw.kubernetes, fileBase),
  };
}
