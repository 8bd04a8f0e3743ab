/**
 * The one object model (ARCHITECTURE principle 3): Kubernetes-style objects, core kinds and kubeiam
 * kinds alike, behind an ObjectStore with two implementations (directory, Kubernetes API).
 */

export interface ObjectMeta {
  name: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  [field: string]: unknown;
}

export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  [field: string]: unknown;
}

/** Identifies one object. Kinds are unique across groups in kubeiam's model, so the group is not part of the key. */
export interface ObjectKey {
  kind: string;
  name: string;
  /** Absent for cluster-scoped kinds. */
  namespace?: string | undefined;
}

export type WatchEventType = "ADDED" | "MODIFIED" | "DELETED";

export interface WatchEvent {
  type: WatchEventType;
  object: KubeObject;
}

/** A problem found while loading: the file (or API path), position and message. The object is skipped. */
export interface LoadProblem {
  source: string;
  /** 1-based line and column when known. */
  line?: number;
  col?: number;
  /** Index of the YAML document in a multi-document file, 0-based. */
  document?: number;
  message: string;
}

export interface ListOptions {
  namespace?: string | undefined;
  labelSelector?: Record<string, string>;
}

export type Unsubscribe = () => void;

export interface ObjectStore {
  /** Loads everything once; resolves when the initial list is complete. Safe to call once. */
  start(): Promise<{ objects: number; problems: LoadProblem[] }>;
  list(kind: string, opts?: ListOptions): Promise<KubeObject[]>;
  get(key: ObjectKey): Promise<KubeObject | undefined>;
  /**
   * Creates or replaces an object. Fills uid, creationTimestamp and resourceVersion. When the given
   * object carries a resourceVersion that is not the stored one, fails with STORE_CONFLICT.
   */
  put(obj: KubeObject): Promise<KubeObject>;
  /** Resolves true when something was deleted. */
  delete(key: ObjectKey): Promise<boolean>;
  /**
   * Subscribes to changes. The handler first receives ADDED for every existing object (a replay),
   * then live events. Problems found later (a bad file written by hand) go to onProblem.
   */
  watch(handler: (ev: WatchEvent) => void, onProblem?: (p: LoadProblem) => void): Unsubscribe;
  close(): Promise<void>;
}

export function keyOf(obj: KubeObject): ObjectKey {
  return { kind: obj.kind, name: obj.metadata.name, namespace: obj.metadata.namespace };
}

export function keyString(k: ObjectKey): string {
  return k.namespace ? `${k.kind}/${k.namespace}/${k.name}` : `${k.kind}//${k.name}`;
}

/** "v1" → "", "rbac.authorization.k8s.io/v1" → "rbac.authorization.k8s.io". */
export function groupOf(apiVersion: string): string {
  const i = apiVersion.indexOf("/");
  return i < 0 ? "" : apiVersion.slice(0, i);
}

/** The API group of kubeiam's own kinds. */
export const KUBEIAM_GROUP = "kubeiam.io";
export const KUBEIAM_API_VERSION = `${KUBEIAM_GROUP}/v1alpha1`;
