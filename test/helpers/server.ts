/** Starts a kubeiam app on a free loopback port with a temporary state dir, and a fetch that trusts its CA. */
import { Agent, fetch as undiciFetch } from "undici";
import { resolveConfig } from "../../src/config/resolve.js";
import type { ConfigFile } from "../../src/config/schema.js";
import { startApp, type App } from "../../src/server/app.js";
import { systemClock, type Clock } from "../../src/lib/clock.js";
import { silentLogger, type Logger } from "../../src/lib/logger.js";
import { tempDir, writeFiles } from "./tmp.js";
import { writeFile } from "node:fs/promises";
import { stringify } from "yaml";
import { freePort } from "./free-port.js";

export interface TestServer {
  app: App;
  url: string;
  stateDir: string;
  /** kubeiam.yaml the server was started with; pass as --config to CLI calls. */
  configFile: string;
  ca: string;
  agent: Agent;
  fetch(path: string, init?: { method?: string; headers?: Record<string, string>; body?: string }): Promise<{ status: number; headers: Headers; text: string; json: () => unknown }>;
  /** A fetch implementation trusting the test CA, for real clients (openid-client, jose). */
  trustedFetch: (url: string | URL, options?: object) => Promise<Response>;
  admin: Record<string, string>;
}

export async function startTestServer(
  t: { after(fn: () => Promise<void> | void): void },
  opts: { objects?: Record<string, string>; config?: ConfigFile; clock?: Clock; logger?: Logger; stateDir?: string } = {},
): Promise<TestServer> {
  const stateDir = opts.stateDir ?? (await tempDir(t));
  if (opts.objects) await writeFiles(`${stateDir}/objects`, opts.objects);
  // port 0 → the OS picks; the issuer URL must know the port, so bind first on a fixed free port
  const port = await freePort();
  const raw: ConfigFile = { listen: `127.0.0.1:${port}`, ...opts.config };
  // The same config file lets offline CLI commands (token create, keys rotate) agree with the server.
  const configFile = `${stateDir}/kubeiam.yaml`;
  await writeFile(configFile, stringify(raw));
  const config = resolveConfig(raw, configFile, { stateDir });
  const app = await startApp(config, { clock: opts.clock ?? systemClock, logger: opts.logger ?? silentLogger });
  const ca = app.tls.ca ?? "";
  const agent = new Agent({ connect: { ca } });
  t.after(async () => {
    await app.close();
    await agent.close();
  });
  const url = app.listener!.url;
  const trustedFetch = ((input: string | URL, init?: RequestInit) => undiciFetch(input, { ...(init as object), dispatcher: agent })) as unknown as typeof fetch;
  return {
    app,
    url,
    stateDir,
    configFile,
    ca,
    agent,
    trustedFetch,
    admin: { authorization: `Bearer ${app.adminToken}` },
    fetch: async (path, init = {}) => {
      const r = await undiciFetch(url + path, { method: init.method ?? "GET", dispatcher: agent, ...(init.headers ? { headers: init.headers } : {}), ...(init.body !== undefined ? { body: init.body } : {}) });
      const text = await r.text();
      return { status: r.status, headers: r.headers as unknown as Headers, text, json: () => JSON.parse(text) as unknown };
    },
  };
}

export { freePort };
