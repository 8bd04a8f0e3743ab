/**
 * mutateTenancyRequest: the mutating webhook's one JSON Patch for a Pod CREATE, composed in a fixed
 * order — pod identity (supplied by the pod identity engine), tenant node isolation (toleration and
 * nodeSelector), `seccompProfile: RuntimeDefault` where unset, a unique SELinux MCS level (tenants
 * with `seLinux.mcs: PerPod`), and the tenant label — and the tenant label for a Namespace an owner
 * creates. Each step sees the object as patched by the steps before it. Every step only adds what is
 * missing, so a reinvocation with the patched object yields no patch. Pure apart from the MCS
 * allocator it is given (which reserves nothing on dryRun).
 */
import type { Reason } from "../../lib/decision.js";
import type { JsonPatchOp } from "../review.js";
import { escapeJsonPointer } from "../review.js";
import { TENANT_LABEL, type Tenant } from "../../tenancy/tenant.js";
import { isRecord } from "../../tenancy/lib/values.js";
import { applyPatch } from "./lib/json-patch.js";
import { rec, recList, str, strMap, type Obj } from "./lib/fields.js";
import type { TenancyRequest } from "./lib/request.js";
import { tolerates } from "./rules/pod-rules.js";
import type { TenancyView } from "./view.js";

/** Hands out SELinux MCS levels (see tenancy/mcs.ts). */
export interface McsSource {
  allocate(key: string, opts: { reserve: boolean }): string;
}

/** The pod identity step: the JSON Patch the pod identity engine wants for this pod (may be empty). */
export type PodIdentityStep = (pod: Obj, req: TenancyRequest) => readonly JsonPatchOp[];

export interface MutationContext {
  readonly view: TenancyView;
  readonly mcs: McsSource;
  readonly podIdentity?: PodIdentityStep | undefined;
}

export const MUTATION_STEPS = [
  "pod-identity",
  "node-isolation",
  "seccomp-default",
  "selinux-mcs",
  "tenant-labels",
] as const;
export type MutationStepName = (typeof MUTATION_STEPS)[number];

export interface StepOutcome {
  readonly step: MutationStepName;
  readonly patch: readonly JsonPatchOp[];
}

export interface MutationResult {
  /** The composed patch (empty: nothing to change). */
  readonly patch: readonly JsonPatchOp[];
  readonly steps: readonly StepOutcome[];
  readonly tenant?: string;
  readonly summary: string;
  readonly reasons: readonly Reason[];
}

function isWindows(spec: Obj): boolean {
  const os = isRecord(spec.os) ? spec.os : undefined;
  return os?.name === "windows";
}

function nodeIsolationStep(t: Tenant, pod: Obj): JsonPatchOp[] {
  const n = t.nodeIsolation;
  if (!n) return [];
  const spec = rec(pod, "spec", "spec") ?? {};
  const ops: JsonPatchOp[] = [];
  if (n.taint) {
    const tolerations = recList(spec, "tolerations", "spec.tolerations");
    const taint = { key: n.key, value: n.value, effect: n.effect };
    const have = tolerations.some((x) =>
      tolerates(
        {
          key: str(x, "key", "spec.tolerations.key") ?? "",
          operator: str(x, "operator", "spec.tolerations.operator") ?? "",
          value: str(x, "value", "spec.tolerations.value") ?? "",
          effect: str(x, "effect", "spec.tolerations.effect") ?? "",
        },
        taint,
      ),
    );
    if (!have) {
      const tol = { key: n.key, operator: "Equal", value: n.value, effect: n.effect };
      ops.push(
        Array.isArray(spec.tolerations)
          ? { op: "add", path: "/spec/tolerations/-", value: tol }
          : { op: "add", path: "/spec/tolerations", value: [tol] },
      );
    }
  }
  if (n.nodeSelector) {
    const sel = strMap(spec, "nodeSelector", "spec.nodeSelector");
    // a different value for the key is left alone: the validating webhook denies it with a reason
    if (!sel) ops.push({ op: "add", path: "/spec/nodeSelector", value: { [n.key]: n.value } });
    else if (!Object.hasOwn(sel, n.key))
      ops.push({ op: "add", path: `/spec/nodeSelector/${escapeJsonPointer(n.key)}`, value: n.value });
  }
  return ops;
}

function securityContextOp(spec: Obj, field: string, value: unknown): JsonPatchOp {
  const sc = rec(spec, "securityContext", "spec.securityContext");
  return sc
    ? { op: "add", path: `/spec/securityContext/${field}`, value }
    : { op: "add", path: "/spec/securityContext", value: { [field]: value } };
}

function seccompStep(pod: Obj): JsonPatchOp[] {
  const spec = rec(pod, "spec", "spec") ?? {};
  if (isWindows(spec)) return [];
  const sc = rec(spec, "securityContext", "spec.securityContext");
  if (sc && rec(sc, "seccompProfile", "spec.securityContext.seccompProfile")) return [];
  return [securityContextOp(spec, "seccompProfile", { type: "RuntimeDefault" })];
}

