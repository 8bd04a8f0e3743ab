/**
 * The pre-STS half of aws-iam-authenticator's token verification: every check on a
 * `k8s-aws-v1.` token before it is replayed to STS, in upstream order and with upstream error
 * texts. The signature is not checked here (STS checks it, cluster ID included, on replay).
 * Pure: the clock value is a parameter; nothing is logged; no message contains the presigned query.
 */
import type { Reason } from "../../lib/decision.js";
import { decodeRawUrlBase64 } from "./lib/go-base64.js";
import { goAtoi, goEqualFold, goQuote, goToLower, binaryToText, bytesToBinary } from "./lib/go-strings.js";
import { parseAmzDate } from "./lib/go-time.js";
import { goParseQuery, goParseUrl } from "./lib/go-url.js";
import { verifyStsHost, type Partition } from "./sts-hosts.js";
import { isoTime } from "../../lib/iso-time.js";

export const TOKEN_PREFIX = "k8s-aws-v1.";
export const MAX_TOKEN_BYTES = 4096;
/** Tokens are good for 15 minutes after X-Amz-Date, whatever X-Amz-Expires says. */
export const PRESIGNED_URL_LIFETIME_MS = 15 * 60 * 1000;
export const MAX_X_AMZ_EXPIRES = 900;
export const CLUSTER_ID_HEADER = "x-k8s-aws-id";
export const FORMAT_ERROR_PREFIX = "input token was not properly formatted: ";

const ALLOWED_PARAMS = new Set([
  "action",
  "version",
  "x-amz-algorithm",
  "x-amz-credential",
  "x-amz-date",
  "x-amz-expires",
  "x-amz-security-token",
  "x-amz-signature",
  "x-amz-signedheaders",
]);

/** Which check rejected the token; the suffix of Reason.check ("iam-token.<step>"). */
export type TokenCheck =
  | "size"
  | "prefix"
  | "base64"
  | "url"
  | "scheme"
  | "host"
  | "path"
  | "query"
  | "query-duplicate"
  | "query-allowlist"
  | "query-multivalue"
  | "action"
  | "signed-headers"
  | "expires"
  | "date-missing"
  | "date-format"
  | "date-expired"
  | "replay-url";

export interface VerifyTokenOptions {
  /** The server's cluster ID; sent as x-k8s-aws-id on replay, so STS checks it. */
  clusterID: string;
  /** Server partition, default "aws". */
  partition?: Partition | undefined;
  /** The region the server runs in; lets `sts.<region>.<partition domain>` through for regions the SDK does not know. */
  instanceRegion?: string | undefined;
  /** Exact extra `host[:port]` values accepted as STS (kubeiam's own STS in embedded mode). */
  extraHosts?: readonly string[] | undefined;
  /** Milliseconds since the epoch. */
  now: number;
}

export interface VerifiedToken {
  ok: true;
  /** The presigned GetCallerIdentity URL to GET (redirects must not be followed). */
  stsUrl: URL;
  /** Headers to send with the GET. */
  headers: { "x-k8s-aws-id": string; accept: "application/json" };
  /** Region label of the STS host ("global" for sts.amazonaws.com); used in STS error texts. */
  region: string;
  /** The STS host as in the token (upstream's Identity.STSEndpoint). */
  stsEndpoint: string;
  /** Access key ID from X-Amz-Credential ("" when absent). Not a secret. */
  accessKeyId: string;
  /** When the token stops being replayable (X-Amz-Date + 15 min), ms since the epoch. */
  expiresAt: number;
  reasons: Reason[];
}

export interface RejectedToken {
  ok: false;
  /** Upstream's error text, "input token was not properly formatted: …". */
  error: string;
  check: TokenCheck;
  reason: Reason;
}

export type VerifyTokenResult = VerifiedToken | RejectedToken;

function reject(
  check: TokenCheck,
  detail: string,
  explain: string,
  extra: { expected?: unknown; actual?: unknown } = {},
): RejectedToken {
  const reason: Reason = { check: `iam-token.${check}`, ok: false, message: explain, ...extra };
  return { ok: false, error: FORMAT_ERROR_PREFIX + detail, check, reason };
}

/**
 * Runs the pre-STS checks of aws-iam-authenticator's Verify (token size, prefix, base64, URL,
 * scheme, host allow-list, path, query parameters, action, signed headers, expiry parameters) and
 * returns the URL to replay, or the first failure with upstream's text.
 */
