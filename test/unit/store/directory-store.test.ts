import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, readFile, readdir, rm, writeFile, mkdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DirectoryStore, parseObjectFile } from "../../../src/store/directory-store.js";
import { ObjectCache } from "../../../src/store/cache.js";
import type { LoadProblem, WatchEvent } from "../../../src/store/types.js";
import { storeConformance } from "./conformance.js";
import { tempDir, writeFiles } from "../../helpers/tmp.js";

storeConformance("DirectoryStore", async () => {
  const dir = await mkdtemp(join(tmpdir(), "kubeiam-ds-"));
  const store = new DirectoryStore(dir, { debounceMs: 10 });
  return { store, close: async () => { await store.close(); await rm(dir, { recursive: true, force: true }); } };
});

const until = async (pred: () => boolean, ms = 5000): Promise<void> => {
  const start = Date.now();
  while (!pred()) {
    if (Date.now() - start > ms) throw new Error("timed out");
    await new Promise((r) => setTimeout(r, 10));
  }
};

test("multi-document files load; malformed and schema-invalid documents are reported with path and position and skipped", async (t) => {
  const dir = await tempDir(t);
  await writeFiles(dir, {
    "good.yaml": "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: a, namespace: team}\n---\napiVersion: v1\nkind: ServiceAccount\nmetadata: {name: b}\n---\n# empty\n",
    "mixed.yaml": "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: c}\n---\napiVersion: v1\nkind: Gadget\nmetadata: {name: g}\n---\napiVersion: v1\nkind: ServiceAccount\nmetadata: {name: 42}\n",
    "broken.yaml": "apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: [unclosed\n",
    "sub/dir/role.yml": "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: 'system:reader'}\nrules: []\n",
    "obj.json": '{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"team"}}',
    ".hidden.yaml": "not: loaded",
    "notes.txt": "ignored",
  });
  const store = new DirectoryStore(dir, { watch: false });
  t.after(() => store.close());
  const { objects, problems } = await store.start();
  assert.equal(objects, 5);
  const byFile = (f: string): LoadProblem[] => problems.filter((p) => p.source.endsWith(f));
  assert.equal(byFile("broken.yaml").length, 1);
  assert.ok([4, 5].includes(byFile("broken.yaml")[0]?.line ?? 0), "position of the unclosed flow sequence");
  assert.match(byFile("broken.yaml")[0]?.message ?? "", /not valid YAML/);
  const mixed = byFile("mixed.yaml");
  assert.equal(mixed.length, 2);
  assert.deepEqual(mixed.map((p) => [p.document, p.line]), [[1, 5], [2, 9]]);
  assert.match(mixed[0]!.message, /unknown kind "Gadget"/);
  assert.match(mixed[1]!.message, /metadata.name/);
  assert.equal((await store.get({ kind: "ServiceAccount", namespace: "default", name: "b" }))?.metadata.namespace, "default");
  assert.ok(await store.get({ kind: "ClusterRole", name: "system:reader" }));
});

