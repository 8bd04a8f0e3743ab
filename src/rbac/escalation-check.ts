/**
 * Escalation prevention on RBAC writes, as kube-apiserver's RBAC storage applies it (even when RBAC
 * authorization is off): members of system:masters pass; a Role/ClusterRole write passes when the
 * user may `escalate` it, a binding write when the user may `bind` the referenced role; otherwise
 * every granted rule must be covered by the user's own rules in that scope, else 403 with the
 * uncovered rules compacted one per line.
 */
import type { Reason } from "../lib/decision.js";
import type { KubeObject } from "../store/types.js";
import { authorize } from "./authorize.js";
import { compactRules, compactString, covers } from "./covers.js";
import type { KubeStatus } from "./forbidden-status.js";
import { newForbidden, newNotFound } from "./forbidden-status.js";
import { goCompare, goQuote, goQuoteList } from "./lib/go-format.js";
import { parseBinding, parseClusterRole, parseRole } from "./lib/parse-objects.js";
import type { RbacIndex } from "./rbac-index.js";
import { rulesFor } from "./rules-for.js";
import type { PolicyRule, UserInfo } from "./types.js";
import { policyRule, RBAC_GROUP, SYSTEM_MASTERS } from "./types.js";

/** `*` on every resource of every group and `*` on every URL: what setting an aggregationRule requires. */
export const FULL_AUTHORITY: readonly PolicyRule[] = [
  policyRule({ verbs: ["*"], apiGroups: ["*"], resources: ["*"] }),
  policyRule({ verbs: ["*"], nonResourceURLs: ["*"] }),
];

export const AGGREGATION_RULE_MESSAGE = "must have cluster-admin privileges to use the aggregationRule";

/**
 * ConfirmNoEscalation's error text: `user "u" (groups=["a" "b"]) is attempting to grant RBAC
 * permissions not currently held:\n<compacted rules, sorted, one per line>[; resolution errors: [..]]`.
 */
export function escalationMessage(
  user: UserInfo,
  uncovered: readonly PolicyRule[],
  resolutionError?: string,
): string {
  const lines = [...new Set(compactRules(uncovered).map(compactString))].sort(goCompare);
  let msg = `user ${goQuote(user.name)} (groups=${goQuoteList(user.groups)}) is attempting to grant RBAC permissions not currently held:\n${lines.join("\n")}`;
  if (resolutionError !== undefined && resolutionError !== "")
    msg += `; resolution errors: [${resolutionError}]`;
  return msg;
}

/** Undefined when the user's rules in `namespace` ("" = cluster-wide) cover `rules`, else the error text. */
export function confirmNoEscalation(
  index: RbacIndex,
  user: UserInfo,
  namespace: string,
  rules: readonly PolicyRule[],
): string | undefined {
  const owner = rulesFor(index, user, namespace);
  const result = covers(owner.rules, rules);
  if (result.covered) return undefined;
  return escalationMessage(user, result.uncovered, owner.evaluationError);
}

export interface RbacWriteRequest {
  readonly operation: "create" | "update";
  /** The Role, ClusterRole, RoleBinding or ClusterRoleBinding as it would be stored. */
  readonly object: KubeObject;
  /** The stored object, for updates. */
  readonly oldObject?: KubeObject;
}

export interface RbacWriteResult {
  readonly allowed: boolean;
  /** The Status kube-apiserver would answer when refused (403, or 404 for a missing referenced role). */
  readonly status?: KubeStatus;
  readonly reasons: readonly Reason[];
}

const ok = (check: string, message: string): RbacWriteResult => ({
  allowed: true,
  reasons: [{ check, ok: true, message }],
});

function refuse(status: KubeStatus, check: string): RbacWriteResult {
  return { allowed: false, status, reasons: [{ check, ok: false, message: status.message }] };
}

/** IsOnlyMutatingGCFields: the update changes nothing but ownerReferences, finalizers, selfLink, managedFields. */
export function isOnlyMutatingGCFields(obj: KubeObject, old: KubeObject | undefined): boolean {
  if (!old) return false;
  const gcFields = new Set(["ownerReferences", "finalizers", "selfLink", "managedFields"]);
  const strip = (o: KubeObject): unknown => ({
    ...o,
    metadata: Object.fromEntries(Object.entries(o.metadata).filter(([k]) => !gcFields.has(k))),
  });
  return deepEqual(strip(obj), strip(old));
}

function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a))
    return Array.isArray(b) && a.length === b.length && a.every((x, i) => deepEqual(x, b[i]));
  if (typeof a === "object" && a !== null && typeof b === "object" && b !== null && !Array.isArray(b)) {
    const ka = Object.keys(a).filter((k) => (a as Record<string, unknown>)[k] !== undefined);
    const kb = Object.keys(b).filter((k) => (b as Record<string, unknown>)[k] !== undefined);
    return (
      ka.length === kb.length &&
      ka.every((k) => deepEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]))
    );
  }
  return false;
}

