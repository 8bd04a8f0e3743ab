/**
 * Label and field selectors as the API takes them, and the subset of field selectors kubeiam
 * evaluates locally (to know whether an object it wrote belongs to a filtered watch). Pure.
 */
import type { KubeObject } from "../types.js";

/** {a: "1", b: "2"} → "a=1,b=2" (keys sorted); undefined when empty. */
export function labelSelectorString(...parts: (Record<string, string> | undefined)[]): string | undefined {
  const all: Record<string, string> = {};
  for (const p of parts) if (p) Object.assign(all, p);
  const keys = Object.keys(all).sort();
  return keys.length === 0 ? undefined : keys.map((k) => `${k}=${all[k]!}`).join(",");
}

export interface FieldTerm {
  path: string[];
  op: "=" | "!=";
  value: string;
}

/** "type=kubernetes.io/service-account-token,metadata.name!=x" → terms; undefined when a term cannot be read. */
export function parseFieldSelector(sel: string): FieldTerm[] | undefined {
  const terms: FieldTerm[] = [];
  for (const raw of sel.split(",")) {
    const t = raw.trim();
    if (t === "") continue;
    const m = /^([A-Za-z0-9_.]+)\s*(==|!=|=)\s*(.*)$/.exec(t);
    if (!m) return undefined;
    terms.push({ path: m[1]!.split("."), op: m[2] === "!=" ? "!=" : "=", value: m[3]! });
  }
  return terms;
}

/** Whether `obj` matches a field selector (string fields only; a missing field is ""). */
export function matchesFieldSelector(obj: KubeObject, sel: string | undefined): boolean {
  if (sel === undefined || sel === "") return true;
  const terms = parseFieldSelector(sel);
  if (!terms) return false;
  for (const t of terms) {
    let v: unknown = obj;
    for (const p of t.path)
      v = typeof v === "object" && v !== null ? (v as Record<string, unknown>)[p] : undefined;
    const s = typeof v === "string" ? v : v === undefined ? "" : JSON.stringify(v);
    if ((s === t.value) !== (t.op === "=")) return false;
  }
  return true;
}
