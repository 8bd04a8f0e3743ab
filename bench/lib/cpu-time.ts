import { readFileSync } from "node:fs";
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

/** CPU ticks (10 ms) of this process's main thread so far, from /proc (Linux). */
function mainThreadMicros(): number {
  const st = readFileSync(`/proc/self/task/${process.pid}/stat`, "utf8").split(") ")[1]!.split(" ");
  return (Number(st[11]) + Number(st[12])) * 10_000;
}

/**
 * For handlers that hand work to the thread pool (signature checks): `inFlight` calls at a time, as
 * under HTTP load, and both the whole process's CPU and the event loop thread's CPU per call (the
 * loop's share is what limits a server's rate; the main-thread figure has /proc's 10 ms resolution,
 * so give it a few seconds of calls).
 */
export async function cpuMicrosPerCallConcurrent(
  f: (i: number) => Promise<unknown>,
  o: CpuTimeOptions & { readonly inFlight: number },
): Promise<{ total: number; mainThread: number }> {
  const run = async (calls: number): Promise<void> => {
    let next = 0;
    await Promise.all(
      Array.from({ length: o.inFlight }, async () => {
        while (next < calls) await f(next++ % o.cycle);
      }),
    );
  };
  await run(o.warmup);
  const c0 = process.cpuUsage();
  const m0 = mainThreadMicros();
  await run(o.calls);
  const total = micros(process.cpuUsage(c0), o.calls);
  return { total, mainThread: Number(((mainThreadMicros() - m0) / o.calls).toFixed(1)) };
}
