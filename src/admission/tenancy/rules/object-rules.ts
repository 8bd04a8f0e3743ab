/**
 * Tenant rules for Services (allowed types, external IPs), RoleBindings (no cluster-admin, no other
 * tenant's subjects), Namespaces (owners create only their tenant's names; tenant subjects do not
 * move namespaces between tenants) and status subresource writes.
 */
import { cidrContains, parseIp } from "../../../tenancy/lib/cidr.js";
import { canonicalArn, serviceAccountNamespace, type RequestUser } from "../../../tenancy/lib/subjects.js";
import { TENANT_LABEL, type Tenant } from "../../../tenancy/tenant.js";
import { rec, recList, str, strList, type Obj } from "../lib/fields.js";
import type { Labels, TenancyView, TenantViolation } from "../view.js";

export function serviceViolations(t: Tenant, service: Obj): TenantViolation[] {
  const out: TenantViolation[] = [];
  const spec = rec(service, "spec", "spec") ?? {};
  const type = str(spec, "type", "spec.type") ?? "ClusterIP";
  if (!(t.services.allowedTypes as readonly string[]).includes(type)) {
    out.push({
      rule: "service.type",
      tenant: t.name,
      field: "spec.type",
      message: `Service type ${type} is not allowed (allowed: ${t.services.allowedTypes.length === 0 ? "none" : t.services.allowedTypes.join(", ")})`,
    });
  }
  const allowed = t.services.externalIPs.allowed;
  strList(spec, "externalIPs", "spec.externalIPs").forEach((ip, i) => {
    const parsed = parseIp(ip);
    if (!parsed) {
      out.push({
        rule: "service.external-ips",
        tenant: t.name,
        field: `spec.externalIPs[${i}]`,
        message: `"${ip}" is not an IP address`,
      });
      return;
    }
    if (!allowed.some((c) => cidrContains(c, parsed))) {
      out.push({
        rule: "service.external-ips",
        tenant: t.name,
        field: `spec.externalIPs[${i}]`,
        message:
          allowed.length === 0
            ? `external IP ${ip} is not allowed (the tenant allows no externalIPs)`
            : `external IP ${ip} is not in an allowed CIDR (${allowed.map((c) => c.text).join(", ")})`,
      });
    }
  });
  return out;
}

/** The tenants (other than `t`) a binding subject belongs to. */
function foreignTenantsOfSubject(
  t: Tenant,
  kind: string,
  name: string,
  subjectNs: string,
  view: TenancyView,
): string[] {
  const index = view.index;
  const owners = (pred: (o: Tenant) => boolean): string[] =>
    index.tenants.filter((o) => o !== t && pred(o)).map((o) => o.name);
  if (kind === "ServiceAccount") {
    const o = index.ownerOf(subjectNs, view.namespaceLabels(subjectNs));
    return o && o.tenant !== t ? [o.tenant.name] : [];
  }
  if (kind === "User") {
    const saNs = serviceAccountNamespace(name);
    if (saNs !== undefined) {
      const o = index.ownerOf(saNs, view.namespaceLabels(saNs));
      return o && o.tenant !== t ? [o.tenant.name] : [];
    }
    if (t.owners.users.includes(name)) return [];
    const arn = name.startsWith("arn:") ? canonicalArn(name) : undefined;
    if (arn !== undefined && t.owners.iamArns.some((a) => canonicalArn(a) === arn)) return [];
    return owners(
      (o) =>
        o.owners.users.includes(name) ||
        (arn !== undefined && o.owners.iamArns.some((a) => canonicalArn(a) === arn)),
    );
  }
  if (kind === "Group") {
    if (t.owners.groups.includes(name)) return [];
    return owners((o) => o.owners.groups.includes(name));
  }
  return [];
}

