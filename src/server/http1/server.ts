/**
 * kubeiam's HTTP/1.1 server over TLS (ADR 0008): node:tls sockets, the strict framing of ./parse.ts,
 * and one write per answer. Node's http module spends about half of a small keep-alive request's CPU
 * in its own objects (IncomingMessage and ServerResponse streams, events, header bookkeeping); the
 * webhooks answer thousands of small requests a second, so this serves them with less.
 *
 * Per connection, requests are read one at a time: the head (at most `maxHeaderBytes`), then a body
 * of Content-Length bytes or chunks (at most the route's limit, known from the head), then the
 * handler runs; pipelined bytes wait until its answer is written. A malformed request is answered
 * with its status (400, 413, 417, 431, 501 or 505) and the connection closed. One timer per server
 * closes connections idle past `keepAliveTimeoutMs` and answers 408 to requests not received within
 * `requestTimeoutMs`, as Node's server does.
 */
import { createServer as createTlsServer, type Server, type TLSSocket } from "node:tls";
import { STATUS_CODES, type IncomingHttpHeaders, type OutgoingHttpHeaders } from "node:http";
import { decodeChunked, headersDistinctOf, headersOf, HttpParseError, parseHead, type RequestHead } from "./parse.js";

export interface Http1Request {
  readonly method: string;
  readonly path: string;
  /** The query string without "?", as sent (some protocols need it byte-exact). */
  readonly rawQuery: string;
  /** The parsed query (built on first use). */
  readonly query: URLSearchParams;
  readonly headers: IncomingHttpHeaders;
  /** Every value of every header field (for signatures over repeated headers). */
  readonly headersDistinct: Record<string, string[]>;
  readonly body: Buffer;
  /** Calls `f` once the connection closes (streamed answers stop then). */
  onClose(f: () => void): void;
}

/** The part of node:http's ServerResponse that kubeiam's handlers use. */
export interface Http1Response {
  statusCode: number;
  readonly headersSent: boolean;
  writeHead(status: number, headers?: OutgoingHttpHeaders): void;
  /** Streams a chunk (chunked transfer coding unless a content-length was given). */
  write(chunk: string | Buffer): void;
  end(body?: string | Buffer): void;
  /** Closes the connection without an answer (or mid-answer). */
  destroy(): void;
}

/** `R`: what a request's method and path resolve to (a route), once, when its head is read. */
export interface Http1Options<R> {
  readonly cert: string;
  readonly key: string;
  route(method: string, path: string): R;
  /** The largest request body accepted for a request to `route`. */
  bodyLimit(route: R): number;
  /** Handles a complete request. Must answer through `res` (also when it throws). */
  handle(req: Http1Request, res: Http1Response, route: R): void;
  readonly maxHeaderBytes?: number;
  readonly keepAliveTimeoutMs?: number;
  readonly requestTimeoutMs?: number;
}

const CRLFCRLF = Buffer.from("\r\n\r\n");
/** Bytes buffered beyond a request in progress before the socket stops reading. */
const MAX_AHEAD = 64 * 1024;
const HEADER_VALUE_OK = /^[\t\x20-\x7e\x80-\xff]*$/;
const HEADER_NAME_OK = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

let dateSecond = -1;
let dateLine = "";
/** `Date: <IMF-fixdate>\r\n`, rebuilt once a second. */
function dateHeader(): string {
  const now = Date.now();
  const s = Math.floor(now / 1000);
  if (s !== dateSecond) {
    dateSecond = s;
    dateLine = `Date: ${new Date(s * 1000).toUTCString()}\r\n`;
  }
  return dateLine;
}

/** A request's answer on one connection. */
class Response implements Http1Response {
  statusCode = 200;
  headersSent = false;
  private head = "";
  private chunked = false;
  private bodyAllowed = true;
  private finished = false;
  constructor(
    private readonly conn: Connection<unknown>,
    private readonly isHead: boolean,
  ) {}

