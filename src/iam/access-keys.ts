/**
 * Long-term access keys (AKIA…) with their secrets: kept out of the object store, in a 0600 file
 * of the state dir (a Secret in cluster mode, through AccessKeyPersistence), and reloaded when
 * another process changes it.
 */
import { watch as fsWatch, type FSWatcher } from "node:fs";
import { open, mkdir } from "node:fs/promises";
import { join } from "node:path";
import { KubeiamError } from "../lib/errors.js";
import { atomicWrite } from "../store/directory-store.js";
import { newAccessKeyId, newSecretAccessKey } from "./ids.js";

export interface StoredAccessKey {
  accessKeyId: string;
  /** Secret: never logged or echoed except to the user who creates it. */
  secretAccessKey: string;
  userName: string;
  status: "Active" | "Inactive";
  createDate: string;
}

interface FileData {
  version: 1;
  keys: StoredAccessKey[];
}

/** Where the key file lives: the state dir (embedded) or a Secret (cluster mode). */
export interface AccessKeyPersistence {
  /** The file's text, or undefined when there is none yet. */
  read(): Promise<string | undefined>;
  write(text: string): Promise<void>;
  /** Calls back when the stored keys may have changed; returns the stop function. */
  watch(onChange: () => void): () => void;
  /** Names the file or Secret in messages. */
  describe(): string;
}

/** <state-dir>/iam/access-keys.json, mode 0600. */
export class FileAccessKeyPersistence implements AccessKeyPersistence {
  readonly file: string;

  constructor(stateDir: string) {
    this.file = join(stateDir, "iam", "access-keys.json");
  }

  describe(): string {
    return this.file;
  }

  async read(): Promise<string | undefined> {
    try {
      const fh = await open(this.file, "r");
      try {
        // tighten a loosened mode, but only then: a chmod is a change that every process watching
        // the directory sees, and each of them reading the file would chmod it again
        if (((await fh.stat()).mode & 0o777) !== 0o600) await fh.chmod(0o600);
        return await fh.readFile("utf8");
      } finally {
        await fh.close();
      }
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "ENOENT") return undefined;
      throw new KubeiamError(
        "STATE_DIR_UNUSABLE",
        `cannot read ${this.file} (${(e as NodeJS.ErrnoException).code ?? "error"})`,
      );
    }
  }

  async write(text: string): Promise<void> {
    await mkdir(join(this.file, ".."), { recursive: true, mode: 0o700 });
    await atomicWrite(this.file, text, 0o600);
  }

  watch(onChange: () => void): () => void {
    let watcher: FSWatcher | undefined;
    try {
      watcher = fsWatch(join(this.file, ".."), onChange);
      watcher.on("error", () => undefined);
    } catch {
      watcher = undefined;
    }
    return () => watcher?.close();
  }
}

/**
 * Reads and writes are serialised: a reload triggered by the watcher never overwrites the keys
 * with a file read before a concurrent write finished.
 */
export class AccessKeyStore {
  private keys = new Map<string, StoredAccessKey>();
  private unwatch: (() => void) | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private readonly persistence: AccessKeyPersistence;
  /** The key file (or Secret) as named in messages. */
  readonly file: string;

  /** A state dir (the 0600 file below it) or another persistence (a Secret in cluster mode). */
  constructor(where: string | AccessKeyPersistence) {
    this.persistence = typeof where === "string" ? new FileAccessKeyPersistence(where) : where;
    this.file = this.persistence.describe();
  }

  private serial<T>(op: () => Promise<T>): Promise<T> {
    const run = this.queue.then(op, op);
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** (Re)reads the key file. */
  load(): Promise<void> {
    return this.serial(() => this.read());
  }

  private async read(): Promise<void> {
    const text = await this.persistence.read();
    if (text === undefined) {
      this.keys = new Map();
      return;
    }
    let d: FileData;
    try {
      d = JSON.parse(text) as FileData;
      if (d.version !== 1 || !Array.isArray(d.keys)) throw new Error("shape");
    } catch {
      throw new KubeiamError(
        "KEY_INVALID",
        `${this.file}: not a kubeiam access key file; restore it from a backup`,
      );
    }
    this.keys = new Map(d.keys.map((k) => [k.accessKeyId, k]));
  }

  /** Follows changes made by other processes (e.g. `kubeiam` commands on the same state dir). */
  watch(): void {
    this.unwatch ??= this.persistence.watch(() => void this.load().catch(() => undefined));
  }

  close(): void {
    this.unwatch?.();
    this.unwatch = undefined;
  }

  get(accessKeyId: string): StoredAccessKey | undefined {
    return this.keys.get(accessKeyId);
  }

  forUser(userName: string): StoredAccessKey[] {
    return [...this.keys.values()].filter((k) => k.userName === userName);
  }

  /** Creates a key for the user; undefined when the user already has `max` keys. */
  create(
    userName: string,
    now: number,
    max = Number.POSITIVE_INFINITY,
  ): Promise<StoredAccessKey | undefined> {
    return this.serial(async () => {
      await this.read();
      if (this.forUser(userName).length >= max) return undefined;
      const key: StoredAccessKey = {
        accessKeyId: newAccessKeyId("AKIA"),
        secretAccessKey: newSecretAccessKey(),
        userName,
        status: "Active",
        createDate: new Date(now).toISOString().replace(/\.\d{3}Z$/, "Z"),
      };
      this.keys.set(key.accessKeyId, key);
      await this.save();
      return key;
    });
  }

  setStatus(accessKeyId: string, status: "Active" | "Inactive"): Promise<boolean> {
    return this.serial(async () => {
      await this.read();
      const k = this.keys.get(accessKeyId);
      if (!k) return false;
      this.keys.set(accessKeyId, { ...k, status });
      await this.save();
      return true;
    });
  }

  remove(accessKeyId: string): Promise<boolean> {
    return this.serial(async () => {
      await this.read();
      const had = this.keys.delete(accessKeyId);
      if (had) await this.save();
      return had;
    });
  }

  removeUser(userName: string): Promise<void> {
    return this.serial(async () => {
      await this.read();
      for (const k of this.forUser(userName)) this.keys.delete(k.accessKeyId);
      await this.save();
    });
  }

  private async save(): Promise<void> {
    const data: FileData = { version: 1, keys: [...this.keys.values()] };
    await this.persistence.write(JSON.stringify(data, null, 2));
  }
}
