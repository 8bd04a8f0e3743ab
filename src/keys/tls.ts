/**
 * The CA and serving certificate of the embedded mode, generated into the state dir unless the user
 * supplies cert and key. ECDSA P-256 keys; the serving certificate is re-issued when its names
 * change or it is within 30 days of expiry. Generation lives in tls-generate.ts, loaded on demand.
 */
import { X509Certificate as NodeX509, createPrivateKey } from "node:crypto";
import { readFile } from "node:fs/promises";
import { isIP } from "node:net";
import { join } from "node:path";
import { KubeiamError } from "../lib/errors.js";
import { atomicWrite } from "../store/directory-store.js";

const DAY = 86_400_000;

export interface TlsMaterial {
  caPath: string | undefined;
  certPath: string;
  keyPath: string;
  cert: string;
  key: string;
  ca: string | undefined;
}

async function readOpt(p: string): Promise<string | undefined> {
  try {
    return await readFile(p, "utf8");
  } catch {
    return undefined;
  }
}

/** Loads the user's cert/key, or loads-or-generates the kubeiam CA and serving certificate. */
export async function ensureTls(stateDir: string, opts: { certFile?: string; keyFile?: string; names: string[]; now: number }): Promise<TlsMaterial> {
  if (opts.certFile && opts.keyFile) {
    const cert = await readFile(opts.certFile, "utf8").catch(() => undefined);
    const key = await readFile(opts.keyFile, "utf8").catch(() => undefined);
    if (!cert || !key) throw new KubeiamError("KEY_INVALID", `cannot read tls.certFile ${opts.certFile} or tls.keyFile ${opts.keyFile}`);
    try {
      const c = new NodeX509(cert);
      if (!c.checkPrivateKey(createPrivateKey(key))) throw new Error("mismatch");
    } catch {
      throw new KubeiamError("KEY_INVALID", `tls.certFile ${opts.certFile} and tls.keyFile ${opts.keyFile} are not a matching PEM certificate and key`);
    }
    return { caPath: undefined, certPath: opts.certFile, keyPath: opts.keyFile, cert, key, ca: undefined };
  }
  const caPath = join(stateDir, "ca.crt");
  const caKeyPath = join(stateDir, "ca.key");
  const certPath = join(stateDir, "tls.crt");
  const keyPath = join(stateDir, "tls.key");
  let caPem = await readOpt(caPath);
  let caKeyPem = await readOpt(caKeyPath);
  if (!caPem || !caKeyPem) {
    const gen = await import("./tls-generate.js");
    const ca = await gen.generateCa(opts.now);
    caPem = ca.certPem;
    caKeyPem = ca.keyPem;
    await atomicWrite(caKeyPath, caKeyPem, 0o600);
    await atomicWrite(caPath, caPem, 0o644);
  }
  const names = [...new Set(["127.0.0.1", "localhost", "::1", ...opts.names])];
  const existing = await readOpt(certPath);
  const existingKey = await readOpt(keyPath);
  if (existing && existingKey) {
    try {
      const c = new NodeX509(existing);
      const san = c.subjectAltName ?? "";
      const haveAll = names.every((n) => san.includes(isIP(n) ? `IP Address:${n === "::1" ? "0:0:0:0:0:0:0:1" : n}` : `DNS:${n}`) || san.includes(`IP Address:${n}`));
      const fresh = Date.parse(c.validTo) - opts.now > 30 * DAY;
      if (haveAll && fresh && c.verify(new NodeX509(caPem).publicKey)) {
        return { caPath, certPath, keyPath, cert: existing, key: existingKey, ca: caPem };
      }
    } catch {
      // regenerate below
    }
  }
  const gen = await import("./tls-generate.js");
  let caKeyDer: Buffer;
  try {
    caKeyDer = createPrivateKey(caKeyPem).export({ type: "pkcs8", format: "der" });
  } catch {
    throw new KubeiamError("KEY_INVALID", `${caKeyPath} is not a valid PEM private key; delete ca.crt and ca.key to generate a new CA`);
  }
  const serving = await gen.generateServingCert(caPem, caKeyDer, names, opts.now);
  await atomicWrite(keyPath, serving.keyPem, 0o600);
  await atomicWrite(certPath, serving.certPem, 0o644);
  return { caPath, certPath, keyPath, cert: serving.certPem, key: serving.keyPem, ca: caPem };
}
