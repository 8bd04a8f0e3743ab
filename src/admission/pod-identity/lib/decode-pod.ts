/**
 * Reads the Pod fields the webhook uses out of the AdmissionReview object, with the type checks Go's
 * encoding/json applies when it decodes into corev1.Pod. A field of the wrong type fails with Go's
 * error text ("json: cannot unmarshal string into Go struct field PodSpec.spec.containers of type
 * []v1.Container"), which upstream returns as the denial message. Fields are visited in document
 * order, so the first bad one is the one Go reports. JSON null means "absent", as in Go. Fields the
 * webhook does not read are not checked and pass through untouched.
 */
import { KubeiamError } from "../../../lib/errors.js";

export type JsonObject = Record<string, unknown>;

export interface DecodedContainer {
  readonly name: string;
  /** The original container object ({} for a null entry), re-emitted with only env and volumeMounts changed. */
  readonly raw: JsonObject;
  /** Names of the env vars, undefined when the field is absent or null. */
  readonly env: readonly string[] | undefined;
  /** Names of the volume mounts, undefined when the field is absent or null. */
  readonly volumeMounts: readonly string[] | undefined;
}

export interface DecodedPod {
  readonly name: string;
  readonly generateName: string;
  readonly namespace: string;
  readonly annotations: Readonly<Record<string, string>>;
  readonly serviceAccountName: string;
  readonly nodeSelector: Readonly<Record<string, string>>;
  /** undefined when spec.volumes is absent or null (Go: nil), [] when present and empty. */
  readonly volumeNames: readonly string[] | undefined;
  readonly initContainers: readonly DecodedContainer[];
  readonly containers: readonly DecodedContainer[];
}

function isObject(v: unknown): v is JsonObject {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** The JSON type name Go puts in an UnmarshalTypeError. */
function jsonTypeName(v: unknown): string {
  if (Array.isArray(v)) return "array";
  if (typeof v === "boolean") return "bool";
  return typeof v === "object" ? "object" : typeof v;
}

/**
 * Go's UnmarshalTypeError text. `struct` is the innermost Go struct holding the field, `field` the
 * JSON path from the Pod (no indexes), `goType` the type Go expected.
 */
function typeError(value: unknown, struct: string, field: string, goType: string): KubeiamError {
  return new KubeiamError(
    "ADMISSION_OBJECT_INVALID",
    `json: cannot unmarshal ${jsonTypeName(value)} into Go struct field ${struct}.${field} of type ${goType}`,
    { field },
  );
}

function asString(v: unknown, struct: string, field: string): string {
  if (v === undefined || v === null) return "";
  if (typeof v !== "string") throw typeError(v, struct, field, "string");
  return v;
}

const EMPTY_MAP: Readonly<Record<string, string>> = Object.freeze(
  Object.create(null) as Record<string, string>,
);

function asStringMap(v: unknown, struct: string, field: string): Readonly<Record<string, string>> {
  if (v === undefined || v === null) return EMPTY_MAP;
  if (!isObject(v)) throw typeError(v, struct, field, "map[string]string");
  // No prototype: a key such as "constructor" or "__proto__" is just a key.
  const out = Object.create(null) as Record<string, string>;
  for (const [k, value] of Object.entries(v)) out[k] = asString(value, struct, field);
  return out;
}

/** A struct value: null → undefined (zero value); anything but an object fails. */
function asStruct(v: unknown, struct: string, field: string, goType: string): JsonObject | undefined {
  if (v === undefined || v === null) return undefined;
  if (!isObject(v)) throw typeError(v, struct, field, goType);
  return v;
}

/** A list of structs; undefined when absent or null. Null elements decode to empty structs. */
function asList(v: unknown, struct: string, field: string, goType: string): JsonObject[] | undefined {
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v)) throw typeError(v, struct, field, `[]${goType}`);
  const out: JsonObject[] = new Array<JsonObject>(v.length);
  for (let i = 0; i < v.length; i++) out[i] = asStruct(v[i], struct, field, goType) ?? {};
  return out;
}

// The readers below walk keys in document order with a switch (no closures: this runs per request).

