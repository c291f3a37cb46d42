import { createHash } from 'node:crypto';
import { AwsError, field, validation, type AwsJsonService, type RequestContext } from '../aws-json-protocol';
import { LOCAL_ACCOUNT_ID } from '../../local-account';
import {
  PARAMETER_TYPES,
  REQUESTED_TIERS,
  compareNames,
  opaqueCiphertext,
  parameterArn,
  parameterNotFound,
  type ParameterStore,
  type ParameterVersion,
  type RequestedTier,
  type Tag,
} from './parameter-store';

/**
 * Parameter Store's API (`AmazonSSM.*`, JSON 1.1) over a `ParameterStore`, for the real
 * `@aws-sdk/client-ssm` through its endpoint override. Operations not listed here get the shared
 * handler's UnknownOperationException.
 */

/** A secret as Secrets Manager's GetSecretValue returns it. */
export interface ReferencedSecret {
  ARN: string;
  Name: string;
  VersionId: string;
  SecretString?: string;
  /** Base64, as GetSecretValue's JSON carries it. */
  SecretBinary?: string;
  VersionStages: string[];
  CreatedDate: Date;
}

/**
 * Answers `/aws/reference/secretsmanager/<secret-id>[:<version-id or stage>]`; undefined when the
 * secret (or that version) doesn't exist.
 */
export type SecretsLookup = (
  secretId: string,
  versionId?: string,
  versionStage?: string,
) => ReferencedSecret | undefined | Promise<ReferencedSecret | undefined>;

export interface SsmServiceOptions {
  /** For ARNs and LastModifiedUser; the local cloud's account by default. */
  accountId?: string;
  /** Without it, every Secrets Manager reference is ParameterNotFound. */
  secretsLookup?: SecretsLookup;
}

interface Env {
  store: ParameterStore;
  accountId: string;
  secretsLookup?: SecretsLookup;
}

export const SECRETS_REFERENCE_PREFIX = '/aws/reference/secretsmanager/';

export function ssmService(store: ParameterStore, options: SsmServiceOptions = {}): AwsJsonService {
  const env: Env = {
    store,
    accountId: options.accountId ?? LOCAL_ACCOUNT_ID,
    secretsLookup: options.secretsLookup,
  };
  return {
    targetPrefix: 'AmazonSSM',
    jsonVersion: '1.1',
    operations: {
      GetParameter: (input, ctx) => getParameter(env, input, ctx),
      GetParameters: (input, ctx) => getParameters(env, input, ctx),
      GetParametersByPath: (input, ctx) => getParametersByPath(env, input, ctx),
      PutParameter: (input, ctx) => putParameter(env, input, ctx),
      DeleteParameter: (input) => deleteParameter(env, input),
      DeleteParameters: (input) => deleteParameters(env, input),
      LabelParameterVersion: (input) => labelParameterVersion(env, input),
      DescribeParameters: (input, ctx) => describeParameters(env, input, ctx),
    },
  };
}

// ---------------------------------------------------------------- operations

async function getParameter(env: Env, input: Record<string, unknown>, ctx: RequestContext) {
  const name = parameterName(input, 'Name');
  const withDecryption = field.boolean(input, 'WithDecryption') ?? false;
  if (isSecretsReference(name))
    return { Parameter: await resolveSecretsReference(env, name, withDecryption) };
  const { parameter, selector } = env.store.select(name);
  return { Parameter: toParameter(env, ctx, parameter, withDecryption, selector) };
}

async function getParameters(env: Env, input: Record<string, unknown>, ctx: RequestContext) {
  const names = [...new Set(field.stringList(input, 'Names', { required: true, min: 1, max: 10 }))];
  const withDecryption = field.boolean(input, 'WithDecryption') ?? false;
  const found: Record<string, unknown>[] = [];
  const invalid: string[] = [];
  for (const name of names) {
    try {
      found.push(
        isSecretsReference(name)
          ? await resolveSecretsReference(env, name, withDecryption)
          : selectedParameter(env, ctx, name, withDecryption),
      );
    } catch (e) {
      if (!(e instanceof AwsError)) throw e;
      invalid.push(name);
    }
  }
  found.sort((a, b) => compareNames(String(a.Name), String(b.Name)));
  return { Parameters: found, InvalidParameters: invalid };
}

