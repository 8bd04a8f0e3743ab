/** JSON merge patch for table fixtures: objects merge deeply, `null` deletes a key, anything else replaces. */
export function merge(base: Record<string, unknown>, patch: Record<string, unknown>): Record<string, unknown> {
  const out = new Map<string, unknown>(Object.entries(base));
  for (const [k, v] of Object.entries(patch)) {
    const cur = out.get(k);
    if (v === null) out.delete(k);
    else if (typeof v === "object" && !Array.isArray(v) && typeof cur === "object" && cur !== null && !Array.isArray(cur)) out.set(k, merge(cur as Record<string, unknown>, v as Record<string, unknown>));
    else out.set(k, v);
  }
  return Object.fromEntries(out);
}
