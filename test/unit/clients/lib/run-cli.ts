/** Runs one command group in-process on a fresh commander program, like the real CLI does. */
import { Command, CommanderError } from "commander";
import { CliExit, type CliIO } from "../../../../src/cli/io.js";
import { isKubeiamError, asKubeiamError } from "../../../../src/lib/errors.js";

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
  /** The error code when the command failed with a KubeiamError. */
  error?: string;
}

/** `register` adds the commands; `onErr` sees each stderr write as it happens. */
export async function runCommand(
  register: (program: Command, io: CliIO) => void,
  args: string[],
  onErr?: (text: string) => void,
): Promise<Run> {
  let stdout = "";
  let stderr = "";
  const io: CliIO = {
    // exactly what processIO writes
    out: (s) => (stdout += s.endsWith("\n") ? s : s + "\n"),
    err: (s) => {
      stderr += s.endsWith("\n") ? s : s + "\n";
      onErr?.(s);
    },
  };
  const quiet = { writeOut: (s: string) => io.out(s), writeErr: (s: string) => io.err(s) };
  const program = new Command("kubeiam").exitOverride().configureOutput(quiet);
  register(program, io);
  for (const c of program.commands) c.exitOverride().configureOutput(quiet);
  try {
    await program.parseAsync(args, { from: "user" });
    return { code: 0, stdout, stderr };
  } catch (e) {
    if (e instanceof CliExit) return { code: e.exitCode, stdout, stderr };
    if (e instanceof CommanderError)
      return { code: e.code === "commander.helpDisplayed" ? 0 : 2, stdout, stderr };
    const k = asKubeiamError(e);
    if (!isKubeiamError(e)) throw e;
    return { code: k.exitCode, stdout, stderr: stderr + `error: ${k.message}\n`, error: k.code };
  }
}
