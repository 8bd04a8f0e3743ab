/**
 * `kubeiam get-token --cluster-name C`: an exec credential plugin for EKS-style IAM
 * authentication, printing the ExecCredential `aws eks get-token` prints, byte for byte in form
 * (4-space JSON and a blank line; apiVersion from KUBERNETES_EXEC_INFO; expiry now + 14 min), with
 * the token presigned for the regional STS endpoint or AWS_ENDPOINT_URL(_STS). The AWS SDK is
 * loaded only when this command runs.
 */
import type { Command } from "commander";
import { Option } from "commander";
import { KubeiamError } from "../lib/errors.js";
import { systemClock, type Clock } from "../lib/clock.js";
import { execApiVersion } from "../clients/exec-api-version.js";
import { execCredential } from "../clients/exec-credential.js";
import { parseOutputFormat, type CliIO } from "./io.js";

export interface GetTokenDeps {
  clock: Clock;
  env: Readonly<Record<string, string | undefined>>;
}

interface GetTokenFlags {
  clusterName?: string;
  clusterId?: string;
  region?: string;
  roleArn?: string;
  sessionName?: string;
  profile?: string;
  output: string;
}

export function registerGetTokenCommands(
  program: Command,
  io: CliIO,
  deps: GetTokenDeps = { clock: systemClock, env: process.env },
): void {
  program
    .command("get-token")
    .description(
      "print an ExecCredential with an IAM token for a cluster (kubectl exec plugin; same output as `aws eks get-token`)",
    )
    .option(
      "--cluster-name <name>",
      'cluster name: the value signed as x-k8s-aws-id (kubeiam\'s default cluster id is "kubeiam")',
    )
    .option("--cluster-id <id>", "cluster id instead of the name (EKS local clusters on Outposts)")
    .option(
      "--region <region>",
      "signing region and regional STS endpoint (default: AWS_REGION, AWS_DEFAULT_REGION, the profile, us-east-1)",
    )
    .option("--role-arn <arn>", "assume this role (STS AssumeRole) and sign with its session credentials")
    .option("--session-name <name>", "RoleSessionName for --role-arn (default EKSGetTokenAuth)")
    .option("--profile <name>", "AWS profile for credentials and region (default AWS_PROFILE)")
    .addOption(new Option("-o, --output <format>", "json").default("json"))
    .action(async (flags: GetTokenFlags) => {
      parseOutputFormat(flags.output, ["json"]);
      if (flags.clusterName !== undefined && flags.clusterId !== undefined) {
        throw new KubeiamError("USAGE", "--cluster-name and --cluster-id are mutually exclusive");
      }
      const clusterId = flags.clusterName ?? flags.clusterId;
      if (clusterId === undefined || clusterId === "")
        throw new KubeiamError("USAGE", "Either parameter --cluster-name or --cluster-id must be specified.");
      const api = execApiVersion(deps.env.KUBERNETES_EXEC_INFO);
      // kubectl shows a plugin's stderr to the user: keep the SDK's notice about future Node versions out of it
      process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
      const { getEksToken } = await import("../clients/eks/get-eks-token.js");
      const t = await getEksToken({
        clusterId,
        region: flags.region,
        profile: flags.profile,
        roleArn: flags.roleArn,
        sessionName: flags.sessionName,
        env: deps.env,
        clock: deps.clock,
      });
      if (api.warning !== undefined) io.err(api.warning);
      // the aws CLI's JSON formatter (indent 4, then a newline) followed by its own newline
      io.out(JSON.stringify(execCredential(api.apiVersion, t.token, t.expiresAt), null, 4) + "\n\n");
    });
}
