/**
 * Shared setup for the STS/IAM integration tests: a kubeiam server with a service account, its
 * issuer registered as an OIDC provider and an IRSA role; token minting with the server's key;
 * raw query-protocol calls (unsigned or SigV4-signed) and XML field extraction.
 */
import assert from "node:assert/strict";
import { writeFile } from "node:fs/promises";
import { Agent as HttpsAgent } from "node:https";
import { join } from "node:path";
import { fetch as undiciFetch } from "undici";
import { NodeHttpHandler } from "@smithy/node-http-handler";
import { IAMClient } from "@aws-sdk/client-iam";
import { STSClient } from "@aws-sdk/client-sts";
import { Command, CommanderError } from "commander";
import { registerIrsaCommands } from "../../src/cli/irsa.js";
import { registerStsCommands } from "../../src/cli/sts.js";
import { registerIamCommands } from "../../src/cli/iam.js";
import { CliExit, type CliIO } from "../../src/cli/io.js";
import { asKubeiamError } from "../../src/lib/errors.js";
import type { ConfigFile } from "../../src/config/schema.js";
import type { Clock } from "../../src/lib/clock.js";
import { signJws } from "../../src/issuer/mint-token.js";
import { signRequest } from "../../src/sigv4/sign-request.js";
import type { AwsCredentials } from "../../src/sigv4/types.js";
import { startTestServer, type TestServer } from "../helpers/server.js";

export const ACCOUNT = "000000000000";
export const SA_NAMESPACE = "default";
export const SA_NAME = "demo";
export const SUB = `system:serviceaccount:${SA_NAMESPACE}:${SA_NAME}`;
export const AUDIENCE = "sts.amazonaws.com";
export const ROLE = "irsa-demo";
export const ROLE_ARN = `arn:aws:iam::${ACCOUNT}:role/${ROLE}`;

const OBJECTS = `apiVersion: v1
kind: ServiceAccount
metadata: {name: ${SA_NAME}, namespace: ${SA_NAMESPACE}}
`;

export function trustPolicy(hostPath: string, sub = SUB, aud = AUDIENCE): string {
  return JSON.stringify({
    Version: "2012-10-17",
    Statement: [
      {
        Effect: "Allow",
        Principal: { Federated: `arn:aws:iam::${ACCOUNT}:oidc-provider/${hostPath}` },
        Action: "sts:AssumeRoleWithWebIdentity",
        Condition: { StringEquals: { [`${hostPath}:aud`]: aud, [`${hostPath}:sub`]: sub } },
      },
    ],
  });
}

export interface IrsaServer extends TestServer {
  issuer: string;
  /** The issuer URL without https:// (provider name and condition-key prefix). */
  hostPath: string;
  providerArn: string;
  /** The CA certificate written to a file (AWS_CA_BUNDLE, NODE_EXTRA_CA_CERTS). */
  caFile: string;
  adminCreds: AwsCredentials;
  /** Signs a token with the server's active key: standard projected-token claims plus overrides. */
  token(over?: { header?: Record<string, unknown>; claims?: Record<string, unknown> }): string;
  /** A query-protocol call; signed with `creds` when given. */
  query(
    params: Record<string, string>,
    opts?: { creds?: AwsCredentials; headers?: Record<string, string>; rawBody?: string; service?: string },
  ): Promise<QueryResponse>;
}

export interface QueryResponse {
  status: number;
  headers: Headers;
  text: string;
  /** The text of the first <name> element, XML entities decoded. */
  field(name: string): string | undefined;
}

/** `base` with the members of `over` set, and those whose value is `remove` taken out. */
export function overlay(
  base: Record<string, unknown>,
  over: Record<string, unknown> | undefined,
  remove: null | undefined,
): Record<string, unknown> {
  const merged = { ...base, ...over };
  return Object.fromEntries(Object.entries(merged).filter(([, v]) => v !== remove));
}

export function xmlField(xml: string, name: string): string | undefined {
  const m = new RegExp(`<${name}>([\\s\\S]*?)</${name}>`).exec(xml);
  if (!m) return undefined;
  return m[1]!
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&amp;/g, "&");
}

/**
 * A server whose issuer is registered as an OIDC provider (client ID sts.amazonaws.com) and a role
 * `irsa-demo` trusting system:serviceaccount:default:demo, created as objects (no API calls).
 */