/** The names in a list of EnvVar (value checked too) or VolumeMount structs. */
function entryNames(v: unknown, struct: "EnvVar" | "VolumeMount", field: string): string[] | undefined {
  const list = asList(v, "Container", field, `v1.${struct}`);
  if (list === undefined) return undefined;
  const names = new Array<string>(list.length);
  const nameField = `${field}.name`;
  for (let i = 0; i < list.length; i++) {
    const item = list[i]!;
    let name = "";
    for (const k of Object.keys(item)) {
      if (k === "name") name = asString(item[k], struct, nameField);
      else if (k === "value" && struct === "EnvVar") asString(item[k], struct, `${field}.value`);
    }
    names[i] = name;
  }
  return names;
}

function decodeContainers(v: unknown, field: string): DecodedContainer[] {
  const list = asList(v, "PodSpec", field, "v1.Container");
  if (list === undefined) return [];
  const out = new Array<DecodedContainer>(list.length);
  for (let i = 0; i < list.length; i++) {
    const item = list[i]!;
    let name = "";
    let env: string[] | undefined;
    let volumeMounts: string[] | undefined;
    for (const k of Object.keys(item)) {
      switch (k) {
        case "name":
          name = asString(item[k], "Container", `${field}.name`);
          break;
        case "env":
          env = entryNames(item[k], "EnvVar", `${field}.env`);
          break;
        case "volumeMounts":
          volumeMounts = entryNames(item[k], "VolumeMount", `${field}.volumeMounts`);
          break;
      }
    }
    out[i] = { name, raw: item, env, volumeMounts };
  }
  return out;
}

function volumeNames(v: unknown): string[] | undefined {
  const list = asList(v, "PodSpec", "spec.volumes", "v1.Volume");
  if (list === undefined) return undefined;
  const names = new Array<string>(list.length);
  for (let i = 0; i < list.length; i++) {
    const item = list[i]!;
    let name = "";
    for (const k of Object.keys(item))
      if (k === "name") name = asString(item[k], "Volume", "spec.volumes.name");
    names[i] = name;
  }
  return names;
}

/**
 * Decodes the Pod fields the webhook reads. Throws ADMISSION_OBJECT_INVALID with Go's message when
 * one of them has the wrong JSON type; `null` or a missing object decodes to an empty Pod, as in Go.
 */
export function decodePod(value: unknown): DecodedPod {
  if (value === null || value === undefined) value = {};
  if (!isObject(value)) {
    throw new KubeiamError(
      "ADMISSION_OBJECT_INVALID",
      `json: cannot unmarshal ${jsonTypeName(value)} into Go value of type v1.Pod`,
      {},
    );
  }
  let name = "";
  let generateName = "";
  let namespace = "";
  let annotations = EMPTY_MAP;
  let serviceAccountName = "";
  let nodeSelector = EMPTY_MAP;
  let volumes: string[] | undefined;
  let initContainers: DecodedContainer[] = [];
  let containers: DecodedContainer[] = [];
  for (const top of Object.keys(value)) {
    if (top === "metadata") {
      const m = asStruct(value[top], "Pod", "metadata", "v1.ObjectMeta");
      if (!m) continue;
      for (const k of Object.keys(m)) {
        switch (k) {
          case "name":
            name = asString(m[k], "ObjectMeta", "metadata.name");
            break;
          case "generateName":
            generateName = asString(m[k], "ObjectMeta", "metadata.generateName");
            break;
          case "namespace":
            namespace = asString(m[k], "ObjectMeta", "metadata.namespace");
            break;
          case "annotations":
            annotations = asStringMap(m[k], "ObjectMeta", "metadata.annotations");
            break;
        }
      }
    } else if (top === "spec") {
      const s = asStruct(value[top], "Pod", "spec", "v1.PodSpec");
      if (!s) continue;
      for (const k of Object.keys(s)) {
        switch (k) {
          case "serviceAccountName":
            serviceAccountName = asString(s[k], "PodSpec", "spec.serviceAccountName");
            break;
          case "nodeSelector":
            nodeSelector = asStringMap(s[k], "PodSpec", "spec.nodeSelector");
            break;
          case "volumes":
            volumes = volumeNames(s[k]);
            break;
          case "initContainers":
            initContainers = decodeContainers(s[k], "spec.initContainers");
            break;
          case "containers":
            containers = decodeContainers(s[k], "spec.containers");
            break;
        }
      }
    }
  }
  return {
    name,
    generateName,
    namespace,
    annotations,
    serviceAccountName,
    nodeSelector,
    volumeNames: volumes,
    initContainers,
    containers,
  };
}
