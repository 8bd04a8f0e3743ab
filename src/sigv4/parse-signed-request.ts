/**
 * parseSignedRequest: finds and parses the SigV4 authentication data of an incoming request, either
 * the Authorization header ("header") or presigned X-Amz-* query parameters ("query"). No secret is
 * involved: the result gives the access key id the caller looks up before verifySignature.
 *
 * Errors carry the code and text STS answers with:
 * - nothing at all → MissingAuthenticationToken "Request is missing Authentication Token";
 * - an Authorization header lacking parts → IncompleteSignature listing each missing part, then
 *   "Authorization=<header>" (the echoed value goes through redactString, so a bearer token or JWT
 *   sent by mistake is not reflected);
 * - a presigned URL lacking parameters → IncompleteSignature "AWS query-string parameters must
 *   include '<name>'. … Re-examine the query-string parameters.";
 * - a credential without 5 slash-separated parts, or a malformed date → IncompleteSignature.
 * Query parameter names are matched without case; a repeated auth parameter is rejected.
 */
import { redactString } from "../lib/redact.js";
import { authError, missingAuthenticationToken } from "./errors.js";
import type { AwsAuthError } from "./errors.js";
import { parseQuery } from "./lib/canonical.js";
import { formatAmzDate, parseAmzDate, parseHttpDate } from "./lib/amz-date.js";
import { ALGORITHM, MAX_PRESIGN_SECONDS } from "./types.js";
import type { CredentialScope, HeaderValue, IncomingSignedRequest, ParsedAuth } from "./types.js";

export type ParseSignedRequestResult =
  { readonly ok: true; readonly auth: ParsedAuth } | { readonly ok: false; readonly error: AwsAuthError };

/** Request parts parsing needs (a subset of IncomingSignedRequest; the body is not read). */
export type SignedRequestHead = Pick<IncomingSignedRequest, "rawQuery" | "headers">;

/** Longest Authorization header accepted (a real one is ~200-300 bytes). */
const MAX_AUTHORIZATION_LENGTH = 8192;

const fail = (error: AwsAuthError): ParseSignedRequestResult => ({ ok: false, error });

function single(v: HeaderValue): string | undefined | null {
  if (v === undefined) return undefined;
  if (typeof v === "string") return v;
  if (v.length === 0) return undefined;
  return v.length === 1 ? v[0]! : null;
}

function repeated(name: string): AwsAuthError {
  return authError(
    "IncompleteSignature",
    "sigv4.repeated",
    `Request must not repeat '${name}'. (kubeiam wording)`,
    `'${name}' appears more than once`,
  );
}

function parseCredential(credential: string): { accessKeyId: string; scope: CredentialScope } | AwsAuthError {
  const parts = credential.split("/");
  if (parts.length !== 5 || parts.some((p) => p === "")) {
    return authError(
      "IncompleteSignature",
      "sigv4.credential",
      `Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got '${credential}'`,
    );
  }
  const [accessKeyId, date, region, service, terminator] = parts as [string, string, string, string, string];
  return { accessKeyId, scope: { date, region, service, terminator } };
}

function badDate(value: string): AwsAuthError {
  return authError(
    "IncompleteSignature",
    "sigv4.date",
    `Date must be in ISO-8601 'basic format'. Got '${value}'. See http://en.wikipedia.org/wiki/ISO_8601`,
  );
}

function normalizeSignedHeaders(list: string): string[] {
  return [
    ...new Set(
      list
        .split(";")
        .map((h) => h.trim().toLowerCase())
        .filter((h) => h !== ""),
    ),
  ].sort();
}

