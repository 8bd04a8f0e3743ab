import { test } from "node:test";
import assert from "node:assert/strict";
import {
  decodeChunked,
  headersDistinctOf,
  headersOf,
  HttpParseError,
  parseHead,
} from "../../../src/server/http1/parse.js";

/** Parses `text` (a head without its final CRLFCRLF). */
function head(text: string): ReturnType<typeof parseHead> {
  const buf = Buffer.from(text + "\r\n\r\n", "latin1");
  return parseHead(buf, buf.length - 4);
}

function rejects(text: string, status: number, message: RegExp | string): void {
  assert.throws(
    () => head(text),
    (e: unknown) => {
      assert.ok(e instanceof HttpParseError, `expected an HttpParseError for ${JSON.stringify(text)}`);
      assert.equal(e.status, status, JSON.stringify(text));
      if (typeof message === "string") assert.equal(e.message, message);
      else assert.match(e.message, message);
      return true;
    },
  );
}

test("a request as kube-apiserver's webhook client sends it", () => {
  const h = head(
    "POST /authorize?timeout=30s HTTP/1.1\r\nHost: 127.0.0.1:8443\r\nUser-Agent: kube-apiserver-admission\r\nContent-Length: 412\r\nAccept: application/json, */*\r\nContent-Type: application/json\r\nAccept-Encoding: gzip",
  );
  assert.equal(h.method, "POST");
  assert.equal(h.target, "/authorize?timeout=30s");
  assert.equal(h.minor, 1);
  assert.equal(h.contentLength, 412);
  assert.equal(h.chunked, false);
  assert.equal(h.keepAlive, true);
  assert.equal(h.expectContinue, false);
  assert.deepEqual(h.fields[0], ["host", "127.0.0.1:8443"]);
  assert.deepEqual(h.fields[4], ["content-type", "application/json"]);
  assert.equal(h.fields.length, 6);
});

test("connection persistence: HTTP/1.1 unless close, HTTP/1.0 only with keep-alive", () => {
  assert.equal(head("GET / HTTP/1.1\r\nHost: a\r\nConnection: close").keepAlive, false);
  assert.equal(head("GET / HTTP/1.1\r\nHost: a\r\nConnection: TE, Close").keepAlive, false);
  assert.equal(head("GET / HTTP/1.1\r\nHost: a\r\nConnection: keep-alive").keepAlive, true);
  assert.equal(head("GET / HTTP/1.0").keepAlive, false, "HTTP/1.0 needs no Host and closes by default");
  assert.equal(head("GET / HTTP/1.0\r\nConnection: Keep-Alive").keepAlive, true);
  assert.equal(head("GET / HTTP/1.0").minor, 0);
});

test("body framing: Content-Length, chunked, none, and Expect: 100-continue", () => {
  assert.equal(head("GET / HTTP/1.1\r\nHost: a").contentLength, -1);
  const c = head("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: Chunked");
  assert.equal(c.chunked, true);
  assert.equal(c.contentLength, -1);
  assert.equal(head("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0").contentLength, 0);
  assert.equal(head("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nExpect: 100-Continue").expectContinue, true);
});

test("values keep inner spaces and obs-text, lose surrounding spaces and tabs only", () => {
  const h = head("GET / HTTP/1.1\r\nHost: a\r\nX-A: \t a  b \t\r\nX-B:\r\nX-C: caf\xe9");
  assert.deepEqual(h.fields.slice(1, 3), [
    ["x-a", "a  b"],
    ["x-b", ""],
  ]);
  assert.deepEqual(h.fields[3], ["x-c", "caf\xe9"]);
  rejects("GET / HTTP/1.1\r\nHost: a\r\nX-D: \x0bv", 400, 'invalid character in header field "X-D"');
});

