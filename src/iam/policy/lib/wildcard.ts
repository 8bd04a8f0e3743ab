/**
 * IAM wildcard matching: "*" matches any run of characters (including none), "?" exactly one
 * character, over the whole string. The policy-variable markers for a literal "*" / "?" (from
 * ${*} / ${?}) match only those characters. Compiled patterns are cached (bounded).
 */
import { LITERAL_QUESTION, LITERAL_STAR, equalityText } from "./variables.js";

const cache = new Map<string, RegExp>();
const MAX_CACHE = 2048;

function compile(pattern: string, ignoreCase: boolean): RegExp {
  const id = (ignoreCase ? "i:" : "s:") + pattern;
  let re = cache.get(id);
  if (re) return re;
  let src = "^";
  for (const ch of pattern) {
    if (ch === LITERAL_STAR) src += "\\*";
    else if (ch === LITERAL_QUESTION) src += "\\?";
    else if (ch === "*") src += "[\\s\\S]*";
    else if (ch === "?") src += "[\\s\\S]";
    else src += ch.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
  }
  src += "$";
  re = new RegExp(src, ignoreCase ? "iu" : "u");
  if (cache.size >= MAX_CACHE) cache.clear();
  cache.set(id, re);
  return re;
}

export function hasWildcard(s: string): boolean {
  return s.includes("*") || s.includes("?");
}

export function wildcardMatch(pattern: string, value: string, ignoreCase = false): boolean {
  if (!hasWildcard(pattern)) {
    const literal = equalityText(pattern);
    return ignoreCase ? literal.toLowerCase() === value.toLowerCase() : literal === value;
  }
  return compile(pattern, ignoreCase).test(value);
}

/**
 * ArnLike / ArnEquals: each of the six colon-separated ARN sections is matched on its own (the
 * resource section is everything after the fifth colon), case-sensitively, with wildcards.
 */
export function arnMatch(pattern: string, value: string): boolean {
  const p = splitArn(pattern);
  const v = splitArn(value);
  if (!p || !v) return false;
  for (let k = 0; k < 6; k++) if (!wildcardMatch(p[k]!, v[k]!)) return false;
  return true;
}

function splitArn(s: string): string[] | undefined {
  const parts = s.split(":");
  if (parts.length < 6) return undefined;
  return [...parts.slice(0, 5), parts.slice(5).join(":")];
}
