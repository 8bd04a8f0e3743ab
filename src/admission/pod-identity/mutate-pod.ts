/**
 * mutatePodForIdentity: the JSON Patch that gives a Pod the web identity of its ServiceAccount's IAM
 * role, exactly as aws/amazon-eks-pod-identity-webhook builds it (spec irsa-sts §1.4): env vars
 * AWS_STS_REGIONAL_ENDPOINTS, AWS_DEFAULT_REGION, AWS_REGION, AWS_ROLE_ARN, AWS_WEB_IDENTITY_TOKEN_FILE
 * (in that order, each only when missing), a read-only mount of the projected token volume in every
 * init container and container not skipped, and the volume itself. Pure: no I/O, no clock.
 */
import type { Reason } from "../../lib/decision.js";
import type { KubeObject } from "../../store/types.js";
import type { JsonPatchOp } from "../review.js";
import { derivedSettings, TOKEN_FILE_NAME, TOKEN_VOLUME_NAME, type PodIdentityConfig } from "./config.js";
import { decodePod, type DecodedContainer, type DecodedPod, type JsonObject } from "./lib/decode-pod.js";
import { readCsvRecord } from "./lib/go-csv.js";
import { annotation, parseTokenExpiration, readServiceAccountIdentity } from "./read-service-account.js";

export interface PodIdentityInput {
  /** The Pod as received (AdmissionReview `request.object`). */
  readonly pod: unknown;
  /** The namespace of the request (upstream ignores the object's own); defaults to the object's. */
  readonly namespace?: string | undefined;
  /** The pod's ServiceAccount, or undefined when it is not known (the pod is then left alone). */
  readonly serviceAccount: KubeObject | undefined;
  readonly config: PodIdentityConfig;
}

export interface PodIdentityResult {
  /** Empty when the pod is left as it is. */
  readonly patch: readonly JsonPatchOp[];
  readonly reasons: readonly Reason[];
  readonly namespace: string;
  readonly serviceAccountName: string;
  /** The role injected, when one resolved. */
  readonly roleArn?: string;
  /** One line for logs and the decision log. */
  readonly summary: string;
}

export const ENV_ROLE_ARN = "AWS_ROLE_ARN";
export const ENV_TOKEN_FILE = "AWS_WEB_IDENTITY_TOKEN_FILE";
export const ENV_REGION = "AWS_REGION";
export const ENV_DEFAULT_REGION = "AWS_DEFAULT_REGION";
export const ENV_STS_REGIONAL_ENDPOINTS = "AWS_STS_REGIONAL_ENDPOINTS";

/** The ServiceAccount a pod runs as: spec.serviceAccountName, or "default" when unset. */
export function serviceAccountNameOf(pod: Pick<DecodedPod, "serviceAccountName">): string {
  return pod.serviceAccountName === "" ? "default" : pod.serviceAccountName;
}

/** Upstream's isWindowsPod: only the nodeSelector counts (not node affinity). */
function isWindowsPod(pod: DecodedPod): boolean {
  return (
    pod.nodeSelector["kubernetes.io/os"] === "windows" ||
    pod.nodeSelector["beta.kubernetes.io/os"] === "windows"
  );
}

interface Injection {
  readonly roleArn: string;
  readonly tokenFile: string;
  readonly useRegionalSts: boolean;
  readonly region: string;
  readonly mountPath: string;
  readonly skip: ReadonlySet<string>;
}

interface ContainerOutcome {
  readonly value: JsonObject;
  readonly changed: boolean;
  /** What happened, without the container's name (containers with the same outcome share a reason). */
  readonly outcome: string;
}

const envVar = (name: string, value: string): JsonObject => (value === "" ? { name } : { name, value });

// Outcome flags of one container; the reason text for each combination is built once.
const ADDED_STS = 1;
const ADDED_REGION = 2;
const ADDED_ID = 4;
const ADDED_MOUNT = 8;
const KEPT_ID = 16;
const KEPT_REGION = 32;
const KEPT_STS = 64;
const KEPT_MOUNT = 128;
const OUTCOME_TEXT = new Map<number, string>();

