import { createHash, randomUUID } from 'node:crypto';
import { AwsError } from '../aws-json-protocol';
import { conflict, constraint, invalidParameter, notFound, preconditionFailed } from './errors';
import { LOCAL_ACCOUNT_ID } from '../../local-account';

/**
 * The functions of one emulated account and region, held in memory: what Lambda's control plane
 * reads and writes. Every mutation is reported to `onEvent` listeners as the event EventBridge
 * delivers for a CloudTrail management event ("AWS API Call via CloudTrail", source `aws.lambda`),
 * with the `eventName` spelling Lambda really logs (the API version suffix included), so the local
 * cloud can route it to EventBridge rules exactly as AWS would.
 *
 * Event names are those of the Lambda Developer Guide's page on logging Lambda API calls with
 * CloudTrail. As that page says, `ZipFile` and `Environment` are left out of the logged request
 * parameters; this emulator also leaves `environment` out of the response elements, so no variable
 * value ever reaches an event.
 */

export const LATEST = '$LATEST';

/** CloudTrail `eventName` per Lambda API action (with its date / version suffix). */
export const LAMBDA_EVENT_NAMES = {
  CreateFunction: 'CreateFunction20150331',
  DeleteFunction: 'DeleteFunction20150331',
  UpdateFunctionConfiguration: 'UpdateFunctionConfiguration20150331v2',
  PublishVersion: 'PublishVersion20150331',
  TagResource: 'TagResource20170331v2',
  UntagResource: 'UntagResource20170331v2',
  CreateAlias: 'CreateAlias20150331',
  UpdateAlias: 'UpdateAlias20150331',
  DeleteAlias: 'DeleteAlias20150331',
} as const;

export type LambdaEventName = (typeof LAMBDA_EVENT_NAMES)[keyof typeof LAMBDA_EVENT_NAMES];

/** A CloudTrail record for a Lambda management call. */
export interface CloudTrailRecord {
  eventVersion: string;
  userIdentity: { type: string; principalId: string; arn: string; accountId: string; accessKeyId: string };
  eventTime: string;
  eventSource: 'lambda.amazonaws.com';
  eventName: LambdaEventName;
  awsRegion: string;
  sourceIPAddress: string;
  userAgent: string;
  errorCode?: string;
  errorMessage?: string;
  requestParameters: Record<string, unknown> | null;
  responseElements: Record<string, unknown> | null;
  requestID: string;
  eventID: string;
  readOnly: boolean;
  eventType: 'AwsApiCall';
  managementEvent: boolean;
  recipientAccountId: string;
  eventCategory: 'Management';
}

/** The EventBridge event carrying a CloudTrail record, as EventBridge rules and targets see it. */
export interface LambdaApiCallEvent {
  version: '0';
  id: string;
  'detail-type': 'AWS API Call via CloudTrail';
  source: 'aws.lambda';
  account: string;
  time: string;
  region: string;
  resources: string[];
  detail: CloudTrailRecord;
}

/** Who made a call, for the CloudTrail record (the HTTP layer fills it from the request). */
export interface CallerContext {
  accessKeyId?: string;
  sourceIPAddress?: string;
  userAgent?: string;
  requestId?: string;
}

export interface FunctionConfiguration {
  FunctionName: string;
  FunctionArn: string;
  Runtime?: string;
  Role: string;
  Handler?: string;
  CodeSize: number;
  Description: string;
  Timeout: number;
  MemorySize: number;
  LastModified: string;
  CodeSha256: string;
  Version: string;
  Environment?: { Variables: Record<string, string> };
  TracingConfig: { Mode: string };
  RevisionId: string;
  State: string;
  LastUpdateStatus: string;
  PackageType: 'Zip' | 'Image';
  Architectures: string[];
  EphemeralStorage: { Size: number };
  LoggingConfig: { LogFormat: string; LogGroup: string };
}

export interface AliasConfiguration {
  AliasArn: string;
  Name: string;
  FunctionVersion: string;
  Description: string;
  RevisionId: string;
  RoutingConfig?: { AdditionalVersionWeights: Record<string, number> };
}

export interface FunctionCode {
  /** Base64 text (as on the wire) or raw bytes; only hashed and measured, never stored. */
  ZipFile?: string | Uint8Array;
  S3Bucket?: string;
  S3Key?: string;
  S3ObjectVersion?: string;
  ImageUri?: string;
}

export interface CreateFunctionInput {
  FunctionName: string;
  Role: string;
  Runtime?: string;
  Handler?: string;
  Code?: FunctionCode;
  Description?: string;
  Timeout?: number;
  MemorySize?: number;
  Publish?: boolean;
  Environment?: { Variables?: Record<string, string> };
  Tags?: Record<string, string>;
  Architectures?: string[];
  PackageType?: 'Zip' | 'Image';
}

export interface UpdateFunctionConfigurationInput {
  Role?: string;
  Handler?: string;
  Description?: string;
  Timeout?: number;
  MemorySize?: number;
  Environment?: { Variables?: Record<string, string> };
  Runtime?: string;
  RevisionId?: string;
}

export interface AliasInput {
  FunctionVersion?: string;
  Description?: string;
  RoutingConfig?: { AdditionalVersionWeights?: Record<string, number> };
  RevisionId?: string;
}

export interface Page<T> {
  items: T[];
  nextMarker?: string;
}

