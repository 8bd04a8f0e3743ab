/**
 * The post-STS half of aws-iam-authenticator's Verify: turns what the replayed GetCallerIdentity
 * GET produced (a response, a transport error or a body read error) into the caller's identity,
 * or into upstream's STS error text and the HTTP status the TokenReview endpoint answers with
 * (429 for throttling so kube-apiserver retries, 403 otherwise). Pure.
 */
import type { Reason } from "../../lib/decision.js";
import { canonicalizeArn, type PrincipalType } from "./arn.js";
import { goQuote, textToBinary } from "./lib/go-strings.js";
import type { VerifiedToken } from "./verify-token.js";

export const STS_ERROR_PREFIX = "sts getCallerIdentity failed: ";
export const STS_THROTTLED_PREFIX = "sts getCallerIdentity was throttled: ";
/** Bodies longer than this are not read (kubeiam limit; GetCallerIdentity answers are < 1 KiB). */
export const STS_MAX_BODY_BYTES = 64 * 1024;
/** Upstream's HTTP client timeout for the replay. */
export const STS_TIMEOUT_MS = 10_000;

/** What the edge observed when it sent the GET (without following redirects). */
export type StsReply =
  | { kind: "response"; status: number; body: string }
  /** The request failed (DNS, TLS, timeout, ...). The message must not contain the URL. */
  | { kind: "transport-error"; message: string }
  /** The body could not be read (or exceeded STS_MAX_BODY_BYTES). */
  | { kind: "read-error"; message: string };

/** aws-iam-authenticator's token.Identity (its `verify -o json` keys are the Go field names). */
export interface IamIdentity {
  arn: string;
  canonicalArn: string;
  accountId: string;
  /** Role unique ID without the session (AROA…), user ID (AIDA…), account (root) or ACCOUNT:name (federated). */
  userId: string;
  sessionName: string;
  accessKeyId: string;
  stsEndpoint: string;
  principalType: PrincipalType;
}

export type StsOutcome =
  | { ok: true; identity: IamIdentity; reasons: Reason[] }
  | {
      ok: false;
      throttled: boolean;
      /** Status for the /authenticate response. */
      httpStatus: 403 | 429;
      /** Upstream's error text. */
      error: string;
      /** The authenticate_latency_seconds result label upstream uses. */
      metricResult: "sts_error" | "sts_throttling";
      reason: Reason;
    };

type Token = Pick<VerifiedToken, "region" | "stsEndpoint" | "accessKeyId">;

function stsError(
  error: string,
  explain: string,
  extra: { expected?: unknown; actual?: unknown } = {},
): StsOutcome {
  return {
    ok: false,
    throttled: false,
    httpStatus: 403,
    error: STS_ERROR_PREFIX + error,
    metricResult: "sts_error",
    reason: { check: "iam-token.sts", ok: false, message: explain, ...extra },
  };
}

/** Interprets the replay's result as aws-iam-authenticator does (Verify steps after the GET). */
export function interpretStsReply(reply: StsReply, token: Token): StsOutcome {
  if (reply.kind === "transport-error") {
    return stsError(
      `error during GET: ${reply.message} on ${token.region} endpoint`,
      `STS could not be reached: ${reply.message}.`,
    );
  }
  if (reply.kind === "read-error") {
    return stsError(
      `error reading HTTP result: ${reply.message}`,
      `The STS answer could not be read: ${reply.message}.`,
    );
  }
  if (Buffer.byteLength(reply.body, "utf8") > STS_MAX_BODY_BYTES) {
    return stsError(
      `error reading HTTP result: body larger than ${STS_MAX_BODY_BYTES} bytes`,
      "The STS answer is too large.",
    );
  }
  if (reply.status !== 200) {
    if (reply.body.includes("Throttling")) {
      return {
        ok: false,
        throttled: true,
        httpStatus: 429,
        error: STS_THROTTLED_PREFIX + reply.body,
        metricResult: "sts_throttling",
        reason: {
          check: "iam-token.sts",
          ok: false,
          message: `STS throttled the GetCallerIdentity call (HTTP ${reply.status}); answering 429 so kube-apiserver retries.`,
          actual: reply.status,
        },
      };
    }
    return stsError(
      `error from AWS (expected 200, got ${reply.status}) on ${token.region} endpoint. Body: ${reply.body}`,
      reply.status === 403
        ? "STS rejected the presigned URL (HTTP 403): the signature does not match (often a token for another cluster ID), the credentials are invalid, or it expired."
        : `STS answered HTTP ${reply.status}.`,
      { expected: 200, actual: reply.status },
    );
  }

  const decoded = decodeCallerIdentity(reply.body);
  if (!decoded.ok)
    return stsError(
      decoded.error,
      `The STS answer is not a GetCallerIdentity JSON response: ${decoded.error}.`,
    );
  const { arn, account, userId } = decoded;

  const canon = canonicalizeArn(arn);
  if (!canon.ok) return stsError(canon.error, `STS returned an ARN kubeiam cannot map: ${canon.error}.`);

  let principalId = userId;
  let sessionName = "";
  const t = canon.principalType;
  if (t === "ASSUMED_ROLE" || (t === "ROLE" && userId.includes(":"))) {
    const parts = userId.split(":");
    if (parts.length !== 2) {
      return stsError(
        `malformed UserID ${goQuote(textToBinary(userId))}`,
        "STS returned a UserId that is not <unique id>:<session name>.",
        {
          expected: "UNIQUEID:session",
          actual: userId,
        },
      );
    }
    principalId = parts[0]!;
    sessionName = parts[1]!;
  }

  const identity: IamIdentity = {
    arn,
    canonicalArn: canon.canonicalArn,
    accountId: account,
    userId: principalId,
    sessionName,
    accessKeyId: token.accessKeyId,
    stsEndpoint: token.stsEndpoint,
    principalType: t,
  };
  return {
    ok: true,
    identity,
    reasons: [
      {
        check: "iam-token.sts",
        ok: true,
        message: `STS verified the token: ${arn} (canonical ${canon.canonicalArn}).`,
        source: token.stsEndpoint,
      },
    ],
  };
}

