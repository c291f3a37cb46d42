import { withGlobals } from '../../template/sam-globals';
import { isObject, type Template } from '../../template/template';

/**
 * The routes `npm start` serves, read from the SAM template the way SAM expands it: every
 * `AWS::Serverless::Function` event of Type `HttpApi` (an HTTP API, payload 2.0 by default) or `Api`
 * (a REST API, Lambda proxy integration, payload 1.0), joined with the API it belongs to (an explicit
 * `AWS::Serverless::HttpApi` / `AWS::Serverless::Api`, or SAM's implicit `ServerlessHttpApi` /
 * `ServerlessRestApi`) and that API's authorizers, models, API-key and stage settings.
 *
 * Anything the local gateway cannot run faithfully (a JWT / Cognito authorizer, an API defined
 * outside the template, an authorizer function that is not in the template) is an
 * {@link UnsupportedRouteError} naming the resource and why, so `npm start` fails up front instead of
 * serving an API that behaves differently from the deployed one.
 */

export type ApiType = 'HTTP' | 'REST';
export type PayloadFormatVersion = '1.0' | '2.0';

/** An HTTP API Lambda authorizer (always REQUEST type). */
export interface HttpLambdaAuthorizer {
  kind: 'http-request';
  name: string;
  apiLogicalId: string;
  functionLogicalId: string;
  payloadFormatVersion: PayloadFormatVersion;
  /** `EnableSimpleResponses`: `{isAuthorized, context}` instead of an IAM policy (2.0 only). */
  simpleResponses: boolean;
  /** `$request.header.X`, `$request.querystring.x`, `$context.x`, `$stageVariables.x`. */
  identitySources: string[];
  /** Result cache TTL in seconds; 0 turns caching off (it is off without identity sources). */
  ttlSeconds: number;
}

/** A REST API Lambda authorizer: TOKEN (one header) or REQUEST (several identity sources). */
export interface RestLambdaAuthorizer {
  kind: 'rest-token' | 'rest-request';
  name: string;
  apiLogicalId: string;
  functionLogicalId: string;
  /**
   * `method.request.header.X`, `method.request.querystring.x`, `stageVariables.x`, `context.x`
   * (TOKEN: exactly one header).
   */
  identitySources: string[];
  /** TOKEN only: a regular expression the token must match, or 401 without invoking. */
  validationExpression?: string;
  ttlSeconds: number;
}

export type LambdaAuthorizerConfig = HttpLambdaAuthorizer | RestLambdaAuthorizer;

export type RouteAuth =
  { type: 'NONE' } | { type: 'AWS_IAM' } | { type: 'LAMBDA'; authorizer: LambdaAuthorizerConfig };

export interface RequestModelConfig {
  /** The model's name in the API's `Models`. */
  name: string;
  /** Its JSON schema (draft-04, as API Gateway models are). */
  schema: Record<string, unknown>;
  /** `RequestModel.Required`: a request without a body fails body validation. */
  required: boolean;
  validateBody: boolean;
  validateParameters: boolean;
}

export interface RequestParameterConfig {
  location: 'header' | 'querystring' | 'path';
  name: string;
  required: boolean;
}

export interface UsagePlanConfig {
  createUsagePlan: string;
  throttle?: { burstLimit?: number; rateLimit?: number };
  quota?: { limit?: number; period?: string; offset?: number };
}

