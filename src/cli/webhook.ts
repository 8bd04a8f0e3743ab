/**
 * `kubeiam webhook kubeconfig --kind authentication|authorization`: the file kube-apiserver reads
 * with --authentication-token-webhook-config-file / --authorization-webhook-config-file.
 * The `webhook` group also hosts `webhook manifests` (admission configurations, from tenancy).
 */
import type { Command } from "commander";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { stringify } from "yaml";
import { KubeiamError } from "../lib/errors.js";
import { atomicWrite } from "../store/directory-store.js";
import { configFrom, withStateOptions, type StateFlags } from "./common.js";
import { parseOutputFormat, type CliIO } from "./io.js";
import { Option } from "commander";

export const WEBHOOK_PATHS = { authentication: "/authenticate", authorization: "/authorize" } as const;

export function webhookKubeconfig(kind: keyof typeof WEBHOOK_PATHS, serverUrl: string, caPem: string | undefined): Record<string, unknown> {
  const cluster: Record<string, unknown> = { server: serverUrl.replace(/\/$/, "") + WEBHOOK_PATHS[kind] };
  if (caPem) cluster["certificate-authority-data"] = Buffer.from(caPem).toString("base64");
  return {
    apiVersion: "v1",
    kind: "Config",
    clusters: [{ name: "kubeiam", cluster }],
    users: [{ name: "kube-apiserver", user: {} }],
    contexts: [{ name: "webhook", context: { cluster: "kubeiam", user: "kube-apiserver" } }],
    "current-context": "webhook",
  };
}

/** Creates (once) and returns the `webhook` command group. */
export function webhookGroup(program: Command): Command {
  return program.commands.find((c) => c.name() === "webhook") ?? program.command("webhook").description("configuration for kube-apiserver's webhooks");
}

export function registerWebhookCommands(program: Command, io: CliIO): void {
  withStateOptions(webhookGroup(program).command("kubeconfig").description("write the webhook config file kube-apiserver reads for kubeiam's authentication or authorization webhook"))
    .requiredOption("--kind <kind>", "authentication or authorization")
    .option("--server <url>", "kubeiam's URL as kube-apiserver reaches it (default from the config's listen address)")
    .option("--out <file>", "write to this file instead of standard output")
    .addOption(new Option("-o, --output <format>", "yaml|json").default("yaml"))
    .action(async (flags: StateFlags & { kind: string; server?: string; out?: string; output: string }) => {
      const format = parseOutputFormat(flags.output, ["yaml", "json"]) as string;
      if (flags.kind !== "authentication" && flags.kind !== "authorization") throw new KubeiamError("USAGE", `--kind: expected authentication or authorization, found "${flags.kind}"`);
      const config = configFrom(flags);
      const host = config.listen.host === "0.0.0.0" ? "127.0.0.1" : config.listen.host.includes(":") ? `[${config.listen.host}]` : config.listen.host;
      const server = flags.server ?? `https://${host}:${config.listen.port}`;
      if (!/^https:\/\//.test(server)) throw new KubeiamError("USAGE", `--server: expected an https URL, found "${server}"`);
      let ca: string | undefined;
      if (!config.tls.certFile) {
        ca = await readFile(join(config.stateDir, "ca.crt"), "utf8").catch(() => undefined);
        if (!ca) throw new KubeiamError("STORE_NOT_FOUND", `no CA in ${config.stateDir}; run \`kubeiam up\` once to generate it`);
      }
      const doc = webhookKubeconfig(flags.kind, server, ca);
      const text = format === "json" ? JSON.stringify(doc, null, 2) + "\n" : stringify(doc);
      if (flags.out) {
        await atomicWrite(flags.out, text, 0o644);
        io.err(`wrote ${flags.out}`);
      } else io.out(text);
    });
}