  writeHead(status: number, headers: OutgoingHttpHeaders = {}): void {
    if (this.headersSent || this.head !== "") throw new Error("writeHead: the head was already written");
    if (!Number.isInteger(status) || status < 200 || status > 999) throw new RangeError(`invalid status code ${status}`);
    this.statusCode = status;
    let h = `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? "unknown"}\r\n`;
    let hasLength = false;
    for (const name in headers) {
      const v = headers[name];
      if (v === undefined) continue;
      if (!HEADER_NAME_OK.test(name)) throw new TypeError(`invalid header name ${JSON.stringify(name)}`);
      const lower = name.toLowerCase();
      if (lower === "content-length") hasLength = true;
      if (lower === "connection" || lower === "transfer-encoding" || lower === "date" || lower === "keep-alive") continue;
      for (const one of Array.isArray(v) ? v : [v]) {
        const s = String(one);
        if (!HEADER_VALUE_OK.test(s)) throw new TypeError(`invalid character in header ${JSON.stringify(name)}`);
        h += `${name}: ${s}\r\n`;
      }
    }
    this.bodyAllowed = !this.isHead && status !== 204 && status !== 304;
    this.chunked = !hasLength && this.bodyAllowed;
    this.head = h;
  }

  /** Sends the head (with the connection's framing headers) ahead of `body`. */
  private headText(): string {
    const c = this.conn;
    let framing = this.chunked ? (c.minor === 1 ? "Transfer-Encoding: chunked\r\n" : "") : "";
    // HTTP/1.0 has no chunked coding: a streamed answer ends with the connection.
    if (this.chunked && c.minor === 0) c.keepAlive = false;
    framing += c.keepAlive ? c.keepAliveLine : "Connection: close\r\n";
    this.headersSent = true;
    return this.head + dateHeader() + framing + "\r\n";
  }

  write(chunk: string | Buffer): void {
    if (this.finished) return;
    if (this.head === "") this.writeHead(this.statusCode);
    const len = typeof chunk === "string" ? Buffer.byteLength(chunk) : chunk.length;
    const out = this.headersSent ? "" : this.headText();
    if (!this.bodyAllowed || len === 0) {
      if (out !== "") this.conn.send(out);
      return;
    }
    if (this.chunked && this.conn.minor === 1) {
      this.conn.send(out + `${len.toString(16)}\r\n`);
      this.conn.send(chunk);
      this.conn.send("\r\n");
      return;
    }
    if (out !== "") this.conn.send(out);
    this.conn.send(chunk);
  }

  end(body?: string | Buffer): void {
    if (this.finished) return;
    if (this.head === "") this.writeHead(this.statusCode);
    if (!this.headersSent) {
      if (this.chunked) {
        // The whole body is known before anything was sent: give its length instead of chunks.
        this.chunked = false;
        const len = body === undefined ? 0 : typeof body === "string" ? Buffer.byteLength(body) : body.length;
        this.head += `content-length: ${len}\r\n`;
      }
      const head = this.headText();
      if (body === undefined || !this.bodyAllowed || body.length === 0) this.conn.send(head);
      else if (typeof body === "string") this.conn.send(head + body);
      else this.conn.send(Buffer.concat([Buffer.from(head, "latin1"), body]));
    } else if (body !== undefined && body.length > 0) this.write(body);
    if (this.chunked && this.bodyAllowed && this.conn.minor === 1) this.conn.send("0\r\n\r\n");
    this.finished = true;
    this.conn.finished();
  }

  destroy(): void {
    this.finished = true;
    this.conn.socket.destroy();
  }
}

class Connection<R> {
  buf: Buffer | undefined;
  /** Where to resume looking for the end of the head. */
  private scanned = 0;
  private head: RequestHead | undefined;
  private path = "";
  private route: R | undefined;
  private headEnd = 0;
  private limit = 0;
  /** A request has been handed to the handler and not yet answered. */
  busy = false;
  private looping = false;
  private paused = false;
  /** When the request being received started (its first byte), 0 when none is. */
  startedAt = 0;
  idleSince = Date.now();
  keepAlive = true;
  minor: 0 | 1 = 1;
  closing = false;
  private closeListeners: (() => void)[] | undefined;

