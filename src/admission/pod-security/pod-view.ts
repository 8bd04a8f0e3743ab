/**
 * The part of a pod the Pod Security checks read, checked for shape once and then used in place.
 *
 * Go decoding rules are followed where they matter to the verdict: `null` means "not set" (a nil
 * pointer, or the zero value inside arrays and maps), unknown fields are ignored, and a value of the
 * wrong JSON type is an error (the API server would refuse to decode it). Errors name the field.
 */
import { KubeiamError } from "../../lib/errors.js";
import { KNOWN_SOURCES } from "./lib/volume-sources.js";

type Opt<T> = T | null | undefined;

export interface ProfileTypeV {
  readonly type?: Opt<string>;
}
export interface SELinuxOptionsV {
  readonly user?: Opt<string>;
  readonly role?: Opt<string>;
  readonly type?: Opt<string>;
  readonly level?: Opt<string>;
}
export interface WindowsOptionsV {
  readonly hostProcess?: Opt<boolean>;
}
export interface CapabilitiesV {
  readonly add?: Opt<readonly Opt<string>[]>;
  readonly drop?: Opt<readonly Opt<string>[]>;
}
export interface SecurityContextV {
  readonly privileged?: Opt<boolean>;
  readonly allowPrivilegeEscalation?: Opt<boolean>;
  readonly runAsNonRoot?: Opt<boolean>;
  readonly runAsUser?: Opt<number>;
  readonly procMount?: Opt<string>;
  readonly capabilities?: Opt<CapabilitiesV>;
  readonly seLinuxOptions?: Opt<SELinuxOptionsV>;
  readonly seccompProfile?: Opt<ProfileTypeV>;
  readonly appArmorProfile?: Opt<ProfileTypeV>;
  readonly windowsOptions?: Opt<WindowsOptionsV>;
}
export interface SysctlV {
  readonly name?: Opt<string>;
}
export interface PodSecurityContextV {
  readonly runAsNonRoot?: Opt<boolean>;
  readonly runAsUser?: Opt<number>;
  readonly seLinuxOptions?: Opt<SELinuxOptionsV>;
  readonly seccompProfile?: Opt<ProfileTypeV>;
  readonly appArmorProfile?: Opt<ProfileTypeV>;
  readonly windowsOptions?: Opt<WindowsOptionsV>;
  readonly sysctls?: Opt<readonly Opt<SysctlV>[]>;
}
export interface HostV {
  readonly host?: Opt<string>;
}
export interface HandlerV {
  readonly httpGet?: Opt<HostV>;
  readonly tcpSocket?: Opt<HostV>;
}
export interface LifecycleV {
  readonly postStart?: Opt<HandlerV>;
  readonly preStop?: Opt<HandlerV>;
}
export interface PortV {
  readonly hostPort?: Opt<number>;
}
export interface ContainerV {
  readonly name?: Opt<string>;
  readonly securityContext?: Opt<SecurityContextV>;
  readonly ports?: Opt<readonly Opt<PortV>[]>;
  readonly livenessProbe?: Opt<HandlerV>;
  readonly readinessProbe?: Opt<HandlerV>;
  readonly startupProbe?: Opt<HandlerV>;
  readonly lifecycle?: Opt<LifecycleV>;
}
export interface VolumeV {
  readonly name?: Opt<string>;
  readonly [source: string]: unknown;
}
export interface PodSpecV {
  readonly hostNetwork?: Opt<boolean>;
  readonly hostPID?: Opt<boolean>;
  readonly hostIPC?: Opt<boolean>;
  readonly hostUsers?: Opt<boolean>;
  readonly os?: Opt<{ readonly name?: Opt<string> }>;
  readonly securityContext?: Opt<PodSecurityContextV>;
  readonly volumes?: Opt<readonly Opt<VolumeV>[]>;
  readonly initContainers?: Opt<readonly Opt<ContainerV>[]>;
  readonly containers?: Opt<readonly Opt<ContainerV>[]>;
  readonly ephemeralContainers?: Opt<readonly Opt<ContainerV>[]>;
}

/** One container with its name and field path (`spec.initContainers[0]`, ...). */
export interface ContainerEntry {
  readonly container: ContainerV;
  readonly name: string;
  readonly path: string;
}