function getParametersByPath(env: Env, input: Record<string, unknown>, ctx: RequestContext) {
  const path = field.string(input, 'Path', { required: true, min: 1, max: 2048 })!;
  checkPath(path);
  const recursive = field.boolean(input, 'Recursive') ?? false;
  const withDecryption = field.boolean(input, 'WithDecryption') ?? false;
  const maxResults = field.number(input, 'MaxResults', { min: 1, max: 10 }) ?? 10;
  const filters = checkFilters(parseFilters(input), BY_PATH_FILTERS);
  const labels = filters.find((f) => f.key === 'Label')?.values;
  const candidates = labels ? env.store.listLabeled(labels) : env.store.list();
  const matching = candidates.filter(
    (p) => underPath(p.name, path, recursive) && filters.every((f) => matchesFilter(env, f, p)),
  );
  const scope = `GetParametersByPath\0${path}\0${recursive}\0${JSON.stringify(filters)}`;
  const page = paginate(matching, maxResults, field.string(input, 'NextToken'), scope);
  return {
    Parameters: page.items.map((p) => toParameter(env, ctx, p, withDecryption)),
    ...(page.nextToken ? { NextToken: page.nextToken } : {}),
  };
}

function putParameter(env: Env, input: Record<string, unknown>, ctx: RequestContext) {
  if (input.Policies !== undefined && input.Policies !== null) {
    throw validation('Parameter policies are not supported by the local emulator.');
  }
  const dataType = field.string(input, 'DataType', { min: 0, max: 128 });
  if (dataType !== undefined && dataType !== 'text') {
    throw validation(`The data type ${dataType} is not supported by the local emulator; only text is.`);
  }
  const result = env.store.put({
    name: parameterName(input, 'Name'),
    value: field.string(input, 'Value', { required: true, min: 1 })!,
    type: enumField(input, 'Type', PARAMETER_TYPES),
    overwrite: field.boolean(input, 'Overwrite') ?? false,
    tier: enumField<RequestedTier>(input, 'Tier', REQUESTED_TIERS),
    keyId: field.string(input, 'KeyId', { min: 1, max: 256, pattern: /^([a-zA-Z0-9:/_-]+)$/ }),
    description: field.string(input, 'Description', { min: 0, max: 1024 }),
    allowedPattern: field.string(input, 'AllowedPattern', { min: 0, max: 1024 }),
    tags: parseTags(input),
    user: `arn:aws:iam::${env.accountId}:user/${ctx.accessKeyId}`,
  });
  return { Version: result.version, Tier: result.tier };
}

function deleteParameter(env: Env, input: Record<string, unknown>) {
  const name = parameterName(input, 'Name');
  if (!env.store.delete(name)) throw parameterNotFound(name);
  return {};
}

function deleteParameters(env: Env, input: Record<string, unknown>) {
  const names = field.stringList(input, 'Names', { required: true, min: 1, max: 10 })!;
  const deleted: string[] = [];
  const invalid: string[] = [];
  for (const name of new Set(names)) (env.store.delete(name.trim()) ? deleted : invalid).push(name);
  return { DeletedParameters: deleted, InvalidParameters: invalid };
}

function labelParameterVersion(env: Env, input: Record<string, unknown>) {
  const name = parameterName(input, 'Name');
  const version = field.number(input, 'ParameterVersion', { min: 1 });
  const labels = field.stringList(input, 'Labels', { required: true, min: 1, max: 10 })!;
  const result = env.store.label(name, labels, version);
  return { InvalidLabels: result.invalidLabels, ParameterVersion: result.version };
}

function describeParameters(env: Env, input: Record<string, unknown>, ctx: RequestContext) {
  const legacy = input.Filters;
  if (legacy !== undefined && legacy !== null) {
    if (input.ParameterFilters !== undefined && input.ParameterFilters !== null) {
      throw validation('You can use either Filters or ParameterFilters in a single request.');
    }
    throw validation('Filters is deprecated and not supported by the local emulator; use ParameterFilters.');
  }
  const maxResults = field.number(input, 'MaxResults', { min: 1, max: 50 }) ?? 10;
  const filters = checkFilters(parseFilters(input), DESCRIBE_FILTERS);
  // Nothing is shared with the local account.
  const shared = field.boolean(input, 'Shared') ?? false;
  const matching = shared
    ? []
    : env.store.list().filter((p) => filters.every((f) => matchesFilter(env, f, p)));
  const scope = `DescribeParameters\0${JSON.stringify(filters)}`;
  const page = paginate(matching, maxResults, field.string(input, 'NextToken'), scope);
  return {
    Parameters: page.items.map((p) => toMetadata(env, ctx, p)),
    ...(page.nextToken ? { NextToken: page.nextToken } : {}),
  };
}

