import type { AttributeValue, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { SSMClient } from '@aws-sdk/client-ssm';
import type { DynamoDbItem, KeyAttribute } from './cache-config';
import { UpstreamError, type Fetcher } from './cache-store';

type AwsClients = typeof import('./aws-clients');

/** The SDK clients, loaded (and, in the layer, compiled) on the first upstream call, not at start. */
function awsClients(): AwsClients {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require('./aws-clients') as AwsClients;
}

/**
 * Where cached values come from: SSM GetParameter, Secrets Manager GetSecretValue (after the TTL,
 * DescribeSecret first decides whether a new version exists) and DynamoDB GetItem. What is cached is
 * the response body, serialized once, so a hit is served without any JSON work.
 */
export interface CachedBody {
  /** The JSON the HTTP routes answer with. */
  body: string;
  /** Secrets: the version the body holds, for the conditional refresh. */
  versionId?: string;
}

/** Short timeouts and one retry: a cache should fail over to its stale value fast, not hang. */
const CLIENT_CONFIG = { maxAttempts: 2, requestHandler: { connectionTimeout: 2000, requestTimeout: 5000 } };

const NOT_FOUND = new Set(['ParameterNotFound', 'ParameterVersionNotFound', 'ResourceNotFoundException']);
const BAD_REQUEST = new Set([
  'ValidationException',
  'InvalidParameterException',
  'InvalidParameterValueException',
  'InvalidKeyId',
  'InvalidRequestException',
]);
const TRANSIENT = new Set([
  'ThrottlingException',
  'ThrottledException',
  'TooManyRequestsException',
  'TooManyUpdates',
  'ProvisionedThroughputExceededException',
  'RequestLimitExceeded',
  'InternalServerError',
  'InternalServiceError',
  'InternalFailure',
  'ServiceUnavailable',
  'ServiceUnavailableException',
]);
const NETWORK = new Set([
  'TimeoutError',
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

/** The error contract: 404 not found upstream, 400 bad request, 502 upstream failure, 504 unreachable. */
export function toUpstreamError(e: unknown): UpstreamError {
  if (e instanceof UpstreamError) return e;
  const err = e as {
    name?: string;
    code?: string;
    message?: string;
    $metadata?: { httpStatusCode?: number };
  };
  const code = err.name && err.name !== 'Error' ? err.name : (err.code ?? 'UnknownError');
  const message = err.message ?? String(e);
  if (NOT_FOUND.has(code)) return new UpstreamError(404, code, message, false);
  if (BAD_REQUEST.has(code)) return new UpstreamError(400, code, message, false);
  if (NETWORK.has(code) || NETWORK.has(err.code ?? '')) return new UpstreamError(504, code, message, true);
  const status = err.$metadata?.httpStatusCode ?? 0;
  return new UpstreamError(502, code, message, TRANSIENT.has(code) || status >= 500 || status === 429);
}

const guard =
  <V>(fetch: Fetcher<V>): Fetcher<V> =>
  async (previous) => {
    try {
      return await fetch(previous);
    } catch (e) {
      throw toUpstreamError(e);
    }
  };

const bodyOf = (value: unknown, versionId?: string): { value: CachedBody; bytes: number } => {
  const body = JSON.stringify(value);
  return { value: { body, ...(versionId ? { versionId } : {}) }, bytes: Buffer.byteLength(body) };
};

/** The AWS SDK clients, created on first use per region; their modules load only when needed. */
export class Sources {
  private readonly clients = new Map<string, unknown>();

  constructor(private readonly defaultRegion: string | undefined = process.env.AWS_REGION) {}

  private client<T>(service: string, region: string | undefined, create: (config: object) => T): T {
    const key = `${service}:${region ?? this.defaultRegion}`;
    let client = this.clients.get(key) as T | undefined;
    if (!client) {
      client = create({ ...CLIENT_CONFIG, ...(region ? { region } : {}) });
      this.clients.set(key, client);
    }
    return client;
  }

  private ssm(region?: string): { client: SSMClient; sdk: AwsClients } {
    const sdk = awsClients();
    return { sdk, client: this.client('ssm', region, (c) => new sdk.SSMClient(c)) };
  }

  private secretsManager(region?: string): { client: SecretsManagerClient; sdk: AwsClients } {
    const sdk = awsClients();
    return { sdk, client: this.client('secretsmanager', region, (c) => new sdk.SecretsManagerClient(c)) };
  }

  private dynamodb(region?: string): { client: DynamoDBClient; sdk: AwsClients } {
    const sdk = awsClients();
    return { sdk, client: this.client('dynamodb', region, (c) => new sdk.DynamoDBClient(c)) };
  }

  /** GetParameter's whole response (`{Parameter: {...}}`), as AWS's extension answers it. */
  parameter(
    name: string,
    opts: { region?: string; selector?: string; withDecryption: boolean },
  ): Fetcher<CachedBody> {
    return guard(async () => {
      const { sdk, client } = this.ssm(opts.region);
      const out = await client.send(
        new sdk.GetParameterCommand({
          Name: opts.selector ? `${name}:${opts.selector}` : name,
          WithDecryption: opts.withDecryption,
        }),
      );
      return bodyOf({ Parameter: out.Parameter });
    });
  }

  /**
   * GetSecretValue's response. After the TTL, DescribeSecret says which version holds the stage: if
   * it is the cached one, the cached value stays (one cheap call instead of a new secret fetch).
   */
  secret(
    id: string,
    opts: { region?: string; versionId?: string; versionStage?: string },
  ): Fetcher<CachedBody> {
    return guard(async (previous) => {
      const { sdk, client } = this.secretsManager(opts.region);
      if (previous?.value.versionId && !opts.versionId) {
        const described = await client.send(new sdk.DescribeSecretCommand({ SecretId: id }));
        const stage = opts.versionStage ?? 'AWSCURRENT';
        const current = Object.entries(described.VersionIdsToStages ?? {}).find(([, stages]) =>
          stages.includes(stage),
        )?.[0];
        if (current === previous.value.versionId) return { unchanged: true };
      }
      const out = await client.send(
        new sdk.GetSecretValueCommand({
          SecretId: id,
          ...(opts.versionId ? { VersionId: opts.versionId } : {}),
          ...(opts.versionStage ? { VersionStage: opts.versionStage } : {}),
        }),
      );
      const { $metadata, ...response } = out;
      void $metadata; // HTTP details of the call, not part of the secret's JSON
      return bodyOf(
        {
          ...response,
          ...(out.SecretBinary ? { SecretBinary: Buffer.from(out.SecretBinary).toString('base64') } : {}),
        },
        out.VersionId,
      );
    });
  }

  /** The item, unmarshalled to plain JSON (numbers as numbers, binary as base64). */
  dynamoItem(item: DynamoDbItem): Fetcher<CachedBody> {
    return guard(async () => {
      const { sdk, client } = this.dynamodb(item.region);
      const out = await client.send(
        new sdk.GetItemCommand({
          TableName: item.table,
          Key: {
            [item.hashKey.name]: attribute(item.hashKey),
            ...(item.sortKey ? { [item.sortKey.name]: attribute(item.sortKey) } : {}),
          },
        }),
      );
      if (!out.Item)
        throw new UpstreamError(404, 'ItemNotFound', `No item ${item.name} in table ${item.table}`, false);
      return bodyOf(unmarshall(out.Item));
    });
  }
}

function attribute(key: KeyAttribute): AttributeValue {
  if (key.type === 'B') return { B: Buffer.from(key.value, 'base64') };
  return key.type === 'N' ? { N: key.value } : { S: key.value };
}

/** DynamoDB's attribute-value JSON to plain JSON (no util-dynamodb: one fewer module to load). */
export function unmarshall(item: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(item).map(([k, v]) => [k, value(v as Record<string, unknown>)]));
}

function value(av: Record<string, unknown>): unknown {
  const [type, v] = Object.entries(av)[0] ?? ['NULL', true];
  switch (type) {
    case 'S':
      return v;
    case 'N':
      return Number(v);
    case 'B':
      return Buffer.from(v as Uint8Array).toString('base64');
    case 'BOOL':
      return v;
    case 'NULL':
      return null;
    case 'SS':
      return v;
    case 'NS':
      return (v as string[]).map(Number);
    case 'BS':
      return (v as Uint8Array[]).map((b) => Buffer.from(b).toString('base64'));
    case 'L':
      return (v as Record<string, unknown>[]).map(value);
    case 'M':
      return unmarshall(v as Record<string, unknown>);
    default:
      return v;
  }
}