function outcomeText(flags: number): string {
  let text = OUTCOME_TEXT.get(flags);
  if (text !== undefined) return text;
  const added: string[] = [];
  if (flags & ADDED_STS) added.push(ENV_STS_REGIONAL_ENDPOINTS);
  if (flags & ADDED_REGION) added.push(ENV_DEFAULT_REGION, ENV_REGION);
  if (flags & ADDED_ID) added.push(ENV_ROLE_ARN, ENV_TOKEN_FILE);
  if (flags & ADDED_MOUNT) added.push(`the ${TOKEN_VOLUME_NAME} mount`);
  const own: string[] = [];
  if (flags & KEPT_ID) own.push(`${ENV_ROLE_ARN}/${ENV_TOKEN_FILE}`);
  if (flags & KEPT_REGION) own.push("region");
  if (flags & KEPT_STS) own.push(ENV_STS_REGIONAL_ENDPOINTS);
  if (flags & KEPT_MOUNT) own.push(`${TOKEN_VOLUME_NAME} mount`);
  const keptText = own.length > 0 ? `kept its own ${own.join(", ")}` : "";
  if (added.length === 0) text = `left unchanged: nothing to add (${keptText})`;
  else {
    const last = added.length > 1 && flags & ADDED_MOUNT ? ` and ${added.pop()!}` : "";
    text = `added ${added.join(", ")}${last}${keptText === "" ? "" : ` (${keptText})`}`;
  }
  OUTCOME_TEXT.set(flags, text);
  return text;
}

const SKIPPED = "skipped (listed in skip-containers)";
const HAS_ALL = "left unchanged: it sets its own identity, region and STS endpoint variables";

/** Upstream's addEnvToContainer for one container. */
function injectIntoContainer(c: DecodedContainer, inj: Injection): ContainerOutcome {
  if (inj.skip.has(c.name)) return { value: c.raw, changed: false, outcome: SKIPPED };
  let idDefined = false;
  let regionDefined = false;
  let stsDefined = false;
  for (const n of c.env ?? []) {
    if (n === ENV_ROLE_ARN || n === ENV_TOKEN_FILE) idDefined = true;
    else if (n === ENV_REGION || n === ENV_DEFAULT_REGION) regionDefined = true;
    else if (n === ENV_STS_REGIONAL_ENDPOINTS) stsDefined = true;
  }
  if (idDefined && regionDefined && stsDefined) return { value: c.raw, changed: false, outcome: HAS_ALL };
  let flags = (idDefined ? KEPT_ID : 0) | (regionDefined ? KEPT_REGION : 0) | (stsDefined ? KEPT_STS : 0);
  const added: JsonObject[] = [];
  if (!stsDefined && inj.useRegionalSts) {
    added.push(envVar(ENV_STS_REGIONAL_ENDPOINTS, "regional"));
    flags |= ADDED_STS;
  }
  if (!regionDefined && inj.region !== "") {
    added.push(envVar(ENV_DEFAULT_REGION, inj.region), envVar(ENV_REGION, inj.region));
    flags |= ADDED_REGION;
  }
  if (!idDefined) {
    added.push(envVar(ENV_ROLE_ARN, inj.roleArn), envVar(ENV_TOKEN_FILE, inj.tokenFile));
    flags |= ADDED_ID;
  }
  // Only the name decides whether the mount exists; a mount of that name elsewhere is kept.
  const mountExists = c.volumeMounts !== undefined && c.volumeMounts.includes(TOKEN_VOLUME_NAME);
  flags |= mountExists ? KEPT_MOUNT : ADDED_MOUNT;
  if (added.length === 0 && mountExists) return { value: c.raw, changed: false, outcome: outcomeText(flags) };
  // Object.assign rather than a spread: several times faster on objects fresh from JSON.parse.
  const value: JsonObject = Object.assign({}, c.raw);
  if (added.length > 0) value.env = listOf(c.raw.env).concat(added);
  if (!mountExists)
    value.volumeMounts = listOf(c.raw.volumeMounts).concat([
      { name: TOKEN_VOLUME_NAME, readOnly: true, mountPath: inj.mountPath },
    ]);
  return { value, changed: true, outcome: outcomeText(flags) };
}

