/** `kubeiam config check|show`: validate kubeiam.yaml and print the resolved settings. */
import type { Command } from "commander";
import { configFrom, outputOption, withStateOptions, type StateFlags } from "./common.js";
import { parseOutputFormat, printResult, type CliIO } from "./io.js";

export function registerConfig(program: Command, io: CliIO): void {
  const config = program.command("config").description("kubeiam.yaml");
  withStateOptions(config.command("check").description("validate the config file and print the resolved settings"))
    .option("--listen <host:port>", "HTTPS listener")
    .addOption(outputOption())
    .action((flags: StateFlags & { listen?: string; output: string }) => {
      const format = parseOutputFormat(flags.output);
      const c = configFrom(flags);
      const resolved: Partial<typeof c> = { ...c };
      delete resolved.raw;
      printResult(io, format, resolved, (v) => `${v.file ?? "(no config file: defaults)"} is valid\n` + JSON.stringify(v, null, 2));
    });
}
