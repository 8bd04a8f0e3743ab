/**
 * Verified claims → user, as the OIDC plugin's AuthenticateToken does after verification, in its
 * order and with its messages: username (claim + `email_verified` rule, or CEL) → groups (string
 * or array claim, or CEL) → uid → extra (credential-id from `jti`, then CEL mappings) → required
 * claims → claim validation rules (CEL) → user validation rules (CEL). Pure.
 */
import type { Reason } from "../../lib/decision.js";
import { goUnmarshalError } from "../lib/go-format.js";
import type { AuthnUser } from "../types.js";
import type { CompiledJwtAuthenticator } from "./compile-jwt-authenticator.js";
import { CelEvalError, celClaims, type CompiledCel } from "./lib/cel.js";

export type MapResult = { ok: true; user: AuthnUser; reasons: Reason[] } | { ok: false; message: string; check: string };

const has = (c: Record<string, unknown>, k: string): boolean => Object.prototype.hasOwnProperty.call(c, k);

class MapFailure extends Error {
  constructor(
    readonly check: string,
    message: string,
  ) {
    super(message);
  }
}

function evalCel(expr: CompiledCel, value: unknown): unknown {
  try {
    return expr.evaluate(value);
  } catch (e) {
    throw new Error(`expression '${expr.expression}' resulted in error: ${e instanceof CelEvalError ? e.message : String(e)}`, { cause: e });
  }
}

/** json.Unmarshal of a claim into a Go string: null leaves "", other types fail. */
function claimString(v: unknown): { ok: true; value: string } | { ok: false; message: string } {
  if (v === null || typeof v === "string") return { ok: true, value: v ?? "" };
  return { ok: false, message: goUnmarshalError(v, "string") };
}

/** kube's convertCELValueToStringList: string or list of strings; "" entries dropped; null/""/[] → none. */
function celStringList(v: unknown): string[] | undefined {
  if (v === null) return [];
  if (typeof v === "string") return v === "" ? [] : [v];
  if (Array.isArray(v)) {
    const out: string[] = [];
    for (const x of v) {
      if (typeof x !== "string") return undefined;
      if (x !== "") out.push(x);
    }
    return out;
  }
  return undefined;
}