// ---------------------------------------------------------------- responses

function selectedParameter(env: Env, ctx: RequestContext, name: string, withDecryption: boolean) {
  const { parameter, selector } = env.store.select(name);
  return toParameter(env, ctx, parameter, withDecryption, selector);
}

function toParameter(
  env: Env,
  ctx: RequestContext,
  p: ParameterVersion,
  withDecryption: boolean,
  selector?: string,
): Record<string, unknown> {
  return {
    Name: p.name,
    Type: p.type,
    Value: p.type === 'SecureString' && !withDecryption ? opaqueCiphertext(p) : p.value,
    Version: p.version,
    ...(selector !== undefined ? { Selector: `:${selector}` } : {}),
    LastModifiedDate: epochSeconds(p.lastModifiedDate),
    ARN: parameterArn(ctx.region, env.accountId, p.name),
    DataType: p.dataType,
  };
}

function toMetadata(env: Env, ctx: RequestContext, p: ParameterVersion): Record<string, unknown> {
  return {
    Name: p.name,
    ARN: parameterArn(ctx.region, env.accountId, p.name),
    Type: p.type,
    ...(p.keyId !== undefined ? { KeyId: p.keyId } : {}),
    LastModifiedDate: epochSeconds(p.lastModifiedDate),
    LastModifiedUser: p.lastModifiedUser,
    ...(p.description !== undefined ? { Description: p.description } : {}),
    ...(p.allowedPattern !== undefined ? { AllowedPattern: p.allowedPattern } : {}),
    Version: p.version,
    Tier: p.tier,
    Policies: [],
    DataType: p.dataType,
  };
}

const epochSeconds = (d: Date) => d.getTime() / 1000;

// ---------------------------------------------------------------- Secrets Manager references

const isSecretsReference = (name: string) => name.startsWith(SECRETS_REFERENCE_PREFIX);

const VERSION_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$|^[0-9a-f]{32}$/i;

/**
 * `/aws/reference/secretsmanager/<secret-id>[:<selector>]` as AWS answers it: the secret's value
 * as a SecureString of version 0, the secret's ARN, and GetSecretValue's output as SourceResult. A
 * selector that looks like a version id picks that version; anything else is a staging label.
 */
async function resolveSecretsReference(env: Env, reference: string, withDecryption: boolean) {
  const parts = reference.slice(SECRETS_REFERENCE_PREFIX.length).split(':');
  const [secretId, selector] = parts;
  if (parts.length > 2 || !secretId || selector === '') {
    throw validation(
      'Invalid parameter name. Please use correct syntax for referencing a version/label  <name>:<version/label>',
    );
  }
  if (!withDecryption)
    throw validation('WithDecryption flag must be True for retrieving a Secret Manager secret.');
  const byId = selector !== undefined && VERSION_ID.test(selector);
  const secret = await env.secretsLookup?.(
    secretId,
    byId ? selector : undefined,
    byId ? undefined : selector,
  );
  if (!secret) {
    throw new AwsError(
      'ParameterNotFound',
      `An error occurred (ParameterNotFound) when referencing Secrets Manager: Secret ${reference} not found.`,
    );
  }
  return {
    Name: `${SECRETS_REFERENCE_PREFIX}${secretId}`,
    Type: 'SecureString',
    ...(secret.SecretString !== undefined ? { Value: secret.SecretString } : {}),
    Version: 0,
    ...(selector !== undefined ? { Selector: `:${selector}` } : {}),
    SourceResult: JSON.stringify(sourceResult(secret)),
    LastModifiedDate: epochSeconds(secret.CreatedDate),
    ARN: secret.ARN,
  };
}

function sourceResult(secret: ReferencedSecret) {
  return {
    ARN: secret.ARN,
    Name: secret.Name,
    VersionId: secret.VersionId,
    ...(secret.SecretString !== undefined ? { SecretString: secret.SecretString } : {}),
    ...(secret.SecretBinary !== undefined ? { SecretBinary: secret.SecretBinary } : {}),
    VersionStages: secret.VersionStages,
    CreatedDate: epochSeconds(secret.CreatedDate),
  };
}

// ---------------------------------------------------------------- input

