/**
 * The AWS side of get-token (an edge: it reads files and may call STS): the region as the aws CLI
 * finds it, and credentials from the standard chain of the AWS SDK for JavaScript
 * (`fromNodeProviderChain`: environment, shared config and credentials files, SSO,
 * credential_process, web identity, container and instance metadata). With a role ARN those
 * credentials first call STS AssumeRole, as `aws eks get-token --role-arn` does (session name
 * EKSGetTokenAuth unless given).
 */
import { readFileSync } from "node:fs";
import { Agent as HttpsAgent } from "node:https";
import { AssumeRoleCommand, STSClient } from "@aws-sdk/client-sts";
import { fromNodeProviderChain } from "@aws-sdk/credential-providers";
import { KubeiamError } from "../../lib/errors.js";
import type { AwsCredentials } from "../../sigv4/types.js";
import { checkRegion } from "./sts-endpoint.js";

/** The RoleSessionName `aws eks get-token --role-arn` uses. */
export const DEFAULT_ROLE_SESSION_NAME = "EKSGetTokenAuth";
/** Region when none is configured anywhere (aws-iam-authenticator's fallback). */
export const DEFAULT_REGION = "us-east-1";

type Env = Readonly<Record<string, string | undefined>>;

export interface RegionChoice {
  region: string;
  from: string;
}

/** --region, AWS_REGION, AWS_DEFAULT_REGION, the profile's `region`, else us-east-1. */
export async function resolveRegion(
  flag: string | undefined,
  env: Env,
  profile: string | undefined,
): Promise<RegionChoice> {
  if (flag !== undefined) return { region: checkRegion(flag, "--region"), from: "--region" };
  for (const name of ["AWS_REGION", "AWS_DEFAULT_REGION"] as const) {
    const v = env[name];
    if (v !== undefined && v !== "") return { region: checkRegion(v, name), from: name };
  }
  let configured: string | undefined;
  try {
    // The SDK's own lookup reads the shared config file for the active profile.
    const client = new STSClient(profile === undefined ? {} : { profile });
    configured = await client.config.region();
    client.destroy();
  } catch {
    configured = undefined; // no region configured anywhere
  }
  if (configured !== undefined && configured !== "")
    return { region: checkRegion(configured, "the profile's region"), from: "profile" };
  return { region: DEFAULT_REGION, from: "default" };
}

export interface CredentialOptions {
  region: string;
  profile?: string | undefined;
  roleArn?: string | undefined;
  sessionName?: string | undefined;
  /** STS endpoint for AssumeRole (the same one the token is presigned for). */
  stsEndpoint: string;
  env: Env;
}

const ROLE_ARN = /^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]{1,512}$/;
const SESSION_NAME = /^[\w+=,.@-]{2,64}$/;

export function validateRoleOptions(roleArn: string | undefined, sessionName: string | undefined): void {
  if (roleArn !== undefined && !ROLE_ARN.test(roleArn)) {
    throw new KubeiamError(
      "ARN_INVALID",
      `--role-arn: expected a role ARN such as arn:aws:iam::111122223333:role/eks-admin, found "${roleArn}"`,
    );
  }
  if (sessionName !== undefined && !SESSION_NAME.test(sessionName)) {
    throw new KubeiamError(
      "USAGE",
      `--session-name: expected 2 to 64 characters of letters, digits and +=,.@_-, found "${sessionName}"`,
    );
  }
  if (sessionName !== undefined && roleArn === undefined)
    throw new KubeiamError("USAGE", "--session-name needs --role-arn (it names the AssumeRole session)");
}

function caAgent(env: Env): HttpsAgent | undefined {
  const file = env.AWS_CA_BUNDLE;
  if (file === undefined || file === "") return undefined;
  try {
    return new HttpsAgent({ ca: readFileSync(file, "utf8"), keepAlive: false });
  } catch (e) {
    throw new KubeiamError(
      "INPUT_INVALID",
      `AWS_CA_BUNDLE: cannot read ${file} (${(e as NodeJS.ErrnoException).code ?? "error"})`,
    );
  }
}

