/**
 * Value conversions and the positive comparison of each condition operator. Negated operators
 * (StringNotEquals, …) are evaluated as "no policy value matches" with their positive form.
 */
import type { BaseOperator, ContextScalar } from "../types.js";
import { arnMatch, wildcardMatch } from "./wildcard.js";
import { cidrContains, parseAddress, parseCidr } from "./ip.js";
import { equalityText } from "./variables.js";

export type PositiveOperator =
  | "StringEquals"
  | "StringEqualsIgnoreCase"
  | "StringLike"
  | "NumericEquals"
  | "NumericLessThan"
  | "NumericLessThanEquals"
  | "NumericGreaterThan"
  | "NumericGreaterThanEquals"
  | "DateEquals"
  | "DateLessThan"
  | "DateLessThanEquals"
  | "DateGreaterThan"
  | "DateGreaterThanEquals"
  | "Bool"
  | "BinaryEquals"
  | "IpAddress"
  | "ArnEquals"
  | "ArnLike";

const NEGATIONS: Partial<Record<BaseOperator, PositiveOperator>> = {
  StringNotEquals: "StringEquals",
  StringNotEqualsIgnoreCase: "StringEqualsIgnoreCase",
  StringNotLike: "StringLike",
  NumericNotEquals: "NumericEquals",
  DateNotEquals: "DateEquals",
  NotIpAddress: "IpAddress",
  ArnNotEquals: "ArnEquals",
  ArnNotLike: "ArnLike",
};

/** The positive operator and whether the given one negates it. Null is handled by the caller. */
export function positiveForm(base: Exclude<BaseOperator, "Null">): {
  op: PositiveOperator;
  negated: boolean;
} {
  const neg = NEGATIONS[base];
  return neg ? { op: neg, negated: true } : { op: base as PositiveOperator, negated: false };
}

const NUMBER = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const ISO_DATE = /^\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/;

export function toNumber(v: ContextScalar | string): number | undefined {
  if (typeof v === "number") return Number.isFinite(v) ? v : undefined;
  if (typeof v === "boolean") return undefined;
  return NUMBER.test(v.trim()) ? Number(v) : undefined;
}

/** Epoch seconds (number or digit string) or an ISO 8601 date/time; milliseconds since the epoch. */
export function toDateMs(v: ContextScalar | string): number | undefined {
  if (typeof v === "number") return Number.isFinite(v) ? v * 1000 : undefined;
  if (typeof v === "boolean") return undefined;
  const s = v.trim();
  if (/^-?\d+$/.test(s)) return Number(s) * 1000;
  if (!ISO_DATE.test(s)) return undefined;
  const ms = Date.parse(s.length === 10 ? s + "T00:00:00Z" : s);
  return Number.isNaN(ms) ? undefined : ms;
}

export function scalarString(v: ContextScalar): string {
  return typeof v === "string" ? v : String(v);
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/**
 * Compares one request value with one (variable-resolved) policy value. Returns undefined when the
 * policy value is not valid for the operator (e.g. "ten" for NumericEquals): it matches nothing.
 */
export function compare(op: PositiveOperator, request: ContextScalar, policy: string): boolean | undefined {
  switch (op) {
    case "StringEquals":
      return scalarString(request) === equalityText(policy);
    case "StringEqualsIgnoreCase":
      return scalarString(request).toLowerCase() === equalityText(policy).toLowerCase();
    case "StringLike":
      return wildcardMatch(policy, scalarString(request));
    case "ArnEquals":
    case "ArnLike":
      return arnMatch(policy, scalarString(request));
    case "Bool": {
      const p = policy.toLowerCase();
      if (p !== "true" && p !== "false") return undefined;
      return scalarString(request).toLowerCase() === p;
    }
    case "BinaryEquals": {
      if (!BASE64.test(policy)) return undefined;
      const r = scalarString(request);
      return BASE64.test(r) && Buffer.from(r, "base64").equals(Buffer.from(policy, "base64"));
    }
    case "IpAddress": {
      const block = parseCidr(policy);
      if (!block) return undefined;
      const addr = parseAddress(scalarString(request));
      return addr !== undefined && cidrContains(block, addr);
    }
    default:
      break;
  }
  const numeric = op.startsWith("Numeric");
  const p = numeric ? toNumber(policy) : toDateMs(policy);
  if (p === undefined) return undefined;
  const r = numeric ? toNumber(request) : toDateMs(request);
  if (r === undefined) return false;
  switch (op) {
    case "NumericEquals":
    case "DateEquals":
      return r === p;
    case "NumericLessThan":
    case "DateLessThan":
      return r < p;
    case "NumericLessThanEquals":
    case "DateLessThanEquals":
      return r <= p;
    case "NumericGreaterThan":
    case "DateGreaterThan":
      return r > p;
    default:
      return r >= p;
  }
}