const NO_ITEMS: readonly unknown[] = [];

function listOf(v: unknown): readonly unknown[] {
  return Array.isArray(v) ? v : NO_ITEMS;
}

function podRef(namespace: string, pod: DecodedPod): string {
  const name =
    pod.name !== "" ? pod.name : pod.generateName !== "" ? `${pod.generateName}(generated)` : "(unnamed)";
  return `${namespace}/${name}`;
}

/**
 * Throws ADMISSION_OBJECT_INVALID (Go's decode error text) when a field the webhook reads has the
 * wrong JSON type.
 */
export function mutatePodForIdentity(input: PodIdentityInput): PodIdentityResult {
  return mutateDecodedPod(decodePod(input.pod), input);
}

/** mutatePodForIdentity for a pod already decoded with decodePod (the review path decodes once). */
export function mutateDecodedPod(pod: DecodedPod, input: Omit<PodIdentityInput, "pod">): PodIdentityResult {
  const { config } = input;
  const namespace = input.namespace ?? pod.namespace;
  const serviceAccountName = serviceAccountNameOf(pod);
  const saRef = `${namespace}/${serviceAccountName}`;
  const base = { namespace, serviceAccountName };
  const reasons: Reason[] = [];
  const leave = (why: string): PodIdentityResult => ({
    ...base,
    patch: [],
    reasons,
    summary: `pod ${podRef(namespace, pod)} not mutated: ${why}`,
  });

  const sa = input.serviceAccount;
  if (!sa) {
    reasons.push({
      check: "pod-identity.service-account",
      ok: false,
      message: `service account ${saRef} not found; the pod is admitted unchanged`,
      source: `ServiceAccount ${saRef}`,
    });
    return leave(`service account ${saRef} not found`);
  }
  const identity = readServiceAccountIdentity(sa, config);
  reasons.push(...identity.reasons);
  if (identity.roleArn === "") return leave(`service account ${saRef} has no role`);

  // Token lifetime: pod annotation > ServiceAccount annotation > default.
  const derived = derivedSettings(config);
  const keys = derived.keys;
  let tokenExpiration = identity.tokenExpiration;
  let expirationFrom =
    annotation(sa, keys.tokenExpiration) === undefined ? "default" : `ServiceAccount annotation`;
  const podExp = pod.annotations[keys.tokenExpiration];
  if (podExp !== undefined) {
    const parsed = parseTokenExpiration(podExp, config.minTokenExpiration);
    if (parsed === undefined) {
      reasons.push({
        check: "pod-identity.token-expiration",
        ok: false,
        message: `ignored pod annotation ${keys.tokenExpiration}=${JSON.stringify(podExp)} (not a base-10 integer)`,
        source: `Pod annotation ${keys.tokenExpiration}`,
        expected: "an integer number of seconds",
        actual: podExp,
      });
    } else {
      tokenExpiration = parsed.value;
      expirationFrom = "pod annotation";
      if (parsed.raised) {
        reasons.push({
          check: "pod-identity.token-expiration",
          ok: false,
          message: `pod annotation ${keys.tokenExpiration}=${podExp} is below the minimum; raised to ${parsed.value}`,
          source: `Pod annotation ${keys.tokenExpiration}`,
          expected: `>= ${config.minTokenExpiration}`,
          actual: podExp,
        });
      }
    }
  }

  // skip-containers: one CSV record; a parse error skips nothing.
  const skip = new Set<string>();
  const skipRaw = pod.annotations[keys.skipContainers];
  if (skipRaw !== undefined) {
    const names = readCsvRecord(skipRaw);
    const source = `Pod annotation ${keys.skipContainers}`;
    if (names === undefined) {
      reasons.push({
        check: "pod-identity.skip-containers",
        ok: false,
        message: `could not read ${JSON.stringify(skipRaw)} as one CSV record; no container is skipped`,
        source,
        actual: skipRaw,
      });
    } else {
      for (const n of names) skip.add(n);
      reasons.push({
        check: "pod-identity.skip-containers",
        ok: true,
        message: `skipping containers named ${names.map((n) => JSON.stringify(n)).join(", ")}`,
        source,
        actual: names,
      });
    }
  }

  const windows = isWindowsPod(pod);
  const tokenFile = windows ? derived.windowsTokenFile : derived.tokenFile;
  if (windows) {
    reasons.push({
      check: "pod-identity.windows",
      ok: true,
      message: `Windows pod (nodeSelector): token file ${tokenFile}; the mount path stays ${config.tokenMountPath}`,
      source: "spec.nodeSelector",
      actual: tokenFile,
    });
  }

  const inj: Injection = {
    roleArn: identity.roleArn,
    tokenFile,
    useRegionalSts: identity.useRegionalSts,
    region: config.region,
    mountPath: config.tokenMountPath,
    skip,
  };
  // Init containers first, then containers; one reason per distinct outcome.
  let changed = false;
  const byOutcome = new Map<string, string[]>();
  const inject = (list: readonly DecodedContainer[], init: boolean): JsonObject[] => {
    const out = new Array<JsonObject>(list.length);
    for (let i = 0; i < list.length; i++) {
      const c = list[i]!;
      const r = injectIntoContainer(c, inj);
      if (r.changed) changed = true;
      const label = `${c.name === "" ? `#${i}` : c.name}${init ? " (init)" : ""}`;
      const names = byOutcome.get(r.outcome);
      if (names) names.push(label);
      else byOutcome.set(r.outcome, [label]);
      out[i] = r.value;
    }
    return out;
  };
  const initContainers = inject(pod.initContainers, true);
  const containers = inject(pod.containers, false);
  for (const [outcome, names] of byOutcome) {
    reasons.push({
      check: "pod-identity.containers",
      ok: true,
      message: `${names.length === 1 ? "container" : "containers"} ${names.join(", ")}: ${outcome}`,
      source: "spec.initContainers, spec.containers",
    });
  }

  const patch: JsonPatchOp[] = [];
  if (!(pod.volumeNames ?? []).includes(TOKEN_VOLUME_NAME)) {
    const volume = {
      name: TOKEN_VOLUME_NAME,
      projected: {
        sources: [
          {
            serviceAccountToken: {
              ...(identity.audience === "" ? {} : { audience: identity.audience }),
              expirationSeconds: tokenExpiration,
              path: TOKEN_FILE_NAME,
            },
          },
        ],
      },
    };
    // No volumes at all: add the list. Otherwise (even an empty list) put the volume first.
    patch.push(
      pod.volumeNames === undefined
        ? { op: "add", path: "/spec/volumes", value: [volume] }
        : { op: "add", path: "/spec/volumes/0", value: volume },
    );
    changed = true;
    reasons.push({
      check: "pod-identity.volume",
      ok: true,
      message: `added projected volume ${TOKEN_VOLUME_NAME}: audience "${identity.audience}" (${identity.audienceFrom}), token lifetime ${tokenExpiration} s (${expirationFrom})`,
      source: "spec.volumes",
    });
  } else {
    reasons.push({
      check: "pod-identity.volume",
      ok: true,
      message: `kept the pod's own volume named ${TOKEN_VOLUME_NAME}`,
      source: "spec.volumes",
    });
  }
  patch.push({ op: "add", path: "/spec/containers", value: containers });
  if (initContainers.length > 0)
    patch.push({ op: "add", path: "/spec/initContainers", value: initContainers });

  if (!changed && config.emitUnchangedPatch !== true) {
    return { ...leave("it already has everything the role needs"), roleArn: identity.roleArn };
  }
  return {
    ...base,
    patch,
    reasons,
    roleArn: identity.roleArn,
    summary: `pod ${podRef(namespace, pod)} given role ${identity.roleArn} (service account ${saRef})`,
  };
}
