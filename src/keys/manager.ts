/**
 * KeyManager: the signing key ring and sealing keys of one state directory (or, in cluster mode, a
 * Secret — through the KeyPersistence interface). Generates keys on first start, rotates, serves
 * the JWKS, and reloads when another process (e.g. `kubeiam keys rotate`) changes the files.
 */
import { watch as fsWatch, type FSWatcher } from "node:fs";
import { chmod, mkdir, readFile, stat } from "node:fs/promises";
import { createHash } from "node:crypto";
import { join } from "node:path";
import { KubeiamError } from "../lib/errors.js";
import type { Clock } from "../lib/clock.js";
import { atomicWrite } from "../store/directory-store.js";
import { activeKey, generateSigningKey, loadKey, parseKeyRing, prune, rotate, toJwk, type KeyRingData, type LoadedKey, type SigningAlg } from "./keyring.js";
import { generateSealingKey, parseSealingKeys, type SealingKey, type SealingKeyData } from "./sealing.js";

/** Where key material lives: files (embedded) or a Secret (cluster mode). */
export interface KeyPersistence {
  read(name: "signing" | "sealing"): Promise<string | undefined>;
  write(name: "signing" | "sealing", text: string): Promise<void>;
  /** Calls back when the stored keys may have changed. */
  watch(onChange: () => void): () => void;
  describe(name: "signing" | "sealing"): string;
}

export class FileKeyPersistence implements KeyPersistence {
  readonly dir: string;
  constructor(stateDir: string) {
    this.dir = join(stateDir, "keys");
  }
  private path(name: string): string {
    return join(this.dir, `${name}.json`);
  }
  describe(name: "signing" | "sealing"): string {
    return this.path(name);
  }
  async read(name: "signing" | "sealing"): Promise<string | undefined> {
    const p = this.path(name);
    try {
      const s = await stat(p);
      if ((s.mode & 0o077) !== 0) await chmod(p, 0o600); // secrets are 0600, always
      return await readFile(p, "utf8");
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === "ENOENT") return undefined;
      throw new KubeiamError("STATE_DIR_UNUSABLE", `cannot read ${p} (${code ?? "error"}); check the permissions of the state directory`, { file: p });
    }
  }
  async write(name: "signing" | "sealing", text: string): Promise<void> {
    try {
      await mkdir(this.dir, { recursive: true, mode: 0o700 });
      await atomicWrite(this.path(name), text, 0o600);
    } catch (e) {
      throw new KubeiamError("STATE_DIR_UNUSABLE", `cannot write ${this.path(name)} (${(e as NodeJS.ErrnoException).code ?? "error"}); check the permissions of the state directory`);
    }
  }
  watch(onChange: () => void): () => void {
    let w: FSWatcher | undefined;
    let t: NodeJS.Timeout | undefined;
    try {
      w = fsWatch(this.dir, () => {
        if (t) clearTimeout(t);
        t = setTimeout(onChange, 30);
      });
      w.on("error", () => undefined);
    } catch {
      w = undefined;
    }
    return () => {
      if (t) clearTimeout(t);
      w?.close();
    };
  }
}

export interface KeyInfo {
  kid: string;
  alg: SigningAlg;
  createdAt: string;
  retiredAt?: string;
  /** When the public key leaves the JWKS (retired keys only). */
  expiresAt?: string;
  active: boolean;
}

export interface KeyManagerOptions {
  algorithm: SigningAlg;
  retentionSeconds: number;
  clock: Clock;
}

export class KeyManager {
  private ring: KeyRingData = { version: 1, keys: [] };
  private loaded: LoadedKey[] = [];
  private sealingData: SealingKeyData = { version: 1, keys: [] };
  private jwksCache: { body: string; etag: string } | undefined;
  private unwatch: (() => void) | undefined;
  private readonly listeners = new Set<() => void>();

  private constructor(
    readonly persistence: KeyPersistence,
    private readonly opts: KeyManagerOptions,
  ) {}

  /** Loads the keys, generating a signing key and a sealing key when there are none. */
  static async open(persistence: KeyPersistence, opts: KeyManagerOptions): Promise<KeyManager> {
    const m = new KeyManager(persistence, opts);
    await m.reload(true);
    return m;
  }

