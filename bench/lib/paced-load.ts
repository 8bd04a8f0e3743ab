/**
 * An open-loop load at a fixed rate, evenly paced: request i is due at start + i / rate, released
 * when due (checked every millisecond) to a pool of keep-alive TLS connections, and its latency is
 * measured from its release, so a server that falls behind sees the wait for a free connection
 * counted (no coordinated omission, as wrk2 and vegeta do) while the timer's own lateness is not.
 *
 * Why not autocannon's `overallRate`: autocannon gives each connection a quota per second and sends
 * it back-to-back at the start of every second, so "5,000 requests/s" is a burst at full speed for
 * part of each second and silence after it, and the latencies describe the burst.
 *
 * Runs in a child process (its own core, like autocannon in baseline.ts): the parent writes the
 * options as JSON to stdin, the child writes one JSON line of figures to stdout.
 */
import { isIP } from "node:net";
import { connect, type TLSSocket } from "node:tls";
import { fileURLToPath } from "node:url";
import { runJsonChild } from "./json-child.js";

export interface PacedLoadOptions {
  readonly url: string;
  readonly ca: string;
  readonly method: string;
  readonly headers: Readonly<Record<string, string>>;
  /** Request bodies sent in turn. */
  readonly bodies: readonly string[];
  /** Requests per second, evenly spaced. */
  readonly rate: number;
  /** Keep-alive connections at most (requests wait for a free one, and their wait counts). */
  readonly connections: number;
  /** Seconds of sending (at most 30); answers are awaited up to 10 s more. */
  readonly durationSec: number;
}

export interface PacedLoadFigures {
  /** Answers per second, from the first request due to the last answer (or the sending time, if longer). */
  readonly rps: number;
  /** Latency from each request's release (when it became due), ms. */
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly max: number;
  /** Requests due (sent) and answered. */
  readonly sent: number;
  readonly answered: number;
  readonly non2xx: number;
  readonly errors: number;
}

/** Runs the load in a child process; rejects if the child fails or sends no figures. */
export function pacedLoad(o: PacedLoadOptions): Promise<PacedLoadFigures> {
  if (
    !(o.rate > 0) ||
    !(o.durationSec > 0) ||
    o.durationSec > 30 ||
    o.connections < 1 ||
    o.bodies.length === 0
  )
    return Promise.reject(
      new Error("pacedLoad: rate > 0, 0 < durationSec ≤ 30, connections ≥ 1 and a body are needed"),
    );
  return runJsonChild(
    process.execPath,
    ["--import", "tsx", fileURLToPath(import.meta.url), "--child"],
    o,
    (o.durationSec + 30) * 1000,
    "paced load",
  ) as Promise<PacedLoadFigures>;
}

/** The nearest-rank percentile of sorted values. */
function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

/**
 * One keep-alive TLS connection speaking just enough HTTP/1.1 for this load: it writes a prepared
 * request and reads one response at a time (status line, then a Content-Length or chunked body). node:https's client
 * costs too much CPU per request to pace 5,000 requests a second from one core.
 */
class Connection {
  private buf: Buffer = Buffer.alloc(0);
  private current: { due: number; done: (due: number, status: number) => void } | undefined;
  readonly socket: TLSSocket;

  constructor(host: string, port: number, ca: string, onGone: (c: Connection) => void) {
    this.socket = connect({ host, port, ca, servername: isIP(host) ? undefined : host });
    this.socket.setNoDelay(true);
    this.socket.on("data", (c: Buffer) => this.onData(c));
    this.socket.on("error", () => undefined);
    this.socket.on("close", () => onGone(this));
  }

  get busy(): boolean {
    return this.current !== undefined;
  }

  send(request: Buffer, due: number, done: (due: number, status: number) => void): void {
    this.current = { due, done };
    this.socket.write(request);
  }

  /** Fails the request in flight (the connection closed under it). */
  abort(): { due: number; done: (due: number, status: number) => void } | undefined {
    const c = this.current;
    this.current = undefined;
    return c;
  }

