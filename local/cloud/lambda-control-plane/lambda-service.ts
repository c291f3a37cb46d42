import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { AwsError, field } from '../aws-json-protocol';
import { LambdaError, constraint, invalidParameter, lambdaErrorBody } from './errors';
import type {
  AliasInput,
  CallerContext,
  CreateFunctionInput,
  FunctionConfiguration,
  FunctionRegistry,
  UpdateFunctionConfigurationInput,
} from './function-registry';
import {
  CallStats,
  type Latency,
  type OperationStats,
  type RateLimit,
  TokenBucket,
  latencyFor,
  retryAfterSeconds,
  sleep,
} from './throttle';
import { readBody } from '../../http-body';

/**
 * Lambda's control plane (REST-JSON, the real paths and API versions of each operation) over the
 * in-memory FunctionRegistry, plus Invoke, delegated to the local cloud's runtime. The real
 * `LambdaClient` of the AWS SDK talks to it through its `endpoint` override.
 *
 * Request quotas (Lambda Developer Guide, "Lambda quotas", API requests table; fixed, not
 * increasable): GetFunction 100 requests/s, GetPolicy 15 requests/s, and 15 requests/s for the
 * remainder of the control plane together (everything but invocation, GetFunction and GetPolicy).
 * Invocation: 10 × the concurrent-executions quota (default 1,000) per second. Each class is a token
 * bucket here; a call over its rate gets 429 TooManyRequestsException (Reason
 * CallerRateLimitExceeded) with `Retry-After`, as Lambda answers. All rates are options.
 */

export type ThrottleClass = 'GetFunction' | 'GetPolicy' | 'ControlPlane' | 'Invoke';

export const LAMBDA_DEFAULT_LIMITS: Readonly<Record<ThrottleClass, RateLimit>> = {
  GetFunction: { ratePerSecond: 100 },
  GetPolicy: { ratePerSecond: 15 },
  ControlPlane: { ratePerSecond: 15 },
  Invoke: { ratePerSecond: 10 * 1000 },
};

/** Sync invocation payload limit (request and response), and the asynchronous one. */
export const SYNC_PAYLOAD_LIMIT = 6 * 1024 * 1024;
export const ASYNC_PAYLOAD_LIMIT = 1024 * 1024;
/** `X-Amz-Log-Type: Tail` returns the last 4 KB of the invocation's log. */
const LOG_TAIL_BYTES = 4096;
const BODY_LIMIT = 70 * 1024 * 1024;

export interface InvokeInfo {
  invocationType: 'RequestResponse' | 'Event';
  /** The version that runs (`X-Amz-Executed-Version`). */
  executedVersion: string;
  /** The ARN invoked (with the qualifier, when there is one). */
  functionArn: string;
  requestId: string;
  configuration: FunctionConfiguration;
}

export interface InvokeResponse {
  payload?: Buffer | Uint8Array | string;
  /** `Unhandled` / `Handled` → `X-Amz-Function-Error`. */
  functionError?: string;
  /** The invocation's log; its last 4 KB go to `X-Amz-Log-Result` when the caller asked for Tail. */
  logTail?: string;
}

/**
 * Runs a function for Invoke. `qualifier` is the alias or version asked for (`$LATEST` when none);
 * `clientContext` is the decoded `X-Amz-Client-Context` JSON. Throwing an AwsError answers with it.
 */
export type Invoker = (
  functionName: string,
  qualifier: string,
  payload: Buffer,
  clientContext: string | undefined,
  info: InvokeInfo,
) => Promise<InvokeResponse> | InvokeResponse;

