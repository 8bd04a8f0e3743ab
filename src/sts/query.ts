/**
 * Query-protocol parameters: from the form body (POST) and the query string (GET, presigned).
 * Strict: a parameter given twice is a ValidationError rather than "last one wins".
 */
import { awsErrors } from "./aws-error.js";

export type QueryParams = ReadonlyMap<string, string>;

/** One form component: "+" is a space, %XX escapes decoded; undefined when an escape is malformed. */
function decode(c: string): string | undefined {
  const plus = c.includes("+") ? c.replaceAll("+", " ") : c;
  if (!plus.includes("%")) return plus;
  try {
    return decodeURIComponent(plus);
  } catch {
    return undefined;
  }
}

/**
 * application/x-www-form-urlencoded pairs, as URLSearchParams parses them (empty segments skipped,
 * a missing "=" is an empty value), with a fast path for well-formed input; a malformed %-escape
 * falls back to URLSearchParams, which keeps such text as it is.
 */
function formPairs(src: string): [string, string][] {
  const pairs: [string, string][] = [];
  for (const part of src.split("&")) {
    if (part === "") continue;
    const eq = part.indexOf("=");
    const k = decode(eq < 0 ? part : part.slice(0, eq));
    const v = eq < 0 ? "" : decode(part.slice(eq + 1));
    if (k === undefined || v === undefined) return [...new URLSearchParams(src)];
    pairs.push([k, v]);
  }
  return pairs;
}

export function parseQueryParams(
  rawQuery: string,
  body: Buffer | undefined,
  contentType: string | undefined,
): QueryParams {
  const out = new Map<string, string>();
  const add = (src: string): void => {
    if (src === "") return;
    for (const [k, v] of formPairs(src)) {
      if (out.has(k)) throw awsErrors.duplicateParameter(k);
      out.set(k, v);
    }
  };
  add(rawQuery);
  if (body && body.length > 0) {
    const ct = (contentType ?? "").toLowerCase();
    if (ct !== "" && !ct.startsWith("application/x-www-form-urlencoded")) {
      throw awsErrors.unsupportedContentType(contentType ?? "");
    }
    add(body.toString("utf8"));
  }
  return out;
}

/** Lists like PolicyArns.member.1.arn → values in index order. */
export function memberList(p: QueryParams, prefix: string, field?: string): string[] {
  const items: [number, string][] = [];
  const re = new RegExp(`^${prefix.replace(/\./g, "\\.")}\\.member\\.(\\d+)${field ? `\\.${field}` : ""}$`);
  for (const [k, v] of p) {
    const m = re.exec(k);
    if (m) items.push([Number(m[1]), v]);
  }
  return items.sort((a, b) => a[0] - b[0]).map(([, v]) => v);
}