function mcsStep(
  t: Tenant,
  pod: Obj,
  req: TenancyRequest,
  mcs: McsSource,
): { ops: JsonPatchOp[]; level?: string } {
  if (t.seLinux.mcs !== "PerPod") return { ops: [] };
  const spec = rec(pod, "spec", "spec") ?? {};
  if (isWindows(spec)) return { ops: [] };
  const sc = rec(spec, "securityContext", "spec.securityContext");
  const se = sc && rec(sc, "seLinuxOptions", "spec.securityContext.seLinuxOptions");
  if (se && (str(se, "level", "spec.securityContext.seLinuxOptions.level") ?? "") !== "") return { ops: [] };
  const meta = rec(pod, "metadata", "metadata") ?? {};
  const name = req.name !== "" ? req.name : (str(meta, "name", "metadata.name") ?? "");
  // a named pod keeps its level across retries; a generateName pod is unique per request
  const key =
    name !== ""
      ? `${req.namespace}/${name}`
      : `${req.namespace}/${str(meta, "generateName", "metadata.generateName") ?? ""}#${req.uid}`;
  const level = mcs.allocate(key, { reserve: !req.dryRun });
  const op: JsonPatchOp = se
    ? { op: "add", path: "/spec/securityContext/seLinuxOptions/level", value: level }
    : securityContextOp(spec, "seLinuxOptions", { level });
  return { ops: [op], level };
}

function labelStep(t: Tenant, obj: Obj): JsonPatchOp[] {
  const meta = rec(obj, "metadata", "metadata");
  const labels = meta && strMap(meta, "labels", "metadata.labels");
  if (!meta) return [{ op: "add", path: "/metadata", value: { labels: { [TENANT_LABEL]: t.name } } }];
  if (!labels) return [{ op: "add", path: "/metadata/labels", value: { [TENANT_LABEL]: t.name } }];
  if (labels[TENANT_LABEL] === t.name) return [];
  return [
    {
      op: Object.hasOwn(labels, TENANT_LABEL) ? "replace" : "add",
      path: `/metadata/labels/${escapeJsonPointer(TENANT_LABEL)}`,
      value: t.name,
    },
  ];
}

/**
 * The patch for one request. Throws ADMISSION_OBJECT_INVALID when a field it reads has the wrong type.
 */
export function mutateTenancyRequest(req: TenancyRequest, ctx: MutationContext): MutationResult {
  const resource = `${req.resource.group}/${req.resource.resource}`;
  const reasons: Reason[] = [];
  const steps: StepOutcome[] = [];
  const none = (summary: string): MutationResult => ({ patch: [], steps, summary, reasons });
  if (req.operation !== "CREATE" || req.subResource !== "" || !req.object)
    return none(
      `${req.operation} ${resource}${req.subResource ? "/" + req.subResource : ""}: nothing to mutate`,
    );

  if (resource === "/namespaces") {
    const name =
      req.name !== ""
        ? req.name
        : (str(rec(req.object, "metadata", "metadata") ?? {}, "name", "metadata.name") ?? "");
    const t = ctx.view.index.ownedBy(req.userInfo).find((x) => ctx.view.index.nameMatches(x, name));
    if (!t) return none(`namespace "${name}" is not created by an owner of a matching tenant; unchanged`);
    const ops = labelStep(t, req.object);
    steps.push({ step: "tenant-labels", patch: ops });
    reasons.push({
      check: "mutate.tenant-labels",
      ok: true,
      message: ops.length > 0 ? `label ${TENANT_LABEL}=${t.name} added` : "tenant label already present",
      source: `Tenant/${t.name}`,
    });
    return {
      patch: ops,
      steps,
      tenant: t.name,
      summary: `namespace "${name}" of tenant "${t.name}": ${ops.length} patch operation(s)`,
      reasons,
    };
  }
  if (resource !== "/pods") return none(`${resource}: nothing to mutate`);

  const owner =
    req.namespace !== ""
      ? ctx.view.index.ownerOf(req.namespace, ctx.view.namespaceLabels(req.namespace))
      : undefined;
  const t = owner?.tenant;
  let pod: Obj = req.object;
  const patch: JsonPatchOp[] = [];
  const run = (step: MutationStepName, ops: readonly JsonPatchOp[], message: string): void => {
    steps.push({ step, patch: ops });
    reasons.push({
      check: `mutate.${step}`,
      ok: true,
      message: ops.length > 0 ? message : `${step}: nothing to add`,
      ...(t ? { source: `Tenant/${t.name}` } : {}),
    });
    if (ops.length === 0) return;
    pod = applyPatch(pod, ops);
    patch.push(...ops);
  };

  if (ctx.podIdentity)
    run("pod-identity", ctx.podIdentity(pod, req), "pod identity: service account role injected");
  if (t) {
    const n = t.nodeIsolation;
    run(
      "node-isolation",
      nodeIsolationStep(t, pod),
      n
        ? `node isolation: ${n.taint ? `toleration ${n.key}=${n.value}:${n.effect}` : ""}${n.taint && n.nodeSelector ? " and " : ""}${n.nodeSelector ? `nodeSelector ${n.key}=${n.value}` : ""} added where missing`
        : "node isolation: none configured",
    );
    run("seccomp-default", seccompStep(pod), "seccompProfile RuntimeDefault set on the pod");
    const m = mcsStep(t, pod, req, ctx.mcs);
    run(
      "selinux-mcs",
      m.ops,
      `SELinux MCS level ${m.level ?? ""} assigned${req.dryRun ? " (dry run: not reserved)" : ""}`,
    );
    run("tenant-labels", labelStep(t, pod), `label ${TENANT_LABEL}=${t.name} set`);
  }
  const who = `${req.namespace}/${req.name !== "" ? req.name : "(generated name)"}`;
  const summary = t
    ? `pod ${who} of tenant "${t.name}": ${patch.length} patch operation(s)`
    : `pod ${who} (no tenant): ${patch.length} patch operation(s)`;
  return t ? { patch, steps, tenant: t.name, summary, reasons } : { patch, steps, summary, reasons };
}
