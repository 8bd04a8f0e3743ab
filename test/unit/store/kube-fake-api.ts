/**
 * An in-memory stand-in for the Kubernetes API behind the KubeApi interface: collections by path,
 * a global resourceVersion, uid/creationTimestamp on create, resourceVersion preconditions
 * (409 Conflict), AlreadyExists, NotFound Status bodies as kube-apiserver writes them, label and
 * field selectors, paged lists, and watches replayed from an event log (410 Expired once the log
 * is compacted past the asked resourceVersion). Tests can end every open watch, make requests fail,
 * and count requests.
 *
 * It is not a Kubernetes: no defaulting, no admission, no validation beyond preconditions. The real
 * thing is in test/e2e/store-conformance.test.ts.
 */
import { randomUUID } from "node:crypto";
import type {
  KubeApi,
  KubeRequestOptions,
  KubeWatchOptions,
  RawWatchEvent,
} from "../../../src/store/kube/client.js";
import { kubeApiErrorFrom } from "../../../src/store/kube/errors.js";
import { matchesFieldSelector } from "../../../src/store/kube/selectors.js";
import type { KubeObject } from "../../../src/store/types.js";

type Obj = Record<string, unknown> & { metadata: Record<string, unknown> };

interface Parsed {
  /** e.g. "/api/v1|pods" — the collection across namespaces. */
  collection: string;
  plural: string;
  namespace: string | undefined;
  name: string | undefined;
}

interface LoggedEvent {
  rv: number;
  type: "ADDED" | "MODIFIED" | "DELETED";
  collection: string;
  object: Obj;
}

interface OpenWatch {
  collection: string;
  namespace: string | undefined;
  query: Record<string, string | undefined>;
  push(ev: LoggedEvent): void;
  end(): void;
}

export function parsePath(path: string): Parsed {
  const m = /^(\/api\/v1|\/apis\/[^/]+\/[^/]+)\/(.*)$/.exec(path.split("?")[0]!);
  if (!m) throw new Error(`fake API: cannot parse ${path}`);
  const segs = m[2]!
    .split("/")
    .filter((s) => s !== "")
    .map(decodeURIComponent);
  if (segs[0] === "namespaces" && segs.length >= 3)
    return { collection: `${m[1]!}|${segs[2]!}`, plural: segs[2]!, namespace: segs[1], name: segs[3] };
  return { collection: `${m[1]!}|${segs[0]!}`, plural: segs[0]!, namespace: undefined, name: segs[1] };
}

const status = (
  code: number,
  reason: string,
  message: string,
  details: Record<string, unknown> = {},
): Error =>
  kubeApiErrorFrom(code, {
    kind: "Status",
    apiVersion: "v1",
    status: "Failure",
    message,
    reason,
    details,
    code,
  });

function matchesLabels(o: Obj, sel: string | undefined): boolean {
  if (!sel) return true;
  const labels = (o.metadata.labels ?? {}) as Record<string, string>;
  return sel.split(",").every((term) => {
    const [k, v] = term.split("=");
    return labels[k!] === v;
  });
}

export class FakeKubeApi implements KubeApi {
  readonly server = "https://fake.invalid";
  private rv = 100;
  /** collection → "ns/name" → object */
  private readonly data = new Map<string, Map<string, Obj>>();
  private log: LoggedEvent[] = [];
  /** Events at or below this resourceVersion are gone from the log (a watch from there is 410). */
  private compactedRv = 0;
  private readonly watches = new Set<OpenWatch>();
  readonly requests: string[] = [];
  /** Errors thrown by the next requests (FIFO), e.g. a connection failure. */
  readonly failNext: Error[] = [];
  /** Errors thrown by the next watch requests (FIFO). */
  readonly failNextWatch: Error[] = [];
  /** Plurals the server does not serve (a CRD not installed): 404 with no details. */
  readonly unserved = new Set<string>();
  /** Refuse namespaced creates into a namespace that has no Namespace object. */
  requireNamespaces = false;
  /** While true, changes are logged but not pushed to open watches (events "lost" in transit). */
  paused = false;

  get resourceVersion(): string {
    return String(this.rv);
  }

