/**
 * validateTenancyRequest: the verdict of the validating webhook for one TenancyRequest — Pod
 * Security (per tenant and per namespace labels, as PSA reads them) and the tenant rules, with
 * upstream's response shapes: 403 Forbidden denials naming rule, field and tenant, 422 Invalid for
 * bad pod-security namespace labels, warnings (warn mode, workload templates) and audit annotations.
 * Pure: reads the cluster through a TenancyView, never the clock.
 */
import type { Reason } from "../../lib/decision.js";
import { isKubeiamError } from "../../lib/errors.js";
import { extractPodSpec, isPodSecurityKind } from "../pod-security/extract-pod-spec.js";
import { ruleAction, type Tenant } from "../../tenancy/tenant.js";
import { MANAGED_BY_LABEL, MANAGED_BY_VALUE, type TenantRuleId } from "../../tenancy/rules.js";
import { isRecord } from "../../tenancy/lib/values.js";
import { rec, str, strMap, type Obj } from "./lib/fields.js";
import type { TenancyRequest } from "./lib/request.js";
import {
  effectivePolicy,
  evaluatePodPolicy,
  isSignificantPodUpdate,
  lvString,
  namespaceTightenWarnings,
  type PodSecurityOutcome,
} from "./pod-security.js";
import { podRuleViolations } from "./rules/pod-rules.js";
import {
  namespaceCreateViolations,
  namespaceUpdateViolations,
  roleBindingViolations,
  serviceViolations,
  statusWriteViolation,
} from "./rules/object-rules.js";
import {
  formatViolation,
  violationKey,
  type Labels,
  type TenancyView,
  type TenantViolation,
} from "./view.js";

/** The answer, before it is put in an AdmissionReview. */
export interface Verdict {
  readonly allowed: boolean;
  /** Set when denied: 403 Forbidden (rules), 422 Invalid (namespace labels), 400 BadRequest. */
  readonly status?: {
    readonly code: number;
    readonly reason: "Forbidden" | "Invalid" | "BadRequest";
    readonly message: string;
  };
  readonly warnings: readonly string[];
  readonly auditAnnotations: Readonly<Record<string, string>>;
}

export interface ValidationResult {
  readonly verdict: Verdict;
  /** The tenant of the namespace (or of the subject), when there is one. */
  readonly tenant?: string;
  /** Violations by what happened to them. */
  readonly denied: readonly TenantViolation[];
  readonly warned: readonly TenantViolation[];
  readonly audited: readonly TenantViolation[];
  readonly summary: string;
  readonly reasons: readonly Reason[];
}

/** Resources whose kubeiam-generated objects tenant subjects may not change or delete, with their kind. */
const MANAGED_RESOURCES: Readonly<Record<string, string>> = {
  "networking.k8s.io/networkpolicies": "NetworkPolicy",
  "/resourcequotas": "ResourceQuota",
  "/limitranges": "LimitRange",
  "rbac.authorization.k8s.io/rolebindings": "RoleBinding",
};

/** Pod subresources Pod Security ignores (admission.go ignoredPodSubresources). */
const IGNORED_POD_SUBRESOURCES = new Set([
  "exec",
  "attach",
  "binding",
  "eviction",
  "log",
  "portforward",
  "proxy",
  "status",
]);

/** Workload resources whose pod template is checked with warnings (never denied), by group. */
const WORKLOAD_RESOURCES: Readonly<Record<string, string>> = {
  "/podtemplates": "",
  "/replicationcontrollers": "",
  "apps/deployments": "apps",
  "apps/replicasets": "apps",
  "apps/statefulsets": "apps",
  "apps/daemonsets": "apps",
  "batch/jobs": "batch",
  "batch/cronjobs": "batch",
};

function labelsOf(obj: Obj | null): Labels {
  if (!obj) return {};
  const meta = rec(obj, "metadata", "metadata");
  return (meta && strMap(meta, "labels", "metadata.labels")) ?? {};
}

function qualifiedResource(req: TenancyRequest): string {
  return req.resource.group === "" ? req.resource.resource : `${req.resource.resource}.${req.resource.group}`;
}

class Findings {
  readonly denied: TenantViolation[] = [];
  readonly warned: TenantViolation[] = [];
  readonly audited: TenantViolation[] = [];

  constructor(private readonly index: TenancyView["index"]) {}