  private onData(chunk: Buffer): void {
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    for (;;) {
      const end = this.buf.indexOf("\r\n\r\n");
      if (end < 0 || !this.current) return;
      const head = this.buf.subarray(0, end).toString("latin1");
      const status = Number(head.slice(9, 12));
      let total: number;
      if (/\r\ntransfer-encoding:[^\r]*chunked/i.test(head)) {
        // the body ends with the zero-length chunk (no trailers are expected)
        const last = this.buf.subarray(end + 2).indexOf("\r\n0\r\n\r\n");
        if (last < 0) return;
        total = end + 2 + last + 7;
      } else {
        const m = /\r\ncontent-length:\s*(\d+)/i.exec(head);
        total = end + 4 + (m ? Number(m[1]) : 0);
      }
      if (this.buf.length < total) return;
      this.buf = this.buf.subarray(total);
      const c = this.current;
      this.current = undefined;
      c.done(c.due, status);
    }
  }
}

async function runChild(o: PacedLoadOptions): Promise<PacedLoadFigures> {
  const url = new URL(o.url);
  const host = url.hostname.replace(/^\[|\]$/g, "");
  const port = Number(url.port || 443);
  const requests = o.bodies.map((body) =>
    Buffer.from(
      `${o.method} ${url.pathname}${url.search} HTTP/1.1\r\nhost: ${url.host}\r\n` +
        Object.entries(o.headers)
          .map(([k, v]) => `${k}: ${v}\r\n`)
          .join("") +
        `content-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
    ),
  );
  const latencies: number[] = [];
  let sent = 0;
  let non2xx = 0;
  let errors = 0;
  let lastAnswer = 0;
  const queue: { due: number; i: number }[] = [];
  const idle: Connection[] = [];
  const live = new Set<Connection>();
  const done = (due: number, status: number): void => {
    lastAnswer = performance.now();
    latencies.push(lastAnswer - due);
    if (!(status >= 200 && status <= 299)) non2xx++; // NaN (an unparseable status line) counts too
  };
  const dispatch = (c: Connection): void => {
    const next = queue.shift();
    if (next)
      c.send(
        requests[next.i % requests.length]!,
        next.due,
        (due, status) => (done(due, status), dispatch(c)),
      );
    else idle.push(c);
  };
  const gone = (c: Connection): void => {
    live.delete(c);
    if (c.abort()) errors++;
    const k = idle.indexOf(c);
    if (k >= 0) idle.splice(k, 1);
  };
  await Promise.all(
    Array.from({ length: o.connections }, () => {
      const c = new Connection(host, port, o.ca, gone);
      live.add(c);
      return new Promise<void>((resolve) => {
        c.socket.once("secureConnect", () => (idle.push(c), resolve()));
        c.socket.once("error", () => resolve());
      });
    }),
  );
  const total = Math.round(o.rate * o.durationSec);
  const start = performance.now() + 20;
  await new Promise<void>((resolve) => {
    const tick = (): void => {
      const now = performance.now();
      while (sent < total && start + (sent * 1000) / o.rate <= now) {
        // latency counts from release (this tick), not from the exact due time: the timer's own
        // lateness (up to a millisecond or two) is the generator's, waiting for a connection is the server's
        queue.push({ due: now, i: sent });
        sent++;
        const c = idle.pop();
        if (c) dispatch(c);
      }
      if (sent < total) setTimeout(tick, 1);
      else resolve();
    };
    setTimeout(tick, 20);
  });
  const waitUntil = performance.now() + 10_000;
  while (latencies.length + errors < sent && live.size > 0 && performance.now() < waitUntil)
    await new Promise((r) => setTimeout(r, 5));
  for (const c of live) c.socket.destroy();
  latencies.sort((a, b) => a - b);
  const round = (n: number): number => Math.round(n * 100) / 100;
  return {
    rps: Math.round((latencies.length * 1000) / Math.max(lastAnswer - start, o.durationSec * 1000)),
    p50: round(percentile(latencies, 50)),
    p90: round(percentile(latencies, 90)),
    p99: round(percentile(latencies, 99)),
    max: round(latencies.at(-1) ?? 0),
    sent,
    answered: latencies.length,
    non2xx,
    errors: sent - latencies.length,
  };
}

if (process.argv.includes("--child")) {
  let input = "";
  process.stdin.on("data", (c: Buffer) => (input += c.toString()));
  process.stdin.on("end", () => {
    runChild(JSON.parse(input) as PacedLoadOptions).then(
      (f) => {
        process.stdout.write(JSON.stringify(f) + "\n");
        process.exit(0);
      },
      (e: unknown) => {
        process.stderr.write(`paced load failed: ${e instanceof Error ? e.message : String(e)}\n`);
        process.exit(1);
      },
    );
  });
}
