import { test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { loadConfig, parseConfigText } from "../../../src/config/load.js";
import { resolveConfig } from "../../../src/config/resolve.js";
import { KubeiamError } from "../../../src/lib/errors.js";
import { tempDir, writeFiles } from "../../helpers/tmp.js";

test("defaults: account, region, state dir, objects, listener, issuer", () => {
  const c = resolveConfig({}, undefined, {}, "/work/x");
  assert.equal(c.account, "000000000000");
  assert.equal(c.region, "us-east-1");
  assert.equal(c.stateDir, "/work/x/.kubeiam");
  assert.equal(c.objectsDir, "/work/x/.kubeiam/objects");
  assert.deepEqual(c.listen, { host: "127.0.0.1", port: 8443 });
  assert.equal(c.issuer.url, "https://127.0.0.1:8443");
  assert.deepEqual(c.issuer.audiences, ["https://127.0.0.1:8443"]);
  assert.equal(c.keys.algorithm, "RS256");
  assert.ok(c.keys.retentionSeconds > c.issuer.maxTokenExpirationSeconds);
  assert.equal(c.explainDenials, true);
});

test("flags override the file; file paths are relative to the file, flags to cwd", () => {
  const c = resolveConfig({ stateDir: "state", listen: "127.0.0.1:9000" }, "/etc/kubeiam/kubeiam.yaml", { objects: "objs", listen: "[::1]:9443" }, "/home/u");
  assert.equal(c.stateDir, "/etc/kubeiam/state");
  assert.equal(c.objectsDir, "/home/u/objs");
  assert.deepEqual(c.listen, { host: "::1", port: 9443 });
  assert.equal(c.issuer.url, "https://[::1]:9443");
});

const bad: { name: string; yaml: string; expect: RegExp; code?: string }[] = [
  { name: "not YAML", yaml: "listen: [1, 2\n", expect: /kubeiam.yaml:\d+:\d+: not valid YAML/, code: "CONFIG_UNREADABLE" },
  { name: "wrong type", yaml: "account: 123\n", expect: /kubeiam.yaml:1: field "account": expected string, found number 123/ },
  { name: "bad account", yaml: "account: '12'\n", expect: /field "account": expected a 12-digit AWS account id, found "12"/ },
  { name: "unknown field", yaml: "acount: '000000000000'\n", expect: /field "\(top level\)": unknown field "acount"/ },
  { name: "nested unknown field", yaml: "keys:\n  algo: RS256\n", expect: /kubeiam.yaml:2: field "keys": unknown field "algo"/ },
  { name: "enum", yaml: "keys:\n  algorithm: HS256\n", expect: /kubeiam.yaml:2: field "keys.algorithm": expected one of "RS256", "ES256", found "HS256"/ },
  { name: "listen", yaml: "listen: localhost\n", expect: /field "listen": expected HOST:PORT/ },
  { name: "issuer not https", yaml: "issuer:\n  url: http://x.example\n", expect: /field "issuer.url": expected an https URL/ },
  { name: "list item type", yaml: "issuer:\n  audiences: [a, 3]\n", expect: /field "issuer.audiences\[1\]": expected string, found number 3/ },
  { name: "duration too small", yaml: "issuer:\n  maxTokenExpirationSeconds: 60\n", expect: /field "issuer.maxTokenExpirationSeconds": expected at least 600, found number 60/ },
  { name: "top level list", yaml: "- a\n", expect: /expected object, found a list/ },
  { name: "duplicate key", yaml: "region: us-east-1\nregion: eu-west-1\n", expect: /not valid YAML/, code: "CONFIG_UNREADABLE" },
];

for (const c of bad) {
  test(`config error: ${c.name}`, () => {
    assert.throws(() => parseConfigText(c.yaml, "kubeiam.yaml"), (e: unknown) => {
      assert.ok(e instanceof KubeiamError);
      assert.equal(e.code, c.code ?? "CONFIG_INVALID");
      assert.equal(e.exitCode, 2);
      assert.match(e.message, c.expect);
      return true;
    });
  });
}

test("semantic checks: retention must exceed the longest token; tls needs cert and key", () => {
  assert.throws(() => resolveConfig({ keys: { retentionSeconds: 100 }, issuer: { maxTokenExpirationSeconds: 3600 } }, "k.yaml", {}), /keys.retentionSeconds": expected more than issuer.maxTokenExpirationSeconds \(3600\), found 100/);
  assert.throws(() => resolveConfig({ tls: { certFile: "c.pem" } }, "k.yaml", {}), /expected both certFile and keyFile or neither, found only certFile/);
  assert.throws(() => resolveConfig({}, undefined, { listen: "127.0.0.1:99999" }), /--listen: expected HOST:PORT/);
});

test("loadConfig reads ./kubeiam.yaml when present and reports an unreadable --config", async (t) => {
  const dir = await tempDir(t);
  await writeFiles(dir, { "kubeiam.yaml": "region: eu-west-1\nstateDir: st\n" });
  const c = loadConfig(undefined, {}, dir);
  assert.equal(c.region, "eu-west-1");
  assert.equal(c.stateDir, join(dir, "st"));
  assert.throws(() => loadConfig(join(dir, "missing.yaml")), (e: unknown) => e instanceof KubeiamError && e.code === "CONFIG_UNREADABLE" && /missing.yaml: cannot read the config file \(ENOENT\)/.test(e.message));
});