  /** Files each violation by its tenant's action for the rule; `warnOnly` caps Deny at Warn. */
  add(vs: readonly TenantViolation[], warnOnly = false): void {
    for (const v of vs) {
      const t = this.index.get(v.tenant);
      const action = t ? ruleAction(t, v.rule) : "Deny";
      if (action === "Audit") this.audited.push(v);
      else if (action === "Warn" || warnOnly) this.warned.push(v);
      else this.denied.push(v);
    }
  }
}

/** Drops violations the old object had already (an UPDATE is judged on what it changes). */
function newOnly(vs: readonly TenantViolation[], old: readonly TenantViolation[]): TenantViolation[] {
  const seen = new Set(old.map(violationKey));
  return vs.filter((v) => !seen.has(violationKey(v)));
}

function reasonOf(v: TenantViolation, action: string): Reason {
  return {
    check: `tenancy.${v.rule}`,
    ok: false,
    message: `${action}: ${formatViolation(v)}`,
    source: v.field,
  };
}

/** Errors that mean "the object in the request is malformed": answered 400 BadRequest. */
export const BAD_OBJECT_CODES: ReadonlySet<string> = new Set([
  "REQUEST_INVALID",
  "ADMISSION_OBJECT_INVALID",
  "POD_OBJECT_INVALID",
  "PSA_POLICY_INVALID",
]);

/**
 * Judges one request. A malformed object (a field of the wrong type) is answered 400 BadRequest
 * naming the field.
 */
export function validateTenancyRequest(req: TenancyRequest, view: TenancyView): ValidationResult {
  try {
    return judge(req, view);
  } catch (e) {
    if (!isKubeiamError(e) || !BAD_OBJECT_CODES.has(e.code)) throw e;
    const reason: Reason = {
      check: "admission.object",
      ok: false,
      message: e.message,
      ...(typeof e.context.field === "string" ? { source: e.context.field } : {}),
    };
    return {
      verdict: {
        allowed: false,
        status: { code: 400, reason: "BadRequest", message: e.message },
        warnings: [],
        auditAnnotations: {},
      },
      denied: [],
      warned: [],
      audited: [],
      summary: e.message,
      reasons: [reason],
    };
  }
}

