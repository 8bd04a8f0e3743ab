/** Fixture loading and a small RFC 6902 applier for the pod identity tests. */
import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { parse } from "yaml";
import type { JsonPatchOp } from "../../../../src/admission/review.js";

export const FIXTURES = fileURLToPath(new URL("../../../fixtures/pod-identity/", import.meta.url));

/** A fixture file's YAML; callers cast to the table shape they read. */
export function readFixture(name: string): unknown {
  return parse(readFileSync(FIXTURES + name, "utf8"), { maxAliasCount: -1 });
}

/** The mutation tables: every YAML file in the folder that has `cases` and `defaults`. */
export function mutationTables(): string[] {
  return readdirSync(FIXTURES)
    .filter((f) => f.endsWith(".yaml"))
    .filter((f) => {
      const doc = readFixture(f) as { defaults?: unknown; cases?: unknown };
      return doc.defaults !== undefined && Array.isArray(doc.cases);
    })
    .sort();
}

function unescape(segment: string): string {
  return segment.replace(/~1/g, "/").replace(/~0/g, "~");
}

function parsePointer(path: string): string[] {
  if (path === "") return [];
  if (!path.startsWith("/")) throw new Error(`bad JSON pointer ${path}`);
  return path.slice(1).split("/").map(unescape);
}

/** Applies a JSON Patch (add, remove, replace, test) to a deep copy of `doc`; throws like a server would. */
export function applyJsonPatch(doc: unknown, ops: readonly JsonPatchOp[]): unknown {
  let root: unknown = structuredClone(doc);
  for (const op of ops) {
    const parts = parsePointer(op.path);
    if (parts.length === 0) {
      if (op.op === "add" || op.op === "replace") root = structuredClone(op.value);
      else throw new Error(`unsupported root ${op.op}`);
      continue;
    }
    let parent: unknown = root;
    for (const p of parts.slice(0, -1)) {
      if (Array.isArray(parent)) parent = parent[Number(p)];
      else if (typeof parent === "object" && parent !== null && Object.hasOwn(parent, p))
        parent = (parent as Record<string, unknown>)[p];
      else throw new Error(`path ${op.path}: ${p} does not exist`);
    }
    const last = parts[parts.length - 1]!;
    if (Array.isArray(parent)) {
      const i = last === "-" ? parent.length : Number(last);
      if (!Number.isInteger(i) || i < 0 || i > parent.length) throw new Error(`path ${op.path}: bad index`);
      if (op.op === "add") parent.splice(i, 0, structuredClone(op.value));
      else if (op.op === "remove") parent.splice(i, 1);
      else if (op.op === "replace") parent[i] = structuredClone(op.value);
      else throw new Error(`unsupported ${op.op}`);
    } else if (typeof parent === "object" && parent !== null) {
      const o = parent as Record<string, unknown>;
      if (op.op === "add" || op.op === "replace") o[last] = structuredClone(op.value);
      else if (op.op === "remove") Reflect.deleteProperty(o, last);
      else throw new Error(`unsupported ${op.op}`);
    } else throw new Error(`path ${op.path}: parent is not a container`);
  }
  return root;
}
