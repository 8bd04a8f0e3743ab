/**
 * Runs a load generator in a child process (so it gets its own core): writes `input` as JSON to
 * its stdin and resolves with the last line of its stdout parsed as JSON. The child is killed after
 * `timeoutMs`; a child that ends without a JSON line rejects with `what` in the message.
 */
import { spawn } from "node:child_process";

export function runJsonChild(
  command: string,
  args: readonly string[],
  input: unknown,
  timeoutMs: number,
  what: string,
): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ["pipe", "pipe", "inherit"] });
    let out = "";
    const guard = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.stdout.on("data", (c: Buffer) => (out += c.toString()));
    child.on("error", (e) => {
      clearTimeout(guard);
      reject(e);
    });
    child.on("close", (code, signal) => {
      clearTimeout(guard);
      try {
        resolve(JSON.parse(out.trim().split("\n").pop() ?? "") as unknown);
      } catch {
        reject(new Error(`${what} ended (code ${code}, signal ${signal}) without a result`));
      }
    });
    child.stdin.end(JSON.stringify(input));
  });
}
