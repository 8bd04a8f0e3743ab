/**
 * The tenant resolver: which tenant owns a namespace (exact name, then longest prefix, then label
 * selector) and whether a request user is a tenant's owner or one of its service accounts.
 * Built once from the parsed tenants; pure and synchronous.
 */
import { selectorMatches } from "./lib/label-selector.js";
import { canonicalArn, serviceAccountNamespace, userArns, type RequestUser } from "./lib/subjects.js";
import type { Tenant } from "./tenant.js";

export interface NamespaceOwner {
  readonly tenant: Tenant;
  /** How the namespace matched: listed by name, by prefix, or by the label selector. */
  readonly via: "name" | "prefix" | "selector";
  /** Other tenants that also claim the namespace (a configuration conflict; the first match wins). */
  readonly alsoClaimedBy: readonly string[];
}

export interface TenantConflict {
  readonly tenants: readonly [string, string];
  readonly message: string;
}

type Labels = Readonly<Record<string, string>> | undefined;

export class TenantIndex {
  private readonly byName = new Map<string, Tenant>();
  private readonly byNamespaceName = new Map<string, Tenant[]>();
  private readonly prefixed: Tenant[];
  private readonly selected: Tenant[];
  private readonly byUser = new Map<string, Tenant[]>();
  private readonly byGroup = new Map<string, Tenant[]>();
  private readonly byArn = new Map<string, Tenant[]>();

  constructor(readonly tenants: readonly Tenant[]) {
    const sorted = [...tenants].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const push = (m: Map<string, Tenant[]>, k: string, t: Tenant): void => {
      const l = m.get(k);
      if (l) {
        if (!l.includes(t)) l.push(t);
      } else m.set(k, [t]);
    };
    for (const t of sorted) {
      this.byName.set(t.name, t);
      for (const n of t.namespaces.names) push(this.byNamespaceName, n, t);
      for (const u of t.owners.users) push(this.byUser, u, t);
      for (const g of t.owners.groups) push(this.byGroup, g, t);
      for (const a of t.owners.iamArns) push(this.byArn, canonicalArn(a), t);
    }
    // longest prefix first, then by tenant name
    this.prefixed = sorted
      .filter((t) => t.namespaces.prefix !== undefined)
      .sort((a, b) => b.namespaces.prefix!.length - a.namespaces.prefix!.length);
    this.selected = sorted.filter((t) => t.namespaces.selector !== undefined);
  }

  get(name: string): Tenant | undefined {
    return this.byName.get(name);
  }

  get size(): number {
    return this.byName.size;
  }

  /** The tenant owning namespace `name` (with its labels when known), or undefined. */
  ownerOf(name: string, labels?: Labels): NamespaceOwner | undefined {
    const claims: { tenant: Tenant; via: NamespaceOwner["via"] }[] = [];
    for (const t of this.byNamespaceName.get(name) ?? []) claims.push({ tenant: t, via: "name" });
    for (const t of this.prefixed)
      if (name.startsWith(t.namespaces.prefix!) && !claims.some((c) => c.tenant === t))
        claims.push({ tenant: t, via: "prefix" });
    if (labels !== undefined) {
      for (const t of this.selected)
        if (selectorMatches(t.namespaces.selector!, labels) && !claims.some((c) => c.tenant === t))
          claims.push({ tenant: t, via: "selector" });
    }
    const first = claims[0];
    if (!first) return undefined;
    return { tenant: first.tenant, via: first.via, alsoClaimedBy: claims.slice(1).map((c) => c.tenant.name) };
  }

  /** True when the namespace name alone (names or prefix, not labels) belongs to `tenant`. */
  nameMatches(tenant: Tenant, namespace: string): boolean {
    return (
      tenant.namespaces.names.includes(namespace) ||
      (tenant.namespaces.prefix !== undefined && namespace.startsWith(tenant.namespaces.prefix))
    );
  }

  /** True when `user` is one of the tenant's owners (user name, group, or IAM ARN). */
  isOwner(user: RequestUser, tenant: Tenant): boolean {
    if (tenant.owners.users.includes(user.username)) return true;
    for (const g of user.groups) if (tenant.owners.groups.includes(g)) return true;
    if (tenant.owners.iamArns.length > 0) {
      const arns = userArns(user);
      for (const a of tenant.owners.iamArns) if (arns.has(canonicalArn(a))) return true;
    }
    return false;
  }

  /** The tenants `user` owns, by tenant name. */
  ownedBy(user: RequestUser): Tenant[] {
    const out = new Set<Tenant>();
    for (const t of this.byUser.get(user.username) ?? []) out.add(t);
    for (const g of user.groups) for (const t of this.byGroup.get(g) ?? []) out.add(t);
    if (this.byArn.size > 0)
      for (const a of userArns(user)) for (const t of this.byArn.get(a) ?? []) out.add(t);
    return [...out].sort((a, b) => (a.name < b.name ? -1 : 1));
  }

  /**
   * The tenants whose subject `user` is: the tenants it owns, and for a service account the tenant
   * owning its namespace (`labelsOf` supplies namespace labels when known).
   */
  subjectOf(user: RequestUser, labelsOf: (namespace: string) => Labels = () => undefined): Tenant[] {
    const owned = this.ownedBy(user);
    const saNs = serviceAccountNamespace(user.username);
    if (saNs !== undefined) {
      const o = this.ownerOf(saNs, labelsOf(saNs));
      if (o && !owned.includes(o.tenant)) owned.push(o.tenant);
    }
    return owned;
  }

  /** Conflicts visible from the tenants alone: a namespace name or prefix claimed twice. */
  conflicts(): TenantConflict[] {
    const out: TenantConflict[] = [];
    for (const [ns, ts] of this.byNamespaceName) {
      for (let i = 1; i < ts.length; i++)
        out.push({
          tenants: [ts[0]!.name, ts[i]!.name],
          message: `namespace "${ns}" is listed by tenants "${ts[0]!.name}" and "${ts[i]!.name}"`,
        });
    }
    const ts = [...this.byName.values()];
    for (const a of ts) {
      for (const b of ts) {
        if (a === b) continue;
        const pa = a.namespaces.prefix;
        const pb = b.namespaces.prefix;
        if (pa !== undefined && pb !== undefined && pb.startsWith(pa) && (pa !== pb || a.name < b.name)) {
          out.push({
            tenants: [a.name, b.name],
            message: `prefix "${pa}" of tenant "${a.name}" also covers prefix "${pb}" of tenant "${b.name}"`,
          });
        }
        if (pa !== undefined) {
          for (const n of b.namespaces.names)
            if (n.startsWith(pa))
              out.push({
                tenants: [a.name, b.name],
                message: `namespace "${n}" of tenant "${b.name}" also matches prefix "${pa}" of tenant "${a.name}"`,
              });
        }
      }
    }
    return out;
  }
}
