/**
 * `kubeiam policy check -f FILE… [--level L] [--version V] [-o json]`: evaluates Pods and workload
 * pod templates from YAML/JSON files against a Pod Security Standards level, offline.
 * Exit 0 all allowed, 1 any violation, 2 bad usage or bad input.
 */
import type { Command } from "commander";
import { readdir, readFile, stat } from "node:fs/promises";
import { extname, join } from "node:path";
import { parseAllDocuments } from "yaml";
import {
  evaluatePodSecurity,
  type PodSecurityResult,
  type PodSecurityViolation,
} from "../admission/pod-security/evaluate.js";
import { extractPodSpec } from "../admission/pod-security/extract-pod-spec.js";
import {
  isPodSecurityLevel,
  tryParseVersion,
  type PodSecurityLevel,
} from "../admission/pod-security/level-version.js";
import { isKubeiamError, KubeiamError } from "../lib/errors.js";
import { CliExit, parseOutputFormat, printResult, type CliIO } from "./io.js";
import { outputOption } from "./common.js";

/** Largest input file read (bytes). */
export const MAX_INPUT_BYTES = 8 * 1024 * 1024;
/** Most YAML documents (or List items) read from one file. */
export const MAX_OBJECTS_PER_FILE = 10_000;
const DIRECTORY_EXTENSIONS = new Set([".yaml", ".yml", ".json"]);

interface CheckFlags {
  filename: string[];
  level: string;
  version: string;
  output: string;
}

/** One evaluated object, as printed with `-o json`. */
export interface PolicyCheckObject {
  readonly file: string;
  /** 0-based YAML document index in the file. */
  readonly document: number;
  /** Index inside a `kind: List` document. */
  readonly item?: number;
  readonly kind: string;
  readonly name: string;
  readonly namespace?: string;
  readonly allowed: boolean;
  /** `violates PodSecurity "…": …` when not allowed. */
  readonly message?: string;
  /** Set when the object has no pod template to evaluate (a ReplicationController without one). */
  readonly note?: string;
  readonly violations: readonly PodSecurityViolation[];
}

export interface PolicyCheckReport {
  readonly level: PodSecurityLevel;
  readonly version: string;
  readonly allowed: boolean;
  readonly objects: readonly PolicyCheckObject[];
}

interface LoadedObject {
  readonly file: string;
  readonly document: number;
  readonly item?: number;
  readonly object: unknown;
}

function where(o: { file: string; document: number; item?: number | undefined }): string {
  return `${o.file} (document ${o.document + 1}${o.item === undefined ? "" : `, item ${o.item + 1}`})`;
}

function inputError(message: string, context: Record<string, unknown>): KubeiamError {
  return new KubeiamError("INPUT_INVALID", message, context);
}

async function expandPaths(paths: readonly string[], problems: string[]): Promise<string[]> {
  const files: string[] = [];
  for (const p of paths) {
    let info;
    try {
      info = await stat(p);
    } catch (e) {
      problems.push(
        `${p}: cannot read: ${(e as NodeJS.ErrnoException).code === "ENOENT" ? "no such file or directory" : (e as Error).message}`,
      );
      continue;
    }
    if (info.isDirectory()) {
      const entries = (await readdir(p))
        .filter((n) => DIRECTORY_EXTENSIONS.has(extname(n).toLowerCase()))
        .sort();
      if (entries.length === 0) problems.push(`${p}: directory holds no .yaml, .yml or .json file`);
      files.push(...entries.map((n) => join(p, n)));
    } else files.push(p);
  }
  return files;
}

async function loadFile(file: string, problems: string[]): Promise<LoadedObject[]> {
  let text: string;
  try {
    const info = await stat(file);
    if (!info.isFile()) {
      problems.push(`${file}: not a regular file`);
      return [];
    }
    if (info.size > MAX_INPUT_BYTES) {
      problems.push(`${file}: ${info.size} bytes is larger than the ${MAX_INPUT_BYTES}-byte limit`);
      return [];
    }
    text = await readFile(file, "utf8");
  } catch (e) {
    problems.push(`${file}: cannot read: ${(e as Error).message}`);
    return [];
  }
  const docs = parseAllDocuments(text, { uniqueKeys: true, prettyErrors: true });
  if (!Array.isArray(docs)) return []; // an empty stream
  const out: LoadedObject[] = [];
  for (let d = 0; d < docs.length; d++) {
    const doc = docs[d]!;
    const error = doc.errors[0];
    if (error) {
      const pos = error.linePos?.[0];
      problems.push(
        `${file}${pos ? `:${pos.line}:${pos.col}` : ""}: not valid YAML: ${error.message.split("\n")[0] ?? ""}`,
      );
      continue;
    }
    let value: unknown;
    try {
      value = doc.toJS({ maxAliasCount: 100 });
    } catch (e) {
      problems.push(`${where({ file, document: d })}: ${(e as Error).message}`);
      continue;
    }
    if (value == null) continue; // empty document (e.g. a trailing ---)
    const kind = (value as { kind?: unknown }).kind;
    const items = (value as { items?: unknown }).items;
    if (typeof kind === "string" && kind.endsWith("List") && Array.isArray(items)) {
      items.forEach((item: unknown, i) => out.push({ file, document: d, item: i, object: item }));
    } else out.push({ file, document: d, object: value });
    if (out.length > MAX_OBJECTS_PER_FILE) {
      problems.push(`${file}: more than ${MAX_OBJECTS_PER_FILE} objects`);
      return [];
    }
  }
  return out;
}