function judge(req: TenancyRequest, view: TenancyView): ValidationResult {
  const index = view.index;
  const findings = new Findings(index);
  const reasons: Reason[] = [];
  const warnings: string[] = [];
  const audit: Record<string, string> = {};
  let psa: PodSecurityOutcome | undefined;
  let psaFromTenant = false;
  let invalid: string | undefined;
  const key = `${req.resource.group}/${req.resource.resource}`;
  const labelsOfNs = (ns: string): Labels | undefined => view.namespaceLabels(ns);

  // the tenant of the request's namespace (for namespaced resources)
  let owner = req.namespace !== "" ? index.ownerOf(req.namespace, labelsOfNs(req.namespace)) : undefined;
  let tenant: Tenant | undefined = owner?.tenant;
  if (owner) {
    reasons.push({
      check: "tenancy.namespace",
      ok: true,
      message: `namespace "${req.namespace}" belongs to tenant "${owner.tenant.name}" (by ${owner.via})${owner.alsoClaimedBy.length > 0 ? `; also claimed by ${owner.alsoClaimedBy.join(", ")}` : ""}`,
      source: `Tenant/${owner.tenant.name}`,
    });
  }

  const isWrite = req.operation === "CREATE" || req.operation === "UPDATE";

  if (
    key in MANAGED_RESOURCES &&
    req.subResource === "" &&
    (req.operation === "UPDATE" || req.operation === "DELETE") &&
    req.oldObject &&
    labelsOf(req.oldObject)[MANAGED_BY_LABEL] === MANAGED_BY_VALUE
  ) {
    const subjectTenants = index.subjectOf(req.userInfo, labelsOfNs);
    const who = subjectTenants[0];
    if (who) {
      findings.add([
        {
          rule: "managed-object",
          tenant: who.name,
          field: `metadata.labels[${MANAGED_BY_LABEL}]`,
          message: `${MANAGED_RESOURCES[key]} "${req.name}" is managed by kubeiam; tenant subjects may not ${req.operation === "DELETE" ? "delete" : "change"} it`,
        },
      ]);
      tenant ??= who;
    }
  }

  if (req.subResource === "status") {
    const subjectTenants = index.subjectOf(req.userInfo, labelsOfNs);
    const v = statusWriteViolation(subjectTenants, qualifiedResource(req), req.subResource);
    if (v && req.operation !== "CONNECT") {
      findings.add([v]);
      tenant ??= index.get(v.tenant);
    }
  } else if (key === "/pods" && !IGNORED_POD_SUBRESOURCES.has(req.subResource) && isWrite && req.object) {
    const pod = req.object;
    const ep = effectivePolicy(tenant, labelsOfNs(req.namespace));
    const significant = req.operation === "CREATE" || isSignificantPodUpdate(pod, req.oldObject!);
    if (significant)
      psa = evaluatePodPolicy(
        ep,
        isRecord(pod.metadata) ? pod.metadata : undefined,
        pod.spec ?? {},
        "",
        true,
      );
    psaFromTenant = ep.fromTenant.includes("enforce");
    if (tenant) {
      const spec = rec(pod, "spec", "spec") ?? {};
      let vs = podRuleViolations(tenant, spec, { specPath: "spec", template: false }, view);
      if (req.operation === "UPDATE") {
        const oldSpec = rec(req.oldObject!, "spec", "oldObject.spec") ?? {};
        vs = newOnly(vs, podRuleViolations(tenant, oldSpec, { specPath: "spec", template: false }, view));
      }
      findings.add(vs);
    }
  } else if (key in WORKLOAD_RESOURCES && req.subResource === "" && isWrite && req.object) {
    const obj = req.object;
    const apiVersion = typeof obj.apiVersion === "string" ? obj.apiVersion : "";
    const kind = typeof obj.kind === "string" ? obj.kind : "";
    if (isPodSecurityKind(apiVersion, kind)) {
      const extracted = extractPodSpec(obj);
      if (extracted) {
        const ep = effectivePolicy(tenant, labelsOfNs(req.namespace));
        psa = evaluatePodPolicy(ep, extracted.podMeta, extracted.podSpec, extracted.fieldPathPrefix, false);
        if (tenant && isRecord(extracted.podSpec)) {
          const specPath = `${extracted.fieldPathPrefix}spec`;
          let vs = podRuleViolations(tenant, extracted.podSpec, { specPath, template: true }, view);
          if (req.operation === "UPDATE") {
            const old = extractPodSpec(req.oldObject);
            if (old && isRecord(old.podSpec))
              vs = newOnly(vs, podRuleViolations(tenant, old.podSpec, { specPath, template: true }, view));
          }
          findings.add(vs, true);
        }
      }
    } else {
      invalid = `${qualifiedResource(req)}: object kind ${JSON.stringify(kind)} of ${JSON.stringify(apiVersion)} does not match the resource`;
    }
  } else if (key === "/services" && req.subResource === "" && isWrite && req.object && tenant) {
    let vs = serviceViolations(tenant, req.object);
    if (req.operation === "UPDATE") vs = newOnly(vs, serviceViolations(tenant, req.oldObject!));
    findings.add(vs);
  } else if (
    key === "rbac.authorization.k8s.io/rolebindings" &&
    req.subResource === "" &&
    isWrite &&
    req.object &&
    tenant
  ) {
    let vs = roleBindingViolations(tenant, req.object, req.namespace, view);
    if (req.operation === "UPDATE")
      vs = newOnly(vs, roleBindingViolations(tenant, req.oldObject!, req.namespace, view));
    findings.add(vs);
  } else if (key === "/namespaces" && req.subResource === "" && isWrite && req.object) {
    const name =
      req.name !== ""
        ? req.name
        : (str(rec(req.object, "metadata", "metadata") ?? {}, "name", "metadata.name") ?? "");
    const labels = labelsOf(req.object);
    const ep = effectivePolicy(undefined, labels);
    if (req.operation === "CREATE") {
      if (ep.labelErrors.length > 0) invalid = labelErrorText(ep.labelErrors.map((e) => e.message));
      const r = namespaceCreateViolations(req.userInfo, name, labels, view);
      if (r.tenant) tenant = r.tenant;
      findings.add(r.violations);
    } else {
      const oldLabels = labelsOf(req.oldObject);
      const oldEp = effectivePolicy(undefined, oldLabels);
      const newErrs = ep.labelErrors.map((e) => e.message);
      const oldErrs = oldEp.labelErrors.map((e) => e.message);
      if (newErrs.length > 0 && (oldErrs.length === 0 || newErrs.join("\n") !== oldErrs.join("\n")))
        invalid = labelErrorText(newErrs);
      const subjectTenants = index.subjectOf(req.userInfo, labelsOfNs);
      findings.add(namespaceUpdateViolations(subjectTenants, name, labels, oldLabels, view));
      owner = index.ownerOf(name, labels);
      tenant = owner?.tenant ?? tenant;
      if (invalid === undefined) {
        const eff = effectivePolicy(tenant, labels);
        const oldEff = effectivePolicy(index.ownerOf(name, oldLabels)?.tenant, oldLabels);
        warnings.push(
          ...namespaceTightenWarnings(
            name,
            eff.policy.enforce,
            oldEff.policy.enforce,
            view.podsInNamespace(name),
          ),
        );
      }
    }
    if (invalid !== undefined) {
      invalid = `namespaces ${JSON.stringify(name)} is invalid: ${invalid}`;
    }
  }

  // assemble the response
  if (psa) {
    reasons.push(...psa.reasons);
    Object.assign(audit, psa.auditAnnotations);
  }
  for (const v of findings.denied) reasons.push(reasonOf(v, "deny"));
  for (const v of findings.warned) reasons.push(reasonOf(v, "warn"));
  for (const v of findings.audited) reasons.push(reasonOf(v, "audit"));
  const firstViolation = findings.denied[0] ?? findings.warned[0] ?? findings.audited[0];
  if (!tenant && firstViolation) tenant = index.get(firstViolation.tenant);
  if (tenant) audit.tenant = tenant.name;
  const tenantAudit = [...findings.denied, ...findings.warned, ...findings.audited];
  if (tenantAudit.length > 0) audit["tenant-violations"] = tenantAudit.map(formatViolation).join("; ");

  const withTenant = (o: Omit<ValidationResult, "tenant">): ValidationResult =>
    tenant ? { ...o, tenant: tenant.name } : o;

  if (invalid !== undefined && key === "/namespaces") {
    return withTenant({
      verdict: {
        allowed: false,
        status: { code: 422, reason: "Invalid", message: invalid },
        warnings: [],
        auditAnnotations: audit,
      },
      denied: findings.denied,
      warned: findings.warned,
      audited: findings.audited,
      summary: invalid,
      reasons: [...reasons, { check: "psa.namespace-labels", ok: false, message: invalid }],
    });
  }
  if (invalid !== undefined) {
    return withTenant({
      verdict: {
        allowed: false,
        status: { code: 400, reason: "BadRequest", message: invalid },
        warnings: [],
        auditAnnotations: audit,
      },
      denied: findings.denied,
      warned: findings.warned,
      audited: findings.audited,
      summary: invalid,
      reasons,
    });
  }

  const parts: string[] = [];
  if (psa?.denial !== undefined) {
    parts.push(psa.denial);
    // upstream's text stays as it is; when the tenant set the level, say so with rule, fields and tenant
    if (tenant && psaFromTenant)
      parts.push(
        formatViolation({
          rule: "pod-security",
          tenant: tenant.name,
          field: [...new Set(psa.denialFields)].join(", "),
          message: `the tenant requires Pod Security ${JSON.stringify(lvString({ level: tenant.podSecurity.level, version: tenant.podSecurity.version }))}`,
        }),
      );
  }
  for (const v of findings.denied) parts.push(formatViolation(v));
  if (parts.length > 0) {
    const message = `${qualifiedResource(req)} ${JSON.stringify(req.name)} is forbidden: ${parts.join("; ")}`;
    const verdict: Verdict = {
      allowed: false,
      status: { code: 403, reason: "Forbidden", message },
      warnings: [],
      auditAnnotations: audit,
    };
    return withTenant({
      verdict,
      denied: findings.denied,
      warned: findings.warned,
      audited: findings.audited,
      summary: message,
      reasons,
    });
  }
  warnings.push(...(psa?.warnings ?? []), ...findings.warned.map(formatViolation));
  const verdict: Verdict = { allowed: true, warnings, auditAnnotations: audit };
  const summary = `allowed ${req.operation} ${qualifiedResource(req)}${req.subResource ? "/" + req.subResource : ""} ${req.namespace ? req.namespace + "/" : ""}${req.name}${warnings.length > 0 ? ` with ${warnings.length} warning(s)` : ""}`;
  return withTenant({
    verdict,
    denied: findings.denied,
    warned: findings.warned,
    audited: findings.audited,
    summary,
    reasons,
  });
}

/** field.ErrorList.ToAggregate().Error(): one message as is, several in brackets. */
function labelErrorText(messages: readonly string[]): string {
  const unique = [...new Set(messages)];
  return unique.length === 1 ? unique[0]! : `[${unique.join(", ")}]`;
}

export type { TenantRuleId };
