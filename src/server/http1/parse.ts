/**
 * HTTP/1.1 request framing (RFC 9112), pure: the request head and chunked bodies, strictly. Anything
 * this does not understand is an error with the status to answer, never a guess: a server that
 * frames a request differently from a proxy in front of it can be smuggled requests through, so
 * there is one reading of every accepted message (ADR 0008).
 *
 * Rejected as llhttp (Node's parser) rejects them: a bare CR or LF, obs-fold, a field name that is
 * not a token or has whitespace before the colon, control characters in a value, a Content-Length
 * that is not digits or appears twice, Transfer-Encoding together with Content-Length, and an
 * HTTP/1.1 request without exactly one Host. Transfer codings other than `chunked` are 501, an
 * Expect other than 100-continue is 417, versions other than 1.0 and 1.1 are 505.
 */
import type { IncomingHttpHeaders } from "node:http";

export class HttpParseError extends Error {
  constructor(
    readonly status: 400 | 408 | 413 | 417 | 431 | 501 | 505,
    message: string,
  ) {
    super(message);
    this.name = "HttpParseError";
  }
}

export interface RequestHead {
  readonly method: string;
  /** The request target as sent (origin form: path and query). */
  readonly target: string;
  /** HTTP/1.`minor`: 0 or 1. */
  readonly minor: 0 | 1;
  /** Field lines in order: names lower-cased, values without surrounding spaces and tabs. */
  readonly fields: readonly (readonly [string, string])[];
  /** The declared body length; -1 without Content-Length (then the body is empty unless chunked). */
  readonly contentLength: number;
  readonly chunked: boolean;
  /** Whether the connection stays open after the answer (HTTP/1.1 unless `close`; 1.0 only with `keep-alive`). */
  readonly keepAlive: boolean;
  readonly expectContinue: boolean;
}

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const REQUEST_LINE = /^([!#$%&'*+\-.^_`|~0-9A-Za-z]+) ([\x21-\x7e]+) HTTP\/(\d)\.(\d)$/;
/** Whether `s` holds a control character other than HTAB (not allowed in a field value; obs-text, 0x80-0xff, is). */
function hasControl(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if ((c < 32 && c !== 9) || c === 127) return true;
  }
  return false;
}
const DIGITS = /^\d{1,15}$/;

/** Trims spaces and tabs only (String#trim also removes characters that are not HTTP whitespace). */
function trimOws(s: string): string {
  let a = 0;
  let b = s.length;
  while (a < b && (s.charCodeAt(a) === 32 || s.charCodeAt(a) === 9)) a++;
  while (b > a && (s.charCodeAt(b - 1) === 32 || s.charCodeAt(b - 1) === 9)) b--;
  return a === 0 && b === s.length ? s : s.slice(a, b);
}

/**
 * Parses the head in `buf[0, end)`, where `end` is the index of the CRLFCRLF that ends it. Bytes are
 * read as latin1, as Node does, so obs-text in a value survives as the same byte values.
 */
export function parseHead(buf: Buffer, end: number): RequestHead {
  const text = buf.toString("latin1", 0, end);
  const lines = text.split("\r\n");
  const m = REQUEST_LINE.exec(lines[0]!);
  if (!m) {
    if (lines[0]!.includes("\n") || lines[0]!.includes("\r")) throw new HttpParseError(400, "bare CR or LF in the request line");
    throw new HttpParseError(400, "malformed request line (expected METHOD TARGET HTTP/1.x)");
  }
  const major = m[3]!;
  const minorDigit = m[4]!;
  if (major !== "1" || (minorDigit !== "0" && minorDigit !== "1"))
    throw new HttpParseError(505, `HTTP/${major}.${minorDigit} is not supported (HTTP/1.0 and HTTP/1.1 are)`);
  const minor = minorDigit === "1" ? 1 : 0;
  const fields: (readonly [string, string])[] = [];
  let contentLength = -1;
  let transferEncoding: string | undefined;
  let connection = "";
  let expect: string | undefined;
  let hosts = 0;
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!;
    const c0 = line.charCodeAt(0);
    if (c0 === 32 || c0 === 9) throw new HttpParseError(400, "obsolete line folding in a header field");
    const colon = line.indexOf(":");
    if (colon <= 0) throw new HttpParseError(400, `malformed header line ${i} (expected NAME: VALUE)`);
    const rawName = line.slice(0, colon);
    if (!TOKEN.test(rawName)) throw new HttpParseError(400, `invalid header field name on line ${i}`);
    const value = trimOws(line.slice(colon + 1));
    if (hasControl(value)) throw new HttpParseError(400, `invalid character in header field ${JSON.stringify(rawName)}`);
    const name = rawName.toLowerCase();
    fields.push([name, value]);
    switch (name) {
      case "content-length":
        if (contentLength >= 0) throw new HttpParseError(400, "duplicate Content-Length");
        if (!DIGITS.test(value)) throw new HttpParseError(400, "invalid Content-Length (expected decimal digits)");
        contentLength = Number(value);
        break;
      case "transfer-encoding":
        transferEncoding = transferEncoding === undefined ? value : `${transferEncoding}, ${value}`;
        break;
      case "connection":
        connection += `,${value.toLowerCase()}`;
        break;
      case "expect":
        expect = value.toLowerCase();
        break;
      case "host":
        hosts++;
        break;
    }
  }
  let chunked = false;
  if (transferEncoding !== undefined) {
    if (contentLength >= 0) throw new HttpParseError(400, "both Transfer-Encoding and Content-Length");
    if (transferEncoding.toLowerCase() !== "chunked")
      throw new HttpParseError(501, `unsupported Transfer-Encoding ${JSON.stringify(transferEncoding)} (only chunked is)`);
    chunked = true;
  }
  if (minor === 1 && hosts !== 1) throw new HttpParseError(400, hosts === 0 ? "missing Host header" : "more than one Host header");
  if (expect !== undefined && expect !== "100-continue")
    throw new HttpParseError(417, `unsupported Expect ${JSON.stringify(expect)} (only 100-continue is)`);
  const tokens = connection === "" ? [] : connection.split(",").map(trimOws);
  const keepAlive = minor === 1 ? !tokens.includes("close") : tokens.includes("keep-alive");
  return { method: m[1]!, target: m[2]!, minor, fields, contentLength, chunked, keepAlive, expectContinue: expect !== undefined };
}

