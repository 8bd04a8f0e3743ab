/**
 * readServiceAccountIdentity: what a ServiceAccount's annotations ask for (role, audience, regional
 * STS, token lifetime), parsed as upstream's ServiceAccount cache does, with a reason per setting.
 */
import type { Reason } from "../../lib/decision.js";
import type { KubeObject } from "../../store/types.js";
import { derivedSettings, type PodIdentityConfig } from "./config.js";
import { goParseBool, goParseInt64 } from "./lib/go-strconv.js";

export interface ServiceAccountIdentity {
  /** "" when the ServiceAccount has no (or an empty) role-arn annotation: the pod is not mutated. */
  readonly roleArn: string;
  /** "" is possible (an empty annotation) and means the projected token names no audience. */
  readonly audience: string;
  /** "default" or "ServiceAccount annotation". */
  readonly audienceFrom: string;
  readonly useRegionalSts: boolean;
  /** Seconds, at least the configured minimum. */
  readonly tokenExpiration: number;
  readonly reasons: readonly Reason[];
}

/** Upstream warns (and still uses the value) when a role ARN does not look like one. */
const ROLE_ARN_SHAPE = /^arn:aws[a-z0-9-]*:iam::\d{12}:role\/[\w\-/.@+=,]+$/;

/** The annotation value, when present as a string. */
export function annotation(
  obj: { metadata: { annotations?: unknown } } | undefined,
  key: string,
): string | undefined {
  const a = obj?.metadata.annotations;
  if (typeof a !== "object" || a === null || !Object.hasOwn(a, key)) return undefined;
  const v = (a as Record<string, unknown>)[key];
  return typeof v === "string" ? v : undefined;
}

/** A token-expiration value: invalid → undefined (the caller keeps the previous value); small → raised. */
export function parseTokenExpiration(
  raw: string,
  min: number,
): { value: number; raised: boolean } | undefined {
  const v = goParseInt64(raw);
  if (v === undefined) return undefined;
  return v < min ? { value: min, raised: true } : { value: v, raised: false };
}

export function readServiceAccountIdentity(
  sa: KubeObject,
  config: PodIdentityConfig,
): ServiceAccountIdentity {
  const keys = derivedSettings(config).keys;
  const ref = `ServiceAccount ${sa.metadata.namespace ?? ""}/${sa.metadata.name}`;
  const reasons: Reason[] = [];
  const src = (key: string): string => `${ref} annotation ${key}`;

  let roleArn = annotation(sa, keys.roleArn) ?? "";
  if (roleArn === "") {
    reasons.push({
      check: "pod-identity.role-arn",
      ok: false,
      message: `${ref} has no ${keys.roleArn} annotation; the pod is not mutated`,
      source: src(keys.roleArn),
    });
  } else {
    if (config.composeRoleArn && !roleArn.includes("arn:")) {
      const composed = `arn:${config.composeRoleArn.partition}:iam::${config.composeRoleArn.accountId}:role/${roleArn}`;
      reasons.push({
        check: "pod-identity.role-arn-compose",
        ok: true,
        message: `role name "${roleArn}" composed into ${composed}`,
        source: src(keys.roleArn),
        actual: composed,
      });
      roleArn = composed;
    }
    reasons.push({
      check: "pod-identity.role-arn",
      ok: true,
      message: `role ${roleArn} from ${ref}`,
      source: src(keys.roleArn),
      actual: roleArn,
    });
    if (!ROLE_ARN_SHAPE.test(roleArn)) {
      reasons.push({
        check: "pod-identity.role-arn-format",
        ok: false,
        message: `role ARN "${roleArn}" does not look like an IAM role ARN; it is injected anyway, as upstream does`,
        source: src(keys.roleArn),
        expected: "arn:<partition>:iam::<12-digit account>:role/<path and name>",
        actual: roleArn,
      });
    }
  }

  const aud = annotation(sa, keys.audience);
  const audience = aud ?? config.defaultAudience;
  const audienceFrom = aud === undefined ? "default" : "ServiceAccount annotation";

  let useRegionalSts = config.stsRegionalEndpoints;
  const sts = annotation(sa, keys.stsRegionalEndpoints);
  if (sts !== undefined) {
    const parsed = goParseBool(sts);
    if (parsed === undefined) {
      reasons.push({
        check: "pod-identity.sts-regional-endpoints",
        ok: false,
        message: `ignored ${keys.stsRegionalEndpoints}=${JSON.stringify(sts)} (not a boolean); using the default ${useRegionalSts}`,
        source: src(keys.stsRegionalEndpoints),
        expected: "1, t, T, TRUE, true, True, 0, f, F, FALSE, false or False",
        actual: sts,
      });
    } else {
      useRegionalSts = parsed;
      reasons.push({
        check: "pod-identity.sts-regional-endpoints",
        ok: true,
        message: `regional STS endpoints ${parsed ? "on" : "off"} from ${ref}`,
        source: src(keys.stsRegionalEndpoints),
        actual: parsed,
      });
    }
  }

  let tokenExpiration = config.defaultTokenExpiration;
  const exp = annotation(sa, keys.tokenExpiration);
  if (exp !== undefined) {
    const parsed = parseTokenExpiration(exp, config.minTokenExpiration);
    if (parsed === undefined) {
      reasons.push({
        check: "pod-identity.token-expiration",
        ok: false,
        message: `ignored ${keys.tokenExpiration}=${JSON.stringify(exp)} on ${ref} (not a base-10 integer); using ${tokenExpiration}`,
        source: src(keys.tokenExpiration),
        expected: "an integer number of seconds",
        actual: exp,
      });
    } else {
      tokenExpiration = parsed.value;
      if (parsed.raised) {
        reasons.push({
          check: "pod-identity.token-expiration",
          ok: false,
          message: `${keys.tokenExpiration}=${exp} on ${ref} is below the minimum; raised to ${parsed.value}`,
          source: src(keys.tokenExpiration),
          expected: `>= ${config.minTokenExpiration}`,
          actual: exp,
        });
      }
    }
  }
  return { roleArn, audience, audienceFrom, useRegionalSts, tokenExpiration, reasons };
}