function evaluateObject(o: LoadedObject, level: PodSecurityLevel, version: string): PolicyCheckObject {
  const extracted = extractPodSpec(o.object);
  const base = { file: o.file, document: o.document, ...(o.item === undefined ? {} : { item: o.item }) };
  if (extracted === null) {
    const meta = (o.object as { metadata?: { name?: unknown; namespace?: unknown } }).metadata;
    const name = typeof meta?.name === "string" ? meta.name : "";
    const namespace = typeof meta?.namespace === "string" ? { namespace: meta.namespace } : {};
    return {
      ...base,
      kind: "ReplicationController",
      name,
      ...namespace,
      allowed: true,
      note: "no pod template to evaluate",
      violations: [],
    };
  }
  const result: PodSecurityResult = evaluatePodSecurity({
    level,
    version,
    podMeta: extracted.podMeta,
    podSpec: extracted.podSpec,
    fieldPathPrefix: extracted.fieldPathPrefix,
  });
  const namespace = extracted.namespace === undefined ? {} : { namespace: extracted.namespace };
  return {
    ...base,
    kind: extracted.kind,
    name: extracted.name,
    ...namespace,
    allowed: result.allowed,
    ...(result.message === undefined ? {} : { message: result.message }),
    violations: result.violations,
  };
}

function textReport(r: PolicyCheckReport): string {
  return r.objects
    .map((o) => {
      const verdict = o.allowed ? (o.note ? `allowed (${o.note})` : "allowed") : (o.message ?? "denied");
      return `${o.file}: ${o.kind}/${o.name === "" ? "(no name)" : o.name}: ${verdict}`;
    })
    .join("\n");
}

/** Runs `policy check` for already-parsed flags; prints the report and ends with CliExit(1) on violations. */
export async function runPolicyCheck(flags: CheckFlags, io: CliIO): Promise<void> {
  const format = parseOutputFormat(flags.output);
  if (!isPodSecurityLevel(flags.level)) {
    throw new KubeiamError(
      "USAGE",
      `--level: expected privileged, baseline or restricted, found "${flags.level}"`,
    );
  }
  if (tryParseVersion(flags.version) === undefined) {
    throw new KubeiamError(
      "USAGE",
      `--version: expected latest or v1.N (e.g. v1.30), found "${flags.version}"`,
    );
  }
  const level = flags.level;
  const version = flags.version;

  const problems: string[] = [];
  const files = await expandPaths(flags.filename, problems);
  const loaded: LoadedObject[] = [];
  for (const f of files) loaded.push(...(await loadFile(f, problems)));

  const objects: PolicyCheckObject[] = [];
  for (const o of loaded) {
    try {
      objects.push(evaluateObject(o, level, version));
    } catch (e) {
      if (!isKubeiamError(e) || e.code !== "POD_OBJECT_INVALID") throw e;
      problems.push(`${where(o)}: ${e.message}`);
    }
  }
  if (problems.length > 0) {
    throw inputError(
      problems.length === 1 ? problems[0]! : `${problems.length} input problems:\n  ${problems.join("\n  ")}`,
      { problems },
    );
  }
  if (objects.length === 0)
    throw inputError(`no Kubernetes objects found in ${flags.filename.join(", ")}`, {
      files: flags.filename,
    });

  const report: PolicyCheckReport = { level, version, allowed: objects.every((o) => o.allowed), objects };
  printResult(io, format, report, textReport);
  if (!report.allowed) throw new CliExit(1);
}

/**
 * Adds `policy check` (creating the `policy` group when no other module has). Turns on positional
 * options for `program`: root options (-V, -h) are read only before the subcommand.
 */
export function registerPolicyCommands(program: Command, io: CliIO): void {
  // `check --version v1.N` must reach the subcommand; without positional options the root
  // program's own -V/--version would take it wherever it appears on the line.

  const policy =
    program.commands.find((c) => c.name() === "policy") ??
    program.command("policy").description("offline policy tools: Pod Security Standards checks of manifests");
  policy
    .command("check")
    .description(
      "evaluate Pods and workload pod templates (Deployment, StatefulSet, DaemonSet, Job, CronJob, ...) against a Pod Security Standards level",
    )
    .requiredOption(
      "-f, --filename <file...>",
      "YAML or JSON files (multi-document allowed) or directories of them",
    )
    .option("--level <level>", "Pod Security level: baseline|restricted (or privileged)", "restricted")
    .option("--version <version>", "policy version: latest or v1.N", "latest")
    .addOption(outputOption())
    .action(async (flags: CheckFlags) => {
      await runPolicyCheck(flags, io);
    });
}