export interface LambdaControlPlaneOptions {
  /** 0 (default) picks a free port; the server listens on 127.0.0.1 only. */
  port?: number;
  invoke?: Invoker;
  /**
   * Another name Invoke accepts for a function, as `sam local start-lambda` takes logical ids;
   * undefined for none. The other operations know functions by their names only, as Lambda does.
   */
  invokeAlias?: (name: string) => string | undefined;
  /** Latency added to every request (ms), or chosen per operation. */
  latencyMs?: Latency;
  /** Request quotas per class; `false` turns throttling off, `null` for one class turns that class off. */
  throttle?: false | Partial<Record<ThrottleClass, RateLimit | null>>;
  /** Where GetFunction says the code is; default a placeholder URL on this server. */
  codeLocation?: (configuration: FunctionConfiguration) => string;
  /** An Event invocation's failure (nobody waits for it); default: logged. */
  onAsyncInvokeError?: (error: unknown, functionName: string) => void;
}

export interface LambdaControlPlane {
  server: http.Server;
  endpoint: string;
  /** Calls, throttled calls and errors per operation since start (or the last reset). */
  stats(): Record<string, OperationStats>;
  resetStats(): void;
  close(): Promise<void>;
}

interface Reply {
  status: number;
  body?: unknown;
  raw?: Buffer;
  headers?: Record<string, string>;
}

interface RouteContext {
  params: string[];
  query: URLSearchParams;
  body: Buffer;
  json: () => Record<string, unknown>;
  headers: IncomingMessage['headers'];
  caller: CallerContext;
  requestId: string;
  host: string;
}

interface Route {
  method: string;
  pattern: RegExp;
  operation: string;
  /** The quota the operation counts against; null: none (the emulator's own helper routes). */
  throttleClass: ThrottleClass | null;
  handle: (ctx: RouteContext) => Reply | Promise<Reply>;
}

/** `/2015-03-31/functions/{FunctionName}` → a regex capturing each `{…}` segment. */
const template = (path: string) => new RegExp(`^${path.replace(/\{[^}]+\}/g, '([^/]+)')}/?$`);

/** Lambda operations that exist but are not emulated: named in the error, so the gap is obvious. */
const NOT_EMULATED: Array<[string, string, string]> = [
  ['POST', '/2015-03-31/functions/{FunctionName}/policy', 'AddPermission'],
  ['GET', '/2015-03-31/functions/{FunctionName}/policy', 'GetPolicy'],
  ['DELETE', '/2015-03-31/functions/{FunctionName}/policy/{StatementId}', 'RemovePermission'],
  ['PUT', '/2015-03-31/functions/{FunctionName}/code', 'UpdateFunctionCode'],
  ['GET', '/2016-08-19/account-settings', 'GetAccountSettings'],
  ['PUT', '/2017-10-31/functions/{FunctionName}/concurrency', 'PutFunctionConcurrency'],
  ['DELETE', '/2017-10-31/functions/{FunctionName}/concurrency', 'DeleteFunctionConcurrency'],
  ['GET', '/2019-09-30/functions/{FunctionName}/concurrency', 'GetFunctionConcurrency'],
  ['GET', '/2015-03-31/event-source-mappings', 'ListEventSourceMappings'],
  ['POST', '/2015-03-31/event-source-mappings', 'CreateEventSourceMapping'],
  ['GET', '/2015-03-31/event-source-mappings/{UUID}', 'GetEventSourceMapping'],
  ['PUT', '/2015-03-31/event-source-mappings/{UUID}', 'UpdateEventSourceMapping'],
  ['DELETE', '/2015-03-31/event-source-mappings/{UUID}', 'DeleteEventSourceMapping'],
  ['POST', '/2014-11-13/functions/{FunctionName}/invoke-async', 'InvokeAsync'],
  ['POST', '/2021-11-15/functions/{FunctionName}/response-streaming-invocations', 'InvokeWithResponseStream'],
  ['GET', '/2018-10-31/layers', 'ListLayers'],
  ['GET', '/2021-10-31/functions/{FunctionName}/url', 'GetFunctionUrlConfig'],
  ['POST', '/2021-10-31/functions/{FunctionName}/url', 'CreateFunctionUrlConfig'],
  ['GET', '/2021-10-31/functions/{FunctionName}/urls', 'ListFunctionUrlConfigs'],
  ['GET', '/2019-09-25/functions/{FunctionName}/event-invoke-config', 'GetFunctionEventInvokeConfig'],
  ['PUT', '/2019-09-25/functions/{FunctionName}/event-invoke-config', 'PutFunctionEventInvokeConfig'],
  ['GET', '/2019-09-30/functions/{FunctionName}/provisioned-concurrency', 'GetProvisionedConcurrencyConfig'],
  ['GET', '/2020-06-30/functions/{FunctionName}/code-signing-config', 'GetFunctionCodeSigningConfig'],
  ['GET', '/2024-08-31/functions/{FunctionName}/recursion-config', 'GetFunctionRecursionConfig'],
  ['GET', '/2021-07-20/functions/{FunctionName}/runtime-management-config', 'GetRuntimeManagementConfig'],
];

