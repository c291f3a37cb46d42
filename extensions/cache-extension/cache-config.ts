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
  port: number;
  maxEntries: number;
  maxBytes: number;
}
