import type { IncomingMessage, ServerResponse } from 'node:http';
import { header, readBody, sendJson } from './http-helpers';
import { LambdaApiError } from './lifecycle';
import type { ApiContext, Route } from './api-router';

/** Lambda's synchronous response limit; a larger response is refused with 413. */
export const MAX_RESPONSE_BYTES = 6 * 1024 * 1024;
const ERROR_BODY_LIMIT = 1024 * 1024;

const tooLarge = () =>
  new LambdaApiError(
    413,
    'RequestEntityTooLarge',
    `Exceeded maximum allowed payload size (${MAX_RESPONSE_BYTES} bytes).`,
  );

/** GET /2018-06-01/runtime/invocation/next — every header always present, as Lambda sends them. */
async function next(
  _req: IncomingMessage,
  res: ServerResponse,
  _params: string[],
  ctx: ApiContext,
): Promise<void> {
  const request = await ctx.lifecycle().runtimeNext();
  sendJson(res, 200, request.payload.toString('utf8'), {
    'Lambda-Runtime-Aws-Request-Id': request.requestId,
    'Lambda-Runtime-Deadline-Ms': String(request.deadlineMs),
    'Lambda-Runtime-Invoked-Function-Arn': request.invokedFunctionArn,
    'Lambda-Runtime-Trace-Id': request.traceId,
    'Lambda-Runtime-Client-Context': request.clientContext ?? '',
    'Lambda-Runtime-Cognito-Identity': request.cognitoIdentity ?? '',
  });
}

/** POST /2018-06-01/runtime/invocation/{id}/response */
async function response(
  req: IncomingMessage,
  res: ServerResponse,
  [id]: string[],
  ctx: ApiContext,
): Promise<void> {
  let body: Buffer;
  try {
    body = await readBody(req, MAX_RESPONSE_BYTES, tooLarge);
  } catch (error) {
    // The caller gets Lambda's error for an oversized response; the runtime gets the 413.
    if (error instanceof LambdaApiError && error.status === 413) {
      ctx.lifecycle().runtimeResult(id!, {
        kind: 'error',
        errorType: 'Function.ResponseSizeTooLarge',
        body: Buffer.from(
          JSON.stringify({
            errorMessage: `Response payload size exceeded maximum allowed payload size (${MAX_RESPONSE_BYTES} bytes).`,
            errorType: 'Function.ResponseSizeTooLarge',
          }),
        ),
      });
    }
    throw error;
  }
  ctx.lifecycle().runtimeResult(id!, { kind: 'response', body });
  sendJson(res, 202, { status: 'OK' });
}

/** POST /2018-06-01/runtime/invocation/{id}/error */
async function error(
  req: IncomingMessage,
  res: ServerResponse,
  [id]: string[],
  ctx: ApiContext,
): Promise<void> {
  const body = await readBody(req, ERROR_BODY_LIMIT, tooLarge);
  const errorType = header(req, 'Lambda-Runtime-Function-Error-Type') ?? 'Unhandled';
  ctx.lifecycle().runtimeResult(id!, { kind: 'error', errorType, body });
  sendJson(res, 202, { status: 'OK' });
}

/** POST /2018-06-01/runtime/init/error */
async function initError(
  req: IncomingMessage,
  res: ServerResponse,
  _params: string[],
  ctx: ApiContext,
): Promise<void> {
  const body = await readBody(req, ERROR_BODY_LIMIT, tooLarge);
  ctx.lifecycle().runtimeInitError(header(req, 'Lambda-Runtime-Function-Error-Type') ?? 'Unhandled', body);
  sendJson(res, 202, { status: 'OK' });
}

export const runtimeRoutes: Route[] = [
  ['GET', /^\/2018-06-01\/runtime\/invocation\/next$/, next],
  ['POST', /^\/2018-06-01\/runtime\/invocation\/([^/]+)\/response$/, response],
  ['POST', /^\/2018-06-01\/runtime\/invocation\/([^/]+)\/error$/, error],
  ['POST', /^\/2018-06-01\/runtime\/init\/error$/, initError],
];