export async function startIrsaServer(
  t: { after(fn: () => Promise<void> | void): void },
  opts: { clock?: Clock; config?: ConfigFile; register?: boolean; roleSpec?: Record<string, unknown> } = {},
): Promise<IrsaServer> {
  const s = await startTestServer(t, {
    objects: { "sa.yaml": OBJECTS },
    ...(opts.clock ? { clock: opts.clock } : {}),
    ...(opts.config ? { config: opts.config } : {}),
  });
  const issuer = s.app.config.issuer.url;
  const hostPath = issuer.replace(/^https:\/\//, "");
  const providerArn = `arn:aws:iam::${ACCOUNT}:oidc-provider/${hostPath}`;
  if (opts.register !== false) {
    await s.app.store.put({
      apiVersion: "kubeiam.io/v1alpha1",
      kind: "OIDCProvider",
      metadata: { name: "kubeiam" },
      spec: { url: issuer, clientIDList: [AUDIENCE] },
    });
    await s.app.store.put({
      apiVersion: "kubeiam.io/v1alpha1",
      kind: "IAMRole",
      metadata: { name: ROLE },
      spec: { assumeRolePolicyDocument: trustPolicy(hostPath), ...opts.roleSpec },
    });
  }
  const caFile = join(s.stateDir, "test-ca.crt");
  await writeFile(caFile, s.ca);
  const clock = opts.clock;
  const now = (): number => (clock ? clock.now() : Date.now());
  const adminCreds: AwsCredentials = {
    accessKeyId: s.app.adminAccessKey.accessKeyId,
    secretAccessKey: s.app.adminAccessKey.secretAccessKey,
  };
  return {
    ...s,
    issuer,
    hostPath,
    providerArn,
    caFile,
    adminCreds,
    token(over = {}) {
      const key = s.app.keys.active();
      const iat = Math.floor(now() / 1000);
      const claims = overlay(
        {
          aud: [AUDIENCE],
          exp: iat + 3600,
          iat,
          iss: issuer,
          nbf: iat,
          sub: SUB,
          "kubernetes.io": {
            namespace: SA_NAMESPACE,
            serviceaccount: { name: SA_NAME, uid: "0b2c6a5e-1111-4222-8333-444455556666" },
          },
        },
        over.claims,
        undefined,
      );
      const header = overlay({ alg: key.alg, kid: key.kid }, over.header, undefined);
      return signJws(header, claims, key);
    },
    async query(params, o = {}) {
      const body = o.rawBody ?? new URLSearchParams({ Version: "2011-06-15", ...params }).toString();
      let headers: Record<string, string> = {
        "content-type": "application/x-www-form-urlencoded; charset=utf-8",
        ...o.headers,
      };
      if (o.creds)
        headers = signRequest({
          method: "POST",
          url: s.url + "/",
          headers,
          body,
          credentials: o.creds,
          region: "us-east-1",
          service: o.service ?? "sts",
          now: now(),
        }).headers;
      const r = await undiciFetch(s.url + "/", { method: "POST", headers, body, dispatcher: s.agent });
      const text = await r.text();
      return {
        status: r.status,
        headers: r.headers as unknown as Headers,
        text,
        field: (name: string) => xmlField(text, name),
      };
    },
  };
}

/** Credentials from an AssumeRole* response. */
export function credentialsOf(r: QueryResponse): AwsCredentials {
  const accessKeyId = r.field("AccessKeyId");
  const secretAccessKey = r.field("SecretAccessKey");
  const sessionToken = r.field("SessionToken");
  if (accessKeyId === undefined || secretAccessKey === undefined || sessionToken === undefined)
    throw new Error(`no credentials in: ${r.text}`);
  return { accessKeyId, secretAccessKey, sessionToken };
}

function sdkCreds(c: AwsCredentials): {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
} {
  return c.sessionToken === undefined
    ? { accessKeyId: c.accessKeyId, secretAccessKey: c.secretAccessKey }
    : { accessKeyId: c.accessKeyId, secretAccessKey: c.secretAccessKey, sessionToken: c.sessionToken };
}

/** AWS SDK v3 clients pointed at the server (trusting its CA), one try per call. */
export function sdkClients(
  s: IrsaServer,
  t: { after(fn: () => Promise<void> | void): void },
): { iam(creds?: AwsCredentials): IAMClient; sts(creds?: AwsCredentials): STSClient } {
  const requestHandler = new NodeHttpHandler({ httpsAgent: new HttpsAgent({ ca: s.ca, keepAlive: true }) });
  const base = { endpoint: s.url, region: "us-east-1", requestHandler, maxAttempts: 1 };
  t.after(() => requestHandler.destroy());
  return {
    iam: (creds = s.adminCreds) => new IAMClient({ ...base, credentials: sdkCreds(creds) }),
    sts: (creds = s.adminCreds) => new STSClient({ ...base, credentials: sdkCreds(creds) }),
  };
}

/** Expects an AWS error with this code (wire Code), HTTP status and message (exact, or a pattern). */
export async function rejectsAws(
  p: Promise<unknown>,
  code: string,
  status: number,
  message: string | RegExp,
): Promise<void> {
  await assert.rejects(
    p,
    (e: { name?: string; Code?: string; $metadata?: { httpStatusCode?: number }; message?: string }) => {
      assert.equal(e.Code ?? e.name, code, `code (${e.name ?? ""}: ${e.message ?? ""})`);
      assert.equal(e.$metadata?.httpStatusCode, status, "HTTP status");
      if (typeof message === "string") assert.equal(e.message, message);
      else assert.match(e.message ?? "", message);
      return true;
    },
  );
}

/** Runs `kubeiam <args>` in-process with the sts, irsa, doctor and iam commands, as the real CLI maps exits. */
export async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = "";
  let stderr = "";
  const io: CliIO = {
    out: (t) => (stdout += t.endsWith("\n") ? t : t + "\n"),
    err: (t) => (stderr += t.endsWith("\n") ? t : t + "\n"),
  };
  const quiet = { writeOut: (t: string) => io.out(t), writeErr: (t: string) => io.err(t) };
  const program = new Command("kubeiam").exitOverride().configureOutput(quiet);
  registerStsCommands(program, io);
  registerIrsaCommands(program, io);
  registerIamCommands(program, io);
  const inherit = (c: Command): void => {
    for (const sub of c.commands) {
      sub.exitOverride().configureOutput(quiet);
      inherit(sub);
    }
  };
  inherit(program);
  try {
    await program.parseAsync(args, { from: "user" });
    return { code: 0, stdout, stderr };
  } catch (e) {
    if (e instanceof CliExit) return { code: e.exitCode, stdout, stderr };
    if (e instanceof CommanderError) return { code: 2, stdout, stderr };
    const err = asKubeiamError(e);
    if (err.code === "INTERNAL") throw e;
    return { code: err.exitCode, stdout, stderr: stderr + `error: ${err.message}\n` };
  }
}
