/**
 * PolicyPort (the questions STS and IAM ask) implemented with the policy engine, with two bounded
 * caches: parsed documents keyed by their text (policies are evaluated far more often than they
 * change), and answers keyed by everything an answer can depend on — the document, the principal,
 * action and resource, and the values of the context keys the document refers to (condition keys
 * and policy variables). Other context keys (the time, the session name when no condition names
 * it) cannot change the answer, so the same service account assuming the same role hits the cache.
 */
import type { PolicyPort, PolicyQuestion, PolicyAnswer, ContextValue } from "../sts/policy-port.js";
import { evaluatePolicy, parsePolicy, TRUST_POLICY_QUOTA } from "./policy/index.js";
import type { Policy, PolicyKind } from "./policy/index.js";

const MAX_PARSED = 2000;
const MAX_ANSWERS = 10_000;
const VARIABLE = /\$\{\s*([^,}]+?)\s*(?:,[^}]*)?\}/g;

/** `id` names the parsed document in answer keys (a re-parse after eviction gets a new one). */
type Parsed =
  | { ok: true; id: number; policy: Policy; refs: readonly string[] }
  | { ok: false; message: string; detail: string };

/**
 * Lower-cased context keys a document can read: condition keys, and ${variables} in any value of the
 * parsed document (after JSON unescaping, so "\u0024{aws:username}" counts too).
 */
function referencedKeys(policy: Policy): string[] {
  const keys = new Set<string>();
  const scan = (v: string): void => {
    if (v.includes("${")) for (const m of v.matchAll(VARIABLE)) keys.add(m[1]!.toLowerCase());
  };
  for (const s of policy.statements) {
    for (const c of s.conditions) {
      keys.add(c.key.toLowerCase());
      c.values.forEach(scan);
    }
    s.resource?.patterns.forEach(scan);
    s.action?.patterns.forEach(scan);
    s.principal?.values.forEach((p) => scan(p.value));
  }
  return [...keys].sort();
}

function answerKey(id: number, refs: readonly string[], q: PolicyQuestion): string {
  let lower: Map<string, ContextValue> | undefined;
  const parts = [
    String(id),
    q.principal ? `${q.principal.type}\u0001${q.principal.ids.join("\u0001")}` : "-",
    q.action,
    q.resource,
  ];
  for (const k of refs) {
    lower ??= new Map(Object.entries(q.context).map(([ck, v]) => [ck.toLowerCase(), v]));
    const v = lower.get(k);
    parts.push(v === undefined ? "\u0002" : JSON.stringify(v));
  }
  return parts.join("\u0000");
}

export function createPolicyPort(): PolicyPort {
  const parsed = new Map<string, Parsed>();
  let nextId = 0;
  const answers = new Map<string, PolicyAnswer>();
  const parse = (text: string, kind: PolicyKind): Parsed => {
    const key = `${kind}\u0000${text}`;
    let hit = parsed.get(key);
    if (!hit) {
      const r = parsePolicy(text, kind === "trust" ? { kind, quota: TRUST_POLICY_QUOTA } : { kind });
      hit = r.ok
        ? { ok: true, id: nextId++, policy: r.policy, refs: referencedKeys(r.policy) }
        : {
            ok: false,
            message: r.error.message,
            detail: `${r.error.path ? r.error.path + ": " : ""}${r.error.detail}`,
          };
      if (parsed.size >= MAX_PARSED) parsed.delete(parsed.keys().next().value!);
      parsed.set(key, hit);
    }
    return hit;
  };
  const evaluate = (r: Extract<Parsed, { ok: true }>, q: PolicyQuestion): PolicyAnswer => {
    const ev = evaluatePolicy(r.policy, {
      principal: q.principal ? { type: q.principal.type, ids: q.principal.ids } : undefined,
      action: q.action,
      resource: q.resource,
      context: q.context,
    });
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
  };
  return {
    validate(text, kind) {
      const r = parse(text, kind);
      return r.ok ? undefined : r.message;
    },
    evaluate(text, kind, q: PolicyQuestion): PolicyAnswer {
      const r = parse(text, kind);
      if (!r.ok)
        return {
          decision: "ImplicitDeny",
          reasons: [
            { check: "policy.parse", ok: false, message: `the ${kind} policy does not parse: ${r.detail}` },
          ],
        };
      const key = answerKey(r.id, r.refs, q);
      const cached = answers.get(key);
      if (cached) return { ...cached, reasons: [...cached.reasons] };
      const answer = evaluate(r, q);
      if (answers.size >= MAX_ANSWERS) answers.delete(answers.keys().next().value!);
      answers.set(key, answer);
      return { ...answer, reasons: [...answer.reasons] };
    },
  };
}
