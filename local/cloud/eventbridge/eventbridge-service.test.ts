import type { Server } from 'node:http';
import {
  DeleteRuleCommand,
  DescribeRuleCommand,
  DisableRuleCommand,
  EnableRuleCommand,
  EventBridgeClient,
  ListRulesCommand,
  ListTargetsByRuleCommand,
  PutEventsCommand,
  PutRuleCommand,
  PutTargetsCommand,
  RemoveTargetsCommand,
  CreateArchiveCommand,
} from '@aws-sdk/client-eventbridge';
import { startAwsJsonServer } from '../aws-json-protocol';
import { LocalEventBus, type DeadLetterRecord, type DeliveryContext, type EventEnvelope } from './event-bus';
import { eventBridgeService, type TargetInvoker } from './eventbridge-service';

const REGION = 'us-east-1';
const ACCOUNT = '123456789012';
const FN = `arn:aws:lambda:${REGION}:${ACCOUNT}:function:orders-handler`;
const MISSING_FN = `arn:aws:lambda:${REGION}:${ACCOUNT}:function:not-deployed`;
const DLQ = `arn:aws:sqs:${REGION}:${ACCOUNT}:orders-dlq`;

let server: Server;
let client: EventBridgeClient;
let bus: LocalEventBus;
const invocations: { arn: string; payload: unknown; context: DeliveryContext }[] = [];
const deadLetters: DeadLetterRecord[] = [];
let waiters: (() => void)[] = [];

/** Resolves once `count` target invocations have been recorded. */
const invoked = (count: number) =>
  new Promise<void>((resolve) => {
    const check = () => (invocations.length >= count ? resolve() : waiters.push(check));
    check();
  });

beforeAll(async () => {
  bus = new LocalEventBus({ account: ACCOUNT, region: REGION });
  const functions = new Map<string, TargetInvoker>([
    [
      FN,
      (payload, context) => {
        invocations.push({ arn: FN, payload, context });
        for (const w of waiters.splice(0)) w();
      },
    ],
  ]);
  const started = await startAwsJsonServer(
    eventBridgeService({
      bus,
      resolveTarget: (arn) => functions.get(arn),
      resolveDeadLetter: (arn) => (arn === DLQ ? (record) => void deadLetters.push(record) : undefined),
    }),
  );
  server = started.server;
  client = new EventBridgeClient({
    endpoint: started.endpoint,
    region: REGION,
    credentials: { accessKeyId: 'AKIDLOCAL', secretAccessKey: 'local-secret' },
    maxAttempts: 1,
  });
});

afterAll(async () => {
  client.destroy();
  bus.close();
  await new Promise((resolve) => server.close(resolve));
});

beforeEach(() => {
  invocations.length = 0;
  deadLetters.length = 0;
  waiters = [];
});

const errorOf = async (p: Promise<unknown>) => {
  try {
    await p;
  } catch (e) {
    return { name: (e as Error).name, message: (e as Error).message };
  }
  throw new Error('expected the call to fail');
};

