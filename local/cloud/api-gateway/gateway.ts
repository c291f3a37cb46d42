import http, { type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { checkApiKey } from './api-keys';
import { eventV1, eventV2, type IntegrationAuth } from './events';
import { headerLast, toGatewayRequest, type GatewayRequest } from './http-request';
import { LambdaAuthorizers, type AuthorizerStats, type InvokeFunction } from './lambda-authorizer';
import { compileModel, validateRequest } from './request-validator';
import {
  HTTP_INTERNAL_ERROR,
  HTTP_NOT_FOUND,
  HTTP_SERVICE_UNAVAILABLE,
  httpApiError,
  MalformedResponseError,
  REST_MISSING_TOKEN,
  REST_PROXY_ERROR,
  REST_TIMEOUT,
  restError,
  responseFromV1,
  responseFromV2,
  type GatewayResponse,
} from './responses';
import { Router, type RouteMatch } from './router';
import type { ApiRoute } from './routes-from-template';
import { verifySigV4, type CredentialLookup } from './sigv4-verifier';
import { readBody } from '../../http-body';
import { LOCAL_REGION } from '../../local-account';

/**
 * The local API Gateway `npm start` serves (default `http://127.0.0.1:3000`): the template's HTTP
 * API and REST API routes on one port, each request run through what API Gateway would do before
 * and after the Lambda proxy integration.
 *
 * Where routes live (see router.ts):
 * - HTTP API routes at `/<path>` (stage `$default`; an HttpApi with a named `StageName` is also
 *   reachable at `/<StageName>/<path>`).
 * - REST API routes at `/<StageName>/<path>` (the SAM `StageName`, `Prod` for the implicit
 *   `ServerlessRestApi`), as on `execute-api`, and also at `/<path>` unless an HTTP API route takes
 *   that request: on a collision the HTTP API wins the bare path and the REST route stays reachable
 *   under its stage. An HTTP API `$default` route only gets what no REST route matched.
 * - No route: 404 `{"message":"Not Found"}` (HTTP APIs), or REST's 403 `{"message":"Missing
 *   Authentication Token"}` under a REST stage prefix or when the template has only REST APIs.
 *
 * Pipeline — HTTP API: route → authorization (Lambda authorizer / IAM SigV4) → integration
 * (payload 2.0 or 1.0) → response (2.0 inference, function error → 500 `{"message":"Internal
 * Server Error"}`, integration timeout → 503). REST: route → authorization → API key → request
 * validation → integration (payload 1.0) → strict response (malformed or function error → 502
 * `{"message": "Internal server error"}`, timeout → 504).
 */

export interface ApiGatewayOptions {
  routes: ApiRoute[];
  /** Runs a function (the local cloud passes the sandbox): the response payload and, on failure, the error type. */
  invoke: InvokeFunction;
  port?: number;
  host?: string;
  /** Secrets for SigV4 on AWS_IAM routes, by access key id. */
  credentials?: CredentialLookup;
  /** The APIs' region: SigV4 credential scopes must name it (default us-east-1, the local cloud's). */
  region?: string;
  /** API keys REST methods with ApiKeyRequired accept (`x-api-key`). */
  apiKeys?: string[];
  /** Clock for SigV4 skew checks and authorizer cache TTLs (tests). */
  now?: () => number;
  /** SigV4 clock-skew window (default 15 minutes). */
  clockSkewMs?: number;
}

export interface ApiGatewayHandle {
  url: string;
  /** The region requests to AWS_IAM routes are signed for. */
  region: string;
  port: number;
  routes: ApiRoute[];
  /** Lambda authorizer counters: invocations, cache hits / misses, live cache entries. */
  authorizerStats(name: string, apiLogicalId?: string): AuthorizerStats;
  clearAuthorizerCache(): void;
  close(): Promise<void>;
}

const BODY_LIMIT = 10 * 1024 * 1024;

class TooLarge extends Error {}

function send(
  res: ServerResponse,
  response: GatewayResponse,
  route: ApiRoute | undefined,
  req?: GatewayRequest,
) {
  const headers: Array<[string, string]> = [...response.headers];
  const has = (n: string) => headers.some(([h]) => h.toLowerCase() === n);
  if (req) {
    if (route?.apiType === 'REST' || (!route && headers.some(([h]) => h === 'x-amzn-ErrorType'))) {
      if (!has('x-amzn-requestid')) headers.push(['x-amzn-RequestId', req.requestId]);
      if (!has('x-amz-apigw-id')) headers.push(['x-amz-apigw-id', req.extendedRequestId]);
    } else if (!has('apigw-requestid')) headers.push(['Apigw-Requestid', req.extendedRequestId]);
  }
  if (!has('content-length')) headers.push(['Content-Length', String(response.body.length)]);
  // writeHead with a flat [name, value, name, value…] list keeps repeated headers (set-cookie).
  res.writeHead(response.status, headers.flat());
  res.end(response.body);
}

async function invokeWithTimeout(
  invoke: InvokeFunction,
  route: ApiRoute,
  event: Record<string, unknown>,
): Promise<{ payload: Buffer; errorType?: string } | 'timeout'> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), route.timeoutMs);
  });
  try {
    return await Promise.race([invoke(route.functionLogicalId, JSON.stringify(event)), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export async function startApiGateway(options: ApiGatewayOptions): Promise<ApiGatewayHandle> {
  const {
    routes,
    invoke,
    port = 3000,
    host = '127.0.0.1',
    credentials,
    apiKeys = [],
    clockSkewMs,
    region = LOCAL_REGION,
  } = options;
  const now = options.now ?? Date.now;
  for (const r of routes) if (r.requestModel) compileModel(r.requestModel.schema);
  const router = new Router(routes);
  const authorizers = new LambdaAuthorizers(invoke, now);

  async function authorize(
    match: RouteMatch,
    req: GatewayRequest,
  ): Promise<
    | { ok: true; auth: IntegrationAuth; usageIdentifierKey?: string }
    | { ok: false; response: GatewayResponse }
  > {
    const { auth } = match.route;
    if (auth.type === 'NONE') return { ok: true, auth: { kind: 'none' } };
    if (auth.type === 'AWS_IAM') {
      const verified = verifySigV4(req, credentials, {
        now: now(),
        region,
        ...(clockSkewMs !== undefined ? { clockSkewMs } : {}),
      });
      return verified.ok ? { ok: true, auth: { kind: 'iam', caller: verified.caller } } : verified;
    }
    return authorizers.authorize(match, req, auth.authorizer);
  }

  async function handle(match: RouteMatch, req: GatewayRequest): Promise<GatewayResponse> {
    const { route } = match;
    const rest = route.apiType === 'REST';
    const authorized = await authorize(match, req);
    if (!authorized.ok) return authorized.response;

    let apiKey: string | undefined;
    if (rest && route.apiKeyRequired) {
      const checked = checkApiKey(req, apiKeys, route.apiKeySource, authorized.usageIdentifierKey);
      if (!checked.ok) return checked.response;
      apiKey = checked.apiKey;
    }
    if (rest) {
      const invalid = validateRequest(match, req);
      if (invalid) return invalid;
    }

    const eventOptions = { auth: authorized.auth, ...(apiKey !== undefined ? { apiKey } : {}) };
    const event =
      route.payloadFormatVersion === '2.0'
        ? eventV2(match, req, eventOptions)
        : eventV1(match, req, eventOptions);
    const result = await invokeWithTimeout(invoke, route, event);
    if (result === 'timeout') return rest ? REST_TIMEOUT() : HTTP_SERVICE_UNAVAILABLE();
    if (result.errorType) return rest ? REST_PROXY_ERROR() : HTTP_INTERNAL_ERROR();
    try {
      if (route.payloadFormatVersion === '2.0') return responseFromV2(result.payload);
      return responseFromV1(result.payload, {
        rest,
        binaryMediaTypes: route.binaryMediaTypes,
        ...(headerLast(req, 'accept') !== undefined ? { accept: headerLast(req, 'accept')! } : {}),
      });
    } catch (e) {
      if (e instanceof MalformedResponseError) return rest ? REST_PROXY_ERROR() : HTTP_INTERNAL_ERROR();
      throw e;
    }
  }

  const server = http.createServer((req, res) => {
    const time = new Date(now());
    readBody(req, BODY_LIMIT, () => new TooLarge()).then(
      async (body) => {
        const request = toGatewayRequest(req, body, time);
        const resolved = router.resolve(request.method, request.rawPath);
        if (resolved.kind === 'not-found') {
          send(
            res,
            resolved.apiType === 'REST' ? REST_MISSING_TOKEN() : HTTP_NOT_FOUND(),
            undefined,
            request,
          );
          return;
        }
        let response: GatewayResponse;
        try {
          response = await handle(resolved.match, request);
        } catch (e) {
          console.error(`[api-gateway] ${request.method} ${request.rawPath}: ${(e as Error).stack ?? e}`);
          response = resolved.match.route.apiType === 'REST' ? REST_PROXY_ERROR() : HTTP_INTERNAL_ERROR();
        }
        send(res, response, resolved.match.route, request);
      },
      (e: unknown) => {
        const response =
          e instanceof TooLarge
            ? httpApiError(413, 'Request Entity Too Large')
            : restError(400, 'Bad Request', 'BadRequestException');
        send(res, response, undefined);
      },
    );
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const actualPort = (server.address() as AddressInfo).port;
  return {
    url: `http://${host}:${actualPort}`,
    port: actualPort,
    region,
    routes,
    authorizerStats: (name, apiLogicalId) => authorizers.stats(name, apiLogicalId),
    clearAuthorizerCache: () => authorizers.clearCache(),
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((e) => (e ? reject(e) : resolve()));
        server.closeAllConnections();
      }),
  };
}

export { UnsupportedRouteError, apiRoutes } from './routes-from-template';
export type { ApiRoute } from './routes-from-template';
export type { InvokeFunction } from './lambda-authorizer';
export type { CredentialLookup, LocalCredential } from './sigv4-verifier';
