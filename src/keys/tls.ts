/**
 * The CA and serving certificate of the embedded mode, generated into the state dir unless the user
 * supplies cert and key. ECDSA P-256 keys; the serving certificate is re-issued when its names
 * change or it is within 30 days of expiry.
 */
import "reflect-metadata";
import { webcrypto, X509Certificate as NodeX509, createPrivateKey } from "node:crypto";
import { readFile } from "node:fs/promises";
import { isIP } from "node:net";
import { join } from "node:path";
import * as x509 from "@peculiar/x509";
import { KubeiamError } from "../lib/errors.js";
import { atomicWrite } from "../store/directory-store.js";

type CryptoKey = webcrypto.CryptoKey;
x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

const ALG = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" } as const;
const DAY = 86_400_000;

export interface TlsMaterial {
  caPath: string | undefined;
  certPath: string;
  keyPath: string;
  cert: string;
  key: string;
  ca: string | undefined;
}

async function toPem(key: CryptoKey): Promise<string> {
  const der = await webcrypto.subtle.exportKey("pkcs8", key);
  const b64 = Buffer.from(der).toString("base64").replace(/(.{64})/g, "$1\n").replace(/\n$/, "");
  return `-----BEGIN PRIVATE KEY-----\n${b64}\n-----END PRIVATE KEY-----\n`;
}

async function importPem(pem: string): Promise<CryptoKey> {
  const der = createPrivateKey(pem).export({ type: "pkcs8", format: "der" });
  return webcrypto.subtle.importKey("pkcs8", der, ALG, true, ["sign"]);
}

async function readOpt(p: string): Promise<string | undefined> {
  try {
    return await readFile(p, "utf8");
  } catch {
    return undefined;
  }
}

function serial(): string {
  return Buffer.from(webcrypto.getRandomValues(new Uint8Array(16))).toString("hex").replace(/^[89a-f]/, "1");
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
    const keys = await webcrypto.subtle.generateKey(ALG, true, ["sign", "verify"]);
    const ca = await x509.X509CertificateGenerator.createSelfSigned({
      serialNumber: serial(),
      name: "CN=kubeiam CA",
      notBefore: new Date(opts.now - DAY),
      notAfter: new Date(opts.now + 3650 * DAY),
      signingAlgorithm: ALG,
      keys,
      extensions: [new x509.BasicConstraintsExtension(true, 0, true), new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true), await x509.SubjectKeyIdentifierExtension.create(keys.publicKey)],
    });
    caPem = ca.toString("pem") + "\n";
    caKeyPem = await toPem(keys.privateKey);
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
  const caCert = new x509.X509Certificate(caPem);
  const caKey = await importPem(caKeyPem);
  const keys = await webcrypto.subtle.generateKey(ALG, true, ["sign", "verify"]);
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serial(),
    subject: "CN=kubeiam",
    issuer: caCert.subject,
    notBefore: new Date(opts.now - DAY),
    notAfter: new Date(opts.now + 825 * DAY),
    signingAlgorithm: ALG,
    publicKey: keys.publicKey,
    signingKey: caKey,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension(names.map((n) => (isIP(n) ? { type: "ip" as const, value: n } : { type: "dns" as const, value: n }))),
      await x509.AuthorityKeyIdentifierExtension.create(caCert),
    ],
  });
  const certPem = cert.toString("pem") + "\n";
  const keyPem = await toPem(keys.privateKey);
  await atomicWrite(keyPath, keyPem, 0o600);
  await atomicWrite(certPath, certPem, 0o644);
  return { caPath, certPath, keyPath, cert: certPem, key: keyPem, ca: caPem };
}
