/**
 * AWS query-protocol errors (STS and IAM): code, message and HTTP status as AWS returns them.
 * Rendered as <ErrorResponse> XML (or JSON) by the protocol edge. Where AWS's wording is not known,
 * the text is ours; docs/iam.md lists which.
 */
export type AwsErrorType = "Sender" | "Receiver";

export class AwsError extends Error {
  override readonly name = "AwsError";
  constructor(
    readonly code: string,
    message: string,
    readonly status: number,
    readonly type: AwsErrorType = status >= 500 ? "Receiver" : "Sender",
  ) {
    super(message);
  }
}

export const awsErrors = {
  validation: (message: string) => new AwsError("ValidationError", message, 400),
  missingAction: () => new AwsError("MissingAction", "Missing Action", 400),
  invalidAction: (action: string, version = "2011-06-15") =>
    new AwsError("InvalidAction", `Could not find operation ${action} for version ${version}`, 400),
  /** A parameter given twice (our wording; AWS's last-one-wins is not followed, see docs/iam.md). */
  duplicateParameter: (name: string) =>
    new AwsError("ValidationError", `The parameter ${name} was specified more than once`, 400),
  unsupportedContentType: (ct: string) =>
    new AwsError(
      "InvalidParameterValue",
      `Unsupported content type ${ct}; use application/x-www-form-urlencoded`,
      400,
    ),
  accessDenied: (message: string) => new AwsError("AccessDenied", message, 403),
  invalidIdentityToken: (message: string) => new AwsError("InvalidIdentityToken", message, 400),
  expiredTokenException: (message: string) => new AwsError("ExpiredTokenException", message, 400),
  idpCommunication: (message: string) => new AwsError("IDPCommunicationError", message, 400),
  idpRejectedClaim: (message: string) => new AwsError("IDPRejectedClaim", message, 403),
  malformedPolicy: (message: string) => new AwsError("MalformedPolicyDocument", message, 400),
  packedPolicyTooLarge: (message: string) => new AwsError("PackedPolicyTooLarge", message, 400),
  noSuchEntity: (message: string) => new AwsError("NoSuchEntity", message, 404),
  entityAlreadyExists: (message: string) => new AwsError("EntityAlreadyExists", message, 409),
  limitExceeded: (message: string) => new AwsError("LimitExceeded", message, 409),
  deleteConflict: (message: string) => new AwsError("DeleteConflict", message, 409),
  invalidInput: (message: string) => new AwsError("InvalidInput", message, 400),
  invalidClientTokenId: () =>
    new AwsError("InvalidClientTokenId", "The security token included in the request is invalid.", 403),
  expiredToken: () =>
    new AwsError("ExpiredToken", "The security token included in the request is expired", 403),
  internal: () =>
    new AwsError(
      "InternalFailure",
      "The request processing has failed because of an unknown error, exception or failure.",
      500,
    ),
};

export interface ConstraintProblem {
  /** The offending value as shown in the message; undefined prints `null`. */
  value: string | undefined;
  /** Member name in lowerCamelCase, as AWS's validation names it. */
  member: string;
  constraint: string;
}

/** "1 validation error detected: Value 'x' at 'roleSessionName' failed to satisfy constraint: …" */
export function constraintError(problems: readonly ConstraintProblem[]): AwsError {
  const n = problems.length;
  const parts = problems.map(
    (p) =>
      `Value ${p.value === undefined ? "null" : `'${p.value}'`} at '${p.member}' failed to satisfy constraint: ${p.constraint}`,
  );
  return awsErrors.validation(`${n} validation error${n === 1 ? "" : "s"} detected: ${parts.join("; ")}`);
}
