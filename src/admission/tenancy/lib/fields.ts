/**
 * Typed reads of fields of a decoded object, failing with ADMISSION_REQUEST_INVALID naming the field
 * when a value has the wrong type. Absent and null read as "not set", as in Go's decoding.
 */
import { KubeiamError } from "../../../lib/errors.js";
import { describeType, isRecord } from "../../../tenancy/lib/values.js";

export type Obj = Record<string, unknown>;

export function invalidField(path: string, expected: string, found: unknown): never {
  throw new KubeiamError(
    "ADMISSION_OBJECT_INVALID",
    `${path}: expected ${expected}, found ${describeType(found)}`,
    { field: path },
  );
}

export function rec(o: Obj, key: string, path: string): Obj | undefined {
  const v = o[key];
  if (v === undefined || v === null) return undefined;
  if (!isRecord(v)) invalidField(path, "an object", v);
  return v;
}

export function list(o: Obj, key: string, path: string): unknown[] {
  const v = o[key];
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) invalidField(path, "a list", v);
  return v;
}

export function recList(o: Obj, key: string, path: string): Obj[] {
  const l = list(o, key, path);
  return l.map((x, i) => (isRecord(x) ? x : invalidField(`${path}[${i}]`, "an object", x)));
}

export function str(o: Obj, key: string, path: string): string | undefined {
  const v = o[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "string") invalidField(path, "a string", v);
  return v;
}

export function strList(o: Obj, key: string, path: string): string[] {
  return list(o, key, path).map((x, i) =>
    typeof x === "string" ? x : invalidField(`${path}[${i}]`, "a string", x),
  );
}

export function bool(o: Obj, key: string, path: string): boolean | undefined {
  const v = o[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "boolean") invalidField(path, "a boolean", v);
  return v;
}

export function strMap(o: Obj, key: string, path: string): Record<string, string> | undefined {
  const m = rec(o, key, path);
  if (!m) return undefined;
  for (const [k, v] of Object.entries(m))
    if (typeof v !== "string") invalidField(`${path}[${k}]`, "a string", v);
  return m as Record<string, string>;
}

/** The container lists of a pod spec in upstream's order, with their field names. */
export const CONTAINER_FIELDS = ["initContainers", "containers", "ephemeralContainers"] as const;

export interface ContainerRef {
  readonly container: Obj;
  /** e.g. `spec.containers[2]` (with the template prefix). */
  readonly path: string;
  readonly name: string;
}

export function containersOf(spec: Obj, specPath: string): ContainerRef[] {
  const out: ContainerRef[] = [];
  for (const f of CONTAINER_FIELDS) {
    recList(spec, f, `${specPath}.${f}`).forEach((c, i) => {
      const path = `${specPath}.${f}[${i}]`;
      out.push({ container: c, path, name: str(c, "name", `${path}.name`) ?? "" });
    });
  }
  return out;
}
