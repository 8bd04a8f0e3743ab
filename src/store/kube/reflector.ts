/**
 * List-then-watch of one API collection, informer style: a paged list gives the state and a
 * resourceVersion; a watch from that resourceVersion streams the changes (with bookmarks); a watch
 * that ends is resumed from the last resourceVersion seen; "410 Gone" / "Expired" leads to a new
 * list; failures back off exponentially (reported, once per distinct message, to the sink); and a
 * periodic resync relists so that nothing missed can linger.
 */
import { isGone, kubeApiErrorFrom } from "./errors.js";
import type { KubeApi, RawWatchEvent } from "./client.js";

export type RawObject = Record<string, unknown>;

export interface ReflectorSink {
  /** The complete state of the collection as of `resourceVersion` (after each list). */
  replace(items: RawObject[], resourceVersion: string): void;
  event(type: "ADDED" | "MODIFIED" | "DELETED", object: RawObject): void;
  /** A list or watch failed; the reflector retries by itself. */
  problem(message: string, error: unknown): void;
}

export interface ReflectorOptions {
  /** The collection path, e.g. /api/v1/pods or /api/v1/namespaces/kube-system/configmaps. */
  path: string;
  labelSelector?: string | undefined;
  fieldSelector?: string | undefined;
  /** Page size of lists; default 500. */
  pageSize?: number;
  /** Relist this often (ms); 0 disables; default 10 minutes. */
  resyncMs?: number;
  /** The server ends each watch after a random time in this range (seconds); default [300, 600]. */
  watchTimeoutSeconds?: readonly [number, number];
  /** Backoff after a failure: initial and maximum delay (ms); default 250 ms and 30 s. */
  backoff?: { initialMs: number; maxMs: number };
  /** Random source (tests); default Math.random. */
  random?: () => number;
}

const isRecord = (v: unknown): v is RawObject => typeof v === "object" && v !== null && !Array.isArray(v);

export function resourceVersionOf(o: RawObject): string | undefined {
  const m = o.metadata;
  return isRecord(m) && typeof m.resourceVersion === "string" ? m.resourceVersion : undefined;
}

/** The delay before retry number `failures` (1-based): initial·2^(n-1), capped, with ±20 % jitter. */
export function backoffDelay(
  failures: number,
  b: { initialMs: number; maxMs: number },
  random: () => number = Math.random,
): number {
  const base = Math.min(b.maxMs, b.initialMs * 2 ** Math.max(0, failures - 1));
  return Math.round(base * (0.8 + 0.4 * random()));
}

export class Reflector {
  private rv = "";
  private needList = true;
  private stopped = false;
  private running = false;
  private current: AbortController | undefined;
  private resyncTimer: NodeJS.Timeout | undefined;
  private wake: (() => void) | undefined;
  private lastProblem = "";
  private listedOnce = false;
  /** Resolves when the loop has ended after stop(). */
  private done: Promise<void> = Promise.resolve();

  constructor(
    private readonly api: KubeApi,
    private readonly opts: ReflectorOptions,
    private readonly sink: ReflectorSink,
  ) {}

  /** True once a list has completed. */
  get synced(): boolean {
    return this.listedOnce;
  }

  get resourceVersion(): string {
    return this.rv;
  }

  /** Lists the collection (all pages) and hands the state to the sink. Throws on failure. */
  async list(): Promise<void> {
    const items: RawObject[] = [];
    let cont: string | undefined;
    let rv = "";
    do {
      const body = await this.api.request("GET", this.opts.path, {
        query: {
          limit: String(this.opts.pageSize ?? 500),
          continue: cont,
          labelSelector: this.opts.labelSelector,
          fieldSelector: this.opts.fieldSelector,
        },
      });
      if (!isRecord(body) || !Array.isArray(body.items))
        throw new Error(`GET ${this.opts.path} did not answer a list`);
      for (const it of body.items) if (isRecord(it)) items.push(it);
      const meta = isRecord(body.metadata) ? body.metadata : {};
      rv = typeof meta.resourceVersion === "string" ? meta.resourceVersion : rv;
      cont = typeof meta.continue === "string" && meta.continue !== "" ? meta.continue : undefined;
    } while (cont !== undefined);
    if (this.stopped) return;
    this.rv = rv;
    this.needList = false;
    this.listedOnce = true;
    this.sink.replace(items, rv);
  }

