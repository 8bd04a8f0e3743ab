/**
 * `kubeiam install crds`: prints kubeiam's CustomResourceDefinitions as YAML (for `kubectl apply
 * -f -` or a GitOps repository), or with --apply installs them with server-side apply and waits
 * until they are Established.
 */
import { Option, type Command } from "commander";
import { loadConfig } from "../config/load.js";
import { applyCrds, type AppliedCrd } from "../crds/apply.js";
import { crdsYaml, kubeiamCrds } from "../crds/generate.js";
import { KubeiamError } from "../lib/errors.js";
import type { CliIO } from "./io.js";

interface CrdFlags {
  apply?: boolean;
  kubeconfig?: string;
  context?: string;
  config?: string;
  output: string;
  timeout: string;
}

function parseTimeout(v: string): number {
  const m = /^(\d+)(ms|s|m)?$/.exec(v.trim());
  if (!m)
    throw new KubeiamError("USAGE", `--timeout: expected a duration such as 60s, 2m or 500ms, found "${v}"`);
  const n = Number(m[1]);
  const ms = m[2] === "ms" ? n : m[2] === "m" ? n * 60_000 : n * 1000;
  if (ms <= 0 || ms > 3_600_000)
    throw new KubeiamError("USAGE", `--timeout: expected more than 0 and at most 1h, found "${v}"`);
  return ms;
}

export function registerInstallCommands(program: Command, io: CliIO): void {
  const install = program
    .command("install")
    .description("install what cluster mode needs into a Kubernetes cluster");
  install
    .command("crds")
    .description(
      "print kubeiam's CustomResourceDefinitions, or apply them with --apply and wait until they are served",
    )
    .option("--apply", "apply them to the cluster (server-side apply) instead of printing them")
    .option(
      "--kubeconfig <file>",
      "kubeconfig to use with --apply (default: kubernetes.kubeconfig of kubeiam.yaml, $KUBECONFIG, ~/.kube/config, in-cluster)",
    )
    .option("--context <name>", "kubeconfig context (default: its current-context)")
    .option(
      "--config <file>",
      "kubeiam.yaml whose kubernetes section to use (default ./kubeiam.yaml when present)",
    )
    .option("--timeout <duration>", "how long --apply waits for the CRDs to be Established", "60s")
    .addOption(
      new Option("-o, --output <format>", "yaml|json (the CRDs, or with --apply the result)").default("yaml"),
    )
    .action(async (flags: CrdFlags) => {
      if (flags.output !== "yaml" && flags.output !== "json")
        throw new KubeiamError("USAGE", `unknown output format "${flags.output}"; use one of: yaml, json`);
      const crds = kubeiamCrds();
      if (!flags.apply) {
        io.out(
          flags.output === "json"
            ? JSON.stringify({ apiVersion: "v1", kind: "List", items: crds }, null, 2)
            : crdsYaml(crds),
        );
        return;
      }
      const timeoutMs = parseTimeout(flags.timeout);
      let kubeconfig = flags.kubeconfig;
      let context = flags.context;
      if (kubeconfig === undefined || context === undefined) {
        const k = loadConfig(flags.config, {}).kubernetes;
        kubeconfig ??= k.kubeconfig;
        context ??= k.context;
      }
      const { KubeClient } = await import("../store/kube/client.js");
      const api = KubeClient.fromKubeconfig({ kubeconfig, context });
      let results: AppliedCrd[];
      try {
        results = await applyCrds(api, crds, {
          timeoutMs,
          ...(flags.output === "yaml" ? { onProgress: (l: string) => io.out(l) } : {}),
        });
      } finally {
        api.close();
      }
      if (flags.output === "json") io.out(JSON.stringify({ server: api.server, crds: results }, null, 2));
    });
}
