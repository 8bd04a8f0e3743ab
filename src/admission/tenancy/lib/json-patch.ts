/**
 * Applying RFC 6902 JSON Patches (the shared JsonPatchOp type): used to compose mutation steps (each
 * step sees the object as patched so far) and by tests to check idempotence.
 */
import { KubeiamError } from "../../../lib/errors.js";
import type { JsonPatchOp } from "../../review.js";

function fail(message: string): never {
  throw new KubeiamError("INTERNAL", `JSON patch: ${message}`);
}

function isContainer(v: unknown): v is Record<string, unknown> | unknown[] {
  return typeof v === "object" && v !== null;
}

function unseg(s: string): string {
  return s.replace(/~1/g, "/").replace(/~0/g, "~");
}

function locate(root: unknown, path: string): { parent: Record<string, unknown> | unknown[]; last: string } {
  if (!path.startsWith("/")) fail(`path "${path}" must start with "/"`);
  const parts = path.slice(1).split("/").map(unseg);
  const last = parts.pop()!;
  let parent: unknown = root;
  for (const p of parts) {
    if (!isContainer(parent)) fail(`path "${path}" goes through a scalar`);
    parent = Array.isArray(parent) ? parent[Number(p)] : parent[p];
  }
  if (!isContainer(parent)) fail(`the parent of "${path}" does not exist`);
  return { parent, last };
}

function get(root: unknown, path: string): unknown {
  if (path === "") return root;
  const { parent, last } = locate(root, path);
  const v = Array.isArray(parent)
    ? parent[Number(last)]
    : Object.hasOwn(parent, last)
      ? parent[last]
      : undefined;
  if (v === undefined) fail(`"${path}" does not exist`);
  return v;
}

function remove(root: unknown, path: string): unknown {
  const { parent, last } = locate(root, path);
  if (Array.isArray(parent)) {
    const i = Number(last);
    if (!Number.isInteger(i) || i < 0 || i >= parent.length) fail(`index ${last} out of range at "${path}"`);
    return parent.splice(i, 1)[0];
  }
  if (!Object.hasOwn(parent, last)) fail(`"${path}" does not exist`);
  const v = parent[last];
  Reflect.deleteProperty(parent, last);
  return v;
}

function add(root: unknown, path: string, value: unknown, replace: boolean): unknown {
  if (path === "") return value;
  const { parent, last } = locate(root, path);
  if (Array.isArray(parent)) {
    const i = last === "-" ? parent.length : Number(last);
    if (!Number.isInteger(i) || i < 0 || i > parent.length || (replace && i >= parent.length))
      fail(`index ${last} out of range at "${path}"`);
    if (replace) parent[i] = value;
    else parent.splice(i, 0, value);
  } else {
    if (replace && !Object.hasOwn(parent, last)) fail(`"${path}" does not exist`);
    parent[last] = value;
  }
  return root;
}

/** Applies `ops` to a deep copy of `doc` and returns the result. */
export function applyPatch<T>(doc: T, ops: readonly JsonPatchOp[]): T {
  let root: unknown = structuredClone(doc);
  for (const o of ops) {
    switch (o.op) {
      case "add":
        root = add(root, o.path, structuredClone(o.value), false);
        break;
      case "replace":
        get(root, o.path);
        root = add(root, o.path, structuredClone(o.value), o.path !== "");
        break;
      case "remove":
        remove(root, o.path);
        break;
      case "test":
        if (JSON.stringify(get(root, o.path)) !== JSON.stringify(o.value)) fail(`test failed at "${o.path}"`);
        break;
      case "move": {
        const v = remove(root, o.from);
        root = add(root, o.path, v, false);
        break;
      }
      case "copy":
        root = add(root, o.path, structuredClone(get(root, o.from)), false);
        break;
    }
  }
  return root as T;
}
