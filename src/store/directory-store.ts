/**
 * The embedded store: Kubernetes-style YAML objects (multi-document files allowed) in a directory.
 *
 * - Loading: every *.yaml, *.yml, *.json below the directory (dot-files ignored). A file that is not
 *   YAML, or a document that fails its kind's check, is reported with path and position and skipped;
 *   the rest is served.
 * - Writes are atomic: temp file in the same folder, fsync, rename, fsync of the folder. An object
 *   that came from a multi-document file is written back into that file, the other documents kept.
 * - Hand edits are picked up by a recursive fs.watch. If a file becomes malformed, the objects last
 *   loaded from it are kept (nothing already stored is lost) and the problem is reported.
 */
import { createHash } from "node:crypto";
import { watch as fsWatch, type FSWatcher } from "node:fs";
import { mkdir, open, readdir, readFile, rename, stat, unlink } from "node:fs/promises";
import { basename, dirname, join, relative } from "node:path";
import { Document, LineCounter, parseAllDocuments } from "yaml";
import { KubeiamError } from "../lib/errors.js";
import type { Clock } from "../lib/clock.js";
import { systemClock } from "../lib/clock.js";
import { checkObject } from "./kinds.js";
import { fastLoadAll } from "./fast-yaml.js";
import { clone, matchesList, newUid, stableUid } from "./object-meta.js";
import type { KubeObject, ListOptions, LoadProblem, ObjectKey, ObjectStore, Unsubscribe, WatchEvent } from "./types.js";
import { keyOf, keyString } from "./types.js";

interface Entry {
  obj: KubeObject;
  file: string;
}

interface FileState {
  hash: string;
  keys: string[];
}

export interface DirectoryStoreOptions {
  clock?: Clock;
  /** Watch the folder for hand edits (default true). */
  watch?: boolean;
  debounceMs?: number;
}

const isObjectFile = (name: string): boolean => !name.startsWith(".") && /\.(ya?ml|json)$/i.test(name);