// ---------------------------------------------------------------------------------------------
// encoding/json into getCallerIdentityWrapper: field names match case-insensitively, unknown
// fields are ignored, null leaves a field empty, a wrong type is an error.

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

const jsonKind = (v: Json): string =>
  v === null
    ? "null"
    : Array.isArray(v)
      ? "array"
      : typeof v === "object"
        ? "object"
        : typeof v === "string"
          ? "string"
          : typeof v === "number"
            ? "number"
            : "bool";

function field(obj: { [k: string]: Json }, name: string): Json | undefined {
  let found: Json | undefined;
  const lower = name.toLowerCase();
  for (const k of Object.keys(obj)) if (k === name || k.toLowerCase() === lower) found = obj[k];
  return found;
}

/** Go's text for the common syntax errors; other malformed JSON gets a descriptive kubeiam text. */
function jsonSyntaxError(body: string, e: unknown): string {
  const trimmed = body.replace(/^[ \t\r\n]+/, "");
  if (trimmed === "") return "unexpected end of JSON input";
  const c = trimmed[0]!;
  if (!'{["-0123456789tfn'.includes(c))
    return `invalid character ${c === "'" ? "'\\''" : `'${c}'`} looking for beginning of value`;
  return `invalid JSON: ${e instanceof Error ? e.message : String(e)}`;
}

function decodeCallerIdentity(
  body: string,
): { ok: true; arn: string; account: string; userId: string } | { ok: false; error: string } {
  let root: Json;
  try {
    root = JSON.parse(body) as Json;
  } catch (e) {
    return { ok: false, error: jsonSyntaxError(body, e) };
  }
  const typeErr = (got: Json, path: string, type: string): { ok: false; error: string } => ({
    ok: false,
    error:
      path === ""
        ? `json: cannot unmarshal ${jsonKind(got)} into Go value of type ${type}`
        : `json: cannot unmarshal ${jsonKind(got)} into Go struct field .${path} of type ${type}`,
  });
  if (root === null) return { ok: true, arn: "", account: "", userId: "" };
  if (typeof root !== "object" || Array.isArray(root))
    return typeErr(root, "", "token.getCallerIdentityWrapper");
  const resp = field(root, "GetCallerIdentityResponse");
  const out = { arn: "", account: "", userId: "" };
  if (resp === undefined || resp === null) return { ok: true, ...out };
  if (typeof resp !== "object" || Array.isArray(resp))
    return typeErr(resp, "GetCallerIdentityResponse", "struct { GetCallerIdentityResult struct {...} }");
  const result = field(resp, "GetCallerIdentityResult");
  if (result !== undefined && result !== null) {
    if (typeof result !== "object" || Array.isArray(result))
      return typeErr(
        result,
        "GetCallerIdentityResponse.GetCallerIdentityResult",
        "struct { Account string; Arn string; UserId string }",
      );
    for (const [name, key] of [
      ["Account", "account"],
      ["Arn", "arn"],
      ["UserId", "userId"],
    ] as const) {
      const v = field(result, name);
      if (v === undefined || v === null) continue;
      if (typeof v !== "string")
        return typeErr(v, `GetCallerIdentityResponse.GetCallerIdentityResult.${name}`, "string");
      out[key] = v;
    }
  }
  return { ok: true, ...out };
}
