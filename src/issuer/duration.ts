/** Parses durations as users write them for tokens: "1h", "90m", "3600s", "1h30m", "86400" (seconds). */
import { KubeiamError } from "../lib/errors.js";

const UNIT: Record<string, number> = { h: 3600, m: 60, s: 1 };

export function parseDurationSeconds(v: string, flag = "--duration"): number {
  const s = v.trim();
  if (/^\d+$/.test(s)) return Number(s);
  const re = /(\d+)(h|m|s)/gy;
  let total = 0;
  let m: RegExpExecArray | null;
  let consumed = 0;
  while ((m = re.exec(s)) !== null) {
    total += Number(m[1]) * UNIT[m[2]!]!;
    consumed = re.lastIndex;
  }
  if (consumed !== s.length || s.length === 0) {
    throw new KubeiamError("TOKEN_DURATION_INVALID", `${flag}: expected a duration such as 1h, 30m, 3600s or 1h30m, found "${v}"`);
  }
  return total;
}
