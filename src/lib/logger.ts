/**
 * Structured JSON logs, one line per event, secrets redacted (tokens, keys, Authorization headers).
 */
import { redact } from "./redact.js";

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

export function createLogger(level: LogLevel, write: (line: string) => void = (l) => process.stderr.write(l), now: () => number = Date.now): Logger {
  const min = ORDER[level];
  const log = (lvl: LogLevel, msg: string, fields?: Record<string, unknown>, redacted = false): void => {
    if (ORDER[lvl] < min) return;
    const rec = { time: new Date(now()).toISOString(), level: lvl, msg, ...(fields ? (redacted ? fields : (redact(fields) as Record<string, unknown>)) : {}) };
    write(JSON.stringify(rec) + "\n");
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

export const silentLogger: Logger = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined, enabled: () => false, preRedacted: () => undefined };
