/** `POST /` and `GET /?Action=…`: the STS and IAM query APIs. */
import type { App } from "../app.js";
import type { HttpRequest } from "../http.js";
import type { ServerResponse } from "node:http";
import type { AwsService } from "../../sts/service.js";

/** A compact, header-safe reason trail for `x-kubeiam-explain` (no secrets: reasons never hold any). */
export function explainHeader(reasons: readonly { check: string; ok: boolean; message: string }[]): string {
  const failed = reasons.filter((r) => !r.ok);
  const text = (failed.length > 0 ? failed : reasons).map((r) => `${r.check}: ${r.message}`).join(" | ");
  return text.replace(/[^\x20-\x7e]/g, "?").slice(0, 4000);
}

export function registerAwsRoutes(app: App, aws: AwsService): void {
  const handler = async (req: HttpRequest, res: ServerResponse): Promise<void> => {
    const ct = req.headers["content-type"];
    const r = await aws.handle({
      method: req.method,
      path: req.path,
      rawQuery: req.rawQuery,
      headers: req.raw.headersDistinct as Record<string, string[]>,
      body: req.body,
      contentType: typeof ct === "string" ? ct : undefined,
      accept: req.headers.accept,
    });
    const kind = r.service === "iam" ? "iam" : "sts";
    app.decisions.record({ kind, action: r.action, ...(r.subject !== undefined ? { subject: r.subject } : {}), allowed: r.allowed, summary: `${r.action} ${r.allowed ? "succeeded" : `failed (${r.status})`}`, reasons: r.reasons });
    const headers: Record<string, string> = { "content-type": r.contentType, "content-length": String(Buffer.byteLength(r.body)), "x-amzn-requestid": "kubeiam" };
    if (!r.allowed && app.config.explainDenials) headers["x-kubeiam-explain"] = explainHeader(r.reasons);
    res.writeHead(r.status, headers);
    res.end(r.body);
  };
  app.router.add("POST", "/", handler, { name: "aws-query", bodyLimit: 256 * 1024 });
  app.router.add("GET", "/", handler, { name: "aws-query" });
}