  /** Starts the watch loop (listing first when no list has succeeded yet). */
  run(): void {
    if (this.running || this.stopped) return;
    this.running = true;
    const resync = this.opts.resyncMs ?? 600_000;
    if (resync > 0) {
      this.resyncTimer = setInterval(() => {
        this.needList = true;
        this.current?.abort();
      }, resync);
      this.resyncTimer.unref();
    }
    this.done = this.loop();
  }

  /** Stops the loop and aborts the open watch; resolves once the loop has ended. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.resyncTimer) clearInterval(this.resyncTimer);
    this.current?.abort();
    this.wake?.();
    await this.done;
  }

  private sleep(ms: number): Promise<void> {
    if (this.stopped) return Promise.resolve();
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.wake = undefined;
        resolve();
      }, ms);
      t.unref();
      this.wake = () => {
        clearTimeout(t);
        this.wake = undefined;
        resolve();
      };
    });
  }

  /** Records a problem already reported elsewhere (e.g. in start's result), so the loop does not repeat it. */
  noteProblem(message: string): void {
    this.lastProblem = message;
  }

  private report(message: string, e: unknown): void {
    if (message === this.lastProblem) return;
    this.lastProblem = message;
    this.sink.problem(message, e);
  }

  private async loop(): Promise<void> {
    const backoff = this.opts.backoff ?? { initialMs: 250, maxMs: 30_000 };
    const [minT, maxT] = this.opts.watchTimeoutSeconds ?? [300, 600];
    const random = this.opts.random ?? Math.random;
    let failures = 0;
    while (!this.stopped) {
      const started = Date.now();
      let events = 0;
      try {
        if (this.needList) {
          await this.list();
          this.lastProblem = "";
        }
        if (this.stopped) break;
        const ac = new AbortController();
        this.current = ac;
        const timeoutSeconds = Math.round(minT + (maxT - minT) * random());
        let watchError: Error | undefined;
        await this.api.watch(
          this.opts.path,
          {
            resourceVersion: this.rv,
            allowWatchBookmarks: "true",
            timeoutSeconds: String(timeoutSeconds),
            labelSelector: this.opts.labelSelector,
            fieldSelector: this.opts.fieldSelector,
          },
          (ev: RawWatchEvent) => {
            events++;
            if (ev.type === "ERROR") {
              const code = typeof ev.object.code === "number" ? ev.object.code : 500;
              watchError = kubeApiErrorFrom(code, ev.object, `watch ${this.opts.path}`);
              ac.abort();
              return;
            }
            const rv = resourceVersionOf(ev.object);
            if (ev.type === "BOOKMARK") {
              if (rv) this.rv = rv;
              return;
            }
            if (ev.type !== "ADDED" && ev.type !== "MODIFIED" && ev.type !== "DELETED") return;
            if (rv) this.rv = rv;
            this.sink.event(ev.type, ev.object);
          },
          { signal: ac.signal, idleTimeoutMs: (timeoutSeconds + 60) * 1000 },
        );
        this.current = undefined;
        if (this.stopped) break;
        if (watchError) throw watchError;
        if (this.lastProblem !== "" && events > 0) this.lastProblem = "";
        failures = 0;
        // A stream that ends at once with nothing in it (a proxy closing idle streams, a server
        // shutting down) must not become a busy loop.
        if (events === 0 && Date.now() - started < 1000 && !this.needList)
          await this.sleep(backoffDelay(1, backoff, random));
      } catch (e) {
        this.current = undefined;
        if (this.stopped) break;
        if (isGone(e)) {
          this.needList = true;
          // Gone right after a list means the list itself is stale; back off a little then.
          if (Date.now() - started < 1000) await this.sleep(backoffDelay(1, backoff, random));
          continue;
        }
        failures++;
        this.report(e instanceof Error ? e.message : String(e), e);
        await this.sleep(backoffDelay(failures, backoff, random));
      }
    }
  }
}
