/**
 * The list+watch loop (src/store/kube/reflector.ts) against a scripted API: paged lists, watching
 * from the list's resourceVersion, bookmarks moving the resume point, an in-stream ERROR 410 leading
 * to a relist, a stream that ends being resumed (not relisted), and the backoff schedule.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import type {
  KubeApi,
  KubeRequestOptions,
  KubeWatchOptions,
  RawWatchEvent,
} from "../../../src/store/kube/client.js";
import { backoffDelay, Reflector, type RawObject } from "../../../src/store/kube/reflector.js";

type WatchScript = (onEvent: (ev: RawWatchEvent) => void, opts: KubeWatchOptions) => Promise<void>;

/** Lists come from `pages` (one per call, in order); watches run the scripts in order, then block. */
class ScriptedApi implements KubeApi {
  readonly server = "https://scripted.invalid";
  readonly calls: string[] = [];
  constructor(
    private readonly lists: { items: RawObject[]; rv: string; continue?: string }[][],
    private readonly watches: WatchScript[],
  ) {}
  private listCall = 0;
  private page = 0;
  request(method: string, path: string, opts: KubeRequestOptions = {}): Promise<unknown> {
    const q = opts.query ?? {};
    this.calls.push(`${method} ${path} limit=${q.limit ?? ""} continue=${q.continue ?? ""}`);
    const pages = this.lists[Math.min(this.listCall, this.lists.length - 1)]!;
    const p = pages[this.page]!;
    if (p.continue) this.page++;
    else {
      this.page = 0;
      this.listCall++;
    }
    return Promise.resolve({
      kind: "List",
      metadata: { resourceVersion: p.rv, ...(p.continue ? { continue: p.continue } : {}) },
      items: p.items,
    });
  }
  watch(
    path: string,
    query: Record<string, string | undefined>,
    onEvent: (ev: RawWatchEvent) => void,
    opts: KubeWatchOptions,
  ): Promise<void> {
    this.calls.push(
      `WATCH ${path} rv=${query.resourceVersion ?? ""} bookmarks=${query.allowWatchBookmarks ?? ""} fieldSelector=${query.fieldSelector ?? ""}`,
    );
    const script = this.watches.shift();
    if (script) return script(onEvent, opts);
    return aborted(opts);
  }
  close(): void {}
}

const aborted = (opts: KubeWatchOptions): Promise<void> =>
  new Promise((resolve) => {
    if (opts.signal.aborted) resolve();
    else opts.signal.addEventListener("abort", () => resolve());
  });

const obj = (name: string, rv: string): RawObject => ({ metadata: { name, resourceVersion: rv } });

async function until(pred: () => boolean, ms = 2000): Promise<void> {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) throw new Error("timed out");
    await new Promise((r) => setTimeout(r, 2));
  }
}

function recorder(): { log: string[]; sink: ConstructorParameters<typeof Reflector>[2] } {
  const log: string[] = [];
  return {
    log,
    sink: {
      replace: (items, rv) =>
        log.push(`replace rv=${rv} [${items.map((i) => (i.metadata as { name: string }).name).join(",")}]`),
      event: (type, o) => log.push(`${type} ${(o.metadata as { name: string }).name}`),
      problem: (m) => log.push(`problem ${m}`),
    },
  };
}

