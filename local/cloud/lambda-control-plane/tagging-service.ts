import type http from 'node:http';
import { AwsError, type AwsJsonService, type Operation, startAwsJsonServer } from '../aws-json-protocol';
import type { FunctionRegistry } from './function-registry';
import {
  CallStats,
  type Latency,
  type OperationStats,
  type RateLimit,
  TokenBucket,
  latencyFor,
  sleep,
} from './throttle';

/**
 * The Resource Groups Tagging API's GetResources (AWS JSON 1.1, target prefix
 * `ResourceGroupsTaggingAPI_20170126`) over the same FunctionRegistry as the Lambda control plane:
 * a tag-indexed view of the account's Lambda functions, type `lambda:function`. Every other resource
 * type is empty here. The other Tagging API operations answer UnknownOperationException.
 *
 * Semantics follow the API reference of GetResources: without TagFilters, every resource that is
 * tagged or was ever tagged (a previously tagged one with `Tags: []`; a never-tagged function is not
 * in the tag index at all); each TagFilter needs its key present and, when Values are given, one of
 * them; all filters must hold; ResourcesPerPage 1–100, TagsPerPage 100–500 (a resource without tags
 * counts as one); the last page has an empty PaginationToken.
 *
 * Throttling answers ThrottledException (the error GetResources declares). No request rate for
 * GetResources is published in the AWS documentation this project could consult, so the default
 * below is an assumption, not a documented quota: set it to what you want to test against.
 */

export const TAGGING_TARGET_PREFIX = 'ResourceGroupsTaggingAPI_20170126';

/** Default GetResources rate: ASSUMED (no published figure found); configurable. */
export const TAGGING_DEFAULT_LIMITS: Readonly<{ GetResources: RateLimit }> = {
  GetResources: { ratePerSecond: 10 },
};

/** Page size when the caller gives neither ResourcesPerPage nor TagsPerPage (not documented; assumed). */
export const DEFAULT_RESOURCES_PER_PAGE = 50;

const LAMBDA_FUNCTION_TYPE = 'lambda:function';

export interface TaggingApiOptions {
  port?: number;
  latencyMs?: Latency;
  throttle?: false | { GetResources?: RateLimit | null };
}

export interface TaggingApi {
  server: http.Server;
  endpoint: string;
  stats(): Record<string, OperationStats>;
  resetStats(): void;
  close(): Promise<void>;
}

export interface ResourceTagMapping {
  ResourceARN: string;
  Tags: Array<{ Key: string; Value: string }>;
  ComplianceDetails?: {
    NoncompliantKeys: string[];
    KeysWithNoncompliantValues: string[];
    ComplianceStatus: boolean;
  };
}

export interface GetResourcesOutput {
  PaginationToken: string;
  ResourceTagMappingList: ResourceTagMapping[];
}

const invalid = (message: string) => new AwsError('InvalidParameterException', message);

function list(input: Record<string, unknown>, name: string, max: number): unknown[] | undefined {
  const v = input[name];
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v)) throw new AwsError('SerializationException', `${name} must be a list`);
  if (v.length > max) throw invalid(`${name} can have at most ${max} items`);
  return v;
}

function integer(input: Record<string, unknown>, name: string, min: number, max: number): number | undefined {
  const v = input[name];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v))
    throw new AwsError('SerializationException', `${name} must be an integer`);
  if (v < min || v > max) throw invalid(`${name} must be between ${min} and ${max}, got ${v}`);
  return v;
}

interface TagFilter {
  Key: string;
  Values?: string[];
}

function tagFilters(input: Record<string, unknown>): TagFilter[] | undefined {
  return list(input, 'TagFilters', 50)?.map((f) => {
    if (typeof f !== 'object' || f === null)
      throw new AwsError('SerializationException', 'TagFilters holds objects');
    const { Key, Values } = f as Record<string, unknown>;
    if (typeof Key !== 'string' || Key.length < 1 || Key.length > 128) {
      throw invalid('Each TagFilter must have a Key of 1 to 128 characters');
    }
    if (Values !== undefined && Values !== null) {
      if (!Array.isArray(Values) || !Values.every((v) => typeof v === 'string')) {
        throw new AwsError('SerializationException', 'TagFilter Values must be a list of strings');
      }
      if (Values.length > 20) throw invalid(`TagFilter ${Key} can have at most 20 values`);
      return { Key, Values: Values as string[] };
    }
    return { Key };
  });
}

function strings(input: Record<string, unknown>, name: string, max: number): string[] | undefined {
  const v = list(input, name, max);
  if (v && !v.every((x) => typeof x === 'string')) {
    throw new AwsError('SerializationException', `${name} must be a list of strings`);
  }
  return v as string[] | undefined;
}

const encodeToken = (arn: string) => Buffer.from(JSON.stringify({ after: arn })).toString('base64url');

function decodeToken(token: string): string {
  try {
    const parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { after?: unknown };
    if (typeof parsed.after === 'string') return parsed.after;
  } catch {
    // fall through
  }
  throw invalid(`The PaginationToken is not one this service issued: ${token}`);
}

