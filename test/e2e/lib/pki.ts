/**
 * Test PKI for the e2e cluster: a throw-away CA, serving and client certificates (ECDSA P-256),
 * and the RSA key pair kube-apiserver signs service-account tokens with. Everything is written
 * as PEM files into the cluster's temp dir; nothing here is meant for production use.
 */
import "reflect-metadata";
import { generateKeyPairSync, webcrypto } from "node:crypto";
import { writeFile } from "node:fs/promises";
import { isIP } from "node:net";
import { join } from "node:path";
import * as x509 from "@peculiar/x509";

type CryptoKey = webcrypto.CryptoKey;
x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

const ALG = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" } as const;
const HOUR = 3_600_000;
/** Certificates live for a day: ample for a test run, short enough not to matter if leaked. */
const LIFETIME = 24 * HOUR;

export interface CertificateAuthority {
  certPath: string;
  keyPath: string;
  certPem: string;
  cert: x509.X509Certificate;
  key: CryptoKey;
}

export interface IssuedCert {
  certPath: string;
  keyPath: string;
  certPem: string;
  keyPem: string;
}

export interface IssueCertOptions {
  /** File name stem in `dir`: writes `<name>.crt` and `<name>.key`. */
  name: string;
  commonName: string;
  /** Subject O= values; for a client certificate these are the Kubernetes groups. */
  organizations?: readonly string[];
  /** DNS names and IP addresses for a serving certificate. */
  hosts?: readonly string[];
  usage: "server" | "client";
}

function serial(): string {
  // A positive 128-bit serial: clear the top bit so DER never reads it as negative.
  const bytes = webcrypto.getRandomValues(new Uint8Array(16));
  bytes[0] = (bytes[0] ?? 0) & 0x7f;
  return Buffer.from(bytes).toString("hex");
}

async function privateKeyPem(key: CryptoKey): Promise<string> {
  const der = await webcrypto.subtle.exportKey("pkcs8", key);
  return x509.PemConverter.encode(der, "PRIVATE KEY") + "\n";
}

/** Escapes a value for an RFC 4514 distinguished-name string. */
function dnValue(v: string): string {
  return v
    .replace(/([,+"\\<>;=])/g, "\\$1")
    .replace(/^([ #])/, "\\$1")
    .replace(/ $/, "\\ ");
}

/** Generates a self-signed CA into `dir/<name>.crt|.key`. */
export async function createCa(dir: string, name: string, commonName: string): Promise<CertificateAuthority> {
  const keys = await webcrypto.subtle.generateKey(ALG, true, ["sign", "verify"]);
  const now = Date.now();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: `CN=${dnValue(commonName)}`,
    notBefore: new Date(now - HOUR),
    notAfter: new Date(now + LIFETIME),
    signingAlgorithm: ALG,
    keys,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  const certPem = cert.toString("pem") + "\n";
  const certPath = join(dir, `${name}.crt`);
  const keyPath = join(dir, `${name}.key`);
  await writeFile(keyPath, await privateKeyPem(keys.privateKey), { mode: 0o600 });
  await writeFile(certPath, certPem, { mode: 0o644 });
  return { certPath, keyPath, certPem, cert, key: keys.privateKey };
}

/** Issues a leaf certificate signed by `ca` into `dir/<name>.crt|.key`. */
export async function issueCert(
  ca: CertificateAuthority,
  dir: string,
  opts: IssueCertOptions,
): Promise<IssuedCert> {
  const keys = await webcrypto.subtle.generateKey(ALG, true, ["sign", "verify"]);
  const now = Date.now();
  const subject = [
    `CN=${dnValue(opts.commonName)}`,
    ...(opts.organizations ?? []).map((o) => `O=${dnValue(o)}`),
  ].join(", ");
  const extensions: x509.Extension[] = [
    new x509.BasicConstraintsExtension(false, undefined, true),
    new x509.KeyUsagesExtension(
      x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment,
      true,
    ),
    new x509.ExtendedKeyUsageExtension([
      opts.usage === "server" ? x509.ExtendedKeyUsage.serverAuth : x509.ExtendedKeyUsage.clientAuth,
    ]),
    await x509.AuthorityKeyIdentifierExtension.create(ca.cert),
  ];
  const hosts = opts.hosts ?? [];
  if (hosts.length > 0) {
    extensions.push(
      new x509.SubjectAlternativeNameExtension(
        hosts.map((h) => ({ type: isIP(h) ? ("ip" as const) : ("dns" as const), value: h })),
      ),
    );
  }
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serial(),
    subject,
    issuer: ca.cert.subject,
    notBefore: new Date(now - HOUR),
    notAfter: new Date(now + LIFETIME),
    signingAlgorithm: ALG,
    publicKey: keys.publicKey,
    signingKey: ca.key,
    extensions,
  });
  const certPem = cert.toString("pem") + "\n";
  const keyPem = await privateKeyPem(keys.privateKey);
  const certPath = join(dir, `${opts.name}.crt`);
  const keyPath = join(dir, `${opts.name}.key`);
  await writeFile(keyPath, keyPem, { mode: 0o600 });
  await writeFile(certPath, certPem, { mode: 0o644 });
  return { certPath, keyPath, certPem, keyPem };
}

export interface ServiceAccountKeyFiles {
  /** Private key kube-apiserver signs tokens with (--service-account-signing-key-file). */
  signingKeyFile: string;
  /** Public keys (or certs) tokens are verified against (--service-account-key-file, repeatable). */
  publicKeyFiles: string[];
}

/** Generates an RSA-2048 service-account signing key pair (RS256, as kube-apiserver defaults to). */
export async function createServiceAccountKeys(dir: string): Promise<ServiceAccountKeyFiles> {
  const { privateKey, publicKey } = generateKeyPairSync("rsa", {
    modulusLength: 2048,
    publicKeyEncoding: { type: "spki", format: "pem" },
    privateKeyEncoding: { type: "pkcs8", format: "pem" },
  });
  const signingKeyFile = join(dir, "sa.key");
  const publicKeyFile = join(dir, "sa.pub");
  await writeFile(signingKeyFile, privateKey, { mode: 0o600 });
  await writeFile(publicKeyFile, publicKey, { mode: 0o644 });
  return { signingKeyFile, publicKeyFiles: [publicKeyFile] };
}