export function verifyIamTokenFormat(token: string, opts: VerifyTokenOptions): VerifyTokenResult {
  const tokenBytes = Buffer.from(token, "utf8");
  if (tokenBytes.length > MAX_TOKEN_BYTES) {
    return reject(
      "size",
      "token is too large",
      `The token is ${tokenBytes.length} bytes; the limit is ${MAX_TOKEN_BYTES}.`,
      {
        expected: `<= ${MAX_TOKEN_BYTES} bytes`,
        actual: tokenBytes.length,
      },
    );
  }
  if (!token.startsWith(TOKEN_PREFIX)) {
    return reject(
      "prefix",
      `token is missing expected "${TOKEN_PREFIX}" prefix`,
      `An IAM token starts with "${TOKEN_PREFIX}".`,
      {
        expected: TOKEN_PREFIX,
      },
    );
  }

  const decoded = decodeRawUrlBase64(tokenBytes.subarray(TOKEN_PREFIX.length));
  if (!decoded.ok) {
    return reject(
      "base64",
      decoded.error,
      `The token body is not unpadded base64url: bad character or length at byte ${decoded.offset} after the prefix.`,
      { expected: "base64url without padding", actual: `offset ${decoded.offset}` },
    );
  }
  const raw = bytesToBinary(decoded.bytes);

  const parsed = goParseUrl(raw);
  if (!parsed.ok) {
    return reject("url", parsed.error, `The decoded token is not a URL: ${parsed.cause}.`);
  }
  const url = parsed.url;

  if (url.scheme !== "https") {
    return reject(
      "scheme",
      `unexpected scheme ${goQuote(url.scheme)} in pre-signed URL`,
      "The presigned URL must use https.",
      {
        expected: "https",
        actual: binaryToText(url.scheme),
      },
    );
  }

  const host = verifyStsHost(url.host, {
    partition: opts.partition,
    instanceRegion: opts.instanceRegion,
    extraHosts: opts.extraHosts,
  });
  if (!host.ok) {
    return reject(
      "host",
      host.error,
      `The presigned URL's host is not an STS endpoint of partition ${opts.partition ?? "aws"} (rule: ${host.rule}).`,
      {
        actual: binaryToText(url.host),
      },
    );
  }

  if (url.path !== "/") {
    return reject(
      "path",
      "unexpected path in pre-signed URL",
      'The presigned URL\'s path must be exactly "/".',
      {
        expected: "/",
        actual: binaryToText(url.path),
      },
    );
  }

  const query = goParseQuery(url.rawQuery);
  if (query.error !== undefined) {
    return reject("query", "malformed query parameter", `The query string does not parse: ${query.error}.`);
  }

  const seen = new Set<string>();
  const lowered: string[] = [];
  for (const key of query.values.keys()) {
    const lower = goToLower(key);
    lowered.push(lower);
    if (seen.has(lower)) {
      return reject(
        "query-duplicate",
        `duplicate query parameter found: ${goQuote(key)}`,
        "Two query parameters differ only in letter case; STS and the authenticator could read different ones.",
        { actual: binaryToText(key) },
      );
    }
    seen.add(lower);
  }

  const params = new Map<string, string>();
  let n = 0;
  for (const [key, values] of query.values) {
    const lower = lowered[n++]!;
    if (!ALLOWED_PARAMS.has(lower)) {
      return reject(
        "query-allowlist",
        `non-whitelisted query parameter ${goQuote(key)}`,
        "The query carries a parameter a GetCallerIdentity presign never has.",
        {
          expected: [...ALLOWED_PARAMS],
          actual: binaryToText(key),
        },
      );
    }
    if (values.length !== 1) {
      return reject(
        "query-multivalue",
        "query parameter with multiple values not supported",
        `The parameter ${binaryToText(key)} appears ${values.length} times.`,
        {
          expected: 1,
          actual: values.length,
        },
      );
    }
    params.set(lower, values[0]!);
  }

  const action = params.get("action") ?? "";
  if (action !== "GetCallerIdentity") {
    return reject(
      "action",
      "unexpected action parameter in pre-signed URL",
      "Action must be GetCallerIdentity (case-sensitive).",
      {
        expected: "GetCallerIdentity",
        actual: binaryToText(action),
      },
    );
  }

  const signedHeaders = (params.get("x-amz-signedheaders") ?? "").split(";");
  if (!signedHeaders.some((h) => goEqualFold(h, CLUSTER_ID_HEADER))) {
    return reject(
      "signed-headers",
      `client did not sign the ${CLUSTER_ID_HEADER} header in the pre-signed URL`,
      `X-Amz-SignedHeaders must include ${CLUSTER_ID_HEADER}, which binds the token to a cluster.`,
      {
        expected: `includes ${CLUSTER_ID_HEADER}`,
        actual: binaryToText(params.get("x-amz-signedheaders") ?? ""),
      },
    );
  }

  const expires = goAtoi(params.get("x-amz-expires") ?? "");
  if (!expires.ok || expires.value < 0n || expires.value > BigInt(MAX_X_AMZ_EXPIRES)) {
    return reject(
      "expires",
      `invalid X-Amz-Expires parameter in pre-signed URL: ${expires.value}`,
      `X-Amz-Expires must be present and an integer from 0 to ${MAX_X_AMZ_EXPIRES}.`,
      {
        expected: `0..${MAX_X_AMZ_EXPIRES}`,
        actual: binaryToText(params.get("x-amz-expires") ?? ""),
      },
    );
  }

  const date = params.get("x-amz-date") ?? "";
  if (date === "") {
    return reject(
      "date-missing",
      "X-Amz-Date parameter must be present in pre-signed URL",
      "X-Amz-Date is required; the token expires 15 minutes after it.",
    );
  }

  const accessKeyId = binaryToText((params.get("x-amz-credential") ?? "").split("/")[0]!);

  const when = parseAmzDate(date);
  if (!when.ok) {
    return reject(
      "date-format",
      `error parsing X-Amz-Date parameter ${binaryToText(date)} into format 20060102T150405Z: ${when.error}`,
      "X-Amz-Date must look like 20060102T150405Z.",
      { expected: "YYYYMMDDTHHMMSSZ", actual: binaryToText(date) },
    );
  }
  const nowNs = BigInt(Math.trunc(opts.now)) * 1_000_000n;
  const expiresNs = when.epochNs + BigInt(PRESIGNED_URL_LIFETIME_MS) * 1_000_000n;
  if (nowNs > expiresNs) {
    return reject(
      "date-expired",
      `X-Amz-Date parameter is expired (15 minute expiration) ${when.display}`,
      "The token was signed more than 15 minutes ago.",
      {
        expected: `now <= ${new Date(Number(expiresNs / 1_000_000n)).toISOString()}`,
        actual: new Date(Math.trunc(opts.now)).toISOString(),
      },
    );
  }

  const stsUrl = replayUrl(url.host, url.rawQuery);
  if (!stsUrl) {
    return reject(
      "replay-url",
      "unexpected hostname in pre-signed URL",
      "The STS URL cannot be rebuilt without changing its host; refusing to replay it.",
      {
        actual: binaryToText(url.host),
      },
    );
  }

  return {
    ok: true,
    stsUrl,
    headers: { "x-k8s-aws-id": opts.clusterID, accept: "application/json" },
    region: host.region,
    stsEndpoint: binaryToText(url.host),
    accessKeyId,
    expiresAt: Number(expiresNs / 1_000_000n),
    reasons: [
      {
        check: "iam-token.format",
        ok: true,
        message: `Token is a presigned GetCallerIdentity URL for ${binaryToText(url.host)} (host rule: ${host.rule}); it is replayable until ${isoTime(Number(expiresNs / 1_000_000n))}.`,
        source: binaryToText(url.host),
      },
    ],
  };
}

/**
 * Builds the URL to replay from the checked parts only (Go sends `https://<host>/?<rawQuery>`),
 * percent-encoding raw non-ASCII query bytes, and refuses when the WHATWG parser would land on a
 * different host or path than the one that passed the allow-list.
 */
function replayUrl(host: string, rawQuery: string): URL | undefined {
  const query = rawQuery.replace(
    /[\x80-\xff]/g,
    (c) => "%" + c.charCodeAt(0).toString(16).toUpperCase().padStart(2, "0"),
  );
  let u: URL;
  try {
    u = new URL(`https://${host}/?${query}`);
  } catch {
    return undefined;
  }
  if (u.host !== host || u.pathname !== "/" || u.username !== "" || u.password !== "") return undefined;
  return u;
}
