/**
 * Lazy command groups (docs/adr/0006-lazy-cli-command-groups.md): the program built for one
 * command has exactly that group, with the same help and options as in the full program, and
 * `kubeiam up` does not load the other groups or the heavy clients.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import type { Command } from "commander";
import { buildProgram, COMMAND_GROUPS, groupsFor, runCli } from "../../../src/cli/main.js";
import type { CliIO } from "../../../src/cli/io.js";
import { tempDir } from "../../helpers/tmp.js";

const io: CliIO = { out: () => undefined, err: () => undefined };

/** The help text of a command and of every subcommand below it, by path. */
function helpTree(c: Command, path = c.name()): Map<string, string> {
  const out = new Map([[path, c.helpInformation()]]);
  for (const sub of c.commands) for (const [p, h] of helpTree(sub, `${path} ${sub.name()}`)) out.set(p, h);
  return out;
}

test("each group adds exactly the top-level commands it names, in the order of the full help", async () => {
  const full = await buildProgram(io);
  assert.deepEqual(
    full.commands.map((c) => c.name()),
    COMMAND_GROUPS.flatMap((g) => g.names),
  );
  for (const g of COMMAND_GROUPS) {
    for (const name of g.names) {
      const lazy = await buildProgram(io, [name, "--help"]);
      assert.deepEqual(
        lazy.commands.map((c) => c.name()),
        g.names,
        name,
      );
    }
  }
});

test("a command's help, options and subcommands are the same whether its group was loaded alone or with all the others", async () => {
  const full = await buildProgram(io);
  for (const g of COMMAND_GROUPS) {
    const lazy = await buildProgram(io, [g.names[0]!]);
    for (const name of g.names) {
      const a = full.commands.find((c) => c.name() === name)!;
      const b = lazy.commands.find((c) => c.name() === name)!;
      assert.deepEqual([...helpTree(b)], [...helpTree(a)], name);
    }
  }
});

test("arguments that name no group (help, --version, an unknown command) load every group", () => {
  for (const argv of [[], ["--help"], ["-V"], ["help", "up"], ["nope"], ["--state-dir", "x", "up"]]) {
    assert.equal(groupsFor(argv), COMMAND_GROUPS, JSON.stringify(argv));
  }
  assert.deepEqual(
    groupsFor(["doctor", "irsa"]).map((g) => g.names),
    [["irsa", "doctor"]],
  );
});

test("root help, and an unknown command with its suggestion, are unchanged", async () => {
  const run = async (args: string[]): Promise<{ code: number; out: string; err: string }> => {
    let out = "";
    let err = "";
    const code = await runCli(args, { out: (t) => (out += t + "\n"), err: (t) => (err += t + "\n") });
    return { code, out, err };
  };
  const help = await run(["--help"]);
  assert.equal(help.code, 0);
  assert.equal(help.out, (await buildProgram(io)).helpInformation());
  for (const g of COMMAND_GROUPS) for (const name of g.names) assert.match(help.out, new RegExp(`^  ${name}\\b`, "m"));
  const unknown = await run(["rbca"]);
  assert.equal(unknown.code, 2);
  assert.equal(unknown.err, "error: unknown command 'rbca'\n(Did you mean rbac?)\n(run with --help for usage)\n");
});

test("`kubeiam up` loads neither the other command groups nor the clients it does not use", async (t) => {
  const dir = await tempDir(t);
  const log = join(dir, "modules.txt");
  await writeFile(
    join(dir, "hooks.mjs"),
    `import { appendFileSync } from "node:fs";\nexport async function resolve(s, c, next) { const r = await next(s, c); appendFileSync(${JSON.stringify(log)}, r.url + "\\n"); return r; }\n`,
  );
  await writeFile(join(dir, "register.mjs"), `import { register } from "node:module";\nregister(${JSON.stringify(pathToFileURL(join(dir, "hooks.mjs")).href)});\n`);
  const main = pathToFileURL(fileURLToPath(new URL("../../../src/cli/main.ts", import.meta.url))).href;
  const tsx = fileURLToPath(new URL("../../../node_modules/tsx/dist/esm/index.mjs", import.meta.url));
  // build the program for `up --help` and load what its action imports, without starting a server
  const script = `const m = await import(${JSON.stringify(main)}); await m.buildProgram({ out() {}, err() {} }, ["up"]); await import(${JSON.stringify(new URL("../../../src/server/app.ts", import.meta.url).href)});`;
  const code = await new Promise<number | null>((resolve, reject) => {
    const p = spawn(process.execPath, ["--import", tsx, "--import", join(dir, "register.mjs"), "--input-type=module", "-e", script], { stdio: ["ignore", "ignore", "inherit"] });
    p.on("error", reject);
    p.on("close", resolve);
  });
  assert.equal(code, 0);
  const loaded = (await readFile(log, "utf8")).split("\n");
  const has = (part: string): boolean => loaded.some((u) => u.includes(part));
  assert.ok(has("/src/cli/up.ts") && has("/src/server/app.ts"), "the hook saw the modules `up` needs");
  for (const other of ["rbac", "policy", "login", "get-token", "tenant", "audit", "install", "sts", "irsa", "admission", "authn", "webhook"]) {
    assert.ok(!has(`/src/cli/${other}.ts`), `src/cli/${other}.ts was loaded`);
  }
  for (const dep of ["/node_modules/openid-client/", "/node_modules/@aws-sdk/", "/node_modules/@kubernetes/client-node/", "/node_modules/undici/", "/node_modules/oauth4webapi/"]) {
    assert.ok(!has(dep), `${dep} was loaded`);
  }
});
