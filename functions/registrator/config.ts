/**
 * The registrator's settings, read from the environment once per execution environment (the
 * original module's variables, same names). A bad value fails INIT with one message naming the
 * variable and the fix, instead of failing every invoke differently.
 */

export type ParameterTier = 'Standard' | 'Advanced' | 'Intelligent-Tiering';

export interface RegistratorConfig {
  /** Consul's HTTP API, `http(s)://host:port`. */
  consulAddress: URL;
  /** SSM parameter holding the PEM CA that signs Consul's HTTPS certificate. */
  caCertPath?: string;
  /** SSM parameter (SecureString) holding the ACL token. */
  tokenPath?: string;
  /** SSM path prefix for the mTLS extension data; unset: no extension data is managed. */
  extensionDataPrefix?: string;
  extensionDataTier: ParameterTier;
  /** Customer managed KMS key for the extension data; unset: the account's aws/ssm key. */
  extensionDataKmsKeyId?: string;
  /** Only functions tagged with this datacenter are managed (an absent tag counts as different). */
  datacenter?: string;
  nodeName: string;
  /** A terminating gateway the Lambda services are linked to (its config entry's Services). */
  terminatingGateway?: string;
  enterprise: boolean;
  /** Admin partitions managed (Enterprise only). */
  partitions: string[];
  /** GetResources page size (1–100). */
  pageSize: number;
  /** Lambda lookups and Consul writes in flight at once. */
  concurrency: number;
  dryRun: boolean;
  logLevel: 'debug' | 'info' | 'warn' | 'error';
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

const TIERS: Record<string, ParameterTier> = {
  standard: 'Standard',
  advanced: 'Advanced',
  'intelligent-tiering': 'Intelligent-Tiering',
};
const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;
/** Consul node names are DNS labels. */
const NODE_NAME = /^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;
/** Consul datacenter, partition and namespace names. */
const CONSUL_NAME = /^[A-Za-z0-9]([A-Za-z0-9_-]{0,62})$/;
const SSM_NAME = /^\/[A-Za-z0-9_.\-/]{1,1010}$/;

type Env = Record<string, string | undefined>;

export function parseConfig(env: Env): RegistratorConfig {
  const enterprise = bool(env, 'ENTERPRISE', false);
  const partitions = list(env, 'PARTITIONS');
  if (!enterprise && partitions.length > 0)
    fail('PARTITIONS', 'admin partitions need Consul Enterprise; set ENTERPRISE=true or unset PARTITIONS');
  for (const p of partitions) name(p, 'PARTITIONS');
  const datacenter = optional(env, 'DATACENTER');
  if (datacenter !== undefined) name(datacenter, 'DATACENTER');
  const terminatingGateway = optional(env, 'CONSUL_TERMINATING_GATEWAY');
  if (terminatingGateway !== undefined) name(terminatingGateway, 'CONSUL_TERMINATING_GATEWAY');
  const nodeName = optional(env, 'NODE_NAME') ?? 'lambdas';
  if (!NODE_NAME.test(nodeName))
    fail('NODE_NAME', `"${nodeName}" is not a valid node name (letters, digits, -)`);
  const tierText = (optional(env, 'CONSUL_EXTENSION_DATA_TIER') ?? 'standard').toLowerCase();
  const tier = TIERS[tierText];
  if (!tier)
    fail('CONSUL_EXTENSION_DATA_TIER', `"${tierText}" is not one of ${Object.keys(TIERS).join(', ')}`);
  const logLevel = (optional(env, 'LOG_LEVEL') ?? 'info').toLowerCase();
  if (!(LOG_LEVELS as readonly string[]).includes(logLevel))
    fail('LOG_LEVEL', `"${logLevel}" is not one of ${LOG_LEVELS.join(', ')}`);
  return {
    consulAddress: consulAddress(env),
    ...ssmName(env, 'CONSUL_CACERT_PATH', 'caCertPath'),
    ...ssmName(env, 'CONSUL_HTTP_TOKEN_PATH', 'tokenPath'),
    ...ssmName(env, 'CONSUL_EXTENSION_DATA_PREFIX', 'extensionDataPrefix', true),
    extensionDataTier: tier!,
    ...optionalEntry('extensionDataKmsKeyId', optional(env, 'CONSUL_EXTENSION_DATA_KMS_KEY_ID')),
    ...(datacenter !== undefined ? { datacenter } : {}),
    nodeName,
    ...optionalEntry('terminatingGateway', terminatingGateway),
    enterprise,
    partitions: enterprise && partitions.length === 0 ? ['default'] : partitions,
    pageSize: int(env, 'PAGE_SIZE', 100, 1, 100),
    concurrency: int(env, 'SYNC_CONCURRENCY', 8, 1, 64),
    dryRun: bool(env, 'DRY_RUN', false),
    logLevel: logLevel as RegistratorConfig['logLevel'],
  };
}

function fail(variable: string, message: string): never {
  throw new ConfigError(`${variable}: ${message}`);
}

function optional(env: Env, variable: string): string | undefined {
  const v = env[variable]?.trim();
  return v === undefined || v === '' ? undefined : v;
}

function optionalEntry<K extends string>(key: K, value: string | undefined): Partial<Record<K, string>> {
  return (value === undefined ? {} : { [key]: value }) as Partial<Record<K, string>>;
}

function consulAddress(env: Env): URL {
  const raw = optional(env, 'CONSUL_HTTP_ADDR');
  if (raw === undefined) fail('CONSUL_HTTP_ADDR', 'is required, e.g. https://consul.internal:8501');
  // Consul's own clients accept a bare host:port and default to http.
  const text = /^[a-z]+:\/\//i.test(raw) ? raw : `http://${raw}`;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    fail('CONSUL_HTTP_ADDR', `"${raw}" is not an address; use http(s)://host:port`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    fail('CONSUL_HTTP_ADDR', `scheme "${url.protocol}" is not http or https`);
  if (url.pathname !== '/' || url.search)
    fail('CONSUL_HTTP_ADDR', 'must be scheme://host:port only, without a path or query');
  return url;
}

function ssmName<K extends string>(
  env: Env,
  variable: string,
  key: K,
  prefix = false,
): Partial<Record<K, string>> {
  const v = optional(env, variable);
  if (v === undefined) return {};
  const value = prefix ? v.replace(/\/+$/, '') : v;
  if (!SSM_NAME.test(value))
    fail(
      variable,
      `"${v}" is not an SSM parameter ${prefix ? 'path' : 'name'}; it starts with "/" (letters, digits, _ . - /)`,
    );
  return { [key]: value } as Partial<Record<K, string>>;
}

function bool(env: Env, variable: string, fallback: boolean): boolean {
  const v = optional(env, variable)?.toLowerCase();
  if (v === undefined) return fallback;
  if (v === 'true' || v === '1') return true;
  if (v === 'false' || v === '0') return false;
  return fail(variable, `"${v}" is not true or false`);
}

function int(env: Env, variable: string, fallback: number, min: number, max: number): number {
  const v = optional(env, variable);
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || n > max)
    fail(variable, `"${v}" is not a whole number from ${min} to ${max}`);
  return n;
}

function list(env: Env, variable: string): string[] {
  return (optional(env, variable) ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

function name(value: string, variable: string): void {
  if (!CONSUL_NAME.test(value))
    fail(variable, `"${value}" is not a valid Consul name (letters, digits, _ -)`);
}
