/** `kubeiam iam admin-credentials`: the admin user's access key as environment lines or JSON. */
import type { Command } from "commander";
import type { StoredAccessKey } from "../iam/access-keys.js";
import { ADMIN_USER } from "../iam/bootstrap.js";
import { KubeiamError } from "../lib/errors.js";
import { configFrom, openAccessKeys, withStateOptions, type StateFlags } from "./common.js";
import { parseOutputFormat, type CliIO } from "./io.js";
import { Option } from "commander";
import { existsSync } from "node:fs";
import { join } from "node:path";

/** Environment for the aws CLI and SDKs pointed at kubeiam. */
export function awsEnv(
  key: StoredAccessKey,
  region: string,
  url: string,
  caPath: string | undefined,
): Record<string, string> {
  const env: Record<string, string> = {
    AWS_ACCESS_KEY_ID: key.accessKeyId,
    AWS_SECRET_ACCESS_KEY: key.secretAccessKey,
    AWS_DEFAULT_REGION: region,
    AWS_REGION: region,
    AWS_ENDPOINT_URL: url,
  };
  if (caPath) env.AWS_CA_BUNDLE = caPath;
  return env;
}

export function registerIamCommands(program: Command, io: CliIO): void {
  const iam = program.command("iam").description("kubeiam's IAM: users, roles, OIDC providers");
  withStateOptions(
    iam
      .command("admin-credentials")
      .description("print the admin user's access key (created on first start) for the aws CLI"),
  )
    .addOption(new Option("-o, --output <format>", "env|json").default("env"))
    .option("--listen <host:port>", "the server's listener, for AWS_ENDPOINT_URL")
    .action(async (flags: StateFlags & { output: string; listen?: string }) => {
      const format = parseOutputFormat(flags.output, ["env", "json"]) as string;
      const config = configFrom(flags);
      const store = await openAccessKeys(config);
      await store.load();
      const key = store.forUser(ADMIN_USER).find((k) => k.status === "Active");
      if (!key)
        throw new KubeiamError(
          "STORE_NOT_FOUND",
          `no admin access key in ${config.stateDir}; run \`kubeiam up\` once to create it`,
        );
      const host = config.listen.host.includes(":") ? `[${config.listen.host}]` : config.listen.host;
      const ca = join(config.stateDir, "ca.crt");
      const env = awsEnv(
        key,
        config.region,
        `https://${host}:${config.listen.port}`,
        config.tls.certFile ? undefined : existsSync(ca) ? ca : undefined,
      );
      io.out(
        format === "json"
          ? JSON.stringify(env, null, 2)
          : Object.entries(env)
              .map(([k, v]) => `export ${k}=${v}`)
              .join("\n"),
      );
    });
}
