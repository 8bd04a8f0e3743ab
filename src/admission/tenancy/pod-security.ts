/**
 * Pod Security for the tenancy webhook, as Pod Security Admission applies it: the policy from the
 * namespace's pod-security.kubernetes.io labels (bad enforce → restricted, bad warn/audit →
 * privileged, bad version → latest), tightened by the tenant's level; enforce on pods, warn and
 * audit on pods and workload templates; upstream's texts for denials, warnings, audit annotations
 * and the warnings of a namespace whose enforce level tightens.
 */
import type { Reason } from "../../lib/decision.js";
import { evaluatePodSecurity, type PodMetaLike, type PodSecurityResult } from "../pod-security/evaluate.js";
import {
  compareLevels,
  formatLevelVersion,
  parseVersion,
  tryParseVersion,
} from "../pod-security/level-version.js";
import { aggregateViolations, wouldViolateMessage } from "../pod-security/messages.js";
import {
  parseNamespacePolicy,
  type LabelError,
  type LevelVersion,
  type NamespacePolicy,
} from "../pod-security/namespace-policy.js";
import { ruleAction, type Tenant } from "../../tenancy/tenant.js";
import { isRecord } from "../../tenancy/lib/values.js";
import type { Labels } from "./view.js";

export interface EffectivePolicy {
  readonly policy: NamespacePolicy;
  /** Bad pod-security labels of the namespace (the policy already applies upstream's fallbacks). */
  readonly labelErrors: readonly LabelError[];
  /** Which modes the tenant made stricter than the labels. */
  readonly fromTenant: readonly ("enforce" | "warn" | "audit")[];
}

const PRIVILEGED: LevelVersion = { level: "privileged", version: "latest" };

function stricter(tenant: LevelVersion, label: LevelVersion): { lv: LevelVersion; tenant: boolean } {
  return compareLevels(tenant.level, label.level) >= 0 && tenant.level !== "privileged"
    ? { lv: tenant, tenant: true }
    : { lv: label, tenant: false };
}

const NO_LABELS: Labels = Object.freeze({});
const NO_TENANT = Symbol("no tenant");
/** Label sets are the cache's objects, replaced (never mutated) on change: memoise per identity. */
const memo = new WeakMap<Labels, Map<Tenant | typeof NO_TENANT, EffectivePolicy>>();

/** The namespace labels' policy, each mode made at least as strict as the tenant's level. */
export function effectivePolicy(tenant: Tenant | undefined, labels: Labels | undefined): EffectivePolicy {
  const key = labels ?? NO_LABELS;
  let byTenant = memo.get(key);
  if (!byTenant) memo.set(key, (byTenant = new Map<Tenant | typeof NO_TENANT, EffectivePolicy>()));
  const hit = byTenant.get(tenant ?? NO_TENANT);
  if (hit) return hit;
  const ep = computeEffectivePolicy(tenant, labels);
  byTenant.set(tenant ?? NO_TENANT, ep);
  return ep;
}

function computeEffectivePolicy(tenant: Tenant | undefined, labels: Labels | undefined): EffectivePolicy {
  const parsed = parseNamespacePolicy(labels);
  if (!tenant) return { policy: parsed.policy, labelErrors: parsed.errors, fromTenant: [] };
  const lv: LevelVersion = { level: tenant.podSecurity.level, version: tenant.podSecurity.version };
  const action = ruleAction(tenant, "pod-security");
  const t: NamespacePolicy = {
    enforce: action === "Deny" ? lv : PRIVILEGED,
    warn: action === "Audit" ? PRIVILEGED : lv,
    audit: lv,
  };
  const fromTenant: ("enforce" | "warn" | "audit")[] = [];
  const pick = (mode: "enforce" | "warn" | "audit"): LevelVersion => {
    const s = stricter(t[mode], parsed.policy[mode]);
    if (s.tenant) fromTenant.push(mode);
    return s.lv;
  };
  return {
    policy: { enforce: pick("enforce"), warn: pick("warn"), audit: pick("audit") },
    labelErrors: parsed.errors,
    fromTenant,
  };
}

