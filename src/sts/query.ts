/**
 * Query-protocol parameters: from the form body (POST) and the query string (GET, presigned).
 * Strict: a parameter given twice is a ValidationError rather than "last one wins".
 */
import { awsErrors } from "./aws-error.js";

export type QueryParams = ReadonlyMap<string, string>;

export function parseQueryParams(rawQuery: string, body: Buffer | undefined, contentType: string | undefined): QueryParams {
  const out = new Map<string, string>();
  const add = (src: string): void => {
    if (src === "") return;
    for (const [k, v] of new URLSearchParams(src)) {
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
