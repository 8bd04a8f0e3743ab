/**
 * The Kubernetes API client (src/store/kube/client.ts) against small loopback servers: what a
 * request sends (path, query, credentials from the kubeconfig, JSON), how answers are read (JSON,
 * Status errors, size limit, timeouts, refused connections), watch streams (lines split across
 * chunks, end, abort, idleness, a refused watch), TLS with the kubeconfig's CA, and kubeconfig
 * loading errors.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { createServer as createHttpsServer, type Server as HttpsServer } from "node:https";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { stringify } from "yaml";
import { KubeiamError } from "../../../src/lib/errors.js";
import { ensureTls } from "../../../src/keys/tls.js";
import { KubeClient, loadKubeConfig, type RawWatchEvent } from "../../../src/store/kube/client.js";
import { KubeApiError } from "../../../src/store/kube/errors.js";
import { tempDir } from "../../helpers/tmp.js";

type T = { after(fn: () => Promise<void> | void): void };

async function listen(t: T, server: Server | HttpsServer): Promise<number> {
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  t.after(
    () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  );
  const a = server.address();
  return typeof a === "object" && a ? a.port : 0;
}

async function kubeconfig(
  t: T,
  server: string,
  extra: { token?: string; caPem?: string; context?: string } = {},
): Promise<string> {
  const dir = await tempDir(t);
  const file = join(dir, "kubeconfig");
  const cluster: Record<string, unknown> = { server };
  if (extra.caPem) cluster["certificate-authority-data"] = Buffer.from(extra.caPem).toString("base64");
  // KubeConfig refuses plain http unless told TLS is not verified.
  if (server.startsWith("http:")) cluster["insecure-skip-tls-verify"] = true;
  await writeFile(
    file,
    stringify({
      apiVersion: "v1",
      kind: "Config",
      clusters: [{ name: "c", cluster }],
      users: [{ name: "u", user: extra.token ? { token: extra.token } : {} }],
      contexts: [{ name: extra.context ?? "ctx", context: { cluster: "c", user: "u" } }],
      "current-context": extra.context ?? "ctx",
    }),
  );
  return file;
}

function client(
  t: T,
  file: string,
  opts: { requestTimeoutMs?: number; maxResponseBytes?: number } = {},
): KubeClient {
  const c = KubeClient.fromKubeconfig({ kubeconfig: file, ...opts });
  t.after(() => c.close());
  return c;
}

describe("KubeClient requests", () => {
  test("sends the path, query, bearer token and JSON body; parses the JSON answer", async (t) => {
    const seen: { method?: string; url?: string; headers?: IncomingMessage["headers"]; body?: string } = {};
    const port = await listen(
      t,
      createServer((req, res) => {
        let body = "";
        req.on("data", (c: Buffer) => (body += c.toString()));
        req.on("end", () => {
          Object.assign(seen, { method: req.method, url: req.url, headers: req.headers, body });
          res
            .writeHead(201, { "content-type": "application/json" })
            .end(JSON.stringify({ kind: "ServiceAccount", metadata: { name: "a", resourceVersion: "7" } }));
        });
      }),
    );
    const c = client(t, await kubeconfig(t, `http://127.0.0.1:${port}`, { token: "s3cr3t" }));
    const out = await c.request("POST", "/api/v1/namespaces/default/serviceaccounts", {
      query: { fieldManager: "kubeiam", dryRun: undefined, labelSelector: "a=b,c=d" },
      body: { metadata: { name: "a" } },
    });
    assert.deepEqual(out, { kind: "ServiceAccount", metadata: { name: "a", resourceVersion: "7" } });
    assert.equal(seen.method, "POST");
    assert.equal(
      seen.url,
      "/api/v1/namespaces/default/serviceaccounts?fieldManager=kubeiam&labelSelector=a%3Db%2Cc%3Dd",
    );
    assert.equal(seen.headers?.authorization, "Bearer s3cr3t");
    assert.equal(seen.headers?.["content-type"], "application/json");
    assert.equal(seen.headers?.accept, "application/json");
    assert.equal(seen.headers?.["user-agent"], "kubeiam");
    assert.deepEqual(JSON.parse(seen.body ?? ""), { metadata: { name: "a" } });
    assert.equal(c.server, `http://127.0.0.1:${port}`);
  });

  test("a non-2xx answer is a KubeApiError carrying the Status and the request", async (t) => {
    const port = await listen(
      t,
      createServer((_req, res) => {
        res
          .writeHead(409, { "content-type": "application/json" })
          .end(
            JSON.stringify({
              kind: "Status",
              reason: "Conflict",
              message: "the object has been modified",
              details: { name: "a", kind: "serviceaccounts" },
              code: 409,
            }),
          );
      }),
    );
    const c = client(t, await kubeconfig(t, `http://127.0.0.1:${port}`));
    await assert.rejects(
      c.request("PUT", "/api/v1/namespaces/default/serviceaccounts/a", { body: {} }),
      (e: unknown) =>
        e instanceof KubeApiError &&
        e.status === 409 &&
        e.reason === "Conflict" &&
        e.details.name === "a" &&
        e.request === "PUT /api/v1/namespaces/default/serviceaccounts/a",
    );
  });

  test("an answer over the size limit, a server that does not answer, and a closed client are KUBE_API_UNREACHABLE", async (t) => {
    const port = await listen(
      t,
      createServer((req, res) => {
        if (req.url === "/big")
          res.writeHead(200, { "content-type": "application/json" }).end("[" + "1,".repeat(5000) + "1]");
        // /slow: never answers
      }),
    );
    const c = client(t, await kubeconfig(t, `http://127.0.0.1:${port}`), {
      requestTimeoutMs: 200,
      maxResponseBytes: 1000,
    });
    await assert.rejects(
      c.request("GET", "/big"),
      (e: unknown) =>
        e instanceof KubeiamError &&
        e.code === "KUBE_API_UNREACHABLE" &&
        /larger than 1000 bytes/.test(e.message),
    );
    await assert.rejects(
      c.request("GET", "/slow"),
      (e: unknown) =>
        e instanceof KubeiamError &&
        e.code === "KUBE_API_UNREACHABLE" &&
        e.message.startsWith(
          `cannot reach the Kubernetes API at http://127.0.0.1:${port} (GET /slow): ETIMEDOUT`,
        ),
    );
    c.close();
    await assert.rejects(
      c.request("GET", "/big"),
      (e: unknown) =>
        e instanceof KubeiamError &&
        e.code === "KUBE_API_UNREACHABLE" &&
        e.message === `the Kubernetes API client for http://127.0.0.1:${port} is closed`,
    );
  });

  test("a port nobody listens on is KUBE_API_UNREACHABLE naming ECONNREFUSED", async (t) => {
    const s = createServer();
    const port = await new Promise<number>((r) =>
      s.listen(0, "127.0.0.1", () => r((s.address() as { port: number }).port)),
    );
    await new Promise<void>((r) => s.close(() => r()));
    const c = client(t, await kubeconfig(t, `http://127.0.0.1:${port}`));
    await assert.rejects(
      c.request("GET", "/api/v1/pods"),
      (e: unknown) =>
        e instanceof KubeiamError &&
        e.code === "KUBE_API_UNREACHABLE" &&
        e.message.startsWith(
          `cannot reach the Kubernetes API at http://127.0.0.1:${port} (GET /api/v1/pods): ECONNREFUSED`,
        ),
    );
  });

  test("TLS: the kubeconfig's CA is trusted, another CA is not", async (t) => {
    const dir = await tempDir(t);
    const tls = await ensureTls(dir, { names: ["127.0.0.1"], now: Date.now() });
    const server = createHttpsServer({ cert: tls.cert, key: tls.key }, (_req, res) =>
      res.writeHead(200, { "content-type": "application/json" }).end('{"ok":true}'),
    );
    const port = await listen(t, server);
    const good = client(t, await kubeconfig(t, `https://127.0.0.1:${port}`, { caPem: tls.ca ?? "" }));
    assert.deepEqual(await good.request("GET", "/version"), { ok: true });
    const other = await ensureTls(await tempDir(t), { names: ["127.0.0.1"], now: Date.now() });
    const bad = client(t, await kubeconfig(t, `https://127.0.0.1:${port}`, { caPem: other.ca ?? "" }));
    await assert.rejects(
      bad.request("GET", "/version"),
      (e: unknown) =>
        e instanceof KubeiamError && e.code === "KUBE_API_UNREACHABLE" && /certificate/i.test(e.message),
    );
  });
});

describe("KubeClient watch streams", () => {
  function streamServer(t: T, handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<number> {
    return listen(t, createServer(handler));
  }

  test("events split across chunks arrive whole; blank lines and non-events are skipped; the end of the stream resolves", async (t) => {
    let url = "";
    const port = await streamServer(t, (req, res) => {
      url = req.url ?? "";
      res.writeHead(200, { "content-type": "application/json" });
      const text =
        JSON.stringify({ type: "ADDED", object: { metadata: { name: "a" } } }) +
        "\n\n" +
        JSON.stringify({ hello: 1 }) +
        "\n" +
        JSON.stringify({ type: "DELETED", object: { metadata: { name: "a" } } }) +
        "\n";
      const cut = 17;
      res.write(text.slice(0, cut));
      setTimeout(() => res.end(text.slice(cut)), 20);
    });
    const c = client(t, await kubeconfig(t, `http://127.0.0.1:${port}`));
    const got: RawWatchEvent[] = [];
    await c.watch("/api/v1/pods", { resourceVersion: "5", labelSelector: undefined }, (e) => got.push(e), {
      signal: new AbortController().signal,
      idleTimeoutMs: 5000,
    });
    assert.deepEqual(
      got.map((e) => e.type),
      ["ADDED", "DELETED"],
    );
    assert.equal(url, "/api/v1/pods?resourceVersion=5&watch=1");
  });

  test("abort ends the stream quietly; silence past the idle timeout is an error; a refused watch is a KubeApiError", async (t) => {
    const port = await streamServer(t, (req, res) => {
      if (req.url?.startsWith("/gone")) {
        res
          .writeHead(410, { "content-type": "application/json" })
          .end(
            JSON.stringify({
              kind: "Status",
              reason: "Expired",
              message: "too old resource version",
              code: 410,
            }),
          );
        return;
      }
      res.writeHead(200, { "content-type": "application/json" });
      res.write(JSON.stringify({ type: "BOOKMARK", object: { metadata: { resourceVersion: "9" } } }) + "\n");
    });
    const c = client(t, await kubeconfig(t, `http://127.0.0.1:${port}`));
    const ac = new AbortController();
    const got: string[] = [];
    const running = c.watch(
      "/open",
      {},
      (e) => {
        got.push(e.type);
        ac.abort();
      },
      { signal: ac.signal, idleTimeoutMs: 5000 },
    );
    await running;
    assert.deepEqual(got, ["BOOKMARK"]);
    await assert.rejects(
      c.watch("/quiet", {}, () => undefined, { signal: new AbortController().signal, idleTimeoutMs: 150 }),
      (e: unknown) => e instanceof Error && /silent for 150 ms|ETIMEDOUT/.test(e.message),
    );
    await assert.rejects(
      c.watch("/gone", {}, () => undefined, { signal: new AbortController().signal, idleTimeoutMs: 1000 }),
      (e: unknown) => e instanceof KubeApiError && e.status === 410 && e.reason === "Expired",
    );
    const pre = new AbortController();
    pre.abort();
    await c.watch("/open", {}, () => assert.fail("no events after abort"), {
      signal: pre.signal,
      idleTimeoutMs: 1000,
    });
  });
});

describe("kubeconfig loading", () => {
  test("a missing file, an unknown context and a kubeconfig without a server are explained", async (t) => {
    assert.throws(
      () => loadKubeConfig({ kubeconfig: "/nonexistent/kc" }),
      (e: unknown) =>
        e instanceof KubeiamError &&
        e.code === "KUBE_API_UNREACHABLE" &&
        e.message ===
          "cannot load /nonexistent/kc: ENOENT; set kubernetes.kubeconfig in kubeiam.yaml or pass --kubeconfig",
    );
    const file = await kubeconfig(t, "https://127.0.0.1:6443", { context: "one" });
    assert.throws(
      () => loadKubeConfig({ kubeconfig: file, context: "two" }),
      (e: unknown) =>
        e instanceof KubeiamError &&
        e.code === "KUBE_API_UNREACHABLE" &&
        e.message === `${file} has no context "two"; contexts: one`,
    );
    assert.equal(
      loadKubeConfig({ kubeconfig: file, context: "one" }).getCurrentCluster()?.server,
      "https://127.0.0.1:6443",
    );
    const dir = await tempDir(t);
    const empty = join(dir, "empty");
    await writeFile(
      empty,
      stringify({ apiVersion: "v1", kind: "Config", clusters: [], users: [], contexts: [] }),
    );
    assert.throws(
      () => loadKubeConfig({ kubeconfig: empty }),
      (e: unknown) =>
        e instanceof KubeiamError &&
        e.code === "KUBE_API_UNREACHABLE" &&
        e.message.endsWith(
          "names no cluster server; set kubernetes.kubeconfig in kubeiam.yaml or pass --kubeconfig",
        ),
    );
  });
});
