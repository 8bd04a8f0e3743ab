/**
 * Go string semantics that aws-iam-authenticator's behaviour depends on. Go strings are byte
 * sequences; here they are "binary strings" (one char per byte, as Buffer's latin1 encoding gives),
 * so byte offsets and byte comparisons stay exact. Helpers turn them into text when needed.
 */

/** Bytes → binary string (one char per byte). */
export function bytesToBinary(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("latin1");
}

/** A JS string → the binary string of its UTF-8 bytes (what a Go program sees). */
export function textToBinary(text: string): string {
  return Buffer.from(text, "utf8").toString("latin1");
}

export const RUNE_ERROR = 0xfffd;

/** Go's utf8.DecodeRuneInString on a binary string: invalid sequences give (RuneError, 1). */
export function decodeRune(s: string, i: number): { rune: number; size: number } {
  const b0 = s.charCodeAt(i);
  if (b0 < 0x80) return { rune: b0, size: 1 };
  const cont = (j: number, lo = 0x80, hi = 0xbf): number => {
    if (i + j >= s.length) return -1;
    const b = s.charCodeAt(i + j);
    return b >= lo && b <= hi ? b & 0x3f : -1;
  };
  if (b0 >= 0xc2 && b0 <= 0xdf) {
    const c1 = cont(1);
    return c1 < 0 ? { rune: RUNE_ERROR, size: 1 } : { rune: ((b0 & 0x1f) << 6) | c1, size: 2 };
  }
  if (b0 >= 0xe0 && b0 <= 0xef) {
    const lo = b0 === 0xe0 ? 0xa0 : 0x80;
    const hi = b0 === 0xed ? 0x9f : 0xbf;
    const c1 = cont(1, lo, hi);
    const c2 = c1 < 0 ? -1 : cont(2);
    return c2 < 0 ? { rune: RUNE_ERROR, size: 1 } : { rune: ((b0 & 0x0f) << 12) | (c1 << 6) | c2, size: 3 };
  }
  if (b0 >= 0xf0 && b0 <= 0xf4) {
    const lo = b0 === 0xf0 ? 0x90 : 0x80;
    const hi = b0 === 0xf4 ? 0x8f : 0xbf;
    const c1 = cont(1, lo, hi);
    const c2 = c1 < 0 ? -1 : cont(2);
    const c3 = c2 < 0 ? -1 : cont(3);
    return c3 < 0
      ? { rune: RUNE_ERROR, size: 1 }
      : { rune: ((b0 & 0x07) << 18) | (c1 << 12) | (c2 << 6) | c3, size: 4 };
  }
  return { rune: RUNE_ERROR, size: 1 };
}

/** Iterates the runes of a binary string the way Go's `for _, r := range s` does. */
export function* runes(s: string): Generator<{ rune: number; size: number; index: number }> {
  for (let i = 0; i < s.length;) {
    const r = decodeRune(s, i);
    yield { ...r, index: i };
    i += r.size;
  }
}

/** A binary string → JS text; each invalid byte becomes U+FFFD, as Go's range loop sees it. */
export function binaryToText(s: string): string {
  if (!/[\x80-\xff]/.test(s)) return s;
  let out = "";
  for (const { rune } of runes(s)) out += String.fromCodePoint(rune);
  return out;
}

function encodeRune(r: number): string {
  return Buffer.from(String.fromCodePoint(r), "utf8").toString("latin1");
}

/** unicode.ToLower for one rune (simple case mapping). */
function lowerRune(r: number): number {
  if (r < 0x80) return r >= 0x41 && r <= 0x5a ? r + 0x20 : r;
  if (r === 0x130) return 0x69; // the one rune whose JS lower-casing is two code points
  const l = String.fromCodePoint(r).toLowerCase();
  const cp = l.codePointAt(0);
  return cp !== undefined && l.length === String.fromCodePoint(cp).length ? cp : r;
}

/** strings.ToLower on a binary string (invalid bytes become U+FFFD, as strings.Map does). */
export function goToLower(s: string): string {
  if (!/[\x80-\xff]/.test(s)) return s.toLowerCase();
  let out = "";
  for (const { rune } of runes(s)) out += encodeRune(lowerRune(rune));
  return out;
}

/**
 * Whether two runes are in the same simple case-fold orbit. Exact for ASCII and for the two
 * non-ASCII runes that fold onto ASCII letters (U+212A KELVIN SIGN ~ k, U+017F LONG S ~ s); an
 * approximation through upper/lower case mappings elsewhere.
 */