  private key(ns: string | undefined, name: string): string {
    return `${ns ?? ""}/${name}`;
  }

  private coll(c: string): Map<string, Obj> {
    let m = this.data.get(c);
    if (!m) this.data.set(c, (m = new Map()));
    return m;
  }

  private record(type: LoggedEvent["type"], collection: string, object: Obj): void {
    const ev: LoggedEvent = { rv: this.rv, type, collection, object: structuredClone(object) };
    this.log.push(ev);
    if (!this.paused) for (const w of this.watches) w.push(ev);
  }

  /** Writes as another client would (no preconditions), e.g. to simulate kubectl. */
  external(path: string, obj: KubeObject): Obj {
    const p = parsePath(path);
    const c = this.coll(p.collection);
    const k = this.key(p.namespace ?? obj.metadata.namespace, obj.metadata.name);
    const prev = c.get(k);
    const stored = structuredClone(obj) as unknown as Obj;
    stored.metadata.resourceVersion = String(++this.rv);
    stored.metadata.uid = prev?.metadata.uid ?? randomUUID();
    stored.metadata.creationTimestamp = prev?.metadata.creationTimestamp ?? "2024-01-01T00:00:00Z";
    c.set(k, stored);
    this.record(prev ? "MODIFIED" : "ADDED", p.collection, stored);
    return stored;
  }

  /** Deletes as another client would. */
  externalDelete(path: string): void {
    const p = parsePath(path);
    const c = this.coll(p.collection);
    const k = this.key(p.namespace, p.name!);
    const prev = c.get(k);
    if (!prev) return;
    c.delete(k);
    const gone = structuredClone(prev);
    gone.metadata.resourceVersion = String(++this.rv);
    this.record("DELETED", p.collection, gone);
  }

  /** Drops the event log up to now: a watch from an older resourceVersion gets 410. */
  compact(): void {
    this.compactedRv = this.rv;
    this.log = [];
  }

  /** Ends every open watch stream (as a server does at timeoutSeconds). */
  endWatches(): void {
    for (const w of [...this.watches]) w.end();
  }

  get openWatches(): number {
    return this.watches.size;
  }

  request(method: string, path: string, opts: KubeRequestOptions = {}): Promise<unknown> {
    this.requests.push(`${method} ${path}`);
    const fail = this.failNext.shift();
    if (fail) return Promise.reject(fail);
    try {
      return Promise.resolve(this.handle(method, path, opts));
    } catch (e) {
      return Promise.reject(e instanceof Error ? e : new Error(String(e)));
    }
  }

