/**
 * Thin HTTP plumbing shared by every route: the parsed request, body limits, JSON/text replies.
 */
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from "node:http";
import { KubeiamError, asKubeiamError } from "../lib/errors.js";

export interface HttpRequest {
  method: string;
  path: string;
  /** The raw query string without "?" (some protocols need it byte-exact). */
  rawQuery: string;
  /** Parsed query (built on first use). */
  readonly query: URLSearchParams;
  headers: IncomingHttpHeaders;
  body: Buffer;
  raw: IncomingMessage;
}

export type Handler = (req: HttpRequest, res: ServerResponse) => void | Promise<void>;

export const DEFAULT_BODY_LIMIT = 1 << 20;

export function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers["content-length"] ?? "0");
    if (declared > limit) {
      reject(new KubeiamError("REQUEST_TOO_LARGE", `request body of ${declared} bytes exceeds the limit of ${limit} bytes`));
      req.resume();
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (c: Buffer) => {
      size += c.length;
      if (size > limit) {
        reject(new KubeiamError("REQUEST_TOO_LARGE", `request body exceeds the limit of ${limit} bytes`));
        req.removeAllListeners("data");
        req.resume();
        return;
      }
      chunks.push(c);
    });
    req.on("end", () => resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

export function sendJson(res: ServerResponse, status: number, value: unknown, headers: Record<string, string> = {}): void {
  const body = typeof value === "string" ? value : JSON.stringify(value);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(body), ...headers });
  res.end(body);
}

export function sendText(res: ServerResponse, status: number, body: string, contentType = "text/plain; charset=utf-8", headers: Record<string, string> = {}): void {
  res.writeHead(status, { "content-type": contentType, "content-length": Buffer.byteLength(body), ...headers });
  res.end(body);
}

/** Generic error reply for kubeiam's own endpoints: {"code","message"}. */
export function sendError(res: ServerResponse, e: unknown): void {
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