test("hand-written objects get a stable uid across restarts", async (t) => {
  const dir = await tempDir(t);
  await writeFiles(dir, { "sa.yaml": "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: demo}\n" });
  const uid = async (): Promise<string | undefined> => {
    const s = new DirectoryStore(dir, { watch: false });
    await s.start();
    const o = await s.get({ kind: "ServiceAccount", namespace: "default", name: "demo" });
    await s.close();
    return o?.metadata.uid;
  };
  const a = await uid();
  assert.match(a ?? "", /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  assert.equal(await uid(), a);
});

test("writing an object from a multi-document file keeps the other documents and their comments", async (t) => {
  const dir = await tempDir(t);
  await writeFiles(dir, { "all.yaml": "# team objects\napiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: a # first\n---\napiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: b\n" });
  const store = new DirectoryStore(dir, { watch: false });
  t.after(() => store.close());
  await store.start();
  await store.put({ apiVersion: "v1", kind: "ServiceAccount", metadata: { name: "b", labels: { changed: "yes" } } });
  const text = await readFile(join(dir, "all.yaml"), "utf8");
  assert.match(text, /# first/);
  assert.match(text, /changed: yes/);
  assert.equal((await readdir(dir)).filter((f) => f.includes(".tmp-")).length, 0, "no temp files left");
  const again = new DirectoryStore(dir, { watch: false });
  await again.start();
  assert.equal((await again.list("ServiceAccount")).length, 2);
  assert.deepEqual((await again.get({ kind: "ServiceAccount", namespace: "default", name: "b" }))?.metadata.labels, { changed: "yes" });
  await again.delete({ kind: "ServiceAccount", namespace: "default", name: "a" });
  const after = await readFile(join(dir, "all.yaml"), "utf8");
  assert.doesNotMatch(after, /name: a/);
  assert.match(after, /name: b/);
  await again.close();
});

test("new objects go to <kind>/<namespace>/<name>.yaml; deleting the last object removes the file", async (t) => {
  const dir = await tempDir(t);
  const store = new DirectoryStore(dir, { watch: false });
  t.after(() => store.close());
  await store.start();
  await store.put({ apiVersion: "v1", kind: "ServiceAccount", metadata: { name: "demo", namespace: "apps" } });
  const text = await readFile(join(dir, "serviceaccount", "apps", "demo.yaml"), "utf8");
  assert.match(text, /kind: ServiceAccount/);
  assert.doesNotMatch(text, /resourceVersion/);
  await store.delete({ kind: "ServiceAccount", namespace: "apps", name: "demo" });
  await assert.rejects(readFile(join(dir, "serviceaccount", "apps", "demo.yaml")));
});

test("hand edits are watched: added, modified, broken (objects kept), fixed, removed", async (t) => {
  const dir = await tempDir(t);
  const store = new DirectoryStore(dir, { debounceMs: 10 });
  t.after(() => store.close());
  await store.start();
  const cache = new ObjectCache(store);
  const problems: LoadProblem[] = [];
  const events: WatchEvent[] = [];
  cache.start((p) => problems.push(p));
  cache.onChange(["ServiceAccount"], (e) => events.push(e));
  const file = join(dir, "hand.yaml");
  const key = { kind: "ServiceAccount", namespace: "default", name: "h" };
  await writeFile(file, "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: h}\n");
  await until(() => cache.get(key) !== undefined);
  await writeFile(file, "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: h, labels: {v: '2'}}\n");
  await until(() => cache.get(key)?.metadata.labels?.v === "2");
  await writeFile(file, "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: h, labels: {v: '3'\n");
  await until(() => problems.some((p) => p.source.endsWith("hand.yaml")));
  assert.equal(cache.get(key)?.metadata.labels?.v, "2", "a broken edit keeps the last good object");
  await assert.rejects(store.put({ apiVersion: "v1", kind: "ServiceAccount", metadata: { name: "h" } }), /not valid YAML; fix it/);
  await writeFile(file, "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: h, labels: {v: '4'}}\n");
  await until(() => cache.get(key)?.metadata.labels?.v === "4");
  await rm(file);
  await until(() => cache.get(key) === undefined);
  assert.deepEqual([...new Set(events.map((e) => e.type))].sort(), ["ADDED", "DELETED", "MODIFIED"]);
});

test("a duplicate object in a second file is reported and skipped", async (t) => {
  const dir = await tempDir(t);
  await writeFiles(dir, { "a.yaml": "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: dup, labels: {from: a}}\n", "b.yaml": "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: dup, labels: {from: b}}\n" });
  const store = new DirectoryStore(dir, { watch: false });
  t.after(() => store.close());
  const { problems } = await store.start();
  assert.equal(problems.length, 1);
  assert.match(problems[0]!.message, /also defined in/);
  assert.equal((await store.get({ kind: "ServiceAccount", namespace: "default", name: "dup" }))?.metadata.labels?.from, "a");
});

test("parseObjectFile: bad input table", () => {
  const cases: { text: string; problem: RegExp | null; objects: number }[] = [
    { text: "", problem: null, objects: 0 },
    { text: "- just\n- a list\n", problem: /expected a Kubernetes object/, objects: 0 },
    { text: "kind: ServiceAccount\nmetadata: {name: a}\n", problem: /apiVersion: expected a string/, objects: 0 },
    { text: "apiVersion: v1\nkind: ServiceAccount\nmetadata: x\n", problem: /metadata: expected a mapping/, objects: 0 },
    { text: "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: a, labels: {x: 1}}\n", problem: /labels: expected a mapping of strings/, objects: 0 },
    { text: "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: '..'}\n", problem: /not a valid name/, objects: 0 },
    { text: "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: a, name: b}\n", problem: /not valid YAML/, objects: 0 },
    { text: "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: 3\n", problem: /spec: expected a mapping/, objects: 0 },
    { text: "a: &x [*x]\n", problem: /./, objects: 0 },
    { text: "apiVersion: v1\nkind: Namespace\nmetadata: {name: ok}\n", problem: null, objects: 1 },
  ];
  for (const c of cases) {
    const r = parseObjectFile(c.text, "f.yaml");
    assert.equal(r.objects.length, c.objects, c.text);
    if (c.problem) assert.match(r.problems.map((p) => p.message).join("\n"), c.problem, c.text);
    else assert.deepEqual(r.problems, [], c.text);
  }
});

test("cache: get, list, onChange replay and waitFor", async (t) => {
  const dir = await tempDir(t);
  await mkdir(join(dir, "x"));
  const store = new DirectoryStore(dir, { watch: false });
  t.after(() => store.close());
  await store.start();
  await store.put({ apiVersion: "v1", kind: "ServiceAccount", metadata: { name: "one", namespace: "n" } });
  const cache = new ObjectCache(store);
  cache.start();
  assert.equal(cache.list("ServiceAccount", "n").length, 1);
  const seen: string[] = [];
  cache.onChange(["ServiceAccount"], (e) => seen.push(`${e.type}:${e.object.metadata.name}`));
  assert.deepEqual(seen, ["ADDED:one"]);
  const waiting = cache.waitFor({ kind: "ServiceAccount", namespace: "n", name: "later" }, 2000);
  setTimeout(() => void store.put({ apiVersion: "v1", kind: "ServiceAccount", metadata: { name: "later", namespace: "n" } }), 20);
  assert.equal((await waiting)?.metadata.name, "later");
  assert.equal(await cache.waitFor({ kind: "ServiceAccount", namespace: "n", name: "never" }, 30), undefined);
});