export interface ApiRoute {
  apiType: ApiType;
  apiLogicalId: string;
  /** The local API id (what `Ref` gives for the API in the local cloud). */
  apiId: string;
  /** HTTP API: `StageName` or `$default`; REST: the SAM `StageName` (`Prod` for the implicit API). */
  stage: string;
  stageVariables: Record<string, string>;
  functionLogicalId: string;
  /** The function event's name (its key under `Events`). */
  eventName: string;
  /** Upper-case HTTP method, or `ANY`. */
  method: string;
  /** Resource path with `{param}` / `{proxy+}` variables, or `$default` (HTTP API catch-all). */
  path: string;
  /** `GET /pets/{id}`, `ANY /{proxy+}` or `$default`. */
  routeKey: string;
  payloadFormatVersion: PayloadFormatVersion;
  auth: RouteAuth;
  /** REST only: the caller must send an `x-api-key` of a key the local cloud knows. */
  apiKeyRequired: boolean;
  /**
   * REST only: where the API key comes from (`ApiKeySourceType`): the `x-api-key` header, or the
   * `usageIdentifierKey` a Lambda authorizer returns.
   */
  apiKeySource: 'HEADER' | 'AUTHORIZER';
  /** REST only: the API's usage plan, informational (throttling and quotas are not enforced). */
  usagePlan?: UsagePlanConfig;
  /** REST only. */
  requestModel?: RequestModelConfig;
  /** REST only: `RequestParameters` of the event. */
  requestParameters: RequestParameterConfig[];
  /** REST only: `BinaryMediaTypes` of the API (`~1` already turned into `/`). */
  binaryMediaTypes: string[];
  /** Integration timeout (`TimeoutInMillis`, at most 30 s for HTTP APIs and 29 s for REST APIs). */
  timeoutMs: number;
}

export class UnsupportedRouteError extends Error {
  constructor(
    /** The template resource (and event) the local gateway cannot serve. */
    readonly resource: string,
    readonly reason: string,
  ) {
    super(`${resource}: ${reason}`);
    this.name = 'UnsupportedRouteError';
  }
}

const IMPLICIT_HTTP_API = 'ServerlessHttpApi';
const IMPLICIT_REST_API = 'ServerlessRestApi';
const DEFAULT_TTL_SECONDS = 300;
const METHODS = new Set(['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS', 'ANY']);

const localApiId = (logicalId: string) => logicalId.toLowerCase();

interface ApiDefinition {
  logicalId: string;
  type: ApiType;
  props: Record<string, unknown>;
  stage: string;
  stageVariables: Record<string, string>;
  authorizers: Map<string, LambdaAuthorizerConfig | { unsupported: string }>;
  defaultAuthorizer?: string;
  iamEnabled: boolean;
  apiKeyRequired: boolean;
  apiKeySource: 'HEADER' | 'AUTHORIZER';
  usagePlan?: UsagePlanConfig;
  models: Record<string, Record<string, unknown>>;
  binaryMediaTypes: string[];
}

export function apiRoutes(template: Template): ApiRoute[] {
  const apis = new Map<string, ApiDefinition>();
  const routes: ApiRoute[] = [];
  for (const [fnId, resource] of Object.entries(template.Resources)) {
    if (resource.Type !== 'AWS::Serverless::Function') continue;
    const props = withGlobals(template, 'Function', resource.Properties);
    const events = props.Events;
    if (!isObject(events)) continue;
    for (const [eventName, event] of Object.entries(events)) {
      if (!isObject(event) || (event.Type !== 'HttpApi' && event.Type !== 'Api')) continue;
      const where = `${fnId} event ${eventName}`;
      const eventProps = isObject(event.Properties) ? event.Properties : {};
      routes.push(
        event.Type === 'HttpApi'
          ? httpRoute(template, apis, fnId, eventName, eventProps, where)
          : restRoute(template, apis, fnId, eventName, eventProps, where),
      );
    }
  }
  return routes;
}

// ---------------------------------------------------------------------------------------------
// HTTP APIs