function parameterName(input: Record<string, unknown>, name: string): string {
  return field.string(input, name, { required: true, min: 1, max: 2048 })!;
}

function enumField<T extends string>(
  input: Record<string, unknown>,
  name: string,
  allowed: readonly T[],
): T | undefined {
  const value = field.string(input, name);
  if (value === undefined || (allowed as readonly string[]).includes(value)) return value as T | undefined;
  throw validation(
    `1 validation error detected: Value '${value}' at '${name.charAt(0).toLowerCase()}${name.slice(1)}' failed to satisfy constraint: Member must satisfy enum value set: [${allowed.join(', ')}]`,
  );
}

function parseTags(input: Record<string, unknown>): Tag[] | undefined {
  const tags = input.Tags;
  if (tags === undefined || tags === null) return undefined;
  const ok =
    Array.isArray(tags) &&
    tags.every(
      (t) => typeof t === 'object' && t !== null && typeof t.Key === 'string' && typeof t.Value === 'string',
    );
  if (!ok) throw new AwsError('SerializationException', 'Tags must be a list of {Key, Value} strings');
  return (tags as Tag[]).map(({ Key, Value }) => ({ Key, Value }));
}

const PATH_RULES =
  'The parameter doesn\'t meet the parameter name requirements. The parameter name must begin with a forward slash "/". ' +
  'It must use only letters, numbers, or the following symbols: . (period), - (hyphen), _ (underscore). ' +
  'All sub-paths, if specified, must use the forward slash symbol "/". Valid example: /get/parameters2-/by1./path0_.';

function checkPath(path: string): void {
  if (!/^\/[a-zA-Z0-9_.\-/]*$/.test(path) || path.includes('//')) throw validation(PATH_RULES);
}

/** Under `path`: its direct children, or everything beneath it when recursive. `/` also holds names without a hierarchy. */
function underPath(name: string, path: string, recursive: boolean): boolean {
  const base = path.replace(/\/+$/, '');
  if (base === '' && !name.startsWith('/')) return true;
  const prefix = `${base}/`;
  if (!name.startsWith(prefix)) return false;
  return recursive || !name.slice(prefix.length).includes('/');
}

// ---------------------------------------------------------------- filters

interface RawFilter {
  Key: string;
  Option?: string;
  Values?: string[];
}

interface Filter {
  key: string;
  option: string;
  values: string[];
}

interface FilterRules {
  /** Valid keys; `tag:` stands for any `tag:<key>`. */
  keys: readonly string[];
  /** Allowed options per key, the default first. */
  options: (key: string) => readonly string[];
}

const EQUALS_OR_BEGINS = ['Equals', 'BeginsWith'] as const;

const BY_PATH_FILTERS: FilterRules = {
  keys: ['Type', 'KeyId', 'Label'],
  options: (key) => (key === 'Label' ? ['Equals'] : EQUALS_OR_BEGINS),
};

const DESCRIBE_FILTERS: FilterRules = {
  keys: ['Path', 'Name', 'Type', 'KeyId', 'Tier', 'DataType', 'tag:'],
  options: (key) =>
    key === 'Path'
      ? ['OneLevel', 'Recursive']
      : key === 'Name'
        ? [...EQUALS_OR_BEGINS, 'Contains']
        : EQUALS_OR_BEGINS,
};

const VALID_VALUES: Record<string, readonly string[]> = { Type: PARAMETER_TYPES, Tier: REQUESTED_TIERS };

function parseFilters(input: Record<string, unknown>): RawFilter[] {
  const raw = input.ParameterFilters;
  if (raw === undefined || raw === null) return [];
  const isFilter = (f: unknown): f is RawFilter => {
    if (typeof f !== 'object' || f === null) return false;
    const { Key, Option, Values } = f as Record<string, unknown>;
    return (
      typeof Key === 'string' &&
      (Option === undefined || typeof Option === 'string') &&
      (Values === undefined || (Array.isArray(Values) && Values.every((v) => typeof v === 'string')))
    );
  };
  if (!Array.isArray(raw) || !raw.every(isFilter)) {
    throw new AwsError('SerializationException', 'ParameterFilters must be a list of {Key, Option, Values}');
  }
  return raw;
}

