/**
 * CPU time per call, for the in-process parts the HTTP benchmarks print beside their figures:
 * `f(i)` runs `warmup` times, then `calls` times under process.cpuUsage(), with `i` cycling through
 * 0..cycle-1 (the index of the input to use). Returns µs per call, two decimals.
 */
export interface CpuTimeOptions {
  readonly calls: number;
  readonly warmup: number;
  /** How many distinct inputs `i` cycles through. */
  readonly cycle: number;
}

const micros = (c: NodeJS.CpuUsage, calls: number): number =>
  Number(((c.user + c.system) / calls).toFixed(2));

export function cpuMicrosPerCall(f: (i: number) => unknown, o: CpuTimeOptions): number {
  for (let i = 0; i < o.warmup; i++) f(i % o.cycle);
  const c0 = process.cpuUsage();
  for (let i = 0; i < o.calls; i++) f(i % o.cycle);
  return micros(process.cpuUsage(c0), o.calls);
}

/** The same for calls that may return a promise (each is awaited before the next). */
export async function cpuMicrosPerCallAsync(f: (i: number) => unknown, o: CpuTimeOptions): Promise<number> {
  for (let i = 0; i < o.warmup; i++) await f(i % o.cycle);
  const c0 = process.cpuUsage();
  for (let i = 0; i < o.calls; i++) await f(i % o.cycle);
  return micros(process.cpuUsage(c0), o.calls);
}
