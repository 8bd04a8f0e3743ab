/**
 * extractPodSpec: the pod metadata and spec Pod Security evaluates for a Pod, or the pod template of
 * a workload kind (as upstream's DefaultPodSpecExtractor does).
 */
import { KubeiamError } from "../../lib/errors.js";
import type { PodMetaLike } from "./evaluate.js";

export type PodSecurityKind =
  | "Pod"
  | "PodTemplate"
  | "ReplicationController"
  | "ReplicaSet"
  | "Deployment"
  | "StatefulSet"
  | "DaemonSet"
  | "Job"
  | "CronJob";

/** API group and path of the pod template (metadata + spec) inside each kind. */
const KINDS: Readonly<
  Record<PodSecurityKind, { readonly group: string; readonly template: readonly string[] }>
> = {
  Pod: { group: "", template: [] },
  PodTemplate: { group: "", template: ["template"] },
  ReplicationController: { group: "", template: ["spec", "template"] },
  ReplicaSet: { group: "apps", template: ["spec", "template"] },
  Deployment: { group: "apps", template: ["spec", "template"] },
  StatefulSet: { group: "apps", template: ["spec", "template"] },
  DaemonSet: { group: "apps", template: ["spec", "template"] },
  Job: { group: "batch", template: ["spec", "template"] },
  CronJob: { group: "batch", template: ["spec", "jobTemplate", "spec", "template"] },
};

export const POD_SECURITY_KINDS = Object.keys(KINDS) as readonly PodSecurityKind[];

export interface ExtractedPodSpec {
  readonly kind: PodSecurityKind;
  readonly apiVersion: string;
  /** The object's own name and namespace (not the template's). */
  readonly name: string;
  readonly namespace?: string;
  readonly podMeta: PodMetaLike;
  readonly podSpec: unknown;
  /** Where the pod's `metadata`/`spec` sit in the object: "" for a Pod, "spec.template." for a Deployment. */
  readonly fieldPathPrefix: string;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function invalid(message: string, context: Record<string, unknown> = {}): never {
  throw new KubeiamError("POD_OBJECT_INVALID", message, context);
}

/** True when `kind` in API group `group` carries a pod spec Pod Security evaluates. */
export function isPodSecurityKind(apiVersion: string, kind: string): kind is PodSecurityKind {
  if (!Object.hasOwn(KINDS, kind)) return false;
  const slash = apiVersion.indexOf("/");
  const group = slash < 0 ? "" : apiVersion.slice(0, slash);
  return KINDS[kind as PodSecurityKind].group === group;
}

/**
 * Returns the pod metadata and spec of a Pod or workload object, or null when the object has no pod
 * template to evaluate (a ReplicationController without `spec.template`; upstream allows it as is).
 * Throws POD_OBJECT_INVALID when the object is not one of the supported kinds or is malformed.
 */
export function extractPodSpec(object: unknown): ExtractedPodSpec | null {
  if (!isRecord(object))
    invalid(
      `expected a Kubernetes object (a mapping), found ${object === null ? "null" : Array.isArray(object) ? "a list" : typeof object}`,
    );
  const { apiVersion, kind } = object;
  if (typeof kind !== "string" || kind === "") invalid("object has no kind");
  if (typeof apiVersion !== "string" || apiVersion === "") invalid(`${kind} has no apiVersion`);
  if (!isPodSecurityKind(apiVersion, kind)) {
    const supported = POD_SECURITY_KINDS.map(
      (k) => `${k} (${KINDS[k].group === "" ? "core" : KINDS[k].group})`,
    ).join(", ");
    invalid(
      `kind ${kind} of ${apiVersion} has no pod template Pod Security evaluates; supported kinds: ${supported}`,
      { kind, apiVersion },
    );
  }
  const meta = object.metadata;
  if (meta != null && !isRecord(meta)) invalid(`${kind}: metadata: expected an object`);
  const name = meta?.name ?? "";
  if (typeof name !== "string") invalid(`${kind}: metadata.name: expected a string`);
  const namespace = meta?.namespace;
  if (namespace != null && typeof namespace !== "string")
    invalid(`${kind} ${name}: metadata.namespace: expected a string`);

  // walk to the template; for kinds other than ReplicationController a missing step is an empty struct
  let template: Record<string, unknown> = object;
  const path = KINDS[kind].template;
  for (let i = 0; i < path.length; i++) {
    const next = template[path[i]!];
    if (next == null) {
      if (kind === "ReplicationController" && i === path.length - 1) return null;
      template = {};
      continue;
    }
    if (!isRecord(next))
      invalid(`${kind} ${name}: ${path.slice(0, i + 1).join(".")}: expected an object`, {
        field: path.slice(0, i + 1).join("."),
      });
    template = next;
  }
  const prefix = path.length === 0 ? "" : path.join(".") + ".";
  const podMeta = template.metadata ?? {};
  if (!isRecord(podMeta))
    invalid(`${kind} ${name}: ${prefix}metadata: expected an object`, { field: `${prefix}metadata` });
  const base = {
    kind,
    apiVersion,
    name,
    podMeta: podMeta as PodMetaLike,
    podSpec: template.spec ?? {},
    fieldPathPrefix: prefix,
  };
  return typeof namespace === "string" ? { ...base, namespace } : base;
}
