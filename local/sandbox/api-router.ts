import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { sendApiError, sendJson } from './http-helpers';
import { LambdaApiError, type Lifecycle } from './lifecycle';

/** What the function looks like to the APIs (register's response, ARNs). */
export interface FunctionIdentity {
  functionName: string;
  functionVersion: string;
  handler: string;
  accountId: string;
}

/** What the endpoint handlers may use; the environment provides it. */
export interface ApiContext {
  /** The lifecycle of the current environment: a reset replaces it, the address stays. */
  lifecycle: () => Lifecycle;
  identity: FunctionIdentity;
  onExtensionRegistered: (id: string) => void;
  /** Telemetry / Logs API subscribe: answers status and body as Lambda would. */
  subscribe: (
    api: 'telemetry' | 'logs',
    extensionId: string | undefined,
    body: Buffer,
  ) => { status: number; body: unknown };
}

export type Handler = (
  req: IncomingMessage,
  res: ServerResponse,
  params: string[],
  ctx: ApiContext,
) => Promise<void>;
export type Route = [method: string, path: RegExp, handler: Handler];

/**
 * The sandbox's Lambda API endpoint (`AWS_LAMBDA_RUNTIME_API`), on loopback only. Long polls must
 * never time out, so Node's default request timeouts are off.
 */
export async function startApiServer(
  routes: Route[],
  ctx: ApiContext,
): Promise<{ server: http.Server; address: string }> {
  const server = http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0]!;
    const candidates = routes.filter(([, pattern]) => pattern.test(path));
    const route = candidates.find(([method]) => method === req.method);
    if (!route) {
      sendJson(res, candidates.length ? 405 : 404, {
        errorMessage: `${req.method} ${path} is not a Lambda API endpoint`,
        errorType: candidates.length ? 'MethodNotAllowed' : 'NotFound',
      });
      return;
    }
    const params = route[1].exec(path)!.slice(1).map(decodeURIComponent);
    route[2](req, res, params, ctx).catch((error: unknown) => {
      if (res.headersSent) return;
      if (error instanceof LambdaApiError) sendApiError(res, error);
      else if (res.writable) {
        // The environment stopped while this long poll waited: the caller is going away anyway.
        sendJson(res, 500, { errorMessage: (error as Error).message, errorType: 'ServiceException' });
      }
    });
  });
  server.requestTimeout = 0;
  server.timeout = 0;
  server.keepAliveTimeout = 0;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  return { server, address: `127.0.0.1:${port}` };
}
