/**
 * RbacIndex: Roles, ClusterRoles, RoleBindings and ClusterRoleBindings fed by watch events and
 * indexed by subject, so a decision looks only at the bindings naming the user, one of its groups
 * or its service account. Each binding points at a slot holding its role's current rules, compiled
 * to integer entries when they change (lib/rule-matcher.ts), so a role change is seen by every
 * binding at once; each subject bucket concatenates its bindings' entries on first use after a
 * change, so a decision scans a few flat arrays. Aggregated ClusterRoles are recomputed whenever a
 * ClusterRole that can matter changes, as the aggregation controller would. Malformed objects are
 * kept out and reported.
 */
import type { KubeObject, WatchEventType } from "../store/types.js";
import { aggregateClusterRoles, selectorMatches } from "./aggregate-cluster-roles.js";
import { compareNames } from "./lib/go-format.js";
import type { ParsedBinding, ParsedClusterRole, ParsedRole } from "./lib/parse-objects.js";
import { parseBinding, parseClusterRole, parseRole, RBAC_KINDS } from "./lib/parse-objects.js";
import type { RuleMatcher } from "./lib/rule-matcher.js";
import { compileRules, RuleInterner, STRIDE } from "./lib/rule-matcher.js";
import { bindingRef, describeBinding, roleNotFoundMessage, roleObjectRef } from "./lib/subjects.js";
import type { BindingRef, PolicyRule, RbacProblem, RoleObjectRef, UserInfo } from "./types.js";
import { serviceAccountUsername } from "./types.js";

export interface RbacEvent {
  readonly type: WatchEventType;
  readonly object: KubeObject;
}

/** The rules a binding's roleRef resolves to, or kube-apiserver's lookup error. */
export type RoleResolution =
  | { readonly rules: readonly PolicyRule[]; readonly error?: undefined }
  | { readonly rules?: undefined; readonly error: string };

/** The current rules of one role name (undefined while the role does not exist), compiled when set. */
export interface RoleSlot {
  rules: readonly PolicyRule[] | undefined;
  matcher: RuleMatcher;
  readonly notFound: string;
  /** Buckets holding a binding to this role: their compiled entries go stale when the rules change. */
  readonly buckets: Set<Bucket>;
}

/**
 * The bindings naming one subject key, sorted by name, and (built on first use) the concatenated
 * rule entries of their roles: `pos, ruleIndex, group, resource, verbMask, flags` per entry, in
 * binding order then rule order, plus the positions of bindings whose role is missing.
 */
export interface Bucket {
  bindings: readonly IndexedBinding[];
  compiled: CompiledBucket | undefined;
}

export interface CompiledBucket {
  readonly entries: Int32Array;
  readonly failed: readonly number[];
  /** Whether some role has non-resource URL rules (those are matched per binding). */
  readonly hasUrlRules: boolean;
}

export const BUCKET_STRIDE = STRIDE + 1;

export function compileBucket(bucket: Bucket): CompiledBucket {
  const parts: number[] = [];
  const failed: number[] = [];
  let hasUrlRules = false;
  bucket.bindings.forEach((b, pos) => {
    const slot = b.slot;
    if (slot.rules === undefined) {
      failed.push(pos);
      return;
    }
    const e = slot.matcher.entries;
    for (let k = 0; k < e.length; k += STRIDE) {
      parts.push(pos);
      for (let j = 0; j < STRIDE; j++) parts.push(e[k + j]!);
    }
    if (slot.matcher.hasUrlRules) hasUrlRules = true;
  });
  return (bucket.compiled = { entries: Int32Array.from(parts), failed, hasUrlRules });
}

/** A binding as the index holds it: the parsed binding, the slot of its role, and what decisions report. */
export interface IndexedBinding extends ParsedBinding {
  readonly slot: RoleSlot;
  readonly bindingRef: BindingRef;
  readonly roleObjectRef: RoleObjectRef;
  /** kube-apiserver's allow reason for each subject (`RBAC: allowed by ... to <subject i>`). */
  readonly allowReasons: readonly string[];
}

