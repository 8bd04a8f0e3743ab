/**
 * Runs every benchmark under bench/ (or those named on the command line) one after another, each in
 * its own process, and prints their output. Loopback only; each benchmark bounds its own time.
 * Usage: npm run bench [-- mint startup ...]
 */
import { spawnSync } from "node:child_process";
import { readdirSync } from "node:fs";
import { cpus, totalmem } from "node:os";
import { fileURLToPath } from "node:url";

const dir = fileURLToPath(new URL(".", import.meta.url));
const wanted = process.argv.slice(2);
const files = readdirSync(dir)
  .filter((f) => f.endsWith(".bench.ts"))
  .filter((f) => wanted.length === 0 || wanted.some((w) => f.startsWith(w)))
  .sort();
process.stdout.write(`# kubeiam benchmarks — ${new Date().toISOString()}\n# ${cpus().length} × ${cpus()[0]?.model ?? "cpu"}, ${Math.round(totalmem() / 2 ** 30)} GiB, node ${process.version}\n`);
let failed = 0;
for (const f of files) {
  process.stdout.write(`\n## ${f}\n`);
  const r = spawnSync(process.execPath, ["--import", "tsx", `${dir}${f}`], { stdio: "inherit", timeout: 300_000 });
  if (r.status !== 0) {
    failed++;
    process.stdout.write(`(${f} exited with ${r.status ?? r.signal ?? "?"})\n`);
  }
}
process.exitCode = failed > 0 ? 1 : 0;
