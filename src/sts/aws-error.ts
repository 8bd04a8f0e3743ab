/**
 * AWS query-protocol errors (STS and IAM): code, message and HTTP status exactly as AWS returns them.
 * Rendered as <ErrorResponse> XML by the protocol edge.
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
  invalidAction: (action: string) => new AwsError("InvalidAction", `Could not find operation ${action} for version 2011-06-15`, 400),
  missingParameter: (name: string) => new AwsError("MissingParameter", `The request must contain the parameter ${name}`, 400),
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
  invalidClientTokenId: () => new AwsError("InvalidClientTokenId", "The security token included in the request is invalid.", 403),
  expiredToken: () => new AwsError("ExpiredToken", "The security token included in the request is expired", 403),
  internal: () => new AwsError("InternalFailure", "The request processing has failed because of an unknown error, exception or failure.", 500),
};

/** "1 validation error detected: Value 'x' at 'roleSessionName' failed to satisfy constraint: …" */
export function constraintError(problems: { value: string | undefined; member: string; constraint: string }[]): AwsError {
  const n = problems.length;
  const parts = problems.map((p) => `Value ${p.value === undefined ? "null" : `'${p.value}'`} at '${p.member}' failed to satisfy constraint: ${p.constraint}`);
  return awsErrors.validation(`${n} validation error${n === 1 ? "" : "s"} detected: ${parts.join("; ")}`);
}