/** A function reference as Lambda accepts it: name, `name:qualifier`, partial ARN or full ARN. */
export interface FunctionRef {
  name: string;
  qualifier?: string;
  region?: string;
  accountId?: string;
}

/** What Invoke runs: the function, the qualifier asked for and the version it resolves to. */
export interface InvocationTarget {
  functionName: string;
  /** The ARN invoked (qualified when a qualifier was given). */
  functionArn: string;
  /** The alias or version asked for; `$LATEST` when none. */
  qualifier: string;
  /** The version that runs (`X-Amz-Executed-Version`). */
  executedVersion: string;
  configuration: FunctionConfiguration;
}

export interface RegistryOptions {
  region?: string;
  /** `aws` (default), `aws-cn`, `aws-us-gov`: the partition of every ARN. */
  partition?: string;
  accountId?: string;
  /** Clock for LastModified and event times. */
  now?: () => Date;
  /** Also report calls that failed (with `errorCode` / `errorMessage`, as CloudTrail does). Default true. */
  recordFailedCalls?: boolean;
}

interface FunctionRecord {
  name: string;
  latest: FunctionConfiguration;
  versions: Map<string, FunctionConfiguration>;
  nextVersion: number;
  /** Whether $LATEST changed since the last published version (PublishVersion is a no-op otherwise). */
  dirty: boolean;
  aliases: Map<string, AliasConfiguration>;
  tags: Map<string, string>;
  /** The Tagging API keeps listing a resource that once had tags, with `Tags: []`. */
  everTagged: boolean;
}

const FUNCTION_REF_PATTERN =
  /^(?:arn:(aws[a-zA-Z-]*)?:lambda:)?(?:([a-z]{2}(?:-gov)?-[a-z]+-\d):)?(?:(\d{12}):)?(?:function:)?([a-zA-Z0-9-_]+)(?::(\$LATEST|[a-zA-Z0-9-_]+))?$/;
const FUNCTION_REF_RULE =
  'Member must satisfy regular expression pattern: (arn:(aws[a-zA-Z-]*)?:lambda:)?([a-z]{2}(-gov)?-[a-z]+-\\d{1}:)?(\\d{12}:)?(function:)?([a-zA-Z0-9-_]+)(:(\\$LATEST|[a-zA-Z0-9-_]+))?';
const FUNCTION_ARN_PATTERN =
  /^arn:(aws[a-zA-Z-]*):lambda:([a-z]{2}(?:-gov)?-[a-z]+-\d):(\d{12}):function:([a-zA-Z0-9-_]+)(?::(\$LATEST|[a-zA-Z0-9-_]+))?$/;
const ROLE_PATTERN = /^arn:(aws[a-zA-Z-]*)?:iam::\d{12}:role\/?[a-zA-Z_0-9+=,.@\-_/]+$/;
const ALIAS_NAME_PATTERN = /^(?!^[0-9]+$)[a-zA-Z0-9-_]+$/;
const VERSION_PATTERN = /^(\$LATEST|[0-9]+)$/;
const ENV_LIMIT_BYTES = 4096;
const MAX_TAGS = 50;
const MAX_PAGE = 50;
const RESERVED_ENV = new Set([
  '_HANDLER',
  '_X_AMZN_TRACE_ID',
  'AWS_DEFAULT_REGION',
  'AWS_REGION',
  'AWS_EXECUTION_ENV',
  'AWS_LAMBDA_FUNCTION_NAME',
  'AWS_LAMBDA_FUNCTION_MEMORY_SIZE',
  'AWS_LAMBDA_FUNCTION_VERSION',
  'AWS_LAMBDA_INITIALIZATION_TYPE',
  'AWS_LAMBDA_LOG_GROUP_NAME',
  'AWS_LAMBDA_LOG_STREAM_NAME',
  'AWS_ACCESS_KEY',
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_SESSION_TOKEN',
  'AWS_LAMBDA_RUNTIME_API',
  'LAMBDA_TASK_ROOT',
  'LAMBDA_RUNTIME_DIR',
]);

/** Splits a function reference; a string Lambda would reject is a ValidationException. */
export function parseFunctionRef(ref: string, member = 'functionName'): FunctionRef {
  const m = FUNCTION_REF_PATTERN.exec(ref);
  if (!m || ref.length > 170) throw constraint(ref, member, FUNCTION_REF_RULE);
  const [, , region, accountId, name, qualifier] = m;
  if (name!.length > 64) {
    throw constraint(ref, member, 'Member must have length less than or equal to 64');
  }
  return { name: name!, qualifier, region, accountId };
}

/** Lambda's time format: `2024-05-01T12:00:00.000+0000`. */
const lambdaTime = (d: Date) => d.toISOString().replace('Z', '+0000');

/** Drops undefined members, so CloudTrail records carry only what the call carried. */
function compact(o: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
}

/** A function configuration as CloudTrail logs it (camelCase, no environment). */
function trailConfiguration(c: FunctionConfiguration): Record<string, unknown> {
  return compact({
    functionName: c.FunctionName,
    functionArn: c.FunctionArn,
    runtime: c.Runtime,
    role: c.Role,
    handler: c.Handler,
    codeSize: c.CodeSize,
    description: c.Description,
    timeout: c.Timeout,
    memorySize: c.MemorySize,
    lastModified: c.LastModified,
    codeSha256: c.CodeSha256,
    version: c.Version,
    tracingConfig: { mode: c.TracingConfig.Mode },
    revisionId: c.RevisionId,
    state: c.State,
    lastUpdateStatus: c.LastUpdateStatus,
    packageType: c.PackageType,
    architectures: c.Architectures,
    ephemeralStorage: { size: c.EphemeralStorage.Size },
    loggingConfig: { logFormat: c.LoggingConfig.LogFormat, logGroup: c.LoggingConfig.LogGroup },
  });
}

