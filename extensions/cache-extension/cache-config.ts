/**
 * The cache extension's configuration, parsed once at start from config.yaml and the environment
 * into these types (parsing lives in config-file.ts and settings.ts).
 */

/** DynamoDB key attribute types the demo's format allows, plus binary (base64 in config.yaml). */
export type KeyType = 'S' | 'N' | 'B';

export interface KeyAttribute {
  name: string;
  type: KeyType;
  /** As written in config.yaml: a string, a number's text, or base64 for B. */
  value: string;
}

export interface ParameterItem {
  kind: 'parameter';
  /** The parameter name as the function asks for it (may be `/aws/reference/secretsmanager/<id>`). */
  name: string;
  region?: string;
  /** Per-item TTL; the global CACHE_EXTENSION_TTL applies when absent. */
  ttlMs?: number;
}

export interface SecretItem {
  kind: 'secret';
  /** Name or ARN. */
  id: string;
  versionStage?: string;
  region?: string;
  ttlMs?: number;
}

export interface DynamoDbItem {
  kind: 'dynamodb';
  /** The demo's item name: `<table>-<hashValue>[-<sortValue>]`. */
  name: string;
  table: string;
  hashKey: KeyAttribute;
  sortKey?: KeyAttribute;
  region?: string;
  ttlMs?: number;
}

export type CacheItem = ParameterItem | SecretItem | DynamoDbItem;

export interface CacheConfigFile {
  parameters: ParameterItem[];
  secrets: SecretItem[];
  dynamodb: DynamoDbItem[];
}

/** Settings from the environment (see settings.ts for names and defaults). */
export interface CacheSettings {
  configPath: string;
  ttlMs: number;
  initStartup: boolean;
  /** V8's optimizing compilers off: RSS 112 → 74 MB with 1,000 items, each hit about 0.09 ms slower. */
  lowMemory: boolean;
  port: number;
  maxEntries: number;
  maxBytes: number;
}

/** A configuration problem; the message is one line: `<file>[:<line>]: <key>: <problem>; <fix>`. */
export class CacheConfigError extends Error {
  override readonly name = 'CacheConfigError';
  readonly file: string;
  /** 1-based line in `file`; undefined when the source has no lines (the environment). */
  readonly line: number | undefined;
  /** Key path such as `dynamodb[0].hashkeytype`, or an environment variable's name. */
  readonly key: string;
  readonly problem: string;
  readonly fix: string;

  constructor(file: string, line: number | undefined, key: string, problem: string, fix: string) {
    super(`${file}${line === undefined ? '' : `:${line}`}: ${key}: ${problem}; ${fix}`);
    this.file = file;
    this.line = line;
    this.key = key;
    this.problem = problem;
    this.fix = fix;
  }
}
