/**
 * SELinux MCS levels (`s0:cX,cY`, X < Y, categories c0…c1023) for pods, unique across the live pods
 * this process knows and the allocations it made recently, and deterministic for one key: the same
 * pod (namespace/name) gets the same level on a retry, and a pod that already carries a level keeps
 * it. The clock is injected; nothing here reads time or does I/O.
 */
import type { Clock } from "../lib/clock.js";
import { KubeiamError } from "../lib/errors.js";

export const MCS_CATEGORIES = 1024;
/** Number of distinct two-category levels: C(1024, 2). */
export const MCS_PAIRS = (MCS_CATEGORIES * (MCS_CATEGORIES - 1)) / 2;

const LEVEL = /^s0:c(0|[1-9][0-9]{0,3}),c(0|[1-9][0-9]{0,3})$/;

/** The level with index `i` in [0, MCS_PAIRS): pairs (0,1), (0,2), … (0,1023), (1,2), … */
export function mcsLevelAt(i: number): string {
  let x = 0;
  let rest = i;
  while (rest >= MCS_CATEGORIES - 1 - x) {
    rest -= MCS_CATEGORIES - 1 - x;
    x++;
  }
  return `s0:c${x},c${x + 1 + rest}`;
}

/** Normalises `s0:cY,cX` to `s0:cX,cY`; undefined when not a two-category level in range. */
export function normaliseMcsLevel(s: string): string | undefined {
  const m = LEVEL.exec(s);
  if (!m) return undefined;
  const a = Number(m[1]);
  const b = Number(m[2]);
  if (a === b || a >= MCS_CATEGORIES || b >= MCS_CATEGORIES) return undefined;
  return a < b ? `s0:c${a},c${b}` : `s0:c${b},c${a}`;
}

/** FNV-1a, 32 bit: a fast, stable hash for the starting point of the probe. */
function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

export interface McsAllocatorOptions {
  readonly clock: Clock;
  /** How long an allocation for a pod not yet seen live is held (default 10 minutes). */
  readonly reservationMs?: number;
}

interface Reservation {
  readonly level: string;
  readonly expires: number;
}

export class McsAllocator {
  /** live pod key → its level */
  private readonly live = new Map<string, string>();
  /** level → number of live pods holding it */
  private readonly liveCount = new Map<string, number>();
  /** key → reservation (insertion order = expiry order, the TTL being constant) */
  private readonly reserved = new Map<string, Reservation>();
  /** level → key holding the reservation */
  private readonly reservedBy = new Map<string, string>();
  private readonly clock: Clock;
  private readonly ttl: number;

  constructor(opts: McsAllocatorOptions) {
    this.clock = opts.clock;
    this.ttl = opts.reservationMs ?? 600_000;
  }

  /** Records a live pod and its level (undefined when it has none). */
  observe(podKey: string, level: string | undefined): void {
    this.forget(podKey);
    const l = level === undefined ? undefined : normaliseMcsLevel(level);
    if (l === undefined) return;
    this.live.set(podKey, l);
    this.liveCount.set(l, (this.liveCount.get(l) ?? 0) + 1);
  }

  /** Removes a live pod (deleted). */
  forget(podKey: string): void {
    const old = this.live.get(podKey);
    if (old === undefined) return;
    this.live.delete(podKey);
    const n = (this.liveCount.get(old) ?? 1) - 1;
    if (n <= 0) this.liveCount.delete(old);
    else this.liveCount.set(old, n);
  }

  private purge(now: number): void {
    for (const [k, r] of this.reserved) {
      if (r.expires > now) break;
      this.reserved.delete(k);
      if (this.reservedBy.get(r.level) === k) this.reservedBy.delete(r.level);
    }
  }

  /** True when `level` is held by a live pod or by a reservation of another key. */
  inUse(level: string, exceptKey?: string): boolean {
    if (
      (this.liveCount.get(level) ?? 0) >
      (exceptKey !== undefined && this.live.get(exceptKey) === level ? 1 : 0)
    )
      return true;
    const by = this.reservedBy.get(level);
    return by !== undefined && by !== exceptKey;
  }

  /**
   * The level for `key` (namespace/name of the pod, or another unique request key): the one it
   * already holds, else the first free level probing from a hash of the key. With `reserve: false`
   * (dry run) nothing is recorded.
   */
  allocate(key: string, opts: { reserve: boolean } = { reserve: true }): string {
    const now = this.clock.now();
    this.purge(now);
    const held = this.live.get(key) ?? this.reserved.get(key)?.level;
    if (held !== undefined) return held;
    const start = fnv1a(key) % MCS_PAIRS;
    // an odd stride co-prime with MCS_PAIRS (even) visits every index
    const stride = 7919;
    let level: string | undefined;
    for (let n = 0, i = start; n < MCS_PAIRS; n++, i = (i + stride) % MCS_PAIRS) {
      const candidate = mcsLevelAt(i);
      if (!this.inUse(candidate)) {
        level = candidate;
        break;
      }
    }
    if (level === undefined)
      throw new KubeiamError("INTERNAL", `every one of the ${MCS_PAIRS} SELinux MCS levels is in use`);
    if (opts.reserve) {
      this.reserved.set(key, { level, expires: now + this.ttl });
      this.reservedBy.set(level, key);
    }
    return level;
  }

  /** Live pods and unexpired reservations, for metrics and tests. */
  stats(): { live: number; reserved: number } {
    this.purge(this.clock.now());
    return { live: this.live.size, reserved: this.reserved.size };
  }
}