  private handle(method: string, path: string, opts: KubeRequestOptions): unknown {
    const p = parsePath(path);
    if (this.unserved.has(p.plural))
      throw status(404, "NotFound", "the server could not find the requested resource");
    const c = this.coll(p.collection);
    const q = opts.query ?? {};
    if (method === "GET" && p.name === undefined) {
      const all = [...c.values()].filter(
        (o) =>
          (p.namespace === undefined || o.metadata.namespace === p.namespace) &&
          matchesLabels(o, q.labelSelector) &&
          matchesFieldSelector(o as unknown as KubeObject, q.fieldSelector),
      );
      all.sort((x, y) => String(x.metadata.name).localeCompare(String(y.metadata.name)));
      const start = q.continue ? Number(q.continue) : 0;
      const limit = q.limit ? Number(q.limit) : all.length;
      const page = all.slice(start, start + limit).map((o) => {
        const copy = structuredClone(o);
        delete copy.apiVersion;
        delete copy.kind;
        return copy;
      });
      const more = start + limit < all.length;
      return {
        kind: "List",
        metadata: { resourceVersion: String(this.rv), ...(more ? { continue: String(start + limit) } : {}) },
        items: page,
      };
    }
    const body = opts.body as Obj | undefined;
    const name = p.name ?? (body?.metadata.name as string);
    const k = this.key(p.namespace, name);
    const cur = c.get(k);
    const notFound = (): Error =>
      status(404, "NotFound", `${p.plural} "${name}" not found`, { name, kind: p.plural });
    if (method === "GET") {
      if (!cur) throw notFound();
      return structuredClone(cur);
    }
    if (method === "POST") {
      if (
        this.requireNamespaces &&
        p.namespace !== undefined &&
        !this.coll("/api/v1|namespaces").has(this.key(undefined, p.namespace))
      ) {
        throw status(404, "NotFound", `namespaces "${p.namespace}" not found`, {
          name: p.namespace,
          kind: "namespaces",
        });
      }
      if (cur)
        throw status(409, "AlreadyExists", `${p.plural} "${name}" already exists`, { name, kind: p.plural });
      const stored = structuredClone(body!);
      stored.metadata.uid = randomUUID();
      stored.metadata.creationTimestamp = "2024-01-01T00:00:00Z";
      if (p.namespace) stored.metadata.namespace = p.namespace;
      stored.metadata.resourceVersion = String(++this.rv);
      c.set(k, stored);
      this.record("ADDED", p.collection, stored);
      return structuredClone(stored);
    }
    if (method === "PUT") {
      if (!cur) throw notFound();
      const want = body!.metadata.resourceVersion;
      if (want !== undefined && want !== cur.metadata.resourceVersion) {
        throw status(
          409,
          "Conflict",
          `Operation cannot be fulfilled on ${p.plural} "${name}": the object has been modified; please apply your changes to the latest version and try again`,
          { name, kind: p.plural },
        );
      }
      const stored = structuredClone(body!);
      stored.metadata.uid = cur.metadata.uid;
      stored.metadata.creationTimestamp = cur.metadata.creationTimestamp;
      if (p.namespace) stored.metadata.namespace = p.namespace;
      stored.metadata.resourceVersion = String(++this.rv);
      c.set(k, stored);
      this.record("MODIFIED", p.collection, stored);
      return structuredClone(stored);
    }
    if (method === "DELETE") {
      if (!cur) throw notFound();
      const pre = (body as { preconditions?: { uid?: string } } | undefined)?.preconditions;
      if (pre?.uid !== undefined && pre.uid !== cur.metadata.uid)
        throw status(409, "Conflict", "Precondition failed: UID in precondition", { name, kind: p.plural });
      c.delete(k);
      const gone = structuredClone(cur);
      gone.metadata.resourceVersion = String(++this.rv);
      this.record("DELETED", p.collection, gone);
      return structuredClone(gone);
    }
    throw status(405, "MethodNotAllowed", `${method} is not supported by the fake`);
  }

  watch(
    path: string,
    query: Record<string, string | undefined>,
    onEvent: (ev: RawWatchEvent) => void,
    opts: KubeWatchOptions,
  ): Promise<void> {
    this.requests.push(`WATCH ${path}`);
    const fail = this.failNextWatch.shift();
    if (fail) return Promise.reject(fail);
    const p = parsePath(path);
    if (this.unserved.has(p.plural))
      return Promise.reject(status(404, "NotFound", "the server could not find the requested resource"));
    const from = Number(query.resourceVersion ?? "0");
    if (from < this.compactedRv)
      return Promise.reject(
        status(410, "Expired", `too old resource version: ${from} (${this.compactedRv})`),
      );
    return new Promise<void>((resolve) => {
      const matches = (ev: LoggedEvent): boolean =>
        ev.collection === p.collection &&
        ev.rv > from &&
        (p.namespace === undefined || ev.object.metadata.namespace === p.namespace) &&
        matchesFieldSelector(ev.object as unknown as KubeObject, query.fieldSelector);
      const deliver = (ev: LoggedEvent): void => {
        if (!matches(ev)) return;
        // A label selector turns an object leaving the selection into DELETED, as the API does.
        const inSel = matchesLabels(ev.object, query.labelSelector);
        if (!inSel && ev.type === "ADDED") return;
        onEvent({ type: inSel ? ev.type : "DELETED", object: structuredClone(ev.object) });
      };
      const end = (): void => {
        this.watches.delete(w);
        opts.signal.removeEventListener("abort", end);
        resolve();
      };
      const w: OpenWatch = { collection: p.collection, namespace: p.namespace, query, push: deliver, end };
      for (const ev of this.log) deliver(ev);
      this.watches.add(w);
      opts.signal.addEventListener("abort", end);
      if (opts.signal.aborted) end();
    });
  }

  close(): void {
    this.endWatches();
  }
}
