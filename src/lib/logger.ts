/**
 * Structured JSON logs, one line per event, secrets redacted (tokens, keys, Authorization headers).
 *
 * The default sink is stderr through `batchedWriter`: lines leave in one write per 20 ms (a
 * synchronous pipe write per line cost more than the webhook decision it logged; bench/sar.bench.ts).
 * Pending lines are written at the latest when the process exits.
 */
import { redact } from "./redact.js";
import { isoTime } from "./iso-time.js";

export type LogLevel = "debug" | "info" | "warn" | "error";
const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  enabled(level: LogLevel): boolean;
  /** Logs fields that the caller has already passed through redact() (avoids redacting twice). */
  preRedacted(level: LogLevel, msg: string, fields: Record<string, unknown>): void;
}

/** Buffered bytes after which a batch is written at once. */
const MAX_BATCH = 64 * 1024;
/** The longest a line waits for others to join its batch. */
export const MAX_BATCH_DELAY_MS = 20;

export interface BatchedWriter {
  write(line: string): void;
  /** Writes what is pending now. */
  flush(): void;
}

/**
 * Collects lines and hands them to `sink` as one string per 20 ms (or per 64 KiB), and on process
 * exit, so nothing logged before a normal exit or process.exit() is lost. Every write to a log pipe
 * wakes its reader (a container runtime, or a terminal), on another CPU: at info, a webhook that
 * wrote once per event-loop turn spent more on those wake-ups than on its decisions
 * (bench/sar.bench.ts with KUBEIAM_BENCH_PERF); 20 ms of delay lets a loaded server write a few
 * dozen times a second.
 */
export function batchedWriter(sink: (chunk: string) => void): BatchedWriter {
  let pending = "";
  let timer: NodeJS.Timeout | undefined;
  const flush = (): void => {
    if (timer !== undefined) {
      clearTimeout(timer);
      timer = undefined;
    }
    if (pending === "") return;
    const chunk = pending;
    pending = "";
    sink(chunk);
  };
  process.on("exit", flush);
  return {
    write(line) {
      pending += line;
      if (pending.length >= MAX_BATCH) flush();
      else if (timer === undefined) {
        timer = setTimeout(flush, MAX_BATCH_DELAY_MS);
        timer.unref();
      }
    },
    flush,
  };
}

let stderrWriter: BatchedWriter | undefined;
/** The process-wide batched stderr sink (one per process, so lines keep their order). */
const stderrLine = (line: string): void => {
  stderrWriter ??= batchedWriter((chunk) => process.stderr.write(chunk));
  stderrWriter.write(line);
};

export function createLogger(
  level: LogLevel,
  write: (line: string) => void = stderrLine,
  now: () => number = Date.now,
): Logger {
  const min = ORDER[level];
  const log = (lvl: LogLevel, msg: string, fields?: Record<string, unknown>, redacted = false): void => {
    if (ORDER[lvl] < min) return;
    const safe = fields ? (redacted ? fields : (redact(fields) as Record<string, unknown>)) : undefined;
    if (safe !== undefined && ("time" in safe || "level" in safe || "msg" in safe)) {
      write(JSON.stringify({ time: isoTime(now()), level: lvl, msg, ...safe }) + "\n");
      return;
    }
    // The fields' object is serialised as it is and spliced after the three leading keys (no copy).
    const head = `{"time":"${isoTime(now())}","level":"${lvl}","msg":${JSON.stringify(msg)}`;
    const body = safe === undefined ? "{}" : JSON.stringify(safe);
    write(body === "{}" ? `${head}}\n` : `${head},${body.slice(1)}\n`);
  };
  return {
    debug: (m, f) => log("debug", m, f),
    info: (m, f) => log("info", m, f),
    warn: (m, f) => log("warn", m, f),
    error: (m, f) => log("error", m, f),
    enabled: (l) => ORDER[l] >= min,
    preRedacted: (l, m, f) => log(l, m, f, true),
  };
}

export const silentLogger: Logger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  enabled: () => false,
  preRedacted: () => undefined,
};
