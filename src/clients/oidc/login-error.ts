/**
 * loginError: any failure from openid-client (or the network under it) as a KubeiamError that says
 * what failed and what to do. The identity provider unreachable or not speaking OIDC →
 * UPSTREAM_UNREACHABLE (exit 2); the identity provider saying no → LOGIN_FAILED (exit 1). The
 * provider's error code and description are kept; tokens never appear in the message.
 */
import { KubeiamError } from "../../lib/errors.js";
import { redactString } from "../../lib/redact.js";

interface OAuthErrorLike {
  error?: unknown;
  error_description?: unknown;
  status?: unknown;
  code?: unknown;
  cause?: unknown;
  name?: unknown;
  message?: unknown;
}

const HINTS: Readonly<Record<string, string>> = {
  invalid_client: "check --client-id and --client-secret",
  unauthorized_client:
    "the client is not allowed this grant type; ask the identity provider's administrator or use another --grant",
  unsupported_grant_type: "the identity provider does not offer this grant; use another --grant",
  invalid_scope: "check --scope",
  access_denied: "the login was refused at the identity provider",
  expired_token: "the code expired before the login was completed; run the command again",
};

function causeCode(e: unknown, depth = 0): string | undefined {
  if (depth > 4 || e === null || typeof e !== "object") return undefined;
  const o = e as OAuthErrorLike;
  if (typeof o.code === "string" && /^E[A-Z_]+$|CERT|SELF_SIGNED|UNABLE_TO|^UND_ERR/.test(o.code))
    return o.code;
  return causeCode(o.cause, depth + 1);
}

/** `what` names the step ("discovery of https://idp", "token refresh", "password grant"). */
export function loginError(e: unknown, what: string, issuer: string): KubeiamError {
  if (e instanceof KubeiamError) return e;
  const o = (e !== null && typeof e === "object" ? e : {}) as OAuthErrorLike;
  if (typeof o.error === "string") {
    const desc =
      typeof o.error_description === "string" && o.error_description !== "" ? `: ${o.error_description}` : "";
    const hint = HINTS[o.error];
    const code = o.error === "expired_token" ? "LOGIN_TIMEOUT" : "LOGIN_FAILED";
    return new KubeiamError(
      code,
      redactString(`${what}: the identity provider answered ${o.error}${desc}${hint ? ` (${hint})` : ""}`),
      { issuer, error: o.error },
    );
  }
  if (o.code === "OAUTH_WWW_AUTHENTICATE_CHALLENGE") {
    // a 401 with WWW-Authenticate: the client's own authentication failed
    const challenges = Array.isArray(o.cause) ? (o.cause as { parameters?: Record<string, unknown> }[]) : [];
    const params = challenges.find((c) => typeof c.parameters?.error === "string")?.parameters;
    const error = typeof params?.error === "string" ? params.error : "invalid_client";
    const desc =
      typeof params?.error_description === "string" && params.error_description !== ""
        ? `: ${params.error_description}`
        : "";
    return new KubeiamError(
      "LOGIN_FAILED",
      redactString(
        `${what}: the identity provider answered ${error}${desc} (${HINTS[error] ?? HINTS.invalid_client!})`,
      ),
      { issuer, error },
    );
  }
  const net = causeCode(e);
  const message = typeof o.message === "string" ? o.message : String(e);
  if (net !== undefined || (e instanceof TypeError && /fetch failed/.test(message))) {
    return new KubeiamError(
      "UPSTREAM_UNREACHABLE",
      `${what}: cannot reach ${issuer} (${net ?? message}); check --issuer, the network and --ca-file`,
      { issuer },
    );
  }
  if (o.code === "OAUTH_TIMEOUT")
    return new KubeiamError("UPSTREAM_UNREACHABLE", `${what}: ${issuer} did not answer in time`, { issuer });
  if (typeof o.code === "string" && o.code.startsWith("OAUTH_")) {
    const cause = o.cause as { status?: unknown; message?: unknown } | undefined;
    const detail =
      typeof cause?.status === "number"
        ? ` (HTTP ${cause.status})`
        : cause instanceof Error
          ? `: ${cause.message}`
          : "";
    // a protocol violation during discovery means the URL is not an OIDC issuer; later, the answer was unusable
    const code = what.startsWith("discovery") ? "UPSTREAM_UNREACHABLE" : "LOGIN_FAILED";
    return new KubeiamError(code, redactString(`${what}: ${message}${detail} (${o.code})`), { issuer });
  }
  return new KubeiamError("LOGIN_FAILED", redactString(`${what}: ${message}`), { issuer });
}
