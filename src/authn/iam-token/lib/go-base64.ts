/**
 * A strict decoder for Go's base64.RawURLEncoding (URL-safe alphabet, no padding), with Go's
 * error offsets. Node's Buffer.from(s, "base64url") silently skips bad characters and accepts
 * padding, so it cannot be used to validate a token.
 *
 * Go quirks kept on purpose: CR and LF are skipped anywhere; unused trailing bits need not be zero
 * (RawURLEncoding is not Strict()); a lone final character is an error at the offset Go reports.
 */

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
const DECODE = new Int16Array(256).fill(-1);
for (let i = 0; i < ALPHABET.length; i++) DECODE[ALPHABET.charCodeAt(i)] = i;

function isAlphabetOnly(src: Uint8Array): boolean {
  for (const c of src) if (DECODE[c]! < 0) return false;
  return true;
}

export type Base64Result = { ok: true; bytes: Buffer } | { ok: false; error: string; offset: number };

/** Decodes `src` (bytes) as Go's base64.RawURLEncoding.DecodeString does. */
export function decodeRawUrlBase64(src: Uint8Array): Base64Result {
  // Fast path: only alphabet characters and a length Go accepts; Node's decoder is exact for those.
  if (src.length % 4 !== 1 && isAlphabetOnly(src)) {
    const buf = Buffer.from(src.buffer, src.byteOffset, src.byteLength);
    return { ok: true, bytes: Buffer.from(buf.toString("latin1"), "base64url") };
  }
  const out = Buffer.alloc(Math.floor((src.length * 6) / 8) + 3);
  let n = 0;
  let si = 0;
  const fail = (offset: number): Base64Result => ({
    ok: false,
    error: `illegal base64 data at input byte ${offset}`,
    offset,
  });
  const dbuf = [0, 0, 0, 0];
  while (si < src.length) {
    // One quantum: up to four alphabet characters, skipping CR/LF (Go's decodeQuantum).
    let dlen = 4;
    for (let j = 0; j < 4; j++) {
      if (si === src.length) {
        if (j === 0) return { ok: true, bytes: out.subarray(0, n) };
        if (j === 1) return fail(si - j);
        dlen = j;
        for (let k = j; k < 4; k++) dbuf[k] = 0;
        break;
      }
      const c = src[si]!;
      si++;
      const v = DECODE[c]!;
      if (v >= 0) {
        dbuf[j] = v;
        continue;
      }
      if (c === 0x0a || c === 0x0d) {
        j--;
        continue;
      }
      return fail(si - 1);
    }
    const val = (dbuf[0]! << 18) | (dbuf[1]! << 12) | (dbuf[2]! << 6) | dbuf[3]!;
    out[n] = (val >> 16) & 0xff;
    if (dlen >= 3) out[n + 1] = (val >> 8) & 0xff;
    if (dlen === 4) out[n + 2] = val & 0xff;
    n += dlen - 1;
  }
  return { ok: true, bytes: out.subarray(0, n) };
}
