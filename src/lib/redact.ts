/**
 * Redaction for logs and echoed input. Secrets never leave (ARCHITECTURE principle 6).
 */
import { timingSafeEqual, createHash } from "node:crypto";

const SECRET_KEY = /(token|secret|password|authorization|session|signature|credential|private|key$|^key)/i;

/** Deep-copies `value`, replacing every field whose name looks secret with "[REDACTED]". */
export function redact(value: unknown, depth = 0): unknown {
  if (depth > 8) return "[…]";
  if (Array.isArray(value)) return value.map((v) => redact(v, depth + 1));
  if (value !== null && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      out[k] =
        SECRET_KEY.test(k) && (typeof v === "string" || typeof v === "object")
          ? "[REDACTED]"
          : redact(v, depth + 1);
    }
    return out;
  }
  if (typeof value === "string") return redactString(value);
  return value;
}

/**
 * redact() for a decision record or a reason list: the same result for these shapes (none of their
 * field names looks secret, so every string is scrubbed with redactString and `expected`/`actual`
 * and any other field go through redact()), without the generic walk's per-key tests and copies.
 * Runs for every webhook decision.
 */
export function redactRecord<T extends { readonly reasons: readonly object[] }>(rec: T): T {
  const out: Record<string, unknown> = {};
  for (const k in rec) {
    const v: unknown = rec[k];
    if (k === "reasons") out.reasons = redactReasons(v);
    else if (typeof v === "string") out[k] = SECRET_KEY.test(k) ? "[REDACTED]" : redactString(v);
    else out[k] = SECRET_KEY.test(k) && typeof v === "object" ? "[REDACTED]" : redact(v, 1);
  }
  return out as T;
}

function redactReasons(reasons: unknown): unknown {
  if (!Array.isArray(reasons)) return redact(reasons, 1);
  return (reasons as unknown[]).map((r) => {
    if (r === null || typeof r !== "object") return redact(r, 2);
    const out: Record<string, unknown> = {};
    const rec = r as Record<string, unknown>;
    for (const k in rec) {
      const v = rec[k];
      if (k === "check" || k === "message" || k === "source")
        out[k] = typeof v === "string" ? redactString(v) : redact(v, 3);
      else if (k === "ok") out[k] = v;
      else
        out[k] =
          SECRET_KEY.test(k) && (typeof v === "string" || typeof v === "object")
            ? "[REDACTED]"
            : redact(v, 3);
    }
    return out;
  });
}

const JWT = /\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*/g;
const IAM_TOKEN = /\bk8s-aws-v1\.[A-Za-z0-9_-]+/g;
const BEARER = /\b(Bearer)\s+\S+/gi;

/** What each of the three starts with ("bearer" in any case), as one expression (twice as fast as three scans). */
const MAYBE_SECRET = /eyJ|k8s-aws-v1\.|[Bb][Ee][Aa][Rr][Ee][Rr]/;

/** Removes JWTs, IAM tokens and bearer values from free text. */
export function redactString(s: string): string {
  // Fast path: most strings hold none of the three shapes; one scan for all three says so.
  if (!MAYBE_SECRET.test(s)) return s;
  return s
    .replace(JWT, "[REDACTED-JWT]")
    .replace(IAM_TOKEN, "k8s-aws-v1.[REDACTED]")
    .replace(BEARER, "$1 [REDACTED]");
}

/** Constant-time string comparison (hashing first so lengths do not leak). */
export function safeEqual(a: string, b: string): boolean {
  const ha = createHash("sha256").update(a).digest();
  const hb = createHash("sha256").update(b).digest();
  return timingSafeEqual(ha, hb) && a.length === b.length;
}

/** A short, non-reversible fingerprint of a secret for logs ("sha256:ab12cd34"). */
export function fingerprint(secret: string): string {
  return "sha256:" + createHash("sha256").update(secret).digest("hex").slice(0, 12);
}
