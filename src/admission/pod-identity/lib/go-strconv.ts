/**
 * Go's strconv.ParseBool and strconv.ParseInt(s, 10, 64), as the webhook parses annotation values:
 * same accepted spellings, same range, `undefined` where Go returns an error.
 */

const TRUE = new Set(["1", "t", "T", "TRUE", "true", "True"]);
const FALSE = new Set(["0", "f", "F", "FALSE", "false", "False"]);

/** strconv.ParseBool: undefined for anything Go rejects (" true", "yes", ""). */
export function goParseBool(s: string): boolean | undefined {
  if (TRUE.has(s)) return true;
  if (FALSE.has(s)) return false;
  return undefined;
}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/**
 * strconv.ParseInt(s, 10, 64): an optional sign and ASCII digits only (no spaces, no underscores,
 * no "0x"), within int64. undefined where Go returns an error. Values outside the safe-integer range
 * are returned as the nearest double (kube-apiserver rejects token lifetimes above 2^32 anyway).
 */
export function goParseInt64(s: string): number | undefined {
  if (!/^[+-]?[0-9]+$/.test(s)) return undefined;
  const v = BigInt(s);
  if (v < INT64_MIN || v > INT64_MAX) return undefined;
  return Number(v);
}
