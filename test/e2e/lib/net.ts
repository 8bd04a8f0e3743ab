/** Loopback helpers of the e2e harness: free ports and small HTTP(S) probes with a timeout. */
import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";

export { freePort, freePorts } from "../../helpers/free-port.js";

export interface ProbeTls {
  ca: string;
  cert?: string;
  key?: string;
}

export interface ProbeResult {
  status: number;
  body: string;
}

/** GET `url` (http or https, loopback only) with a timeout; rejects on connection errors. */
export function probe(url: string, tls?: ProbeTls, timeoutMs = 5_000): Promise<ProbeResult> {
  return new Promise((resolve, reject) => {
    const target = new URL(url);
    const options = { method: "GET", timeout: timeoutMs, headers: { accept: "application/json" } };
    const onResponse = (res: import("node:http").IncomingMessage): void => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => {
        if (body.length < 64 * 1024) body += chunk;
      });
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
      res.on("error", reject);
    };
    const req =
      target.protocol === "https:"
        ? httpsRequest(target, { ...options, ca: tls?.ca, cert: tls?.cert, key: tls?.key }, onResponse)
        : httpRequest(target, options, onResponse);
    req.on("timeout", () => req.destroy(new Error(`timeout after ${timeoutMs} ms`)));
    req.on("error", reject);
    req.end();
  });
}
