/**
 * Policy variables (Version 2012-10-17 only): "${aws:username}" is replaced by the request's value
 * of that key (keys matched without case), "${key, 'default'}" falls back to the default, and
 * "${*}", "${?}", "${$}" stand for the literal characters. A variable with no value and no default
 * leaves the policy value unresolved: it then matches nothing.
 * Literal "*" and "?" produced by ${*} / ${?} are carried as private-use characters so that *Like
 * matching treats them literally; equalityText turns them back for the *Equals operators.
 */
import type { ContextValue } from "../types.js";

export const LITERAL_STAR = "\uE000";
export const LITERAL_QUESTION = "\uE001";

export type Resolved =
  { readonly ok: true; readonly text: string } | { readonly ok: false; readonly variable: string };

const VARIABLE = /\$\{([^}]*)\}/g;
const WITH_DEFAULT = /^\s*([^,]+?)\s*(?:,\s*'([^']*)'\s*)?$/;

export function resolveVariables(
  value: string,
  lookup: (key: string) => ContextValue | undefined,
  enabled: boolean,
): Resolved {
  if (!enabled || !value.includes("${")) return { ok: true, text: value };
  let unresolved: string | undefined;
  const text = value.replace(VARIABLE, (whole, inner: string) => {
    if (inner === "*") return LITERAL_STAR;
    if (inner === "?") return LITERAL_QUESTION;
    if (inner === "$") return "$";
    const m = WITH_DEFAULT.exec(inner);
    if (!m) {
      unresolved ??= whole;
      return whole;
    }
    const v = lookup(m[1]!);
    const scalar = Array.isArray(v)
      ? v.length === 1
        ? (v[0] as string | number | boolean)
        : undefined
      : (v as string | number | boolean | undefined);
    if (scalar !== undefined) return String(scalar);
    if (m[2] !== undefined) return m[2];
    unresolved ??= whole;
    return whole;
  });
  return unresolved === undefined ? { ok: true, text } : { ok: false, variable: unresolved };
}

/** Text of a resolved value for exact comparisons (literal markers back to "*" and "?"). */
export function equalityText(resolved: string): string {
  return resolved.includes(LITERAL_STAR) || resolved.includes(LITERAL_QUESTION)
    ? resolved.replaceAll(LITERAL_STAR, "*").replaceAll(LITERAL_QUESTION, "?")
    : resolved;
}
