/**
 * The local cloud end to end, on a small application (fixtures/app) that declares a table, a bucket,
 * a parameter, a generated secret, a queue with a dead-letter queue, and functions on SQS, on an
 * EventBridge pattern and as a rotation function. Everything goes through the real AWS SDK v3.
 */
import { cpSync, mkdtempSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { InvokeCommand, LambdaClient, ListTagsCommand, TagResourceCommand } from '@aws-sdk/client-lambda';
import {
  DescribeSecretCommand,
  GetSecretValueCommand,
  RotateSecretCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import {
  GetQueueUrlCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { projectRoot } from '../checks/test-fixtures';
import { spawnedGroupIds, survivingGroups } from '../sandbox/process-group';
import { LocalCloud } from './local-cloud';
import { LOCAL_CREDENTIALS, parseSeedData } from './seed';
import { ManualClock } from './eventbridge/manual-clock';

let cloud: LocalCloud;
const clock = new ManualClock(Date.parse('2026-11-21T12:00:00Z'));
const sdk = { region: 'us-east-1', credentials: LOCAL_CREDENTIALS };

beforeAll(async () => {
  const root = mkdtempSync(join(tmpdir(), 'local-cloud-'));
  cpSync(join(__dirname, 'fixtures', 'app'), root, { recursive: true });
  symlinkSync(join(projectRoot, 'node_modules'), join(root, 'node_modules'));
  cloud = await LocalCloud.start({
    root,
    clock,
    seedData: {
      dynamodb: { ItemsTable: [{ pk: 'seed', note: 'from seed data' }] },
      s3: { ArchiveBucket: { 'hello.txt': 'hello from s3' } },
    },
  });
}, 300_000);

afterAll(async () => {
  await cloud?.stop();
  expect(survivingGroups(spawnedGroupIds.splice(0))).toEqual([]);
});

const waitFor = async <T>(
  probe: () => Promise<T | undefined>,
  what: string,
  timeoutMs = 15_000,
): Promise<T> => {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
};

const itemExists = (pk: string) => async () => {
  const dynamodb = new DynamoDBClient({ ...sdk, endpoint: cloud.endpoints.dynamodb });
  const { Item } = await dynamodb.send(new GetItemCommand({ TableName: 'items', Key: { pk: { S: pk } } }));
  return Item ? true : undefined;
};

describe('local cloud', () => {
  it('seeds every declared resource, then the sample data', () => {
    expect(cloud.seeded.map((s) => `${s.logicalId}=${s.name}`).sort()).toEqual([
      'ArchiveBucket=archivebucket',
      expect.stringMatching(
        /^DbSecret=arn:aws:secretsmanager:us-east-1:123456789012:secret:app\/db-[A-Za-z0-9]{6}$/,
      ),
      'GreetingParameter=/app/greeting',
      'ItemsTable=items',
      'WorkDeadLetterQueue=' + `${cloud.endpoints.sqs}/123456789012/work-dlq`,
      'WorkQueue=' + `${cloud.endpoints.sqs}/123456789012/work`,
    ]);
  });

  it('runs functions whose plain SDK clients reach every service through AWS_ENDPOINT_URL_*', async () => {
    const lambda = new LambdaClient({ ...sdk, endpoint: cloud.endpoints.lambda });
    const out = await lambda.send(new InvokeCommand({ FunctionName: 'ReaderFunction', LogType: 'Tail' }));
    expect(out.FunctionError).toBeUndefined();
    const body = JSON.parse(Buffer.from(out.Payload!).toString('utf8'));
    expect(body.item).toEqual({ pk: { S: 'seed' }, note: { S: 'from seed data' } });
    expect(body.object).toBe('hello from s3');
    expect(body.parameter).toBe('hello from parameter store');
    expect(body.secret.username).toBe('app');
    expect(body.secret.password).toMatch(/^[^"@/\\]{20}$/);
    expect(Buffer.from(out.LogResult!, 'base64').toString('utf8')).toMatch(/REPORT RequestId: /);
  });

  it('registers the functions in the Lambda control plane, which announced them to EventBridge rules', async () => {
    const lambda = new LambdaClient({ ...sdk, endpoint: cloud.endpoints.lambda });
    const arn = 'arn:aws:lambda:us-east-1:123456789012:function:app-rotator';
    expect((await lambda.send(new ListTagsCommand({ Resource: arn }))).Tags).toEqual({});
    // The watcher's pattern rule matched the CreateFunction events of the start-up.
    await waitFor(itemExists('created#ReaderFunction'), 'the watcher to record ReaderFunction');
    await waitFor(itemExists('created#app-rotator'), 'the watcher to record app-rotator');
    // Re-tagging through the API emits TagResource20170331v2, which the same rule matches.
    await lambda.send(new TagResourceCommand({ Resource: arn, Tags: { team: 'platform' } }));
    expect((await lambda.send(new ListTagsCommand({ Resource: arn }))).Tags).toEqual({ team: 'platform' });
    await waitFor(itemExists('tagged#app-rotator'), 'the watcher to record the tagging');
  });

  it('drives an SQS event source with partial batch failures, redriving poison to the DLQ', async () => {
    const sqs = new SQSClient({ ...sdk, endpoint: cloud.endpoints.sqs });
    const { QueueUrl } = await sqs.send(new GetQueueUrlCommand({ QueueName: 'work' }));
    for (const body of ['one', 'poison', 'two'])
      await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: body }));
    await waitFor(itemExists('work#one'), 'message one');
    await waitFor(itemExists('work#two'), 'message two');
    const { QueueUrl: dlq } = await sqs.send(new GetQueueUrlCommand({ QueueName: 'work-dlq' }));
    const dead = await waitFor(async () => {
      const { Messages } = await sqs.send(new ReceiveMessageCommand({ QueueUrl: dlq, WaitTimeSeconds: 1 }));
      return Messages?.length ? Messages : undefined;
    }, 'the poison message in the DLQ');
    expect(dead.map((m) => m.Body)).toEqual(['poison']);
  });

  it('runs a Schedule rule’s function with its Input when the schedule fires', async () => {
    expect(await itemExists('tick#scheduled')()).toBeUndefined();
    await clock.advance(5 * 60 * 1000);
    await waitFor(itemExists('tick#scheduled'), 'the scheduled run');
  });

  it('rotates a secret by running the rotation function through its four steps', async () => {
    const secrets = new SecretsManagerClient({ ...sdk, endpoint: cloud.endpoints.secretsmanager });
    const before = await secrets.send(new GetSecretValueCommand({ SecretId: 'app/db' }));
    await secrets.send(
      new RotateSecretCommand({
        SecretId: 'app/db',
        RotationLambdaARN: 'arn:aws:lambda:us-east-1:123456789012:function:app-rotator',
        RotateImmediately: true,
      }),
    );
    const after = await secrets.send(new GetSecretValueCommand({ SecretId: 'app/db' }));
    expect(after.VersionId).not.toBe(before.VersionId);
    expect(JSON.parse(after.SecretString!).username).toBe('app');
    const stages = (await secrets.send(new DescribeSecretCommand({ SecretId: 'app/db' })))
      .VersionIdsToStages!;
    expect(stages[before.VersionId!]).toEqual(['AWSPREVIOUS']);
    expect(stages[after.VersionId!]).toContain('AWSCURRENT');
  });
});

describe('sample data file', () => {
  it('accepts the documented shape and refuses anything else with the file and the rule', () => {
    expect(parseSeedData('{"dynamodb":{"T":[{"pk":"a"}]},"s3":{"B":{"k":"v"}}}', 'f.json')).toEqual({
      dynamodb: { T: [{ pk: 'a' }] },
      s3: { B: { k: 'v' } },
    });
    expect(() => parseSeedData('{"dynamodb":{"T":{"pk":"a"}}}', 'f.json')).toThrow(
      'f.json: "dynamodb" maps each table\'s logical id to a list of items (objects)',
    );
    expect(() => parseSeedData('{"s3":{"B":{"k":1}}}', 'f.json')).toThrow(
      'f.json: "s3" maps each bucket\'s logical id to {key: text}',
    );
    expect(() => parseSeedData('{nope', 'f.json')).toThrow(/^f\.json: not valid JSON/);
  });
});
