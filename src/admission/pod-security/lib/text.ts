/**
 * Text helpers that reproduce the wording rules of the upstream Pod Security checks: Go string
 * quoting (`%q`), Go byte-order sorting of string sets, "a", "b" lists and singular/plural choice.
 */

/** `singular` when `count` is exactly 1, otherwise `plural`. */
export function pluralize(singular: string, plural: string, count: number): string {
  return count === 1 ? singular : plural;
}

/** `"a", "b", "c"`; items are not escaped (upstream does not escape them either). */
export function joinQuote(items: readonly string[]): string {
  if (items.length === 0) return "";
  return `"${items.join(`", "`)}"`;
}

const PLAIN_ASCII = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;
const PRINTABLE = /^[\p{L}\p{M}\p{N}\p{P}\p{S} ]$/u;

function hex(n: number, width: number): string {
  return n.toString(16).padStart(width, "0");
}

/** Go's strconv.Quote: double-quoted, with Go escapes for quotes, backslashes and non-printable runes. */
export function goQuote(s: string): string {
  if (PLAIN_ASCII.test(s)) return `"${s}"`;
  let out = '"';
  for (const ch of s) {
    let cp = ch.codePointAt(0)!;
    // A lone surrogate cannot come out of a Go string; JSON decoding turns it into U+FFFD.
    if (cp >= 0xd800 && cp <= 0xdfff) cp = 0xfffd;
    switch (cp) {
      case 0x22:
        out += '\\"';
        continue;
      case 0x5c:
        out += "\\\\";
        continue;
      case 0x07:
        out += "\\a";
        continue;
      case 0x08:
        out += "\\b";
        continue;
      case 0x0c:
        out += "\\f";
        continue;
      case 0x0a:
        out += "\\n";
        continue;
      case 0x0d:
        out += "\\r";
        continue;
      case 0x09:
        out += "\\t";
        continue;
      case 0x0b:
        out += "\\v";
        continue;
    }
    const c = String.fromCodePoint(cp);
    if (PRINTABLE.test(c)) out += c;
    else if (cp < 0x20 || cp === 0x7f) out += `\\x${hex(cp, 2)}`;
    else if (cp < 0x10000) out += `\\u${hex(cp, 4)}`;
    else out += `\\U${hex(cp, 8)}`;
  }
  return out + '"';
}

function isAscii(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0x7f) return false;
  return true;
}

/** Go's string order (UTF-8 bytes, i.e. code points), which differs from JS order only beyond the BMP. */
export function goCompare(a: string, b: string): number {
  if (isAscii(a) && isAscii(b)) return a < b ? -1 : a > b ? 1 : 0;
  return Buffer.compare(Buffer.from(a, "utf8"), Buffer.from(b, "utf8"));
}

/** The members of a set in Go byte order (what `sets.List` returns upstream). */
export function sortedList(values: Iterable<string>): string[] {
  return [...values].sort(goCompare);
}