describe("Reflector", () => {
  test("lists every page, then watches from the list's resourceVersion with bookmarks", async () => {
    const api = new ScriptedApi(
      [
        [
          { items: [obj("a", "5"), obj("b", "6")], rv: "10", continue: "c1" },
          { items: [obj("c", "7")], rv: "10" },
        ],
      ],
      [],
    );
    const { log, sink } = recorder();
    const r = new Reflector(api, { path: "/api/v1/secrets", fieldSelector: "type=x", pageSize: 2 }, sink);
    await r.list();
    assert.deepEqual(log, ["replace rv=10 [a,b,c]"]);
    assert.equal(r.synced, true);
    r.run();
    await until(() => api.calls.some((c) => c.startsWith("WATCH")));
    await r.stop();
    assert.deepEqual(api.calls, [
      "GET /api/v1/secrets limit=2 continue=",
      "GET /api/v1/secrets limit=2 continue=c1",
      "WATCH /api/v1/secrets rv=10 bookmarks=true fieldSelector=type=x",
    ]);
  });

  test("events and bookmarks move the resume point; a stream that ends is resumed without a relist", async () => {
    const api = new ScriptedApi(
      [[{ items: [], rv: "10" }]],
      [
        (on) => {
          on({ type: "ADDED", object: obj("a", "11") });
          on({ type: "BOOKMARK", object: { metadata: { resourceVersion: "15" } } });
          on({ type: "SOMETHING-NEW", object: obj("ignored", "16") });
          return Promise.resolve();
        },
        (on) => {
          on({ type: "MODIFIED", object: obj("a", "17") });
          on({ type: "DELETED", object: obj("a", "18") });
          return Promise.resolve();
        },
      ],
    );
    const { log, sink } = recorder();
    const r = new Reflector(api, { path: "/api/v1/pods", backoff: { initialMs: 1, maxMs: 2 } }, sink);
    r.run();
    await until(() => api.calls.filter((c) => c.startsWith("WATCH")).length >= 3);
    await r.stop();
    assert.deepEqual(log, ["replace rv=10 []", "ADDED a", "MODIFIED a", "DELETED a"]);
    // Unknown event types are skipped, resourceVersion included.
    assert.deepEqual(
      api.calls.filter((c) => c.startsWith("WATCH")).map((c) => c.split(" ")[2]),
      ["rv=10", "rv=15", "rv=18"],
    );
    assert.equal(api.calls.filter((c) => c.startsWith("GET")).length, 1, "no relist");
  });

  test("an ERROR event with 410 Expired leads to a relist, then a watch from the new list", async () => {
    const api = new ScriptedApi(
      [[{ items: [obj("a", "5")], rv: "10" }], [{ items: [obj("b", "30")], rv: "40" }]],
      [
        (on, opts) => {
          on({
            type: "ERROR",
            object: {
              kind: "Status",
              status: "Failure",
              message: "too old resource version: 10 (25)",
              reason: "Expired",
              code: 410,
            },
          });
          return aborted(opts); // the reflector aborts the stream itself
        },
      ],
    );
    const { log, sink } = recorder();
    const r = new Reflector(api, { path: "/api/v1/pods", backoff: { initialMs: 1, maxMs: 2 } }, sink);
    r.run();
    await until(() => api.calls.filter((c) => c.startsWith("WATCH")).length >= 2);
    await r.stop();
    assert.deepEqual(log, ["replace rv=10 [a]", "replace rv=40 [b]"]);
    assert.deepEqual(
      api.calls.filter((c) => c.startsWith("WATCH")).map((c) => c.split(" ")[2]),
      ["rv=10", "rv=40"],
    );
  });

  test("other ERROR events are problems, retried after a backoff from the last resourceVersion", async () => {
    const api = new ScriptedApi(
      [[{ items: [], rv: "10" }]],
      [
        (on, opts) => {
          on({
            type: "ERROR",
            object: { kind: "Status", message: "internal error", reason: "InternalError", code: 500 },
          });
          return aborted(opts);
        },
      ],
    );
    const { log, sink } = recorder();
    const r = new Reflector(api, { path: "/api/v1/pods", backoff: { initialMs: 1, maxMs: 2 } }, sink);
    r.run();
    await until(() => api.calls.filter((c) => c.startsWith("WATCH")).length >= 2);
    await r.stop();
    assert.deepEqual(log, ["replace rv=10 []", "problem internal error"]);
  });

  test("stop() ends a reflector that is waiting on a watch or a backoff", async () => {
    const api = new ScriptedApi([[{ items: [], rv: "1" }]], [() => Promise.reject(new Error("down"))]);
    const { sink } = recorder();
    const r = new Reflector(
      api,
      { path: "/api/v1/pods", backoff: { initialMs: 60_000, maxMs: 60_000 } },
      sink,
    );
    r.run();
    await until(() => api.calls.some((c) => c.startsWith("WATCH")));
    const t0 = Date.now();
    await r.stop();
    assert.ok(Date.now() - t0 < 1000);
  });

  test("backoff doubles from the initial delay up to the maximum, with ±20 % jitter", () => {
    const b = { initialMs: 250, maxMs: 30_000 };
    const mid = (): number => 0.5;
    assert.deepEqual(
      [1, 2, 3, 4, 8, 20].map((n) => backoffDelay(n, b, mid)),
      [250, 500, 1000, 2000, 30_000, 30_000],
    );
    assert.equal(
      backoffDelay(1, b, () => 0),
      200,
    );
    assert.equal(
      backoffDelay(1, b, () => 1),
      300,
    );
    assert.equal(backoffDelay(0, b, mid), 250);
  });
});
