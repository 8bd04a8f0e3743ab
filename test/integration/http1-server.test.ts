/**
 * kubeiam's HTTP/1.1 server over real TLS sockets: raw bytes in, raw bytes out, and node:https as a
 * client; node:http as the reference for how request headers are presented.
 */
import { test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import { connect } from "node:tls";
import { createServer as createHttpsServer, request as httpsRequest } from "node:https";
import type { AddressInfo } from "node:net";
import { ensureTls } from "../../src/keys/tls.js";
import { Http1Server, type Http1Request, type Http1Response } from "../../src/server/http1/server.js";
import { tempDir } from "../helpers/tmp.js";

interface Tls {
  cert: string;
  key: string;
  ca: string;
}

let tlsMaterial: Promise<Tls> | undefined;
async function tls(t: TestContext): Promise<Tls> {
  if (!tlsMaterial) {
    const dir = await tempDir(t);
    tlsMaterial = ensureTls(dir, { names: ["127.0.0.1"], now: Date.now() }).then((m) => ({ cert: m.cert, key: m.key, ca: m.ca! }));
  }
  return tlsMaterial;
}

type Handle = (req: Http1Request, res: Http1Response) => void;

/** Echoes method, path, query and body as JSON (or runs `handle`). */
const echo: Handle = (req, res) => {
  const body = JSON.stringify({ method: req.method, path: req.path, rawQuery: req.rawQuery, body: req.body.toString() });
  res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(body) });
  res.end(body);
};

async function start(
  t: TestContext,
  handle: Handle = echo,
  opts: { keepAliveTimeoutMs?: number; requestTimeoutMs?: number; maxHeaderBytes?: number; limit?: number } = {},
): Promise<{ server: Http1Server<undefined>; port: number; ca: string }> {
  const m = await tls(t);
  const server = new Http1Server({
    cert: m.cert,
    key: m.key,
    route: () => undefined,
    bodyLimit: () => opts.limit ?? 1024,
    handle,
    ...(opts.keepAliveTimeoutMs !== undefined ? { keepAliveTimeoutMs: opts.keepAliveTimeoutMs } : {}),
    ...(opts.requestTimeoutMs !== undefined ? { requestTimeoutMs: opts.requestTimeoutMs } : {}),
    ...(opts.maxHeaderBytes !== undefined ? { maxHeaderBytes: opts.maxHeaderBytes } : {}),
  });
  await new Promise<void>((resolve) => server.tls.listen(0, "127.0.0.1", () => resolve()));
  t.after(() => server.close(100));
  return { server, port: (server.tls.address() as AddressInfo).port, ca: m.ca };
}

/**
 * Opens a TLS connection, writes each of `writes` (pausing `gapMs` between them), and collects what
 * arrives until the server closes the connection or `waitMs` passes after the last write.
 */
function exchange(
  port: number,
  ca: string,
  writes: (string | Buffer)[],
  o: { waitMs?: number; gapMs?: number } = {},
): Promise<{ text: string; closed: boolean }> {
  return new Promise((resolve, reject) => {
    const send = async (): Promise<void> => {
      for (const w of writes) {
        s.write(w);
        if (o.gapMs) await new Promise((r) => setTimeout(r, o.gapMs));
      }
      setTimeout(() => {
        s.destroy();
        resolve({ text: Buffer.concat(chunks).toString("latin1"), closed: false });
      }, o.waitMs ?? 300).unref();
    };
    const s = connect({ port, host: "127.0.0.1", ca }, () => void send());
    const chunks: Buffer[] = [];
    s.on("data", (c: Buffer) => chunks.push(c));
    s.on("error", reject);
    s.on("end", () => resolve({ text: Buffer.concat(chunks).toString("latin1"), closed: true }));
  });
}

/** Splits a stream of answers into [status line, headers (lower-cased), body] per answer with Content-Length. */
function answers(text: string): { status: string; headers: Record<string, string>; body: string }[] {
  const out: { status: string; headers: Record<string, string>; body: string }[] = [];
  let rest = text;
  while (rest.length > 0) {
    const end = rest.indexOf("\r\n\r\n");
    assert.ok(end >= 0, `an answer head in ${JSON.stringify(rest)}`);
    const [status, ...lines] = rest.slice(0, end).split("\r\n");
    const headers: Record<string, string> = {};
    for (const l of lines) {
      const i = l.indexOf(":");
      headers[l.slice(0, i).toLowerCase()] = l.slice(i + 1).trim();
    }
    const n = status!.includes(" 100 ") ? 0 : Number(headers["content-length"] ?? "0");
    out.push({ status: status!, headers, body: rest.slice(end + 4, end + 4 + n) });
    rest = rest.slice(end + 4 + n);
  }
  return out;
}