const EMPTY: readonly IndexedBinding[] = Object.freeze([]);
const SEP = "\u0000";

function byName(a: { name: string }, b: { name: string }): number {
  return compareNames(a.name, b.name);
}

/** Sorted-by-name bucket insert/remove (copy on write, so lists handed out never change). */
function bucketAdd(map: Map<string, Bucket>, key: string, b: IndexedBinding): void {
  let bucket = map.get(key);
  if (!bucket) map.set(key, (bucket = { bindings: [], compiled: undefined }));
  const arr = bucket.bindings;
  if (arr.includes(b)) return;
  let lo = 0;
  let hi = arr.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (compareNames(arr[mid]!.name, b.name) < 0) lo = mid + 1;
    else hi = mid;
  }
  const next = arr.slice();
  next.splice(lo, 0, b);
  bucket.bindings = next;
  bucket.compiled = undefined;
  b.slot.buckets.add(bucket);
}

function bucketRemove(map: Map<string, Bucket>, key: string, b: IndexedBinding): void {
  const bucket = map.get(key);
  if (!bucket) return;
  const next = bucket.bindings.filter((x) => x !== b);
  bucket.bindings = next;
  bucket.compiled = undefined;
  if (!next.some((x) => x.slot === b.slot)) b.slot.buckets.delete(bucket);
  if (next.length === 0) map.delete(key);
}

function nested(map: Map<string, Map<string, Bucket>>, key: string): Map<string, Bucket> {
  let m = map.get(key);
  if (!m) map.set(key, (m = new Map<string, Bucket>()));
  return m;
}

/** Merges sorted buckets into one name-ordered list without duplicates. */
function mergeBuckets(buckets: (readonly IndexedBinding[])[]): readonly IndexedBinding[] {
  if (buckets.length === 0) return EMPTY;
  if (buckets.length === 1) return buckets[0]!;
  const all: IndexedBinding[] = [];
  for (const b of buckets) for (const x of b) all.push(x);
  all.sort(byName);
  let w = 0;
  for (let i = 0; i < all.length; i++) if (i === 0 || all[i] !== all[w - 1]) all[w++] = all[i]!;
  all.length = w;
  return all;
}

export class RbacIndex {
  private readonly roles = new Map<string, ParsedRole>(); // ns␀name
  private readonly clusterRoles = new Map<string, ParsedClusterRole>();
  private aggregated = new Map<string, PolicyRule[]>();
  private readonly roleSlots = new Map<string, RoleSlot>(); // ns␀name
  private readonly clusterRoleSlots = new Map<string, RoleSlot>();
  private readonly crbs = new Map<string, IndexedBinding>();
  private readonly rbs = new Map<string, Map<string, IndexedBinding>>(); // ns → name → binding
  private readonly crbByUser = new Map<string, Bucket>();
  private readonly crbByGroup = new Map<string, Bucket>();
  private readonly rbByUser = new Map<string, Map<string, Bucket>>(); // ns → user → bucket
  private readonly rbByGroup = new Map<string, Map<string, Bucket>>(); // ns → group → bucket
  private readonly objectProblems = new Map<string, readonly RbacProblem[]>();
  private changes = 0;
  /** Ids of the API groups and resources rules mention, for compiled matching (slots compile when filled). */
  readonly interner = new RuleInterner();

  /** Builds an index from a list of objects (each applied as ADDED). */
  static from(objects: Iterable<KubeObject>): RbacIndex {
    const idx = new RbacIndex();
    for (const o of objects) idx.apply({ type: "ADDED", object: o });
    return idx;
  }

  /** Number of applied changes; engines may use it to invalidate caches. */
  get version(): number {
    return this.changes;
  }

