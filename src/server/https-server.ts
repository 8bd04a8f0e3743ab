/**
 * The one HTTPS listener: dispatches to the router, counts, times, and maps failures to replies.
 */
import type { Server } from "node:tls";
import type { AddressInfo } from "node:net";
import { KubeiamError } from "../lib/errors.js";
import type { Logger } from "../lib/logger.js";
import { DEFAULT_BODY_LIMIT, sendError, sendJson, type HttpRequest, type HttpResponse } from "./http.js";
import { Http1Server } from "./http1/server.js";
import type { Metrics } from "./metrics.js";
import type { Router } from "./router.js";

export interface ListeningServer {
  server: Server;
  url: string;
  port: number;
  close(): Promise<void>;
}

export interface HttpsOptions {
  host: string;
  port: number;
  cert: string;
  key: string;
  router: Router;
  logger: Logger;
  metrics: Metrics;
}

export async function listenHttps(o: HttpsOptions): Promise<ListeningServer> {
  const http = new Http1Server({
    cert: o.cert,
    key: o.key,
    keepAliveTimeoutMs: 65_000,
    requestTimeoutMs: 30_000,
    route: (method, path) => o.router.match(method, path),
    bodyLimit: (route) => (typeof route === "object" ? (route.bodyLimit ?? DEFAULT_BODY_LIMIT) : DEFAULT_BODY_LIMIT),
    handle: (req, res, route) => void dispatch(o, route, req, res),
  });
  const server = http.tls;
  await new Promise<void>((resolve, reject) => {
    const onError = (e: NodeJS.ErrnoException): void => {
      const why = e.code === "EADDRINUSE" ? "the address is already in use (is another kubeiam running? choose another with --listen)" : e.code === "EACCES" ? "permission denied (ports below 1024 need privileges; choose another with --listen)" : e.code === "EADDRNOTAVAIL" ? "the address is not on this machine" : e.message;
      reject(new KubeiamError("LISTEN_FAILED", `cannot listen on ${o.host}:${o.port}: ${why}`, { host: o.host, port: o.port }));
    };
    server.once("error", onError);
    server.listen(o.port, o.host, () => {
      server.off("error", onError);
      resolve();
    });
  });
  server.on("error", (e: Error) => o.logger.error("server error", { error: e.message }));
  server.on("tlsClientError", (e) => o.logger.debug("tls client error", { error: e.message }));
  const port = (server.address() as AddressInfo).port;
  const host = o.host.includes(":") ? `[${o.host}]` : o.host === "0.0.0.0" ? "127.0.0.1" : o.host;
  return {
    server,
    url: `https://${host}:${port}`,
    port,
    // Requests in flight get a short grace period, then connections are cut.
    close: () => http.close(5000),
  };
}

async function dispatch(o: HttpsOptions, route: ReturnType<Router["match"]>, req: HttpRequest, res: HttpResponse): Promise<void> {
  const start = process.hrtime.bigint();
  const { method, path } = req;
  let routeName = "unmatched";
  try {
    if (route === undefined) {
      sendJson(res, 404, { code: "NOT_FOUND", message: `no route for ${method} ${path}` });
      return;
    }
    if (route === "method-not-allowed") {
      sendJson(res, 405, { code: "REQUEST_INVALID", message: `method ${method} is not allowed on ${path}` });
      return;
    }
    routeName = route.name;
    await route.handler(req, res);
  } catch (e) {
    if (!(e instanceof KubeiamError) || e.code === "INTERNAL") {
      o.logger.error("request failed", { route: routeName, error: e instanceof Error ? e.message : String(e), stack: e instanceof Error ? e.stack : undefined });
    }
    sendError(res, e);
  } finally {
    o.metrics.requests.inc({ route: routeName, code: String(res.statusCode) });
    o.metrics.duration.observe({ route: routeName }, Number(process.hrtime.bigint() - start) / 1e9);
  }
}
