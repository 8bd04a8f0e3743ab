/**
 * evaluatePolicy: decides one request against one parsed policy, IAM style. A statement applies
 * when its principal, action, resource and every condition clause match. Any applying Deny gives
 * ExplicitDeny; otherwise any applying Allow gives Allow; otherwise ImplicitDeny. Every statement's
 * checks are recorded (statement index/Sid, operator, key, expected and actual values).
 *
 * Matching rules:
 * - Principal "*" matches anyone; {"AWS": "*"} any principal of type AWS (and likewise per type).
 *   An AWS account id or account root ARN matches every principal of that account. Other values
 *   must equal one of the request principal's ids. NotPrincipal matches when none does.
 * - Action: case-insensitive with * and ?. Resource: case-sensitive with * and ? (and policy
 *   variables). A statement without Resource/NotResource matches any resource.
 * - Conditions: operators and keys are ANDed; the values of one key are ORed (for negated
 *   operators: the request value must match none). Keys are matched without case, values with case
 *   (except *IgnoreCase). A missing key (absent, or an empty list) makes the clause false, except
 *   for negated operators and …IfExists (true) and Null. ForAnyValue: some request value matches
 *   (missing → false, or true with IfExists). ForAllValues: every request value matches (missing →
 *   true). Without a set operator, a request key with several values makes the clause false (a
 *   one-element list counts as a single value).
 * - Policy variables (2012-10-17): an unresolvable ${var} makes that policy value match nothing.
 */
import { isAccountId, tryParseArn } from "../arn.js";
import { wildcardMatch } from "./lib/wildcard.js";
import { compare, positiveForm } from "./lib/values.js";
import { resolveVariables } from "./lib/variables.js";
import type {
  ConditionClause,
  ContextScalar,
  ContextValue,
  EvaluationContext,
  Policy,
  PolicyEvaluation,
  PolicyReason,
  PrincipalElement,
  RequestPrincipal,
  Statement,
  StatementOutcome,
  StatementRef,
} from "./types.js";

type Lookup = (key: string) => ContextValue | undefined;

function makeLookup(context: EvaluationContext["context"]): Lookup {
  const map = new Map<string, ContextValue>();
  if (context) {
    const entries = context instanceof Map ? context.entries() : Object.entries(context);
    for (const [k, v] of entries as Iterable<[string, ContextValue]>) map.set(k.toLowerCase(), v);
  }
  return (key) => map.get(key.toLowerCase());
}

function refOf(s: Statement): StatementRef {
  return s.sid === undefined ? { index: s.index } : { index: s.index, sid: s.sid };
}

function describe(s: Statement): string {
  return s.sid === undefined || s.sid === ""
    ? `Statement[${s.index}]`
    : `Statement[${s.index}] (Sid "${s.sid}")`;
}

function accountOf(p: RequestPrincipal): string | undefined {
  if (p.account !== undefined) return p.account;
  for (const id of p.ids) {
    if (isAccountId(id)) return id;
    const a = tryParseArn(id);
    if (a && isAccountId(a.account)) return a.account;
  }
  return undefined;
}

function checkPrincipal(
  el: PrincipalElement,
  p: RequestPrincipal | undefined,
  statement: StatementRef,
): PolicyReason {
  const name = el.negated ? "NotPrincipal" : "Principal";
  const expected = el.anyone ? "*" : el.values.map((v) => ({ [v.type]: v.value }));
  let hit: string | undefined;
  if (el.anyone) hit = "*";
  else if (p) {
    const account = accountOf(p);
    for (const v of el.values) {
      if (v.type !== p.type) continue;
      if (v.value === "*" || p.ids.includes(v.value) || (v.account !== undefined && v.account === account)) {
        hit = v.value;
        break;
      }
    }
  }
  const ok = el.negated ? hit === undefined : hit !== undefined;
  const who = p ? `${p.type} ${JSON.stringify(p.ids)}` : "no principal";
  const message =
    hit !== undefined
      ? `${name} ${el.negated ? "excludes" : "includes"} ${who} (by ${JSON.stringify(hit)})`
      : `${name} does not name ${who}`;
  return {
    check: "policy.principal",
    ok,
    message,
    statement,
    expected,
    actual: p ? { type: p.type, ids: p.ids } : undefined,
  };
}

