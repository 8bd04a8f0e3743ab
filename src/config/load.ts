/**
 * Reads kubeiam.yaml with precise errors: the file, the field path (and line), what was expected
 * and what was found.
 */
import { readFileSync } from "node:fs";
import { LineCounter, parseDocument, isNode } from "yaml";
import type { z } from "zod";
import { KubeiamError } from "../lib/errors.js";
import { configSchema, type ConfigFile } from "./schema.js";
import { resolveConfig, type Config, type Overrides } from "./resolve.js";

export function describeValue(v: unknown): string {
  if (v === undefined) return "nothing";
  if (v === null) return "null";
  if (Array.isArray(v)) return "a list";
  if (typeof v === "object") return "a mapping";
  if (typeof v === "string") return JSON.stringify(v.length > 60 ? v.slice(0, 57) + "..." : v);
  if (typeof v === "number" || typeof v === "boolean" || typeof v === "bigint") return `${typeof v} ${String(v)}`;
  return typeof v;
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let cur: unknown = root;
  for (const p of path) {
    if (cur === null || typeof cur !== "object") return undefined;
    cur = (cur as Record<PropertyKey, unknown>)[p];
  }
  return cur;
}

export function formatPath(path: readonly PropertyKey[]): string {
  let s = "";
  for (const p of path) s += typeof p === "number" ? `[${p}]` : s ? `.${String(p)}` : String(p);
  return s || "(top level)";
}

/** Turns one zod issue into "field X: expected …, found …". */
export function describeIssue(issue: z.core.$ZodIssue, input: unknown): { path: string; text: string } {
  const found = valueAt(input, issue.path);
  const path = formatPath(issue.path);
  switch (issue.code) {
    case "invalid_type":
      return { path, text: `expected ${issue.expected}, found ${describeValue(found)}` };
    case "invalid_value":
      return { path, text: `expected one of ${issue.values.map((v) => JSON.stringify(v)).join(", ")}, found ${describeValue(found)}` };
    case "unrecognized_keys":
      return { path, text: `unknown field${issue.keys.length > 1 ? "s" : ""} ${issue.keys.map((k) => `"${k}"`).join(", ")} (check the spelling; see docs/config.md)` };
    case "too_small":
      return { path, text: `expected ${issue.origin === "array" ? "at least " + String(issue.minimum) + " item(s)" : issue.origin === "string" ? "a non-empty string" : "at least " + String(issue.minimum)}, found ${describeValue(found)}` };
    case "too_big":
      return { path, text: `expected at most ${String(issue.maximum)}, found ${describeValue(found)}` };
    default:
      return { path, text: `expected ${issue.message.replace(/^Invalid (input|string): ?/i, "") || "a valid value"}, found ${describeValue(found)}` };
  }
}

export function parseConfigText(text: string, file: string): ConfigFile {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const e = doc.errors[0]!;
    const pos = lc.linePos(e.pos[0]);
    throw new KubeiamError("CONFIG_UNREADABLE", `${file}:${pos.line}:${pos.col}: not valid YAML: ${e.message.split("\n")[0] ?? ""}`, { file, line: pos.line });
  }
  const data: unknown = doc.toJS() ?? {};
  const parsed = configSchema.safeParse(data);
  if (parsed.success) return parsed.data;
  const lines = parsed.error.issues.map((issue) => {
    const { path, text: t } = describeIssue(issue, data);
    const node = doc.getIn(issue.path as unknown[], true);
    const line = isNode(node) && node.range ? lc.linePos(node.range[0]).line : undefined;
    return `${file}${line ? `:${line}` : ""}: field "${path}": ${t}`;
  });
  throw new KubeiamError("CONFIG_INVALID", lines.join("\n"), { file, issues: lines.length });
}

/** Loads the config: the given file, or ./kubeiam.yaml when present, or defaults. */
export function loadConfig(file: string | undefined, overrides: Overrides = {}, cwd = process.cwd()): Config {
  let path = file;
  let text: string | undefined;
  if (path !== undefined) {
    try {
      text = readFileSync(path, "utf8");
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code ?? "error";
      throw new KubeiamError("CONFIG_UNREADABLE", `${path}: cannot read the config file (${code}); check the path given with --config`, { file: path });
    }
  } else {
    try {
      text = readFileSync(`${cwd}/kubeiam.yaml`, "utf8");
      path = `${cwd}/kubeiam.yaml`;
    } catch {
      text = undefined;
    }
  }
  const raw = text === undefined ? {} : parseConfigText(text, path!);
  return resolveConfig(raw, path, overrides, cwd);
}
