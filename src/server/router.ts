/**
 * A small exact-path router (plus prefix routes) in front of node:https: fewer moving parts and less
 * per-request work than a framework, which the serving benchmarks measure.
 */
import type { ServerResponse } from "node:http";
import type { Handler, HttpRequest } from "./http.js";

export interface RouteOptions {
  /** Name used in metrics and logs; defaults to the path. */
  name?: string;
  /** Largest accepted body in bytes (default 1 MiB). */
  bodyLimit?: number;
}

export interface Route {
  method: string;
  path: string;
  prefix: boolean;
  handler: Handler;
  name: string;
  bodyLimit: number | undefined;
}

export class Router {
  private readonly exact = new Map<string, Route>();
  private readonly prefixes: Route[] = [];

  add(method: string, path: string, handler: Handler, opts: RouteOptions = {}): void {
    this.exact.set(`${method} ${path}`, { method, path, prefix: false, handler, name: opts.name ?? path, bodyLimit: opts.bodyLimit });
  }

  /** Matches every path starting with `prefix`. Longest prefix wins. */
  addPrefix(method: string, prefix: string, handler: Handler, opts: RouteOptions = {}): void {
    this.prefixes.push({ method, path: prefix, prefix: true, handler, name: opts.name ?? prefix + "*", bodyLimit: opts.bodyLimit });
    this.prefixes.sort((a, b) => b.path.length - a.path.length);
  }

  /** The route for a request; HEAD is served by the GET route (the server sends no body for HEAD). */
  match(method: string, path: string): Route | "method-not-allowed" | undefined {
    const r = this.exact.get(`${method} ${path}`);
    if (r) return r;
    for (const p of this.prefixes) if (p.method === method && path.startsWith(p.path)) return p;
    if (method === "HEAD") {
      const get = this.match("GET", path);
      if (typeof get === "object") return get;
    }
    for (const m of ["GET", "POST", "PUT", "DELETE", "PATCH"]) {
      if (this.exact.has(`${m} ${path}`) || this.prefixes.some((p) => p.method === m && path.startsWith(p.path))) return "method-not-allowed";
    }
    return undefined;
  }
}

export type { Handler, HttpRequest, ServerResponse };