interface SdkError {
  name?: string;
  message?: string;
  code?: string;
  $metadata?: { httpStatusCode?: number };
}

const NETWORK =
  /ECONNREFUSED|ENOTFOUND|EAI_AGAIN|ECONNRESET|ETIMEDOUT|EHOSTUNREACH|TimeoutError|certificate|self[- ]signed|UNABLE_TO_VERIFY/i;

/**
 * The chain's first link, read from the given environment (so callers can pass their own): like the
 * SDK, skipped when a profile is named.
 */
function credentialsFromEnv(env: Env): AwsCredentials | undefined {
  const id = env.AWS_ACCESS_KEY_ID;
  const secret = env.AWS_SECRET_ACCESS_KEY;
  if (id === undefined || id === "" || secret === undefined || secret === "") return undefined;
  const token = env.AWS_SESSION_TOKEN;
  return {
    accessKeyId: id,
    secretAccessKey: secret,
    ...(token !== undefined && token !== "" ? { sessionToken: token } : {}),
  };
}

async function chainCredentials(profile: string | undefined): Promise<AwsCredentials> {
  try {
    const c = await fromNodeProviderChain(profile === undefined ? {} : { profile })();
    return { accessKeyId: c.accessKeyId, secretAccessKey: c.secretAccessKey, sessionToken: c.sessionToken };
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    throw new KubeiamError(
      "AWS_CREDENTIALS_MISSING",
      `no AWS credentials found (${msg.replace(/\.$/, "")}); set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, AWS_PROFILE, or run on a host with an instance or container role`,
    );
  }
}

export async function resolveCredentials(o: CredentialOptions): Promise<AwsCredentials> {
  const base =
    (o.profile === undefined ? credentialsFromEnv(o.env) : undefined) ?? (await chainCredentials(o.profile));
  if (o.roleArn === undefined) return base;
  const agent = caAgent(o.env);
  const client = new STSClient({
    region: o.region,
    endpoint: o.stsEndpoint,
    credentials: {
      accessKeyId: base.accessKeyId,
      secretAccessKey: base.secretAccessKey,
      ...(base.sessionToken !== undefined ? { sessionToken: base.sessionToken } : {}),
    },
    maxAttempts: 2,
    requestHandler: {
      connectionTimeout: 10_000,
      requestTimeout: 10_000,
      ...(agent ? { httpsAgent: agent } : {}),
    },
  });
  try {
    const r = await client.send(
      new AssumeRoleCommand({
        RoleArn: o.roleArn,
        RoleSessionName: o.sessionName ?? DEFAULT_ROLE_SESSION_NAME,
      }),
    );
    const c = r.Credentials;
    if (!c?.AccessKeyId || !c.SecretAccessKey)
      throw new KubeiamError(
        "AWS_ASSUME_ROLE_FAILED",
        `AssumeRole ${o.roleArn}: STS returned no credentials`,
      );
    return { accessKeyId: c.AccessKeyId, secretAccessKey: c.SecretAccessKey, sessionToken: c.SessionToken };
  } catch (e) {
    if (e instanceof KubeiamError) throw e;
    const err = e as SdkError;
    const text = `${err.name ?? "Error"}: ${err.message ?? String(e)}`;
    if (err.$metadata?.httpStatusCode === undefined && NETWORK.test(`${err.code ?? ""} ${text}`)) {
      throw new KubeiamError(
        "UPSTREAM_UNREACHABLE",
        `AssumeRole ${o.roleArn}: cannot reach STS at ${o.stsEndpoint} (${text})`,
      );
    }
    throw new KubeiamError("AWS_ASSUME_ROLE_FAILED", `AssumeRole ${o.roleArn} failed: ${text}`, {
      roleArn: o.roleArn,
    });
  } finally {
    client.destroy();
    agent?.destroy();
  }
}
