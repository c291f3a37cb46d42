import { AwsError } from '../aws-json-protocol';

/**
 * Lambda's REST-JSON errors. The code travels in `x-amzn-ErrorType`; the body is
 * `{"Type": "User" | "Service", "Message" | "message": …}` — which of the two spellings depends on the
 * error shape in Lambda's service model (ResourceNotFoundException uses `Message`, most others
 * `message`), so the SDK fills the right member of its typed exception.
 */
export class LambdaError extends AwsError {
  constructor(
    code: string,
    message: string,
    status = 400,
    /** Extra response headers (`Retry-After` on throttling). */
    readonly headers: Record<string, string> = {},
    /** Extra body members (`Reason` on TooManyRequestsException). */
    readonly fields: Record<string, string> = {},
  ) {
    super(code, message, status);
  }
}

/** Error shapes whose message member is spelled `Message` in Lambda's model. */
const CAPITALISED_MESSAGE = new Set([
  'ResourceNotFoundException',
  'ResourceInUseException',
  'ServiceException',
  'RecursiveInvocationException',
  'PolicyLengthExceededException',
]);

/** Error codes that are not shapes of Lambda's model (generic AWS errors): body `{"message"}` only. */
const GENERIC = new Set([
  'ValidationException',
  'UnknownOperationException',
  'UnsupportedOperationException',
  'MissingAuthenticationTokenException',
]);

/** The JSON body Lambda sends for an error. */
export function lambdaErrorBody(error: AwsError): Record<string, string> {
  if (GENERIC.has(error.code)) return { message: error.message };
  const messageKey = CAPITALISED_MESSAGE.has(error.code) ? 'Message' : 'message';
  return {
    Type: error.status >= 500 ? 'Service' : 'User',
    [messageKey]: error.message,
    ...(error instanceof LambdaError ? error.fields : {}),
  };
}

export const notFound = (message: string) => new LambdaError('ResourceNotFoundException', message, 404);
export const invalidParameter = (message: string) =>
  new LambdaError('InvalidParameterValueException', message);
export const conflict = (message: string) => new LambdaError('ResourceConflictException', message, 409);
export const preconditionFailed = (message: string) =>
  new LambdaError('PreconditionFailedException', message, 412);

/** AWS's wording for a constraint that the request's shape violates. */
export const constraint = (value: unknown, member: string, rule: string) =>
  new LambdaError(
    'ValidationException',
    `1 validation error detected: Value ${value === null || value === undefined ? 'null' : `'${String(value)}'`} at '${member}' failed to satisfy constraint: ${rule}`,
  );