/**
 * Decides an RBAC write for `user`. The object is parsed with RBAC validation; a malformed object
 * is the API's validation concern, so only its rules/roleRef are looked at here (a malformed object
 * throws nothing and is reported as not allowed with reason "invalid").
 */
export function checkRbacWrite(index: RbacIndex, user: UserInfo, req: RbacWriteRequest): RbacWriteResult {
  if (user.groups.includes(SYSTEM_MASTERS))
    return ok("rbac.escalation.bypass", `member of ${SYSTEM_MASTERS}: escalation checks do not apply`);
  const obj = req.object;
  const update = req.operation === "update";
  switch (obj.kind) {
    case "Role":
    case "ClusterRole": {
      const cluster = obj.kind === "ClusterRole";
      const resource = cluster ? "clusterroles" : "roles";
      const parsed = cluster ? parseClusterRole(obj) : parseRole(obj);
      if (!parsed.value) return invalid(parsed.problems.map((p) => p.message));
      const name = parsed.value.name;
      const namespace = parsed.value.kind === "Role" ? parsed.value.namespace : "";
      const escalate = authorize(index, {
        user,
        verb: "escalate",
        resourceRequest: true,
        apiGroup: RBAC_GROUP,
        resource,
        name: update ? name : "",
        namespace,
      });
      if (escalate.decision === "allow")
        return ok("rbac.escalation.escalate", `may escalate ${resource}: ${escalate.reason}`);
      if (update && isOnlyMutatingGCFields(obj, req.oldObject))
        return ok("rbac.escalation.gc-only", "the update only changes garbage-collection fields");
      const msg = confirmNoEscalation(index, user, namespace, parsed.value.rules);
      if (msg !== undefined)
        return refuse(newForbidden(RBAC_GROUP, resource, name, msg), "rbac.escalation.covers");
      if (parsed.value.kind === "ClusterRole") {
        const oldHas =
          update &&
          req.oldObject !== undefined &&
          req.oldObject.aggregationRule !== undefined &&
          req.oldObject.aggregationRule !== null;
        if (parsed.value.aggregationSelectors !== undefined || oldHas) {
          if (confirmNoEscalation(index, user, "", FULL_AUTHORITY) !== undefined) {
            return refuse(
              newForbidden(RBAC_GROUP, resource, name, AGGREGATION_RULE_MESSAGE),
              "rbac.escalation.aggregation-rule",
            );
          }
        }
      }
      return ok("rbac.escalation.covers", `the user's own rules cover every rule of the ${obj.kind}`);
    }
    case "RoleBinding":
    case "ClusterRoleBinding": {
      const resource = obj.kind === "RoleBinding" ? "rolebindings" : "clusterrolebindings";
      const parsed = parseBinding(obj);
      if (!parsed.value) return invalid(parsed.problems.map((p) => p.message));
      const b = parsed.value;
      const bind = authorize(index, {
        user,
        verb: "bind",
        resourceRequest: true,
        apiGroup: b.roleRef.apiGroup,
        resource: b.roleRef.kind === "ClusterRole" ? "clusterroles" : "roles",
        name: b.roleRef.name,
        namespace: b.namespace,
      });
      if (bind.decision === "allow")
        return ok(
          "rbac.escalation.bind",
          `may bind ${b.roleRef.kind} ${JSON.stringify(b.roleRef.name)}: ${bind.reason}`,
        );
      if (update && isOnlyMutatingGCFields(obj, req.oldObject))
        return ok("rbac.escalation.gc-only", "the update only changes garbage-collection fields");
      const rules =
        b.roleRef.kind === "ClusterRole"
          ? index.clusterRoleRules(b.roleRef.name)
          : index.roleRules(b.namespace, b.roleRef.name);
      if (!rules)
        return refuse(
          newNotFound(
            RBAC_GROUP,
            b.roleRef.kind === "ClusterRole" ? "clusterroles" : "roles",
            b.roleRef.name,
          ),
          "rbac.escalation.role-ref",
        );
      const msg = confirmNoEscalation(index, user, b.namespace, rules);
      if (msg !== undefined)
        return refuse(newForbidden(RBAC_GROUP, resource, b.name, msg), "rbac.escalation.covers");
      return ok(
        "rbac.escalation.covers",
        `the user's own rules cover every rule of ${b.roleRef.kind} ${JSON.stringify(b.roleRef.name)}`,
      );
    }
    default:
      return {
        allowed: true,
        reasons: [
          {
            check: "rbac.escalation.not-rbac",
            ok: true,
            message: `${obj.kind} is not an RBAC kind; no escalation check applies`,
          },
        ],
      };
  }
}

function invalid(messages: string[]): RbacWriteResult {
  return {
    allowed: false,
    reasons: messages.map((m) => ({ check: "rbac.escalation.invalid", ok: false, message: m })),
  };
}
