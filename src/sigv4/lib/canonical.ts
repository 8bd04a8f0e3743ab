/**
 * The SigV4 canonical request and string to sign, shared by signing and verification so both sides
 * build byte-identical input:
 *   method \n canonicalURI \n canonicalQuery \n canonicalHeaders \n \n signedHeaders \n payloadHash
 * URI encoding is RFC 3986 (unreserved A-Z a-z 0-9 - _ . ~ stay, everything else %XX upper-case).
 * Non-S3 services normalise the path (dot segments, repeated slashes) and encode it a second time.
 */
import { hash } from "node:crypto";
import { ALGORITHM } from "../types.js";
import type { HeaderValue } from "../types.js";

const RESERVED_EXTRA = /[!'()*]/g;

/** RFC 3986 percent-encoding of every byte outside the unreserved set. */
const UNRESERVED_ONLY = /^[A-Za-z0-9\-_.~]*$/;

export function uriEncode(s: string): string {
  if (UNRESERVED_ONLY.test(s)) return s;
  let out: string;
  try {
    out = encodeURIComponent(s);
  } catch {
    // lone surrogates: encode the UTF-8 bytes Node produces (U+FFFD)
    out = encodeURIComponent(Buffer.from(s, "utf8").toString("utf8"));
  }
  return out.replace(RESERVED_EXTRA, (c) => "%" + c.charCodeAt(0).toString(16).toUpperCase());
}

function hexVal(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 65 && c <= 70) return c - 55;
  if (c >= 97 && c <= 102) return c - 87;
  return -1;
}

/** Percent-decoding that never throws: an invalid escape stays literal. "+" stays "+" (RFC 3986). */
export function percentDecode(s: string): string {
  if (!s.includes("%")) return s;
  const src = Buffer.from(s, "utf8");
  const out = Buffer.allocUnsafe(src.length);
  let n = 0;
  for (let i = 0; i < src.length; i++) {
    const c = src[i]!;
    if (c === 0x25 && i + 2 < src.length) {
      const hi = hexVal(src[i + 1]!);
      const lo = hexVal(src[i + 2]!);
      if (hi >= 0 && lo >= 0) {
        out[n++] = hi * 16 + lo;
        i += 2;
        continue;
      }
    }
    out[n++] = c;
  }
  return out.subarray(0, n).toString("utf8");
}

/** One decoded query parameter, in wire order. */
export interface QueryParam {
  readonly key: string;
  readonly value: string;
}

/** Splits a raw query into decoded parameters (empty components are skipped). */
export function parseQuery(rawQuery: string): QueryParam[] {
  const out: QueryParam[] = [];
  if (rawQuery === "") return out;
  for (const part of rawQuery.split("&")) {
    if (part === "") continue;
    const eq = part.indexOf("=");
    const k = eq < 0 ? part : part.slice(0, eq);
    const v = eq < 0 ? "" : part.slice(eq + 1);
    out.push({ key: percentDecode(k), value: percentDecode(v) });
  }
  return out;
}

/** Canonical query string: every key and value encoded, sorted by key then value. */
export function canonicalQuery(params: readonly QueryParam[], omitSignature: boolean): string {
  const pairs: [string, string][] = [];
  for (const p of params) {
    if (omitSignature && p.key.toLowerCase() === "x-amz-signature") continue;
    pairs.push([uriEncode(p.key), uriEncode(p.value)]);
  }
  pairs.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0));
  return pairs.map(([k, v]) => `${k}=${v}`).join("&");
}

/** Removes "." and ".." segments and empty segments (repeated slashes), keeping a trailing slash. */
export function normalizePath(path: string): string {
  if (path === "") return "/";
  const segments: string[] = [];
  for (const seg of path.split("/")) {
    if (seg === "" || seg === ".") continue;
    if (seg === "..") segments.pop();
    else segments.push(seg);
  }
  const lead = path.startsWith("/") ? "/" : "";
  const trail = segments.length > 0 && path.endsWith("/") ? "/" : "";
  const joined = lead + segments.join("/") + trail;
  return joined === "" ? "/" : joined;
}

export interface PathOptions {
  /** Normalise dot segments and repeated slashes (all services but S3). Default true. */
  readonly normalizePath?: boolean | undefined;
  /** Encode the (already encoded) wire path once more (all services but S3). Default true. */
  readonly doubleEncode?: boolean | undefined;
}

/** Canonical URI from the path as on the wire. */
export function canonicalUri(wirePath: string, opts: PathOptions = {}): string {
  const normalized =
    opts.normalizePath === false ? (wirePath === "" ? "/" : wirePath) : normalizePath(wirePath);
  if (opts.doubleEncode === false) return normalized;
  return uriEncode(normalized).replace(/%2F/g, "/");
}

/** Trims a header value and collapses runs of spaces, tabs and line breaks to one space. */
export function canonicalHeaderValue(v: HeaderValue): string {
  if (v === undefined) return "";
  const parts = typeof v === "string" ? [v] : v;
  return parts.map((p) => p.replace(/[ \t\r\n]+/g, " ").trim()).join(",");
}

export interface CanonicalInput {
  readonly method: string;
  readonly canonicalUri: string;
  readonly canonicalQuery: string;
  /** Lower-case names, sorted. */
  readonly signedHeaders: readonly string[];
  /** Canonical value of each signed header. */
  readonly headerValue: (name: string) => string;
  readonly payloadHash: string;
}

export function canonicalRequest(c: CanonicalInput): string {
  let headers = "";
  for (const h of c.signedHeaders) headers += `${h}:${c.headerValue(h)}\n`;
  return `${c.method}\n${c.canonicalUri}\n${c.canonicalQuery}\n${headers}\n${c.signedHeaders.join(";")}\n${c.payloadHash}`;
}

export function sha256Hex(data: string | Buffer): string {
  return hash("sha256", data, "hex");
}

export function credentialScopeString(
  date: string,
  region: string,
  service: string,
  terminator: string,
): string {
  return `${date}/${region}/${service}/${terminator}`;
}

export function stringToSign(amzDate: string, scope: string, canonical: string): string {
  return `${ALGORITHM}\n${amzDate}\n${scope}\n${sha256Hex(canonical)}`;
}

/** Headers no SDK signs (hop-by-hop and client-identifying headers). */
const UNSIGNABLE = new Set([
  "authorization",
  "cache-control",
  "connection",
  "expect",
  "from",
  "keep-alive",
  "max-forwards",
  "pragma",
  "referer",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
  "user-agent",
  "x-amzn-trace-id",
]);

export function isSignableHeader(lowerName: string): boolean {
  return !UNSIGNABLE.has(lowerName) && !lowerName.startsWith("proxy-") && !lowerName.startsWith("sec-");
}
