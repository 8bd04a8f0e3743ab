/**
 * The RBAC index the authorizer and the rbac commands read: Kubernetes' default bootstrap policy
 * (embedded mode) overlaid by the store's Roles, ClusterRoles and bindings, kept current from the
 * cache's watch (an object in the store replaces a bootstrap object of the same name).
 */
import type { ObjectCache } from "../store/cache.js";
import type { KubeObject } from "../store/types.js";
import { RbacIndex } from "../rbac/rbac-index.js";
import { bootstrapPolicy } from "../rbac/bootstrap/policy.js";

export const RBAC_KINDS = ["ClusterRole", "Role", "ClusterRoleBinding", "RoleBinding"] as const;

const defaultKey = (o: KubeObject): string => `${o.kind}/${o.metadata.namespace ?? ""}/${o.metadata.name}`;

export function buildRbacIndex(cache: Pick<ObjectCache, "onChange">, opts: { bootstrap: boolean }): { index: RbacIndex; stop: () => void } {
  const index = new RbacIndex();
  const defaults = new Map<string, KubeObject>();
  if (opts.bootstrap) {
    for (const o of bootstrapPolicy()) {
      defaults.set(defaultKey(o), o);
      index.apply({ type: "ADDED", object: o });
    }
  }
  const stop = cache.onChange(RBAC_KINDS, (ev) => {
    // deleting the store's copy of a default object brings the default back (as kube-apiserver's
    // start-up reconciliation would), rather than leaving nothing
    const fallback = ev.type === "DELETED" ? defaults.get(defaultKey(ev.object)) : undefined;
    index.apply(fallback ? { type: "MODIFIED", object: fallback } : ev);
  });
  return { index, stop };
}

/** For offline commands: an index over a fixed list of objects (plus bootstrap when asked). */
export function rbacIndexFrom(objects: Iterable<KubeObject>, opts: { bootstrap: boolean }): RbacIndex {
  const index = new RbacIndex();
  if (opts.bootstrap) for (const o of bootstrapPolicy()) index.apply({ type: "ADDED", object: o });
  for (const o of objects) index.apply({ type: "ADDED", object: o });
  return index;
}
