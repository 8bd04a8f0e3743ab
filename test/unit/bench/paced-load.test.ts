/**
 * The evenly paced load generator the fixed-rate benchmark relies on: it sends exactly rate ×
 * duration requests, reads responses split across writes, counts non-2xx answers and lost
 * connections, and its latencies include a server's delay.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { createServer, type Server } from "node:https";
import type { AddressInfo } from "node:net";
import { ensureTls } from "../../../src/keys/tls.js";
import { pacedLoad, type PacedLoadFigures, type PacedLoadOptions } from "../../../bench/lib/paced-load.js";
import { tempDir } from "../../helpers/tmp.js";

async function serve(
  t: { after(fn: () => Promise<void> | void): void },
  handler: Parameters<typeof createServer>[1],
): Promise<{
  url: string;
  ca: string;
  /** One second of POSTs of "x" at `rate` over `connections`, or with other options. */
  load: (o: Partial<PacedLoadOptions> & { rate: number; connections: number }) => Promise<PacedLoadFigures>;
}> {
  const tls = await ensureTls(await tempDir(t), { names: ["127.0.0.1"], now: Date.now() });
  const server: Server = createServer({ cert: tls.cert, key: tls.key, keepAlive: true }, handler);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  t.after(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  const url = `https://127.0.0.1:${(server.address() as AddressInfo).port}/review`;
  const ca = tls.ca ?? tls.cert;
  return {
    url,
    ca,
    load: (o) => pacedLoad({ url, ca, method: "POST", headers: {}, bodies: ["x"], durationSec: 1, ...o }),
  };
}

test("sends rate × duration requests, reads split responses, counts non-2xx answers", async (t) => {
  let seen = 0;
  const bodies: string[] = [];
  const { load } = await serve(t, (req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const n = ++seen;
      bodies.push(Buffer.concat(chunks).toString());
      const body = Buffer.from(JSON.stringify({ n, pad: "x".repeat(5000) }));
      res.writeHead(n % 10 === 0 ? 500 : 200, {
        "content-type": "application/json",
        "content-length": body.length,
      });
      // head and body in separate writes, the body in two pieces
      res.flushHeaders();
      res.write(body.subarray(0, 100));
      setImmediate(() => res.end(body.subarray(100)));
    });
  });
  const f = await load({
    headers: { "content-type": "application/json" },
    bodies: ['{"a":1}', '{"b":2}'],
    rate: 200,
    connections: 4,
  });
  assert.equal(f.sent, 200);
  assert.equal(f.answered, 200);
  assert.equal(seen, 200);
  assert.equal(f.non2xx, 20);
  assert.equal(f.errors, 0);
  assert.deepEqual([...new Set(bodies)].sort(), ['{"a":1}', '{"b":2}']);
  assert.ok(f.p50 > 0 && f.p50 <= f.p90 && f.p90 <= f.p99 && f.p99 <= f.max, JSON.stringify(f));
  assert.ok(f.rps > 150 && f.rps <= 200, `rps ${f.rps}`);
});

test("chunked answers (no Content-Length) are read to their end", async (t) => {
  const { load } = await serve(t, (req, res) => {
    req.resume();
    req.on("end", () => {
      res.writeHead(200, { "content-type": "application/json" });
      res.write('{"part":1,');
      setImmediate(() => res.end('"text":"0\\r\\n"}'));
    });
  });
  const f = await load({ rate: 100, connections: 2 });
  assert.equal(f.answered, 100);
  assert.equal(f.errors, 0);
  assert.equal(f.non2xx, 0);
});

test("a slow server's delay and queueing show in the latencies", async (t) => {
  const { load } = await serve(t, (req, res) => {
    req.resume();
    req.on("end", () => setTimeout(() => res.end("ok"), 40));
  });
  // 2 connections, 40 ms per answer: at most 50 answers a second, 100 requested
  const f = await load({ rate: 100, connections: 2 });
  assert.equal(f.answered, 100);
  assert.ok(f.p50 >= 40, `p50 ${f.p50}`);
  assert.ok(f.max >= 400, `the queue grows: max ${f.max}`);
  assert.ok(f.rps < 60, `rps ${f.rps}`);
});

test("connections the server drops count as errors, and the run still ends", async (t) => {
  let n = 0;
  const { load } = await serve(t, (req, res) => {
    req.resume();
    req.on("end", () => {
      if (++n % 5 === 0) res.socket?.destroy();
      else res.end("ok");
    });
  });
  const f = await load({ rate: 50, connections: 8 });
  assert.equal(f.sent, 50);
  assert.ok(f.errors > 0, JSON.stringify(f));
  assert.equal(f.answered + f.errors, 50);
});

test("bad options are refused before anything starts", async () => {
  const base = {
    url: "https://127.0.0.1:1/",
    ca: "",
    method: "GET",
    headers: {},
    bodies: ["x"],
    connections: 1,
  };
  for (const bad of [
    { rate: 0, durationSec: 1 },
    { rate: 10, durationSec: 31 },
    { rate: 10, durationSec: 0 },
  ]) {
    await assert.rejects(pacedLoad({ ...base, ...bad }), /rate > 0, 0 < durationSec ≤ 30/);
  }
  await assert.rejects(pacedLoad({ ...base, rate: 10, durationSec: 1, bodies: [] }), /a body are needed/);
});
