/**
 * `kubeiam audit [-f DIR|FILE] [-o text|json|html]`: checks existing objects against every control
 * of the multi-tenancy guide, per tenant, with a score and each finding's object, field and fix.
 * Reads the object directory by default. Exit 0 no finding at or above --fail-on, 1 findings,
 * 2 bad usage or input.
 */
import type { Command } from "commander";
import { readFile, stat } from "node:fs/promises";
import { KubeiamError } from "../lib/errors.js";
import { ObjectCache } from "../store/cache.js";
import { DirectoryStore, parseObjectFile } from "../store/directory-store.js";
import type { KubeObject, LoadProblem } from "../store/types.js";
import {
  auditTenancy,
  SEVERITY_WEIGHT,
  type AuditReport,
  type AuditSource,
  type Severity,
} from "../tenancy/audit.js";
import { formatAuditText, renderAuditHtml } from "../tenancy/audit-report.js";
import { configFrom, openObjects, withStateOptions, type StateFlags } from "./common.js";
import { CliExit, type CliIO } from "./io.js";

const MAX_FILE_BYTES = 32 * 1024 * 1024;

function problemText(p: LoadProblem): string {
  return `${p.source}${p.line !== undefined ? `:${p.line}:${p.col ?? 0}` : ""}: ${p.message}`;
}

/** Reads objects from a directory (recursively) or one file. */
async function loadSource(
  path: string,
): Promise<{ source: AuditSource; problems: LoadProblem[]; close(): Promise<void> }> {
  let info;
  try {
    info = await stat(path);
  } catch (e) {
    throw new KubeiamError(
      "INPUT_INVALID",
      `-f ${path}: cannot read: ${(e as NodeJS.ErrnoException).code === "ENOENT" ? "no such file or directory" : (e as Error).message}`,
      { file: path },
    );
  }
  if (info.isDirectory()) {
    const store = new DirectoryStore(path, { watch: false });
    const { problems } = await store.start();
    const cache = new ObjectCache(store);
    cache.start();
    return { source: cache, problems, close: () => store.close() };
  }
  if (info.size > MAX_FILE_BYTES)
    throw new KubeiamError(
      "INPUT_INVALID",
      `-f ${path}: ${info.size} bytes is larger than the ${MAX_FILE_BYTES}-byte limit`,
      { file: path },
    );
  const r = parseObjectFile(await readFile(path, "utf8"), path);
  const objects: KubeObject[] = r.objects;
  return {
    source: { list: (kind) => objects.filter((o) => o.kind === kind) },
    problems: r.problems,
    close: () => Promise.resolve(),
  };
}

export function registerAuditCommands(program: Command, io: CliIO): void {
  withStateOptions(
    program
      .command("audit")
      .description(
        "check existing objects against the multi-tenancy controls, per tenant, with a score and fixes",
      ),
  )
    .option(
      "-f, --filename <path>",
      "directory (read recursively) or file of objects to audit (default: the object directory)",
    )
    .option("-o, --output <format>", "output format: text|json|html (html: one self-contained page)", "text")
    .option(
      "--fail-on <severity>",
      "exit 1 when a finding has at least this severity: low|medium|high|none",
      "low",
    )
    .action(async (flags: StateFlags & { filename?: string; output: string; failOn: string }) => {
      if (!["text", "json", "html"].includes(flags.output))
        throw new KubeiamError(
          "USAGE",
          `unknown output format "${flags.output}"; use one of: text, json, html`,
        );
      if (!["low", "medium", "high", "none"].includes(flags.failOn))
        throw new KubeiamError(
          "USAGE",
          `--fail-on: expected low, medium, high or none, found "${flags.failOn}"`,
        );
      let loaded: { source: AuditSource; problems: LoadProblem[]; close(): Promise<void> };
      let where: string;
      if (flags.filename !== undefined) {
        loaded = await loadSource(flags.filename);
        where = flags.filename;
      } else {
        const state = await openObjects(configFrom(flags));
        loaded = { source: state.cache, problems: state.problems, close: () => state.close() };
        where = state.config.objectsDir;
      }
      let report: AuditReport;
      try {
        for (const p of loaded.problems) io.err(`warning: skipped: ${problemText(p)}`);
        report = auditTenancy(loaded.source);
      } finally {
        await loaded.close();
      }
      if (flags.output === "json") io.out(JSON.stringify(report, null, 2));
      else if (flags.output === "html")
        io.out(renderAuditHtml(report, { generatedAt: new Date().toISOString(), source: where }));
      else io.out(formatAuditText(report));
      if (flags.failOn !== "none") {
        const min = SEVERITY_WEIGHT[flags.failOn as Severity];
        const all = [...report.tenants.flatMap((t) => t.findings), ...report.cluster.findings];
        if (all.some((f) => SEVERITY_WEIGHT[f.severity] >= min)) throw new CliExit(1);
      }
    });
}