  apply(ev: RbacEvent): void {
    const obj = ev.object;
    if (!RBAC_KINDS.has(obj.kind)) return;
    this.changes++;
    const name = typeof obj.metadata.name === "string" ? obj.metadata.name : "";
    const ns = typeof obj.metadata.namespace === "string" ? obj.metadata.namespace : "";
    const key = `${obj.kind}/${obj.kind === "Role" || obj.kind === "RoleBinding" ? ns : ""}/${name}`;
    this.objectProblems.delete(key);
    const deleting = ev.type === "DELETED";
    switch (obj.kind) {
      case "Role": {
        this.roles.delete(ns + SEP + name);
        let next: ParsedRole | undefined;
        if (!deleting) {
          const p = parseRole(obj);
          this.record(key, p.problems);
          next = p.value;
          if (next) this.roles.set(next.namespace + SEP + next.name, next);
        }
        // a malformed Role is absent: its bindings see "not found"
        const slotKey = ns + SEP + name;
        const slot = this.roleSlots.get(slotKey);
        if (slot) this.fill(slot, next?.rules);
        return;
      }
      case "ClusterRole": {
        const old = this.clusterRoles.get(name);
        this.clusterRoles.delete(name);
        let next: ParsedClusterRole | undefined;
        if (!deleting) {
          const p = parseClusterRole(obj);
          this.record(key, p.problems);
          next = p.value;
          if (next) this.clusterRoles.set(next.name, next);
        }
        if (this.aggregationAffected(old) || this.aggregationAffected(next)) {
          this.aggregated = aggregateClusterRoles(this.clusterRoles);
          for (const [n, slot] of this.clusterRoleSlots)
            if (n === name || this.clusterRoles.get(n)?.aggregationSelectors)
              this.fill(slot, this.clusterRoleRules(n));
        } else {
          const slot = this.clusterRoleSlots.get(name);
          if (slot) this.fill(slot, this.clusterRoleRules(name));
        }
        return;
      }
      case "ClusterRoleBinding": {
        const old = this.crbs.get(name);
        if (old) this.unindexBinding(old);
        if (deleting) return;
        const p = parseBinding(obj);
        this.record(key, p.problems);
        if (p.value) this.indexBinding(p.value);
        return;
      }
      case "RoleBinding": {
        const old = this.rbs.get(ns)?.get(name);
        if (old) this.unindexBinding(old);
        if (deleting) return;
        const p = parseBinding(obj);
        this.record(key, p.problems);
        if (p.value) this.indexBinding(p.value);
        return;
      }
    }
  }

  private fill(slot: RoleSlot, rules: readonly PolicyRule[] | undefined): void {
    slot.rules = rules;
    slot.matcher = compileRules(rules ?? [], this.interner);
    for (const bucket of slot.buckets) bucket.compiled = undefined;
  }

  private record(key: string, problems: readonly RbacProblem[]): void {
    if (problems.length > 0) this.objectProblems.set(key, problems);
  }

  /** Whether adding/removing this ClusterRole can change any aggregated role's rules. */
  private aggregationAffected(cr: ParsedClusterRole | undefined): boolean {
    if (!cr) return false;
    if (cr.aggregationSelectors) return true;
    for (const name of this.aggregated.keys()) {
      const agg = this.clusterRoles.get(name);
      if (agg?.aggregationSelectors?.some((s) => selectorMatches(s, cr.labels))) return true;
    }
    return false;
  }

  private slotFor(b: ParsedBinding): RoleSlot {
    if (b.roleRef.kind === "ClusterRole") {
      let slot = this.clusterRoleSlots.get(b.roleRef.name);
      if (!slot) {
        const rules = this.clusterRoleRules(b.roleRef.name);
        slot = {
          rules,
          matcher: compileRules(rules ?? [], this.interner),
          notFound: roleNotFoundMessage("ClusterRole", b.roleRef.name),
          buckets: new Set(),
        };
        this.clusterRoleSlots.set(b.roleRef.name, slot);
      }
      return slot;
    }
    const key = b.namespace + SEP + b.roleRef.name;
    let slot = this.roleSlots.get(key);
    if (!slot) {
      const rules = this.roles.get(key)?.rules;
      slot = {
        rules,
        matcher: compileRules(rules ?? [], this.interner),
        notFound: roleNotFoundMessage("Role", b.roleRef.name),
        buckets: new Set(),
      };
      this.roleSlots.set(key, slot);
    }
    return slot;
  }

