import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { RequestError, type CacheService, type Lookup } from './cache-service';
import { UpstreamError, type CacheControl, type LoadResult } from './cache-store';
import type { CachedBody } from './sources';

/**
 * The cache extension's HTTP API, on 127.0.0.1 only. Every request must carry the environment's
 * session token (so a function tricked into fetching a localhost URL leaks nothing), must be a GET,
 * and must not come through a proxy. Values are never logged.
 */
export const TOKEN_HEADER = 'x-aws-parameters-secrets-token';
const CACHE_CONTROL_HEADER = 'x-cache-control';
const BATCH_LIMIT = 50;

type Query = URLSearchParams;
type Route = (query: Query, service: CacheService) => Lookup;

const required = (query: Query, name: string): string => {
  const v = query.get(name);
  if (!v) throw new RequestError(400, 'MissingParameter', `The query parameter "${name}" is required`);
  return v;
};

const bool = (query: Query, name: string, fallback: boolean): boolean => {
  const v = query.get(name);
  if (v === null) return fallback;
  if (v !== 'true' && v !== 'false')
    throw new RequestError(400, 'ValidationException', `${name} must be true or false`);
  return v === 'true';
};

/** One handler per path; the demo's names, AWS's extension's drop-in paths. */
const ROUTES: Record<string, Route> = {
  '/parameters': (q, s) => s.configuredParameter(required(q, 'name')),
  '/secrets': (q, s) => s.configuredSecret(required(q, 'name')),
  '/dynamodb': (q, s) => s.configuredItem(required(q, 'name')),
  '/systemsmanager/parameters/get': (q, s) =>
    s.parameterLookup(required(q, 'name'), {
      ...(q.get('version') ? { version: q.get('version')! } : {}),
      ...(q.get('label') ? { label: q.get('label')! } : {}),
      withDecryption: bool(q, 'withDecryption', false),
    }),
  '/secretsmanager/get': (q, s) =>
    s.secretLookup(required(q, 'secretId'), {
      ...(q.get('versionId') ? { versionId: q.get('versionId')! } : {}),
      ...(q.get('versionStage') ? { versionStage: q.get('versionStage')! } : {}),
    }),
};

/** `/batch?name=parameters:<name>&name=secrets:<id>&name=dynamodb:<item>` → each configured item by its route. */
const BATCH_KINDS: Record<string, (name: string, s: CacheService) => Lookup> = {
  parameters: (n, s) => s.configuredParameter(n),
  secrets: (n, s) => s.configuredSecret(n),
  dynamodb: (n, s) => s.configuredItem(n),
};

function control(req: IncomingMessage, query: Query): CacheControl {
  if (query.get('refreshNow') === 'true') return 'recache';
  const v = req.headers[CACHE_CONTROL_HEADER];
  if (v === undefined) return 'cache';
  if (v === 'cache' || v === 'recache' || v === 'nocache') return v;
  throw new RequestError(
    400,
    'ValidationException',
    `${CACHE_CONTROL_HEADER} must be cache, recache or nocache`,
  );
}

function send(res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, {
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(body),
    ...headers,
  });
  res.end(body);
}

const errorBody = (e: UpstreamError) => JSON.stringify({ __type: e.code, message: e.message });

function cacheHeaders(result: LoadResult<CachedBody>): Record<string, string> {
  return {
    'X-Cache': result.status,
    Age: String(Math.floor(result.ageMs / 1000)),
    ...(result.staleBecause ? { 'X-Cache-Stale': result.staleBecause } : {}),
  };
}

/** Refuses what must never be served: the checks run before any route. */
function refusal(
  req: IncomingMessage,
  sessionToken: string | undefined,
  path: string,
): UpstreamError | undefined {
  if (req.method !== 'GET') return new RequestError(405, 'MethodNotAllowed', 'Only GET is allowed');
  if (req.headers['x-forwarded-for'] !== undefined) {
    return new RequestError(
      400,
      'ForwardedRequest',
      'Requests through a proxy (X-Forwarded-For) are refused',
    );
  }
  if (path === '/ping') return undefined;
  const token = req.headers[TOKEN_HEADER];
  if (!sessionToken || token !== sessionToken) {
    return new RequestError(
      403,
      'AccessDenied',
      `The ${TOKEN_HEADER} header must carry this environment's AWS_SESSION_TOKEN`,
    );
  }
  return undefined;
}

async function batch(req: IncomingMessage, query: Query, service: CacheService): Promise<string> {
  const names = query.getAll('name');
  if (names.length === 0 || names.length > BATCH_LIMIT) {
    throw new RequestError(
      400,
      'ValidationException',
      `Give 1 to ${BATCH_LIMIT} name=<kind>:<name> parameters`,
    );
  }
  const mode = control(req, query);
  const parts = await Promise.all(
    names.map(async (entry) => {
      const colon = entry.indexOf(':');
      const kind = BATCH_KINDS[entry.slice(0, colon)];
      try {
        if (colon < 0 || !kind)
          throw new RequestError(
            400,
            'ValidationException',
            `"${entry}" is not parameters:, secrets: or dynamodb: followed by a name`,
          );
        const result = await service.get(kind(entry.slice(colon + 1), service), mode);
        return `${JSON.stringify(entry)}:{"status":200,"cache":"${result.status}","value":${result.value.body}}`;
      } catch (e) {
        const err =
          e instanceof UpstreamError ? e : new UpstreamError(500, 'InternalError', 'Internal error', false);
        return `${JSON.stringify(entry)}:{"status":${err.status},"error":${errorBody(err)}}`;
      }
    }),
  );
  // The cached bodies are JSON already: assembled as text, never parsed again.
  return `{${parts.join(',')}}`;
}

/**
 * `ready` resolves once config.yaml is read (after the extension registers, unless items are
 * prefetched); requests that arrive before wait for it, and get its refusal if the config is bad.
 */
export function cacheRequestHandler(ready: Promise<CacheService>, sessionToken: string | undefined) {
  return (req: IncomingMessage, res: ServerResponse): void => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const refused = refusal(req, sessionToken, url.pathname);
    if (refused)
      return send(res, refused.status, errorBody(refused), refused.status === 405 ? { Allow: 'GET' } : {});
    if (url.pathname === '/ping') return send(res, 200, '{"status":"ok"}');
    const work = async () => {
      const service = await ready;
      if (url.pathname === '/batch') return send(res, 200, await batch(req, url.searchParams, service));
      const route = ROUTES[url.pathname];
      if (!route) throw new RequestError(404, 'UnknownPath', `${url.pathname} is not a cache route`);
      const result = await service.get(route(url.searchParams, service), control(req, url.searchParams));
      send(res, 200, result.value.body, cacheHeaders(result));
    };
    work().catch((e: unknown) => {
      const err =
        e instanceof UpstreamError
          ? e
          : new UpstreamError(500, 'InternalError', 'Internal error in the cache extension', false);
      if (!(e instanceof UpstreamError))
        console.error(`[cache-extension] ${(e as Error).stack ?? String(e)}`);
      send(res, err.status, errorBody(err));
    });
  };
}

/** Listens on 127.0.0.1 only; resolves once listening, so the function's init never races it. */
export async function startCacheServer(
  ready: Promise<CacheService>,
  port: number,
  sessionToken: string | undefined,
): Promise<http.Server> {
  const server = http.createServer(cacheRequestHandler(ready, sessionToken));
  server.keepAliveTimeout = 0; // connections from the function stay open across frozen periods
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', resolve);
  });
  return server;
}

export const boundPort = (server: http.Server): number => (server.address() as AddressInfo).port;
