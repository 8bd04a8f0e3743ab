/**
 * `POST /` and `GET /?Action=…`: the STS and IAM query APIs. Every answer is recorded in the
 * decision log with its reasons; with `explainDenials` on, a denial also carries them in the
 * `x-kubeiam-explain` header (the body keeps AWS's wording). `POST /sts/explain` (admin) answers
 * the AssumeRoleWithWebIdentity decision for a token and role as JSON, without issuing anything.
 */
import { requireAdmin } from "../admin-token.js";
import type { App } from "../app.js";
import { parseJsonBody, sendJson, type HttpRequest, type HttpResponse } from "../http.js";
import type { AwsService } from "../../sts/service.js";
import { KubeiamError } from "../../lib/errors.js";
import type { Reason } from "../../lib/decision.js";
import type { WebIdentityDecision } from "../../sts/assume-role-with-web-identity.js";

export const EXPLAIN_HEADER = "x-kubeiam-explain";
export const STS_EXPLAIN_PATH = "/sts/explain";
const MAX_EXPLAIN_HEADER = 4000;

/** A compact, header-safe reason trail (no secrets: reasons never hold any): the failed checks, else all. */
export function explainHeader(reasons: readonly Pick<Reason, "check" | "ok" | "message">[]): string {
  const failed = reasons.filter((r) => !r.ok);
  const text = (failed.length > 0 ? failed : reasons).map((r) => `${r.check}: ${r.message}`).join(" | ");
  return text.replace(/[^\x20-\x7e]/g, "?").slice(0, MAX_EXPLAIN_HEADER);
}

/** The JSON body of `POST /sts/explain`. */
export interface StsExplainRequest {
  roleArn: string;
  token: string;
  sessionName?: string;
  durationSeconds?: number;
}

export interface StsExplainResponse {
  allowed: boolean;
  /** The step that decided a denial. */
  stage?: string;
  /** What STS would answer on the wire for a denial. */
  error?: { code: string; status: number; message: string };
  subject?: string;
  assumedRoleArn?: string;
  reasons: Reason[];
}

/** A web-identity decision as the explain answer (server route and offline CLI alike). */
export function explanationOf(d: WebIdentityDecision): StsExplainResponse {
  if (d.ok) return { allowed: true, subject: d.subject, assumedRoleArn: d.session.arn, reasons: d.reasons };
  return {
    allowed: false,
    stage: d.stage,
    error: { code: d.error.code, status: d.error.status, message: d.error.message },
    ...(d.subject !== undefined ? { subject: d.subject } : {}),
    reasons: d.reasons,
  };
}

function explainParams(body: Record<string, unknown>): Map<string, string> {
  const str = (k: string, required: boolean): string | undefined => {
    const v = body[k];
    if (v === undefined && !required) return undefined;
    if (typeof v !== "string" || v === "")
      throw new KubeiamError("REQUEST_INVALID", `${k}: expected a non-empty string`);
    return v;
  };
  const p = new Map<string, string>([
    ["RoleArn", str("roleArn", true)!],
    ["WebIdentityToken", str("token", true)!],
    ["RoleSessionName", str("sessionName", false) ?? "kubeiam-explain"],
  ]);
  const d = body.durationSeconds;
  if (d !== undefined) {
    if (typeof d !== "number" || !Number.isInteger(d))
      throw new KubeiamError("REQUEST_INVALID", "durationSeconds: expected whole seconds");
    p.set("DurationSeconds", String(d));
  }
  return p;
}

export function registerAwsRoutes(app: App, aws: AwsService): void {
  const handler = async (req: HttpRequest, res: HttpResponse): Promise<void> => {
    const ct = req.headers["content-type"];
    const r = await aws.handle({
      method: req.method,
      path: req.path,
      rawQuery: req.rawQuery,
      headers: req.headersDistinct,
      body: req.body,
      contentType: typeof ct === "string" ? ct : undefined,
      accept: req.headers.accept,
    });
    app.decisions.record({
      kind: r.service,
      action: r.action,
      ...(r.subject !== undefined ? { subject: r.subject } : {}),
      allowed: r.allowed,
      summary: `${r.action} ${r.allowed ? "succeeded" : `failed (${r.status})`}`,
      reasons: r.reasons,
    });
    const headers: Record<string, string> = {
      "content-type": r.contentType,
      "content-length": String(Buffer.byteLength(r.body)),
      "x-amzn-requestid": r.requestId,
    };
    if (!r.allowed && app.config.explainDenials) headers[EXPLAIN_HEADER] = explainHeader(r.reasons);
    res.writeHead(r.status, headers);
    res.end(r.body);
  };
  app.router.add("POST", "/", handler, { name: "aws-query", bodyLimit: 256 * 1024 });
  app.router.add("GET", "/", handler, { name: "aws-query" });
  app.router.add(
    "POST",
    STS_EXPLAIN_PATH,
    async (req, res) => {
      requireAdmin(req.headers, app.adminToken);
      const d = await aws.explainWebIdentity(explainParams(parseJsonBody(req.body, "sts explain request")));
      sendJson(res, 200, explanationOf(d));
    },
    { name: "sts-explain", bodyLimit: 64 * 1024 },
  );
}