function checkAction(s: Statement, action: string, statement: StatementRef): PolicyReason {
  const el = s.action!;
  const name = el.negated ? "NotAction" : "Action";
  const hit = el.patterns.find((pat) => wildcardMatch(pat, action, true));
  const ok = el.negated ? hit === undefined : hit !== undefined;
  const message =
    hit !== undefined
      ? `${name} ${JSON.stringify(hit)} matches ${action}`
      : `${name} ${JSON.stringify(el.patterns)} does not match ${action}`;
  return { check: "policy.action", ok, message, statement, expected: el.patterns, actual: action };
}

function checkResource(
  s: Statement,
  resource: string | undefined,
  lookup: Lookup,
  vars: boolean,
  statement: StatementRef,
): PolicyReason {
  const el = s.resource!;
  const name = el.negated ? "NotResource" : "Resource";
  if (resource === undefined) {
    return {
      check: "policy.resource",
      ok: false,
      message: `${name} is set but the request names no resource`,
      statement,
      expected: el.patterns,
    };
  }
  const hit = el.patterns.find((pat) => {
    const r = resolveVariables(pat, lookup, vars);
    return r.ok && wildcardMatch(r.text, resource);
  });
  const ok = el.negated ? hit === undefined : hit !== undefined;
  const message =
    hit !== undefined
      ? `${name} ${JSON.stringify(hit)} matches ${resource}`
      : `${name} ${JSON.stringify(el.patterns)} does not match ${resource}`;
  return { check: "policy.resource", ok, message, statement, expected: el.patterns, actual: resource };
}

function show(v: ContextScalar): string {
  return typeof v === "string" ? JSON.stringify(v) : String(v);
}

function checkCondition(
  c: ConditionClause,
  lookup: Lookup,
  vars: boolean,
  statement: StatementRef,
): PolicyReason {
  const raw = lookup(c.key);
  const requestValues: readonly ContextScalar[] =
    raw === undefined ? [] : Array.isArray(raw) ? raw : [raw as ContextScalar];
  const missing = requestValues.length === 0;
  const actual = raw === undefined ? undefined : raw;
  const base = {
    check: "policy.condition",
    statement,
    operator: c.operator,
    key: c.key,
    expected: c.values,
    actual,
  };
  const head = `${c.operator} ${JSON.stringify(c.key)}`;

  if (c.base === "Null") {
    const wantsNull = c.values.map((v) => v.toLowerCase());
    const ok = wantsNull.some((w) => (w === "true" && missing) || (w === "false" && !missing));
    return { ...base, ok, message: `${head}: the key is ${missing ? "absent" : "present"}` };
  }

  const { op, negated } = positiveForm(c.base);
  const notes: string[] = [];
  const resolved: string[] = [];
  for (const v of c.values) {
    const r = resolveVariables(v, lookup, vars);
    if (r.ok) resolved.push(r.text);
    else notes.push(`policy variable ${r.variable} has no value`);
  }
  const matchOne = (rv: ContextScalar): boolean => {
    let any = false;
    for (const pv of resolved) {
      const m = compare(op, rv, pv);
      if (m === undefined) {
        const note = `policy value ${JSON.stringify(pv)} is not valid for ${c.base}`;
        if (!notes.includes(note)) notes.push(note);
      } else if (m) {
        any = true;
        break;
      }
    }
    return negated ? !any : any;
  };

  let ok: boolean;
  let detail: string;
  if (c.set === "ForAnyValue") {
    if (missing) {
      ok = c.ifExists;
      detail = `the key is absent${c.ifExists ? " (IfExists)" : ""}`;
    } else {
      const hit = requestValues.find(matchOne);
      ok = hit !== undefined;
      detail = ok
        ? `request value ${show(hit!)} satisfies it`
        : `no request value of ${JSON.stringify(requestValues)} satisfies it`;
    }
  } else if (c.set === "ForAllValues") {
    if (missing) {
      ok = true;
      detail = "the key is absent (ForAllValues of an empty set is true)";
    } else {
      const miss = requestValues.find((rv) => !matchOne(rv));
      ok = miss === undefined;
      detail = ok
        ? `every request value of ${JSON.stringify(requestValues)} satisfies it`
        : `request value ${show(miss!)} does not satisfy it`;
    }
  } else if (missing) {
    ok = c.ifExists || negated;
    detail = `the key is absent${c.ifExists ? " (IfExists)" : negated ? " (negated operator)" : ""}`;
  } else if (requestValues.length > 1) {
    ok = false;
    detail = `the request has ${requestValues.length} values for this key; use ForAnyValue: or ForAllValues:`;
  } else {
    const rv = requestValues[0]!;
    ok = matchOne(rv);
    detail = `request value ${show(rv)} ${ok ? "satisfies" : "does not satisfy"} it`;
  }
  const message = `${head} ${JSON.stringify(c.values.length === 1 ? c.values[0] : c.values)}: ${detail}${notes.length ? `; ${notes.join("; ")}` : ""}`;
  return { ...base, ok, message };
}

