/** Time is injected, never read, inside engines. Edges pass `systemClock` or a fixed clock. */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

export function fixedClock(ms: number): Clock & { advance(deltaMs: number): void; set(ms: number): void } {
  let t = ms;
  return {
    now: () => t,
    advance: (d) => {
      t += d;
    },
    set: (v) => {
      t = v;
    },
  };
}
