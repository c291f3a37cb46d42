import { LOCAL_ACCOUNT_ID, LOCAL_REGION } from '../../sandbox/function-config';
import { isObject } from '../../template/template';
import { eventV1, eventV2, multiValueParts, requestContextV1, type IntegrationAuth } from './events';
import { clfTime, headerJoined, queryValues, type GatewayRequest } from './http-request';
import {
  HTTP_FORBIDDEN,
  HTTP_INTERNAL_ERROR,
  HTTP_UNAUTHORIZED,
  REST_AUTHORIZER_ERROR,
  REST_UNAUTHORIZED,
  restError,
  type GatewayResponse,
} from './responses';
import type { RouteMatch } from './router';
import type {
  HttpLambdaAuthorizer,
  LambdaAuthorizerConfig,
  RestLambdaAuthorizer,
} from './routes-from-template';

/**
 * Lambda authorizers, as API Gateway runs them ("Working with AWS Lambda authorizers for HTTP
 * APIs", "Use API Gateway Lambda authorizers" for REST):
 *
 * - The identity sources are read first; when one is missing or empty the caller gets 401
 *   `Unauthorized` and the authorizer is not invoked (REST TOKEN: also when the token does not match
 *   `ValidationExpression`).
 * - The result is cached under the identity source values for `ReauthorizeEvery` seconds (300 by
 *   default, 0 = no cache). HTTP API simple responses allow or deny every route for those values, so
 *   `$context.routeKey` among the identity sources gives one cache entry per route; IAM-policy
 *   results are cached as the policy and evaluated against each request's ARN
 *   `arn:aws:execute-api:<region>:<account>:<apiId>/<stage>/<METHOD>/<path>`.
 * - HTTP API: deny → 403 `{"message":"Forbidden"}`; authorizer error or malformed response → 500
 *   `{"message":"Internal Server Error"}`; the context reaches the integration as
 *   `requestContext.authorizer.lambda` (payload 2.0) or `requestContext.authorizer` (1.0).
 * - REST: an authorizer that fails with the error message `Unauthorized` → 401; any other error or
 *   an unusable response → 500 `{"message":null}` (AuthorizerConfigurationException); an explicit
 *   Deny → 403 `{"Message":"User is not authorized to access this resource with an explicit deny"}`,
 *   no matching Allow → 403 `{"Message":"User is not authorized to access this resource"}`
 *   (AccessDeniedException).
 */

export type InvokeFunction = (
  logicalId: string,
  eventJson: string,
) => Promise<{ payload: Buffer; errorType?: string }>;

export type AuthorizationResult =
  { ok: true; auth: IntegrationAuth; usageIdentifierKey?: string } | { ok: false; response: GatewayResponse };

export interface AuthorizerStats {
  /** Times the authorizer function ran. */
  invocations: number;
  cacheHits: number;
  cacheMisses: number;
  /** Live (unexpired) cache entries. */
  cacheEntries: number;
}

/** What an authorizer answered, parsed once (and cached). */
type Decision =
  | { kind: 'simple'; authorized: boolean; context: Record<string, unknown> }
  | {
      kind: 'policy';
      principalId?: string;
      statements: Statement[];
      context: Record<string, unknown>;
      usageIdentifierKey?: string;
    };

interface Statement {
  effect: 'Allow' | 'Deny';
  actions: string[];
  resources: string[];
}

class AuthorizerFailure extends Error {
  constructor(
    readonly unauthorized: boolean,
    message: string,
  ) {
    super(message);
  }
}

export const REST_ACCESS_DENIED = (explicit: boolean) =>
  restError(
    403,
    explicit
      ? 'User is not authorized to access this resource with an explicit deny'
      : 'User is not authorized to access this resource',
    'AccessDeniedException',
    'Message',
  );

