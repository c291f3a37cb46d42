import { LOCAL_ACCOUNT_ID } from '../../sandbox/function-config';
import { clfTime, headerJoined, matchesMediaTypes, mediaType, type GatewayRequest } from './http-request';
import type { RouteMatch } from './router';

/**
 * The Lambda proxy events API Gateway sends: payload format 2.0 (HTTP APIs) and 1.0 (REST APIs and
 * HTTP API routes with `PayloadFormatVersion: '1.0'`), field by field as the API Gateway developer
 * guide documents them ("Create AWS Lambda proxy integrations for HTTP APIs", "Lambda proxy
 * integrations in API Gateway" for REST).
 */

/** Who the caller is, after authorization: what the event's authorizer / identity fields carry. */
export type IntegrationAuth =
  | { kind: 'none' }
  | { kind: 'lambda'; context: Record<string, unknown>; principalId?: string }
  | { kind: 'iam'; caller: CallerIdentity };

export interface CallerIdentity {
  accessKey: string;
  accountId: string;
  /** `caller` / `callerId`: the principal id (an IAM user id, or `<role id>:<session>`). */
  callerId: string;
  userArn: string;
  userId: string;
}

export interface EventOptions {
  auth: IntegrationAuth;
  /** The API key the caller sent (REST `identity.apiKey`), when the method requires one. */
  apiKey?: string;
}

/** HTTP APIs send a body as text only for these media types; anything else is base64. */
const HTTP_API_TEXT = /^(text\/.*|application\/json|application\/xml|application\/javascript)$/;

export function httpApiBodyIsText(req: GatewayRequest): boolean {
  const type = mediaType(headerJoined(req, 'content-type'));
  return type !== undefined && HTTP_API_TEXT.test(type);
}

function domain(req: GatewayRequest, apiId: string): { domainName: string; domainPrefix: string } {
  const host = (headerJoined(req, 'host') ?? 'localhost').split(',')[0]!.trim();
  const domainName = host.replace(/:\d+$/, '');
  const isName = /[a-z]/i.test(domainName) && domainName.includes('.');
  return { domainName, domainPrefix: isName ? domainName.split('.')[0]! : apiId };
}

/** The headers API Gateway adds before calling the integration. */
function forwardedHeaders(req: GatewayRequest): Array<[string, string]> {
  const priorFor = headerJoined(req, 'x-forwarded-for');
  return [
    ['X-Forwarded-For', priorFor ? `${priorFor}, ${req.sourceIp}` : req.sourceIp],
    ['X-Forwarded-Port', String(req.port)],
    ['X-Forwarded-Proto', 'http'],
    ['X-Amzn-Trace-Id', req.traceId],
  ];
}

function withForwarded(req: GatewayRequest): Array<[string, string]> {
  const added = new Set(forwardedHeaders(req).map(([n]) => n.toLowerCase()));
  return [...req.headers.filter(([n]) => !added.has(n.toLowerCase())), ...forwardedHeaders(req)];
}

// ---------------------------------------------------------------------------------------------
// Payload format 2.0

export function eventV2(
  match: RouteMatch,
  req: GatewayRequest,
  options: EventOptions,
): Record<string, unknown> {
  const { route } = match;
  const headers: Record<string, string> = {};
  const cookies: string[] = [];
  for (const [name, value] of withForwarded(req)) {
    const lower = name.toLowerCase();
    if (lower === 'cookie') {
      for (const c of value.split(';')) if (c.trim()) cookies.push(c.trim());
      continue;
    }
    headers[lower] = lower in headers ? `${headers[lower]},${value}` : value;
  }
  const query: Record<string, string> = {};
  for (const [k, v] of req.query) query[k] = k in query ? `${query[k]},${v}` : v;

  const requestContext: Record<string, unknown> = {
    accountId: LOCAL_ACCOUNT_ID,
    apiId: route.apiId,
    ...authorizerV2(options.auth),
    ...domain(req, route.apiId),
    http: {
      method: req.method,
      path: req.rawPath,
      protocol: req.protocol,
      sourceIp: req.sourceIp,
      userAgent: headers['user-agent'] ?? '',
    },
    requestId: req.extendedRequestId,
    routeKey: route.routeKey,
    stage: route.stage,
    time: clfTime(req.time),
    timeEpoch: req.time.getTime(),
  };
  const event: Record<string, unknown> = {
    version: '2.0',
    routeKey: route.routeKey,
    rawPath: req.rawPath,
    rawQueryString: req.rawQueryString,
    ...(cookies.length ? { cookies } : {}),
    headers,
    ...(req.query.length ? { queryStringParameters: query } : {}),
    requestContext,
  };
  if (req.body.length) {
    const text = httpApiBodyIsText(req);
    event.body = text ? req.body.toString('utf8') : req.body.toString('base64');
    event.isBase64Encoded = !text;
  } else event.isBase64Encoded = false;
  if (Object.keys(match.pathParameters).length) event.pathParameters = match.pathParameters;
  if (Object.keys(route.stageVariables).length) event.stageVariables = route.stageVariables;
  return event;
}

function authorizerV2(auth: IntegrationAuth): Record<string, unknown> {
  if (auth.kind === 'lambda') return { authorizer: { lambda: auth.context } };
  if (auth.kind === 'iam') {
    const c = auth.caller;
    return {
      authorizer: {
        iam: {
          accessKey: c.accessKey,
          accountId: c.accountId,
          callerId: c.callerId,
          cognitoIdentity: null,
          principalOrgId: null,
          userArn: c.userArn,
          userId: c.userId,
        },
      },
    };
  }
  return {};
}

