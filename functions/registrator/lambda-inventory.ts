import {
  GetFunctionCommand,
  ListAliasesCommand,
  ResourceNotFoundException,
  type LambdaClient,
} from '@aws-sdk/client-lambda';
import {
  GetResourcesCommand,
  type ResourceGroupsTaggingAPIClient,
} from '@aws-sdk/client-resource-groups-tagging-api';
import { TAGS, type LambdaFunctionInfo } from './tags';
import { unqualifiedName } from './function-ref';

/** Control-plane calls made, for the run summary (the benchmark's figure of merit). */
export interface CallCounter {
  lambda: number;
  tagging: number;
}

export interface TaggedInventory {
  functions: LambdaFunctionInfo[];
  /** Set when a page could not be read: the list is partial, so nothing may be deleted. */
  error?: string;
}

/**
 * Every function carrying the `enabled` tag (whatever its value), tags included, from the Resource
 * Groups Tagging API: one call per `pageSize` functions, where the original made one GetFunction
 * per function in the account. Throttling is retried by the SDK client (standard retry mode).
 */
export async function taggedFunctions(
  tagging: ResourceGroupsTaggingAPIClient,
  pageSize: number,
  calls: CallCounter,
  deadlineMs: number,
): Promise<TaggedInventory> {
  const functions: LambdaFunctionInfo[] = [];
  let PaginationToken: string | undefined;
  try {
    do {
      if (Date.now() > deadlineMs) return { functions, error: 'time budget spent while listing functions' };
      calls.tagging++;
      const page = await tagging.send(
        new GetResourcesCommand({
          ResourceTypeFilters: ['lambda:function'],
          TagFilters: [{ Key: TAGS.enabled }],
          ResourcesPerPage: pageSize,
          ...(PaginationToken ? { PaginationToken } : {}),
        }),
      );
      for (const r of page.ResourceTagMappingList ?? []) {
        // Only functions carry tags; a qualified ARN would be a version or alias, never listed here.
        if (!r.ResourceARN || r.ResourceARN.split(':').length !== 7) continue;
        functions.push({
          name: unqualifiedName(r.ResourceARN),
          arn: r.ResourceARN,
          tags: Object.fromEntries((r.Tags ?? []).map((t) => [t.Key ?? '', t.Value ?? ''])),
        });
      }
      PaginationToken = page.PaginationToken || undefined;
    } while (PaginationToken);
  } catch (e) {
    return { functions, error: `GetResources: ${(e as Error).message}` };
  }
  return { functions };
}

/** One function with its tags, or undefined when Lambda says it does not exist. */
export async function functionByName(
  lambda: LambdaClient,
  name: string,
  calls: CallCounter,
): Promise<LambdaFunctionInfo | undefined> {
  calls.lambda++;
  try {
    const fn = await lambda.send(new GetFunctionCommand({ FunctionName: name }));
    const arn = fn.Configuration?.FunctionArn;
    if (!arn) throw new Error(`GetFunction ${name}: no FunctionArn in the answer`);
    return { name: fn.Configuration?.FunctionName ?? name, arn, tags: fn.Tags ?? {} };
  } catch (e) {
    if (e instanceof ResourceNotFoundException) return undefined;
    throw e;
  }
}

/** The names of a function's aliases (ListAliases pages of 50). */
export async function aliasesOf(
  lambda: LambdaClient,
  name: string,
  calls: CallCounter,
): Promise<Set<string>> {
  const names = new Set<string>();
  let Marker: string | undefined;
  do {
    calls.lambda++;
    const page = await lambda.send(
      new ListAliasesCommand({ FunctionName: name, ...(Marker ? { Marker } : {}) }),
    );
    for (const a of page.Aliases ?? []) if (a.Name) names.add(a.Name);
    Marker = page.NextMarker || undefined;
  } while (Marker);
  return names;
}
