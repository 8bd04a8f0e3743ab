/**
 * The RBAC decision for one request, as kube-apiserver makes it: members of `system:masters` are
 * allowed first (the privileged-group authorizer); then the ClusterRoleBindings and, for a namespaced
 * request, the RoleBindings of that namespace that apply to the user are visited (by name) and the
 * first rule that allows decides. RBAC never denies: otherwise it has no opinion, with the role
 * lookup errors it met as the reason.
 *
 * Only the bindings naming the user, its service account or its groups are looked at (the index's
 * buckets, each scanned as one flat array of compiled rule entries); the first allowing binding by
 * name is found without sorting, and reasons are built only when read. The order among bindings is
 * by name (kube-apiserver's informer order is unspecified); `createNaiveAuthorizer` is the oracle.
 */
import type { Decision, Reason } from "../lib/decision.js";
import { describeRequest, describeRule, describeUser, requestSummary } from "./lib/describe.js";
import { aggregateMessage, compareNames } from "./lib/go-format.js";
import type { ParsedBinding } from "./lib/parse-objects.js";
import { bindingRef, describeBinding, firstApplyingSubject, roleObjectRef } from "./lib/subjects.js";
import type { Bucket, IndexedBinding, RbacIndex } from "./rbac-index.js";
import { BUCKET_STRIDE, compileBucket } from "./rbac-index.js";
import type { MatchKeys } from "./lib/rule-matcher.js";
import { entryMatch, pendingAllows } from "./lib/rule-matcher.js";
import type { MatchRequest } from "./rule-allows.js";
import { toMatchRequest } from "./rule-allows.js";
import type { Attributes, PolicyRule, RuleSource } from "./types.js";
import { ruleToWire, SYSTEM_MASTERS } from "./types.js";

export type RbacDecision = "allow" | "no-opinion";

export interface AuthorizeResult {
  readonly decision: RbacDecision;
  /** kube-apiserver's wording: `RBAC: allowed by ...`, `RBAC: <lookup errors>` or "". */
  readonly reason: string;
  readonly reasons: readonly Reason[];
  /** The binding, role and rule that allowed (absent for superusers and no-opinion). */
  readonly allowedBy?: RuleSource;
  /** True when allowed as a member of system:masters. */
  readonly superuser?: boolean;
  /** Role lookup errors met before deciding, in visit order (reported in `reason` only when nothing allowed). */
  readonly errors: readonly string[];
}

export function superuserResult(): AuthorizeResult {
  return {
    decision: "allow",
    reason: "",
    superuser: true,
    errors: [],
    reasons: [
      {
        check: "rbac.superuser",
        ok: true,
        message: `allowed: member of the privileged group "${SYSTEM_MASTERS}" (checked before RBAC)`,
        source: SYSTEM_MASTERS,
      },
    ],
  };
}

const NO_ERRORS: readonly string[] = Object.freeze([]);

/**
 * Results are class instances so that what explains an allow is built on first read: the applying
 * subject, `reason` and `allowedBy` (the SubjectAccessReview answer needs `reason`; a decision alone,
 * as can-i or who-can ask it, needs none of them), and the reasons; `toJSON` includes them all.
 */
class AllowedResult implements AuthorizeResult {
  readonly decision = "allow" as const;
  #reasons: Reason[] | undefined;
  #explained: { reason: string; allowedBy: RuleSource } | undefined;
  constructor(
    private readonly binding: ParsedBinding | IndexedBinding,
    private readonly ruleIndex: number,
    private readonly rule: PolicyRule,
    readonly errors: readonly string[],
    private readonly attrs: Attributes,
  ) {}
  private explained(): { reason: string; allowedBy: RuleSource } {
    if (!this.#explained) {
      const b = this.binding;
      const si = firstApplyingSubject(b, this.attrs.user);
      const subject = b.subjects[si]!;
      const indexed = "allowReasons" in b ? b : undefined;
      this.#explained = {
        reason: indexed ? indexed.allowReasons[si]! : `RBAC: allowed by ${describeBinding(b, subject)}`,
        allowedBy: {
          binding: indexed ? indexed.bindingRef : bindingRef(b),
          role: indexed ? indexed.roleObjectRef : roleObjectRef(b),
          subject,
          ruleIndex: this.ruleIndex,
          rule: this.rule,
        },
      };
    }
    return this.#explained;
  }
  /** kube-apiserver's wording: `RBAC: allowed by ...`. */
  get reason(): string {
    return this.explained().reason;
  }
  get allowedBy(): RuleSource {
    return this.explained().allowedBy;
  }
  get reasons(): Reason[] {
    if (!this.#reasons) {
      const { check, ok, message, source } = this.brief()[0];
      this.#reasons = [{ check, ok, message, source, expected: ruleToWire(this.rule), actual: requestSummary(this.attrs) }];
    }
    return this.#reasons;
  }
  /** The reason without the structured rule and request (what a log line keeps). */
  brief(): [Reason & { source: string }] {
    const { binding, role, subject, ruleIndex, rule } = this.allowedBy;
    const source = `${binding.kind}/${binding.namespace !== undefined ? `${binding.namespace}/` : ""}${binding.name}`;
    const who =
      subject.kind === "ServiceAccount"
        ? `${subject.kind} ${subject.namespace || (binding.namespace ?? "")}/${subject.name}`
        : `${subject.kind} ${subject.name}`;
    return [
      {
        check: "rbac.rule",
        ok: true,
        message: `${describeRequest(this.attrs)} allowed by ${source} → ${role.kind} ${role.name} to ${who}, rule ${ruleIndex} (${describeRule(rule)})`,
        source,
      },
    ];
  }
  toJSON(): object {
    return {
      decision: this.decision,
      reason: this.reason,
      reasons: this.reasons,
      allowedBy: this.allowedBy,
      errors: this.errors,
    };
  }
}

