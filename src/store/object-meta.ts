/** Helpers shared by store implementations: uids, selectors, copies. */
import { createHash, randomUUID } from "node:crypto";
import type { KubeObject, ListOptions, ObjectKey } from "./types.js";
import { keyString } from "./types.js";

/**
 * A stable uid for an object written by hand without one, so tokens bound to it survive restarts:
 * a UUID-shaped digest of its key. Objects created through kubeiam get a random UUID, persisted.
 */
export function stableUid(key: ObjectKey): string {
  const h = createHash("sha256").update("kubeiam-uid:" + keyString(key)).digest("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-${((parseInt(h[16]!, 16) & 0x3) | 0x8).toString(16)}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

export function newUid(): string {
  return randomUUID();
}

export function matchesList(obj: KubeObject, opts: ListOptions | undefined): boolean {
  if (!opts) return true;
  if (opts.namespace !== undefined && obj.metadata.namespace !== opts.namespace) return false;
  if (opts.labelSelector) {
    const labels = obj.metadata.labels ?? {};
    for (const [k, v] of Object.entries(opts.labelSelector)) if (labels[k] !== v) return false;
  }
  return true;
}

/** Deep copy so callers can never mutate what a store holds. */
export function clone<T>(v: T): T {
  return structuredClone(v);
}
