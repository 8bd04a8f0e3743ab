/**
 * metav1.LabelSelector: strict parsing (with field paths) and matching against a label set,
 * with Kubernetes semantics (matchLabels and every expression ANDed; an empty selector matches all).
 */
import { describeType, isRecord, labelKeyProblem, labelValueProblem } from "./values.js";

export type SelectorOperator = "In" | "NotIn" | "Exists" | "DoesNotExist";

export interface SelectorRequirement {
  readonly key: string;
  readonly operator: SelectorOperator;
  readonly values: readonly string[];
}

export interface LabelSelector {
  readonly matchLabels: Readonly<Record<string, string>>;
  readonly matchExpressions: readonly SelectorRequirement[];
}

const OPERATORS: readonly SelectorOperator[] = ["In", "NotIn", "Exists", "DoesNotExist"];

/** Parses a selector, pushing "path: problem" entries; returns undefined when it is unusable. */
export function parseLabelSelector(v: unknown, path: string, problems: string[]): LabelSelector | undefined {
  if (!isRecord(v)) {
    problems.push(
      `${path}: expected a label selector mapping (matchLabels, matchExpressions), found ${describeType(v)}`,
    );
    return undefined;
  }
  const before = problems.length;
  for (const k of Object.keys(v))
    if (k !== "matchLabels" && k !== "matchExpressions") problems.push(`${path}.${k}: unknown field`);
  const matchLabels: Record<string, string> = {};
  if (v.matchLabels !== undefined) {
    if (!isRecord(v.matchLabels))
      problems.push(
        `${path}.matchLabels: expected a mapping of strings, found ${describeType(v.matchLabels)}`,
      );
    else {
      for (const [k, val] of Object.entries(v.matchLabels)) {
        const kp = labelKeyProblem(k);
        if (kp) problems.push(`${path}.matchLabels[${k}]: invalid label key: ${kp}`);
        if (typeof val !== "string")
          problems.push(`${path}.matchLabels[${k}]: expected a string, found ${describeType(val)}`);
        else {
          const vp = labelValueProblem(val);
          if (vp) problems.push(`${path}.matchLabels[${k}]: invalid label value: ${vp}`);
          matchLabels[k] = val;
        }
      }
    }
  }
  const matchExpressions: SelectorRequirement[] = [];
  if (v.matchExpressions !== undefined) {
    if (!Array.isArray(v.matchExpressions))
      problems.push(`${path}.matchExpressions: expected a list, found ${describeType(v.matchExpressions)}`);
    else {
      v.matchExpressions.forEach((e: unknown, i) => {
        const p = `${path}.matchExpressions[${i}]`;
        if (!isRecord(e)) {
          problems.push(`${p}: expected a mapping (key, operator, values), found ${describeType(e)}`);
          return;
        }
        for (const k of Object.keys(e))
          if (k !== "key" && k !== "operator" && k !== "values") problems.push(`${p}.${k}: unknown field`);
        const key = e.key;
        if (typeof key !== "string") problems.push(`${p}.key: expected a string, found ${describeType(key)}`);
        else {
          const kp = labelKeyProblem(key);
          if (kp) problems.push(`${p}.key: invalid label key: ${kp}`);
        }
        const op = e.operator;
        if (typeof op !== "string" || !(OPERATORS as readonly string[]).includes(op)) {
          problems.push(
            `${p}.operator: expected one of ${OPERATORS.join(", ")}, found ${typeof op === "string" ? JSON.stringify(op) : describeType(op)}`,
          );
        }
        const values: string[] = [];
        if (e.values !== undefined) {
          if (!Array.isArray(e.values))
            problems.push(`${p}.values: expected a list of strings, found ${describeType(e.values)}`);
          else
            e.values.forEach((x: unknown, j) => {
              if (typeof x !== "string")
                problems.push(`${p}.values[${j}]: expected a string, found ${describeType(x)}`);
              else values.push(x);
            });
        }
        if ((op === "In" || op === "NotIn") && values.length === 0)
          problems.push(`${p}.values: must be non-empty when operator is ${op}`);
        if ((op === "Exists" || op === "DoesNotExist") && values.length > 0)
          problems.push(`${p}.values: must be empty when operator is ${op}`);
        if (typeof key === "string" && typeof op === "string")
          matchExpressions.push({ key, operator: op as SelectorOperator, values });
      });
    }
  }
  if (problems.length > before) return undefined;
  return { matchLabels, matchExpressions };
}

/** True when `labels` satisfies the selector. */
export function selectorMatches(
  sel: LabelSelector,
  labels: Readonly<Record<string, string>> | undefined,
): boolean {
  const l = labels ?? {};
  for (const [k, v] of Object.entries(sel.matchLabels)) if (!Object.hasOwn(l, k) || l[k] !== v) return false;
  for (const r of sel.matchExpressions) {
    const has = Object.hasOwn(l, r.key);
    switch (r.operator) {
      case "In":
        if (!has || !r.values.includes(l[r.key]!)) return false;
        break;
      case "NotIn":
        if (has && r.values.includes(l[r.key]!)) return false;
        break;
      case "Exists":
        if (!has) return false;
        break;
      case "DoesNotExist":
        if (has) return false;
        break;
    }
  }
  return true;
}

/** True when the selector has no requirement (it matches everything). */
export function selectorIsEmpty(sel: LabelSelector): boolean {
  return Object.keys(sel.matchLabels).length === 0 && sel.matchExpressions.length === 0;
}

/** `team=acme,env in (a,b),!legacy`: the kubectl rendering of a selector. */
export function formatSelector(sel: LabelSelector): string {
  const parts = Object.entries(sel.matchLabels).map(([k, v]) => `${k}=${v}`);
  for (const r of sel.matchExpressions) {
    if (r.operator === "Exists") parts.push(r.key);
    else if (r.operator === "DoesNotExist") parts.push(`!${r.key}`);
    else parts.push(`${r.key} ${r.operator === "In" ? "in" : "notin"} (${r.values.join(",")})`);
  }
  return parts.join(",");
}