export function methodArn(match: RouteMatch, method: string): string {
  const path = match.resourcePath.replace(/^\//, '');
  return `arn:aws:execute-api:${LOCAL_REGION}:${LOCAL_ACCOUNT_ID}:${match.route.apiId}/${match.route.stage}/${method}/${path}`;
}

/** IAM-style wildcard match (`*` any run of characters, `?` one character), case-sensitive. */
function wildcard(pattern: string, value: string, ignoreCase = false): boolean {
  const re = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${re}$`, ignoreCase ? 'i' : '').test(value);
}

/** Explicit Deny wins, then any Allow; otherwise the request is implicitly denied. */
export function evaluatePolicy(statements: Statement[], arn: string): 'allow' | 'deny' | 'implicit-deny' {
  let allowed = false;
  for (const s of statements) {
    const actionMatches = s.actions.some((a) => wildcard(a, 'execute-api:Invoke', true));
    const resourceMatches = s.resources.some((r) => wildcard(r, arn));
    if (!actionMatches || !resourceMatches) continue;
    if (s.effect === 'Deny') return 'deny';
    allowed = true;
  }
  return allowed ? 'allow' : 'implicit-deny';
}

const list = (v: unknown): string[] | undefined =>
  typeof v === 'string'
    ? [v]
    : Array.isArray(v) && v.every((x) => typeof x === 'string')
      ? (v as string[])
      : undefined;

function parsePolicy(value: Record<string, unknown>, restContext: boolean): Decision {
  const doc = value.policyDocument;
  if (!isObject(doc)) throw new AuthorizerFailure(false, 'the response has no policyDocument');
  const raw = Array.isArray(doc.Statement)
    ? doc.Statement
    : isObject(doc.Statement)
      ? [doc.Statement]
      : undefined;
  if (!raw) throw new AuthorizerFailure(false, 'policyDocument.Statement must be a list');
  const statements: Statement[] = raw.map((s) => {
    if (!isObject(s) || (s.Effect !== 'Allow' && s.Effect !== 'Deny')) {
      throw new AuthorizerFailure(false, 'a policy statement needs Effect Allow or Deny');
    }
    const actions = list(s.Action);
    const resources = list(s.Resource);
    if (!actions || !resources)
      throw new AuthorizerFailure(false, 'a policy statement needs Action and Resource');
    return { effect: s.Effect, actions, resources };
  });
  if (value.principalId !== undefined && typeof value.principalId !== 'string') {
    throw new AuthorizerFailure(false, 'principalId must be a string');
  }
  if (restContext && typeof value.principalId !== 'string') {
    throw new AuthorizerFailure(false, 'the response has no principalId');
  }
  const context = parseContext(value.context, restContext);
  return {
    kind: 'policy',
    ...(typeof value.principalId === 'string' ? { principalId: value.principalId } : {}),
    statements,
    context,
    ...(typeof value.usageIdentifierKey === 'string' ? { usageIdentifierKey: value.usageIdentifierKey } : {}),
  };
}

function parseContext(value: unknown, primitivesOnly: boolean): Record<string, unknown> {
  if (value === undefined || value === null) return {};
  if (!isObject(value)) throw new AuthorizerFailure(false, 'context must be a map');
  if (primitivesOnly) {
    for (const [k, v] of Object.entries(value)) {
      if (v !== null && typeof v === 'object') {
        throw new AuthorizerFailure(false, `context.${k} must be a string, number or boolean`);
      }
    }
  }
  return value;
}

interface CacheEntry {
  decision: Decision;
  expires: number;
}

export class LambdaAuthorizers {
  private readonly cache = new Map<string, CacheEntry>();
  private readonly counters = new Map<string, Omit<AuthorizerStats, 'cacheEntries'>>();

  constructor(
    private readonly invoke: InvokeFunction,
    private readonly now: () => number = Date.now,
  ) {}

  /** Counters for one authorizer (by name, optionally narrowed to one API). */
  stats(name: string, apiLogicalId?: string): AuthorizerStats {
    const out: AuthorizerStats = { invocations: 0, cacheHits: 0, cacheMisses: 0, cacheEntries: 0 };
    for (const [key, c] of this.counters) {
      const [api, n] = key.split('\u0000');
      if (n !== name || (apiLogicalId !== undefined && api !== apiLogicalId)) continue;
      out.invocations += c.invocations;
      out.cacheHits += c.cacheHits;
      out.cacheMisses += c.cacheMisses;
    }
    const now = this.now();
    for (const [key, entry] of this.cache) {
      const [api, n] = key.split('\u0000');
      if (n === name && (apiLogicalId === undefined || api === apiLogicalId) && entry.expires > now) {
        out.cacheEntries++;
      }
    }
    return out;
  }

  clearCache(): void {
    this.cache.clear();
  }

  async authorize(
    match: RouteMatch,
    req: GatewayRequest,
    authorizer: LambdaAuthorizerConfig,
  ): Promise<AuthorizationResult> {
    return authorizer.kind === 'http-request'
      ? this.authorizeHttp(match, req, authorizer)
      : this.authorizeRest(match, req, authorizer);
  }

  private counter(a: LambdaAuthorizerConfig) {
    const key = `${a.apiLogicalId}\u0000${a.name}`;
    let c = this.counters.get(key);
    if (!c) this.counters.set(key, (c = { invocations: 0, cacheHits: 0, cacheMisses: 0 }));
    return c;
  }

  /** The cached decision for these identity values, or a fresh one from the authorizer function. */
  private async decide(
    a: LambdaAuthorizerConfig,
    identity: string[],
    event: () => Record<string, unknown>,
    parse: (payload: Buffer) => Decision,
  ): Promise<Decision> {
    const counter = this.counter(a);
    const cacheable = a.ttlSeconds > 0 && identity.length > 0;
    const key = `${a.apiLogicalId}\u0000${a.name}\u0000${JSON.stringify(identity)}`;
    if (cacheable) {
      const hit = this.cache.get(key);
      if (hit && hit.expires > this.now()) {
        counter.cacheHits++;
        return hit.decision;
      }
      if (hit) this.cache.delete(key);
      counter.cacheMisses++;
    }
    counter.invocations++;
    let result: { payload: Buffer; errorType?: string };
    try {
      result = await this.invoke(a.functionLogicalId, JSON.stringify(event()));
    } catch (e) {
      throw new AuthorizerFailure(false, `the authorizer could not be invoked: ${(e as Error).message}`);
    }
    if (result.errorType) {
      let message: unknown;
      try {
        message = (JSON.parse(result.payload.toString('utf8')) as { errorMessage?: unknown }).errorMessage;
      } catch {
        message = undefined;
      }
      throw new AuthorizerFailure(message === 'Unauthorized', `the authorizer failed (${result.errorType})`);
    }
    const decision = parse(result.payload);
    if (cacheable) this.cache.set(key, { decision, expires: this.now() + a.ttlSeconds * 1000 });
    return decision;
  }

  // -------------------------------------------------------------------------------------------
  // HTTP APIs

  private async authorizeHttp(
    match: RouteMatch,
    req: GatewayRequest,
    a: HttpLambdaAuthorizer,
  ): Promise<AuthorizationResult> {
    const identity: string[] = [];
    for (const source of a.identitySources) {
      const value = httpIdentityValue(source, match, req);
      if (value === undefined || value === '') return { ok: false, response: HTTP_UNAUTHORIZED() };
      identity.push(value);
    }
    const arn = methodArn(match, req.method);
    let decision: Decision;
    try {
      decision = await this.decide(
        a,
        identity,
        () => httpAuthorizerEvent(a, match, req, identity, arn),
        (payload) => parseHttpDecision(a, payload),
      );
    } catch (e) {
      if (e instanceof AuthorizerFailure) {
        return { ok: false, response: e.unauthorized ? HTTP_UNAUTHORIZED() : HTTP_INTERNAL_ERROR() };
      }
      throw e;
    }
    const allowed =
      decision.kind === 'simple' ? decision.authorized : evaluatePolicy(decision.statements, arn) === 'allow';
    if (!allowed) return { ok: false, response: HTTP_FORBIDDEN() };
    return {
      ok: true,
      auth: {
        kind: 'lambda',
        context: decision.context,
        ...(decision.kind === 'policy' && decision.principalId !== undefined
          ? { principalId: decision.principalId }
          : {}),
      },
    };
  }

  // -------------------------------------------------------------------------------------------
  // REST APIs

  private async authorizeRest(
    match: RouteMatch,
    req: GatewayRequest,
    a: RestLambdaAuthorizer,
  ): Promise<AuthorizationResult> {
    const identity: string[] = [];
    for (const source of a.identitySources) {
      const value = restIdentityValue(source, match, req);
      if (value === undefined || value === '') return { ok: false, response: REST_UNAUTHORIZED() };
      identity.push(value);
    }
    if (a.kind === 'rest-token' && a.validationExpression !== undefined) {
      if (!new RegExp(`^(?:${a.validationExpression})$`).test(identity[0]!)) {
        return { ok: false, response: REST_UNAUTHORIZED() };
      }
    }
    const arn = methodArn(match, req.method);
    let decision: Decision;
    try {
      decision = await this.decide(
        a,
        identity,
        () =>
          a.kind === 'rest-token'
            ? { type: 'TOKEN', authorizationToken: identity[0], methodArn: arn }
            : restRequestEvent(match, req, arn),
        (payload) => {
          const value = parseJson(payload);
          if (!isObject(value)) throw new AuthorizerFailure(false, 'the response is not a JSON object');
          return parsePolicy(value, true);
        },
      );
    } catch (e) {
      if (e instanceof AuthorizerFailure) {
        return { ok: false, response: e.unauthorized ? REST_UNAUTHORIZED() : REST_AUTHORIZER_ERROR() };
      }
      throw e;
    }
    if (decision.kind !== 'policy') return { ok: false, response: REST_AUTHORIZER_ERROR() };
    const verdict = evaluatePolicy(decision.statements, arn);
    if (verdict !== 'allow') return { ok: false, response: REST_ACCESS_DENIED(verdict === 'deny') };
    return {
      ok: true,
      auth: {
        kind: 'lambda',
        context: decision.context,
        ...(decision.principalId !== undefined ? { principalId: decision.principalId } : {}),
      },
      ...(decision.usageIdentifierKey !== undefined
        ? { usageIdentifierKey: decision.usageIdentifierKey }
        : {}),
    };
  }
}

function parseJson(payload: Buffer): unknown {
  try {
    return JSON.parse(payload.toString('utf8'));
  } catch {
    throw new AuthorizerFailure(false, 'the response is not JSON');
  }
}

function parseHttpDecision(a: HttpLambdaAuthorizer, payload: Buffer): Decision {
  const value = parseJson(payload);
  if (!isObject(value)) throw new AuthorizerFailure(false, 'the response is not a JSON object');
  if (a.simpleResponses) {
    if (typeof value.isAuthorized !== 'boolean') {
      throw new AuthorizerFailure(false, 'a simple response needs a boolean isAuthorized');
    }
    return { kind: 'simple', authorized: value.isAuthorized, context: parseContext(value.context, false) };
  }
  return parsePolicy(value, false);
}

/** HTTP API context variables an identity source `$context.x` can name. */
function httpContextValue(name: string, match: RouteMatch, req: GatewayRequest): string | undefined {
  const values: Record<string, string> = {
    routeKey: match.route.routeKey,
    stage: match.route.stage,
    apiId: match.route.apiId,
    accountId: LOCAL_ACCOUNT_ID,
    requestId: req.extendedRequestId,
    httpMethod: req.method,
    'http.method': req.method,
    path: req.rawPath,
    'http.path': req.rawPath,
    'identity.sourceIp': req.sourceIp,
    'http.sourceIp': req.sourceIp,
    protocol: req.protocol,
    requestTime: clfTime(req.time),
  };
  return values[name];
}

export function httpIdentityValue(
  source: string,
  match: RouteMatch,
  req: GatewayRequest,
): string | undefined {
  if (source.startsWith('$request.header.'))
    return headerJoined(req, source.slice('$request.header.'.length));
  if (source.startsWith('$request.querystring.')) {
    const values = queryValues(req, source.slice('$request.querystring.'.length));
    return values.length ? values.join(',') : undefined;
  }
  if (source.startsWith('$stageVariables.'))
    return match.route.stageVariables[source.slice('$stageVariables.'.length)];
  if (source.startsWith('$context.')) return httpContextValue(source.slice('$context.'.length), match, req);
  return undefined;
}

export function restIdentityValue(
  source: string,
  match: RouteMatch,
  req: GatewayRequest,
): string | undefined {
  if (source.startsWith('method.request.header.')) {
    return headerJoined(req, source.slice('method.request.header.'.length));
  }
  if (source.startsWith('method.request.querystring.')) {
    const values = queryValues(req, source.slice('method.request.querystring.'.length));
    return values[values.length - 1];
  }
  if (source.startsWith('stageVariables.'))
    return match.route.stageVariables[source.slice('stageVariables.'.length)];
  if (source.startsWith('context.')) {
    const name = source.slice('context.'.length);
    const values: Record<string, string> = {
      resourcePath: match.route.path,
      httpMethod: req.method,
      stage: match.route.stage,
      apiId: match.route.apiId,
      accountId: LOCAL_ACCOUNT_ID,
      path: `/${match.route.stage}${match.resourcePath}`,
      'identity.sourceIp': req.sourceIp,
      requestId: req.requestId,
    };
    return values[name];
  }
  return undefined;
}

function httpAuthorizerEvent(
  a: HttpLambdaAuthorizer,
  match: RouteMatch,
  req: GatewayRequest,
  identity: string[],
  arn: string,
): Record<string, unknown> {
  const none: IntegrationAuth = { kind: 'none' };
  if (a.payloadFormatVersion === '2.0') {
    const { version, ...rest } = withoutBody(eventV2(match, req, { auth: none }));
    return { version, type: 'REQUEST', routeArn: arn, identitySource: identity, ...rest };
  }
  const { version, ...rest } = withoutBody(eventV1(match, req, { auth: none }));
  return {
    version,
    type: 'REQUEST',
    methodArn: arn,
    identitySource: identity.join(','),
    authorizationToken: identity.join(','),
    ...rest,
  };
}

/** Authorizer events carry the request without its body. */
function withoutBody(event: Record<string, unknown>): Record<string, unknown> {
  const copy = { ...event };
  delete copy.body;
  delete copy.isBase64Encoded;
  return copy;
}

function restRequestEvent(match: RouteMatch, req: GatewayRequest, arn: string): Record<string, unknown> {
  const parts = multiValueParts(req, false);
  const userAgent = Object.entries(parts.headers).find(([n]) => n.toLowerCase() === 'user-agent')?.[1] ?? '';
  return {
    type: 'REQUEST',
    methodArn: arn,
    resource: match.route.path,
    path: match.resourcePath,
    httpMethod: req.method,
    ...parts,
    pathParameters: match.pathParameters,
    stageVariables: match.route.stageVariables,
    requestContext: requestContextV1(match, req, { auth: { kind: 'none' } }, userAgent),
  };
}
