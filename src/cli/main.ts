#!/usr/bin/env node
/**
 * The kubeiam CLI. Exit codes: 0 ok, 1 a negative answer (denied, violations), 2 bad usage or input.
 *
 * Command groups are imported only when needed (docs/adr/0006-lazy-cli-command-groups.md): when the
 * first argument names a group, only that group's module is loaded, so `kubeiam up` does not load
 * the OIDC login client, the AWS SDK or the offline RBAC tools. Anything else (`--help`, `help`,
 * `--version`, an unknown command) registers every group, so help and suggestions are complete.
 */
import { Command, CommanderError } from "commander";
import { KubeiamError, asKubeiamError } from "../lib/errors.js";
import { redactString } from "../lib/redact.js";
import { CliExit, processIO, type CliIO } from "./io.js";
import { EXTENSION_GROUPS, type CommandGroup } from "./extensions.js";

/** Every command group, in the order `kubeiam --help` lists them: the core ones, then the capabilities'. */
export const COMMAND_GROUPS: readonly CommandGroup[] = [
  { names: ["up"], load: async () => (await import("./up.js")).registerUp },
  { names: ["keys"], load: async () => (await import("./keys.js")).registerKeys },
  { names: ["token"], load: async () => (await import("./token.js")).registerToken },
  { names: ["decisions"], load: async () => (await import("./decisions.js")).registerDecisions },
  { names: ["config"], load: async () => (await import("./config.js")).registerConfig },
  ...EXTENSION_GROUPS,
];

/** The groups needed to run `argv`: the one its first argument names, or all of them. */
export function groupsFor(argv: readonly string[] | undefined): readonly CommandGroup[] {
  const first = argv?.[0];
  const named = first === undefined ? undefined : COMMAND_GROUPS.find((g) => g.names.includes(first));
  return named ? [named] : COMMAND_GROUPS;
}

/**
 * The program with every command group, or, given the arguments about to be run, with only the
 * group they name (the help and options of that group are the same either way).
 */
export async function buildProgram(io: CliIO, argv?: readonly string[]): Promise<Command> {
  const registers = await Promise.all(groupsFor(argv).map((g) => g.load()));
  const program = new Command("kubeiam")
    .description("identity, access and tenant-isolation plane for Kubernetes")
    .version("0.1.0")
    .showHelpAfterError("(run with --help for usage)")
    .exitOverride()
    // root options (-V/--version) count only before the subcommand, so `policy check --version v1.30` works
    .enablePositionalOptions()
    .configureOutput({ writeOut: (s) => io.out(s.replace(/\n$/, "")), writeErr: (s) => io.err(s.replace(/\n$/, "")) });
  for (const register of registers) register(program, io);
  // every subcommand inherits exitOverride and output settings
  const inherit = (c: Command): void => {
    for (const sub of c.commands) {
      sub.exitOverride().configureOutput({ writeOut: (s) => io.out(s.replace(/\n$/, "")), writeErr: (s) => io.err(s.replace(/\n$/, "")) });
      inherit(sub);
    }
  };
  inherit(program);
  return program;
}

/** Runs the CLI and returns the exit code (never calls process.exit). */
export async function runCli(argv: readonly string[], io: CliIO): Promise<number> {
  try {
    const program = await buildProgram(io, argv);
    await program.parseAsync(argv, { from: "user" });
    return 0;
  } catch (e) {
    if (e instanceof CliExit) return e.exitCode;
    if (e instanceof CommanderError) {
      if (e.code === "commander.helpDisplayed" || e.code === "commander.version" || e.code === "commander.help") return 0;
      return 2;
    }
    const err = asKubeiamError(e);
    if (err.code === "INTERNAL") {
      io.err(`error: internal error: ${redactString(err.message)}\n  this is a bug in kubeiam; please report it with the command you ran`);
    } else {
      io.err(`error: ${redactString(err.message)}`);
    }
    return err.exitCode;
  }
}

const isMain = process.argv[1] !== undefined && /(?:^|[/\\])(main\.[jt]s|kubeiam(\.js)?)$/.test(process.argv[1]);
if (isMain) {
  runCli(process.argv.slice(2), processIO).then(
    (code) => {
      process.exitCode = code;
    },
    (e: unknown) => {
      process.stderr.write(`error: ${e instanceof KubeiamError ? e.message : String(e)}\n`);
      process.exitCode = 2;
    },
  );
}
