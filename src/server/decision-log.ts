/**
 * The decision log every capability records to: a bounded in-memory ring plus one JSON log line per
 * decision. Records carry subjects and reasons, never a credential (they pass through redact()).
 */
import type { DecisionRecord, DecisionSink } from "../lib/decision.js";
import type { Clock } from "../lib/clock.js";
import type { Logger } from "../lib/logger.js";
import { redact } from "../lib/redact.js";

export class DecisionLog implements DecisionSink {
  private readonly ring: (DecisionRecord | undefined)[];
  private next = 0;
  private total = 0;
  private readonly followers = new Set<(r: DecisionRecord) => void>();

  constructor(
    readonly size: number,
    private readonly clock: Clock,
    private readonly logger: Logger | undefined,
  ) {
    this.ring = new Array<DecisionRecord | undefined>(size);
  }

  record(rec: Omit<DecisionRecord, "time">): void {
    const full = redact({ time: new Date(this.clock.now()).toISOString(), ...rec }) as DecisionRecord;
    this.ring[this.next] = full;
    this.next = (this.next + 1) % this.size;
    this.total++;
    if (this.logger?.enabled("info")) this.logger.preRedacted("info", "decision", { decision: full });
    for (const f of this.followers) f(full);
  }

  /** The most recent records, oldest first. */
  recent(limit = this.size, filter?: { kind?: string | undefined; allowed?: boolean | undefined }): DecisionRecord[] {
    const out: DecisionRecord[] = [];
    for (let i = 0; i < this.size; i++) {
      const r = this.ring[(this.next + i) % this.size];
      if (!r) continue;
      if (filter?.kind !== undefined && r.kind !== filter.kind) continue;
      if (filter?.allowed !== undefined && r.allowed !== filter.allowed) continue;
      out.push(r);
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
