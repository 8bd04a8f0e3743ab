/**
 * Runs `kubeiam` in-process with the rbac commands registered (whether or not the lead has wired
 * them into src/cli/extensions.ts yet), capturing output and the exit code as runCli does.
 */
import type { Command } from "commander";
import { CommanderError } from "commander";
import { CliExit, type CliIO } from "../../../src/cli/io.js";
import { buildProgram } from "../../../src/cli/main.js";
import { registerRbacCommands } from "../../../src/cli/rbac.js";
import { asKubeiamError } from "../../../src/lib/errors.js";

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

export async function rbacCli(args: readonly string[]): Promise<CliRun> {
  let stdout = "";
  let stderr = "";
  const io: CliIO = {
    out: (t) => (stdout += t.endsWith("\n") ? t : t + "\n"),
    err: (t) => (stderr += t.endsWith("\n") ? t : t + "\n"),
  };
  const program = await buildProgram(io);
  if (!program.commands.some((c) => c.name() === "rbac")) {
    registerRbacCommands(program, io);
    const out = {
      writeOut: (s: string) => io.out(s.replace(/\n$/, "")),
      writeErr: (s: string) => io.err(s.replace(/\n$/, "")),
    };
    const inherit = (c: Command): void => {
      for (const sub of c.commands) {
        sub.exitOverride().configureOutput(out);
        inherit(sub);
      }
    };
    inherit(program);
  }
  try {
    await program.parseAsync([...args], { from: "user" });
    return { code: 0, stdout, stderr };
  } catch (e) {
    if (e instanceof CliExit) return { code: e.exitCode, stdout, stderr };
    if (e instanceof CommanderError) {
      const ok =
        e.code === "commander.helpDisplayed" || e.code === "commander.help" || e.code === "commander.version";
      return { code: ok ? 0 : 2, stdout, stderr };
    }
    const err = asKubeiamError(e);
    io.err(`error: ${err.message}`);
    return { code: err.exitCode, stdout, stderr };
  }
}