export function roleBindingViolations(
  t: Tenant,
  binding: Obj,
  namespace: string,
  view: TenancyView,
): TenantViolation[] {
  const out: TenantViolation[] = [];
  const roleRef = rec(binding, "roleRef", "roleRef");
  if (
    roleRef &&
    str(roleRef, "kind", "roleRef.kind") === "ClusterRole" &&
    str(roleRef, "name", "roleRef.name") === "cluster-admin"
  ) {
    out.push({
      rule: "rolebinding.cluster-admin",
      tenant: t.name,
      field: "roleRef.name",
      message:
        "RoleBindings in tenant namespaces may not grant ClusterRole cluster-admin; bind admin or edit instead",
    });
  }
  recList(binding, "subjects", "subjects").forEach((s, i) => {
    const p = `subjects[${i}]`;
    const kind = str(s, "kind", `${p}.kind`) ?? "";
    const name = str(s, "name", `${p}.name`) ?? "";
    const ns = str(s, "namespace", `${p}.namespace`) || namespace;
    const foreign = foreignTenantsOfSubject(t, kind, name, ns, view);
    if (foreign.length > 0) {
      const who = kind === "ServiceAccount" ? `ServiceAccount "${ns}/${name}"` : `${kind} "${name}"`;
      out.push({
        rule: "rolebinding.foreign-subject",
        tenant: t.name,
        field: p,
        message: `${who} belongs to another tenant`,
      });
    }
  });
  return out;
}

/** Namespace CREATE by an owner of one or more tenants: the name must match one of those tenants. */
export function namespaceCreateViolations(
  user: RequestUser,
  name: string,
  labels: Labels,
  view: TenancyView,
): { tenant?: Tenant; violations: TenantViolation[] } {
  const owned = view.index.ownedBy(user);
  if (owned.length === 0) return { violations: [] };
  const match = owned.find((t) => view.index.nameMatches(t, name));
  if (!match) {
    const list = owned.map((t) => `"${t.name}"`).join(", ");
    const hints = owned
      .map((t) =>
        [
          ...t.namespaces.names.map((n) => `"${n}"`),
          ...(t.namespaces.prefix !== undefined ? [`"${t.namespaces.prefix}*"`] : []),
        ].join(", "),
      )
      .filter((s) => s !== "")
      .join("; ");
    return {
      tenant: owned[0]!,
      violations: [
        {
          rule: "namespace.ownership",
          tenant: owned[0]!.name,
          field: "metadata.name",
          message: `namespace "${name}" matches none of the names or prefixes of ${owned.length === 1 ? "tenant" : "tenants"} ${list}${hints ? ` (allowed: ${hints})` : " (the tenant lists no names or prefix)"}`,
        },
      ],
    };
  }
  const violations: TenantViolation[] = [];
  const resolved = view.index.ownerOf(name, labels);
  if (resolved && resolved.tenant !== match) {
    violations.push({
      rule: "namespace.ownership",
      tenant: match.name,
      field: "metadata.name",
      message: `namespace "${name}" would belong to tenant "${resolved.tenant.name}", not "${match.name}"`,
    });
  }
  const label = labels[TENANT_LABEL];
  if (label !== undefined && label !== match.name) {
    violations.push({
      rule: "namespace.ownership",
      tenant: match.name,
      field: `metadata.labels[${TENANT_LABEL}]`,
      message: `must be "${match.name}" or unset, found "${label}"`,
    });
  }
  return { tenant: match, violations };
}

/** Namespace UPDATE by a tenant subject: the namespace stays in (or out of) the same tenant. */
export function namespaceUpdateViolations(
  subjectTenants: readonly Tenant[],
  name: string,
  labels: Labels,
  oldLabels: Labels,
  view: TenancyView,
): TenantViolation[] {
  const who = subjectTenants[0];
  if (!who) return [];
  const before = view.index.ownerOf(name, oldLabels)?.tenant;
  const after = view.index.ownerOf(name, labels)?.tenant;
  const out: TenantViolation[] = [];
  const tenant = (before ?? after ?? who).name;
  if (before !== after) {
    out.push({
      rule: "namespace.tenant-change",
      tenant,
      field: "metadata.labels",
      message: `the label change would move namespace "${name}" ${before ? `out of tenant "${before.name}"` : "from no tenant"} ${after ? `into tenant "${after.name}"` : "to no tenant"}`,
    });
  }
  if (labels[TENANT_LABEL] !== oldLabels[TENANT_LABEL]) {
    out.push({
      rule: "namespace.tenant-change",
      tenant,
      field: `metadata.labels[${TENANT_LABEL}]`,
      message: `tenant subjects may not change the ${TENANT_LABEL} label`,
    });
  }
  return out;
}

/** A write to a status subresource by a tenant subject. */
export function statusWriteViolation(
  subjectTenants: readonly Tenant[],
  resource: string,
  subResource: string,
): TenantViolation | undefined {
  const t = subjectTenants[0];
  if (!t) return undefined;
  return {
    rule: "status-write",
    tenant: t.name,
    field: subResource,
    message: `tenant subjects may not write ${resource}/${subResource}`,
  };
}
