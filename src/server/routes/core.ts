/** /healthz, /readyz, /metrics and the admin decision log endpoint. */
import type { App } from "../app.js";
import { requireAdmin } from "../admin-token.js";
import { sendJson, sendText } from "../http.js";

export function registerCoreRoutes(app: App): void {
  const r = app.router;
  r.add("GET", "/healthz", (_req, res) => sendText(res, 200, "ok"));
  r.add("GET", "/livez", (_req, res) => sendText(res, 200, "ok"));
  r.add("GET", "/readyz", (_req, res) => {
    if (app.ready) sendText(res, 200, "ok");
    else sendText(res, 503, "not ready: " + (app.listener ? "shutting down" : "starting"));
  });
  r.add("GET", "/metrics", (_req, res) => {
    sendText(res, 200, app.metrics.registry.metrics(), app.metrics.registry.contentType);
  });
  r.add("GET", "/decisions", (req, res) => {
    requireAdmin(req.headers, app.adminToken);
    const limit = Math.min(Number(req.query.get("limit") ?? app.decisions.size) || app.decisions.size, app.decisions.size);
    const kind = req.query.get("kind") ?? undefined;
    const allowedQ = req.query.get("allowed");
    const allowed = allowedQ === null ? undefined : allowedQ === "true";
    if (req.query.get("follow") === "true") {
      res.writeHead(200, { "content-type": "application/x-ndjson", "cache-control": "no-store" });
      for (const d of app.decisions.recent(limit, { kind, allowed })) res.write(JSON.stringify(d) + "\n");
      const stop = app.decisions.follow((d) => {
        if ((kind === undefined || d.kind === kind) && (allowed === undefined || d.allowed === allowed)) res.write(JSON.stringify(d) + "\n");
      });
      const ping = setInterval(() => res.write("\n"), 15_000);
      req.onClose(() => {
        stop();
        clearInterval(ping);
      });
      return;
    }
    sendJson(res, 200, { decisions: app.decisions.recent(limit, { kind, allowed }), total: app.decisions.count() });
  });
}
