/**
 * A small Kubernetes API client: JSON requests and watch streams over node:https, with the
 * connection settings and credentials of a kubeconfig (or the in-cluster service account) loaded
 * by @kubernetes/client-node's KubeConfig, which also refreshes exec-plugin and OIDC tokens.
 *
 * Why not the generated API classes: kubeiam addresses every kind by its REST path
 * (resources.ts), needs resourceVersion preconditions, raw Status bodies for error mapping,
 * bounded response sizes, and watch streams with an idle timeout and a clean abort. One keep-alive
 * agent per TLS identity is reused across requests and watches.
 */
import { createHash } from "node:crypto";
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from "node:http";
import {
  Agent as HttpsAgent,
  request as httpsRequest,
  type RequestOptions as HttpsRequestOptions,
} from "node:https";
import { KubeConfig } from "@kubernetes/client-node";
import { KubeiamError } from "../../lib/errors.js";
import { kubeApiErrorFrom } from "./errors.js";

export interface KubeRequestOptions {
  query?: Record<string, string | undefined>;
  /** Sent as JSON (or as given when a string). */
  body?: unknown;
  /** Default application/json; e.g. application/apply-patch+yaml for server-side apply. */
  contentType?: string;
  timeoutMs?: number;
}

export interface RawWatchEvent {
  type: string;
  object: Record<string, unknown>;
}

export interface KubeWatchOptions {
  signal: AbortSignal;
  /** The stream is dropped (and the promise rejects) after this long without a byte. */
  idleTimeoutMs: number;
}

/** What the store, the Secret persistence and the CRD installer need from the API. */
export interface KubeApi {
  /** A JSON request; resolves with the parsed body, rejects with KubeApiError (non-2xx) or KUBE_API_UNREACHABLE. */
  request(method: string, path: string, opts?: KubeRequestOptions): Promise<unknown>;
  /**
   * A watch stream (`?watch=1` is added): calls `onEvent` per line. Resolves when the server ends
   * the stream or the signal aborts it; rejects on a non-200 answer, a broken connection or idleness.
   */
  watch(
    path: string,
    query: Record<string, string | undefined>,
    onEvent: (ev: RawWatchEvent) => void,
    opts: KubeWatchOptions,
  ): Promise<void>;
  /** The API server URL, for messages. */
  readonly server: string;
  close(): void;
}

export interface KubeClientOptions {
  /** Kubeconfig file; default: $KUBECONFIG, ~/.kube/config, then the in-cluster service account. */
  kubeconfig?: string | undefined;
  /** Context to use instead of the kubeconfig's current-context. */
  context?: string | undefined;
  /** Per request (not per watch); default 30 s. */
  requestTimeoutMs?: number;
  /** Largest response body accepted; default 64 MiB. */
  maxResponseBytes?: number;
}

const DEFAULT_TIMEOUT_MS = 30_000;
const DEFAULT_MAX_BYTES = 64 * 1024 * 1024;
/** Largest single watch event (one JSON line). */
const MAX_WATCH_LINE_BYTES = 32 * 1024 * 1024;

/** Loads a kubeconfig (or the in-cluster config); KUBE_API_UNREACHABLE when none can be used. */
export function loadKubeConfig(o: Pick<KubeClientOptions, "kubeconfig" | "context">): KubeConfig {
  const kc = new KubeConfig();
  const where =
    o.kubeconfig ?? "the default kubeconfig ($KUBECONFIG, ~/.kube/config, or the in-cluster service account)";
  try {
    if (o.kubeconfig !== undefined) kc.loadFromFile(o.kubeconfig);
    else kc.loadFromDefault();
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new KubeiamError(
      "KUBE_API_UNREACHABLE",
      `cannot load ${where}: ${code ?? (e as Error).message}; set kubernetes.kubeconfig in kubeiam.yaml or pass --kubeconfig`,
      { kubeconfig: o.kubeconfig },
    );
  }
  if (o.context !== undefined) {
    if (!kc.getContextObject(o.context)) {
      throw new KubeiamError(
        "KUBE_API_UNREACHABLE",
        `${where} has no context "${o.context}"; contexts: ${
          kc
            .getContexts()
            .map((c) => c.name)
            .join(", ") || "none"
        }`,
        { context: o.context },
      );
    }
    kc.setCurrentContext(o.context);
  }
  const cluster = kc.getCurrentCluster();
  if (!cluster?.server) {
    throw new KubeiamError(
      "KUBE_API_UNREACHABLE",
      `${where} names no cluster server; set kubernetes.kubeconfig in kubeiam.yaml or pass --kubeconfig`,
      { kubeconfig: o.kubeconfig },
    );
  }
  return kc;
}

function queryString(q: Record<string, string | undefined> | undefined): string {
  if (!q) return "";
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(q)) if (v !== undefined) p.set(k, v);
  const s = p.toString();
  return s === "" ? "" : `?${s}`;
}

type TlsMaterial = Pick<
  HttpsRequestOptions,
  "ca" | "cert" | "key" | "pfx" | "passphrase" | "rejectUnauthorized" | "servername"
>;

