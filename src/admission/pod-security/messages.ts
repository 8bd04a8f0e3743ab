/**
 * The texts Pod Security Admission puts on the wire, built from a list of violations:
 * the aggregate `reason1 (detail1), reason2`, the enforce denial, the warning and the audit value.
 */
import { goQuote } from "./lib/text.js";

export interface ViolationText {
  readonly reason: string;
  readonly detail: string;
}

/** `reason1 (detail1), reason2, reason3 (detail3)`: the detail in parentheses only when not empty. */
export function aggregateViolations(violations: readonly ViolationText[]): string {
  let out = "";
  for (let i = 0; i < violations.length; i++) {
    const v = violations[i]!;
    if (i > 0) out += ", ";
    out += v.reason === "" ? "unknown forbidden reason" : v.reason;
    if (v.detail !== "") out += ` (${v.detail})`;
  }
  return out;
}

/** `violates PodSecurity "restricted:v1.30": …` — the body of an enforce denial. */
export function violatesMessage(levelVersion: string, violations: readonly ViolationText[]): string {
  return `violates PodSecurity ${goQuote(levelVersion)}: ${aggregateViolations(violations)}`;
}

/** `would violate PodSecurity "…": …` — a warn-mode response warning, and the audit-violations value. */
export function wouldViolateMessage(levelVersion: string, violations: readonly ViolationText[]): string {
  return `would violate PodSecurity ${goQuote(levelVersion)}: ${aggregateViolations(violations)}`;
}

/**
 * The full Forbidden text the API server returns on an enforce denial:
 * `pods "<name>" is forbidden: violates PodSecurity "…": …`.
 */
export function forbiddenPodMessage(podName: string, violatesText: string): string {
  return `pods ${goQuote(podName)} is forbidden: ${violatesText}`;
}
