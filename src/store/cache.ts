/**
 * The in-memory, indexed view engines read (synchronously), fed by a store's watch.
 * Engines that keep their own indexes subscribe with `onChange` and update incrementally.
 */
import type { KubeObject, LoadProblem, ObjectKey, ObjectStore, Unsubscribe, WatchEvent } from "./types.js";
import { keyOf, keyString } from "./types.js";

type Handler = (ev: WatchEvent) => void;

export class ObjectCache {
  /** kind → key → object */
  private readonly byKind = new Map<string, Map<string, KubeObject>>();
  private readonly handlers = new Map<string, Set<Handler>>();
  private readonly waiters = new Map<string, Set<(o: KubeObject) => void>>();
  private unsubscribe: Unsubscribe | undefined;
  readonly problems: LoadProblem[] = [];
  /** Increments on every change; lets callers memoise derived data. */
  version = 0;

  constructor(readonly store: ObjectStore) {}

  /** Subscribes to the store; the store replays every object before this returns. */
  start(onProblem?: (p: LoadProblem) => void): void {
    this.unsubscribe = this.store.watch(
      (ev) => this.apply(ev),
      (p) => {
        this.problems.push(p);
        if (this.problems.length > 1000) this.problems.shift();
        onProblem?.(p);
      },
    );
  }

  stop(): void {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
  }

  apply(ev: WatchEvent): void {
    const obj = ev.object;
    const k = keyString(keyOf(obj));
    let m = this.byKind.get(obj.kind);
    if (!m) this.byKind.set(obj.kind, (m = new Map<string, KubeObject>()));
    if (ev.type === "DELETED") m.delete(k);
    else m.set(k, obj);
    this.version++;
    for (const h of this.handlers.get(obj.kind) ?? []) h(ev);
    for (const h of this.handlers.get("*") ?? []) h(ev);
    if (ev.type !== "DELETED") {
      const ws = this.waiters.get(k);
      if (ws) {
        this.waiters.delete(k);
        for (const w of ws) w(obj);
      }
    }
  }

  /** The object, or undefined. Callers must not mutate what they get. */
  get(key: ObjectKey): KubeObject | undefined {
    return this.byKind.get(key.kind)?.get(keyString(key));
  }

  list(kind: string, namespace?: string): KubeObject[] {
    const m = this.byKind.get(kind);
    if (!m) return [];
    const all = [...m.values()];
    return namespace === undefined ? all : all.filter((o) => o.metadata.namespace === namespace);
  }

  count(): number {
    let n = 0;
    for (const m of this.byKind.values()) n += m.size;
    return n;
  }

  /**
   * Calls `handler` for every current object of the kinds (replay as ADDED), then for each change.
   * `kinds` "*" means all.
   */
  onChange(kinds: readonly string[] | "*", handler: Handler): Unsubscribe {
    const ks = kinds === "*" ? ["*"] : kinds;
    for (const k of ks) {
      for (const o of k === "*" ? [...this.byKind.values()].flatMap((m) => [...m.values()]) : this.list(k)) handler({ type: "ADDED", object: o });
      let s = this.handlers.get(k);
      if (!s) this.handlers.set(k, (s = new Set()));
      s.add(handler);
    }
    return () => {
      for (const k of ks) this.handlers.get(k)?.delete(handler);
    };
  }

  /** Resolves with the object once it exists, or undefined after `timeoutMs`. */
  waitFor(key: ObjectKey, timeoutMs: number): Promise<KubeObject | undefined> {
    const now = this.get(key);
    if (now) return Promise.resolve(now);
    const k = keyString(key);
    return new Promise((resolve) => {
      const done = (o: KubeObject | undefined): void => {
        clearTimeout(t);
        this.waiters.get(k)?.delete(done);
        resolve(o);
      };
      const t = setTimeout(() => done(undefined), timeoutMs);
      let s = this.waiters.get(k);
      if (!s) this.waiters.set(k, (s = new Set()));
      s.add(done);
    });
  }
}