export function lvString(lv: LevelVersion): string {
  return formatLevelVersion(lv.level, parseVersion(lv.version));
}

function sameLv(a: LevelVersion, b: LevelVersion): boolean {
  return a.level === b.level && a.version === b.version;
}

export interface PodSecurityOutcome {
  /** `violates PodSecurity "…": …` when enforce denies. */
  readonly denial?: string;
  /** The fields the enforce violations point at (first path of each violation), when denied. */
  readonly denialFields?: readonly string[];
  readonly warnings: readonly string[];
  readonly auditAnnotations: Readonly<Record<string, string>>;
  readonly reasons: readonly Reason[];
}

/**
 * Evaluates a pod (enforce = true) or a workload's pod template (enforce = false: warn and audit
 * only). Throws POD_OBJECT_INVALID for a malformed spec.
 */
export function evaluatePodPolicy(
  ep: EffectivePolicy,
  podMeta: PodMetaLike | undefined,
  podSpec: unknown,
  fieldPathPrefix: string,
  enforce: boolean,
): PodSecurityOutcome {
  const { policy } = ep;
  const cache: { lv: LevelVersion; r: PodSecurityResult }[] = [];
  const run = (lv: LevelVersion): PodSecurityResult => {
    const hit = cache.find((c) => sameLv(c.lv, lv));
    if (hit) return hit.r;
    const r = evaluatePodSecurity({
      level: lv.level,
      version: lv.version,
      podMeta: podMeta ?? null,
      podSpec,
      fieldPathPrefix,
    });
    cache.push({ lv, r });
    return r;
  };
  const audit: Record<string, string> = {};
  const reasons: Reason[] = [];
  const warnings: string[] = [];
  let denial: string | undefined;
  let denialFields: string[] = [];
  if (ep.labelErrors.length > 0)
    audit.error = `Failed to parse policy: ${ep.labelErrors.map((e) => e.message).join(", ")}`;
  if (enforce) {
    audit["enforce-policy"] = lvString(policy.enforce);
    if (policy.enforce.level !== "privileged") {
      const r = run(policy.enforce);
      reasons.push(
        ...r.reasons
          .filter((x) => !x.ok || x.check === "psa.policy")
          .map((x) =>
            x.check === "psa.policy"
              ? {
                  ...x,
                  message: `enforce: ${x.message}${ep.fromTenant.includes("enforce") ? " (tenant level)" : ""}`,
                }
              : x,
          ),
      );
      if (!r.allowed) {
        denial = r.message!;
        denialFields = r.violations.map((v) => v.fieldPaths?.[0] ?? `${fieldPathPrefix}spec`);
      }
    }
  }
  if (policy.audit.level !== "privileged") {
    const r = run(policy.audit);
    if (!r.allowed) audit["audit-violations"] = wouldViolateMessage(lvString(policy.audit), r.violations);
  }
  if (denial === undefined && policy.warn.level !== "privileged") {
    const r = run(policy.warn);
    if (!r.allowed) warnings.push(wouldViolateMessage(lvString(policy.warn), r.violations));
  }
  return denial === undefined
    ? { warnings, auditAnnotations: audit, reasons }
    : { denial, denialFields, warnings, auditAnnotations: audit, reasons };
}

function containersByField(spec: unknown, field: string): Record<string, unknown>[] {
  if (!isRecord(spec)) return [];
  const l = spec[field];
  return Array.isArray(l) ? l.filter(isRecord) : [];
}

function annotationsOf(pod: Record<string, unknown>): Record<string, unknown> {
  const m = pod.metadata;
  return isRecord(m) && isRecord(m.annotations) ? m.annotations : {};
}

