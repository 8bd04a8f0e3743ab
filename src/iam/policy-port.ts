/**
 * PolicyPort (the questions STS and IAM ask) implemented with the policy engine, with a bounded
 * cache of parsed documents keyed by their text (policies are evaluated far more often than they
 * change).
 */
import type { PolicyPort, PolicyQuestion, PolicyAnswer } from "../sts/policy-port.js";
import { evaluatePolicy, parsePolicy, TRUST_POLICY_QUOTA } from "./policy/index.js";
import type { Policy, PolicyKind } from "./policy/index.js";

const MAX_CACHE = 2000;

export function createPolicyPort(): PolicyPort {
  const cache = new Map<string, { ok: true; policy: Policy } | { ok: false; message: string; detail: string }>();
  const parse = (text: string, kind: PolicyKind): { ok: true; policy: Policy } | { ok: false; message: string; detail: string } => {
    const key = `${kind}\u0000${text}`;
    let hit = cache.get(key);
    if (!hit) {
      const r = parsePolicy(text, kind === "trust" ? { kind, quota: TRUST_POLICY_QUOTA } : { kind });
      hit = r.ok ? { ok: true, policy: r.policy } : { ok: false, message: r.error.message, detail: `${r.error.path ? r.error.path + ": " : ""}${r.error.detail}` };
      if (cache.size >= MAX_CACHE) cache.delete(cache.keys().next().value!);
      cache.set(key, hit);
    }
    return hit;
  };
  return {
    validate(text, kind) {
      const r = parse(text, kind);
      return r.ok ? undefined : r.message;
    },
    evaluate(text, kind, q: PolicyQuestion): PolicyAnswer {
      const r = parse(text, kind);
      if (!r.ok) return { decision: "ImplicitDeny", reasons: [{ check: "policy.parse", ok: false, message: `the ${kind} policy does not parse: ${r.detail}` }] };
      const ev = evaluatePolicy(r.policy, { principal: q.principal ? { type: q.principal.type, ids: q.principal.ids } : undefined, action: q.action, resource: q.resource, context: q.context });
      const answer: PolicyAnswer = { decision: ev.decision, reasons: [...ev.reasons] };
      if (ev.decision === "Allow" && q.principal) {
        // Which principal value let it in: the caller by name, or only its whole account?
        const specific = new Set(q.principal.ids.filter((id) => !/^\d{12}$/.test(id) && !id.endsWith(":root")));
        for (const so of ev.statements) {
          if (!so.matched || so.effect !== "Allow") continue;
          const st = r.policy.statements[so.index];
          const named = st?.principal?.values.find((v) => specific.has(v.value));
          if (named) {
            answer.matchedPrincipal = named.value;
            break;
          }
          const any = st?.principal?.values.find((v) => v.type === q.principal!.type);
          if (any && answer.matchedPrincipal === undefined) answer.matchedPrincipal = any.value;
          if (st?.principal?.anyone && answer.matchedPrincipal === undefined) answer.matchedPrincipal = "*";
        }
      }
      return answer;
    },
  };
}
