import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { spawnedGroupIds, survivingGroups } from '../../local/sandbox/process-group';
import { sdkConfig, startTestCloud, type TestCloud } from '../../local/cloud/test-cloud';

/**
 * Points 1 and 7 of issue 9 on the local cloud, with no sample data: DatabaseEntry puts the item the
 * cache demo then reads through the extension; the demo reports cold starts and its log level, which
 * follows the parameter after the TTL with no redeploy.
 */
const LOG_LEVEL_TTL_S = 3;
let samples: TestCloud;

beforeAll(async () => {
  samples = await startTestCloud(
    [
      'HttpApi',
      'CacheExtensionLayer',
      'CacheDemoTable',
      'CacheDemoGreetingParameter',
      'CacheDemoLogLevelParameter',
      'CacheDemoApiKeySecret',
      'CacheDemoFunction',
      'DatabaseEntryFunction',
    ],
    {
      // The demo's 30 s TTL for the log level, shortened so the test need not wait that long.
      prepare: (root) => {
        const file = join(root, 'functions/cache-demo/config.yaml');
        const config = readFileSync(file, 'utf8');
        if (!/ttl: 30s/.test(config)) throw new Error('config.yaml no longer has the log level TTL of 30s');
        writeFileSync(file, config.replace('ttl: 30s', `ttl: ${LOG_LEVEL_TTL_S}s`));
      },
    },
  );
}, 300_000);

afterAll(async () => {
  await samples?.stop();
  expect(survivingGroups(spawnedGroupIds.splice(0))).toEqual([]);
});

const demo = async () => {
  const res = await fetch(`${samples.gateway.url}/cache-demo`);
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
};

describe('samples: DatabaseEntry and the cache demo', () => {
  it('DatabaseEntry puts the sample item, refusing a bad event with 400', async () => {
    const bad = await samples.cloud.invoke('DatabaseEntryFunction', JSON.stringify({ pk: 'a b' }));
    expect(bad.errorType).toBeUndefined();
    expect(JSON.parse(bad.payload.toString('utf8'))).toMatchObject({ statusCode: 400 });
    const dynamodb = new DynamoDBClient({ ...sdkConfig, endpoint: samples.cloud.endpoints.dynamodb });
    const key = { pk: { S: 'item1' }, sk: { S: 'v0' } };
    expect(
      (await dynamodb.send(new GetItemCommand({ TableName: 'cache-demo-items', Key: key }))).Item,
    ).toBeUndefined();
    const put = await samples.cloud.invoke('DatabaseEntryFunction', '{}');
    expect(JSON.parse(put.payload.toString('utf8'))).toMatchObject({
      statusCode: 200,
      message: 'put item1/v0',
    });
    const { Item } = await dynamodb.send(new GetItemCommand({ TableName: 'cache-demo-items', Key: key }));
    expect(Item?.message?.S).toBe('hello from DynamoDB, through the cache extension');
  });

  it('the cache demo returns the item, parameter, secret length, ColdStart and LogLevel', async () => {
    const first = await demo();
    expect(first.status).toBe(200);
    expect(first.body).toEqual({
      item: { pk: 'item1', sk: 'v0', message: 'hello from DynamoDB, through the cache extension' },
      greeting: 'hello from Parameter Store, through the cache extension',
      logLevel: 'INFO',
      coldStart: true,
      apiKeyLength: 32,
    });
    expect((await demo()).body.coldStart).toBe(false);
  });

  it('follows a changed log level after its TTL, without a redeploy', async () => {
    // Read once so the cached value's age starts now.
    expect((await demo()).body.logLevel).toBe('INFO');
    const ssm = new SSMClient({ ...sdkConfig, endpoint: samples.cloud.endpoints.ssm });
    await ssm.send(
      new PutParameterCommand({ Name: '/cache-demo/log-level', Value: 'DEBUG', Overwrite: true }),
    );
    const changedAt = Date.now();
    expect((await demo()).body.logLevel).toBe('INFO');
    let level: unknown = 'INFO';
    while (level === 'INFO' && Date.now() - changedAt < (LOG_LEVEL_TTL_S + 10) * 1000) {
      await new Promise((r) => setTimeout(r, 500));
      level = (await demo()).body.logLevel;
    }
    expect(level).toBe('DEBUG');
    expect(Date.now() - changedAt).toBeGreaterThanOrEqual((LOG_LEVEL_TTL_S - 1) * 1000);
  }, 30_000);
});
