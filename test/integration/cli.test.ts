/**
 * The CLI as a user runs it (a real process): bad input gives a clear message and exit 2, never a
 * stack trace; `up` starts, serves and shuts down gracefully on SIGTERM.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { createServer } from "node:net";
import { writeFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { join } from "node:path";
import { Agent, fetch } from "undici";
import { kubeiamProcess, kubeiam } from "../helpers/cli.js";
import { tempDir, writeFiles } from "../helpers/tmp.js";
import { freePort } from "../helpers/server.js";

const noStack = (s: string): void => assert.doesNotMatch(s, /\n\s+at .+:\d+:\d+/, `stack trace printed:\n${s}`);

test("bad input to commands: clear message, exit 2, no stack trace", async (t) => {
  const dir = await tempDir(t);
  await writeFiles(dir, {
    "bad.yaml": "keys:\n  algorithm: HS256\n",
    "notyaml.yaml": "a: [1\n",
    "objects/sa.yaml": "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: demo}\n",
    "afile": "x",
  });
  const cases: { args: string[]; msg: RegExp }[] = [
    { args: ["up", "--config", join(dir, "bad.yaml")], msg: /bad.yaml:2: field "keys.algorithm": expected one of "RS256", "ES256", found "HS256"/ },
    { args: ["keys", "list", "--config", join(dir, "notyaml.yaml")], msg: /notyaml.yaml:\d+:\d+: not valid YAML/ },
    { args: ["keys", "list", "--config", join(dir, "missing.yaml")], msg: /cannot read the config file \(ENOENT\)/ },
    { args: ["token", "create", "--state-dir", dir, "--service-account", "ghost"], msg: /serviceaccounts "ghost" not found in namespace "default"/ },
    { args: ["token", "create", "--state-dir", dir, "--service-account", "demo", "--duration", "5m"], msg: /may not specify a duration less than 10 minutes/ },
    { args: ["token", "create", "--state-dir", dir, "--service-account", "demo", "--duration", "soon"], msg: /--duration: expected a duration such as 1h/ },
    { args: ["token", "create", "--state-dir", dir, "--service-account", "demo", "--bound-pod", "p"], msg: /pods "p" not found/ },
    { args: ["token", "create", "--state-dir", dir], msg: /required option '--service-account <name>' not specified/ },
    { args: ["keys", "list", "--state-dir", join(dir, "afile", "state")], msg: /state directory .* cannot be created/ },
    { args: ["keys", "rotate", "--state-dir", dir, "--algorithm", "none"], msg: /--algorithm: expected RS256 or ES256, found "none"/ },
    { args: ["keys", "list", "--state-dir", dir, "-o", "yaml"], msg: /unknown output format "yaml"/ },
    { args: ["frobnicate"], msg: /unknown command 'frobnicate'/ },
    { args: ["up", "--listen", "nohost"], msg: /--listen: expected HOST:PORT/ },
  ];
  for (const c of cases) {
    const r = await kubeiamProcess(c.args, { cwd: dir });
    assert.equal(r.code, 2, `${c.args.join(" ")}\n${r.stderr}`);
    assert.match(r.stderr, c.msg, c.args.join(" "));
    noStack(r.stderr);
  }
});

test("up: port already in use is a clear error with exit 2", async (t) => {
  const dir = await tempDir(t);
  const blocker = createServer();
  await new Promise<void>((r) => blocker.listen(0, "127.0.0.1", r));
  t.after(() => new Promise<void>((r) => blocker.close(() => r())));
  const port = (blocker.address() as { port: number }).port;
  const r = await kubeiamProcess(["up", "--state-dir", join(dir, "st"), "--listen", `127.0.0.1:${port}`], { cwd: dir });
  assert.equal(r.code, 2);
  assert.match(r.stderr, new RegExp(`cannot listen on 127.0.0.1:${port}: the address is already in use`));
  noStack(r.stderr);
});

test("up prints how to use it, serves, and stops gracefully on SIGTERM", async (t) => {
  const dir = await tempDir(t);
  const port = await freePort();
  const main = fileURLToPath(new URL("../../src/cli/main.ts", import.meta.url));
  const tsx = fileURLToPath(new URL("../../node_modules/tsx/dist/esm/index.mjs", import.meta.url));
  const p = spawn(process.execPath, ["--import", tsx, main, "up", "--listen", `127.0.0.1:${port}`], { cwd: dir, stdio: ["ignore", "pipe", "pipe"] });
  t.after(() => p.kill("SIGKILL"));
  let out = "";
  p.stdout.on("data", (c: Buffer) => (out += c.toString()));
  let err = "";
  p.stderr.on("data", (c: Buffer) => (err += c.toString()));
  const start = Date.now();
  while (!out.includes("Stop with") && Date.now() - start < 20_000) await new Promise((r) => setTimeout(r, 50));
  assert.match(out, new RegExp(`kubeiam is up \\(embedded mode\\) on https://127.0.0.1:${port}`));
  assert.match(out, /CA:\s+\.kubeiam\/ca\.crt/);
  assert.match(out, new RegExp(`curl --cacert .kubeiam/ca.crt https://127.0.0.1:${port}/.well-known/openid-configuration`));
  const { readFile } = await import("node:fs/promises");
  const agent = new Agent({ connect: { ca: await readFile(join(dir, ".kubeiam", "ca.crt"), "utf8") } });
  t.after(() => agent.close());
  const r = await fetch(`https://127.0.0.1:${port}/.well-known/openid-configuration`, { dispatcher: agent });
  assert.equal(((await r.json()) as { issuer: string }).issuer, `https://127.0.0.1:${port}`);
  const code = await new Promise<number | null>((resolve) => {
    p.on("close", (c) => resolve(c));
    p.kill("SIGTERM");
  });
  assert.equal(code, 0);
  assert.match(err, /"msg":"shutting down","signal":"SIGTERM"/);
});

test("every result-printing command takes -o json", async (t) => {
  const dir = await tempDir(t);
  await writeFile(join(dir, "kubeiam.yaml"), "region: eu-west-1\n");
  for (const args of [["keys", "list"], ["config", "check"]]) {
    const r = await kubeiam([...args, "--state-dir", join(dir, "st"), "--config", join(dir, "kubeiam.yaml"), "-o", "json"]);
    assert.equal(r.code, 0, r.stderr);
    assert.doesNotThrow(() => JSON.parse(r.stdout), args.join(" "));
  }
});
