/**
 * Tenant rules for a pod spec (a Pod's, or a workload's pod template): node isolation (own
 * toleration and node selection, none of another tenant's, a directly named node must be a tenant
 * node), host paths, and added capabilities.
 */
import { posix } from "node:path";
import { normaliseCapability, type NodeIsolation, type Tenant } from "../../../tenancy/tenant.js";
import { bool, containersOf, list, rec, recList, str, strList, strMap, type Obj } from "../lib/fields.js";
import type { TenancyView, TenantViolation } from "../view.js";

export interface PodRuleOptions {
  /** Path of the pod spec in the object: `spec`, or `spec.template.spec` for a Deployment. */
  readonly specPath: string;
  /**
   * For workload templates: skip the "must carry the tenant's toleration / node selector" checks
   * (the mutating webhook adds them to each pod) and the node-name check.
   */
  readonly template: boolean;
}

interface Toleration {
  readonly key: string;
  readonly operator: string;
  readonly value: string;
  readonly effect: string;
}

function readTolerations(spec: Obj, specPath: string): Toleration[] {
  return recList(spec, "tolerations", `${specPath}.tolerations`).map((t, i) => {
    const p = `${specPath}.tolerations[${i}]`;
    return {
      key: str(t, "key", `${p}.key`) ?? "",
      operator: str(t, "operator", `${p}.operator`) ?? "",
      value: str(t, "value", `${p}.value`) ?? "",
      effect: str(t, "effect", `${p}.effect`) ?? "",
    };
  });
}

/** core/v1 Toleration.ToleratesTaint. */
export function tolerates(t: Toleration, taint: { key: string; value: string; effect: string }): boolean {
  if (t.effect !== "" && t.effect !== taint.effect) return false;
  if (t.key !== "" && t.key !== taint.key) return false;
  if (t.operator === "" || t.operator === "Equal") return t.value === taint.value;
  return t.operator === "Exists";
}

function taintOf(n: NodeIsolation): { key: string; value: string; effect: string } {
  return { key: n.key, value: n.value, effect: n.effect };
}

function taintText(n: NodeIsolation): string {
  return `${n.key}=${n.value}:${n.effect}`;
}

interface Term {
  readonly path: string;
  readonly expressions: readonly { key: string; operator: string; values: readonly string[]; path: string }[];
}

function requiredTerms(spec: Obj, specPath: string): Term[] | undefined {
  const aff = rec(spec, "affinity", `${specPath}.affinity`);
  const na = aff && rec(aff, "nodeAffinity", `${specPath}.affinity.nodeAffinity`);
  const reqPath = `${specPath}.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution`;
  const req = na && rec(na, "requiredDuringSchedulingIgnoredDuringExecution", reqPath);
  if (!req) return undefined;
  return recList(req, "nodeSelectorTerms", `${reqPath}.nodeSelectorTerms`).map((term, i) => {
    const tp = `${reqPath}.nodeSelectorTerms[${i}]`;
    return {
      path: tp,
      expressions: recList(term, "matchExpressions", `${tp}.matchExpressions`).map((e, j) => {
        const ep = `${tp}.matchExpressions[${j}]`;
        return {
          key: str(e, "key", `${ep}.key`) ?? "",
          operator: str(e, "operator", `${ep}.operator`) ?? "",
          values: strList(e, "values", `${ep}.values`),
          path: ep,
        };
      }),
    };
  });
}

/** True when every required node-affinity term pins `key` to exactly `value`. */
function affinityPins(terms: readonly Term[] | undefined, n: NodeIsolation): boolean {
  if (!terms || terms.length === 0) return false;
  return terms.every((t) =>
    t.expressions.some(
      (e) =>
        e.key === n.key && e.operator === "In" && e.values.length > 0 && e.values.every((v) => v === n.value),
    ),
  );
}

function sameNodes(a: NodeIsolation, b: NodeIsolation): boolean {
  return a.key === b.key && a.value === b.value;
}

function nodeIsolationRules(
  t: Tenant,
  all: readonly Tenant[],
  spec: Obj,
  opts: PodRuleOptions,
  view: TenancyView,
  out: TenantViolation[],
): void {
  const { specPath } = opts;
  const tolerations = readTolerations(spec, specPath);
  const nodeSelector = strMap(spec, "nodeSelector", `${specPath}.nodeSelector`) ?? {};
  const terms = requiredTerms(spec, specPath);
  const own = t.nodeIsolation;
  const v = (rule: TenantViolation["rule"], field: string, message: string): void =>
    void out.push({ rule, tenant: t.name, field, message });

  if (own && !opts.template) {
    if (own.taint && !tolerations.some((x) => tolerates(x, taintOf(own)))) {
      v(
        "node-isolation.toleration",
        `${specPath}.tolerations`,
        `must tolerate the tenant's node taint ${taintText(own)}`,
      );
    }
    if (own.nodeSelector && nodeSelector[own.key] !== own.value && !affinityPins(terms, own)) {
      v(
        "node-isolation.node-selector",
        `${specPath}.nodeSelector`,
        `must select the tenant's nodes with ${own.key}=${own.value} (nodeSelector or required node affinity)`,
      );
    }
    const nodeName = str(spec, "nodeName", `${specPath}.nodeName`);
    if (nodeName !== undefined && nodeName !== "") {
      const node = view.node(nodeName);
      if (!node)
        v(
          "node-isolation.node-name",
          `${specPath}.nodeName`,
          `node "${nodeName}" is not known to kubeiam, so it cannot be verified as one of the tenant's nodes; leave nodeName empty and let the scheduler place the pod`,
        );
      else {
        if (own.nodeSelector && node.labels[own.key] !== own.value)
          v(
            "node-isolation.node-name",
            `${specPath}.nodeName`,
            `node "${nodeName}" is not labelled ${own.key}=${own.value}`,
          );
        else if (
          own.taint &&
          !node.taints.some((x) => x.key === own.key && x.value === own.value && x.effect === own.effect)
        )
          v(
            "node-isolation.node-name",
            `${specPath}.nodeName`,
            `node "${nodeName}" does not carry the tenant's taint ${taintText(own)}`,
          );
      }
    }
  }

  const others = all.filter((o) => o !== t && o.nodeIsolation && !(own && sameNodes(own, o.nodeIsolation)));
  tolerations.forEach((tol, i) => {
    const hit = others.filter((o) => o.nodeIsolation!.taint && tolerates(tol, taintOf(o.nodeIsolation!)));
    if (hit.length > 0) {
      v(
        "node-isolation.foreign-toleration",
        `${specPath}.tolerations[${i}]`,
        `tolerates ${hit.length === 1 ? "a taint" : "taints"} reserved for other tenants' nodes (${hit.map((o) => taintText(o.nodeIsolation!)).join(", ")})`,
      );
    }
  });
  for (const o of others) {
    const n = o.nodeIsolation!;
    if (nodeSelector[n.key] === n.value)
      v(
        "node-isolation.foreign-node-selector",
        `${specPath}.nodeSelector[${n.key}]`,
        `selects nodes reserved for another tenant (${n.key}=${n.value})`,
      );
    for (const term of terms ?? []) {
      for (const e of term.expressions) {
        if (e.key === n.key && e.operator === "In" && e.values.includes(n.value))
          v(
            "node-isolation.foreign-node-selector",
            e.path,
            `selects nodes reserved for another tenant (${n.key}=${n.value})`,
          );
      }
    }
  }
}