test('PutRule + PutTargets + PutEvents deliver the event to the Lambda target', async () => {
  const { RuleArn } = await client.send(
    new PutRuleCommand({
      Name: 'orders-placed',
      EventPattern: JSON.stringify({ source: ['com.example.orders'], 'detail-type': ['Order Placed'] }),
      Description: 'orders to the handler',
    }),
  );
  expect(RuleArn).toBe(`arn:aws:events:${REGION}:${ACCOUNT}:rule/orders-placed`);
  const put = await client.send(
    new PutTargetsCommand({
      Rule: 'orders-placed',
      Targets: [
        { Id: 'handler', Arn: FN, RetryPolicy: { MaximumRetryAttempts: 3, MaximumEventAgeInSeconds: 600 } },
      ],
    }),
  );
  expect(put.FailedEntryCount).toBe(0);

  const result = await client.send(
    new PutEventsCommand({
      Entries: [
        {
          Source: 'com.example.orders',
          DetailType: 'Order Placed',
          Detail: JSON.stringify({ orderId: 'o-7' }),
          Time: new Date('2025-03-04T05:06:07Z'),
          Resources: ['arn:aws:dynamodb:us-east-1:123456789012:table/orders'],
        },
        { Source: 'com.example.orders', DetailType: 'Order Shipped', Detail: '{}' },
        { Source: 'com.example.orders', Detail: '{}' },
      ],
    }),
  );
  expect(result.FailedEntryCount).toBe(1);
  expect(result.Entries?.[2]).toEqual({
    ErrorCode: 'InvalidArgument',
    ErrorMessage: 'Parameter DetailType is not valid. Reason: DetailType is a required argument.',
  });

  await invoked(1);
  expect(invocations).toHaveLength(1);
  expect(invocations[0]!.payload).toEqual({
    version: '0',
    id: result.Entries?.[0]?.EventId,
    'detail-type': 'Order Placed',
    source: 'com.example.orders',
    account: ACCOUNT,
    time: '2025-03-04T05:06:07Z',
    region: REGION,
    resources: ['arn:aws:dynamodb:us-east-1:123456789012:table/orders'],
    detail: { orderId: 'o-7' },
  });
  expect(invocations[0]!.context).toMatchObject({
    ruleName: 'orders-placed',
    targetId: 'handler',
    attempt: 1,
  });
});

test('DescribeRule, ListRules (with paging) and ListTargetsByRule', async () => {
  await client.send(
    new PutRuleCommand({ Name: 'nightly', ScheduleExpression: 'cron(0 3 * * ? *)', State: 'DISABLED' }),
  );
  await client.send(
    new PutTargetsCommand({
      Rule: 'nightly',
      Targets: [{ Id: 'job', Arn: FN, Input: '{"job":"nightly"}', DeadLetterConfig: { Arn: DLQ } }],
    }),
  );
  const described = await client.send(new DescribeRuleCommand({ Name: 'nightly' }));
  expect(described).toMatchObject({
    Name: 'nightly',
    Arn: `arn:aws:events:${REGION}:${ACCOUNT}:rule/nightly`,
    ScheduleExpression: 'cron(0 3 * * ? *)',
    State: 'DISABLED',
    EventBusName: 'default',
    CreatedBy: ACCOUNT,
  });
  expect(described.EventPattern).toBeUndefined();

  const first = await client.send(new ListRulesCommand({ Limit: 1 }));
  expect(first.Rules?.map((r) => r.Name)).toEqual(['nightly']);
  expect(first.NextToken).toBeDefined();
  const second = await client.send(new ListRulesCommand({ Limit: 1, NextToken: first.NextToken }));
  expect(second.Rules?.map((r) => r.Name)).toEqual(['orders-placed']);
  expect(second.NextToken).toBeUndefined();
  const prefixed = await client.send(new ListRulesCommand({ NamePrefix: 'orders' }));
  expect(prefixed.Rules).toEqual([
    expect.objectContaining({
      Name: 'orders-placed',
      State: 'ENABLED',
      Description: 'orders to the handler',
    }),
  ]);

  const targets = await client.send(new ListTargetsByRuleCommand({ Rule: 'nightly' }));
  expect(targets.Targets).toEqual([
    { Id: 'job', Arn: FN, Input: '{"job":"nightly"}', DeadLetterConfig: { Arn: DLQ } },
  ]);

  await client.send(new EnableRuleCommand({ Name: 'nightly' }));
  expect((await client.send(new DescribeRuleCommand({ Name: 'nightly' }))).State).toBe('ENABLED');
  await client.send(new DisableRuleCommand({ Name: 'nightly' }));
  expect((await client.send(new DescribeRuleCommand({ Name: 'nightly' }))).State).toBe('DISABLED');
});

