/**
 * Thin HTTP plumbing shared by every route: the parsed request, body limits, JSON/text replies.
 */
import { KubeiamError, asKubeiamError } from "../lib/errors.js";
import type { Http1Request, Http1Response } from "./http1/server.js";

/** A complete request (head and body) as a route sees it. */
export type HttpRequest = Http1Request;

export type HttpResponse = Http1Response;

export type Handler = (req: HttpRequest, res: HttpResponse) => void | Promise<void>;

export const DEFAULT_BODY_LIMIT = 1 << 20;

export function sendJson(res: HttpResponse, status: number, value: unknown, headers: Record<string, string> = {}): void {
  const body = typeof value === "string" ? value : JSON.stringify(value);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(body), ...headers });
  res.end(body);
}

export function sendText(res: HttpResponse, status: number, body: string, contentType = "text/plain; charset=utf-8", headers: Record<string, string> = {}): void {
  res.writeHead(status, { "content-type": contentType, "content-length": Buffer.byteLength(body), ...headers });
  res.end(body);
}

/** Generic error reply for kubeiam's own endpoints: {"code","message"}. */
export function sendError(res: HttpResponse, e: unknown): void {
  const err = asKubeiamError(e);
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const message = err.code === "INTERNAL" ? "internal error; see the server log" : err.message;
  sendJson(res, err.httpStatus, { code: err.code, message });
}

/** Parses a JSON body strictly (object at the top), with a clear error. */
export function parseJsonBody(body: Buffer, what: string): Record<string, unknown> {
  let v: unknown;
  try {
    v = JSON.parse(body.toString("utf8"));
  } catch {
    throw new KubeiamError("REQUEST_INVALID", `${what}: the body is not valid JSON`);
  }
  if (v === null || typeof v !== "object" || Array.isArray(v)) {
    throw new KubeiamError("REQUEST_INVALID", `${what}: the body must be a JSON object`);
  }
  return v as Record<string, unknown>;
}