export function runesFoldEqual(a: number, b: number): boolean {
  if (a === b) return true;
  const fa = foldRune(a);
  const fb = foldRune(b);
  return fa === fb;
}

/** The representative of a rune's case-fold orbit (exact for every orbit that reaches ASCII). */
export function foldRune(r: number): number {
  if (r < 0x80) return r >= 0x61 && r <= 0x7a ? r - 0x20 : r;
  if (r === 0x212a) return 0x4b; // KELVIN SIGN folds with K/k
  if (r === 0x17f) return 0x53; // LONG S folds with S/s
  if (r === 0x130 || r === 0x131) return r; // dotted/dotless I have no simple fold partner
  const u = String.fromCodePoint(r).toUpperCase();
  const cp = u.codePointAt(0);
  return cp !== undefined && cp >= 0x80 && u.length === String.fromCodePoint(cp).length ? cp : r;
}

/**
 * A key such that foldKey(a) === foldKey(b) exactly when Go's strings.EqualFold(a, b) holds (for
 * JS text), so case-insensitive lookups can use a Map.
 */
export function foldKey(text: string): string {
  // eslint-disable-next-line no-control-regex
  if (/^[\x00-\x7f]*$/.test(text)) return text.toUpperCase();
  return Array.from(text, (c) => String.fromCodePoint(foldRune(c.codePointAt(0)!))).join("");
}

/** strings.EqualFold on binary strings. */
export function goEqualFold(a: string, b: string): boolean {
  if (!/[\x80-\xff]/.test(a) && !/[\x80-\xff]/.test(b)) {
    return a.length === b.length && a.toLowerCase() === b.toLowerCase();
  }
  const ra = [...runes(a)].map((x) => x.rune);
  const rb = [...runes(b)].map((x) => x.rune);
  if (ra.length !== rb.length) return false;
  return ra.every((r, i) => runesFoldEqual(r, rb[i]!));
}

const HEX = "0123456789abcdef";
const hex2 = (b: number): string => HEX[b >> 4]! + HEX[b & 15]!;
const PRINTABLE = /^[\p{L}\p{M}\p{N}\p{P}\p{S}]$/u;

/** unicode.IsPrint (letters, marks, numbers, punctuation, symbols and U+0020). */
export function isPrintRune(r: number): boolean {
  return r === 0x20 || PRINTABLE.test(String.fromCodePoint(r));
}

/** strconv.Quote of a binary string; the result is JS text (printable non-ASCII kept as is). */
export function goQuote(s: string): string {
  let out = '"';
  for (const { rune, size, index } of runes(s)) {
    if (size === 1 && rune === RUNE_ERROR) {
      out += "\\x" + hex2(s.charCodeAt(index));
      continue;
    }
    if (rune === 0x22 || rune === 0x5c) {
      out += "\\" + String.fromCharCode(rune);
      continue;
    }
    if (isPrintRune(rune)) {
      out += String.fromCodePoint(rune);
      continue;
    }
    switch (rune) {
      case 0x07:
        out += "\\a";
        break;
      case 0x08:
        out += "\\b";
        break;
      case 0x0c:
        out += "\\f";
        break;
      case 0x0a:
        out += "\\n";
        break;
      case 0x0d:
        out += "\\r";
        break;
      case 0x09:
        out += "\\t";
        break;
      case 0x0b:
        out += "\\v";
        break;
      default:
        if (rune < 0x20 || rune === 0x7f) out += "\\x" + hex2(rune);
        else if (rune < 0x10000) out += "\\u" + rune.toString(16).padStart(4, "0");
        else out += "\\U" + rune.toString(16).padStart(8, "0");
    }
  }
  return out + '"';
}

/**
 * strconv.Atoi as Go's callers see it: the value (0 on a syntax error, clamped to the int64 range
 * on overflow) and whether it parsed. The value is a bigint so clamped values print exactly.
 */
export function goAtoi(s: string): { value: bigint; ok: boolean } {
  let i = 0;
  let neg = false;
  if (s.length > 0 && (s[0] === "+" || s[0] === "-")) {
    neg = s[0] === "-";
    i = 1;
  }
  if (i >= s.length) return { value: 0n, ok: false };
  const digits = s.slice(i);
  if (!/^[0-9]+$/.test(digits)) return { value: 0n, ok: false };
  const v = BigInt(digits) * (neg ? -1n : 1n);
  const max = (1n << 63n) - 1n;
  const min = -(1n << 63n);
  if (v > max) return { value: max, ok: false };
  if (v < min) return { value: min, ok: false };
  return { value: v, ok: true };
}