export function mapClaims(claims: Record<string, unknown>, c: CompiledJwtAuthenticator): MapResult {
  const reasons: Reason[] = [];
  let celValue: unknown;
  const cv = (): unknown => (celValue ??= celClaims(claims));
  try {
    // username
    let username: string;
    if ("expression" in c.username) {
      let v: unknown;
      try {
        v = evalCel(c.username.expression, cv());
      } catch (e) {
        throw new MapFailure("oidc.username", `oidc: error evaluating username claim expression: ${(e as Error).message}`);
      }
      if (typeof v !== "string") throw new MapFailure("oidc.username", "oidc: error evaluating username claim expression: username claim expression must return a string");
      if (v === "") throw new MapFailure("oidc.username", "oidc: empty username via CEL expression is not allowed");
      username = v;
      reasons.push({ check: "oidc.username", ok: true, message: `username from expression ${c.username.expression.expression}`, actual: v });
    } else {
      const { claim, prefix } = c.username;
      if (!has(claims, claim)) throw new MapFailure("oidc.username", `oidc: parse username claims "${claim}": claim not present`);
      const s = claimString(claims[claim]);
      if (!s.ok) throw new MapFailure("oidc.username", `oidc: parse username claims "${claim}": ${s.message}`);
      if (claim === "email" && has(claims, "email_verified")) {
        const ev = claims.email_verified;
        if (ev !== null && typeof ev !== "boolean") throw new MapFailure("oidc.email-verified", `oidc: parse 'email_verified' claim: ${goUnmarshalError(ev, "bool")}`);
        if (ev !== true) throw new MapFailure("oidc.email-verified", "oidc: email not verified");
      }
      username = prefix ? prefix + s.value : s.value;
      reasons.push({ check: "oidc.username", ok: true, message: `username from claim ${claim}${prefix ? ` with prefix ${prefix}` : ""}`, actual: username });
    }

    // groups
    let groups: string[] = [];
    const g = c.groups;
    if (g && "claim" in g && has(claims, g.claim)) {
      const v = claims[g.claim];
      if (v === null) groups = [];
      else if (typeof v === "string") groups = [v];
      else if (Array.isArray(v) && v.every((x) => typeof x === "string" || x === null)) groups = v.map((x) => (typeof x === "string" ? x : ""));
      else throw new MapFailure("oidc.groups", `oidc: parse groups claim "${g.claim}": ${goUnmarshalError(v, "string")}`);
      if (g.prefix) groups = groups.map((x) => g.prefix + x);
      reasons.push({ check: "oidc.groups", ok: true, message: `groups from claim ${g.claim}${g.prefix ? ` with prefix ${g.prefix}` : ""}`, actual: groups });
    } else if (g && "expression" in g) {
      let v: unknown;
      try {
        v = evalCel(g.expression, cv());
      } catch (e) {
        throw new MapFailure("oidc.groups", `oidc: error evaluating group claim expression: ${(e as Error).message}`);
      }
      const list = celStringList(v);
      if (!list) throw new MapFailure("oidc.groups", "oidc: error evaluating group claim expression: expression must return a string or a list of strings");
      groups = list;
      reasons.push({ check: "oidc.groups", ok: true, message: `groups from expression ${g.expression.expression}`, actual: groups });
    }

    // uid
    let uid = "";
    if (c.uid && "claim" in c.uid) {
      const claim = c.uid.claim;
      if (!has(claims, claim)) throw new MapFailure("oidc.uid", `oidc: parse uid claim "${claim}": claim not present`);
      const s = claimString(claims[claim]);
      if (!s.ok) throw new MapFailure("oidc.uid", `oidc: parse uid claim "${claim}": ${s.message}`);
      uid = s.value;
    } else if (c.uid) {
      let v: unknown;
      try {
        v = evalCel(c.uid.expression, cv());
      } catch (e) {
        throw new MapFailure("oidc.uid", `oidc: error evaluating uid claim expression: ${(e as Error).message}`);
      }
      if (typeof v !== "string") throw new MapFailure("oidc.uid", "oidc: error evaluating uid claim expression: uid claim expression must return a string");
      uid = v;
    }

    // extra
    const extra: Record<string, string[]> = {};
    if (typeof claims.jti === "string" && claims.jti !== "") extra["authentication.kubernetes.io/credential-id"] = [`JTI=${claims.jti}`];
    const evaluated: { key: string; expression: string; value: unknown }[] = [];
    for (const x of c.extra) {
      try {
        evaluated.push({ key: x.key, expression: x.expression.expression, value: evalCel(x.expression, cv()) });
      } catch (e) {
        throw new MapFailure("oidc.extra", (e as Error).message);
      }
    }
    for (const x of evaluated) {
      const list = celStringList(x.value);
      if (!list) throw new MapFailure("oidc.extra", `oidc: error evaluating extra claim expression: ${x.expression}: expression must return a string or a list of strings`);
      if (list.length > 0) extra[x.key] = list;
    }

    // required claims
    for (const { claim, value } of c.requiredClaims) {
      if (!has(claims, claim)) throw new MapFailure("oidc.required-claim", `oidc: required claim ${claim} not present in ID token`);
      const s = claimString(claims[claim]);
      if (!s.ok) throw new MapFailure("oidc.required-claim", `oidc: parse claim ${claim}: ${s.message}`);
      if (s.value !== value) throw new MapFailure("oidc.required-claim", `oidc: required claim ${claim} value does not match. Got = ${s.value}, want = ${value}`);
      reasons.push({ check: "oidc.required-claim", ok: true, message: `claim ${claim} has the required value`, expected: value, actual: s.value });
    }

    // claim validation rules: all evaluated first, then checked in order
    checkRules(c.claimRules, cv, "oidc: error evaluating claim validation expression: ", "oidc.claim-rule", reasons);

    const user: AuthnUser = { username, groups };
    if (uid !== "") user.uid = uid;
    if (Object.keys(extra).length > 0) user.extra = extra;

    // user validation rules
    if (c.userRules.length > 0) {
      const userValue = { username, uid, groups, extra };
      checkRules(c.userRules, () => userValue, "oidc: error evaluating user info validation rule: ", "oidc.user-rule", reasons);
    }
    return { ok: true, user, reasons };
  } catch (e) {
    if (e instanceof MapFailure) return { ok: false, check: e.check, message: e.message };
    throw e;
  }
}

function checkRules(rules: readonly { expression: CompiledCel; message: string }[], value: () => unknown, prefix: string, check: string, reasons: Reason[]): void {
  if (rules.length === 0) return;
  const results: unknown[] = [];
  for (const r of rules) {
    try {
      results.push(evalCel(r.expression, value()));
    } catch (e) {
      throw new MapFailure(check, prefix + (e as Error).message);
    }
  }
  rules.forEach((r, i) => {
    const v = results[i];
    if (typeof v !== "boolean") throw new MapFailure(check, `${prefix}validation expression must return a boolean`);
    if (!v) throw new MapFailure(check, `${prefix}validation expression '${r.expression.expression}' failed: ${r.message}`);
    reasons.push({ check, ok: true, message: `rule ${r.expression.expression} holds` });
  });
}
