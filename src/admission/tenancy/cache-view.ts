/**
 * The TenancyView over the object cache: the tenant index (rebuilt when a Tenant changes), namespace
 * labels, nodes, live pods, and the SELinux MCS allocator fed with the levels of live pods.
 */
import type { Clock } from "../../lib/clock.js";
import type { ObjectCache } from "../../store/cache.js";
import type { KubeObject, Unsubscribe } from "../../store/types.js";
import { McsAllocator } from "../../tenancy/mcs.js";
import { TenantIndex } from "../../tenancy/tenant-index.js";
import { parseTenant, type Tenant } from "../../tenancy/tenant.js";
import { isRecord } from "../../tenancy/lib/values.js";
import type { Labels, NodeInfo, NodeTaint, TenancyView } from "./view.js";

export interface InvalidTenant {
  readonly name: string;
  readonly problems: readonly string[];
}

/** Parses every Tenant object; invalid ones are returned apart (and ignored by the index). */
export function tenantsFromObjects(objects: readonly KubeObject[]): {
  tenants: Tenant[];
  invalid: InvalidTenant[];
} {
  const tenants: Tenant[] = [];
  const invalid: InvalidTenant[] = [];
  for (const o of objects) {
    const r = parseTenant(o);
    if (r.tenant) tenants.push(r.tenant);
    else invalid.push({ name: o.metadata.name, problems: r.problems });
  }
  return { tenants, invalid };
}

function labelsOf(o: KubeObject | undefined): Labels | undefined {
  if (!o) return undefined;
  return o.metadata.labels ?? {};
}

/** Node labels and taints as a NodeInfo. */
export function nodeInfo(o: KubeObject): NodeInfo {
  const spec = isRecord(o.spec) ? o.spec : {};
  const taints: NodeTaint[] = [];
  if (Array.isArray(spec.taints)) {
    for (const t of spec.taints) {
      if (!isRecord(t)) continue;
      taints.push({
        key: typeof t.key === "string" ? t.key : "",
        value: typeof t.value === "string" ? t.value : "",
        effect: typeof t.effect === "string" ? t.effect : "",
      });
    }
  }
  return { labels: o.metadata.labels ?? {}, taints };
}

/** The pod-level SELinux level of a pod object, if any. */
export function podMcsLevel(o: KubeObject): string | undefined {
  const spec = isRecord(o.spec) ? o.spec : undefined;
  const sc = spec && isRecord(spec.securityContext) ? spec.securityContext : undefined;
  const se = sc && isRecord(sc.seLinuxOptions) ? sc.seLinuxOptions : undefined;
  return se && typeof se.level === "string" && se.level !== "" ? se.level : undefined;
}

export class CacheTenancyView implements TenancyView {
  private current: TenantIndex | undefined;
  private invalidTenants: InvalidTenant[] = [];
  readonly mcs: McsAllocator;
  private readonly subscriptions: Unsubscribe[] = [];

  constructor(
    private readonly cache: ObjectCache,
    opts: { clock: Clock; mcsReservationMs?: number; onInvalidTenant?: (t: InvalidTenant) => void },
  ) {
    this.mcs = new McsAllocator({
      clock: opts.clock,
      ...(opts.mcsReservationMs !== undefined ? { reservationMs: opts.mcsReservationMs } : {}),
    });
    this.subscriptions.push(
      cache.onChange(["Tenant"], () => {
        this.current = undefined;
      }),
      cache.onChange(["Pod"], (ev) => {
        const key = `${ev.object.metadata.namespace ?? ""}/${ev.object.metadata.name}`;
        if (ev.type === "DELETED") this.mcs.forget(key);
        else this.mcs.observe(key, podMcsLevel(ev.object));
      }),
    );
    this.onInvalidTenant = opts.onInvalidTenant;
  }

  private readonly onInvalidTenant: ((t: InvalidTenant) => void) | undefined;

  get index(): TenantIndex {
    if (!this.current) {
      const { tenants, invalid } = tenantsFromObjects(this.cache.list("Tenant"));
      this.invalidTenants = invalid;
      for (const t of invalid) this.onInvalidTenant?.(t);
      this.current = new TenantIndex(tenants);
    }
    return this.current;
  }

  /** Tenants that failed to parse at the last rebuild. */
  get invalid(): readonly InvalidTenant[] {
    return this.index.size >= 0 ? this.invalidTenants : [];
  }

  namespaceLabels(name: string): Labels | undefined {
    return labelsOf(this.cache.get({ kind: "Namespace", name }));
  }

  node(name: string): NodeInfo | undefined {
    const o = this.cache.get({ kind: "Node", name });
    return o ? nodeInfo(o) : undefined;
  }

  podsInNamespace(namespace: string): readonly Record<string, unknown>[] {
    return this.cache.list("Pod", namespace);
  }

  close(): void {
    for (const u of this.subscriptions) u();
  }
}
