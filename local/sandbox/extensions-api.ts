import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ApiContext, Route } from './api-router';
import { header, parseJson, readBody, sendJson } from './http-helpers';
import { LambdaApiError } from './lifecycle';

const BODY_LIMIT = 1024 * 1024;
const tooLarge = () => new LambdaApiError(413, 'RequestEntityTooLarge', 'Request body too large.');

/** The `Category.Reason` an extension reports its error as; init/error and exit/error require it. */
function functionErrorType(req: IncomingMessage): string {
  const errorType = header(req, 'Lambda-Extension-Function-Error-Type');
  if (!errorType) {
    throw new LambdaApiError(
      400,
      'InvalidRequestFormat',
      'Lambda-Extension-Function-Error-Type header is required.',
    );
  }
  return errorType;
}

/** POST /2020-01-01/extension/register */
async function register(
  req: IncomingMessage,
  res: ServerResponse,
  _p: string[],
  ctx: ApiContext,
): Promise<void> {
  const body = parseJson(await readBody(req, BODY_LIMIT, tooLarge), 403, 'InvalidRequestFormat');
  const events = body && typeof body === 'object' ? (body as { events?: unknown }).events : undefined;
  const { id } = ctx.lifecycle().registerExtension(header(req, 'Lambda-Extension-Name'), events);
  const features = (header(req, 'Lambda-Extension-Accept-Feature') ?? '').split(',').map((f) => f.trim());
  const fn = ctx.identity;
  ctx.onExtensionRegistered(id);
  sendJson(
    res,
    200,
    {
      functionName: fn.functionName,
      functionVersion: fn.functionVersion,
      handler: fn.handler,
      ...(features.includes('accountId') ? { accountId: fn.accountId } : {}),
    },
    { 'Lambda-Extension-Identifier': id },
  );
}

/** GET /2020-01-01/extension/event/next — a long poll; each event gets its own identifier. */
async function next(req: IncomingMessage, res: ServerResponse, _p: string[], ctx: ApiContext): Promise<void> {
  const event = await ctx.lifecycle().extensionNext(header(req, 'Lambda-Extension-Identifier'));
  sendJson(res, 200, event, { 'Lambda-Extension-Event-Identifier': randomUUID() });
}

/** POST /2020-01-01/extension/init/error */
async function initError(
  req: IncomingMessage,
  res: ServerResponse,
  _p: string[],
  ctx: ApiContext,
): Promise<void> {
  const body = await readBody(req, BODY_LIMIT, tooLarge);
  const errorType = functionErrorType(req);
  ctx.lifecycle().extensionInitError(header(req, 'Lambda-Extension-Identifier'), errorType, body);
  sendJson(res, 202, { status: 'OK' });
}

/** POST /2020-01-01/extension/exit/error */
async function exitError(
  req: IncomingMessage,
  res: ServerResponse,
  _p: string[],
  ctx: ApiContext,
): Promise<void> {
  await readBody(req, BODY_LIMIT, tooLarge);
  const errorType = functionErrorType(req);
  ctx.lifecycle().extensionExitError(header(req, 'Lambda-Extension-Identifier'), errorType);
  sendJson(res, 202, { status: 'OK' });
}

export const extensionRoutes: Route[] = [
  ['POST', /^\/2020-01-01\/extension\/register$/, register],
  ['GET', /^\/2020-01-01\/extension\/event\/next$/, next],
  ['POST', /^\/2020-01-01\/extension\/init\/error$/, initError],
  ['POST', /^\/2020-01-01\/extension\/exit\/error$/, exitError],
];