const trailAlias = (a: AliasConfiguration): Record<string, unknown> =>
  compact({
    aliasArn: a.AliasArn,
    name: a.Name,
    functionVersion: a.FunctionVersion,
    description: a.Description,
    revisionId: a.RevisionId,
    routingConfig: a.RoutingConfig
      ? { additionalVersionWeights: a.RoutingConfig.AdditionalVersionWeights }
      : undefined,
  });

const encodeMarker = (key: string) => Buffer.from(key, 'utf8').toString('base64url');

function decodeMarker(marker: string | undefined): string | undefined {
  if (marker === undefined || marker === '') return undefined;
  const key = Buffer.from(marker, 'base64url').toString('utf8');
  if (!key || encodeMarker(key) !== marker) throw invalidParameter(`Invalid pagination marker: ${marker}`);
  return key;
}

/** Keyset pagination: stable when items are added or removed between pages. */
function paginate<T>(
  items: T[],
  keyOf: (item: T) => string,
  marker: string | undefined,
  maxItems: number | undefined,
): Page<T> {
  if (maxItems !== undefined && (!Number.isInteger(maxItems) || maxItems < 1 || maxItems > 10000)) {
    throw constraint(maxItems, 'maxItems', 'Member must have value between 1 and 10000');
  }
  const size = Math.min(maxItems ?? MAX_PAGE, MAX_PAGE);
  const after = decodeMarker(marker);
  const sorted = [...items].sort((a, b) => (keyOf(a) < keyOf(b) ? -1 : keyOf(a) > keyOf(b) ? 1 : 0));
  const start = after === undefined ? 0 : sorted.findIndex((i) => keyOf(i) > after);
  const rest = start < 0 ? [] : sorted.slice(start);
  const page = rest.slice(0, size);
  return rest.length > size
    ? { items: page, nextMarker: encodeMarker(keyOf(page[page.length - 1]!)) }
    : { items: page };
}

const versionKey = (version: string) => (version === LATEST ? '0' : `1${version.padStart(10, '0')}`);

export class FunctionRegistry {
  readonly region: string;
  readonly partition: string;
  readonly accountId: string;
  private readonly functions = new Map<string, FunctionRecord>();
  private readonly listeners = new Set<(event: LambdaApiCallEvent) => void>();
  private readonly now: () => Date;
  private readonly recordFailedCalls: boolean;

  constructor(options: RegistryOptions = {}) {
    this.region = options.region ?? 'us-east-1';
    this.partition = options.partition ?? 'aws';
    this.accountId = options.accountId ?? LOCAL_ACCOUNT_ID;
    this.now = options.now ?? (() => new Date());
    this.recordFailedCalls = options.recordFailedCalls ?? true;
  }