test('errors come back as the SDK exceptions EventBridge uses', async () => {
  expect(
    await errorOf(
      client.send(
        new PutRuleCommand({ Name: 'bad', EventPattern: '{"source":[{"numeric":[">",5,">",9]}]}' }),
      ),
    ),
  ).toEqual({
    name: 'InvalidEventPatternException',
    message:
      'Event pattern is not valid. Reason: Bad numeric range operator: > (a range ends with < or <=) (at source)',
  });
  expect(
    await errorOf(client.send(new PutRuleCommand({ Name: 'bad', ScheduleExpression: 'rate(5 minute)' }))),
  ).toEqual({
    name: 'ValidationException',
    message: expect.stringContaining('a rate above 1 takes the plural unit: rate(5 minutes)'),
  });
  expect(await errorOf(client.send(new PutRuleCommand({ Name: 'bad' })))).toEqual({
    name: 'ValidationException',
    message: 'Parameter(s) EventPattern or ScheduleExpression must be specified.',
  });
  expect(await errorOf(client.send(new DescribeRuleCommand({ Name: 'nope' })))).toEqual({
    name: 'ResourceNotFoundException',
    message: 'Rule nope does not exist on EventBus default.',
  });
  expect(
    await errorOf(
      client.send(new PutRuleCommand({ Name: 'x', EventPattern: '{}', EventBusName: 'payments' })),
    ),
  ).toEqual({ name: 'ResourceNotFoundException', message: 'Event bus payments does not exist.' });
  expect(await errorOf(client.send(new DeleteRuleCommand({ Name: 'nightly' })))).toEqual({
    name: 'ValidationException',
    message: "Rule can't be deleted since it has targets.",
  });
  expect(
    await errorOf(
      client.send(
        new PutEventsCommand({
          Entries: Array.from({ length: 11 }, () => ({ Source: 'a', DetailType: 'b', Detail: '{}' })),
        }),
      ),
    ),
  ).toMatchObject({ name: 'ValidationException' });
});

test('RemoveTargets then DeleteRule', async () => {
  await client.send(new RemoveTargetsCommand({ Rule: 'nightly', Ids: ['job'] }));
  await client.send(new DeleteRuleCommand({ Name: 'nightly' }));
  expect(await errorOf(client.send(new DescribeRuleCommand({ Name: 'nightly' })))).toMatchObject({
    name: 'ResourceNotFoundException',
  });
  await client.send(new DeleteRuleCommand({ Name: 'nightly' })); // deleting again is not an error
});

test('a target ARN that resolves to nothing goes straight to its dead-letter queue', async () => {
  await client.send(
    new PutRuleCommand({
      Name: 'to-missing',
      EventPattern: JSON.stringify({ source: ['com.example.missing'] }),
    }),
  );
  await client.send(
    new PutTargetsCommand({
      Rule: 'to-missing',
      Targets: [{ Id: 'gone', Arn: MISSING_FN, DeadLetterConfig: { Arn: DLQ } }],
    }),
  );
  await client.send(
    new PutEventsCommand({ Entries: [{ Source: 'com.example.missing', DetailType: 'x', Detail: '{}' }] }),
  );
  await bus.idle();
  expect(deadLetters).toEqual([
    expect.objectContaining({
      ruleName: 'to-missing',
      targetId: 'gone',
      targetArn: MISSING_FN,
      errorCode: 'ResourceNotFoundException',
      errorMessage: `Target ${MISSING_FN} does not exist.`,
      retryAttempts: 0,
    }),
  ]);
  expect((deadLetters[0]!.event as EventEnvelope).source).toBe('com.example.missing');
  expect(invocations).toHaveLength(0);
});

test('InputTransformer is refused clearly rather than ignored', async () => {
  expect(
    await errorOf(
      client.send(
        new PutTargetsCommand({
          Rule: 'orders-placed',
          Targets: [
            { Id: 't', Arn: FN, InputTransformer: { InputTemplate: '"<x>"', InputPathsMap: { x: '$.id' } } },
          ],
        }),
      ),
    ),
  ).toEqual({
    name: 'ValidationException',
    message: 'InputTransformer (target t) is not supported by the local emulator.',
  });
});

describe('operations the emulator does not implement', () => {
  it('answers them with an explicit error, never a silent success', async () => {
    const err = (await client
      .send(
        new CreateArchiveCommand({
          ArchiveName: 'a',
          EventSourceArn: 'arn:aws:events:us-east-1:123456789012:event-bus/default',
        }),
      )
      .catch((e: unknown) => e)) as { name: string; $metadata: { httpStatusCode?: number } };
    expect(err.name).toBe('UnknownOperationException');
    expect(err.$metadata.httpStatusCode).toBe(400);
  });
});
