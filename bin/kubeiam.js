#!/usr/bin/env node
// Entry point for the `kubeiam` command: runs the compiled CLI (npm run build).
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { dirname, join } from "node:path";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const main = join(root, "dist", "cli", "main.js");
if (!existsSync(main)) {
  process.stderr.write("kubeiam: not built yet; run `npm run build` in " + root + "\n");
  process.exit(2);
}
await import(main);