test("malformed heads get their status and a message that says what was wrong", () => {
  const cases: [string, number, string | RegExp][] = [
    ["GET /\r\nHost: a", 400, "malformed request line (expected METHOD TARGET HTTP/1.x)"],
    ["GET  / HTTP/1.1\r\nHost: a", 400, /malformed request line/],
    ["GET / HTTP/1.1 \r\nHost: a", 400, /malformed request line/],
    ["GET /a b HTTP/1.1\r\nHost: a", 400, /malformed request line/],
    ["GET /caf\xe9 HTTP/1.1\r\nHost: a", 400, /malformed request line/],
    ["G(T / HTTP/1.1\r\nHost: a", 400, /malformed request line/],
    ["GET / HTTP/1.1\nHost: a", 400, "bare CR or LF in the request line"],
    ["GET / HTTP/2.0\r\nHost: a", 505, "HTTP/2.0 is not supported (HTTP/1.0 and HTTP/1.1 are)"],
    ["GET / HTTP/1.2\r\nHost: a", 505, "HTTP/1.2 is not supported (HTTP/1.0 and HTTP/1.1 are)"],
    ["GET / HTTP/1.1\r\nHost: a\r\n folded", 400, "obsolete line folding in a header field"],
    ["GET / HTTP/1.1\r\nHost: a\r\n\tfolded", 400, "obsolete line folding in a header field"],
    ["GET / HTTP/1.1\r\nHost: a\r\nNoColon", 400, "malformed header line 2 (expected NAME: VALUE)"],
    ["GET / HTTP/1.1\r\nHost: a\r\n: empty name", 400, "malformed header line 2 (expected NAME: VALUE)"],
    ["GET / HTTP/1.1\r\nHost : a", 400, "invalid header field name on line 1"],
    ["GET / HTTP/1.1\r\nHo\x00st: a", 400, "invalid header field name on line 1"],
    ["GET / HTTP/1.1\r\nHost: a\nX-Smuggled: 1", 400, 'invalid character in header field "Host"'],
    ["GET / HTTP/1.1\r\nHost: a\rX: 1", 400, 'invalid character in header field "Host"'],
    ["GET / HTTP/1.1\r\nHost: a\r\nX: a\x7f", 400, 'invalid character in header field "X"'],
    ["POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent-Length: 5", 400, "duplicate Content-Length"],
    ["POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5, 5", 400, "invalid Content-Length (expected decimal digits)"],
    ["POST / HTTP/1.1\r\nHost: a\r\nContent-Length: -1", 400, "invalid Content-Length (expected decimal digits)"],
    ["POST / HTTP/1.1\r\nHost: a\r\nContent-Length: +5", 400, "invalid Content-Length (expected decimal digits)"],
    ["POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0x10", 400, "invalid Content-Length (expected decimal digits)"],
    ["POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1234567890123456", 400, "invalid Content-Length (expected decimal digits)"],
    ["POST / HTTP/1.1\r\nHost: a\r\nContent-Length: ", 400, "invalid Content-Length (expected decimal digits)"],
    [
      "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nTransfer-Encoding: chunked",
      400,
      "both Transfer-Encoding and Content-Length",
    ],
    [
      "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nContent-Length: 5",
      400,
      "both Transfer-Encoding and Content-Length",
    ],
    ["POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked", 501, 'unsupported Transfer-Encoding "gzip, chunked" (only chunked is)'],
    [
      "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked",
      501,
      'unsupported Transfer-Encoding "chunked, chunked" (only chunked is)',
    ],
    ["POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: identity", 501, 'unsupported Transfer-Encoding "identity" (only chunked is)'],
    ["GET / HTTP/1.1\r\nX: 1", 400, "missing Host header"],
    ["GET / HTTP/1.1\r\nHost: a\r\nHost: b", 400, "more than one Host header"],
    ["GET / HTTP/1.1\r\nHost: a\r\nExpect: 200-ok", 417, 'unsupported Expect "200-ok" (only 100-continue is)'],
  ];
  for (const [text, status, message] of cases) rejects(text, status, message);
});