function evaluateStatement(
  s: Statement,
  ctx: EvaluationContext,
  lookup: Lookup,
  vars: boolean,
): StatementOutcome {
  const ref = refOf(s);
  const checks: PolicyReason[] = [];
  if (s.principal) checks.push(checkPrincipal(s.principal, ctx.principal, ref));
  if (s.action) checks.push(checkAction(s, ctx.action, ref));
  if (s.resource) checks.push(checkResource(s, ctx.resource, lookup, vars, ref));
  for (const c of s.conditions) checks.push(checkCondition(c, lookup, vars, ref));
  return { ...ref, effect: s.effect, matched: checks.every((c) => c.ok), checks };
}

export function evaluatePolicy(policy: Policy, ctx: EvaluationContext): PolicyEvaluation {
  const lookup = makeLookup(ctx.context);
  const vars = policy.version === "2012-10-17";
  const statements = policy.statements.map((s) => evaluateStatement(s, ctx, lookup, vars));
  const byIndex = new Map(policy.statements.map((s) => [s.index, s]));

  const denies = statements.filter((o) => o.matched && o.effect === "Deny");
  const allows = statements.filter((o) => o.matched && o.effect === "Allow");
  const reasons: PolicyReason[] = [];
  const header = (o: StatementOutcome, ok: boolean, message: string): PolicyReason => ({
    check: "policy.statement",
    ok,
    message,
    source: `Statement[${o.index}]${o.sid ? ` ${o.sid}` : ""}`,
    statement: o.sid === undefined ? { index: o.index } : { index: o.index, sid: o.sid },
  });

  if (denies.length > 0) {
    for (const o of denies) {
      reasons.push(
        header(o, false, `${describe(byIndex.get(o.index)!)} explicitly denies ${ctx.action}`),
        ...o.checks,
      );
    }
    return { allowed: false, decision: "ExplicitDeny", reasons, statements };
  }
  if (allows.length > 0) {
    for (const o of allows)
      reasons.push(header(o, true, `${describe(byIndex.get(o.index)!)} allows ${ctx.action}`), ...o.checks);
    return { allowed: true, decision: "Allow", reasons, statements };
  }
  const allowStatements = statements.filter((o) => o.effect === "Allow");
  if (allowStatements.length === 0) {
    reasons.push({
      check: "policy.implicit-deny",
      ok: false,
      message: `no Allow statement in the policy; ${ctx.action} is implicitly denied`,
    });
  }
  for (const o of allowStatements) {
    const failed = o.checks.filter((c) => !c.ok);
    reasons.push(
      header(
        o,
        false,
        `${describe(byIndex.get(o.index)!)} does not apply: ${failed[0]?.message ?? "no match"}`,
      ),
      ...failed,
    );
  }
  return { allowed: false, decision: "ImplicitDeny", reasons, statements };
}
