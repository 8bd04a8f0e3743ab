/** A small HTTPS client for CLI commands that talk to a running kubeiam (CA and admin token from the state dir). */
import { request } from "node:https";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import type { Config } from "../config/resolve.js";
import { KubeiamError } from "../lib/errors.js";
import { readAdminToken } from "../server/admin-token.js";

export interface ServerTarget {
  url: string;
  ca: string | undefined;
  adminToken: string | undefined;
}

export async function serverTarget(config: Config, server: string | undefined): Promise<ServerTarget> {
  const host = config.listen.host === "0.0.0.0" ? "127.0.0.1" : config.listen.host.includes(":") ? `[${config.listen.host}]` : config.listen.host;
  const url = (server ?? `https://${host}:${config.listen.port}`).replace(/\/$/, "");
  const ca = await readFile(join(config.stateDir, "ca.crt"), "utf8").catch(() => undefined);
  return { url, ca, adminToken: await readAdminToken(config.stateDir) };
}

export interface StreamResponse {
  status: number;
  on(event: "data", cb: (chunk: Buffer) => void): void;
  on(event: "end", cb: () => void): void;
}

/** Sends a request; resolves with status and body (or streams when `onChunk` is given). */
export function call(t: ServerTarget, method: string, path: string, opts: { body?: string; admin?: boolean; onChunk?: (s: string) => void; timeoutMs?: number } = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { accept: "application/json" };
    if (opts.admin) {
      if (!t.adminToken) {
        reject(new KubeiamError("SERVER_UNREACHABLE", "no admin token in the state dir; is this the state dir of the running server? (--state-dir)"));
        return;
      }
      headers.authorization = `Bearer ${t.adminToken}`;
    }
    if (opts.body !== undefined) {
      headers["content-type"] = "application/json";
      headers["content-length"] = String(Buffer.byteLength(opts.body));
    }
    const req = request(t.url + path, { method, headers, ca: t.ca, timeout: opts.timeoutMs ?? 10_000 }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => {
        if (opts.onChunk && res.statusCode === 200) opts.onChunk(c);
        else body += c;
      });
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
      res.on("error", reject);
    });
    req.on("timeout", () => req.destroy(new Error("timed out")));
    req.on("error", (e) => reject(new KubeiamError("SERVER_UNREACHABLE", `cannot reach kubeiam at ${t.url} (${e.message}); is \`kubeiam up\` running? use --server URL for another address`)));
    if (opts.body !== undefined) req.write(opts.body);
    req.end();
  });
}