class NoOpinionResult implements AuthorizeResult {
  readonly decision = "no-opinion" as const;
  readonly reason: string;
  #reasons: Reason[] | undefined;
  constructor(
    readonly errors: readonly string[],
    private readonly attrs: Attributes,
    private readonly examined: number,
  ) {
    this.reason = errors.length > 0 ? `RBAC: ${aggregateMessage(errors)}` : "";
  }
  get reasons(): Reason[] {
    if (!this.#reasons) {
      const [first, ...errors] = this.brief();
      this.#reasons = [{ ...first, actual: requestSummary(this.attrs) }, ...errors];
    }
    return this.#reasons;
  }
  /** The reasons without the structured request (what a log line keeps). */
  brief(): [Reason, ...Reason[]] {
    const n = this.examined;
    return [
      {
        check: "rbac.no-match",
        ok: false,
        message: `no RBAC rule allows ${describeRequest(this.attrs)} for user ${describeUser(this.attrs.user)}; ${n} applicable binding${n === 1 ? "" : "s"} examined`,
      },
      ...this.errors.map((e) => ({ check: "rbac.role-ref", ok: false, message: e })),
    ];
  }
  toJSON(): object {
    return { decision: this.decision, reason: this.reason, reasons: this.reasons, errors: this.errors };
  }
}

/** Builds the allow result for binding `b`, rule `ruleIndex`. */
export function allowedResult(
  b: ParsedBinding | IndexedBinding,
  ruleIndex: number,
  rule: PolicyRule,
  attrs: Attributes,
  errors: readonly string[],
): AuthorizeResult {
  return new AllowedResult(b, ruleIndex, rule, errors, attrs);
}

/** Builds the no-opinion result with the lookup errors met (in visit order). */
export function noOpinionResult(
  attrs: Attributes,
  errors: readonly string[],
  examined: number,
): AuthorizeResult {
  return new NoOpinionResult(errors, attrs, examined);
}

interface Scan {
  best: IndexedBinding | undefined;
  ruleIndex: number;
  /** Bindings whose role is missing (possibly out of name order, possibly past `best`). */
  failed: IndexedBinding[];
  examined: number;
}

const newScan = (): Scan => ({ best: undefined, ruleIndex: -1, failed: [], examined: 0 });

/**
 * Finds the allowing binding with the smallest name across the buckets. A bucket's compiled entries
 * are in binding (name) order, so its first matching entry is its smallest allowing binding; the scan
 * of a bucket stops at a binding named past the best found so far.
 */
function scanResource(buckets: readonly Bucket[], req: MatchRequest, keys: MatchKeys, st: Scan): void {
  for (let k = 0; k < buckets.length; k++) {
    const bucket = buckets[k]!;
    const bindings = bucket.bindings;
    const c = bucket.compiled ?? compileBucket(bucket);
    const e = c.entries;
    let lastPos = -1;
    let hitPos = -1;
    let hitRule = -1;
    for (let i = 0; i < e.length; i += BUCKET_STRIDE) {
      const pos = e[i]!;
      if (pos !== lastPos) {
        lastPos = pos;
        const best = st.best;
        if (
          best !== undefined &&
          (best === bindings[pos] || compareNames(bindings[pos]!.name, best.name) > 0)
        )
          break;
      }
      const pending = entryMatch(e, i + 1, keys);
      if (pending < 0) continue;
      if (pending === 0 || pendingAllows(pending, bindings[pos]!.slot.rules![e[i + 1]!]!, req)) {
        hitPos = pos;
        hitRule = e[i + 1]!;
        break;
      }
    }
    st.examined += hitPos >= 0 ? hitPos + 1 : bindings.length;
    for (const f of c.failed) if (!st.failed.includes(bindings[f]!)) st.failed.push(bindings[f]!);
    if (hitPos >= 0) {
      const b = bindings[hitPos]!;
      if (st.best === undefined || compareNames(b.name, st.best.name) < 0) {
        st.best = b;
        st.ruleIndex = hitRule;
      }
    }
  }
}