/** Upstream isSignificantPodUpdate: container counts, images, ephemeral containers, seccomp annotations. */
export function isSignificantPodUpdate(
  pod: Record<string, unknown>,
  oldPod: Record<string, unknown>,
): boolean {
  const spec = pod.spec;
  const oldSpec = oldPod.spec;
  const ann = annotationsOf(pod);
  const oldAnn = annotationsOf(oldPod);
  const significant = (c: Record<string, unknown>, o: Record<string, unknown>): boolean => {
    if (c.image !== o.image) return true;
    const key = `container.seccomp.security.alpha.kubernetes.io/${typeof c.name === "string" ? c.name : ""}`;
    return ann[key] !== oldAnn[key];
  };
  for (const f of ["containers", "initContainers"]) {
    const a = containersByField(spec, f);
    const b = containersByField(oldSpec, f);
    if (a.length !== b.length) return true;
    for (let i = 0; i < a.length; i++) if (significant(a[i]!, b[i]!)) return true;
  }
  const oldEphemeral = containersByField(oldSpec, "ephemeralContainers");
  for (const c of containersByField(spec, "ephemeralContainers")) {
    const o = oldEphemeral.find((x) => x.name === c.name);
    if (!o || significant(c, o)) return true;
  }
  return false;
}

function versionsEqual(a: string, b: string): boolean {
  const x = tryParseVersion(a);
  const y = tryParseVersion(b);
  if (!x || !y) return a === b;
  return x.latest ? y.latest : !y.latest && x.minor === y.minor;
}

/** Most existing pods checked when a namespace's enforce level tightens (upstream's default). */
export const NAMESPACE_MAX_PODS_TO_CHECK = 3000;

/**
 * Warnings for a namespace UPDATE whose enforce level tightens, listing existing pods that would
 * be denied, grouped by violation text as upstream does.
 */
export function namespaceTightenWarnings(
  namespace: string,
  enforce: LevelVersion,
  oldEnforce: LevelVersion,
  pods: readonly Record<string, unknown>[],
): string[] {
  if (
    sameLv(enforce, oldEnforce) ||
    enforce.level === "privileged" ||
    (versionsEqual(enforce.version, oldEnforce.version) && compareLevels(enforce.level, oldEnforce.level) < 0)
  ) {
    return [];
  }
  const total = pods.length;
  const checked = pods.slice(0, NAMESPACE_MAX_PODS_TO_CHECK);
  const byText = new Map<string, { name: string; count: number }>();
  const order: string[] = [];
  for (const pod of checked) {
    const meta = isRecord(pod.metadata) ? pod.metadata : {};
    const name = typeof meta.name === "string" ? meta.name : "";
    let r: PodSecurityResult;
    try {
      r = evaluatePodSecurity({
        level: enforce.level,
        version: enforce.version,
        podMeta: meta,
        podSpec: pod.spec ?? {},
      });
    } catch {
      continue;
    }
    if (r.allowed) continue;
    const text = aggregateViolations(r.violations);
    const c = byText.get(text);
    if (!c) {
      byText.set(text, { name, count: 1 });
      order.push(text);
    } else {
      c.count++;
      if (name < c.name) c.name = name;
    }
  }
  const warnings: string[] = [];
  if (checked.length < total)
    warnings.push(
      `new PodSecurity enforce level only checked against the first ${checked.length} of ${total} existing pods`,
    );
  if (order.length > 0)
    warnings.push(
      `existing pods in namespace ${JSON.stringify(namespace)} violate the new PodSecurity enforce level ${JSON.stringify(lvString(enforce))}`,
    );
  const podWarnings = order.map((text) => {
    const c = byText.get(text)!;
    return c.count === 1
      ? `${c.name}: ${text}`
      : c.count === 2
        ? `${c.name} (and 1 other pod): ${text}`
        : `${c.name} (and ${c.count - 1} other pods): ${text}`;
  });
  podWarnings.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return [...warnings, ...podWarnings];
}