  /** Subscribes to CloudTrail-via-EventBridge events of every mutation; returns the unsubscribe. */
  onEvent(listener: (event: LambdaApiCallEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  functionArn(name: string, qualifier?: string, accountId = this.accountId): string {
    return `arn:${this.partition}:lambda:${this.region}:${accountId}:function:${name}${qualifier ? `:${qualifier}` : ''}`;
  }

  get size(): number {
    return this.functions.size;
  }

  has(name: string): boolean {
    return this.functions.has(name);
  }

  // ---- functions -------------------------------------------------------------------------------

  createFunction(input: CreateFunctionInput, caller: CallerContext = {}): FunctionConfiguration {
    const params = compact({
      functionName: input.FunctionName,
      runtime: input.Runtime,
      role: input.Role,
      handler: input.Handler,
      code: input.Code
        ? compact({
            s3Bucket: input.Code.S3Bucket,
            s3Key: input.Code.S3Key,
            s3ObjectVersion: input.Code.S3ObjectVersion,
            imageUri: input.Code.ImageUri,
          })
        : undefined,
      description: input.Description,
      timeout: input.Timeout,
      memorySize: input.MemorySize,
      publish: input.Publish,
      architectures: input.Architectures,
      packageType: input.PackageType,
      tags: input.Tags,
    });
    return this.audited(LAMBDA_EVENT_NAMES.CreateFunction, params, caller, () => {
      const ref = parseFunctionRef(input.FunctionName);
      if (ref.qualifier) throw constraint(input.FunctionName, 'functionName', FUNCTION_REF_RULE);
      this.checkRegionAndAccount(ref);
      if (this.functions.has(ref.name)) throw conflict(`Function already exist: ${ref.name}`);
      const packageType = input.PackageType ?? (input.Code?.ImageUri ? 'Image' : 'Zip');
      if (packageType === 'Zip' && (!input.Runtime || !input.Handler)) {
        throw invalidParameter(
          'Runtime and Handler are mandatory parameters for functions created with deployment packages.',
        );
      }
      checkRole(input.Role);
      checkLimits(input.MemorySize, input.Timeout);
      const architectures = checkArchitectures(input.Architectures);
      const variables = checkEnvironment(input.Environment?.Variables);
      const tags = input.Tags ?? {};
      checkTags(tags, Object.keys(tags).length);
      const { sha, size } = codeDigest(input.Code, ref.name);
      const latest: FunctionConfiguration = {
        FunctionName: ref.name,
        FunctionArn: this.functionArn(ref.name),
        ...(packageType === 'Zip' ? { Runtime: input.Runtime, Handler: input.Handler } : {}),
        Role: input.Role,
        CodeSize: size,
        Description: input.Description ?? '',
        Timeout: input.Timeout ?? 3,
        MemorySize: input.MemorySize ?? 128,
        LastModified: lambdaTime(this.now()),
        CodeSha256: sha,
        Version: LATEST,
        ...(variables ? { Environment: { Variables: variables } } : {}),
        TracingConfig: { Mode: 'PassThrough' },
        RevisionId: randomUUID(),
        State: 'Active',
        LastUpdateStatus: 'Successful',
        PackageType: packageType,
        Architectures: architectures,
        EphemeralStorage: { Size: 512 },
        LoggingConfig: { LogFormat: 'Text', LogGroup: `/aws/lambda/${ref.name}` },
      };
      const record: FunctionRecord = {
        name: ref.name,
        latest,
        versions: new Map(),
        nextVersion: 1,
        dirty: true,
        aliases: new Map(),
        tags: new Map(Object.entries(tags)),
        everTagged: Object.keys(tags).length > 0,
      };
      this.functions.set(ref.name, record);
      const result = input.Publish ? this.publish(record, input.Description) : latest;
      return { result: structuredClone(result), response: trailConfiguration(result) };
    });
  }

  /** GetFunction's data: the configuration of the qualified version, and the function's tags. */
  getFunction(
    functionName: string,
    qualifier?: string,
  ): { Configuration: FunctionConfiguration; Tags?: Record<string, string> } {
    const { record, qualifier: q } = this.resolve(functionName, qualifier);
    const configuration = this.configurationFor(record, q);
    return {
      Configuration: configuration,
      ...(record.tags.size ? { Tags: Object.fromEntries(record.tags) } : {}),
    };
  }

  getFunctionConfiguration(functionName: string, qualifier?: string): FunctionConfiguration {
    const { record, qualifier: q } = this.resolve(functionName, qualifier);
    return this.configurationFor(record, q);
  }

  /** ListFunctions: up to 50 a page; with `allVersions`, published versions follow each $LATEST. */
  listFunctions(
    options: { marker?: string; maxItems?: number; allVersions?: boolean } = {},
  ): Page<FunctionConfiguration> {
    const entries: Array<{ key: string; config: FunctionConfiguration }> = [];
    for (const record of this.functions.values()) {
      entries.push({ key: `${record.name}\u0000${versionKey(LATEST)}`, config: record.latest });
      if (options.allVersions) {
        for (const v of record.versions.values()) {
          entries.push({ key: `${record.name}\u0000${versionKey(v.Version)}`, config: v });
        }
      }
    }
    const page = paginate(entries, (e) => e.key, options.marker, options.maxItems);
    return {
      items: page.items.map((e) => listedConfiguration(e.config)),
      ...(page.nextMarker ? { nextMarker: page.nextMarker } : {}),
    };
  }

  /** ListVersionsByFunction: $LATEST, then the published versions in order. */
  listVersions(
    functionName: string,
    options: { marker?: string; maxItems?: number } = {},
  ): Page<FunctionConfiguration> {
    const record = this.resolveUnqualified(functionName);
    const all = [record.latest, ...record.versions.values()];
    const page = paginate(all, (c) => versionKey(c.Version), options.marker, options.maxItems);
    return { ...page, items: page.items.map(listedConfiguration) };
  }

  updateFunctionConfiguration(
    functionName: string,
    input: UpdateFunctionConfigurationInput,
    caller: CallerContext = {},
  ): FunctionConfiguration {
    const params = compact({
      functionName,
      role: input.Role,
      handler: input.Handler,
      description: input.Description,
      timeout: input.Timeout,
      memorySize: input.MemorySize,
      runtime: input.Runtime,
      revisionId: input.RevisionId,
    });
    return this.audited(LAMBDA_EVENT_NAMES.UpdateFunctionConfiguration, params, caller, () => {
      const record = this.resolveUnqualified(functionName);
      checkRevision(input.RevisionId, record.latest.RevisionId);
      if (input.Role !== undefined) checkRole(input.Role);
      checkLimits(input.MemorySize, input.Timeout);
      const variables = input.Environment ? checkEnvironment(input.Environment.Variables ?? {}) : undefined;
      const next: FunctionConfiguration = {
        ...record.latest,
        ...(input.Role !== undefined ? { Role: input.Role } : {}),
        ...(input.Handler !== undefined ? { Handler: input.Handler } : {}),
        ...(input.Runtime !== undefined ? { Runtime: input.Runtime } : {}),
        ...(input.Description !== undefined ? { Description: input.Description } : {}),
        ...(input.Timeout !== undefined ? { Timeout: input.Timeout } : {}),
        ...(input.MemorySize !== undefined ? { MemorySize: input.MemorySize } : {}),
        LastModified: lambdaTime(this.now()),
        RevisionId: randomUUID(),
      };
      if (input.Environment) {
        if (variables && Object.keys(variables).length) next.Environment = { Variables: variables };
        else delete next.Environment;
      }
      record.latest = next;
      record.dirty = true;
      return { result: structuredClone(next), response: trailConfiguration(next) };
    });
  }

  /** DeleteFunction: the whole function, or with a qualifier one published version. */
  deleteFunction(functionName: string, qualifier?: string, caller: CallerContext = {}): void {
    const params = compact({ functionName, qualifier });
    this.audited(LAMBDA_EVENT_NAMES.DeleteFunction, params, caller, () => {
      const { record, qualifier: q } = this.resolve(functionName, qualifier);
      if (q === undefined) {
        this.functions.delete(record.name);
      } else if (q === LATEST) {
        throw invalidParameter('$LATEST version cannot be deleted without deleting the function.');
      } else if (!VERSION_PATTERN.test(q)) {
        throw invalidParameter('Deletion of aliases is not currently supported.');
      } else {
        if (!record.versions.has(q))
          throw notFound(`Function not found: ${this.functionArn(record.name, q)}`);
        const users = [...record.aliases.values()].filter((a) => a.FunctionVersion === q).map((a) => a.Name);
        if (users.length) {
          throw conflict(
            `Unable to delete version because the following aliases reference it: [${users.join(', ')}]`,
          );
        }
        record.versions.delete(q);
      }
      return { result: undefined, response: null };
    });
  }

  /** PublishVersion: a snapshot of $LATEST; unchanged since the last version → that version. */
  publishVersion(
    functionName: string,
    input: { Description?: string; RevisionId?: string } = {},
    caller: CallerContext = {},
  ): FunctionConfiguration {
    const params = compact({ functionName, description: input.Description, revisionId: input.RevisionId });
    return this.audited(LAMBDA_EVENT_NAMES.PublishVersion, params, caller, () => {
      const record = this.resolveUnqualified(functionName);
      checkRevision(input.RevisionId, record.latest.RevisionId);
      const config = this.publish(record, input.Description);
      return { result: structuredClone(config), response: trailConfiguration(config) };
    });
  }

  // ---- tags ------------------------------------------------------------------------------------

  tagResource(resource: string, tags: Record<string, string>, caller: CallerContext = {}): void {
    this.audited(LAMBDA_EVENT_NAMES.TagResource, { resource, tags }, caller, () => {
      const record = this.resolveTaggable(resource);
      if (Object.keys(tags).length === 0) {
        throw constraint('{}', 'tags', 'Member must have length greater than or equal to 1');
      }
      const merged = new Map([...record.tags, ...Object.entries(tags)]);
      checkTags(tags, merged.size);
      record.tags = merged;
      record.everTagged = true;
      return { result: undefined, response: null };
    });
  }

  untagResource(resource: string, tagKeys: string[], caller: CallerContext = {}): void {
    this.audited(LAMBDA_EVENT_NAMES.UntagResource, { resource, tagKeys }, caller, () => {
      const record = this.resolveTaggable(resource);
      if (tagKeys.length === 0) {
        throw constraint(null, 'tagKeys', 'Member must not be null');
      }
      for (const key of tagKeys) record.tags.delete(key);
      return { result: undefined, response: null };
    });
  }

  listTags(resource: string): Record<string, string> {
    return Object.fromEntries(this.resolveTaggable(resource).tags);
  }

  /** Every function the Resource Groups Tagging API knows: tagged now or tagged once. */
  taggedResources(): Array<{ arn: string; tags: Record<string, string>; everTagged: boolean }> {
    return [...this.functions.values()]
      .map((r) => ({ arn: r.latest.FunctionArn, tags: Object.fromEntries(r.tags), everTagged: r.everTagged }))
      .sort((a, b) => (a.arn < b.arn ? -1 : a.arn > b.arn ? 1 : 0));
  }

  // ---- aliases ---------------------------------------------------------------------------------

  createAlias(
    functionName: string,
    name: string,
    input: AliasInput,
    caller: CallerContext = {},
  ): AliasConfiguration {
    const params = aliasRequestParameters(functionName, name, input);
    return this.audited(LAMBDA_EVENT_NAMES.CreateAlias, params, caller, () => {
      const record = this.resolveUnqualified(functionName);
      checkAliasName(name);
      const version = input.FunctionVersion;
      if (version === undefined) throw constraint(null, 'functionVersion', 'Member must not be null');
      this.checkVersion(record, version);
      const arn = this.functionArn(record.name, name);
      if (record.aliases.has(name)) throw conflict(`Alias already exists: ${arn}`);
      const alias: AliasConfiguration = {
        AliasArn: arn,
        Name: name,
        FunctionVersion: version,
        Description: input.Description ?? '',
        RevisionId: randomUUID(),
        ...this.routing(record, input.RoutingConfig),
      };
      record.aliases.set(name, alias);
      return { result: structuredClone(alias), response: trailAlias(alias) };
    });
  }

  getAlias(functionName: string, name: string): AliasConfiguration {
    const record = this.resolveUnqualified(functionName);
    return structuredClone(this.alias(record, name));
  }

  updateAlias(
    functionName: string,
    name: string,
    input: AliasInput,
    caller: CallerContext = {},
  ): AliasConfiguration {
    const params = compact({
      ...aliasRequestParameters(functionName, name, input),
      revisionId: input.RevisionId,
    });
    return this.audited(LAMBDA_EVENT_NAMES.UpdateAlias, params, caller, () => {
      const record = this.resolveUnqualified(functionName);
      const current = this.alias(record, name);
      checkRevision(input.RevisionId, current.RevisionId);
      if (input.FunctionVersion !== undefined) this.checkVersion(record, input.FunctionVersion);
      const next: AliasConfiguration = {
        ...current,
        ...(input.FunctionVersion !== undefined ? { FunctionVersion: input.FunctionVersion } : {}),
        ...(input.Description !== undefined ? { Description: input.Description } : {}),
        ...(input.RoutingConfig !== undefined ? this.routing(record, input.RoutingConfig) : {}),
        RevisionId: randomUUID(),
      };
      if (
        input.RoutingConfig !== undefined &&
        !Object.keys(input.RoutingConfig.AdditionalVersionWeights ?? {}).length
      ) {
        delete next.RoutingConfig;
      }
      record.aliases.set(name, next);
      return { result: structuredClone(next), response: trailAlias(next) };
    });
  }

  deleteAlias(functionName: string, name: string, caller: CallerContext = {}): void {
    this.audited(LAMBDA_EVENT_NAMES.DeleteAlias, { functionName, name }, caller, () => {
      const record = this.resolveUnqualified(functionName);
      this.alias(record, name);
      record.aliases.delete(name);
      return { result: undefined, response: null };
    });
  }

  listAliases(
    functionName: string,
    options: { functionVersion?: string; marker?: string; maxItems?: number } = {},
  ): Page<AliasConfiguration> {
    const record = this.resolveUnqualified(functionName);
    const all = [...record.aliases.values()].filter(
      (a) => options.functionVersion === undefined || a.FunctionVersion === options.functionVersion,
    );
    const page = paginate(all, (a) => a.Name, options.marker, options.maxItems);
    return { ...page, items: page.items.map((a) => structuredClone(a)) };
  }

  // ---- invoke ----------------------------------------------------------------------------------

  /** Resolves what an Invoke of `functionName` (+ `qualifier`) runs. */
  invocationTarget(functionName: string, qualifier?: string): InvocationTarget {
    const { record, qualifier: q } = this.resolve(functionName, qualifier);
    const configuration = this.configurationFor(record, q);
    return {
      functionName: record.name,
      functionArn: this.functionArn(record.name, q),
      qualifier: q ?? LATEST,
      executedVersion: configuration.Version,
      configuration,
    };
  }

  // ---- internals -------------------------------------------------------------------------------

  private publish(record: FunctionRecord, description?: string): FunctionConfiguration {
    const last = [...record.versions.values()].pop();
    if (!record.dirty && last) return last;
    const version = String(record.nextVersion++);
    const config: FunctionConfiguration = {
      ...structuredClone(record.latest),
      FunctionArn: this.functionArn(record.name, version),
      Version: version,
      Description: description ?? record.latest.Description,
      RevisionId: randomUUID(),
    };
    record.versions.set(version, config);
    record.dirty = false;
    return config;
  }

  private routing(
    record: FunctionRecord,
    routing: AliasInput['RoutingConfig'],
  ): Pick<AliasConfiguration, 'RoutingConfig'> {
    const weights = routing?.AdditionalVersionWeights ?? {};
    if (!Object.keys(weights).length) return {};
    for (const [version, weight] of Object.entries(weights)) {
      if (!record.versions.has(version)) {
        throw notFound(`Function not found: ${this.functionArn(record.name, version)}`);
      }
      if (!(weight >= 0 && weight <= 1)) {
        throw constraint(
          weight,
          'routingConfig.additionalVersionWeights',
          'Member must have value between 0.0 and 1.0',
        );
      }
    }
    return { RoutingConfig: { AdditionalVersionWeights: { ...weights } } };
  }

  private checkRegionAndAccount(ref: FunctionRef): void {
    if (ref.region && ref.region !== this.region) {
      throw invalidParameter(
        `Functions from '${ref.region}' are not reachable in this region ('${this.region}')`,
      );
    }
  }

  /** Resolves a reference to a function and its effective qualifier (from the name or the parameter). */
  private resolve(functionName: string, qualifier?: string): { record: FunctionRecord; qualifier?: string } {
    const ref = parseFunctionRef(functionName);
    this.checkRegionAndAccount(ref);
    if (qualifier && !/^(\$LATEST|[a-zA-Z0-9-_]+)$/.test(qualifier)) {
      throw constraint(
        qualifier,
        'qualifier',
        'Member must satisfy regular expression pattern: (|[a-zA-Z0-9$_-]+)',
      );
    }
    if (ref.qualifier && qualifier && ref.qualifier !== qualifier) {
      throw invalidParameter(
        'The derived qualifier from the function name does not match the specified qualifier.',
      );
    }
    const q = qualifier || ref.qualifier || undefined;
    const account = ref.accountId ?? this.accountId;
    const record = account === this.accountId ? this.functions.get(ref.name) : undefined;
    if (!record) throw notFound(`Function not found: ${this.functionArn(ref.name, q, account)}`);
    return { record, qualifier: q };
  }

  private resolveUnqualified(functionName: string): FunctionRecord {
    const ref = parseFunctionRef(functionName);
    if (ref.qualifier) {
      throw constraint(
        functionName,
        'functionName',
        'Member must satisfy regular expression pattern: (arn:(aws[a-zA-Z-]*)?:lambda:)?([a-z]{2}(-gov)?-[a-z]+-\\d{1}:)?(\\d{12}:)?(function:)?([a-zA-Z0-9-_]+)',
      );
    }
    return this.resolve(functionName).record;
  }

  private resolveTaggable(resource: string): FunctionRecord {
    const m = FUNCTION_ARN_PATTERN.exec(resource);
    if (!m) {
      throw constraint(
        resource,
        'resource',
        'Member must satisfy regular expression pattern: arn:(aws[a-zA-Z-]*):lambda:[a-z]{2}((-gov)|(-iso([a-z]?)))?-[a-z]+-\\d{1}:\\d{12}:function:[a-zA-Z0-9-_]+(:(\\$LATEST|[a-zA-Z0-9-_]+))?',
      );
    }
    if (m[5]) {
      throw invalidParameter(
        'Tags on function aliases and versions are not supported. Please specify a function ARN.',
      );
    }
    return this.resolve(resource).record;
  }

  private configurationFor(record: FunctionRecord, qualifier: string | undefined): FunctionConfiguration {
    if (qualifier === undefined || qualifier === LATEST) return structuredClone(record.latest);
    const version = VERSION_PATTERN.test(qualifier)
      ? qualifier
      : record.aliases.get(qualifier)?.FunctionVersion;
    const config = version === LATEST ? record.latest : version ? record.versions.get(version) : undefined;
    if (!config) throw notFound(`Function not found: ${this.functionArn(record.name, qualifier)}`);
    // Through an alias, the ARN names the alias and Version the version it points at.
    return { ...structuredClone(config), FunctionArn: this.functionArn(record.name, qualifier) };
  }

  private checkVersion(record: FunctionRecord, version: string): void {
    if (!VERSION_PATTERN.test(version)) {
      throw constraint(
        version,
        'functionVersion',
        'Member must satisfy regular expression pattern: (\\$LATEST|[0-9]+)',
      );
    }
    if (version !== LATEST && !record.versions.has(version)) {
      throw notFound(`Function not found: ${this.functionArn(record.name, version)}`);
    }
  }

  private alias(record: FunctionRecord, name: string): AliasConfiguration {
    const alias = record.aliases.get(name);
    if (!alias) throw notFound(`Alias not found: ${this.functionArn(record.name, name)}`);
    return alias;
  }

  /** Runs a mutation and reports it (or, when it failed with an AWS error, its failure). */
  private audited<T>(
    eventName: LambdaEventName,
    requestParameters: Record<string, unknown>,
    caller: CallerContext,
    run: () => { result: T; response: Record<string, unknown> | null },
  ): T {
    let outcome: { result: T; response: Record<string, unknown> | null };
    try {
      outcome = run();
    } catch (e) {
      if (e instanceof AwsError && this.recordFailedCalls)
        this.emit(eventName, requestParameters, null, caller, e);
      throw e;
    }
    this.emit(eventName, requestParameters, outcome.response, caller);
    return outcome.result;
  }

  private emit(
    eventName: LambdaEventName,
    requestParameters: Record<string, unknown>,
    responseElements: Record<string, unknown> | null,
    caller: CallerContext,
    error?: AwsError,
  ): void {
    if (!this.listeners.size) return;
    const time = this.now()
      .toISOString()
      .replace(/\.\d{3}Z$/, 'Z');
    const accessKeyId = caller.accessKeyId ?? 'AKIALOCALCLOUD000000';
    const detail: CloudTrailRecord = {
      eventVersion: '1.08',
      userIdentity: {
        type: 'IAMUser',
        principalId: accessKeyId,
        arn: `arn:${this.partition}:iam::${this.accountId}:user/local`,
        accountId: this.accountId,
        accessKeyId,
      },
      eventTime: time,
      eventSource: 'lambda.amazonaws.com',
      eventName,
      awsRegion: this.region,
      sourceIPAddress: caller.sourceIPAddress ?? '127.0.0.1',
      userAgent: caller.userAgent ?? 'local-cloud',
      ...(error ? { errorCode: error.code, errorMessage: error.message } : {}),
      requestParameters: structuredClone(requestParameters),
      responseElements: error ? null : structuredClone(responseElements),
      requestID: caller.requestId ?? randomUUID(),
      eventID: randomUUID(),
      readOnly: false,
      eventType: 'AwsApiCall',
      managementEvent: true,
      recipientAccountId: this.accountId,
      eventCategory: 'Management',
    };
    const event: LambdaApiCallEvent = {
      version: '0',
      id: randomUUID(),
      'detail-type': 'AWS API Call via CloudTrail',
      source: 'aws.lambda',
      account: this.accountId,
      time,
      region: this.region,
      resources: [],
      detail,
    };
    for (const listener of this.listeners) {
      try {
        listener(structuredClone(event));
      } catch (e) {
        // A broken subscriber must not fail the API call that produced the event.
        console.error(`[lambda-control-plane] event listener failed: ${(e as Error).stack ?? String(e)}`);
      }
    }
  }
}

/** ListFunctions and ListVersionsByFunction leave out the state fields (GetFunction has them). */
function listedConfiguration(c: FunctionConfiguration): FunctionConfiguration {
  const copy: Partial<FunctionConfiguration> = structuredClone(c);
  delete copy.State;
  delete copy.LastUpdateStatus;
  return copy as FunctionConfiguration;
}

function codeDigest(code: FunctionCode | undefined, name: string): { sha: string; size: number } {
  let bytes: Buffer;
  if (code?.ZipFile !== undefined) {
    bytes =
      typeof code.ZipFile === 'string' ? Buffer.from(code.ZipFile, 'base64') : Buffer.from(code.ZipFile);
  } else {
    bytes = Buffer.from(
      code?.ImageUri ?? `${code?.S3Bucket ?? ''}/${code?.S3Key ?? ''}/${code?.S3ObjectVersion ?? ''}/${name}`,
    );
  }
  const size = code?.ZipFile !== undefined ? bytes.length : 0;
  return { sha: createHash('sha256').update(bytes).digest('base64'), size };
}

function checkRevision(given: string | undefined, current: string): void {
  if (given !== undefined && given !== current) {
    throw preconditionFailed(
      'The Revision Id provided does not match the latest Revision Id. Call the GetFunction/GetAlias API to retrieve the latest Revision Id',
    );
  }
}

function checkRole(role: string | undefined): void {
  if (role === undefined) throw constraint(null, 'role', 'Member must not be null');
  if (!ROLE_PATTERN.test(role)) {
    throw constraint(
      role,
      'role',
      'Member must satisfy regular expression pattern: arn:(aws[a-zA-Z-]*)?:iam::\\d{12}:role/?[a-zA-Z_0-9+=,.@\\-_/]+',
    );
  }
}

function checkLimits(memorySize: number | undefined, timeout: number | undefined): void {
  if (memorySize !== undefined && (!Number.isInteger(memorySize) || memorySize < 128 || memorySize > 10240)) {
    throw constraint(memorySize, 'memorySize', 'Member must have value between 128 and 10240');
  }
  if (timeout !== undefined && (!Number.isInteger(timeout) || timeout < 1)) {
    throw constraint(timeout, 'timeout', 'Member must have value greater than or equal to 1');
  }
  if (timeout !== undefined && timeout > 900) {
    throw invalidParameter(
      `Value ${timeout} for parameter Timeout is out of range; the maximum is 900 seconds.`,
    );
  }
}

function checkArchitectures(architectures: string[] | undefined): string[] {
  if (architectures === undefined) return ['x86_64'];
  if (architectures.length !== 1) {
    throw constraint(
      `[${architectures.join(', ')}]`,
      'architectures',
      'Member must have length less than or equal to 1',
    );
  }
  if (architectures[0] !== 'x86_64' && architectures[0] !== 'arm64') {
    throw constraint(
      `[${architectures[0]}]`,
      'architectures',
      'Member must satisfy enum value set: [x86_64, arm64]',
    );
  }
  return [...architectures];
}

function checkEnvironment(variables: Record<string, string> | undefined): Record<string, string> | undefined {
  if (variables === undefined) return undefined;
  const reserved = Object.keys(variables).filter((k) => RESERVED_ENV.has(k));
  if (reserved.length) {
    throw invalidParameter(
      `Lambda was unable to configure your environment variables because the environment variables you have provided contains reserved keys that are currently not supported for modification. Reserved keys used in this request: ${reserved.join(', ')}`,
    );
  }
  for (const [k, v] of Object.entries(variables)) {
    if (!/^[a-zA-Z]([a-zA-Z0-9_])*$/.test(k)) {
      throw constraint(
        k,
        'environment.variables',
        'Member must satisfy regular expression pattern: [a-zA-Z]([a-zA-Z0-9_])+',
      );
    }
    if (typeof v !== 'string') throw invalidParameter(`Environment variable ${k} must be a string`);
  }
  const size = Buffer.byteLength(JSON.stringify(variables));
  if (size > ENV_LIMIT_BYTES) {
    throw invalidParameter(
      `Lambda was unable to configure your environment variables because the environment variables you have provided exceeded the 4KB limit. String measured: ${size} bytes`,
    );
  }
  return { ...variables };
}

function checkAliasName(name: string): void {
  if (!name || name.length > 128 || !ALIAS_NAME_PATTERN.test(name)) {
    throw constraint(
      name,
      'name',
      'Member must satisfy regular expression pattern: (?!^[0-9]+$)([a-zA-Z0-9-_]+)',
    );
  }
}

function checkTags(tags: Record<string, string>, total: number): void {
  for (const [key, value] of Object.entries(tags)) {
    if (key.length < 1 || key.length > 128)
      throw invalidParameter(`Tag key must be 1 to 128 characters: ${key}`);
    if (typeof value !== 'string' || value.length > 256) {
      throw invalidParameter(`Tag value for key ${key} must be a string of at most 256 characters`);
    }
    if (key.toLowerCase().startsWith('aws:')) {
      throw invalidParameter(`Tag keys beginning with "aws:" are reserved for AWS use: ${key}`);
    }
  }
  if (total > MAX_TAGS)
    throw invalidParameter(
      `A function can have at most ${MAX_TAGS} tags; this request would make it ${total}.`,
    );
}

/** CloudTrail's requestParameters of CreateAlias / UpdateAlias (UpdateAlias adds revisionId). */
function aliasRequestParameters(functionName: string, name: string, input: AliasInput) {
  return compact({
    functionName,
    name,
    functionVersion: input.FunctionVersion,
    description: input.Description,
    routingConfig: input.RoutingConfig
      ? { additionalVersionWeights: input.RoutingConfig.AdditionalVersionWeights }
      : undefined,
  });
}