test("headersOf gives IncomingMessage#headers: first wins for single-valued fields, others joined", () => {
  const h = head(
    "GET / HTTP/1.1\r\nHost: a\r\nContent-Type: x\r\ncontent-type: y\r\nAccept: a\r\nACCEPT: b\r\nCookie: c=1\r\nCookie: d=2\r\nSet-Cookie: s=1\r\nSet-Cookie: t=2\r\nAuthorization: A1\r\nAuthorization: A2\r\nX-Amz-Date: 1",
  );
  assert.deepEqual(headersOf(h.fields), {
    host: "a",
    "content-type": "x",
    accept: "a, b",
    cookie: "c=1; d=2",
    "set-cookie": ["s=1", "t=2"],
    authorization: "A1",
    "x-amz-date": "1",
  });
  assert.deepEqual(headersDistinctOf(h.fields), {
    host: ["a"],
    "content-type": ["x", "y"],
    accept: ["a", "b"],
    cookie: ["c=1", "d=2"],
    "set-cookie": ["s=1", "t=2"],
    authorization: ["A1", "A2"],
    "x-amz-date": ["1"],
  });
});

function chunked(text: string, limit = 1 << 20, maxLine = 16 * 1024): ReturnType<typeof decodeChunked> {
  return decodeChunked(Buffer.from(text, "latin1"), 0, limit, maxLine);
}

test("chunked bodies: data joined, extensions and trailers dropped, the end reported", () => {
  const text = "5;name=val\r\nhello\r\n1\r\n \r\nA\r\n0123456789\r\n0\r\nX-Trailer: t\r\n\r\nNEXT";
  const r = chunked(text);
  assert.ok(r.done);
  assert.equal(r.body.toString(), "hello 0123456789");
  assert.equal(text.slice(r.next), "NEXT");
  const empty = chunked("0\r\n\r\n");
  assert.ok(empty.done);
  assert.equal(empty.body.length, 0);
  assert.equal(empty.next, 5);
});

test("chunked bodies split anywhere wait for more bytes and then decode the same", () => {
  const text = "3\r\nabc\r\n10\r\n0123456789abcdef\r\n0\r\nT: 1\r\n\r\n";
  for (let cut = 0; cut < text.length; cut++) {
    assert.equal(chunked(text.slice(0, cut)).done, false, `cut at ${cut}`);
  }
  const r = chunked(text);
  assert.ok(r.done);
  assert.equal(r.body.toString(), "abc0123456789abcdef");
  assert.equal(r.next, text.length);
});

test("malformed chunked bodies are rejected with their status", () => {
  const cases: [string, number, string][] = [
    ["x\r\n", 400, "invalid chunk size"],
    ["-1\r\n", 400, "invalid chunk size"],
    ["\r\n", 400, "invalid chunk size"],
    ["1234567890abcdef0\r\n", 400, "invalid chunk size"],
    ["3\r\nabcX\r\n", 400, "chunk data not followed by CRLF"],
    ["3;\x01\r\nabc\r\n", 400, "invalid character in a chunk extension"],
    ["0\r\nno colon\r\n\r\n", 400, "malformed trailer field"],
  ];
  for (const [text, status, message] of cases) {
    assert.throws(
      () => chunked(text),
      (e: unknown) => e instanceof HttpParseError && e.status === status && e.message === message,
      JSON.stringify(text),
    );
  }
  assert.throws(
    () => chunked("8\r\n12345678\r\n8\r\n", 10),
    (e: unknown) => e instanceof HttpParseError && e.status === 413 && e.message === "request body exceeds the limit of 10 bytes",
  );
  assert.throws(
    () => chunked("1".repeat(40), 1 << 20, 32),
    (e: unknown) => e instanceof HttpParseError && e.status === 431 && e.message === "chunk size line too long",
  );
  assert.throws(
    () => chunked("0\r\n" + "X: " + "y".repeat(40), 1 << 20, 32),
    (e: unknown) => e instanceof HttpParseError && e.status === 431 && e.message === "trailer section too large",
  );
});
