/** What the STS actions need from the rest of kubeiam (lookups, keys, policy engine, time) and what they return. */
import type { Reason } from "../lib/decision.js";
import type { SealingKey } from "../keys/sealing.js";
import type { OidcProviderView, RoleView } from "../iam/objects.js";
import type { AwsError } from "./aws-error.js";
import type { Caller } from "./caller.js";
import type { PolicyPort } from "./policy-port.js";
import type { KeyResolver } from "./web-identity.js";
import type { XmlValue } from "./xml.js";

export interface StsDecisionDeps {
  account: string;
  partition: string;
  role(name: string): RoleView | undefined;
  providers(): readonly OidcProviderView[];
  resolveKey: KeyResolver;
  policy: PolicyPort;
  /** Identity policies of a caller (inline + attached), as JSON texts. */
  callerPolicies(caller: Caller): string[];
  /** Milliseconds since the epoch. */
  now: number;
  /** Clock skew allowed for exp/nbf/iat of web-identity tokens, seconds (default 60). */
  webIdentitySkewSeconds?: number | undefined;
}

export interface StsDeps extends StsDecisionDeps {
  /** The key that seals session tokens issued now. */
  sealingKey(): SealingKey;
}

export type StsOutcome =
  | { ok: true; result: { [name: string]: XmlValue }; subject: string; reasons: Reason[] }
  | { ok: false; error: AwsError; subject?: string | undefined; reasons: Reason[] };