/** Normalises a host path; undefined when it climbs with "..". */
function cleanPath(p: string): string | undefined {
  if (!p.startsWith("/")) return undefined;
  const n = posix.normalize(p);
  if (p.split("/").includes("..")) return undefined;
  return n.length > 1 ? n.replace(/\/+$/, "") : n;
}

function underPrefix(path: string, prefix: string): boolean {
  return path === prefix || path.startsWith(prefix + "/");
}

function hostPathRules(t: Tenant, spec: Obj, specPath: string, out: TenantViolation[]): void {
  const volumes = recList(spec, "volumes", `${specPath}.volumes`);
  const allowed = t.hostPaths.allowed;
  const hostVolumes = new Map<string, string>();
  volumes.forEach((vol, i) => {
    const vp = `${specPath}.volumes[${i}]`;
    const hp = rec(vol, "hostPath", `${vp}.hostPath`);
    if (!hp) return;
    const name = str(vol, "name", `${vp}.name`) ?? "";
    const path = str(hp, "path", `${vp}.hostPath.path`) ?? "";
    if (allowed.length === 0) {
      out.push({
        rule: "host-paths",
        tenant: t.name,
        field: `${vp}.hostPath`,
        message: `hostPath volumes are not allowed (volume "${name}", path "${path}")`,
      });
      return;
    }
    const clean = cleanPath(path);
    const ok = clean !== undefined && allowed.some((a) => underPrefix(clean, a.pathPrefix));
    if (!ok) {
      out.push({
        rule: "host-paths",
        tenant: t.name,
        field: `${vp}.hostPath.path`,
        message: `"${path}" is not under an allowed host path prefix (${allowed.map((a) => a.pathPrefix).join(", ")})`,
      });
      return;
    }
    hostVolumes.set(name, path);
  });
  if (hostVolumes.size === 0) return;
  for (const c of containersOf(spec, specPath)) {
    recList(c.container, "volumeMounts", `${c.path}.volumeMounts`).forEach((m, k) => {
      const mp = `${c.path}.volumeMounts[${k}]`;
      const name = str(m, "name", `${mp}.name`) ?? "";
      if (hostVolumes.has(name) && bool(m, "readOnly", `${mp}.readOnly`) !== true) {
        out.push({
          rule: "host-paths",
          tenant: t.name,
          field: `${mp}.readOnly`,
          message: `hostPath volume "${name}" must be mounted read-only`,
        });
      }
    });
  }
}

function capabilityRules(t: Tenant, spec: Obj, specPath: string, out: TenantViolation[]): void {
  const allowed = t.capabilities.allowedAdd;
  for (const c of containersOf(spec, specPath)) {
    const sc = rec(c.container, "securityContext", `${c.path}.securityContext`);
    const caps = sc && rec(sc, "capabilities", `${c.path}.securityContext.capabilities`);
    if (!caps) continue;
    strList(caps, "add", `${c.path}.securityContext.capabilities.add`).forEach((cap, k) => {
      if (!allowed.includes(normaliseCapability(cap))) {
        out.push({
          rule: "capabilities",
          tenant: t.name,
          field: `${c.path}.securityContext.capabilities.add[${k}]`,
          message: `container "${c.name}" may not add capability "${cap}" (allowed: ${allowed.length === 0 ? "none" : allowed.join(", ")})`,
        });
      }
    });
  }
}

/** Every tenant-rule violation of a pod spec in a namespace of tenant `t`. */
export function podRuleViolations(
  t: Tenant,
  spec: Obj,
  opts: PodRuleOptions,
  view: TenancyView,
): TenantViolation[] {
  const out: TenantViolation[] = [];
  nodeIsolationRules(t, view.index.tenants, spec, opts, view, out);
  hostPathRules(t, spec, opts.specPath, out);
  capabilityRules(t, spec, opts.specPath, out);
  // touch the list type of volumes even without host paths, so a malformed spec is reported
  list(spec, "volumes", `${opts.specPath}.volumes`);
  return out;
}
