/** The state directory check, shared by the server and the offline commands (kept apart from app.ts so a command does not load the server). */
import { mkdir, access, constants } from "node:fs/promises";
import { KubeiamError } from "../lib/errors.js";

export async function ensureStateDir(dir: string): Promise<void> {
  try {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    await access(dir, constants.R_OK | constants.W_OK | constants.X_OK);
  } catch (e) {
    throw new KubeiamError("STATE_DIR_UNUSABLE", `the state directory ${dir} cannot be created or is not readable and writable (${(e as NodeJS.ErrnoException).code ?? "error"}); pass another with --state-dir`, { dir });
  }
}