  private subjectKeys(b: ParsedBinding): { users: string[]; groups: string[] } {
    const users: string[] = [];
    const groups: string[] = [];
    for (const s of b.subjects) {
      if (s.kind === "User") users.push(s.name);
      else if (s.kind === "Group") groups.push(s.name);
      else {
        const ns = s.namespace !== "" ? s.namespace : b.namespace;
        if (ns !== "") users.push(serviceAccountUsername(ns, s.name));
      }
    }
    return { users, groups };
  }

  private indexBinding(parsed: ParsedBinding): void {
    const b: IndexedBinding = {
      ...parsed,
      slot: this.slotFor(parsed),
      bindingRef: Object.freeze(bindingRef(parsed)),
      roleObjectRef: Object.freeze(roleObjectRef(parsed)),
      allowReasons: parsed.subjects.map((s) => `RBAC: allowed by ${describeBinding(parsed, s)}`),
    };
    const { users, groups } = this.subjectKeys(b);
    if (b.kind === "ClusterRoleBinding") {
      this.crbs.set(b.name, b);
      for (const u of users) bucketAdd(this.crbByUser, u, b);
      for (const g of groups) bucketAdd(this.crbByGroup, g, b);
    } else {
      let m = this.rbs.get(b.namespace);
      if (!m) this.rbs.set(b.namespace, (m = new Map<string, IndexedBinding>()));
      m.set(b.name, b);
      for (const u of users) bucketAdd(nested(this.rbByUser, b.namespace), u, b);
      for (const g of groups) bucketAdd(nested(this.rbByGroup, b.namespace), g, b);
    }
  }

  private unindexBinding(b: IndexedBinding): void {
    const { users, groups } = this.subjectKeys(b);
    if (b.kind === "ClusterRoleBinding") {
      this.crbs.delete(b.name);
      for (const u of users) bucketRemove(this.crbByUser, u, b);
      for (const g of groups) bucketRemove(this.crbByGroup, g, b);
    } else {
      const m = this.rbs.get(b.namespace);
      m?.delete(b.name);
      if (m && m.size === 0) this.rbs.delete(b.namespace);
      for (const u of users) bucketRemove(nested(this.rbByUser, b.namespace), u, b);
      for (const g of groups) bucketRemove(nested(this.rbByGroup, b.namespace), g, b);
    }
  }

  // ---- reads -------------------------------------------------------------------------------

  /**
   * The buckets of ClusterRoleBindings naming the user (or its service account) and each of its
   * groups, appended to `out`. A binding naming several of these appears in several buckets.
   */
  clusterBuckets(user: UserInfo, out: Bucket[]): void {
    const u = this.crbByUser.get(user.name);
    if (u) out.push(u);
    const groups = user.groups;
    for (let i = 0; i < groups.length; i++) {
      const b = this.crbByGroup.get(groups[i]!);
      if (b) out.push(b);
    }
  }

  /** Like clusterBuckets, for the RoleBindings of one namespace. */
  namespaceBuckets(user: UserInfo, namespace: string, out: Bucket[]): void {
    if (namespace === "") return;
    const byUser = this.rbByUser.get(namespace);
    const u = byUser?.get(user.name);
    if (u) out.push(u);
    const byGroup = this.rbByGroup.get(namespace);
    if (!byGroup) return;
    const groups = user.groups;
    for (let i = 0; i < groups.length; i++) {
      const b = byGroup.get(groups[i]!);
      if (b) out.push(b);
    }
  }

  /** ClusterRoleBindings that name the user, its service account or one of its groups, by name. */
  clusterBindingsFor(user: UserInfo): readonly IndexedBinding[] {
    const buckets: Bucket[] = [];
    this.clusterBuckets(user, buckets);
    return mergeBuckets(buckets.map((b) => b.bindings));
  }

