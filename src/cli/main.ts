#!/usr/bin/env node
/**
 * The kubeiam CLI. Exit codes: 0 ok, 1 a negative answer (denied, violations), 2 bad usage or input.
 */
import { Command, CommanderError } from "commander";
import { KubeiamError, asKubeiamError } from "../lib/errors.js";
import { redactString } from "../lib/redact.js";
import { CliExit, processIO, type CliIO } from "./io.js";
import { registerUp } from "./up.js";
import { registerKeys } from "./keys.js";
import { registerToken } from "./token.js";
import { registerDecisions } from "./decisions.js";
import { registerConfig } from "./config.js";
import { registerExtensions } from "./extensions.js";

export function buildProgram(io: CliIO): Command {
  const program = new Command("kubeiam")
    .description("identity, access and tenant-isolation plane for Kubernetes")
    .version("0.1.0")
    .showHelpAfterError("(run with --help for usage)")
    .exitOverride()
    // root options (-V/--version) count only before the subcommand, so `policy check --version v1.30` works
    .enablePositionalOptions()
    .configureOutput({ writeOut: (s) => io.out(s.replace(/\n$/, "")), writeErr: (s) => io.err(s.replace(/\n$/, "")) });
  registerUp(program, io);
  registerKeys(program, io);
  registerToken(program, io);
  registerDecisions(program, io);
  registerConfig(program, io);
  registerExtensions(program, io);
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
  const program = buildProgram(io);
  try {
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