const QUERY_AUTH_PARAMS = [
  "X-Amz-Algorithm",
  "X-Amz-Credential",
  "X-Amz-Signature",
  "X-Amz-SignedHeaders",
  "X-Amz-Date",
  "X-Amz-Expires",
  "X-Amz-Security-Token",
] as const;
type QueryAuthParam = (typeof QUERY_AUTH_PARAMS)[number];
const REQUIRED_QUERY: readonly QueryAuthParam[] = [
  "X-Amz-Algorithm",
  "X-Amz-Credential",
  "X-Amz-Signature",
  "X-Amz-SignedHeaders",
  "X-Amz-Date",
];

/** Query-auth parameter names by their lower-case form (matched case-insensitively). */
const QUERY_AUTH_BY_LOWER = new Map<string, QueryAuthParam>(
  QUERY_AUTH_PARAMS.map((p) => [p.toLowerCase(), p]),
);

export function parseSignedRequest(req: SignedRequestHead): ParseSignedRequestResult {
  const rawAuthorization = single(req.headers.authorization);
  if (rawAuthorization === null) return fail(repeated("Authorization"));
  // an empty header is no header
  const authorization = rawAuthorization?.trim() === "" ? undefined : rawAuthorization;

  const found = new Map<QueryAuthParam, string>();
  for (const { key, value } of parseQuery(req.rawQuery)) {
    const name = QUERY_AUTH_BY_LOWER.get(key.toLowerCase());
    if (name === undefined) continue;
    if (found.has(name)) return fail(repeated(name));
    found.set(name, value);
  }
  const queryAuth =
    found.has("X-Amz-Algorithm") || found.has("X-Amz-Signature") || found.has("X-Amz-Credential");

  if (authorization !== undefined && queryAuth) {
    return fail(
      authError(
        "IncompleteSignature",
        "sigv4.one-mechanism",
        "Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, Signature query string " +
          "parameter or the Authorization header should be specified",
      ),
    );
  }
  if (authorization !== undefined) return parseHeaderAuth(authorization, req.headers);
  if (queryAuth) return parseQueryAuth(found, req.headers);
  return fail(missingAuthenticationToken());
}

function parseHeaderAuth(
  authorization: string,
  headers: Readonly<Record<string, HeaderValue>>,
): ParseSignedRequestResult {
  if (authorization.length > MAX_AUTHORIZATION_LENGTH) {
    return fail(
      authError(
        "IncompleteSignature",
        "sigv4.authorization",
        `Authorization header is longer than ${MAX_AUTHORIZATION_LENGTH} characters. (kubeiam wording)`,
      ),
    );
  }
  /** The header as error messages echo it (secrets removed); built only for an error. */
  const echoed = (): string => redactString(authorization);
  const trimmed = authorization.trim();
  const space = trimmed.indexOf(" ");
  const algorithm = space < 0 ? trimmed : trimmed.slice(0, space);
  const fields = new Map<string, string>();
  if (algorithm === ALGORITHM && space > 0) {
    for (const raw of trimmed.slice(space + 1).split(",")) {
      const part = raw.trim();
      if (part === "") continue;
      const eq = part.indexOf("=");
      if (eq < 0) {
        return fail(
          authError(
            "IncompleteSignature",
            "sigv4.authorization",
            `'${redactString(part)}' not a valid key=value pair (missing equal-sign) in Authorization header: '${echoed()}'.`,
          ),
        );
      }
      const k = part.slice(0, eq).trim();
      if (fields.has(k)) return fail(repeated(k));
      fields.set(k, part.slice(eq + 1).trim());
    }
  }

  const amzDateHeader = single(headers["x-amz-date"]);
  const dateHeader = single(headers.date);
  if (amzDateHeader === null) return fail(repeated("X-Amz-Date"));
  if (dateHeader === null) return fail(repeated("Date"));

  const missing: string[] = [];
  for (const k of ["Credential", "Signature", "SignedHeaders"]) {
    if (!fields.get(k)) missing.push(`Authorization header requires '${k}' parameter. `);
  }
  if (amzDateHeader === undefined && dateHeader === undefined) {
    missing.push("Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. ");
  }
  if (missing.length > 0) {
    return fail(
      authError(
        "IncompleteSignature",
        "sigv4.authorization",
        `${missing.join("")}Authorization=${echoed()}`,
        algorithm === ALGORITHM
          ? "the Authorization header is incomplete"
          : `unsupported algorithm '${redactString(algorithm)}'`,
      ),
    );
  }

  const cred = parseCredential(fields.get("Credential")!);
  if ("code" in cred) return fail(cred);

  let dateMs: number | undefined;
  let amzDate: string;
  if (amzDateHeader !== undefined) {
    dateMs = parseAmzDate(amzDateHeader.trim());
    if (dateMs === undefined) return fail(badDate(amzDateHeader));
    amzDate = amzDateHeader.trim();
  } else {
    dateMs = parseHttpDate(dateHeader!);
    if (dateMs === undefined) return fail(badDate(dateHeader!));
    amzDate = formatAmzDate(dateMs);
  }

  const token = single(headers["x-amz-security-token"]);
  if (token === null) return fail(repeated("X-Amz-Security-Token"));
  return {
    ok: true,
    auth: {
      kind: "header",
      accessKeyId: cred.accessKeyId,
      scope: cred.scope,
      signedHeaders: normalizeSignedHeaders(fields.get("SignedHeaders")!),
      signature: fields.get("Signature")!.toLowerCase(),
      securityToken: token,
      amzDate,
      dateMs,
    },
  };
}

