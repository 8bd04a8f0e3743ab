/**
 * CLI conventions shared by every command: `-o json|text`, exit codes 0/1/2, errors that say what was
 * wrong and what to do, progress on stderr. Command modules never call process.exit themselves.
 */
import { KubeiamError } from "../lib/errors.js";

export type OutputFormat = "text" | "json";

export interface CliIO {
  out(text: string): void;
  err(text: string): void;
}

export const processIO: CliIO = {
  out: (t) => process.stdout.write(t.endsWith("\n") ? t : t + "\n"),
  err: (t) => process.stderr.write(t.endsWith("\n") ? t : t + "\n"),
};

/** Thrown by a command to end with a given exit code after printing its result (1 = negative answer). */
export class CliExit extends Error {
  constructor(readonly exitCode: number) {
    super(`exit ${exitCode}`);
  }
}

export function parseOutputFormat(v: string | undefined, allowed: readonly string[] = ["text", "json"]): OutputFormat {
  const f = v ?? "text";
  if (!allowed.includes(f)) {
    throw new KubeiamError("USAGE", `unknown output format "${f}"; use one of: ${allowed.join(", ")}`);
  }
  return f as OutputFormat;
}

/** Prints `value` as JSON or through `text`, per the -o flag. */
export function printResult<T>(io: CliIO, format: OutputFormat, value: T, text: (v: T) => string): void {
  io.out(format === "json" ? JSON.stringify(value, null, 2) : text(value));
}