  constructor(
    readonly socket: TLSSocket,
    private readonly server: Http1Server<R>,
  ) {
    socket.on("data", (c: Buffer) => this.onData(c));
    socket.on("error", () => socket.destroy());
    socket.on("close", () => {
      server.connections.delete(this);
      const ls = this.closeListeners;
      this.closeListeners = undefined;
      if (ls) for (const f of ls) f();
    });
  }

  get keepAliveLine(): string {
    return this.server.keepAliveLine;
  }

  onClose(f: () => void): void {
    if (this.socket.destroyed) f();
    else (this.closeListeners ??= []).push(f);
  }

  private onData(c: Buffer): void {
    if (this.closing) return;
    this.buf = this.buf === undefined || this.buf.length === 0 ? c : Buffer.concat([this.buf, c]);
    if (this.startedAt === 0) this.startedAt = Date.now();
    if (this.busy) {
      if (this.buf.length > MAX_AHEAD && !this.paused) {
        this.paused = true;
        this.socket.pause();
      }
      return;
    }
    this.loop();
  }

  /** Reads and dispatches requests from the buffer until one is in progress or the buffer is spent. */
  private loop(): void {
    if (this.looping) return;
    this.looping = true;
    try {
      while (!this.busy && !this.closing && this.buf !== undefined && this.buf.length > 0) {
        if (!this.step()) break;
      }
    } catch (e) {
      this.fail(e);
    } finally {
      this.looping = false;
    }
    if (this.paused && !this.busy) {
      this.paused = false;
      this.socket.resume();
    }
  }

  /** Advances the current request; false when more bytes are needed. */
  private step(): boolean {
    let buf = this.buf!;
    const max = this.server.maxHeaderBytes;
    if (this.head === undefined) {
      // Empty lines before a request are ignored (RFC 9112 §2.2).
      let skip = 0;
      while (skip + 1 < buf.length && buf[skip] === 13 && buf[skip + 1] === 10) skip += 2;
      if (skip > 0) {
        buf = this.buf = buf.subarray(skip);
        this.scanned = 0;
        if (buf.length === 0) {
          this.buf = undefined;
          this.startedAt = 0;
          return false;
        }
      }
      const end = buf.indexOf(CRLFCRLF, Math.max(0, this.scanned - 3));
      if (end < 0) {
        if (buf.length > max) throw new HttpParseError(431, `request head larger than ${max} bytes`);
        this.scanned = buf.length;
        return false;
      }
      if (end + 4 > max) throw new HttpParseError(431, `request head larger than ${max} bytes`);
      const head = parseHead(buf, end);
      this.head = head;
      this.headEnd = end + 4;
      this.minor = head.minor;
      this.keepAlive = head.keepAlive;
      const q = head.target.indexOf("?");
      this.path = q < 0 ? head.target : head.target.slice(0, q);
      this.route = this.server.options.route(head.method, this.path);
      this.limit = this.server.options.bodyLimit(this.route);
      if (head.contentLength > this.limit)
        throw new HttpParseError(413, `request body of ${head.contentLength} bytes exceeds the limit of ${this.limit} bytes`);
      if (head.expectContinue && head.minor === 1) this.send("HTTP/1.1 100 Continue\r\n\r\n");
    }
    const head = this.head;
    let body: Buffer;
    let next: number;
    if (head.chunked) {
      const r = decodeChunked(buf, this.headEnd, this.limit, max);
      if (!r.done) return false;
      body = r.body;
      next = r.next;
    } else {
      const n = head.contentLength < 0 ? 0 : head.contentLength;
      next = this.headEnd + n;
      if (buf.length < next) return false;
      body = buf.subarray(this.headEnd, next);
    }
    this.buf = next === buf.length ? undefined : buf.subarray(next);
    this.head = undefined;
    this.scanned = 0;
    this.startedAt = this.buf === undefined ? 0 : Date.now();
    this.busy = true;
    this.dispatch(head, this.path, this.route as R, body);
    return true;
  }