const NOT_EMULATED_ROUTES = NOT_EMULATED.map(([method, path, operation]) => ({
  method,
  pattern: template(path),
  operation,
  path,
}));

/** Body members each mutating operation accepts; anything else is refused by name, never ignored. */
const CREATE_FUNCTION_FIELDS = new Set([
  'FunctionName',
  'Runtime',
  'Role',
  'Handler',
  'Code',
  'Description',
  'Timeout',
  'MemorySize',
  'Publish',
  'Environment',
  'Tags',
  'Architectures',
  'PackageType',
]);
const UPDATE_CONFIGURATION_FIELDS = new Set([
  'Role',
  'Handler',
  'Description',
  'Timeout',
  'MemorySize',
  'Environment',
  'Runtime',
  'RevisionId',
]);

function onlyFields(input: Record<string, unknown>, allowed: Set<string>, operation: string): void {
  const extra = Object.keys(input).filter((k) => !allowed.has(k) && input[k] !== null);
  if (extra.length) {
    throw invalidParameter(
      `${operation}: ${extra.join(', ')} ${extra.length > 1 ? 'are' : 'is'} not supported by the local Lambda emulator`,
    );
  }
}

function record(input: Record<string, unknown>, name: string): Record<string, unknown> | undefined {
  const v = input[name];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'object' || Array.isArray(v)) {
    throw new LambdaError('InvalidRequestContentException', `${name} must be a JSON object`);
  }
  return v as Record<string, unknown>;
}

function stringMap(input: Record<string, unknown>, name: string): Record<string, string> | undefined {
  const v = record(input, name);
  if (v && !Object.values(v).every((x) => typeof x === 'string')) {
    throw new LambdaError('InvalidRequestContentException', `${name} must map strings to strings`);
  }
  return v as Record<string, string> | undefined;
}

function environment(input: Record<string, unknown>): { Variables?: Record<string, string> } | undefined {
  const env = record(input, 'Environment');
  return env ? { Variables: stringMap(env, 'Variables') ?? {} } : undefined;
}

function intQuery(query: URLSearchParams, name: string, member: string): number | undefined {
  const v = query.get(name);
  if (v === null) return undefined;
  if (!/^\d+$/.test(v)) throw constraint(v, member, 'Member must be an integer');
  return Number(v);
}