function checkFilters(filters: RawFilter[], rules: FilterRules): Filter[] {
  const seen = new Set<string>();
  return filters.map((f) => {
    const known = rules.keys.includes(f.Key) || (rules.keys.includes('tag:') && /^tag:.+/.test(f.Key));
    if (!known) {
      const valid = rules.keys.map((k) => (k === 'tag:' ? 'tag:<key>' : k)).join(', ');
      throw new AwsError(
        'InvalidFilterKey',
        `The following filter key is not valid: ${f.Key}. Valid filter keys include: [${valid}].`,
      );
    }
    if (seen.has(f.Key)) {
      throw new AwsError(
        'InvalidFilterKey',
        `The following filter is duplicated in the request: ${f.Key}. A request can contain only one occurrence of a specific filter.`,
      );
    }
    seen.add(f.Key);
    return { key: f.Key, option: checkOption(f, rules), values: checkValues(f) };
  });
}

function checkOption(f: RawFilter, rules: FilterRules): string {
  const options = rules.options(f.Key);
  const option = f.Option ?? options[0]!;
  if (!options.includes(option)) {
    throw new AwsError(
      'InvalidFilterOption',
      `The following filter option is not valid: ${option}. Valid options include: [${options.join(', ')}].`,
    );
  }
  return option;
}

function checkValues(f: RawFilter): string[] {
  const values = f.Values ?? [];
  if (values.length === 0 && !f.Key.startsWith('tag:')) {
    throw new AwsError(
      'InvalidFilterValue',
      `The following filter values are missing : null for filter key ${f.Key}.`,
    );
  }
  const valid = VALID_VALUES[f.Key];
  const bad = valid ? values.find((v) => !valid.includes(v)) : undefined;
  if (valid && bad !== undefined) {
    throw new AwsError(
      'InvalidFilterValue',
      `The following filter value is not valid: ${bad}. Valid values include: [${valid.join(', ')}].`,
    );
  }
  if (f.Key === 'Path') values.forEach(checkPath);
  return values;
}

function matchesFilter(env: Env, f: Filter, p: ParameterVersion): boolean {
  if (f.key === 'Path') return f.values.some((v) => underPath(p.name, v, f.option === 'Recursive'));
  if (f.key.startsWith('tag:')) {
    const tagValues = env.store
      .tags(p.name)
      .filter((t) => t.Key === f.key.slice(4))
      .map((t) => t.Value);
    return f.values.length === 0 ? tagValues.length > 0 : tagValues.some((v) => compare(f, v));
  }
  const attribute: Record<string, string | undefined> = {
    Name: p.name,
    Type: p.type,
    KeyId: p.keyId,
    Tier: p.tier,
    DataType: p.dataType,
  };
  // Label decided which version is listed; it has nothing further to check.
  if (f.key === 'Label') return true;
  const actual = attribute[f.key];
  return actual !== undefined && compare(f, actual);
}

function compare(f: Filter, actual: string): boolean {
  return f.values.some((v) =>
    f.option === 'BeginsWith'
      ? actual.startsWith(v)
      : f.option === 'Contains'
        ? actual.includes(v)
        : actual === v,
  );
}

// ---------------------------------------------------------------- pagination

/**
 * Pages over name-ordered items. The token carries the last name returned (and a digest of the
 * request it belongs to), so writes between pages neither repeat nor skip the items that remain.
 */
function paginate(
  items: ParameterVersion[],
  maxResults: number,
  token: string | undefined,
  scope: string,
): { items: ParameterVersion[]; nextToken?: string } {
  const after = token === undefined ? undefined : decodeToken(token, scope);
  const start = after === undefined ? 0 : items.findIndex((p) => compareNames(p.name, after) > 0);
  const from = start < 0 ? items.length : start;
  const page = items.slice(from, from + maxResults);
  const last = page.at(-1);
  return from + maxResults < items.length && last
    ? { items: page, nextToken: encodeToken(scope, last.name) }
    : { items: page };
}

const scopeDigest = (scope: string) => createHash('sha256').update(scope).digest('base64url').slice(0, 16);

function encodeToken(scope: string, after: string): string {
  return Buffer.from(JSON.stringify({ s: scopeDigest(scope), a: after })).toString('base64url');
}

function decodeToken(token: string, scope: string): string {
  try {
    const parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as unknown;
    if (typeof parsed === 'object' && parsed !== null) {
      const { s, a } = parsed as Record<string, unknown>;
      if (s === scopeDigest(scope) && typeof a === 'string') return a;
    }
  } catch {
    // falls through to the error below
  }
  throw new AwsError('InvalidNextToken', "The specified token isn't valid.");
}
