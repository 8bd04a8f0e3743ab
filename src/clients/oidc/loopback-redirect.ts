/**
 * startLoopbackRedirect: the redirect listener of the authorization-code flow for native apps
 * (RFC 8252 §7.3): HTTP on 127.0.0.1, path /callback, one answer only. It checks the state
 * (constant time) before anything else, turns an `error` parameter into a LOGIN_FAILED with the
 * provider's code and description, and gives up with LOGIN_TIMEOUT when no browser comes back.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { KubeiamError } from "../../lib/errors.js";
import { safeEqual } from "../../lib/redact.js";
import { formatWait } from "../lib/format-wait.js";

export const CALLBACK_PATH = "/callback";

export interface LoopbackOptions {
  /** The state sent in the authorization request. */
  state: string;
  timeoutMs: number;
  /** Ports tried in order (the first free one is used); 0 lets the system choose. */
  ports: readonly number[];
}

export interface LoopbackRedirect {
  redirectUri: string;
  /** Resolves with the full callback URL (code and state), or rejects; at most once. */
  result: Promise<URL>;
  close(): Promise<void>;
}

const PAGE = (title: string, text: string): string =>
  `<!doctype html><html><head><meta charset="utf-8"><title>${title}</title></head><body><h1>${title}</h1><p>${text}</p></body></html>`;

const escapeHtml = (s: string): string => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function listen(server: Server, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (e: Error): void => {
      server.off("listening", onListening);
      reject(e);
    };
    const onListening = (): void => {
      server.off("error", onError);
      const a = server.address();
      resolve(typeof a === "object" && a !== null ? a.port : port);
    };
    server.once("error", onError);
    server.once("listening", onListening);
    server.listen(port, "127.0.0.1");
  });
}

export async function startLoopbackRedirect(o: LoopbackOptions): Promise<LoopbackRedirect> {
  let settle: { resolve(u: URL): void; reject(e: KubeiamError): void } | undefined;
  const result = new Promise<URL>((resolve, reject) => {
    settle = { resolve, reject };
  });
  // a caller that closes early without awaiting must not see an unhandled rejection
  result.catch(() => undefined);
  let done = false;
  let port = 0;
  const timer = setTimeout(() => {
    if (done) return;
    done = true;
    settle?.reject(
      new KubeiamError(
        "LOGIN_TIMEOUT",
        `no browser came back to the login redirect within ${formatWait(o.timeoutMs)}; open the URL printed above, raise --timeout, or use --grant device`,
      ),
    );
  }, o.timeoutMs);
  const finish = (
    res: ServerResponse,
    status: number,
    title: string,
    text: string,
    outcome: URL | KubeiamError,
  ): void => {
    res.writeHead(status, {
      "content-type": "text/html; charset=utf-8",
      "cache-control": "no-store",
      "referrer-policy": "no-referrer",
      connection: "close",
    });
    res.end(PAGE(title, text));
    if (done) return;
    done = true;
    clearTimeout(timer);
    if (outcome instanceof URL) settle?.resolve(outcome);
    else settle?.reject(outcome);
  };
  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    const url = new URL(req.url ?? "/", `http://127.0.0.1:${port}`);
    if (req.method !== "GET" || url.pathname !== CALLBACK_PATH) {
      res.writeHead(404, { "content-type": "text/plain; charset=utf-8", connection: "close" });
      res.end("not found");
      return;
    }
    if (done) {
      res.writeHead(410, { "content-type": "text/html; charset=utf-8", connection: "close" });
      res.end(PAGE("Already done", "This login has already finished. You can close this window."));
      return;
    }
    const q = url.searchParams;
    const state = q.get("state");
    if (state === null || q.getAll("state").length !== 1 || !safeEqual(state, o.state)) {
      finish(
        res,
        400,
        "Login failed",
        "The state parameter does not match this login.",
        new KubeiamError(
          "LOGIN_FAILED",
          "the browser came back with a state that does not match this login (a stale tab or a cross-site request forgery attempt); run the command again",
        ),
      );
      return;
    }
    const error = q.get("error");
    if (error !== null) {
      const desc = q.get("error_description");
      finish(
        res,
        400,
        "Login failed",
        escapeHtml(`The identity provider answered ${error}${desc ? `: ${desc}` : ""}.`),
        new KubeiamError(
          "LOGIN_FAILED",
          `the identity provider answered ${error}${desc ? `: ${desc}` : ""}`,
          { error },
        ),
      );
      return;
    }
    if (q.get("code") === null || q.getAll("code").length !== 1) {
      finish(
        res,
        400,
        "Login failed",
        "The redirect has no authorization code.",
        new KubeiamError("LOGIN_FAILED", "the browser came back without an authorization code"),
      );
      return;
    }
    finish(
      res,
      200,
      "Logged in",
      "You are logged in. You can close this window and go back to the terminal.",
      url,
    );
  };
  const server = createServer(handler);
  server.keepAliveTimeout = 1000;
  let lastError: unknown;
  let bound = false;
  for (const p of o.ports) {
    try {
      port = await listen(server, p);
      bound = true;
      break;
    } catch (e) {
      lastError = e;
    }
  }
  if (!bound) {
    clearTimeout(timer);
    done = true;
    const code = (lastError as NodeJS.ErrnoException | undefined)?.code ?? "error";
    throw new KubeiamError(
      "LISTEN_FAILED",
      `cannot listen for the login redirect on 127.0.0.1 port ${o.ports.join(" or ")} (${code}); pass a free one with --listen-port`,
    );
  }
  const close = async (): Promise<void> => {
    clearTimeout(timer);
    if (!done) {
      done = true;
      settle?.reject(new KubeiamError("LOGIN_FAILED", "the login was cancelled"));
    }
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  return { redirectUri: `http://127.0.0.1:${port}${CALLBACK_PATH}`, result, close };
}
