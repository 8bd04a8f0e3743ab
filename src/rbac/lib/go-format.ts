/**
 * Go formatting that kube-apiserver's messages depend on: strconv.Quote (`%q`), `%q` of a string slice,
 * byte-wise string order (sort.Strings), utilerrors.NewAggregate's message, and encoding/json's
 * HTML-escaping string encoder.
 */

const NON_PRINTABLE = /[^\p{L}\p{M}\p{N}\p{P}\p{S} ]/u;

/** strconv.Quote: double-quoted, Go escapes for `"`, `\`, control and non-printable characters. */
const PLAIN = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;

export function goQuote(s: string): string {
  if (PLAIN.test(s)) return '"' + s + '"';
  let out = '"';
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    switch (ch) {
      case '"':
        out += '\\"';
        continue;
      case "\\":
        out += "\\\\";
        continue;
      case "\x07":
        out += "\\a";
        continue;
      case "\b":
        out += "\\b";
        continue;
      case "\f":
        out += "\\f";
        continue;
      case "\n":
        out += "\\n";
        continue;
      case "\r":
        out += "\\r";
        continue;
      case "\t":
        out += "\\t";
        continue;
      case "\v":
        out += "\\v";
        continue;
    }
    if (cp >= 0xd800 && cp <= 0xdfff) {
      // a lone surrogate: Go strings hold bytes, the closest is the replacement character's escape
      out += "\\ufffd";
    } else if (cp < 0x20 || cp === 0x7f) {
      out += "\\x" + cp.toString(16).padStart(2, "0");
    } else if (NON_PRINTABLE.test(ch)) {
      out +=
        cp < 0x10000 ? "\\u" + cp.toString(16).padStart(4, "0") : "\\U" + cp.toString(16).padStart(8, "0");
    } else {
      out += ch;
    }
  }
  return out + '"';
}

/** `fmt.Sprintf("%q", []string{...})`: `["a" "b"]`. */
export function goQuoteList(list: readonly string[]): string {
  return "[" + list.map(goQuote).join(" ") + "]";
}

/** Byte-wise (UTF-8) order, as Go's sort.Strings. */
export function goCompare(a: string, b: string): number {
  if (a === b) return 0;
  const ba = Buffer.from(a, "utf8");
  const bb = Buffer.from(b, "utf8");
  return Buffer.compare(ba, bb);
}

/** Fast path for mostly-ASCII names: code-unit order equals byte order below U+D800. */
export function compareNames(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** utilerrors.NewAggregate(errs).Error(): one message as is, several de-duplicated in `[a, b]`. */
export function aggregateMessage(messages: readonly string[]): string {
  const seen: string[] = [];
  for (const m of messages) if (!seen.includes(m)) seen.push(m);
  if (seen.length === 0) return "";
  if (messages.length === 1 || seen.length === 1) return seen[0]!;
  return "[" + seen.join(", ") + "]";
}

/**
 * encoding/json string encoding (HTMLEscape on): like JSON.stringify but `<`, `>`, `&`, U+2028 and
 * U+2029 as \u escapes.
 */
export function goJsonString(s: string): string {
  return JSON.stringify(s).replace(
    /[<>&\u2028\u2029]/g,
    (c) => "\\u" + c.charCodeAt(0).toString(16).padStart(4, "0"),
  );
}

/** encoding/json of a plain JSON value keeping key order, strings HTML-escaped, no spaces. */
export function goJson(value: unknown): string {
  if (value === null || value === undefined) return "null";
  if (typeof value === "string") return goJsonString(value);
  if (typeof value === "number" || typeof value === "boolean") return JSON.stringify(value);
  if (Array.isArray(value)) return "[" + value.map(goJson).join(",") + "]";
  if (typeof value === "object") {
    const parts: string[] = [];
    for (const [k, v] of Object.entries(value)) {
      if (v === undefined) continue;
      parts.push(goJsonString(k) + ":" + goJson(v));
    }
    return "{" + parts.join(",") + "}";
  }
  return "null";
}