  private dispatch(head: RequestHead, path: string, route: R, body: Buffer): void {
    let headers: IncomingHttpHeaders | undefined;
    let distinct: Record<string, string[]> | undefined;
    let query: URLSearchParams | undefined;
    // The target is the path, then "?" and the query when there is one.
    const rawQuery = head.target.slice(path.length + 1);
    const req: Http1Request = {
      method: head.method,
      path,
      rawQuery,
      get query() {
        return (query ??= new URLSearchParams(rawQuery));
      },
      get headers() {
        return (headers ??= headersOf(head.fields));
      },
      get headersDistinct() {
        return (distinct ??= headersDistinctOf(head.fields));
      },
      body,
      onClose: (f) => this.onClose(f),
    };
    const res = new Response(this, head.method === "HEAD");
    this.server.options.handle(req, res, route);
  }

  /** The answer to the request in progress has been written. */
  finished(): void {
    this.busy = false;
    this.idleSince = Date.now();
    if (!this.keepAlive || this.closing) {
      this.closing = true;
      this.socket.end();
      return;
    }
    if (!this.looping) this.loop();
  }

  send(data: string | Buffer): void {
    if (!this.socket.destroyed && this.socket.writable) this.socket.write(data);
  }

  /** Answers a framing error (or an internal failure) and closes the connection. */
  fail(e: unknown): void {
    const status = e instanceof HttpParseError ? e.status : 500;
    const message = e instanceof HttpParseError ? e.message : "internal error";
    this.closing = true;
    this.busy = true;
    if (!this.socket.destroyed) {
      const body = JSON.stringify({ code: status === 413 ? "REQUEST_TOO_LARGE" : "REQUEST_INVALID", message });
      this.socket.end(
        `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n${dateHeader()}Connection: close\r\n\r\n${body}`,
      );
    }
  }

  /** Closes the connection if it sits between requests. */
  closeIfIdle(): boolean {
    if (this.busy || this.startedAt !== 0) return false;
    this.socket.destroy();
    return true;
  }
}

export class Http1Server<R> {
  readonly connections = new Set<Connection<R>>();
  readonly tls: Server;
  readonly maxHeaderBytes: number;
  readonly keepAliveLine: string;
  private readonly timer: NodeJS.Timeout;
  private closing = false;

  constructor(readonly options: Http1Options<R>) {
    this.maxHeaderBytes = options.maxHeaderBytes ?? 16 * 1024;
    const keepAliveMs = options.keepAliveTimeoutMs ?? 65_000;
    const requestMs = options.requestTimeoutMs ?? 30_000;
    this.keepAliveLine = `Connection: keep-alive\r\nKeep-Alive: timeout=${Math.floor(keepAliveMs / 1000)}\r\n`;
    const tlsOptions = { cert: options.cert, key: options.key, ALPNProtocols: ["http/1.1", "http/1.0"], noDelay: true, keepAlive: true };
    this.tls = createTlsServer(tlsOptions, (socket) => {
      if (this.closing) {
        socket.destroy();
        return;
      }
      socket.setNoDelay(true);
      this.connections.add(new Connection(socket, this));
    });
    // Node's server checks its timeouts on an interval too (connectionsCheckingInterval).
    this.timer = setInterval(() => {
      const now = Date.now();
      for (const c of this.connections) {
        if (c.busy) continue;
        if (c.startedAt !== 0) {
          if (now - c.startedAt > requestMs) c.fail(new HttpParseError(408, `request not received within ${requestMs} ms`));
        } else if (now - c.idleSince > keepAliveMs) c.socket.destroy();
      }
    }, Math.min(1000, keepAliveMs, requestMs));
    this.timer.unref();
  }

  /** Stops accepting, closes idle connections now and the rest once answered or after `graceMs`. */
  close(graceMs: number): Promise<void> {
    this.closing = true;
    clearInterval(this.timer);
    const done = new Promise<void>((resolve) => this.tls.close(() => resolve()));
    for (const c of this.connections) {
      if (!c.closeIfIdle()) {
        c.keepAlive = false;
        c.closing = true;
      }
    }
    const cut = setTimeout(() => {
      for (const c of this.connections) c.socket.destroy();
    }, graceMs);
    cut.unref();
    return done.finally(() => clearTimeout(cut));
  }
}