const post = (path: string, body: string, extra = ""): string =>
  `POST ${path} HTTP/1.1\r\nHost: x\r\nContent-Length: ${Buffer.byteLength(body)}\r\n${extra}\r\n${body}`;

test("keep-alive: requests on one connection, pipelined requests answered in order", async (t) => {
  const { port, ca } = await start(t);
  const r = await exchange(port, ca, [post("/a?x=1", "one") + post("/b", "two"), post("/c", "three")], { gapMs: 50 });
  assert.equal(r.closed, false, "the connection stays open");
  const a = answers(r.text);
  assert.deepEqual(
    a.map((x) => JSON.parse(x.body) as unknown),
    [
      { method: "POST", path: "/a", rawQuery: "x=1", body: "one" },
      { method: "POST", path: "/b", rawQuery: "", body: "two" },
      { method: "POST", path: "/c", rawQuery: "", body: "three" },
    ],
  );
  for (const x of a) {
    assert.equal(x.status, "HTTP/1.1 200 OK");
    assert.equal(x.headers.connection, "keep-alive");
    assert.equal(x.headers["keep-alive"], "timeout=65");
    assert.match(x.headers.date!, /^[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT$/);
  }
});

test("a request split across many writes, byte by byte, is read whole", async (t) => {
  const { port, ca } = await start(t);
  const req = post("/split", '{"a":1}');
  const r = await exchange(port, ca, Array.from({ length: req.length }, (_, i) => req.charAt(i)), { gapMs: 1 });
  assert.deepEqual(JSON.parse(answers(r.text)[0]!.body), { method: "POST", path: "/split", rawQuery: "", body: '{"a":1}' });
});

test("chunked request bodies from node:https (no content-length) are decoded", async (t) => {
  const { port, ca } = await start(t);
  const body = await new Promise<string>((resolve, reject) => {
    const req = httpsRequest({ host: "127.0.0.1", port, path: "/chunks", method: "POST", ca }, (res) => {
      let text = "";
      res.on("data", (c: Buffer) => (text += c.toString()));
      res.on("end", () => resolve(text));
    });
    req.on("error", reject);
    req.write("part1-");
    setTimeout(() => req.end("part2"), 30);
  });
  assert.deepEqual(JSON.parse(body), { method: "POST", path: "/chunks", rawQuery: "", body: "part1-part2" });
});

test("Expect: 100-continue gets 100 Continue before the body is sent", async (t) => {
  const { port, ca } = await start(t);
  const r = await exchange(port, ca, [
    "POST /e HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n",
    "body",
  ], { gapMs: 50 });
  const a = answers(r.text);
  assert.equal(a[0]!.status, "HTTP/1.1 100 Continue");
  assert.equal(a[1]!.status, "HTTP/1.1 200 OK");
  assert.equal((JSON.parse(a[1]!.body) as { body: string }).body, "body");
});

test("Connection: close and HTTP/1.0 without keep-alive end the connection after the answer", async (t) => {
  const { port, ca } = await start(t);
  const closing = await exchange(port, ca, [post("/c", "x", "Connection: close\r\n") + post("/ignored", "y")], { waitMs: 2000 });
  assert.equal(closing.closed, true);
  const a = answers(closing.text);
  assert.equal(a.length, 1, "nothing after a close is answered");
  assert.equal(a[0]!.headers.connection, "close");
  const old = await exchange(port, ca, ["GET /old HTTP/1.0\r\n\r\n"], { waitMs: 2000 });
  assert.equal(old.closed, true);
  assert.equal(answers(old.text)[0]!.status, "HTTP/1.1 200 OK");
  const kept = await exchange(port, ca, ["GET /old HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"]);
  assert.equal(kept.closed, false);
  assert.equal(answers(kept.text)[0]!.headers.connection, "keep-alive");
});

test("ALPN: http/1.1 is chosen over h2, and a client offering only http/1.0 is served", async (t) => {
  const { port, ca } = await start(t);
  for (const [offer, chosen] of [
    [["h2", "http/1.1"], "http/1.1"],
    [["http/1.0"], "http/1.0"],
  ] as const) {
    const got = await new Promise<string | false | null>((resolve, reject) => {
      const s = connect({ port, host: "127.0.0.1", ca, ALPNProtocols: [...offer] }, () => {
        resolve(s.alpnProtocol);
        s.destroy();
      });
      s.on("error", reject);
    });
    assert.equal(got, chosen, offer.join(","));
  }
});

test("framing errors are answered with their status and the connection closed", async (t) => {
  const { port, ca } = await start(t, echo, { maxHeaderBytes: 512, limit: 10 });
  const cases: [string, string, string][] = [
    ["GET / HTTP/1.1\r\nHost: x\r\nHost: y\r\n\r\n", "HTTP/1.1 400 Bad Request", "more than one Host header"],
    ["POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\nabc", "HTTP/1.1 400 Bad Request", "both Transfer-Encoding and Content-Length"],
    ["POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 11\r\n\r\n", "HTTP/1.1 413 Payload Too Large", "request body of 11 bytes exceeds the limit of 10 bytes"],
    ["POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n6\r\nabcdef\r\n6\r\nabcdef\r\n0\r\n\r\n", "HTTP/1.1 413 Payload Too Large", "request body exceeds the limit of 10 bytes"],
    [`GET / HTTP/1.1\r\nHost: x\r\nX: ${"a".repeat(600)}\r\n\r\n`, "HTTP/1.1 431 Request Header Fields Too Large", "request head larger than 512 bytes"],
    [`GET / HTTP/1.1\r\nHost: x\r\nX: ${"a".repeat(600)}`, "HTTP/1.1 431 Request Header Fields Too Large", "request head larger than 512 bytes"],
    ["GET / HTTP/2.0\r\n\r\n", "HTTP/1.1 505 HTTP Version Not Supported", "HTTP/2.0 is not supported (HTTP/1.0 and HTTP/1.1 are)"],
    ["POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n", "HTTP/1.1 501 Not Implemented", 'unsupported Transfer-Encoding "gzip" (only chunked is)'],
    ["GET / HTTP/1.1\r\nHost: x\r\nExpect: nothing\r\n\r\n", "HTTP/1.1 417 Expectation Failed", 'unsupported Expect "nothing" (only 100-continue is)'],
    ["\x16\x03\x01 not http\r\n\r\n", "HTTP/1.1 400 Bad Request", "malformed request line (expected METHOD TARGET HTTP/1.x)"],
  ];
  for (const [request, status, message] of cases) {
    const r = await exchange(port, ca, [request + post("/after", "z")], { waitMs: 2000 });
    assert.equal(r.closed, true, `closed after ${JSON.stringify(request.slice(0, 40))}`);
    const a = answers(r.text);
    assert.equal(a.length, 1, "the request after a framing error is not read");
    assert.equal(a[0]!.status, status);
    assert.equal(a[0]!.headers.connection, "close");
    assert.deepEqual(JSON.parse(a[0]!.body), { code: status.includes("413") ? "REQUEST_TOO_LARGE" : "REQUEST_INVALID", message });
  }
});

test("HEAD, 204 and 304 answers carry no body; a streamed answer is chunked", async (t) => {
  const { port, ca } = await start(t, (req, res) => {
    if (req.path === "/304") {
      res.writeHead(304, { etag: '"e"' });
      res.end();
    } else if (req.path === "/204") {
      res.statusCode = 204;
      res.end();
    } else if (req.path === "/stream") {
      res.writeHead(200, { "content-type": "application/x-ndjson" });
      res.write("a\n");
      res.write(Buffer.from("bc\n"));
      res.end();
    } else echo(req, res);
  });
  const r = await exchange(port, ca, [
    "HEAD /h HTTP/1.1\r\nHost: x\r\n\r\n",
    "GET /304 HTTP/1.1\r\nHost: x\r\n\r\n",
    "GET /204 HTTP/1.1\r\nHost: x\r\n\r\n",
    "GET /stream HTTP/1.1\r\nHost: x\r\n\r\n",
  ], { gapMs: 30 });
  const parts = r.text.split("HTTP/1.1 ").slice(1);
  assert.match(parts[0]!, /^200 OK\r\n[^]*content-length: 53\r\n[^]*\r\n\r\n$/, "HEAD: the GET's length, no body");
  assert.match(parts[1]!, /^304 Not Modified\r\netag: "e"\r\nDate: [^\r]+\r\nConnection: keep-alive\r\nKeep-Alive: timeout=65\r\n\r\n$/);
  assert.match(parts[2]!, /^204 No Content\r\nDate: [^\r]+\r\nConnection: keep-alive\r\nKeep-Alive: timeout=65\r\n\r\n$/);
  assert.match(parts[3]!, /^200 OK\r\ncontent-type: application\/x-ndjson\r\nDate: [^\r]+\r\nTransfer-Encoding: chunked\r\n[^]*\r\n\r\n2\r\na\n\r\n3\r\nbc\n\r\n0\r\n\r\n$/);
});

test("a handler's header with CR or LF is refused, not sent", async (t) => {
  let thrown: unknown;
  const { port, ca } = await start(t, (_req, res) => {
    try {
      res.writeHead(200, { "x-injected": "a\r\nSet-Cookie: evil=1" });
    } catch (e) {
      thrown = e;
      res.writeHead(500, { "content-length": 0 });
      res.end();
    }
  });
  const r = await exchange(port, ca, ["GET / HTTP/1.1\r\nHost: x\r\n\r\n"]);
  assert.ok(thrown instanceof TypeError);
  assert.equal(thrown.message, 'invalid character in header "x-injected"');
  assert.equal(answers(r.text)[0]!.status, "HTTP/1.1 500 Internal Server Error");
  assert.ok(!r.text.includes("evil"));
});

test("timeouts: idle connections are closed, a request not received in time gets 408", async (t) => {
  const { port, ca } = await start(t, echo, { keepAliveTimeoutMs: 300, requestTimeoutMs: 300 });
  const idle = await exchange(port, ca, [post("/a", "1")], { waitMs: 3000 });
  assert.equal(idle.closed, true, "closed after the keep-alive timeout");
  assert.equal(answers(idle.text).length, 1);
  const slow = await exchange(port, ca, ["POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nab"], { waitMs: 3000 });
  assert.equal(slow.closed, true);
  const a = answers(slow.text);
  assert.equal(a[0]!.status, "HTTP/1.1 408 Request Timeout");
  assert.deepEqual(JSON.parse(a[0]!.body), { code: "REQUEST_INVALID", message: "request not received within 300 ms" });
});

test("close: idle connections close now, an answer in progress is finished with Connection: close", async (t) => {
  let release: (() => void) | undefined;
  const { server, port, ca } = await start(t, (req, res) => {
    if (req.path === "/slow") release = () => echo(req, res);
    else echo(req, res);
  });
  const idle = exchange(port, ca, [post("/fast", "1")], { waitMs: 3000 });
  const busy = exchange(port, ca, [post("/slow", "2")], { waitMs: 3000 });
  while (!release) await new Promise((r) => setTimeout(r, 10));
  await new Promise((r) => setTimeout(r, 50));
  const closed = server.close(2000);
  release();
  await closed;
  const i = await idle;
  const b = await busy;
  assert.equal(i.closed, true);
  assert.equal(answers(i.text)[0]!.headers.connection, "keep-alive");
  assert.equal(b.closed, true);
  assert.equal(answers(b.text)[0]!.headers.connection, "close");
  assert.equal((JSON.parse(answers(b.text)[0]!.body) as { body: string }).body, "2");
});

test("onClose listeners run when the client goes away", async (t) => {
  let closed = false;
  const { port, ca } = await start(t, (req, res) => {
    res.writeHead(200, { "content-type": "text/plain" });
    res.write("streaming\n");
    req.onClose(() => (closed = true));
  });
  await exchange(port, ca, ["GET /follow HTTP/1.1\r\nHost: x\r\n\r\n"], { waitMs: 200 });
  for (let i = 0; i < 50 && !closed; i++) await new Promise((r) => setTimeout(r, 10));
  assert.equal(closed, true);
});

test("request headers as node:http presents them, for the same bytes", async (t) => {
  const raw =
    "GET /h?q=1 HTTP/1.1\r\nHost: x\r\nContent-Type: a\r\nContent-Type: b\r\nAccept: a\r\nAccept: b\r\nCookie: c=1\r\nCookie: d=2\r\nAuthorization: A\r\nAuthorization: B\r\nX-Amz-Date: 20261123T000000Z\r\nX-Multi: 1\r\nx-multi: 2\r\nUser-Agent: u1\r\nUser-Agent: u2\r\n\r\n";
  let ours: [unknown, unknown] | undefined;
  const { port, ca } = await start(t, (req, res) => {
    ours = [req.headers, req.headersDistinct];
    echo(req, res);
  });
  await exchange(port, ca, [raw]);
  const m = await tls(t);
  let theirs: [unknown, unknown] | undefined;
  const node = createHttpsServer({ cert: m.cert, key: m.key }, (req, res) => {
    theirs = [{ ...req.headers }, { ...req.headersDistinct }];
    res.end("ok");
  });
  await new Promise<void>((resolve) => node.listen(0, "127.0.0.1", () => resolve()));
  t.after(() => {
    node.closeAllConnections();
    node.close();
  });
  await exchange((node.address() as AddressInfo).port, ca, [raw]);
  assert.ok(ours && theirs);
  assert.deepEqual(ours, theirs);
});
