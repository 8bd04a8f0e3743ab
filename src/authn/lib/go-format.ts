/**
 * Go formatting that kube-apiserver's error strings depend on, so our messages stay byte-exact:
 * `%q` of a string and of a []string, `%v` of a time.Time (UTC), and the message of an
 * `utilerrors.NewAggregate` (deduplicated, `[a, b]` when more than one).
 */

const PRINTABLE = /^[\p{L}\p{M}\p{N}\p{P}\p{S} ]$/u;
const SHORT_ESCAPES: Record<string, string> = { "\x07": "\\a", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t", "\v": "\\v", '"': '\\"', "\\": "\\\\" };

/** strconv.Quote: Go's `%q` of a string. */
export function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const short = SHORT_ESCAPES[ch];
    if (short !== undefined) {
      out += short;
      continue;
    }
    if (PRINTABLE.test(ch)) {
      out += ch;
      continue;
    }
    const cp = ch.codePointAt(0) ?? 0;
    if (cp < 0x80) out += "\\x" + cp.toString(16).padStart(2, "0");
    else if (cp <= 0xffff) out += "\\u" + cp.toString(16).padStart(4, "0");
    else out += "\\U" + cp.toString(16).padStart(8, "0");
  }
  return out + '"';
}

/** Go's `%q` of a []string: `["a" "b"]`; a nil or empty slice prints `[]`. */
export function goQuoteList(list: readonly string[] | undefined): string {
  return "[" + (list ?? []).map(goQuote).join(" ") + "]";
}

/** Go's `%v` of time.Unix(sec, 0).UTC(): `2006-01-02 15:04:05 +0000 UTC`. `undefined` is Go's zero time. */
export function goTime(unixSeconds: number | undefined): string {
  if (unixSeconds === undefined) return "0001-01-01 00:00:00 +0000 UTC";
  const d = new Date(Math.trunc(unixSeconds) * 1000);
  if (Number.isNaN(d.getTime())) return "0001-01-01 00:00:00 +0000 UTC";
  const iso = d.toISOString(); // YYYY-MM-DDTHH:MM:SS.sssZ
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)} +0000 UTC`;
}

/** The message of k8s.io/apimachinery utilerrors.NewAggregate(messages). */
export function aggregateMessage(messages: readonly string[]): string {
  if (messages.length === 0) return "";
  if (messages.length === 1) return messages[0]!;
  const seen: string[] = [];
  for (const m of messages) if (!seen.includes(m)) seen.push(m);
  return seen.length === 1 ? seen[0]! : `[${seen.join(", ")}]`;
}

/** Go's encoding/json name of a JSON value's type, as used in "cannot unmarshal X into Go value of type Y". */
export function goJsonKind(v: unknown): "string" | "number" | "bool" | "array" | "object" | "null" {
  if (v === null) return "null";
  if (Array.isArray(v)) return "array";
  if (typeof v === "string") return "string";
  if (typeof v === "number") return "number";
  if (typeof v === "boolean") return "bool";
  return "object";
}

/** `json: cannot unmarshal <kind> into Go value of type <goType>`. */
export function goUnmarshalError(v: unknown, goType: string): string {
  return `json: cannot unmarshal ${goJsonKind(v)} into Go value of type ${goType}`;
}
