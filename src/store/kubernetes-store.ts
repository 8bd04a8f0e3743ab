/**
 * The cluster-mode store: objects live in the Kubernetes API (core kinds at their own API paths,
 * kubeiam's kinds as custom resources of kubeiam.io/v1alpha1, see src/crds/).
 *
 * - Reads of the watched kinds (`watch` option, default DEFAULT_WATCH: what kubeiam reads) come
 *   from an in-memory copy kept by one list+watch per kind (kube/reflector.ts: resourceVersion,
 *   bookmarks, reconnect, relist on "410 Gone", periodic resync). Other kinds, and watches
 *   narrowed by a namespace or field selector, are read from the API on each call.
 * - Writes are checked like the directory store's (`checkObject`), then go to the API: a put with a
 *   resourceVersion is a PUT with that precondition (409 → STORE_CONFLICT); a put without one
 *   creates, or replaces what is there (read, then PUT with the read resourceVersion, retried when
 *   another writer gets in between). The answer is applied to the local copy at once, so a reader
 *   in this process sees its own write; the watch's copy of the same change is recognised by its
 *   resourceVersion and not delivered twice.
 * - Objects the API holds that fail kubeiam's checks (a bad IAMRole applied with kubectl) are
 *   reported through `onProblem` and left out, as the directory store does with a bad file.
 * - `scopeLabel` confines the store to objects carrying one label (added on write, hidden on read):
 *   several isolated stores can then share one cluster, which the conformance tests need.
 */
import { KubeiamError } from "../lib/errors.js";
import { checkObject } from "./kinds.js";
import { clone, matchesList } from "./object-meta.js";
import type {
  KubeObject,
  ListOptions,
  LoadProblem,
  ObjectKey,
  ObjectStore,
  Unsubscribe,
  WatchEvent,
} from "./types.js";
import { keyOf, keyString } from "./types.js";
import type { KubeApi } from "./kube/client.js";
import {
  isUnknownResource,
  KubeApiError,
  toStoreError,
  unknownResourceHint,
  type WriteContext,
} from "./kube/errors.js";
import { Reflector, resourceVersionOf, type RawObject } from "./kube/reflector.js";
import { collectionPath, objectPath, resourceFor, type ResourceInfo } from "./kube/resources.js";
import { labelSelectorString, matchesFieldSelector } from "./kube/selectors.js";

/** One list+watch: a kind, optionally narrowed to a namespace and a field selector. */
export interface WatchTarget {
  kind: string;
  namespace?: string;
  fieldSelector?: string;
}

/**
 * What kubeiam reads: RBAC, service accounts and their token Secrets, pods, namespaces, nodes,
 * webhook configurations, the aws-auth ConfigMap's namespace, and every kubeiam kind.
 */
export const DEFAULT_WATCH: readonly WatchTarget[] = [
  { kind: "Namespace" },
  { kind: "ServiceAccount" },
  { kind: "Pod" },
  { kind: "Node" },
  { kind: "ConfigMap", namespace: "kube-system" },
  { kind: "Secret", fieldSelector: "type=kubernetes.io/service-account-token" },
  { kind: "Role" },
  { kind: "ClusterRole" },
  { kind: "RoleBinding" },
  { kind: "ClusterRoleBinding" },
  { kind: "MutatingWebhookConfiguration" },
  { kind: "ValidatingWebhookConfiguration" },
  { kind: "OIDCProvider" },
  { kind: "IAMRole" },
  { kind: "IAMUser" },
  { kind: "IAMPolicy" },
  { kind: "AccessEntry" },
  { kind: "Tenant" },
];

export interface KubernetesStoreOptions {
  /** Kinds to list and watch (names or targets); default DEFAULT_WATCH. */
  watch?: readonly (string | WatchTarget)[];
  /** Keep watching after start (default true); false lists once, for one-shot commands. */
  follow?: boolean;
  /** Relist every watched kind this often (ms); default 10 minutes; 0 disables. */
  resyncMs?: number;
  /** Reflector backoff after failures; default 250 ms doubling to 30 s. */
  backoff?: { initialMs: number; maxMs: number };
  /** Confine the store to objects carrying this label (added on write, hidden on read). */
  scopeLabel?: { key: string; value: string };
  /** Attempts for a put without resourceVersion that races with other writers; default 5. */
  maxPutAttempts?: number;
}

