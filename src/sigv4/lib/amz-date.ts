/**
 * SigV4 timestamps: YYYYMMDDTHHMMSSZ ("ISO 8601 basic"), always UTC. Strict parsing: the text must
 * be exactly that shape and a real calendar instant.
 */

const AMZ_DATE = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/;

export function formatAmzDate(ms: number): string {
  return new Date(ms)
    .toISOString()
    .replace(/\.\d{3}Z$/, "Z")
    .replace(/[-:]/g, "");
}

/** Milliseconds since the epoch, or undefined when the text is not a valid basic-format instant. */
export function parseAmzDate(s: string): number | undefined {
  const m = AMZ_DATE.exec(s);
  if (!m) return undefined;
  const [y, mo, d, h, mi, se] = m.slice(1).map(Number) as [number, number, number, number, number, number];
  if (mo < 1 || mo > 12 || d < 1 || h > 23 || mi > 59 || se > 59) return undefined;
  const daysInMonth = new Date(Date.UTC(y, mo, 0)).getUTCDate();
  if (d > daysInMonth) return undefined;
  return Date.UTC(y, mo - 1, d, h, mi, se);
}

/** Parses an HTTP Date header (RFC 7231 IMF-fixdate and the obsolete forms Date.parse accepts). */
export function parseHttpDate(s: string): number | undefined {
  if (!/GMT$|UTC$|[+-]0000$/.test(s.trim())) return undefined;
  const ms = Date.parse(s);
  return Number.isNaN(ms) ? undefined : Math.floor(ms / 1000) * 1000;
}
