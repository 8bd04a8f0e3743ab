/** `kubeiam up`: the server on the embedded default (or the given config). */
import type { Command } from "commander";
import { relative } from "node:path";
import { startApp } from "../server/app.js";
import { systemClock } from "../lib/clock.js";
import { configFrom, outputOption, withStateOptions, type StateFlags } from "./common.js";
import { parseOutputFormat, type CliIO } from "./io.js";
import { awsEnv } from "./iam.js";

export function registerUp(program: Command, io: CliIO): void {
  withStateOptions(program.command("up").description("start the kubeiam server (embedded mode by default)"))
    .option("--listen <host:port>", "HTTPS listener (default 127.0.0.1:8443)")
    .addOption(outputOption())
    .action(async (flags: StateFlags & { listen?: string; output: string }) => {
      const format = parseOutputFormat(flags.output);
      const config = configFrom(flags);
      const app = await startApp(config, { clock: systemClock });
      const rel = (p: string): string => (relative(process.cwd(), p).startsWith("..") ? p : relative(process.cwd(), p) || ".");
      const info = {
        mode: config.mode,
        url: app.listener!.url,
        issuer: config.issuer.url,
        caFile: app.tls.caPath,
        stateDir: config.stateDir,
        objectsDir: config.objectsDir,
        objects: app.cache.count(),
        skipped: app.loadProblems.length,
        adminTokenFile: `${config.stateDir}/admin-token`,
        aws: awsEnv(app.adminAccessKey, config.region, app.listener!.url, app.tls.caPath),
      };
      if (format === "json") io.out(JSON.stringify(info));
      else {
        const ca = app.tls.caPath ? rel(app.tls.caPath) : "(your own certificate)";
        io.out(
          [
            `kubeiam is up (${config.mode} mode) on ${info.url}`,
            `  issuer:      ${info.issuer}`,
            `  CA:          ${ca}`,
            `  objects:     ${rel(config.objectsDir)} (${info.objects} loaded${info.skipped ? `, ${info.skipped} skipped: see the log` : ""})`,
            `  admin token: ${rel(info.adminTokenFile)}`,
            ``,
            `To use it:`,
            `  curl --cacert ${ca} ${info.url}/.well-known/openid-configuration`,
            `  kubeiam token create --namespace default --service-account demo   # after adding the ServiceAccount to ${rel(config.objectsDir)}`,
            `  export SSL_CERT_FILE=${ca}   # or NODE_EXTRA_CA_CERTS / AWS_CA_BUNDLE for clients that should trust it`,
            ``,
            `The aws CLI and SDKs (admin user, AdministratorAccess; also: kubeiam iam admin-credentials):`,
            ...Object.entries(info.aws).map(([k, v]) => `  export ${k}=${v}`),
            `  aws sts get-caller-identity`,
            ``,
            `Stop with Ctrl-C (SIGINT) or SIGTERM.`,
          ].join("\n"),
        );
      }
      await new Promise<void>((resolve) => {
        const stop = (sig: string): void => {
          app.logger.info("shutting down", { signal: sig });
          void app.close().then(resolve);
        };
        process.once("SIGTERM", () => stop("SIGTERM"));
        process.once("SIGINT", () => stop("SIGINT"));
      });
    });
}
