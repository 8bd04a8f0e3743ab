/**
 * Go's time.Parse for the one layout aws-iam-authenticator uses on X-Amz-Date,
 * "20060102T150405Z", with Go's error texts, and Time.String() for the expiry message.
 * Go accepts a fractional second after the seconds even though the layout has none
 * ("20230428T000000.5Z"); so does this.
 */

export const AMZ_DATE_LAYOUT = "20060102T150405Z";

export type AmzDateResult =
  | {
      ok: true;
      /** Nanoseconds since the epoch. */ epochNs: bigint;
      /** Go's Time.String(). */ display: string;
    }
  | { ok: false; error: string };

/** time package's quote(): bytes >= 0x80 and controls as \xNN, `"` and `\` escaped. */
function timeQuote(s: string): string {
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x80 || c < 0x20) out += "\\x" + c.toString(16).padStart(2, "0");
    else out += (c === 0x22 || c === 0x5c ? "\\" : "") + s[i]!;
  }
  return out + '"';
}

const isDigit = (s: string, i: number): boolean =>
  i < s.length && s.charCodeAt(i) >= 0x30 && s.charCodeAt(i) <= 0x39;

function getnum(s: string, fixed: boolean): { n: number; rest: string } | undefined {
  if (!isDigit(s, 0)) return undefined;
  if (!isDigit(s, 1)) return fixed ? undefined : { n: s.charCodeAt(0) - 0x30, rest: s.slice(1) };
  return { n: (s.charCodeAt(0) - 0x30) * 10 + (s.charCodeAt(1) - 0x30), rest: s.slice(2) };
}

function daysIn(month: number, year: number): number {
  if (month === 2) return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
  return [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]!;
}

/** Days from 1970-01-01 to the civil date (proleptic Gregorian; works for years 0..9999). */
function daysFromCivil(y: number, m: number, d: number): number {
  const yy = m <= 2 ? y - 1 : y;
  const era = Math.floor(yy / 400);
  const yoe = yy - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

const p2 = (n: number): string => String(n).padStart(2, "0");

/** Parses an X-Amz-Date value (binary string) exactly as Go's time.Parse(AMZ_DATE_LAYOUT, v). */
export function parseAmzDate(value: string): AmzDateResult {
  const layout = AMZ_DATE_LAYOUT;
  const cannot = (layoutElem: string, valueElem: string): AmzDateResult => ({
    ok: false,
    error: `parsing time ${timeQuote(value)} as ${timeQuote(layout)}: cannot parse ${timeQuote(valueElem)} as ${timeQuote(layoutElem)}`,
  });
  const message = (msg: string): AmzDateResult => ({
    ok: false,
    error: `parsing time ${timeQuote(value)}${msg}`,
  });

  let v = value;
  // stdLongYear
  if (v.length < 4 || !isDigit(v, 0) || !/^[0-9]{4}$/.test(v.slice(0, 4))) return cannot("2006", v);
  const year = Number(v.slice(0, 4));
  v = v.slice(4);
  // stdZeroMonth
  let hold = v;
  const mo = getnum(v, true);
  if (!mo) return cannot("01", hold);
  if (mo.n <= 0 || mo.n > 12) return message(": month out of range");
  v = mo.rest;
  // stdZeroDay
  hold = v;
  const dd = getnum(v, true);
  if (!dd) return cannot("02", hold);
  v = dd.rest;
  // literal "T"
  if (!v.startsWith("T")) return cannot("T", v);
  v = v.slice(1);
  // stdHour (not fixed width)
  hold = v;
  const hh = getnum(v, false);
  if (!hh) return cannot("15", hold);
  if (hh.n >= 24) return message(": hour out of range");
  v = hh.rest;
  // stdZeroMinute
  hold = v;
  const mi = getnum(v, true);
  if (!mi) return cannot("04", hold);
  if (mi.n >= 60) return message(": minute out of range");
  v = mi.rest;
  // stdZeroSecond, then an optional fraction the layout does not mention
  hold = v;
  const ss = getnum(v, true);
  if (!ss) return cannot("05", hold);
  if (ss.n >= 60) return message(": second out of range");
  v = ss.rest;
  let nsec = 0;
  if (v.length >= 2 && (v[0] === "." || v[0] === ",") && isDigit(v, 1)) {
    let n = 2;
    while (n < v.length && isDigit(v, n)) n++;
    const digits = v.slice(1, Math.min(n, 10));
    nsec = Number(digits) * 10 ** (9 - digits.length);
    v = v.slice(n);
  }
  // literal "Z"
  if (!v.startsWith("Z")) return cannot("Z", v);
  v = v.slice(1);
  if (v.length !== 0) return message(`: extra text: ${timeQuote(v)}`);
  if (dd.n < 1 || dd.n > daysIn(mo.n, year)) return message(": day out of range");

  const seconds = BigInt(daysFromCivil(year, mo.n, dd.n)) * 86400n + BigInt(hh.n * 3600 + mi.n * 60 + ss.n);
  const epochNs = seconds * 1_000_000_000n + BigInt(nsec);
  const frac = nsec === 0 ? "" : "." + String(nsec).padStart(9, "0").replace(/0+$/, "");
  const display = `${String(year).padStart(4, "0")}-${p2(mo.n)}-${p2(dd.n)} ${p2(hh.n)}:${p2(mi.n)}:${p2(ss.n)}${frac} +0000 UTC`;
  return { ok: true, epochNs, display };
}