function sha(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

/** Parses one file into objects and problems. Throws nothing. */
export function parseObjectFile(text: string, source: string): { objects: KubeObject[]; problems: LoadProblem[]; fatal: boolean } {
  const fast = fastObjects(text);
  if (fast) return { objects: fast, problems: [], fatal: false };
  const lc = new LineCounter();
  const problems: LoadProblem[] = [];
  const objects: KubeObject[] = [];
  let docs: Document.Parsed[];
  try {
    const parsed = parseAllDocuments(text, { lineCounter: lc, prettyErrors: false, uniqueKeys: true });
    docs = Array.isArray(parsed) ? parsed : [];
  } catch (e) {
    return { objects, problems: [{ source, message: `not valid YAML: ${(e as Error).message}` }], fatal: true };
  }
  let fatal = false;
  docs.forEach((doc, i) => {
    if (doc.errors.length > 0) {
      const err = doc.errors[0]!;
      const pos = lc.linePos(err.pos[0]);
      problems.push({ source, line: pos.line, col: pos.col, document: i, message: `not valid YAML: ${err.message.split("\n")[0] ?? ""}` });
      fatal = true;
      return;
    }
    const value: unknown = doc.toJS({ maxAliasCount: 100 });
    if (value === null || value === undefined) return; // empty document
    const pos = lc.linePos(doc.contents?.range?.[0] ?? doc.range[0]);
    const checked = checkObject(value);
    if (!checked.ok) {
      problems.push({ source, line: pos.line, col: pos.col, document: i, message: checked.problems.join("; ") });
      return;
    }
    objects.push(checked.object);
  });
  return { objects, problems, fatal };
}

/**
 * The objects of a file through the fast parser (src/store/fast-yaml.ts), or undefined when it
 * declines or any document fails its kind's check: then `yaml` parses the file again and reports
 * every problem with its position.
 */
function fastObjects(text: string): KubeObject[] | undefined {
  const docs = fastLoadAll(text);
  if (!docs) return undefined;
  const objects: KubeObject[] = [];
  for (const d of docs) {
    const checked = checkObject(d);
    if (!checked.ok) return undefined;
    objects.push(checked.object);
  }
  return objects;
}

export class DirectoryStore implements ObjectStore {
  private readonly entries = new Map<string, Entry>();
  private readonly files = new Map<string, FileState>();
  private readonly handlers = new Set<{ ev: (e: WatchEvent) => void; problem: ((p: LoadProblem) => void) | undefined }>();
  private readonly pending = new Map<string, NodeJS.Timeout>();
  private watcher: FSWatcher | undefined;
  private rv = 0;
  private started = false;
  private readonly clock: Clock;
  /** Serialises writes so two puts to one multi-document file cannot interleave. */
  private writeChain: Promise<unknown> = Promise.resolve();

  constructor(
    readonly dir: string,
    private readonly opts: DirectoryStoreOptions = {},
  ) {
    this.clock = opts.clock ?? systemClock;
  }

  async start(): Promise<{ objects: number; problems: LoadProblem[] }> {
    if (this.started) throw new KubeiamError("INTERNAL", "DirectoryStore.start called twice");
    this.started = true;
    try {
      await mkdir(this.dir, { recursive: true });
    } catch (e) {
      throw new KubeiamError("STATE_DIR_UNUSABLE", `cannot create the object directory ${this.dir} (${(e as NodeJS.ErrnoException).code ?? "error"}); choose another with --objects or --state-dir`, { dir: this.dir });
    }
    const problems: LoadProblem[] = [];
    let files: string[];
    try {
      files = await this.walk(this.dir);
    } catch (e) {
      throw new KubeiamError("STATE_DIR_UNUSABLE", `cannot read the object directory ${this.dir} (${(e as NodeJS.ErrnoException).code ?? "error"}); check its permissions`, { dir: this.dir });
    }
    for (const f of files.sort()) {
      problems.push(...(await this.loadFile(f, false)));
    }
    if (this.opts.watch !== false) this.startWatch();
    return { objects: this.entries.size, problems };
  }

  private async walk(d: string): Promise<string[]> {
    const out: string[] = [];
    for (const ent of await readdir(d, { withFileTypes: true })) {
      if (ent.name.startsWith(".")) continue;
      const p = join(d, ent.name);
      if (ent.isDirectory()) out.push(...(await this.walk(p)));
      else if (ent.isFile() && isObjectFile(ent.name)) out.push(p);
    }
    return out;
  }

  private rel(file: string): string {
    return relative(process.cwd(), file) || file;
  }

  /** (Re)loads a file and emits the differences. Returns the problems found. */
  private async loadFile(file: string, emit: boolean): Promise<LoadProblem[]> {
    let text: string;
    try {
      text = await readFile(file, "utf8");
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "ENOENT") {
        this.replaceFileObjects(file, [], undefined, emit);
        return [];
      }
      return [{ source: this.rel(file), message: `cannot read (${(e as NodeJS.ErrnoException).code ?? "error"})` }];
    }
    const hash = sha(text);
    if (this.files.get(file)?.hash === hash) return [];
    const parsed = parseObjectFile(text, this.rel(file));
    if (parsed.fatal && this.files.has(file)) {
      // Keep what was loaded before: a half-saved edit must not delete objects.
      parsed.problems.push({ source: this.rel(file), message: "kept the objects last loaded from this file until it is fixed" });
      return parsed.problems;
    }
    const problems = [...parsed.problems];
    const accepted: KubeObject[] = [];
    for (const obj of parsed.objects) {
      const k = keyString(keyOf(obj));
      const held = this.entries.get(k);
      if (held && held.file !== file) {
        problems.push({ source: this.rel(file), message: `${obj.kind} ${obj.metadata.namespace ? obj.metadata.namespace + "/" : ""}${obj.metadata.name} is also defined in ${this.rel(held.file)}; this copy is skipped` });
        continue;
      }
      accepted.push(obj);
    }
    this.replaceFileObjects(file, accepted, hash, emit);
    return problems;
  }

  /** `objs` were just parsed from the file and belong to no one else: they are kept without a copy. */
  private replaceFileObjects(file: string, objs: KubeObject[], hash: string | undefined, emit: boolean): void {
    const before = new Set(this.files.get(file)?.keys ?? []);
    const keys: string[] = [];
    for (const obj of objs) {
      const key = keyOf(obj);
      const k = keyString(key);
      keys.push(k);
      before.delete(k);
      const prev = this.entries.get(k);
      obj.metadata.uid ??= prev?.obj.metadata.uid ?? stableUid(key);
      if (prev && sameContent(prev.obj, obj)) {
        this.entries.set(k, { obj: prev.obj, file });
        continue;
      }
      obj.metadata.resourceVersion = String(++this.rv);
      this.entries.set(k, { obj, file });
      if (emit) this.emit({ type: prev ? "MODIFIED" : "ADDED", object: obj });
    }
    for (const k of before) {
      const prev = this.entries.get(k);
      if (prev?.file !== file) continue;
      this.entries.delete(k);
      if (emit) this.emit({ type: "DELETED", object: prev.obj });
    }
    if (hash === undefined) this.files.delete(file);
    else this.files.set(file, { hash, keys });
  }

  private emit(ev: WatchEvent): void {
    for (const h of this.handlers) {
      try {
        h.ev({ type: ev.type, object: clone(ev.object) });
      } catch {
        // a subscriber's failure must not stop the others
      }
    }
  }

  private report(p: LoadProblem): void {
    for (const h of this.handlers) h.problem?.(p);
  }

  private startWatch(): void {
    try {
      this.watcher = fsWatch(this.dir, { recursive: true }, (_type, name) => {
        if (!name) return;
        const full = join(this.dir, name);
        if (!isObjectFile(basename(full))) {
          // a folder may have been removed or renamed: re-check every file we hold below it
          for (const f of this.files.keys()) if (f.startsWith(full + "/")) this.schedule(f);
          return;
        }
        this.schedule(full);
      });
      this.watcher.on("error", () => undefined);
    } catch {
      this.watcher = undefined; // watching is best effort; the API still works
    }
  }

  private schedule(file: string): void {
    const t = this.pending.get(file);
    if (t) clearTimeout(t);
    this.pending.set(
      file,
      setTimeout(() => {
        this.pending.delete(file);
        void this.writeChain.then(async () => {
          const isDir = await stat(file).then((s) => s.isDirectory(), () => false);
          if (isDir) return;
          for (const p of await this.loadFile(file, true)) this.report(p);
        });
      }, this.opts.debounceMs ?? 50),
    );
  }

  list(kind: string, opts?: ListOptions): Promise<KubeObject[]> {
    const out: KubeObject[] = [];
    for (const { obj } of this.entries.values()) if (obj.kind === kind && matchesList(obj, opts)) out.push(clone(obj));
    return Promise.resolve(out);
  }

  get(key: ObjectKey): Promise<KubeObject | undefined> {
    const e = this.entries.get(keyString(key));
    return Promise.resolve(e ? clone(e.obj) : undefined);
  }

  put(input: KubeObject): Promise<KubeObject> {
    const run = this.writeChain.then(() => this.doPut(input));
    this.writeChain = run.catch(() => undefined);
    return run;
  }

  delete(key: ObjectKey): Promise<boolean> {
    const run = this.writeChain.then(() => this.doDelete(key));
    this.writeChain = run.catch(() => undefined);
    return run;
  }

  private async doPut(input: KubeObject): Promise<KubeObject> {
    const checked = checkObject(input);
    if (!checked.ok) {
      throw new KubeiamError(checked.unknownKind ? "STORE_UNKNOWN_KIND" : "STORE_OBJECT_INVALID", `invalid ${typeof input.kind === "string" ? input.kind : "object"}: ${checked.problems.join("; ")}`, { problems: checked.problems });
    }
    const obj = checked.object;
    const key = keyOf(obj);
    const k = keyString(key);
    const prev = this.entries.get(k);
    const wantRv = obj.metadata.resourceVersion;
    if (wantRv !== undefined && wantRv !== prev?.obj.metadata.resourceVersion) {
      throw new KubeiamError("STORE_CONFLICT", `${obj.kind} ${describeKey(key)} was changed since it was read (resourceVersion ${wantRv}, now ${prev?.obj.metadata.resourceVersion ?? "deleted"}); read it again and retry`, { key: k });
    }
    const stored = clone(obj);
    stored.metadata.uid = prev?.obj.metadata.uid ?? obj.metadata.uid ?? newUid();
    stored.metadata.creationTimestamp = prev?.obj.metadata.creationTimestamp ?? obj.metadata.creationTimestamp ?? new Date(this.clock.now()).toISOString().replace(/\.\d{3}Z$/, "Z");
    delete stored.metadata.resourceVersion;
    const file = prev?.file ?? this.pathFor(key);
    await this.writeObjects(file, k, stored);
    stored.metadata.resourceVersion = String(++this.rv);
    this.entries.set(k, { obj: stored, file });
    this.emit({ type: prev ? "MODIFIED" : "ADDED", object: stored });
    return clone(stored);
  }

  private async doDelete(key: ObjectKey): Promise<boolean> {
    const k = keyString(key);
    const prev = this.entries.get(k);
    if (!prev) return false;
    await this.writeObjects(prev.file, k, undefined);
    this.entries.delete(k);
    this.emit({ type: "DELETED", object: prev.obj });
    return true;
  }

  private pathFor(key: ObjectKey): string {
    const kind = key.kind.toLowerCase();
    return key.namespace ? join(this.dir, kind, key.namespace, `${key.name}.yaml`) : join(this.dir, kind, `${key.name}.yaml`);
  }

  /** Writes `obj` as the document holding key `k` in `file` (or removes it when undefined), atomically. */
  private async writeObjects(file: string, k: string, obj: KubeObject | undefined): Promise<void> {
    let text = "";
    let existing: string | undefined;
    try {
      existing = await readFile(file, "utf8");
    } catch {
      existing = undefined;
    }
    if (existing !== undefined && existing.trim() !== "") {
      const lc = new LineCounter();
      const docs = parseAllDocuments(existing, { lineCounter: lc, prettyErrors: false });
      const list = Array.isArray(docs) ? docs : [];
      const bad = list.find((d) => d.errors.length > 0);
      if (bad) {
        const pos = lc.linePos(bad.errors[0]!.pos[0]);
        throw new KubeiamError("STORE_CONFLICT", `${this.rel(file)}:${pos.line}:${pos.col} is not valid YAML; fix it before changing the objects it holds`, { file: this.rel(file) });
      }
      const parts: string[] = [];
      let replaced = false;
      for (const d of list) {
        const v: unknown = d.toJS();
        if (v === null || v === undefined) continue;
        const c = checkObject(v);
        if (c.ok && keyString(keyOf(c.object)) === k) {
          replaced = true;
          if (obj) parts.push(new Document(obj).toString());
          continue;
        }
        parts.push(d.toString().replace(/^---\s*\n/, ""));
      }
      if (!replaced && obj) parts.push(new Document(obj).toString());
      text = parts.map((p) => (p.endsWith("\n") ? p : p + "\n")).join("---\n");
    } else if (obj) {
      text = file.endsWith(".json") ? JSON.stringify(obj, null, 2) + "\n" : new Document(obj).toString();
    }
    if (text === "") {
      await unlink(file).catch(() => undefined);
      this.files.delete(file);
      return;
    }
    await atomicWrite(file, text);
    const state = this.files.get(file);
    const keys = new Set(state?.keys ?? []);
    if (obj) keys.add(k);
    else keys.delete(k);
    this.files.set(file, { hash: sha(text), keys: [...keys] });
  }

  watch(handler: (ev: WatchEvent) => void, onProblem?: (p: LoadProblem) => void): Unsubscribe {
    const h = { ev: handler, problem: onProblem };
    for (const { obj } of this.entries.values()) handler({ type: "ADDED", object: clone(obj) });
    this.handlers.add(h);
    return () => this.handlers.delete(h);
  }

  async close(): Promise<void> {
    this.watcher?.close();
    for (const t of this.pending.values()) clearTimeout(t);
    this.pending.clear();
    this.handlers.clear();
    await this.writeChain;
  }
}

function describeKey(k: ObjectKey): string {
  return k.namespace ? `${k.namespace}/${k.name}` : k.name;
}

function sameContent(a: KubeObject, b: KubeObject): boolean {
  const strip = (o: KubeObject): unknown => ({ ...o, metadata: { ...o.metadata, resourceVersion: undefined } });
  return JSON.stringify(strip(a)) === JSON.stringify(strip(b));
}

/** Temp file + fsync + rename + fsync(dir). Mode 0600 when `secret`. */
export async function atomicWrite(file: string, text: string | Buffer, mode = 0o644): Promise<void> {
  await mkdir(dirname(file), { recursive: true });
  const tmp = join(dirname(file), `.${basename(file)}.tmp-${process.pid}-${Math.random().toString(36).slice(2)}`);
  const fh = await open(tmp, "w", mode);
  try {
    await fh.writeFile(text);
    await fh.sync();
  } finally {
    await fh.close();
  }
  try {
    await rename(tmp, file);
  } catch (e) {
    await unlink(tmp).catch(() => undefined);
    throw e;
  }
  const dh = await open(dirname(file), "r");
  try {
    await dh.sync();
  } finally {
    await dh.close();
  }
}