  /** RoleBindings of `namespace` that name the user, its service account or one of its groups, by name. */
  namespaceBindingsFor(user: UserInfo, namespace: string): readonly IndexedBinding[] {
    const buckets: Bucket[] = [];
    this.namespaceBuckets(user, namespace, buckets);
    return mergeBuckets(buckets.map((b) => b.bindings));
  }

  /** The rules a binding grants, or the lookup error kube-apiserver would report. */
  resolve(b: ParsedBinding): RoleResolution {
    const slot = (b as Partial<IndexedBinding>).slot;
    if (slot) return slot.rules ? { rules: slot.rules } : { error: slot.notFound };
    if (b.roleRef.kind === "ClusterRole") {
      const rules = this.clusterRoleRules(b.roleRef.name);
      return rules ? { rules } : { error: roleNotFoundMessage("ClusterRole", b.roleRef.name) };
    }
    const role = this.roles.get(b.namespace + SEP + b.roleRef.name);
    return role ? { rules: role.rules } : { error: roleNotFoundMessage("Role", b.roleRef.name) };
  }

  /** Effective rules of a ClusterRole (aggregated when it has an aggregationRule). */
  clusterRoleRules(name: string): readonly PolicyRule[] | undefined {
    const cr = this.clusterRoles.get(name);
    if (!cr) return undefined;
    return cr.aggregationSelectors ? (this.aggregated.get(name) ?? []) : cr.rules;
  }

  roleRules(namespace: string, name: string): readonly PolicyRule[] | undefined {
    return this.roles.get(namespace + SEP + name)?.rules;
  }

  clusterRoleNames(): string[] {
    return [...this.clusterRoles.keys()].sort(compareNames);
  }

  /** Roles as {namespace, name}, by namespace then name. */
  roleKeys(namespace?: string): { namespace: string; name: string }[] {
    const out: { namespace: string; name: string }[] = [];
    for (const r of this.roles.values())
      if (namespace === undefined || r.namespace === namespace)
        out.push({ namespace: r.namespace, name: r.name });
    return out.sort((a, b) => compareNames(a.namespace, b.namespace) || compareNames(a.name, b.name));
  }

  /** All ClusterRoleBindings by name. */
  clusterRoleBindings(): IndexedBinding[] {
    return [...this.crbs.values()].sort(byName);
  }

  /** RoleBindings of one namespace (or all, by namespace then name). */
  roleBindings(namespace?: string): IndexedBinding[] {
    if (namespace !== undefined) return [...(this.rbs.get(namespace)?.values() ?? [])].sort(byName);
    const out: IndexedBinding[] = [];
    for (const ns of [...this.rbs.keys()].sort(compareNames))
      out.push(...[...this.rbs.get(ns)!.values()].sort(byName));
    return out;
  }

  /** Namespaces that have at least one RoleBinding, sorted. */
  bindingNamespaces(): string[] {
    return [...this.rbs.keys()].sort(compareNames);
  }

  /** Problems of the current objects (errors: skipped; warnings), then roleRefs that resolve to nothing. */
  problems(): RbacProblem[] {
    const out: RbacProblem[] = [];
    for (const k of [...this.objectProblems.keys()].sort()) out.push(...this.objectProblems.get(k)!);
    for (const b of [...this.clusterRoleBindings(), ...this.roleBindings()]) {
      const r = this.resolve(b);
      if (r.error !== undefined) {
        const base = {
          severity: "warning" as const,
          kind: b.kind,
          name: b.name,
          message: `roleRef: ${r.error}`,
        };
        out.push(b.kind === "RoleBinding" ? { ...base, namespace: b.namespace } : base);
      }
    }
    return out;
  }

  stats(): {
    roles: number;
    clusterRoles: number;
    roleBindings: number;
    clusterRoleBindings: number;
    aggregatedClusterRoles: number;
  } {
    let rb = 0;
    for (const m of this.rbs.values()) rb += m.size;
    return {
      roles: this.roles.size,
      clusterRoles: this.clusterRoles.size,
      roleBindings: rb,
      clusterRoleBindings: this.crbs.size,
      aggregatedClusterRoles: this.aggregated.size,
    };
  }
}