interface KindState {
  target: WatchTarget;
  resource: ResourceInfo;
  reflector: Reflector;
  objects: Map<string, KubeObject>;
  /** key → resourceVersion of its deletion, so an older event cannot bring it back. */
  tombstones: Map<string, string>;
  /** key → message of an object the API holds but kubeiam refuses (reported once). */
  invalid: Map<string, string>;
}

type Handler = { ev: (e: WatchEvent) => void; problem: ((p: LoadProblem) => void) | undefined };

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

/**
 * Compares two resourceVersions. They are opaque to clients, but every API server backed by etcd
 * hands out decimal revisions; when either is not one, the comparison is unknown (undefined).
 */
export function compareResourceVersions(
  a: string | undefined,
  b: string | undefined,
): -1 | 0 | 1 | undefined {
  if (a === undefined || b === undefined || !/^\d{1,30}$/.test(a) || !/^\d{1,30}$/.test(b))
    return a !== undefined && a === b ? 0 : undefined;
  const x = BigInt(a);
  const y = BigInt(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

const SERVER_OWNED_METADATA = [
  "uid",
  "creationTimestamp",
  "managedFields",
  "generation",
  "selfLink",
  "deletionTimestamp",
  "deletionGracePeriodSeconds",
] as const;

/** The body sent to the API: the object without server-owned metadata, with the scope label. */
export function toApiObject(obj: KubeObject, scope?: { key: string; value: string }): KubeObject {
  const out = clone(obj);
  out.metadata = Object.fromEntries(
    Object.entries(out.metadata).filter(([k]) => !(SERVER_OWNED_METADATA as readonly string[]).includes(k)),
  ) as KubeObject["metadata"];
  if (scope) out.metadata.labels = { ...(out.metadata.labels ?? {}), [scope.key]: scope.value };
  return out;
}

/**
 * An object as the API returned it → kubeiam's form: apiVersion and kind filled in (list items
 * lack them), managedFields dropped, the scope label hidden, then checked like a file.
 */
export function fromApiObject(
  raw: RawObject,
  r: ResourceInfo,
  scope?: { key: string; value: string },
):
  | { ok: true; object: KubeObject }
  | { ok: false; name: string; namespace: string | undefined; problems: string[] } {
  const meta = isRecord(raw.metadata) ? { ...raw.metadata } : {};
  delete meta.managedFields;
  if (scope && isRecord(meta.labels)) {
    const labels = Object.fromEntries(Object.entries(meta.labels).filter(([k]) => k !== scope.key));
    if (Object.keys(labels).length === 0) delete meta.labels;
    else meta.labels = labels;
  }
  const candidate = {
    ...raw,
    apiVersion: typeof raw.apiVersion === "string" ? raw.apiVersion : r.apiVersion,
    kind: typeof raw.kind === "string" ? raw.kind : r.kind,
    metadata: meta,
  };
  const checked = checkObject(candidate);
  if (checked.ok) return checked;
  return {
    ok: false,
    name: typeof meta.name === "string" ? meta.name : "?",
    namespace: typeof meta.namespace === "string" ? meta.namespace : undefined,
    problems: checked.problems,
  };
}

function hasScope(raw: RawObject, scope: { key: string; value: string } | undefined): boolean {
  if (!scope) return true;
  const meta = raw.metadata;
  return isRecord(meta) && isRecord(meta.labels) && meta.labels[scope.key] === scope.value;
}

export class KubernetesStore implements ObjectStore {
  private readonly kinds = new Map<string, KindState>();
  private readonly handlers = new Set<Handler>();
  private started = false;
  private closed = false;
  private readonly scope: { key: string; value: string } | undefined;
  /** Problems found while start() runs go to its result rather than to watchers. */
  private startProblems: LoadProblem[] | undefined;

  constructor(
    readonly api: KubeApi,
    private readonly opts: KubernetesStoreOptions = {},
  ) {
    this.scope = opts.scopeLabel;
    for (const t of opts.watch ?? DEFAULT_WATCH) {
      const target: WatchTarget = typeof t === "string" ? { kind: t } : t;
      if (this.kinds.has(target.kind))
        throw new KubeiamError("INTERNAL", `KubernetesStore: kind ${target.kind} is watched twice`);
      const resource = resourceFor(target.kind);
      const state: KindState = {
        target,
        resource,
        objects: new Map(),
        tombstones: new Map(),
        invalid: new Map(),
        reflector: undefined as unknown as Reflector,
      };
      state.reflector = new Reflector(
        api,
        {
          path: collectionPath(resource, target.namespace),
          labelSelector: labelSelectorString(this.scope ? { [this.scope.key]: this.scope.value } : undefined),
          fieldSelector: target.fieldSelector,
          resyncMs: opts.resyncMs ?? 600_000,
          ...(opts.backoff ? { backoff: opts.backoff } : {}),
        },
        {
          replace: (items, rv) => this.replaceAll(state, items, rv),
          event: (type, obj) => this.onRemote(state, type, obj),
          problem: (message, e) =>
            this.report({ source: this.sourceOf(state), message: this.problemText(state, message, e) }),
        },
      );
      this.kinds.set(target.kind, state);
    }
  }

  /** The kinds this store lists and watches. */
  watchedKinds(): string[] {
    return [...this.kinds.keys()];
  }

  private sourceOf(state: KindState, name?: string, namespace?: string): string {
    const base = collectionPath(state.resource, state.target.namespace);
    if (name === undefined) return base;
    return state.resource.namespaced && namespace
      ? `${collectionPath(state.resource, namespace)}/${name}`
      : `${base}/${name}`;
  }

  private problemText(state: KindState, message: string, e: unknown): string {
    if (isUnknownResource(e))
      return `cannot list ${state.resource.kind}: ${unknownResourceHint(state.resource.kind, state.resource.group)}`;
    return `cannot list or watch ${state.resource.kind}: ${message}`;
  }

  async start(): Promise<{ objects: number; problems: LoadProblem[] }> {
    if (this.started) throw new KubeiamError("INTERNAL", "KubernetesStore.start called twice");
    this.started = true;
    const problems: LoadProblem[] = [];
    this.startProblems = problems;
    const failures: unknown[] = [];
    await Promise.all(
      [...this.kinds.values()].map(async (state) => {
        try {
          await state.reflector.list();
        } catch (e) {
          failures.push(e);
          const message = e instanceof Error ? e.message : String(e);
          state.reflector.noteProblem(message);
          problems.push({ source: this.sourceOf(state), message: this.problemText(state, message, e) });
        }
      }),
    );
    this.startProblems = undefined;
    if (failures.length > 0 && failures.length === this.kinds.size) {
      const first = failures[0];
      if (first instanceof KubeiamError) throw first;
      if (first instanceof KubeApiError)
        throw new KubeiamError(
          "KUBE_API_ERROR",
          `cannot list anything from the Kubernetes API at ${this.api.server}: ${first.status} ${first.reason}: ${first.message}`,
          { status: first.status },
        );
      throw first;
    }
    if (this.opts.follow !== false) for (const s of this.kinds.values()) s.reflector.run();
    let objects = 0;
    for (const s of this.kinds.values()) objects += s.objects.size;
    return { objects, problems };
  }

  // --- the local copy ---------------------------------------------------------------------

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
    if (this.startProblems) {
      this.startProblems.push(p);
      return;
    }
    for (const h of this.handlers) h.problem?.(p);
  }

  /** Whether an object belongs in a kind's local copy (its watch would deliver it). */
  private holds(state: KindState, obj: KubeObject): boolean {
    if (state.target.namespace !== undefined && obj.metadata.namespace !== state.target.namespace)
      return false;
    return matchesFieldSelector(obj, state.target.fieldSelector);
  }

  /** Whether the local copy answers every read of this kind (and namespace). */
  private covered(kind: string, namespace: string | undefined): KindState | undefined {
    const state = this.kinds.get(kind);
    if (!state || !state.reflector.synced || this.closed) return undefined;
    if (state.target.fieldSelector !== undefined) return undefined;
    if (state.target.namespace !== undefined && namespace !== state.target.namespace) return undefined;
    return state;
  }

  private upsert(state: KindState, obj: KubeObject): void {
    const key = keyString(keyOf(obj));
    const rv = obj.metadata.resourceVersion;
    const cur = state.objects.get(key);
    if (cur) {
      const c = compareResourceVersions(rv, cur.metadata.resourceVersion);
      if (c !== undefined && c <= 0) return;
    } else {
      const t = state.tombstones.get(key);
      const c = t === undefined ? undefined : compareResourceVersions(rv, t);
      if (c !== undefined && c <= 0) return;
    }
    state.tombstones.delete(key);
    state.invalid.delete(key);
    state.objects.set(key, obj);
    this.emit({ type: cur ? "MODIFIED" : "ADDED", object: obj });
  }

  private remove(state: KindState, key: string, rv: string | undefined, last: KubeObject | undefined): void {
    const cur = state.objects.get(key);
    if (!cur) {
      if (rv !== undefined) state.tombstones.set(key, rv);
      return;
    }
    const c = compareResourceVersions(rv, cur.metadata.resourceVersion);
    if (c !== undefined && c < 0) return;
    state.objects.delete(key);
    if (rv !== undefined) state.tombstones.set(key, rv);
    this.emit({ type: "DELETED", object: last ?? cur });
  }

  private keyOfRaw(state: KindState, raw: RawObject): string | undefined {
    const meta = raw.metadata;
    if (!isRecord(meta) || typeof meta.name !== "string") return undefined;
    const ns = state.resource.namespaced
      ? typeof meta.namespace === "string"
        ? meta.namespace
        : "default"
      : undefined;
    return keyString({ kind: state.resource.kind, name: meta.name, namespace: ns });
  }

  private refuse(
    state: KindState,
    key: string,
    r: { name: string; namespace: string | undefined; problems: string[] },
  ): void {
    const message = `${state.resource.kind} ${r.namespace ? `${r.namespace}/` : ""}${r.name} is in the API but kubeiam skips it: ${r.problems.join("; ")}`;
    if (state.invalid.get(key) === message) return;
    state.invalid.set(key, message);
    this.report({ source: this.sourceOf(state, r.name, r.namespace), message });
  }

  private onRemote(state: KindState, type: "ADDED" | "MODIFIED" | "DELETED", raw: RawObject): void {
    const key = this.keyOfRaw(state, raw);
    if (key === undefined) return;
    const rv = resourceVersionOf(raw);
    const conv = fromApiObject(raw, state.resource, this.scope);
    if (type === "DELETED" || !hasScope(raw, this.scope)) {
      state.invalid.delete(key);
      this.remove(state, key, rv, conv.ok ? conv.object : undefined);
      return;
    }
    if (!conv.ok) {
      this.refuse(state, key, conv);
      this.remove(state, key, rv, undefined);
      return;
    }
    this.upsert(state, conv.object);
  }

  private replaceAll(state: KindState, items: RawObject[], listRv: string): void {
    const seen = new Set<string>();
    for (const raw of items) {
      const key = this.keyOfRaw(state, raw);
      if (key === undefined || !hasScope(raw, this.scope)) continue;
      const conv = fromApiObject(raw, state.resource, this.scope);
      if (!conv.ok) {
        this.refuse(state, key, conv);
        continue;
      }
      seen.add(key);
      this.upsert(state, conv.object);
    }
    for (const [key, cur] of [...state.objects]) {
      if (seen.has(key)) continue;
      // Written by this process after the list was taken: the watch will confirm it.
      if (compareResourceVersions(cur.metadata.resourceVersion, listRv) === 1) continue;
      this.remove(state, key, listRv, undefined);
    }
    for (const [key, rv] of [...state.tombstones]) {
      const c = compareResourceVersions(rv, listRv);
      if (c === undefined || c <= 0) state.tombstones.delete(key);
    }
    for (const key of [...state.invalid.keys()])
      if (!items.some((raw) => this.keyOfRaw(state, raw) === key)) state.invalid.delete(key);
  }

  /** Applies the API's answer to a write to the local copy (when the kind's watch covers it). */
  private applyLocal(obj: KubeObject, deleted: boolean): void {
    const state = this.kinds.get(obj.kind);
    if (!state || !state.reflector.synced || !this.holds(state, obj)) return;
    const key = keyString(keyOf(obj));
    if (deleted) this.remove(state, key, obj.metadata.resourceVersion, obj);
    else this.upsert(state, obj);
  }

  // --- ObjectStore ---------------------------------------------------------------------------

  async list(kind: string, opts?: ListOptions): Promise<KubeObject[]> {
    const state = this.covered(kind, opts?.namespace);
    if (state) {
      const out: KubeObject[] = [];
      for (const o of state.objects.values()) if (matchesList(o, opts)) out.push(clone(o));
      return out;
    }
    const r = resourceFor(kind);
    const items: KubeObject[] = [];
    let cont: string | undefined;
    do {
      let body: unknown;
      try {
        body = await this.api.request("GET", collectionPath(r, opts?.namespace), {
          query: {
            limit: "500",
            continue: cont,
            labelSelector: labelSelectorString(
              opts?.labelSelector,
              this.scope ? { [this.scope.key]: this.scope.value } : undefined,
            ),
          },
        });
      } catch (e) {
        throw this.storeError(e, { op: "list", kind, plural: r.plural, namespace: opts?.namespace }, r);
      }
      if (!isRecord(body) || !Array.isArray(body.items)) break;
      for (const it of body.items) {
        if (!isRecord(it)) continue;
        const conv = fromApiObject(it, r, this.scope);
        if (conv.ok && matchesList(conv.object, opts)) items.push(conv.object);
      }
      const meta = isRecord(body.metadata) ? body.metadata : {};
      cont = typeof meta.continue === "string" && meta.continue !== "" ? meta.continue : undefined;
    } while (cont !== undefined);
    return items;
  }

  async get(key: ObjectKey): Promise<KubeObject | undefined> {
    const r = resourceFor(key.kind);
    const namespace = r.namespaced ? (key.namespace ?? "default") : undefined;
    const state = this.covered(key.kind, namespace);
    if (state) {
      const o = state.objects.get(keyString({ kind: key.kind, name: key.name, namespace }));
      return o ? clone(o) : undefined;
    }
    const raw = await this.read(r, key.name, namespace);
    if (!raw || !hasScope(raw, this.scope)) return undefined;
    const conv = fromApiObject(raw, r, this.scope);
    return conv.ok ? conv.object : undefined;
  }

  /** GET of one object from the API; undefined when it does not exist. */
  private async read(
    r: ResourceInfo,
    name: string,
    namespace: string | undefined,
  ): Promise<RawObject | undefined> {
    try {
      const body = await this.api.request("GET", objectPath(r, name, namespace));
      return isRecord(body) ? body : undefined;
    } catch (e) {
      if (e instanceof KubeApiError && e.status === 404 && !isUnknownResource(e)) return undefined;
      throw this.storeError(e, { op: "get", kind: r.kind, plural: r.plural, name, namespace }, r);
    }
  }

  private storeError(e: unknown, c: WriteContext, r: ResourceInfo): unknown {
    return e instanceof KubeApiError ? toStoreError(e, { ...c, group: r.group }) : e;
  }

  async put(input: KubeObject): Promise<KubeObject> {
    const checked = checkObject(input);
    if (!checked.ok) {
      throw new KubeiamError(
        checked.unknownKind ? "STORE_UNKNOWN_KIND" : "STORE_OBJECT_INVALID",
        `invalid ${typeof input.kind === "string" ? input.kind : "object"}: ${checked.problems.join("; ")}`,
        { problems: checked.problems },
      );
    }
    const obj = checked.object;
    const r = resourceFor(obj.kind);
    const { name, namespace } = obj.metadata;
    const body = toApiObject(obj, this.scope);
    const wantRv = obj.metadata.resourceVersion;
    const ctx = (op: "create" | "replace", rv: string | undefined): WriteContext => ({
      op,
      kind: obj.kind,
      plural: r.plural,
      name,
      namespace,
      resourceVersion: rv,
    });
    let answer: unknown;
    if (wantRv !== undefined) {
      try {
        answer = await this.api.request("PUT", objectPath(r, name, namespace), { body });
      } catch (e) {
        throw this.storeError(e, ctx("replace", wantRv), r);
      }
    } else {
      const attempts = this.opts.maxPutAttempts ?? 5;
      for (let i = 1; ; i++) {
        const current = await this.read(r, name, namespace);
        const rv = current ? resourceVersionOf(current) : undefined;
        try {
          if (current) {
            if (rv !== undefined) body.metadata.resourceVersion = rv;
            answer = await this.api.request("PUT", objectPath(r, name, namespace), { body });
          } else {
            delete body.metadata.resourceVersion;
            answer = await this.api.request("POST", collectionPath(r, namespace), { body });
          }
          break;
        } catch (e) {
          const raced =
            e instanceof KubeApiError &&
            (e.status === 409 ||
              (e.status === 404 &&
                current !== undefined &&
                !isUnknownResource(e) &&
                e.details.kind !== "namespaces"));
          if (raced && i < attempts) continue;
          throw this.storeError(e, ctx(current ? "replace" : "create", rv), r);
        }
      }
    }
    if (!isRecord(answer))
      throw new KubeiamError(
        "KUBE_API_ERROR",
        `the API server answered a write of ${obj.kind} ${name} with no object`,
      );
    const conv = fromApiObject(answer, r, this.scope);
    // The server's copy always passes (it is what was checked, plus defaults); keep it either way.
    const stored = conv.ok
      ? conv.object
      : ({ ...answer, apiVersion: obj.apiVersion, kind: obj.kind } as KubeObject);
    this.applyLocal(stored, false);
    return clone(stored);
  }

  async delete(key: ObjectKey): Promise<boolean> {
    const r = resourceFor(key.kind);
    const namespace = r.namespaced ? (key.namespace ?? "default") : undefined;
    const path = objectPath(r, key.name, namespace);
    let options: Record<string, unknown> | undefined;
    if (this.scope) {
      const current = await this.read(r, key.name, namespace);
      if (!current || !hasScope(current, this.scope)) return false;
      const uid =
        isRecord(current.metadata) && typeof current.metadata.uid === "string"
          ? current.metadata.uid
          : undefined;
      if (uid) options = { apiVersion: "v1", kind: "DeleteOptions", preconditions: { uid } };
    }
    let answer: unknown;
    try {
      answer = await this.api.request("DELETE", path, options ? { body: options } : {});
    } catch (e) {
      if (e instanceof KubeApiError && e.status === 404 && !isUnknownResource(e)) return false;
      if (e instanceof KubeApiError && e.status === 409 && this.scope) return false;
      throw this.storeError(
        e,
        { op: "delete", kind: key.kind, plural: r.plural, name: key.name, namespace },
        r,
      );
    }
    const state = this.kinds.get(key.kind);
    const k = keyString({ kind: key.kind, name: key.name, namespace });
    if (isRecord(answer) && answer.kind !== "Status") {
      const conv = fromApiObject(answer, r, this.scope);
      const meta = isRecord(answer.metadata) ? answer.metadata : {};
      const finalizers = Array.isArray(meta.finalizers) ? meta.finalizers : [];
      const pending =
        meta.deletionTimestamp !== undefined &&
        (finalizers.length > 0 ||
          (isRecord(answer.spec) &&
            Array.isArray(answer.spec.finalizers) &&
            answer.spec.finalizers.length > 0));
      if (conv.ok) this.applyLocal(conv.object, !pending);
      else if (state) this.remove(state, k, resourceVersionOf(answer), undefined);
    } else if (state) {
      this.remove(state, k, undefined, undefined);
    }
    return true;
  }

  watch(handler: (ev: WatchEvent) => void, onProblem?: (p: LoadProblem) => void): Unsubscribe {
    const h: Handler = { ev: handler, problem: onProblem };
    for (const s of this.kinds.values())
      for (const o of s.objects.values()) handler({ type: "ADDED", object: clone(o) });
    this.handlers.add(h);
    return () => this.handlers.delete(h);
  }

  async close(): Promise<void> {
    this.closed = true;
    this.handlers.clear();
    await Promise.all([...this.kinds.values()].map((s) => s.reflector.stop()));
  }
}