function parseQueryAuth(
  found: ReadonlyMap<QueryAuthParam, string>,
  headers: Readonly<Record<string, HeaderValue>>,
): ParseSignedRequestResult {
  const missing = REQUIRED_QUERY.filter((p) => !found.get(p));
  if (missing.length > 0) {
    return fail(
      authError(
        "IncompleteSignature",
        "sigv4.query",
        missing.map((p) => `AWS query-string parameters must include '${p}'. `).join("") +
          "Re-examine the query-string parameters.",
      ),
    );
  }
  const algorithm = found.get("X-Amz-Algorithm")!;
  if (algorithm !== ALGORITHM) {
    return fail(
      authError(
        "IncompleteSignature",
        "sigv4.algorithm",
        `X-Amz-Algorithm only supports "${ALGORITHM}"`,
        `unsupported algorithm '${algorithm}'`,
      ),
    );
  }
  const cred = parseCredential(found.get("X-Amz-Credential")!);
  if ("code" in cred) return fail(cred);
  const amzDate = found.get("X-Amz-Date")!;
  const dateMs = parseAmzDate(amzDate);
  if (dateMs === undefined) return fail(badDate(amzDate));

  let expires: number | undefined;
  const rawExpires = found.get("X-Amz-Expires");
  if (rawExpires !== undefined) {
    if (!/^\d{1,9}$/.test(rawExpires)) {
      return fail(authError("IncompleteSignature", "sigv4.expires", "X-Amz-Expires should be a number"));
    }
    expires = Number(rawExpires);
    if (expires > MAX_PRESIGN_SECONDS) {
      return fail(
        authError(
          "IncompleteSignature",
          "sigv4.expires",
          `X-Amz-Expires must be less than a week (in seconds) that is 7 days`,
          `X-Amz-Expires ${expires} exceeds ${MAX_PRESIGN_SECONDS}`,
        ),
      );
    }
  }
  let token: string | undefined | null = found.get("X-Amz-Security-Token");
  if (token === undefined) {
    token = single(headers["x-amz-security-token"]);
    if (token === null) return fail(repeated("X-Amz-Security-Token"));
  }
  return {
    ok: true,
    auth: {
      kind: "query",
      accessKeyId: cred.accessKeyId,
      scope: cred.scope,
      signedHeaders: normalizeSignedHeaders(found.get("X-Amz-SignedHeaders")!),
      signature: found.get("X-Amz-Signature")!.toLowerCase(),
      securityToken: token,
      amzDate,
      dateMs,
      expires,
    },
  };
}
