/**
 * The policy questions STS and IAM ask, as a small interface the composition root implements with
 * the IAM policy engine (src/iam/policy). Keeps STS free of the engine's internals.
 */
import type { Reason } from "../lib/decision.js";

export type ContextValue = string | readonly string[] | boolean | number;

export interface PolicyQuestion {
  /** The principal of the request, for trust (resource) policies. */
  principal?: { type: "AWS" | "Federated" | "Service"; ids: readonly string[] };
  action: string;
  resource: string;
  context: Readonly<Record<string, ContextValue>>;
}

export type PolicyAnswer = {
  decision: "Allow" | "ExplicitDeny" | "ImplicitDeny";
  reasons: Reason[];
  matchedPrincipal?: string;
};

export interface PolicyPort {
  /** Evaluates one policy document (JSON text). A document that does not parse denies, with the reason. */
  evaluate(policyText: string, kind: "trust" | "identity", q: PolicyQuestion): PolicyAnswer;
  /** Validates a document for storage; returns the MalformedPolicyDocument message or undefined. */
  validate(policyText: string, kind: "trust" | "identity"): string | undefined;
}