/** Non-resource requests (rare): each binding's role is matched on its URL rules, in name order per bucket. */
function scanNonResource(buckets: readonly Bucket[], req: MatchRequest, keys: MatchKeys, st: Scan): void {
  for (const bucket of buckets) {
    for (const b of bucket.bindings) {
      if (st.best !== undefined && (st.best === b || compareNames(b.name, st.best.name) > 0)) break;
      st.examined++;
      if (b.slot.rules === undefined) {
        if (!st.failed.includes(b)) st.failed.push(b);
        continue;
      }
      const ri = b.slot.matcher.first(req, keys);
      if (ri >= 0) {
        st.best = b;
        st.ruleIndex = ri;
        break;
      }
    }
  }
}

/** Lookup errors of the failed bindings visited before `best` (all when none allowed), in name order. */
function errorsBefore(failed: IndexedBinding[], best: IndexedBinding | undefined): readonly string[] {
  if (failed.length === 0) return NO_ERRORS;
  const before = best ? failed.filter((f) => compareNames(f.name, best.name) < 0) : failed.slice();
  before.sort((a, b) => compareNames(a.name, b.name));
  return before.map((f) => f.slot.notFound);
}

function concat(a: readonly string[], b: readonly string[]): readonly string[] {
  return a.length === 0 ? b : b.length === 0 ? a : [...a, ...b];
}

const BUCKETS: Bucket[] = [];

/** Authorizes with the subject index: cost grows with the bindings of this user, not of the cluster. */
export function authorize(index: RbacIndex, attrs: Attributes): AuthorizeResult {
  const user = attrs.user;
  if (user.groups.includes(SYSTEM_MASTERS)) return superuserResult();
  const req = toMatchRequest(attrs);
  const keys = index.interner.keys(req);
  const scan = req.resourceRequest ? scanResource : scanNonResource;
  // One array reused by every call (authorize is synchronous and never re-entered).
  const buckets = BUCKETS;
  buckets.length = 0;
  index.clusterBuckets(user, buckets);
  const cluster = newScan();
  scan(buckets, req, keys, cluster);
  if (cluster.best) {
    const b = cluster.best;
    return allowedResult(
      b,
      cluster.ruleIndex,
      b.slot.rules![cluster.ruleIndex]!,
      attrs,
      errorsBefore(cluster.failed, b),
    );
  }
  const clusterErrors = errorsBefore(cluster.failed, undefined);
  const ns = attrs.resourceRequest ? (attrs.namespace ?? "") : "";
  let examined = cluster.examined;
  if (ns !== "") {
    buckets.length = 0;
    index.namespaceBuckets(user, ns, buckets);
    if (buckets.length > 0) {
      const local = newScan();
      scan(buckets, req, keys, local);
      examined += local.examined;
      if (local.best) {
        const b = local.best;
        return allowedResult(
          b,
          local.ruleIndex,
          b.slot.rules![local.ruleIndex]!,
          attrs,
          concat(clusterErrors, errorsBefore(local.failed, b)),
        );
      }
      return noOpinionResult(attrs, concat(clusterErrors, errorsBefore(local.failed, undefined)), examined);
    }
  }
  return noOpinionResult(attrs, clusterErrors, examined);
}

/**
 * The reasons without their structured `expected`/`actual` (the rule and request as values), as the
 * decision log keeps them for a webhook review: RBAC's own results build them without those.
 */
export function briefReasons(r: AuthorizeResult): readonly Reason[] {
  if (r instanceof AllowedResult || r instanceof NoOpinionResult) return r.brief();
  return r.reasons.map((x) => (x.source !== undefined ? { check: x.check, ok: x.ok, message: x.message, source: x.source } : { check: x.check, ok: x.ok, message: x.message }));
}

/** The shared Decision shape (allowed + reasons) for the decision log and --explain. */
export function toDecision(r: AuthorizeResult): Decision {
  return { allowed: r.decision === "allow", reasons: r.reasons };
}