// ---------------------------------------------------------------------------------------------
// Payload format 1.0

/** Headers (single-value map takes the last value) and query parameters as format 1.0 carries them. */
export function multiValueParts(
  req: GatewayRequest,
  lowerCaseHeaders: boolean,
): {
  headers: Record<string, string>;
  multiValueHeaders: Record<string, string[]>;
  queryStringParameters: Record<string, string> | null;
  multiValueQueryStringParameters: Record<string, string[]> | null;
} {
  const multiValueHeaders: Record<string, string[]> = {};
  const names = new Map<string, string>();
  for (const [rawName, value] of withForwarded(req)) {
    const lower = rawName.toLowerCase();
    const name = lowerCaseHeaders ? lower : (names.get(lower) ?? rawName);
    names.set(lower, name);
    (multiValueHeaders[name] ??= []).push(value);
  }
  const headers: Record<string, string> = {};
  for (const [name, values] of Object.entries(multiValueHeaders)) headers[name] = values[values.length - 1]!;
  let queryStringParameters: Record<string, string> | null = null;
  let multiValueQueryStringParameters: Record<string, string[]> | null = null;
  if (req.query.length) {
    queryStringParameters = {};
    multiValueQueryStringParameters = {};
    for (const [k, v] of req.query) {
      queryStringParameters[k] = v;
      (multiValueQueryStringParameters[k] ??= []).push(v);
    }
  }
  return { headers, multiValueHeaders, queryStringParameters, multiValueQueryStringParameters };
}

export function requestContextV1(
  match: RouteMatch,
  req: GatewayRequest,
  options: EventOptions,
  userAgent: string,
): Record<string, unknown> {
  const { route } = match;
  const rest = route.apiType === 'REST';
  const caller = options.auth.kind === 'iam' ? options.auth.caller : undefined;
  const resourcePath = route.path === '$default' ? match.resourcePath : route.path;
  return {
    accountId: LOCAL_ACCOUNT_ID,
    apiId: route.apiId,
    ...authorizerV1(options.auth, rest),
    ...domain(req, route.apiId),
    extendedRequestId: req.extendedRequestId,
    httpMethod: req.method,
    identity: {
      accessKey: caller?.accessKey ?? null,
      accountId: caller?.accountId ?? null,
      apiKey: options.apiKey ?? null,
      apiKeyId: options.apiKey ? `local-${options.apiKey.slice(0, 8)}` : null,
      caller: caller?.callerId ?? null,
      cognitoAuthenticationProvider: null,
      cognitoAuthenticationType: null,
      cognitoIdentityId: null,
      cognitoIdentityPoolId: null,
      principalOrgId: null,
      sourceIp: req.sourceIp,
      user: caller?.userId ?? null,
      userAgent,
      userArn: caller?.userArn ?? null,
    },
    path: rest ? `/${route.stage}${match.resourcePath === '/' ? '/' : match.resourcePath}` : req.rawPath,
    protocol: req.protocol,
    requestId: rest ? req.requestId : req.extendedRequestId,
    requestTime: clfTime(req.time),
    requestTimeEpoch: req.time.getTime(),
    resourceId: rest ? resourceId(route.apiId, resourcePath) : null,
    resourcePath,
    stage: route.stage,
  };
}

export function eventV1(
  match: RouteMatch,
  req: GatewayRequest,
  options: EventOptions,
): Record<string, unknown> {
  const { route } = match;
  const rest = route.apiType === 'REST';
  const parts = multiValueParts(req, !rest);
  const userAgent = Object.entries(parts.headers).find(([n]) => n.toLowerCase() === 'user-agent')?.[1] ?? '';
  let body: string | null = null;
  let isBase64Encoded = false;
  if (req.body.length) {
    const binary = rest
      ? matchesMediaTypes(mediaType(headerJoined(req, 'content-type')), route.binaryMediaTypes)
      : !httpApiBodyIsText(req);
    body = binary ? req.body.toString('base64') : req.body.toString('utf8');
    isBase64Encoded = binary;
  }
  return {
    ...(rest ? {} : { version: '1.0' }),
    resource: route.path === '$default' ? match.resourcePath : route.path,
    path: rest ? match.resourcePath : req.rawPath,
    httpMethod: req.method,
    ...parts,
    requestContext: requestContextV1(match, req, options, userAgent),
    pathParameters: Object.keys(match.pathParameters).length ? match.pathParameters : null,
    stageVariables: Object.keys(route.stageVariables).length ? route.stageVariables : null,
    body,
    isBase64Encoded,
  };
}

function authorizerV1(auth: IntegrationAuth, rest: boolean): Record<string, unknown> {
  if (auth.kind !== 'lambda') return {};
  const context: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(auth.context)) {
    // REST passes authorizer context values to the integration as strings.
    context[k] = rest && v !== null && typeof v !== 'string' ? String(v) : v;
  }
  return {
    authorizer: {
      ...context,
      ...(auth.principalId !== undefined ? { principalId: auth.principalId } : {}),
      integrationLatency: 0,
    },
  };
}

/** A stable six-character resource id per API resource path, like API Gateway's. */
function resourceId(apiId: string, path: string): string {
  let h = 0;
  for (const c of `${apiId}${path}`) h = (Math.imul(h, 31) + c.charCodeAt(0)) >>> 0;
  return h.toString(36).padStart(6, '0').slice(-6);
}