  private async reload(create: boolean): Promise<void> {
    const now = this.opts.clock.now();
    const text = await this.persistence.read("signing");
    let ring = text === undefined ? { version: 1 as const, keys: [] } : parseKeyRing(text, this.persistence.describe("signing"));
    if (!activeKey(ring)) {
      if (!create) return;
      ring = rotate(ring, generateSigningKey(this.opts.algorithm, now), now, this.opts.retentionSeconds);
      await this.persistence.write("signing", JSON.stringify(ring, null, 2));
    }
    const sealText = await this.persistence.read("sealing");
    let sealing = sealText === undefined ? { version: 1 as const, keys: [] } : parseSealingKeys(sealText, this.persistence.describe("sealing"));
    if (!sealing.keys.some((k) => k.retiredAt === undefined)) {
      if (create) {
        sealing = { version: 1, keys: [generateSealingKey(now), ...sealing.keys] };
        await this.persistence.write("sealing", JSON.stringify(sealing, null, 2));
      }
    }
    this.ring = ring;
    this.loaded = prune(ring, now, this.opts.retentionSeconds).keys.map(loadKey);
    this.sealingData = sealing;
    this.jwksCache = undefined;
    for (const l of this.listeners) l();
  }

  /** Follows changes made by other processes (keys rotate from the CLI, another replica). */
  watch(): void {
    this.unwatch ??= this.persistence.watch(() => {
      this.reload(false).catch(() => undefined);
    });
  }

  onChange(l: () => void): () => void {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }

  close(): void {
    this.unwatch?.();
    this.unwatch = undefined;
  }

  /** The signing key. */
  active(): LoadedKey {
    const k = this.loaded.find((x) => x.retiredAt === undefined);
    if (!k) throw new KubeiamError("KEY_INVALID", "no active signing key; run `kubeiam keys rotate`");
    return k;
  }

  /** Keys whose public half verifies tokens now: the active key and retired keys within retention. */
  verificationKeys(): LoadedKey[] {
    const now = this.opts.clock.now();
    return this.loaded.filter((k) => k.retiredAt === undefined || Date.parse(k.retiredAt) + this.opts.retentionSeconds * 1000 > now);
  }

  /** The JWKS document as served, with its ETag. */
  jwks(): { body: string; etag: string } {
    if (!this.jwksCache) {
      const body = JSON.stringify({ keys: this.verificationKeys().map(toJwk) });
      this.jwksCache = { body, etag: `"${createHash("sha256").update(body).digest("base64url").slice(0, 16)}"` };
    }
    return this.jwksCache;
  }

  list(): KeyInfo[] {
    const activeKid = this.loaded.find((x) => x.retiredAt === undefined)?.kid;
    return this.ring.keys.map((k) => {
      const info: KeyInfo = { kid: k.kid, alg: k.alg, createdAt: k.createdAt, active: k.kid === activeKid };
      if (k.retiredAt) {
        info.retiredAt = k.retiredAt;
        info.expiresAt = new Date(Date.parse(k.retiredAt) + this.opts.retentionSeconds * 1000).toISOString();
      }
      return info;
    });
  }

  /** Generates a new signing key and makes it active; the old ones stay in the JWKS for the retention window. */
  async rotate(alg: SigningAlg = this.opts.algorithm): Promise<KeyInfo> {
    const now = this.opts.clock.now();
    const current = await this.persistence.read("signing");
    const base = current === undefined ? this.ring : parseKeyRing(current, this.persistence.describe("signing"));
    const fresh = generateSigningKey(alg, now);
    const ring = rotate(base, fresh, now, this.opts.retentionSeconds);
    await this.persistence.write("signing", JSON.stringify(ring, null, 2));
    await this.reload(false);
    return this.list().find((k) => k.kid === fresh.kid)!;
  }

  /** Active and retained sealing keys (STS session tokens). */
  sealingKeys(): { active: SealingKey; all: readonly SealingKey[] } {
    const active = this.sealingData.keys.find((k) => k.retiredAt === undefined);
    if (!active) throw new KubeiamError("KEY_INVALID", "no active sealing key");
    return { active, all: this.sealingData.keys };
  }
}
