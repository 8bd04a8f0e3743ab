/**
 * The decision log every capability records to: a bounded in-memory ring plus one JSON log line per
 * decision (logLevelOf: at info, except allowed SubjectAccessReviews at debug). Records carry
 * subjects and reasons, never a credential; everything that leaves (log lines, followers,
 * `recent()`) has passed through redactRecord().
 *
 * Redaction is done when a record leaves, not when it is recorded: a loaded webhook at log level
 * warn records thousands of decisions a second that nobody reads, and redacting each cost as much
 * as making the decision (bench/sar.bench.ts). A slot keeps a shallow copy of the record (its own
 * reasons array) and its redacted form once built.
 */
import type { DecisionKind, DecisionRecord, DecisionSink, Reason } from "../lib/decision.js";
import type { Clock } from "../lib/clock.js";
import type { Logger } from "../lib/logger.js";
import { redactRecord } from "../lib/redact.js";
import { isoTime } from "../lib/iso-time.js";

type Recorded = Omit<DecisionRecord, "time">;

/**
 * What `record` takes: a record whose reasons may also be given as a function, called only when the
 * record leaves (its inputs must not change afterwards; engine results are immutable).
 */
export type RecordInput = Omit<Recorded, "reasons"> & {
  readonly reasons: readonly Reason[] | (() => readonly Reason[]);
};

interface Slot {
  at: number;
  rec: RecordInput;
  redacted: DecisionRecord | undefined;
}

export class DecisionLog implements DecisionSink {
  private readonly ring: (Slot | undefined)[];
  private next = 0;
  private total = 0;
  private readonly followers = new Set<(r: DecisionRecord) => void>();

  constructor(
    readonly size: number,
    private readonly clock: Clock,
    private readonly logger: Logger | undefined,
    /** Called for every record with only its kind and outcome (metrics), before anything else. */
    private readonly onRecord?: (kind: DecisionKind, allowed: boolean) => void,
  ) {
    this.ring = new Array<Slot | undefined>(size);
  }

  record(rec: RecordInput): void {
    const reasons = typeof rec.reasons === "function" ? rec.reasons : rec.reasons.slice();
    const slot: Slot = { at: this.clock.now(), rec: { ...rec, reasons }, redacted: undefined };
    this.ring[this.next] = slot;
    this.next = (this.next + 1) % this.size;
    this.total++;
    this.onRecord?.(rec.kind, rec.allowed);
    const level = logLevelOf(rec);
    const logger = this.logger?.enabled(level) === true ? this.logger : undefined;
    if (!logger && this.followers.size === 0) return;
    const full = redactedOf(slot);
    logger?.preRedacted(level, "decision", { decision: full });
    for (const f of this.followers) f(full);
  }

  /** The most recent records, oldest first. */
  recent(
    limit = this.size,
    filter?: { kind?: string | undefined; allowed?: boolean | undefined },
  ): DecisionRecord[] {
    const out: DecisionRecord[] = [];
    for (let i = 0; i < this.size; i++) {
      const s = this.ring[(this.next + i) % this.size];
      if (!s) continue;
      if (filter?.kind !== undefined && s.rec.kind !== filter.kind) continue;
      if (filter?.allowed !== undefined && s.rec.allowed !== filter.allowed) continue;
      out.push(redactedOf(s));
    }
    return out.slice(-limit);
  }

  count(): number {
    return this.total;
  }

  follow(f: (r: DecisionRecord) => void): () => void {
    this.followers.add(f);
    return () => this.followers.delete(f);
  }
}

/**
 * The level of a decision's log line: info, except an allowed SubjectAccessReview, at debug.
 * kube-apiserver asks the authorization webhook about every request its cache does not answer, so
 * allowed reviews are the bulk of a webhook's decisions (thousands a second on a busy cluster): at
 * info their lines cost more than the decisions (bench/sar.bench.ts) and bury what an operator looks
 * for. kube-apiserver's audit log already records allowed requests, and the ring, `GET /decisions`
 * and `kubeiam decisions --follow` still show every review. A no-opinion review (which becomes a 403
 * unless another authorizer allows it) and every other kind of decision stay at info.
 */
export function logLevelOf(rec: { readonly kind: DecisionKind; readonly allowed: boolean }): "info" | "debug" {
  return rec.kind === "authz" && rec.allowed ? "debug" : "info";
}

function redactedOf(s: Slot): DecisionRecord {
  if (s.redacted) return s.redacted;
  const r = s.rec.reasons;
  return (s.redacted = redactRecord({
    time: isoTime(s.at),
    ...s.rec,
    reasons: typeof r === "function" ? r() : r,
  }));
}
