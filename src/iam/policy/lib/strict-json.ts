/**
 * A strict JSON parser for policy documents: RFC 8259 only, duplicate object keys rejected (IAM
 * refuses them; JSON.parse silently keeps the last), nesting depth bounded, numbers kept with their
 * source text (IAM treats condition values as strings: 10.50 stays "10.50"). Also measures the
 * document the way IAM quotas do: characters outside whitespace between tokens.
 */

export class JsonNumber {
  constructor(readonly raw: string) {}
  get value(): number {
    return Number(this.raw);
  }
}

export type JsonValue = null | boolean | string | JsonNumber | JsonValue[] | JsonObject;
export interface JsonObject {
  [key: string]: JsonValue;
}

export class JsonSyntaxError extends Error {
  override readonly name = "JsonSyntaxError";
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(`${message} at offset ${offset}`);
  }
}

export interface ParsedJson {
  readonly value: JsonValue;
  /** Length without the whitespace between tokens. */
  readonly significantLength: number;
}

const MAX_DEPTH = 32;

export function parseStrictJson(text: string): ParsedJson {
  let i = 0;
  let whitespace = 0;
  const n = text.length;

  const ws = (): void => {
    while (i < n) {
      const c = text.charCodeAt(i);
      if (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d) {
        i++;
        whitespace++;
      } else break;
    }
  };
  const fail = (msg: string): never => {
    throw new JsonSyntaxError(msg, i);
  };

  const str = (): string => {
    i++; // opening quote
    let out = "";
    let start = i;
    while (true) {
      if (i >= n) fail("unterminated string");
      const c = text.charCodeAt(i);
      if (c === 0x22) {
        out += text.slice(start, i);
        i++;
        return out;
      }
      if (c < 0x20) fail("control character in string");
      if (c === 0x5c) {
        out += text.slice(start, i);
        const e = text[i + 1];
        i += 2;
        switch (e) {
          case '"':
            out += '"';
            break;
          case "\\":
            out += "\\";
            break;
          case "/":
            out += "/";
            break;
          case "b":
            out += "\b";
            break;
          case "f":
            out += "\f";
            break;
          case "n":
            out += "\n";
            break;
          case "r":
            out += "\r";
            break;
          case "t":
            out += "\t";
            break;
          case "u": {
            const hex = text.slice(i, i + 4);
            if (!/^[0-9a-fA-F]{4}$/.test(hex)) fail("bad \\u escape");
            out += String.fromCharCode(parseInt(hex, 16));
            i += 4;
            break;
          }
          default:
            i -= 2;
            fail("bad escape");
        }
        start = i;
        continue;
      }
      i++;
    }
  };

  const num = (): JsonNumber => {
    const m = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/.exec(text.slice(i, i + 400));
    if (!m) return fail("bad number");
    i += m[0].length;
    return new JsonNumber(m[0]);
  };

  const value = (depth: number): JsonValue => {
    if (depth > MAX_DEPTH) fail(`nesting deeper than ${MAX_DEPTH}`);
    ws();
    if (i >= n) fail("unexpected end of input");
    const c = text[i];
    if (c === "{") {
      i++;
      const obj: JsonObject = Object.create(null) as JsonObject;
      const seen = new Set<string>();
      ws();
      if (text[i] === "}") {
        i++;
        return obj;
      }
      while (true) {
        ws();
        if (text[i] !== '"') fail("expected a string key");
        const keyAt = i;
        const key = str();
        if (seen.has(key)) {
          i = keyAt;
          fail(`duplicate key "${key}"`);
        }
        seen.add(key);
        ws();
        if (text[i] !== ":") fail("expected ':'");
        i++;
        obj[key] = value(depth + 1);
        ws();
        if (text[i] === ",") {
          i++;
          continue;
        }
        if (text[i] === "}") {
          i++;
          return obj;
        }
        fail("expected ',' or '}'");
      }
    }
    if (c === "[") {
      i++;
      const arr: JsonValue[] = [];
      ws();
      if (text[i] === "]") {
        i++;
        return arr;
      }
      while (true) {
        arr.push(value(depth + 1));
        ws();
        if (text[i] === ",") {
          i++;
          continue;
        }
        if (text[i] === "]") {
          i++;
          return arr;
        }
        fail("expected ',' or ']'");
      }
    }
    if (c === '"') return str();
    if (text.startsWith("true", i)) {
      i += 4;
      return true;
    }
    if (text.startsWith("false", i)) {
      i += 5;
      return false;
    }
    if (text.startsWith("null", i)) {
      i += 4;
      return null;
    }
    if (c === "-" || (c !== undefined && c >= "0" && c <= "9")) return num();
    return fail("unexpected character");
  };

  // a UTF-8 byte order mark is tolerated, as IAM accepts documents saved by editors that add one
  if (text.charCodeAt(0) === 0xfeff) {
    i = 1;
    whitespace = 1;
  }
  const v = value(0);
  ws();
  if (i < n) fail("unexpected text after the document");
  return { value: v, significantLength: n - whitespace };
}

/** Converts an already-decoded value (e.g. from YAML) into the same shape; undefined if not JSON data. */
export function fromPlain(v: unknown, depth = 0): JsonValue | undefined {
  if (depth > MAX_DEPTH) return undefined;
  if (v === null || typeof v === "boolean" || typeof v === "string") return v;
  if (typeof v === "number") return Number.isFinite(v) ? new JsonNumber(String(v)) : undefined;
  if (Array.isArray(v)) {
    const out: JsonValue[] = [];
    for (const x of v as unknown[]) {
      const c = fromPlain(x, depth + 1);
      if (c === undefined) return undefined;
      out.push(c);
    }
    return out;
  }
  if (typeof v === "object" && Object.getPrototypeOf(v) === Object.prototype) {
    const out: JsonObject = Object.create(null) as JsonObject;
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
      const c = fromPlain(x, depth + 1);
      if (c === undefined) return undefined;
      out[k] = c;
    }
    return out;
  }
  return undefined;
}