function fingerprint(t: TlsMaterial): string {
  const norm = (v: unknown): unknown =>
    Buffer.isBuffer(v) ? v.toString("base64") : Array.isArray(v) ? v.map(norm) : v;
  return createHash("sha256")
    .update(
      JSON.stringify(
        [t.ca, t.cert, t.key, t.pfx, t.passphrase, t.rejectUnauthorized, t.servername].map(norm),
      ),
    )
    .digest("hex");
}

function unreachable(server: string, what: string, e: unknown): KubeiamError {
  const err = e as NodeJS.ErrnoException;
  const detail = err.code
    ? `${err.code}${err.message && !err.message.includes(err.code) ? ` (${err.message})` : ""}`
    : err.message;
  return new KubeiamError(
    "KUBE_API_UNREACHABLE",
    `cannot reach the Kubernetes API at ${server} (${what}): ${detail}`,
    { server },
    { cause: e },
  );
}

export class KubeClient implements KubeApi {
  readonly server: string;
  private readonly url: URL;
  private agent: { key: string; agent: HttpsAgent | HttpAgent } | undefined;
  private closed = false;

  constructor(
    private readonly kc: KubeConfig,
    private readonly opts: KubeClientOptions = {},
  ) {
    const cluster = kc.getCurrentCluster();
    if (!cluster?.server)
      throw new KubeiamError("KUBE_API_UNREACHABLE", "the kubeconfig names no cluster server");
    this.server = cluster.server.replace(/\/+$/, "");
    this.url = new URL(this.server);
  }

  /** Loads the kubeconfig and builds a client. */
  static fromKubeconfig(o: KubeClientOptions = {}): KubeClient {
    return new KubeClient(loadKubeConfig(o), o);
  }