/**
 * Headers as Node's IncomingMessage#headers gives them: for fields Node keeps once (content-type,
 * authorization, host, ...) the first wins, set-cookie is an array, cookie values are joined with
 * "; " and every other repeated field with ", ".
 */
export function headersOf(fields: RequestHead["fields"]): IncomingHttpHeaders {
  const h: Record<string, string | string[]> = {};
  for (const [name, value] of fields) {
    const prev = h[name];
    if (prev === undefined) h[name] = name === "set-cookie" ? [value] : value;
    else if (name === "set-cookie") (prev as string[]).push(value);
    else if (FIRST_WINS.has(name)) continue;
    else h[name] = `${prev as string}${name === "cookie" ? "; " : ", "}${value}`;
  }
  return h;
}

/** Every value of every field, as IncomingMessage#headersDistinct gives them. */
export function headersDistinctOf(fields: RequestHead["fields"]): Record<string, string[]> {
  const h: Record<string, string[]> = {};
  for (const [name, value] of fields) (h[name] ??= []).push(value);
  return h;
}

/** The fields Node's IncomingMessage keeps only the first of (lib/_http_incoming.js matchKnownFields). */
const FIRST_WINS = new Set([
  "content-type",
  "content-length",
  "user-agent",
  "referer",
  "host",
  "authorization",
  "proxy-authorization",
  "if-modified-since",
  "if-unmodified-since",
  "from",
  "location",
  "max-forwards",
  "retry-after",
  "etag",
  "last-modified",
  "server",
  "age",
  "expires",
]);

export type ChunkedResult =
  | { readonly done: false }
  | { readonly done: true; readonly body: Buffer; /** Index just past the chunked body and its trailers. */ readonly next: number };

const NOT_YET: ChunkedResult = { done: false };
const HEX = /^[0-9A-Fa-f]{1,15}$/;

/**
 * Decodes a chunked body starting at `start` in `buf`, or reports that more bytes are needed.
 * Chunk extensions are ignored, trailer fields are read and dropped. Throws 413 once the data
 * exceeds `limit`, and 431 when a size line or the trailers exceed `maxLine` bytes.
 */
export function decodeChunked(buf: Buffer, start: number, limit: number, maxLine: number): ChunkedResult {
  const parts: Buffer[] = [];
  let size = 0;
  let at = start;
  for (;;) {
    const eol = buf.indexOf("\r\n", at, "latin1");
    if (eol < 0) {
      if (buf.length - at > maxLine) throw new HttpParseError(431, "chunk size line too long");
      return NOT_YET;
    }
    const line = buf.toString("latin1", at, eol);
    const semi = line.indexOf(";");
    const hex = trimOws(semi < 0 ? line : line.slice(0, semi));
    if (!HEX.test(hex)) throw new HttpParseError(400, "invalid chunk size");
    if (hasControl(line)) throw new HttpParseError(400, "invalid character in a chunk extension");
    const n = parseInt(hex, 16);
    if (n === 0) {
      // Trailer section: field lines up to an empty line.
      let t = eol + 2;
      for (;;) {
        const e = buf.indexOf("\r\n", t, "latin1");
        if (e < 0) {
          if (buf.length - eol > maxLine) throw new HttpParseError(431, "trailer section too large");
          return NOT_YET;
        }
        if (e - eol > maxLine) throw new HttpParseError(431, "trailer section too large");
        if (e === t) return { done: true, body: parts.length === 1 ? parts[0]! : Buffer.concat(parts, size), next: e + 2 };
        const tl = buf.toString("latin1", t, e);
        if (tl.includes("\n") || tl.includes("\r") || tl.indexOf(":") <= 0) throw new HttpParseError(400, "malformed trailer field");
        t = e + 2;
      }
    }
    size += n;
    if (size > limit) throw new HttpParseError(413, `request body exceeds the limit of ${limit} bytes`);
    const dataEnd = eol + 2 + n;
    if (buf.length < dataEnd + 2) return NOT_YET;
    if (buf[dataEnd] !== 13 || buf[dataEnd + 1] !== 10) throw new HttpParseError(400, "chunk data not followed by CRLF");
    parts.push(buf.subarray(eol + 2, dataEnd));
    at = dataEnd + 2;
  }
}