function header(headers: IncomingMessage['headers'], name: string): string | undefined {
  const v = headers[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
}

/** Lambda's answer when a control-plane class is over its rate. */
const throttled = (waitMs: number) =>
  new LambdaError(
    'TooManyRequestsException',
    'Rate exceeded',
    429,
    { 'Retry-After': String(retryAfterSeconds(waitMs)) },
    { Reason: 'CallerRateLimitExceeded' },
  );

function routes(registry: FunctionRegistry, options: LambdaControlPlaneOptions): Route[] {
  const json = (status: number, body: unknown): Reply => ({ status, body });
  const empty = (status: number): Reply => ({ status });
  const fn = (ctx: RouteContext) => ctx.params[0]!;
  const qualifier = (ctx: RouteContext) => ctx.query.get('Qualifier') || undefined;
  const codeLocation = (c: FunctionConfiguration, host: string) =>
    options.codeLocation
      ? options.codeLocation(c)
      : `http://${host}/local-code/${encodeURIComponent(c.FunctionName)}/${encodeURIComponent(c.CodeSha256)}`;

  const route = (
    method: string,
    path: string,
    operation: string,
    handle: Route['handle'],
    throttleClass: ThrottleClass | null = 'ControlPlane',
  ): Route => ({ method, pattern: template(path), operation, throttleClass, handle });

  return [
    route('GET', '/2015-03-31/functions', 'ListFunctions', (ctx) => {
      const version = ctx.query.get('FunctionVersion');
      if (version !== null && version !== 'ALL') {
        throw constraint(version, 'functionVersion', 'Member must satisfy enum value set: [ALL]');
      }
      const masterRegion = ctx.query.get('MasterRegion');
      if (masterRegion !== null && version !== 'ALL') {
        throw invalidParameter('MasterRegion requires FunctionVersion to be ALL');
      }
      // No Lambda@Edge replicas exist locally: a MasterRegion filter matches nothing.
      if (masterRegion !== null) return json(200, { Functions: [] });
      const page = registry.listFunctions({
        marker: ctx.query.get('Marker') ?? undefined,
        maxItems: intQuery(ctx.query, 'MaxItems', 'maxItems'),
        allVersions: version === 'ALL',
      });
      return json(200, {
        Functions: page.items,
        ...(page.nextMarker ? { NextMarker: page.nextMarker } : {}),
      });
    }),
    route('POST', '/2015-03-31/functions', 'CreateFunction', (ctx) => {
      const input = ctx.json();
      onlyFields(input, CREATE_FUNCTION_FIELDS, 'CreateFunction');
      const code = record(input, 'Code');
      if (!code) throw constraint(null, 'code', 'Member must not be null');
      const created = registry.createFunction(
        {
          FunctionName: field.string(input, 'FunctionName', { required: true, min: 1, max: 140 })!,
          Role: field.string(input, 'Role', { required: true })!,
          Runtime: field.string(input, 'Runtime'),
          Handler: field.string(input, 'Handler', { max: 128 }),
          Code: {
            ZipFile: field.string(code, 'ZipFile'),
            S3Bucket: field.string(code, 'S3Bucket'),
            S3Key: field.string(code, 'S3Key'),
            S3ObjectVersion: field.string(code, 'S3ObjectVersion'),
            ImageUri: field.string(code, 'ImageUri'),
          },
          Description: field.string(input, 'Description', { max: 256 }),
          Timeout: field.number(input, 'Timeout'),
          MemorySize: field.number(input, 'MemorySize'),
          Publish: field.boolean(input, 'Publish'),
          Environment: environment(input),
          Tags: stringMap(input, 'Tags'),
          Architectures: field.stringList(input, 'Architectures'),
          PackageType: field.string(input, 'PackageType') as CreateFunctionInput['PackageType'],
        },
        ctx.caller,
      );
      return json(201, created);
    }),
    route(
      'GET',
      '/2015-03-31/functions/{FunctionName}',
      'GetFunction',
      (ctx) => {
        const { Configuration, Tags } = registry.getFunction(fn(ctx), qualifier(ctx));
        return json(200, {
          Configuration,
          Code: {
            RepositoryType: Configuration.PackageType === 'Image' ? 'ECR' : 'S3',
            Location: codeLocation(Configuration, ctx.host),
          },
          ...(Tags ? { Tags } : {}),
        });
      },
      'GetFunction',
    ),
    route('DELETE', '/2015-03-31/functions/{FunctionName}', 'DeleteFunction', (ctx) => {
      registry.deleteFunction(fn(ctx), qualifier(ctx), ctx.caller);
      return empty(204);
    }),
    route('GET', '/2015-03-31/functions/{FunctionName}/configuration', 'GetFunctionConfiguration', (ctx) =>
      json(200, registry.getFunctionConfiguration(fn(ctx), qualifier(ctx))),
    ),
    route(
      'PUT',
      '/2015-03-31/functions/{FunctionName}/configuration',
      'UpdateFunctionConfiguration',
      (ctx) => {
        const input = ctx.json();
        onlyFields(input, UPDATE_CONFIGURATION_FIELDS, 'UpdateFunctionConfiguration');
        const update: UpdateFunctionConfigurationInput = {
          Role: field.string(input, 'Role'),
          Handler: field.string(input, 'Handler', { max: 128 }),
          Description: field.string(input, 'Description', { max: 256 }),
          Timeout: field.number(input, 'Timeout'),
          MemorySize: field.number(input, 'MemorySize'),
          Environment: environment(input),
          Runtime: field.string(input, 'Runtime'),
          RevisionId: field.string(input, 'RevisionId'),
        };
        return json(200, registry.updateFunctionConfiguration(fn(ctx), update, ctx.caller));
      },
    ),
    route('GET', '/2015-03-31/functions/{FunctionName}/versions', 'ListVersionsByFunction', (ctx) => {
      const page = registry.listVersions(fn(ctx), {
        marker: ctx.query.get('Marker') ?? undefined,
        maxItems: intQuery(ctx.query, 'MaxItems', 'maxItems'),
      });
      return json(200, { Versions: page.items, ...(page.nextMarker ? { NextMarker: page.nextMarker } : {}) });
    }),
    route('POST', '/2015-03-31/functions/{FunctionName}/versions', 'PublishVersion', (ctx) => {
      const input = ctx.json();
      onlyFields(input, new Set(['Description', 'RevisionId', 'CodeSha256']), 'PublishVersion');
      const sha = field.string(input, 'CodeSha256');
      if (sha !== undefined && sha !== registry.getFunctionConfiguration(fn(ctx)).CodeSha256) {
        throw invalidParameter(
          `CodeSHA256 (${sha}) is different from current CodeSHA256 in $LATEST. Please try again with the CodeSHA256 in $LATEST.`,
        );
      }
      const version = registry.publishVersion(
        fn(ctx),
        { Description: field.string(input, 'Description'), RevisionId: field.string(input, 'RevisionId') },
        ctx.caller,
      );
      return json(201, version);
    }),
    route('GET', '/2015-03-31/functions/{FunctionName}/aliases', 'ListAliases', (ctx) => {
      const page = registry.listAliases(fn(ctx), {
        functionVersion: ctx.query.get('FunctionVersion') ?? undefined,
        marker: ctx.query.get('Marker') ?? undefined,
        maxItems: intQuery(ctx.query, 'MaxItems', 'maxItems'),
      });
      return json(200, { Aliases: page.items, ...(page.nextMarker ? { NextMarker: page.nextMarker } : {}) });
    }),
    route('POST', '/2015-03-31/functions/{FunctionName}/aliases', 'CreateAlias', (ctx) => {
      const input = ctx.json();
      onlyFields(input, new Set(['Name', 'FunctionVersion', 'Description', 'RoutingConfig']), 'CreateAlias');
      const name = field.string(input, 'Name', { required: true })!;
      return json(201, registry.createAlias(fn(ctx), name, aliasInput(input), ctx.caller));
    }),
    route('GET', '/2015-03-31/functions/{FunctionName}/aliases/{Name}', 'GetAlias', (ctx) =>
      json(200, registry.getAlias(fn(ctx), ctx.params[1]!)),
    ),
    route('PUT', '/2015-03-31/functions/{FunctionName}/aliases/{Name}', 'UpdateAlias', (ctx) => {
      const input = ctx.json();
      onlyFields(
        input,
        new Set(['FunctionVersion', 'Description', 'RoutingConfig', 'RevisionId']),
        'UpdateAlias',
      );
      return json(200, registry.updateAlias(fn(ctx), ctx.params[1]!, aliasInput(input), ctx.caller));
    }),
    route('DELETE', '/2015-03-31/functions/{FunctionName}/aliases/{Name}', 'DeleteAlias', (ctx) => {
      registry.deleteAlias(fn(ctx), ctx.params[1]!, ctx.caller);
      return empty(204);
    }),
    route('GET', '/2017-03-31/tags/{Resource}', 'ListTags', (ctx) =>
      json(200, { Tags: registry.listTags(ctx.params[0]!) }),
    ),
    route('POST', '/2017-03-31/tags/{Resource}', 'TagResource', (ctx) => {
      const input = ctx.json();
      onlyFields(input, new Set(['Tags']), 'TagResource');
      const tags = stringMap(input, 'Tags');
      if (!tags) throw constraint(null, 'tags', 'Member must not be null');
      registry.tagResource(ctx.params[0]!, tags, ctx.caller);
      return empty(204);
    }),
    route('DELETE', '/2017-03-31/tags/{Resource}', 'UntagResource', (ctx) => {
      registry.untagResource(ctx.params[0]!, ctx.query.getAll('tagKeys'), ctx.caller);
      return empty(204);
    }),
    route(
      'POST',
      '/2015-03-31/functions/{FunctionName}/invocations',
      'Invoke',
      (ctx) => invoke(registry, options, ctx),
      'Invoke',
    ),
    route(
      'GET',
      '/local-code/{FunctionName}/{CodeSha256}',
      'GetCode',
      () => {
        throw new LambdaError(
          'ResourceNotFoundException',
          'The local Lambda control plane keeps no deployment packages; this Code.Location is a placeholder',
          404,
        );
      },
      null,
    ),
  ];
}

function aliasInput(input: Record<string, unknown>): AliasInput {
  const routing = record(input, 'RoutingConfig');
  const weights = routing ? record(routing, 'AdditionalVersionWeights') : undefined;
  if (weights && !Object.values(weights).every((w) => typeof w === 'number')) {
    throw new LambdaError(
      'InvalidRequestContentException',
      'AdditionalVersionWeights must map versions to numbers',
    );
  }
  return {
    FunctionVersion: field.string(input, 'FunctionVersion'),
    Description: field.string(input, 'Description', { max: 256 }),
    RevisionId: field.string(input, 'RevisionId'),
    ...(routing
      ? { RoutingConfig: { AdditionalVersionWeights: (weights ?? {}) as Record<string, number> } }
      : {}),
  };
}

async function invoke(
  registry: FunctionRegistry,
  options: LambdaControlPlaneOptions,
  ctx: RouteContext,
): Promise<Reply> {
  const type = header(ctx.headers, 'X-Amz-Invocation-Type') ?? 'RequestResponse';
  if (type !== 'RequestResponse' && type !== 'Event' && type !== 'DryRun') {
    throw constraint(
      type,
      'invocationType',
      'Member must satisfy enum value set: [Event, RequestResponse, DryRun]',
    );
  }
  const logType = header(ctx.headers, 'X-Amz-Log-Type') ?? 'None';
  if (logType !== 'None' && logType !== 'Tail') {
    throw constraint(logType, 'logType', 'Member must satisfy enum value set: [None, Tail]');
  }
  const named = ctx.params[0]!;
  const target = registry.invocationTarget(
    options.invokeAlias?.(named) ?? named,
    ctx.query.get('Qualifier') || undefined,
  );
  const limit = type === 'Event' ? ASYNC_PAYLOAD_LIMIT : SYNC_PAYLOAD_LIMIT;
  if (ctx.body.length > limit) {
    throw new LambdaError(
      'RequestTooLargeException',
      `Request must be smaller than ${limit} bytes for the InvokeFunction operation`,
      413,
    );
  }
  if (ctx.body.length) {
    try {
      JSON.parse(ctx.body.toString('utf8'));
    } catch (e) {
      throw new LambdaError(
        'InvalidRequestContentException',
        `Could not parse request body into json: ${(e as Error).message}`,
      );
    }
  }
  let clientContext: string | undefined;
  const rawContext = header(ctx.headers, 'X-Amz-Client-Context');
  if (rawContext) {
    clientContext = Buffer.from(rawContext, 'base64').toString('utf8');
    try {
      const parsed: unknown = JSON.parse(clientContext);
      if (typeof parsed !== 'object' || parsed === null) throw new Error('not an object');
    } catch {
      throw invalidParameter('Client context must be a valid Base64-encoded JSON object.');
    }
  }
  if (type === 'DryRun') return { status: 204 };
  const invoker = options.invoke;
  if (!invoker) {
    throw new LambdaError(
      'UnsupportedOperationException',
      'Invoke: this local Lambda control plane was started without a function runtime (options.invoke)',
    );
  }
  const info: InvokeInfo = {
    invocationType: type,
    executedVersion: target.executedVersion,
    functionArn: target.functionArn,
    requestId: ctx.requestId,
    configuration: target.configuration,
  };
  if (type === 'Event') {
    const report =
      options.onAsyncInvokeError ??
      ((e: unknown, name: string) =>
        console.error(
          `[lambda-control-plane] Event invoke of ${name} failed: ${(e as Error).stack ?? String(e)}`,
        ));
    void (async () => invoker(target.functionName, target.qualifier, ctx.body, clientContext, info))().catch(
      (e) => report(e, target.functionName),
    );
    return { status: 202 };
  }
  const result = await invoker(target.functionName, target.qualifier, ctx.body, clientContext, info);
  let payload = result.payload === undefined ? Buffer.alloc(0) : Buffer.from(result.payload);
  let functionError = result.functionError;
  if (payload.length > SYNC_PAYLOAD_LIMIT) {
    payload = Buffer.from(
      JSON.stringify({
        errorMessage: `Response payload size (${payload.length} bytes) exceeded maximum allowed payload size (${SYNC_PAYLOAD_LIMIT} bytes).`,
        errorType: 'Function.ResponseSizeTooLarge',
      }),
    );
    functionError = 'Unhandled';
  }
  const headers: Record<string, string> = { 'X-Amz-Executed-Version': target.executedVersion };
  if (functionError) headers['X-Amz-Function-Error'] = functionError;
  if (logType === 'Tail' && result.logTail !== undefined) {
    const log = Buffer.from(result.logTail, 'utf8');
    headers['X-Amz-Log-Result'] = log.subarray(Math.max(0, log.length - LOG_TAIL_BYTES)).toString('base64');
  }
  return { status: 200, raw: payload, headers };
}

/** The access key from `Authorization: AWS4-HMAC-SHA256 Credential=AKID/date/region/service/aws4_request, …`. */
function accessKey(req: IncomingMessage): string {
  const match = /Credential=([^/]+)\/\d{8}\/[^/]+\/[^/]+\/aws4_request/.exec(req.headers.authorization ?? '');
  if (!match) {
    throw new LambdaError('MissingAuthenticationTokenException', 'Missing Authentication Token', 403);
  }
  return match[1]!;
}

function send(res: ServerResponse, reply: Reply, requestId: string): void {
  const body =
    reply.raw ?? (reply.body === undefined ? Buffer.alloc(0) : Buffer.from(JSON.stringify(reply.body)));
  res.writeHead(reply.status, {
    ...(body.length || reply.raw ? { 'Content-Type': 'application/json' } : {}),
    'Content-Length': body.length,
    'x-amzn-RequestId': requestId,
    ...reply.headers,
  });
  res.end(body);
}

/** The HTTP handler of the Lambda control plane, and its counters. */
export function lambdaControlPlaneHandler(
  registry: FunctionRegistry,
  options: LambdaControlPlaneOptions = {},
): { handler: (req: IncomingMessage, res: ServerResponse) => void; stats: CallStats } {
  const table = routes(registry, options);
  const stats = new CallStats();
  const buckets = new Map<ThrottleClass, TokenBucket>();
  if (options.throttle !== false) {
    for (const cls of Object.keys(LAMBDA_DEFAULT_LIMITS) as ThrottleClass[]) {
      const limit =
        options.throttle?.[cls] === undefined ? LAMBDA_DEFAULT_LIMITS[cls] : options.throttle[cls];
      if (limit) buckets.set(cls, new TokenBucket(limit));
    }
  }

  const handler = (req: IncomingMessage, res: ServerResponse) => {
    const requestId = randomUUID();
    const url = new URL(req.url ?? '/', 'http://local');
    const path = url.pathname;
    let operation = 'UnknownOperation';
    (async () => {
      const body = await readBody(
        req,
        BODY_LIMIT,
        () =>
          new LambdaError(
            'RequestTooLargeException',
            `Request must be smaller than ${BODY_LIMIT} bytes`,
            413,
          ),
      );
      let params: string[] = [];
      const found = table.find((r) => {
        if (r.method !== req.method) return false;
        const m = r.pattern.exec(path);
        if (m) params = m.slice(1).map((p) => decodeURIComponent(p));
        return m !== null;
      });
      const known = found
        ? undefined
        : NOT_EMULATED_ROUTES.find((r) => r.method === req.method && r.pattern.test(path));
      operation = found?.operation ?? known?.operation ?? operation;
      stats.call(operation);
      // Like AWS, authenticate before looking at the operation.
      const caller: CallerContext = {
        accessKeyId: accessKey(req),
        sourceIPAddress: req.socket.remoteAddress ?? '127.0.0.1',
        userAgent: header(req.headers, 'user-agent') ?? 'unknown',
        requestId,
      };
      if (known) {
        throw new LambdaError(
          'UnsupportedOperationException',
          `${known.operation} (${known.method} ${known.path}) is not implemented by the local Lambda control plane`,
        );
      }
      if (!found) {
        throw new LambdaError(
          'UnknownOperationException',
          `No Lambda operation is served at ${req.method} ${path} by the local control plane`,
          404,
        );
      }
      await sleep(latencyFor(options.latencyMs, operation));
      const bucket = found.throttleClass ? buckets.get(found.throttleClass) : undefined;
      const wait = bucket ? bucket.take() : 0;
      if (wait > 0) {
        stats.throttled(operation);
        throw throttled(wait);
      }
      const json = () => {
        if (!body.length) return {};
        let input: unknown;
        try {
          input = JSON.parse(body.toString('utf8'));
        } catch (e) {
          throw new LambdaError(
            'InvalidRequestContentException',
            `Could not parse request body into json: ${(e as Error).message}`,
          );
        }
        if (typeof input !== 'object' || input === null || Array.isArray(input)) {
          throw new LambdaError('InvalidRequestContentException', 'The request body must be a JSON object');
        }
        return input as Record<string, unknown>;
      };
      const reply = await found.handle({
        params,
        query: url.searchParams,
        body,
        json,
        headers: req.headers,
        caller,
        requestId,
        host: header(req.headers, 'host') ?? '127.0.0.1',
      });
      send(res, reply, requestId);
    })().catch((e: unknown) => {
      stats.error(operation);
      if (e instanceof AwsError) {
        send(
          res,
          {
            status: e.status,
            body: lambdaErrorBody(e),
            headers: { 'x-amzn-ErrorType': e.code, ...(e instanceof LambdaError ? e.headers : {}) },
          },
          requestId,
        );
        return;
      }
      // An emulator bug must still look like a service fault, never a stack trace.
      console.error(`[lambda-control-plane] ${operation}: ${(e as Error).stack ?? String(e)}`);
      const fault = new LambdaError('ServiceException', 'Internal error in the local Lambda emulator', 500);
      send(
        res,
        { status: 500, body: lambdaErrorBody(fault), headers: { 'x-amzn-ErrorType': fault.code } },
        requestId,
      );
    });
  };
  return { handler, stats };
}

/** Starts the control plane on 127.0.0.1; give the SDK `endpoint` to a LambdaClient. */
export async function startLambdaControlPlane(
  registry: FunctionRegistry,
  options: LambdaControlPlaneOptions = {},
): Promise<LambdaControlPlane> {
  const { handler, stats } = lambdaControlPlaneHandler(registry, options);
  const server = http.createServer(handler);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', resolve);
  });
  return {
    server,
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    stats: () => stats.snapshot(),
    resetStats: () => stats.reset(),
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((e) => (e ? reject(e) : resolve()));
        server.closeAllConnections();
      }),
  };
}
