/**
 * Command groups of the capabilities (policy, rbac, iam, sts, authn, admission, tenant, ...).
 * Each capability exports a register function; they are listed here.
 */
import type { Command } from "commander";
import type { CliIO } from "./io.js";

export function registerExtensions(program: Command, io: CliIO): void {
  const registrations: ((p: Command, o: CliIO) => void)[] = [];
  for (const r of registrations) r(program, io);
}