/** Whether one resource's tags satisfy every filter (key present; one of the values, when given). */
export function matchesTagFilters(tags: Record<string, string>, filters: TagFilter[]): boolean {
  return filters.every(
    (f) =>
      Object.hasOwn(tags, f.Key) && (!f.Values || f.Values.length === 0 || f.Values.includes(tags[f.Key]!)),
  );
}

/** GetResources over the registry's functions. */
export function getResources(registry: FunctionRegistry, input: Record<string, unknown>): GetResourcesOutput {
  const token = input.PaginationToken;
  if (token !== undefined && token !== null && typeof token !== 'string') {
    throw new AwsError('SerializationException', 'PaginationToken must be a string');
  }
  const filters = tagFilters(input);
  const typeFilters = strings(input, 'ResourceTypeFilters', 100);
  const arnList = strings(input, 'ResourceARNList', 100);
  const resourcesPerPage = integer(input, 'ResourcesPerPage', 1, 100);
  const tagsPerPage = integer(input, 'TagsPerPage', 100, 500);
  const includeCompliance = input.IncludeComplianceDetails === true;
  if (input.ExcludeCompliantResources === true && !includeCompliance) {
    throw invalid('ExcludeCompliantResources can be used only with IncludeComplianceDetails');
  }
  if (arnList) {
    if (filters || typeFilters)
      throw invalid('ResourceARNList cannot be combined with TagFilters or ResourceTypeFilters');
    if (token || resourcesPerPage !== undefined || tagsPerPage !== undefined) {
      throw invalid('ResourceARNList cannot be combined with pagination parameters');
    }
  }

  const typeMatches =
    !typeFilters ||
    typeFilters.length === 0 ||
    typeFilters.some((t) => t === 'lambda' || t === LAMBDA_FUNCTION_TYPE);
  let candidates = typeMatches ? registry.taggedResources().filter((r) => r.everTagged) : [];
  if (arnList) candidates = candidates.filter((r) => arnList.includes(r.arn));
  if (filters && filters.length) candidates = candidates.filter((r) => matchesTagFilters(r.tags, filters));
  // Without tag policies every resource is compliant: nothing is left when compliant ones are excluded.
  if (input.ExcludeCompliantResources === true) candidates = [];

  const after = token ? decodeToken(token) : undefined;
  const rest = after === undefined ? candidates : candidates.filter((r) => r.arn > after);
  const maxResources =
    resourcesPerPage ?? (tagsPerPage ? Infinity : arnList ? 100 : DEFAULT_RESOURCES_PER_PAGE);
  const page: typeof rest = [];
  let tagCount = 0;
  for (const r of rest) {
    const weight = Math.max(1, Object.keys(r.tags).length);
    if (page.length >= maxResources) break;
    if (tagsPerPage !== undefined && page.length > 0 && tagCount + weight > tagsPerPage) break;
    page.push(r);
    tagCount += weight;
  }
  const more = page.length < rest.length;
  return {
    PaginationToken: more ? encodeToken(page[page.length - 1]!.arn) : '',
    ResourceTagMappingList: page.map((r) => ({
      ResourceARN: r.arn,
      Tags: Object.entries(r.tags).map(([Key, Value]) => ({ Key, Value })),
      ...(includeCompliance
        ? {
            ComplianceDetails: {
              NoncompliantKeys: [],
              KeysWithNoncompliantValues: [],
              ComplianceStatus: true,
            },
          }
        : {}),
    })),
  };
}

/** The Tagging API as an AwsJsonService (for `awsJsonHandler`), with its counters. */
export function taggingService(
  registry: FunctionRegistry,
  options: TaggingApiOptions = {},
): { service: AwsJsonService; stats: CallStats } {
  const stats = new CallStats();
  const limit =
    options.throttle === false
      ? null
      : options.throttle?.GetResources === undefined
        ? TAGGING_DEFAULT_LIMITS.GetResources
        : options.throttle.GetResources;
  const bucket = limit ? new TokenBucket(limit) : undefined;
  const wrap =
    (name: string, run: (input: Record<string, unknown>) => unknown): Operation =>
    async (input) => {
      stats.call(name);
      try {
        await sleep(latencyFor(options.latencyMs, name));
        const wait = bucket ? bucket.take() : 0;
        if (wait > 0) {
          stats.throttled(name);
          throw new AwsError('ThrottledException', 'Rate exceeded');
        }
        return run(input);
      } catch (e) {
        stats.error(name);
        throw e;
      }
    };
  return {
    service: {
      targetPrefix: TAGGING_TARGET_PREFIX,
      jsonVersion: '1.1',
      operations: { GetResources: wrap('GetResources', (input) => getResources(registry, input)) },
    },
    stats,
  };
}

/** Starts the Tagging API on 127.0.0.1; give `endpoint` to a ResourceGroupsTaggingAPIClient. */
export async function startTaggingApi(
  registry: FunctionRegistry,
  options: TaggingApiOptions = {},
): Promise<TaggingApi> {
  const { service, stats } = taggingService(registry, options);
  const { server, endpoint } = await startAwsJsonServer(service, options.port ?? 0);
  return {
    server,
    endpoint,
    stats: () => stats.snapshot(),
    resetStats: () => stats.reset(),
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((e) => (e ? reject(e) : resolve()));
        server.closeAllConnections();
      }),
  };
}
