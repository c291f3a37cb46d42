import { readFileSync } from 'node:fs';
import http from 'node:http';
import {
  GetSecretValueCommand,
  ResourceNotFoundException,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { CacheClient, CacheNotFoundError } from '../../extensions/cache-extension/client';
import { connect, LoginError, type ConnectOptions } from '../rotation/database';
import { secretsManagerEndpoint } from '../rotation/endpoint';
import { parseDatabaseSecret, type DatabaseSecret } from '../rotation/secret-shape';

/**
 * The row count of TABLE_NAME in the database whose credentials are the secret SECRET_NAME. The
 * secret comes through the cache extension when it answers on 127.0.0.1 (CACHE_EXTENSION_PORT,
 * 4000), else from Secrets Manager. A rotation never breaks it: on an authentication failure it
 * fetches AWSCURRENT again past the cache and retries once; if that fails too, a single-user
 * rotation is between setSecret and finishSecret, and AWSPENDING holds the password in force.
 */
export interface RecordCountConfig {
  secretName: string;
  tableName: string;
  cachePort: number;
  /** The cache extension's token; without one the cache is never tried. */
  sessionToken?: string;
  secretsManagerEndpoint?: string;
  connect: ConnectOptions;
}

export interface RecordCount {
  table: string;
  count: number;
  /** Where the secret came from, so a deployment shows whether the extension is in use. */
  secretSource: SecretSourceName;
}

type SecretSourceName = 'cache-extension' | 'secrets-manager';

export interface SecretCheck {
  check: 'secret';
  secretSource: SecretSourceName;
  engine: string;
  host: string;
  port: number;
  username: string;
  ssl: boolean;
}

/** `name` or `schema.name`, each part a plain identifier: it is quoted, but never built from input. */
const TABLE_NAME = /^[A-Za-z_][A-Za-z0-9_$]{0,62}(\.[A-Za-z_][A-Za-z0-9_$]{0,62})?$/;

export function configFromEnv(env: NodeJS.ProcessEnv): RecordCountConfig {
  const secretName = env.SECRET_NAME;
  if (!secretName) throw new Error('SECRET_NAME must name the database secret');
  const tableName = env.TABLE_NAME ?? '';
  if (!TABLE_NAME.test(tableName))
    throw new Error('TABLE_NAME must be a table name: letters, digits, _ or $, optionally schema.table');
  const cachePort = Number(env.CACHE_EXTENSION_PORT ?? 4000);
  if (!Number.isInteger(cachePort) || cachePort < 1 || cachePort > 65535)
    throw new Error('CACHE_EXTENSION_PORT must be a port number');
  const timeout = Number(env.DB_CONNECT_TIMEOUT_MS ?? 5000);
  if (!Number.isInteger(timeout) || timeout < 100)
    throw new Error('DB_CONNECT_TIMEOUT_MS must be an integer ≥ 100');
  return {
    secretName,
    tableName,
    cachePort,
    ...(env.AWS_SESSION_TOKEN ? { sessionToken: env.AWS_SESSION_TOKEN } : {}),
    ...(secretsManagerEndpoint(env) ? { secretsManagerEndpoint: secretsManagerEndpoint(env)! } : {}),
    connect: {
      connectTimeoutMs: timeout,
      ...(env.DB_TLS_CA_FILE ? { tlsCa: readFileSync(env.DB_TLS_CA_FILE, 'utf8') } : {}),
    },
  };
}

type Freshness = 'cached' | 'fresh';

/** Where the secret comes from: the cache extension when it answers, else Secrets Manager. */
class SecretSource {
  private cacheAvailable: Promise<boolean> | undefined;
  private readonly cache: CacheClient;
  private readonly direct: SecretsManagerClient;

  constructor(private readonly config: RecordCountConfig) {
    this.cache = new CacheClient(config.cachePort, config.sessionToken ?? '');
    this.direct = new SecretsManagerClient(
      config.secretsManagerEndpoint ? { endpoint: config.secretsManagerEndpoint } : {},
    );
  }

  /** The secret at `stage`, or undefined when no version has that stage. */
  async get(stage: 'AWSCURRENT' | 'AWSPENDING', freshness: Freshness): Promise<DatabaseSecret | undefined> {
    const id = this.config.secretName;
    if (await this.useCache()) {
      try {
        const value = await this.cache.get<{ SecretString?: string }>(
          '/secretsmanager/get',
          { secretId: id, versionStage: stage },
          freshness === 'fresh' ? 'recache' : undefined,
        );
        return parseDatabaseSecret(value.SecretString, `${id} (${stage})`);
      } catch (e) {
        if (e instanceof CacheNotFoundError) return undefined;
        throw e;
      }
    }
    try {
      const value = await this.direct.send(new GetSecretValueCommand({ SecretId: id, VersionStage: stage }));
      return parseDatabaseSecret(value.SecretString, `${id} (${stage})`);
    } catch (e) {
      if (e instanceof ResourceNotFoundException) return undefined;
      throw e;
    }
  }

  async name(): Promise<SecretSourceName> {
    return (await this.useCache()) ? 'cache-extension' : 'secrets-manager';
  }

  /** Asked once per environment: the extension is either in the layers or not. */
  private useCache(): Promise<boolean> {
    if (!this.config.sessionToken) return Promise.resolve(false);
    this.cacheAvailable ??= ping(this.config.cachePort);
    return this.cacheAvailable;
  }

  destroy(): void {
    this.direct.destroy();
  }
}

function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, path: '/ping', timeout: 500 }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
  });
}