function httpRoute(
  template: Template,
  apis: Map<string, ApiDefinition>,
  fnId: string,
  eventName: string,
  props: Record<string, unknown>,
  where: string,
): ApiRoute {
  const api = apiFor(template, apis, 'HTTP', props.ApiId, where);
  const hasPath = props.Path !== undefined;
  const hasMethod = props.Method !== undefined;
  let method: string;
  let path: string;
  if (!hasPath && !hasMethod) {
    method = 'ANY';
    path = '$default';
  } else {
    path = literalString(props.Path, `${where} Path`);
    method = normaliseMethod(props.Method ?? 'ANY', where);
  }
  if (path !== '$default') checkPath(path, where);
  // YAML reads an unquoted 2.0 as the number 2.
  const raw = String(props.PayloadFormatVersion ?? '2.0');
  const version = raw === '1' || raw === '1.0' ? '1.0' : raw === '2' || raw === '2.0' ? '2.0' : undefined;
  if (!version) {
    throw new UnsupportedRouteError(
      where,
      `PayloadFormatVersion must be "1.0" or "2.0", got ${JSON.stringify(props.PayloadFormatVersion)}`,
    );
  }
  const auth = routeAuth(api, isObject(props.Auth) ? props.Auth : {}, where);
  return {
    apiType: 'HTTP',
    apiLogicalId: api.logicalId,
    apiId: localApiId(api.logicalId),
    stage: api.stage,
    stageVariables: api.stageVariables,
    functionLogicalId: fnId,
    eventName,
    method,
    path,
    routeKey: path === '$default' ? '$default' : `${method} ${path}`,
    payloadFormatVersion: version,
    auth,
    apiKeyRequired: false,
    apiKeySource: 'HEADER',
    requestParameters: [],
    binaryMediaTypes: [],
    timeoutMs: timeout(props.TimeoutInMillis, 30_000, where),
  };
}

// ---------------------------------------------------------------------------------------------
// REST APIs

function restRoute(
  template: Template,
  apis: Map<string, ApiDefinition>,
  fnId: string,
  eventName: string,
  props: Record<string, unknown>,
  where: string,
): ApiRoute {
  const api = apiFor(template, apis, 'REST', props.RestApiId, where);
  const path = literalString(props.Path, `${where} Path`);
  checkPath(path, where);
  const method = normaliseMethod(props.Method, where);
  const authProps = isObject(props.Auth) ? props.Auth : {};
  const auth = routeAuth(api, authProps, where);
  const apiKeyRequired =
    typeof authProps.ApiKeyRequired === 'boolean' ? authProps.ApiKeyRequired : api.apiKeyRequired;
  return {
    apiType: 'REST',
    apiLogicalId: api.logicalId,
    apiId: localApiId(api.logicalId),
    stage: api.stage,
    stageVariables: api.stageVariables,
    functionLogicalId: fnId,
    eventName,
    method,
    path,
    routeKey: `${method} ${path}`,
    payloadFormatVersion: '1.0',
    auth,
    apiKeyRequired,
    apiKeySource: api.apiKeySource,
    ...(api.usagePlan ? { usagePlan: api.usagePlan } : {}),
    ...requestModel(api, props.RequestModel, where),
    requestParameters: requestParameters(path, props.RequestParameters, where),
    binaryMediaTypes: api.binaryMediaTypes,
    timeoutMs: timeout(props.TimeoutInMillis, 29_000, where),
  };
}

function requestModel(
  api: ApiDefinition,
  value: unknown,
  where: string,
): { requestModel?: RequestModelConfig } {
  if (value === undefined) return {};
  if (!isObject(value)) throw new UnsupportedRouteError(where, 'RequestModel must be a mapping');
  const name = literalString(value.Model, `${where} RequestModel.Model`);
  const schema = api.models[name];
  if (!schema) {
    throw new UnsupportedRouteError(
      where,
      `RequestModel ${name} is not one of the Models of ${api.logicalId} (${Object.keys(api.models).join(', ') || 'none'})`,
    );
  }
  // SAM adds a request validator only when ValidateBody or ValidateParameters is set; the other
  // one then defaults to false.
  const validateBody = value.ValidateBody === true;
  const validateParameters = value.ValidateParameters === true;
  return {
    requestModel: { name, schema, required: value.Required === true, validateBody, validateParameters },
  };
}