/** What the checks read: annotations, the spec, and every container in upstream visiting order. */
export interface PodView {
  /** Annotation entries (null values read as ""). */
  readonly annotations: readonly (readonly [string, string])[];
  readonly spec: PodSpecV;
  /** initContainers, then containers, then ephemeralContainers. */
  readonly containers: readonly ContainerEntry[];
  /** Prefix of every field path reported (e.g. "spec.template." for a Deployment), may be "". */
  readonly pathPrefix: string;
}

const EMPTY: Readonly<Record<string, never>> = Object.freeze({});

function typeName(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "array";
  return typeof v;
}

function bad(path: string, expected: string, found: unknown): never {
  throw new KubeiamError("POD_OBJECT_INVALID", `${path}: expected ${expected}, found ${typeName(found)}`, {
    field: path,
    expected,
  });
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function obj(v: unknown, path: string): void {
  if (v != null && !isRecord(v)) bad(path, "an object", v);
}
function str(v: unknown, path: string): void {
  if (v != null && typeof v !== "string") bad(path, "a string", v);
}
function bool(v: unknown, path: string): void {
  if (v != null && typeof v !== "boolean") bad(path, "a boolean", v);
}
function int(v: unknown, path: string, min: number, max: number): void {
  if (v == null) return;
  if (typeof v !== "number" || !Number.isInteger(v)) bad(path, "an integer", v);
  if (v < min || v > max)
    throw new KubeiamError("POD_OBJECT_INVALID", `${path}: ${v} is out of range [${min}, ${max}]`, {
      field: path,
    });
}
function arr(v: unknown, path: string): readonly unknown[] {
  if (v == null) return [];
  if (!Array.isArray(v)) bad(path, "an array", v);
  return v as readonly unknown[];
}
function strArray(v: unknown, path: string): void {
  const a = arr(v, path);
  for (let i = 0; i < a.length; i++) str(a[i], `${path}[${i}]`);
}
function rec(v: unknown): Record<string, unknown> {
  return isRecord(v) ? v : EMPTY;
}

const INT32 = 2 ** 31 - 1;
const INT64 = 2 ** 63;

function checkProfile(v: unknown, path: string): void {
  obj(v, path);
  str(rec(v).type, path + ".type");
}

function checkWindows(v: unknown, path: string): void {
  obj(v, path);
  bool(rec(v).hostProcess, path + ".hostProcess");
}

function checkSELinux(v: unknown, path: string): void {
  obj(v, path);
  const o = rec(v);
  str(o.user, path + ".user");
  str(o.role, path + ".role");
  str(o.type, path + ".type");
  str(o.level, path + ".level");
}

function checkContainerSecurityContext(v: unknown, path: string): void {
  obj(v, path);
  if (v == null) return;
  const sc = rec(v);
  bool(sc.privileged, path + ".privileged");
  bool(sc.allowPrivilegeEscalation, path + ".allowPrivilegeEscalation");
  bool(sc.runAsNonRoot, path + ".runAsNonRoot");
  int(sc.runAsUser, path + ".runAsUser", -INT64, INT64);
  str(sc.procMount, path + ".procMount");
  const caps = sc.capabilities;
  obj(caps, path + ".capabilities");
  if (caps != null) {
    strArray(rec(caps).add, path + ".capabilities.add");
    strArray(rec(caps).drop, path + ".capabilities.drop");
  }
  checkSELinux(sc.seLinuxOptions, path + ".seLinuxOptions");
  checkProfile(sc.seccompProfile, path + ".seccompProfile");
  checkProfile(sc.appArmorProfile, path + ".appArmorProfile");
  checkWindows(sc.windowsOptions, path + ".windowsOptions");
}

function checkHandler(v: unknown, path: string): void {
  obj(v, path);
  if (v == null) return;
  const h = rec(v);
  for (const key of ["httpGet", "tcpSocket"] as const) {
    const action = h[key];
    obj(action, `${path}.${key}`);
    str(rec(action).host, `${path}.${key}.host`);
  }
}

function checkContainer(v: unknown, path: string): void {
  obj(v, path);
  if (v == null) return;
  const c = rec(v);
  str(c.name, path + ".name");
  checkContainerSecurityContext(c.securityContext, path + ".securityContext");
  const ports = arr(c.ports, path + ".ports");
  for (let i = 0; i < ports.length; i++) {
    const p = ports[i];
    obj(p, `${path}.ports[${i}]`);
    int(rec(p).hostPort, `${path}.ports[${i}].hostPort`, -INT32 - 1, INT32);
  }
  checkHandler(c.livenessProbe, path + ".livenessProbe");
  checkHandler(c.readinessProbe, path + ".readinessProbe");
  checkHandler(c.startupProbe, path + ".startupProbe");
  const lc = c.lifecycle;
  obj(lc, path + ".lifecycle");
  if (lc != null) {
    checkHandler(rec(lc).postStart, path + ".lifecycle.postStart");
    checkHandler(rec(lc).preStop, path + ".lifecycle.preStop");
  }
}

function checkPodSecurityContext(v: unknown, path: string): void {
  obj(v, path);
  if (v == null) return;
  const sc = rec(v);
  bool(sc.runAsNonRoot, path + ".runAsNonRoot");
  int(sc.runAsUser, path + ".runAsUser", -INT64, INT64);
  checkSELinux(sc.seLinuxOptions, path + ".seLinuxOptions");
  checkProfile(sc.seccompProfile, path + ".seccompProfile");
  checkProfile(sc.appArmorProfile, path + ".appArmorProfile");
  checkWindows(sc.windowsOptions, path + ".windowsOptions");
  const sysctls = arr(sc.sysctls, path + ".sysctls");
  for (let i = 0; i < sysctls.length; i++) {
    obj(sysctls[i], `${path}.sysctls[${i}]`);
    str(rec(sysctls[i]).name, `${path}.sysctls[${i}].name`);
  }
}

function checkVolume(v: unknown, path: string): void {
  obj(v, path);
  if (v == null) return;
  const vol = rec(v);
  str(vol.name, path + ".name");
  for (const key of Object.keys(vol)) {
    // Unknown keys are left to the volume checks (they read a non-null one as an unknown source).
    if (KNOWN_SOURCES.has(key)) obj(vol[key], `${path}.${key}`);
  }
}

const CONTAINER_LISTS = ["initContainers", "containers", "ephemeralContainers"] as const;

/**
 * Checks the shape of the fields the Pod Security checks read and returns the view they use.
 * Throws POD_OBJECT_INVALID naming the first field with a wrong type.
 */
export function readPodView(podMeta: unknown, podSpec: unknown, pathPrefix = ""): PodView {
  obj(podMeta, pathPrefix + "metadata");
  const annotationsIn = rec(podMeta).annotations;
  obj(annotationsIn, pathPrefix + "metadata.annotations");
  const annotations: (readonly [string, string])[] = [];
  if (annotationsIn != null) {
    for (const [k, v] of Object.entries(rec(annotationsIn))) {
      str(v, `${pathPrefix}metadata.annotations[${k}]`);
      annotations.push([k, typeof v === "string" ? v : ""]);
    }
  }

  const specPath = pathPrefix + "spec";
  obj(podSpec, specPath);
  const spec = rec(podSpec);
  bool(spec.hostNetwork, specPath + ".hostNetwork");
  bool(spec.hostPID, specPath + ".hostPID");
  bool(spec.hostIPC, specPath + ".hostIPC");
  bool(spec.hostUsers, specPath + ".hostUsers");
  obj(spec.os, specPath + ".os");
  str(rec(spec.os).name, specPath + ".os.name");
  checkPodSecurityContext(spec.securityContext, specPath + ".securityContext");
  const volumes = arr(spec.volumes, specPath + ".volumes");
  for (let i = 0; i < volumes.length; i++) checkVolume(volumes[i], `${specPath}.volumes[${i}]`);

  const containers: ContainerEntry[] = [];
  for (const list of CONTAINER_LISTS) {
    const items = arr(spec[list], `${specPath}.${list}`);
    for (let i = 0; i < items.length; i++) {
      const path = `${specPath}.${list}[${i}]`;
      const item = items[i];
      checkContainer(item, path);
      const container = rec(item) as ContainerV;
      containers.push({ container, name: container.name ?? "", path });
    }
  }
  return { annotations, spec, containers, pathPrefix };
}