const sameCredentials = (a: DatabaseSecret, b: DatabaseSecret) =>
  a.username === b.username && a.password === b.password && a.host === b.host && a.port === b.port;

export class RecordCounter {
  private readonly source: SecretSource;

  constructor(private readonly config: RecordCountConfig) {
    this.source = new SecretSource(config);
  }

  async count(): Promise<RecordCount> {
    const attempts: Array<{ secretOf: () => Promise<DatabaseSecret | undefined>; fallback: boolean }> = [
      { secretOf: () => this.source.get('AWSCURRENT', 'cached'), fallback: false },
      { secretOf: () => this.source.get('AWSCURRENT', 'fresh'), fallback: false },
      // Mid single-user rotation (after setSecret, before finishSecret) the database takes AWSPENDING.
      { secretOf: () => this.source.get('AWSPENDING', 'fresh'), fallback: true },
    ];
    let refused: unknown;
    let seen: DatabaseSecret | undefined;
    for (const { secretOf, fallback } of attempts) {
      let secret: DatabaseSecret | undefined;
      try {
        secret = await secretOf();
        // Without the cache, "fresh" is the value just tried: no second identical attempt.
        if (!secret || (seen && sameCredentials(seen, secret))) continue;
        seen = secret;
        const count = await this.countWith(secret);
        return { table: this.config.tableName, count, secretSource: await this.source.name() };
      } catch (e) {
        // The fallback is a guess: its failure never hides why AWSCURRENT was refused.
        if (fallback && refused) continue;
        // Only a refused login means the secret is stale; anything else is the answer.
        if (!(e instanceof LoginError && e.reason === 'authentication')) throw e;
        refused ??= e;
      }
    }
    throw refused ?? new Error(`secret ${this.config.secretName} has no AWSCURRENT value`);
  }

  async checkSecret(): Promise<SecretCheck> {
    const secret = await this.source.get('AWSCURRENT', 'cached');
    if (!secret) throw new Error(`secret ${this.config.secretName} has no AWSCURRENT value`);
    return {
      check: 'secret',
      secretSource: await this.source.name(),
      engine: secret.engine,
      host: secret.host,
      port: secret.port,
      username: secret.username,
      ssl: secret.ssl,
    };
  }

  private async countWith(secret: DatabaseSecret): Promise<number> {
    const session = await connect(secret, this.config.connect);
    try {
      return await session.countRows(this.config.tableName);
    } finally {
      await session.close();
    }
  }

  destroy(): void {
    this.source.destroy();
  }
}

// Parsed once per execution environment.
let counter: RecordCounter | undefined;

/**
 * `{}` (or any event without `check`) counts. `{"check": "secret"}`, to invoke by hand after a deploy
 * or a rotation: reads and validates the secret the way a count does, without the database, and says
 * where it came from and which database it names (never the password).
 */
export const handler = async (event?: unknown): Promise<RecordCount | SecretCheck> => {
  counter ??= new RecordCounter(configFromEnv(process.env));
  if (typeof event === 'object' && event !== null && 'check' in event) {
    if ((event as { check: unknown }).check !== 'secret')
      throw new Error('record-count event: "check" must be "secret" (or leave it out to count)');
    return counter.checkSecret();
  }
  return counter.count();
};
