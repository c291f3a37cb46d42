import type { RegistratorConfig } from './config';

/** The tags the original registrator documents, same prefix and names. */
export const TAG_PREFIX = 'serverless.consul.hashicorp.com/v1alpha1/lambda';
export const TAGS = {
  enabled: `${TAG_PREFIX}/enabled`,
  payloadPassthrough: `${TAG_PREFIX}/payload-passthrough`,
  invocationMode: `${TAG_PREFIX}/invocation-mode`,
  datacenter: `${TAG_PREFIX}/datacenter`,
  namespace: `${TAG_PREFIX}/namespace`,
  partition: `${TAG_PREFIX}/partition`,
  aliases: `${TAG_PREFIX}/aliases`,
} as const;

/** Tag values cannot hold `,`, so the aliases tag separates names with `+`. */
const ALIAS_SEPARATOR = '+';
const ALIAS_NAME = /^(?!^[0-9]+$)[a-zA-Z0-9-_]{1,128}$/;

/** Where a service lives in Consul. `datacenter` '' means the agent's own datacenter. */
export interface ServiceScope {
  datacenter: string;
  /** Enterprise only; undefined on Consul CE. */
  partition?: string;
  namespace?: string;
}

/** A Consul service the registrator wants for a function or one of its aliases. */
export interface DesiredService extends ServiceScope {
  name: string;
  functionName: string;
  /** The function's ARN, with `:<alias>` for an alias service. */
  arn: string;
  /** Lower case: Consul's Envoy extension compares with "asynchronous" exactly. */
  invocationMode: 'synchronous' | 'asynchronous';
  payloadPassthrough: boolean;
}

export interface LambdaFunctionInfo {
  name: string;
  /** Unqualified function ARN. */
  arn: string;
  tags: Readonly<Record<string, string>>;
}

export type TagVerdict =
  /** Not this registrator's to manage (another datacenter or partition): left alone. */
  | { kind: 'ignored'; reason: string }
  /** Managed services of this function are to be removed. */
  | { kind: 'disabled' }
  | { kind: 'enabled'; services: DesiredService[]; missingAliases: string[] };

/** A function whose tags cannot be acted on; reported and skipped, never fatal to a sync. */
export class TagError extends Error {
  override name = 'TagError';
}

/** The alias names a function's tag asks for (deduplicated, in order). */
export function requestedAliases(tags: Readonly<Record<string, string>>): string[] {
  const raw = tags[TAGS.aliases];
  if (raw === undefined) return [];
  return [...new Set(raw.split(ALIAS_SEPARATOR).map((a) => a.trim()))].filter((a) => a !== '');
}

/**
 * What a function's tags mean, with the original's semantics: `enabled` must be exactly "true";
 * `payload-passthrough` "true" or false; `invocation-mode` SYNCHRONOUS (default) or ASYNCHRONOUS,
 * anything else an error; `partition` / `namespace` need Enterprise; a DATACENTER setting ignores
 * functions tagged for another datacenter (an absent tag counts as another); Enterprise ignores
 * partitions not in PARTITIONS. `existingAliases` (when the function has an aliases tag) are the
 * aliases Lambda actually has: tagged names that do not exist are reported, not registered.
 */
export function servicesOf(
  fn: LambdaFunctionInfo,
  config: Pick<RegistratorConfig, 'datacenter' | 'enterprise' | 'partitions'>,
  existingAliases: ReadonlySet<string> = new Set(),
): TagVerdict {
  const { tags } = fn;
  const datacenter = tags[TAGS.datacenter] ?? '';
  if (config.datacenter !== undefined && config.datacenter !== datacenter)
    return { kind: 'ignored', reason: `datacenter "${datacenter}" is not ${config.datacenter}` };

  const partitionTag = tags[TAGS.partition];
  const namespaceTag = tags[TAGS.namespace];
  if (!config.enterprise && (partitionTag !== undefined || namespaceTag !== undefined))
    throw new TagError(
      `${fn.name}: namespaces and admin partitions require Consul Enterprise (ENTERPRISE=true)`,
    );
  const scope: ServiceScope = config.enterprise
    ? { datacenter, partition: partitionTag || 'default', namespace: namespaceTag || 'default' }
    : { datacenter };
  if (config.enterprise && !config.partitions.includes(scope.partition!))
    return { kind: 'ignored', reason: `partition "${scope.partition}" is not in PARTITIONS` };

  const modeTag = tags[TAGS.invocationMode];
  const mode = modeTag === undefined ? 'SYNCHRONOUS' : modeTag.trim().toUpperCase();
  if (mode !== 'SYNCHRONOUS' && mode !== 'ASYNCHRONOUS')
    throw new TagError(`${fn.name}: invalid invocation mode "${modeTag}" (SYNCHRONOUS or ASYNCHRONOUS)`);
  const aliases = requestedAliases(tags);
  const badAlias = aliases.find((a) => !ALIAS_NAME.test(a));
  if (badAlias !== undefined)
    throw new TagError(`${fn.name}: "${badAlias}" in the aliases tag is not an alias name`);

  if (tags[TAGS.enabled] !== 'true') return { kind: 'disabled' };

  const base: DesiredService = {
    ...scope,
    name: fn.name,
    functionName: fn.name,
    arn: fn.arn,
    invocationMode: mode === 'ASYNCHRONOUS' ? 'asynchronous' : 'synchronous',
    payloadPassthrough: tags[TAGS.payloadPassthrough] === 'true',
  };
  const present = aliases.filter((a) => existingAliases.has(a));
  return {
    kind: 'enabled',
    services: [base, ...present.map((a) => ({ ...base, name: `${fn.name}-${a}`, arn: `${fn.arn}:${a}` }))],
    missingAliases: aliases.filter((a) => !existingAliases.has(a)),
  };
}