function requestParameters(path: string, value: unknown, where: string): RequestParameterConfig[] {
  const out: RequestParameterConfig[] = [];
  for (const m of path.matchAll(/\{([^}+]+)\+?\}/g)) {
    out.push({ location: 'path', name: m[1]!, required: true });
  }
  if (value === undefined) return out;
  if (!Array.isArray(value)) throw new UnsupportedRouteError(where, 'RequestParameters must be a list');
  for (const item of value) {
    let key: string;
    let required = false;
    if (typeof item === 'string') key = item;
    else if (isObject(item) && Object.keys(item).length === 1) {
      key = Object.keys(item)[0]!;
      const settings = item[key];
      required = isObject(settings) && settings.Required === true;
    } else {
      throw new UnsupportedRouteError(
        where,
        `RequestParameters entry ${JSON.stringify(item)} is not understood`,
      );
    }
    const m = /^method\.request\.(header|querystring|path)\.(.+)$/.exec(key);
    if (!m) {
      throw new UnsupportedRouteError(
        where,
        `RequestParameters entry "${key}" must look like method.request.(header|querystring|path).<name>`,
      );
    }
    const location = m[1] as RequestParameterConfig['location'];
    const name = m[2]!;
    const existing = out.find((p) => p.location === location && p.name === name);
    if (existing) existing.required ||= required;
    else out.push({ location, name, required });
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// APIs and their authorizers

function apiFor(
  template: Template,
  apis: Map<string, ApiDefinition>,
  type: ApiType,
  ref: unknown,
  where: string,
): ApiDefinition {
  const property = type === 'HTTP' ? 'ApiId' : 'RestApiId';
  const samType = type === 'HTTP' ? 'AWS::Serverless::HttpApi' : 'AWS::Serverless::Api';
  let logicalId: string;
  if (ref === undefined) logicalId = type === 'HTTP' ? IMPLICIT_HTTP_API : IMPLICIT_REST_API;
  else if (isObject(ref) && typeof ref.Ref === 'string') logicalId = ref.Ref;
  else {
    throw new UnsupportedRouteError(
      where,
      `${property} must be !Ref to an ${samType} of this template, got ${JSON.stringify(ref)}`,
    );
  }
  const cached = apis.get(logicalId);
  if (cached) {
    if (cached.type !== type) {
      throw new UnsupportedRouteError(where, `${property} ${logicalId} is not an ${samType}`);
    }
    return cached;
  }
  const implicit = ref === undefined;
  const resource = template.Resources[logicalId];
  if (!implicit) {
    if (!resource) {
      throw new UnsupportedRouteError(
        where,
        `${property} refers to ${logicalId}, which is not in the template`,
      );
    }
    if (resource.Type !== samType) {
      throw new UnsupportedRouteError(
        where,
        `${property} refers to ${logicalId} of type ${resource.Type}; the local gateway serves ${samType} resources only`,
      );
    }
  }
  const props = withGlobals(template, type === 'HTTP' ? 'HttpApi' : 'Api', resource?.Properties ?? {});
  const api = defineApi(template, logicalId, type, props);
  apis.set(logicalId, api);
  return api;
}

function defineApi(
  template: Template,
  logicalId: string,
  type: ApiType,
  props: Record<string, unknown>,
): ApiDefinition {
  const auth = isObject(props.Auth) ? props.Auth : {};
  const stageName = props.StageName;
  const stage =
    type === 'HTTP'
      ? typeof stageName === 'string'
        ? stageName
        : '$default'
      : typeof stageName === 'string'
        ? stageName
        : 'Prod';
  const variablesProp = type === 'HTTP' ? props.StageVariables : props.Variables;
  const stageVariables: Record<string, string> = {};
  if (isObject(variablesProp)) {
    for (const [k, v] of Object.entries(variablesProp)) {
      if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean')
        stageVariables[k] = String(v);
    }
  }
  const authorizers = new Map<string, LambdaAuthorizerConfig | { unsupported: string }>();
  if (isObject(auth.Authorizers)) {
    for (const [name, def] of Object.entries(auth.Authorizers)) {
      authorizers.set(
        name,
        type === 'HTTP'
          ? httpAuthorizer(template, logicalId, name, def)
          : restAuthorizer(template, logicalId, name, def),
      );
    }
  }
  const models: Record<string, Record<string, unknown>> = {};
  if (isObject(props.Models)) {
    for (const [name, schema] of Object.entries(props.Models)) if (isObject(schema)) models[name] = schema;
  }
  const binaryMediaTypes = Array.isArray(props.BinaryMediaTypes)
    ? props.BinaryMediaTypes.filter((t): t is string => typeof t === 'string').map((t) =>
        t.replace(/~1/g, '/'),
      )
    : [];
  return {
    logicalId,
    type,
    props,
    stage,
    stageVariables,
    authorizers,
    ...(typeof auth.DefaultAuthorizer === 'string' ? { defaultAuthorizer: auth.DefaultAuthorizer } : {}),
    iamEnabled: type === 'REST' || auth.EnableIamAuthorizer === true,
    apiKeyRequired: auth.ApiKeyRequired === true,
    apiKeySource: props.ApiKeySourceType === 'AUTHORIZER' ? 'AUTHORIZER' : 'HEADER',
    ...(isObject(auth.UsagePlan) ? { usagePlan: usagePlan(auth.UsagePlan) } : {}),
    models,
    binaryMediaTypes,
  };
}

function usagePlan(value: Record<string, unknown>): UsagePlanConfig {
  const plan: UsagePlanConfig = {
    createUsagePlan: typeof value.CreateUsagePlan === 'string' ? value.CreateUsagePlan : 'NONE',
  };
  if (isObject(value.Throttle)) {
    plan.throttle = {
      ...(typeof value.Throttle.BurstLimit === 'number' ? { burstLimit: value.Throttle.BurstLimit } : {}),
      ...(typeof value.Throttle.RateLimit === 'number' ? { rateLimit: value.Throttle.RateLimit } : {}),
    };
  }
  if (isObject(value.Quota)) {
    plan.quota = {
      ...(typeof value.Quota.Limit === 'number' ? { limit: value.Quota.Limit } : {}),
      ...(typeof value.Quota.Period === 'string' ? { period: value.Quota.Period } : {}),
      ...(typeof value.Quota.Offset === 'number' ? { offset: value.Quota.Offset } : {}),
    };
  }
  return plan;
}

function httpAuthorizer(
  template: Template,
  apiLogicalId: string,
  name: string,
  def: unknown,
): HttpLambdaAuthorizer | { unsupported: string } {
  if (!isObject(def)) return { unsupported: 'its definition is not a mapping' };
  if (def.JwtConfiguration !== undefined || def.IdentitySource !== undefined) {
    return {
      unsupported:
        'it is a JWT (OAuth2) authorizer; the local gateway cannot validate tokens against an identity provider',
    };
  }
  if (def.FunctionArn === undefined) return { unsupported: 'a Lambda authorizer needs FunctionArn' };
  const where = `${apiLogicalId} Auth.Authorizers.${name}`;
  const functionLogicalId = functionOf(template, def.FunctionArn, where);
  const version = def.AuthorizerPayloadFormatVersion;
  if (version !== '1.0' && version !== '2.0' && version !== 1 && version !== 2) {
    return { unsupported: 'AuthorizerPayloadFormatVersion must be "1.0" or "2.0"' };
  }
  const payloadFormatVersion: PayloadFormatVersion = String(version).startsWith('1') ? '1.0' : '2.0';
  const identity = isObject(def.Identity) ? def.Identity : undefined;
  const sources: string[] = [];
  if (identity) {
    for (const [prefix, key] of [
      ['$request.header.', 'Headers'],
      ['$request.querystring.', 'QueryStrings'],
      ['$stageVariables.', 'StageVariables'],
      ['$context.', 'Context'],
    ] as const) {
      const values = identity[key];
      if (Array.isArray(values)) for (const v of values) if (typeof v === 'string') sources.push(prefix + v);
    }
  }
  const reauthorize = identity?.ReauthorizeEvery;
  const ttl = typeof reauthorize === 'number' ? reauthorize : DEFAULT_TTL_SECONDS;
  return {
    kind: 'http-request',
    name,
    apiLogicalId,
    functionLogicalId,
    payloadFormatVersion,
    simpleResponses: payloadFormatVersion === '2.0' && def.EnableSimpleResponses === true,
    identitySources: sources,
    // API Gateway caches only when the authorizer has identity sources (SAM sets none without Identity).
    ttlSeconds: sources.length === 0 ? 0 : ttl,
  };
}

function restAuthorizer(
  template: Template,
  apiLogicalId: string,
  name: string,
  def: unknown,
): RestLambdaAuthorizer | { unsupported: string } {
  if (!isObject(def)) return { unsupported: 'its definition is not a mapping' };
  if (def.UserPoolArn !== undefined) {
    return {
      unsupported: 'it is a Cognito user pool authorizer; the local gateway cannot validate Cognito tokens',
    };
  }
  if (def.FunctionArn === undefined) return { unsupported: 'a Lambda authorizer needs FunctionArn' };
  const where = `${apiLogicalId} Auth.Authorizers.${name}`;
  const functionLogicalId = functionOf(template, def.FunctionArn, where);
  const payloadType = def.FunctionPayloadType ?? 'TOKEN';
  const identity = isObject(def.Identity) ? def.Identity : {};
  const reauthorize = identity.ReauthorizeEvery;
  const ttl = typeof reauthorize === 'number' ? reauthorize : DEFAULT_TTL_SECONDS;
  if (payloadType === 'TOKEN') {
    const header = typeof identity.Header === 'string' ? identity.Header : 'Authorization';
    return {
      kind: 'rest-token',
      name,
      apiLogicalId,
      functionLogicalId,
      identitySources: [`method.request.header.${header}`],
      ...(typeof identity.ValidationExpression === 'string'
        ? { validationExpression: identity.ValidationExpression }
        : {}),
      ttlSeconds: ttl,
    };
  }
  if (payloadType !== 'REQUEST') {
    return {
      unsupported: `FunctionPayloadType must be TOKEN or REQUEST, got ${JSON.stringify(payloadType)}`,
    };
  }
  const sources: string[] = [];
  for (const [prefix, key] of [
    ['method.request.header.', 'Headers'],
    ['method.request.querystring.', 'QueryStrings'],
    ['stageVariables.', 'StageVariables'],
    ['context.', 'Context'],
  ] as const) {
    const values = identity[key];
    if (Array.isArray(values)) for (const v of values) if (typeof v === 'string') sources.push(prefix + v);
  }
  return {
    kind: 'rest-request',
    name,
    apiLogicalId,
    functionLogicalId,
    identitySources: sources,
    ttlSeconds: sources.length === 0 ? 0 : ttl,
  };
}

function routeAuth(api: ApiDefinition, eventAuth: Record<string, unknown>, where: string): RouteAuth {
  const named = eventAuth.Authorizer ?? api.defaultAuthorizer;
  if (named === undefined || named === 'NONE') return { type: 'NONE' };
  if (typeof named !== 'string') {
    throw new UnsupportedRouteError(where, `Auth.Authorizer must be a name, got ${JSON.stringify(named)}`);
  }
  if (named === 'AWS_IAM') {
    if (!api.iamEnabled) {
      throw new UnsupportedRouteError(
        where,
        `uses the AWS_IAM authorizer, but ${api.logicalId} does not set Auth.EnableIamAuthorizer: true`,
      );
    }
    return { type: 'AWS_IAM' };
  }
  const authorizer = api.authorizers.get(named);
  if (!authorizer) {
    throw new UnsupportedRouteError(
      where,
      `Auth.Authorizer ${named} is not one of the Auth.Authorizers of ${api.logicalId} (${[...api.authorizers.keys()].join(', ') || 'none'})`,
    );
  }
  if ('unsupported' in authorizer) {
    throw new UnsupportedRouteError(
      `${where} (authorizer ${api.logicalId}.${named})`,
      `${authorizer.unsupported}`,
    );
  }
  return { type: 'LAMBDA', authorizer };
}

/** The logical id of the template function a `FunctionArn` value points at. */
function functionOf(template: Template, value: unknown, where: string): string {
  const isFunction = (id: string) => {
    const type = template.Resources[id]?.Type;
    return type === 'AWS::Serverless::Function' || type === 'AWS::Lambda::Function';
  };
  let id: string | undefined;
  if (isObject(value)) {
    const getAtt = value['Fn::GetAtt'];
    if (Array.isArray(getAtt) && typeof getAtt[0] === 'string') id = getAtt[0];
    else if (typeof getAtt === 'string') id = getAtt.split('.')[0];
    else if (typeof value.Ref === 'string') id = value.Ref;
    else if (typeof value['Fn::Sub'] === 'string') {
      const m = /^\$\{([A-Za-z0-9]+)\.Arn\}$/.exec(value['Fn::Sub']);
      if (m) id = m[1];
    }
  } else if (typeof value === 'string') {
    const m = /^arn:[^:]+:lambda:[^:]*:[^:]*:function:([^:]+)/.exec(value);
    const fnName = m?.[1];
    if (fnName) {
      id = Object.entries(template.Resources).find(
        ([rid, r]) => isFunction(rid) && (r.Properties?.FunctionName === fnName || rid === fnName),
      )?.[0];
    }
  }
  if (!id || !isFunction(id)) {
    throw new UnsupportedRouteError(
      where,
      `FunctionArn ${JSON.stringify(value)} does not point at a function of this template (use !GetAtt <Function>.Arn)`,
    );
  }
  return id;
}

// ---------------------------------------------------------------------------------------------
// Small checks

function literalString(value: unknown, where: string): string {
  if (typeof value !== 'string' || value === '') {
    throw new UnsupportedRouteError(where, `must be a literal string, got ${JSON.stringify(value)}`);
  }
  return value;
}

function normaliseMethod(value: unknown, where: string): string {
  const method = literalString(value, `${where} Method`).toUpperCase();
  const normalised = method === 'X-AMAZON-APIGATEWAY-ANY-METHOD' ? 'ANY' : method;
  if (!METHODS.has(normalised)) {
    throw new UnsupportedRouteError(where, `Method ${JSON.stringify(value)} is not an HTTP method or ANY`);
  }
  return normalised;
}

function checkPath(path: string, where: string): void {
  if (!path.startsWith('/')) throw new UnsupportedRouteError(where, `Path "${path}" must start with /`);
  const segments = path.split('/').slice(1);
  segments.forEach((segment, i) => {
    if (/\{[^}]*\+\}/.test(segment) && (i !== segments.length - 1 || !/^\{[^}]+\+\}$/.test(segment))) {
      throw new UnsupportedRouteError(
        where,
        `Path "${path}": a greedy {name+} variable must be the last segment`,
      );
    }
  });
}

function timeout(value: unknown, max: number, where: string): number {
  if (value === undefined) return max;
  if (typeof value !== 'number' || value < 50) {
    throw new UnsupportedRouteError(
      where,
      `TimeoutInMillis must be a number from 50, got ${JSON.stringify(value)}`,
    );
  }
  return Math.min(value, max);
}
