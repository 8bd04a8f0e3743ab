/**
 * One error type for kubeiam, with stable codes. Every protocol edge converts a KubeiamError to its
 * own wire format (CLI exit code + message, HTTP status, STS XML, Kubernetes Status, ...).
 * The catalogue below is mirrored in docs/errors.md; test/unit/lib/errors.test.ts keeps them in sync.
 */

export interface ErrorSpec {
  /** Exit code of a CLI command that fails with this error (1 negative answer, 2 bad usage or input). */
  readonly exit: 1 | 2;
  /** HTTP status when the error reaches an HTTP edge without a more specific mapping. */
  readonly http: number;
  readonly summary: string;
}

export const ERROR_CODES = {
  USAGE: { exit: 2, http: 400, summary: "The command line is wrong: unknown flag, missing argument or bad value." },
  CONFIG_INVALID: { exit: 2, http: 500, summary: "kubeiam.yaml does not match the schema; names the file, field, expected and found." },
  CONFIG_UNREADABLE: { exit: 2, http: 500, summary: "The config file cannot be read or is not YAML." },
  STATE_DIR_UNUSABLE: { exit: 2, http: 500, summary: "The state directory cannot be created, read or written." },
  STORE_OBJECT_INVALID: { exit: 2, http: 422, summary: "An object is malformed or fails its kind's schema." },
  STORE_UNKNOWN_KIND: { exit: 2, http: 422, summary: "An object has a kind kubeiam does not know." },
  STORE_NOT_FOUND: { exit: 1, http: 404, summary: "The requested object does not exist in the store." },
  STORE_CONFLICT: { exit: 1, http: 409, summary: "The object changed since it was read (resourceVersion mismatch)." },
  KEY_INVALID: { exit: 2, http: 500, summary: "A key or certificate file is unreadable, malformed or of the wrong type." },
  TOKEN_SERVICE_ACCOUNT_NOT_FOUND: { exit: 2, http: 404, summary: "A token was requested for a service account not in the store." },
  TOKEN_POD_NOT_FOUND: { exit: 2, http: 404, summary: "A bound token was requested for a pod not in the store." },
  TOKEN_DURATION_INVALID: { exit: 2, http: 400, summary: "The requested token lifetime is below the minimum (10 minutes) or not a duration." },
  TOKEN_AUDIENCE_INVALID: { exit: 2, http: 400, summary: "A requested audience is empty or malformed." },
  LISTEN_FAILED: { exit: 2, http: 500, summary: "The HTTPS listener cannot bind (address in use, permission, bad address)." },
  REQUEST_INVALID: { exit: 2, http: 400, summary: "An HTTP request body or parameter is malformed." },
  REQUEST_TOO_LARGE: { exit: 2, http: 413, summary: "An HTTP request body exceeds the size limit." },
  UNAUTHORIZED: { exit: 1, http: 401, summary: "An admin endpoint was called without the admin bearer token." },
  NOT_FOUND: { exit: 1, http: 404, summary: "No such route or resource." },
  SERVER_UNREACHABLE: { exit: 2, http: 502, summary: "A CLI command could not reach the kubeiam server given with --server." },
  PSA_POLICY_INVALID: { exit: 2, http: 400, summary: "A Pod Security level or version is not valid (levels privileged|baseline|restricted; versions latest or v1.N)." },
  POD_OBJECT_INVALID: { exit: 2, http: 422, summary: "An object given to Pod Security evaluation is not a Pod or workload kind, or a field its checks read has the wrong type; names the field." },
  INPUT_INVALID: { exit: 2, http: 400, summary: "An input file cannot be read, is not YAML/JSON, or is too large; names the file (and document)." },
  ARN_INVALID: { exit: 2, http: 400, summary: "A string is not a well-formed ARN, or not the kind of ARN expected (role, user, provider)." },
  POLICY_MALFORMED: { exit: 2, http: 400, summary: "An IAM policy document does not parse or validate (IAM's MalformedPolicyDocument)." },
  ADMISSION_OBJECT_INVALID: { exit: 2, http: 400, summary: "The object in an AdmissionReview does not decode as the kind the webhook expects (a field has the wrong JSON type); the message is the decoder's, naming the field." },
  JWKS_FETCH_FAILED: { exit: 2, http: 502, summary: "An issuer's OIDC discovery document or JWKS could not be fetched or parsed (HTTPS only, size and time limits, same-origin redirects)." },
  JWKS_KEY_NOT_FOUND: { exit: 1, http: 401, summary: "No key in an issuer's JWKS matches the token's kid and algorithm, even after a refresh." },
  AWS_CREDENTIALS_MISSING: { exit: 2, http: 500, summary: "No AWS credentials were found by the standard chain (environment, shared config and credentials files, SSO, credential_process, web identity, container or instance metadata)." },
  AWS_ASSUME_ROLE_FAILED: { exit: 1, http: 403, summary: "STS refused the AssumeRole call a client command made for --role-arn (access denied, bad role ARN, expired credentials); the message carries STS's code and text." },
  UPSTREAM_UNREACHABLE: { exit: 2, http: 502, summary: "An identity provider or STS endpoint that a client command (login, get-token) talks to cannot be reached, or does not answer with the expected protocol (DNS, connection, TLS, timeout, bad discovery document)." },
  LOGIN_FAILED: { exit: 1, http: 401, summary: "The identity provider refused a login, token refresh or code exchange (invalid_client, invalid_grant, access_denied, state mismatch), or the token it returned is unusable." },
  LOGIN_TIMEOUT: { exit: 1, http: 408, summary: "An interactive login (browser redirect or device code) was not completed within the time allowed." },
  IAM_CONFLICT: { exit: 1, http: 409, summary: "An IAM object or ServiceAccount already exists with settings that conflict with the request (e.g. `irsa create` on a role whose trust policy does not trust the service account); the message names the flag or command that resolves it." },
  IAM_NOT_FOUND: { exit: 2, http: 404, summary: "An IAM object a command refers to (managed policy, role, OIDC provider) does not exist." },
  KUBE_API_UNREACHABLE: { exit: 2, http: 502, summary: "Cluster mode: the Kubernetes API server cannot be reached or its kubeconfig cannot be used (connection refused, TLS, timeout, no cluster configured)." },
  KUBE_API_ERROR: { exit: 2, http: 502, summary: "Cluster mode: the Kubernetes API server refused a request kubeiam made (forbidden, unknown resource such as a CRD not installed, server error); the message carries its status, reason and text." },
  INTERNAL: { exit: 2, http: 500, summary: "A bug: an unexpected failure inside kubeiam." },
} as const satisfies Record<string, ErrorSpec>;

export type ErrorCode = keyof typeof ERROR_CODES;

export class KubeiamError extends Error {
  override readonly name = "KubeiamError";
  readonly code: ErrorCode;
  /** Structured context for logs and JSON output. Never put a secret here. */
  readonly context: Readonly<Record<string, unknown>>;

  constructor(code: ErrorCode, message: string, context: Record<string, unknown> = {}, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
    this.context = context;
  }

  get exitCode(): number {
    return ERROR_CODES[this.code].exit;
  }

  get httpStatus(): number {
    return ERROR_CODES[this.code].http;
  }

  toJSON(): { code: ErrorCode; message: string; context: Readonly<Record<string, unknown>> } {
    return { code: this.code, message: this.message, context: this.context };
  }
}

export function isKubeiamError(e: unknown): e is KubeiamError {
  return e instanceof KubeiamError;
}

/** Wraps anything thrown into a KubeiamError, keeping kubeiam errors as they are. */
export function asKubeiamError(e: unknown): KubeiamError {
  if (e instanceof KubeiamError) return e;
  const message = e instanceof Error ? e.message : String(e);
  return new KubeiamError("INTERNAL", message, {}, { cause: e });
}