  /** Connection options for one request: credentials (refreshed by KubeConfig) and a shared agent. */
  private async connection(): Promise<{ headers: Record<string, string>; agent: HttpsAgent | HttpAgent }> {
    const o: HttpsRequestOptions = {};
    await this.kc.applyToHTTPSOptions(o);
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(o.headers ?? {})) {
      if (typeof v === "string") headers[k.toLowerCase()] = v;
      else if (typeof v === "number") headers[k.toLowerCase()] = String(v);
      else if (Array.isArray(v)) headers[k.toLowerCase()] = v.join(", ");
    }
    if (typeof o.auth === "string" && o.auth !== "")
      headers.authorization = `Basic ${Buffer.from(o.auth).toString("base64")}`;
    const proxied = this.kc.getCurrentCluster()?.proxyUrl;
    if (proxied && o.agent instanceof HttpAgent) return { headers, agent: o.agent };
    const cluster = this.kc.getCurrentCluster();
    const tls: TlsMaterial = {
      ca: o.ca,
      cert: o.cert,
      key: o.key,
      pfx: o.pfx,
      passphrase: o.passphrase,
      servername: o.servername ?? cluster?.tlsServerName,
    };
    if (o.rejectUnauthorized !== undefined) tls.rejectUnauthorized = o.rejectUnauthorized;
    else if (cluster?.skipTLSVerify) tls.rejectUnauthorized = false;
    const key = fingerprint(tls);
    if (this.agent?.key !== key) {
      this.agent?.agent.destroy();
      const clean = Object.fromEntries(Object.entries(tls).filter(([, v]) => v !== undefined)) as TlsMaterial;
      this.agent = {
        key,
        agent:
          this.url.protocol === "http:"
            ? new HttpAgent({ keepAlive: true })
            : new HttpsAgent({ ...clean, keepAlive: true }),
      };
    }
    return { headers, agent: this.agent.agent };
  }

  /** Sends a request; resolves with the response head. A stream's idleness is then watched by the caller. */
  private async open(
    method: string,
    path: string,
    query: Record<string, string | undefined> | undefined,
    body: Buffer | undefined,
    contentType: string | undefined,
    timeoutMs: number,
    stream?: { signal: AbortSignal },
  ): Promise<IncomingMessage> {
    if (this.closed)
      throw new KubeiamError(
        "KUBE_API_UNREACHABLE",
        `the Kubernetes API client for ${this.server} is closed`,
      );
    let conn: Awaited<ReturnType<KubeClient["connection"]>>;
    try {
      conn = await this.connection();
    } catch (e) {
      if (e instanceof KubeiamError) throw e;
      throw new KubeiamError(
        "KUBE_API_UNREACHABLE",
        `cannot get credentials for the Kubernetes API at ${this.server}: ${(e as Error).message}`,
        { server: this.server },
        { cause: e },
      );
    }
    const target = new URL(this.url.pathname.replace(/\/$/, "") + path + queryString(query), this.url);
    const headers: Record<string, string> = {
      accept: "application/json",
      "user-agent": "kubeiam",
      ...conn.headers,
    };
    if (body !== undefined) {
      headers["content-type"] = contentType ?? "application/json";
      headers["content-length"] = String(body.length);
    }
    const send = this.url.protocol === "http:" ? httpRequest : httpsRequest;
    return new Promise<IncomingMessage>((resolve, reject) => {
      const req = send(
        target,
        { method, headers, agent: conn.agent, ...(stream ? { signal: stream.signal } : {}) },
        (res) => {
          if (stream) req.setTimeout(0);
          resolve(res);
        },
      );
      req.setTimeout(timeoutMs, () =>
        req.destroy(Object.assign(new Error(`no answer within ${timeoutMs} ms`), { code: "ETIMEDOUT" })),
      );
      req.on("error", (e) => reject(unreachable(this.server, `${method} ${path}`, e)));
      req.end(body);
    });
  }

  async request(method: string, path: string, opts: KubeRequestOptions = {}): Promise<unknown> {
    const body =
      opts.body === undefined
        ? undefined
        : Buffer.from(typeof opts.body === "string" ? opts.body : JSON.stringify(opts.body));
    const timeoutMs = opts.timeoutMs ?? this.opts.requestTimeoutMs ?? DEFAULT_TIMEOUT_MS;
    const res = await this.open(method, path, opts.query, body, opts.contentType, timeoutMs);
    const text = await readBody(res, this.opts.maxResponseBytes ?? DEFAULT_MAX_BYTES).catch((e: unknown) => {
      throw unreachable(this.server, `${method} ${path}`, e);
    });
    let parsed: unknown = text;
    if (text !== "" && /json/i.test(res.headers["content-type"] ?? "")) {
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = text;
      }
    }
    const status = res.statusCode ?? 0;
    if (status < 200 || status >= 300) throw kubeApiErrorFrom(status, parsed, `${method} ${path}`);
    return parsed;
  }

  async watch(
    path: string,
    query: Record<string, string | undefined>,
    onEvent: (ev: RawWatchEvent) => void,
    opts: KubeWatchOptions,
  ): Promise<void> {
    if (opts.signal.aborted) return;
    let res: IncomingMessage;
    try {
      res = await this.open("GET", path, { ...query, watch: "1" }, undefined, undefined, opts.idleTimeoutMs, {
        signal: opts.signal,
      });
    } catch (e) {
      if (opts.signal.aborted) return;
      throw e;
    }
    const status = res.statusCode ?? 0;
    if (status !== 200) {
      const text = await readBody(res, 1024 * 1024).catch(() => "");
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = text;
      }
      throw kubeApiErrorFrom(status, parsed, `GET ${path} (watch)`);
    }
    await new Promise<void>((resolve, reject) => {
      let buf = "";
      let settled = false;
      const finish = (err?: Error): void => {
        if (settled) return;
        settled = true;
        clearTimeout(idle);
        opts.signal.removeEventListener("abort", onAbort);
        res.destroy();
        if (err && !opts.signal.aborted) reject(err);
        else resolve();
      };
      let idle = setTimeout(
        () =>
          finish(
            Object.assign(new Error(`the watch was silent for ${opts.idleTimeoutMs} ms`), {
              code: "ETIMEDOUT",
            }),
          ),
        opts.idleTimeoutMs,
      );
      const onAbort = (): void => finish();
      opts.signal.addEventListener("abort", onAbort);
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => {
        clearTimeout(idle);
        idle = setTimeout(
          () =>
            finish(
              Object.assign(new Error(`the watch was silent for ${opts.idleTimeoutMs} ms`), {
                code: "ETIMEDOUT",
              }),
            ),
          opts.idleTimeoutMs,
        );
        buf += chunk;
        let nl: number;
        while ((nl = buf.indexOf("\n")) >= 0) {
          const line = buf.slice(0, nl).trim();
          buf = buf.slice(nl + 1);
          if (line === "") continue;
          let ev: unknown;
          try {
            ev = JSON.parse(line);
          } catch {
            finish(new Error(`the watch sent a line that is not JSON: ${line.slice(0, 100)}`));
            return;
          }
          if (
            typeof ev === "object" &&
            ev !== null &&
            typeof (ev as RawWatchEvent).type === "string" &&
            typeof (ev as RawWatchEvent).object === "object" &&
            (ev as RawWatchEvent).object !== null
          ) {
            try {
              onEvent(ev as RawWatchEvent);
            } catch (e) {
              finish(e as Error);
              return;
            }
          }
        }
        if (buf.length > MAX_WATCH_LINE_BYTES)
          finish(new Error(`a watch event is larger than ${MAX_WATCH_LINE_BYTES} bytes`));
      });
      res.on("end", () => finish());
      res.on("close", () => finish());
      res.on("error", (e) => finish(unreachable(this.server, `watch ${path}`, e)));
    });
  }

  close(): void {
    this.closed = true;
    this.agent?.agent.destroy();
    this.agent = undefined;
  }
}

function readBody(res: IncomingMessage, limit: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    const fail = (e: Error): void => {
      if (failed) return;
      failed = true;
      reject(e);
    };
    res.on("data", (c: Buffer) => {
      size += c.length;
      if (size > limit) {
        fail(new Error(`the response is larger than ${limit} bytes`));
        res.destroy();
        return;
      }
      chunks.push(c);
    });
    res.on("end", () => {
      if (!failed) resolve(Buffer.concat(chunks).toString("utf8"));
    });
    res.on("error", fail);
    res.on("aborted", () => fail(new Error("the response was cut short")));
  });
}
