import {
  BatchEntryIdsNotDistinct,
  ChangeMessageVisibilityBatchCommand,
  ChangeMessageVisibilityCommand,
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  DeleteMessageCommand,
  DeleteQueueCommand,
  EmptyBatchRequest,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  InvalidAttributeName,
  ListDeadLetterSourceQueuesCommand,
  ListQueueTagsCommand,
  ListQueuesCommand,
  PurgeQueueCommand,
  PurgeQueueInProgress,
  QueueDoesNotExist,
  QueueNameExists,
  ReceiptHandleIsInvalid,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
  SetQueueAttributesCommand,
  SQSClient,
  SQSServiceException,
  TagQueueCommand,
  TooManyEntriesInBatchRequest,
  UnsupportedOperation,
  UntagQueueCommand,
  StartMessageMoveTaskCommand,
} from '@aws-sdk/client-sqs';
import type { SQSRecord } from 'aws-lambda';
import { md5Hex, md5OfMessageAttributes } from './message-md5';
import { QueueStore } from './queue-store';
import { sqsService, startSqsServer, type SqsService } from './sqs-service';

const T0 = Date.UTC(2025, 0, 1, 12, 0, 0);
let now = T0;
const advance = (seconds: number) => {
  now += seconds * 1000;
};

let store: QueueStore;
let service: SqsService;
let endpoint: string;
let close: () => Promise<void>;
let sqs: SQSClient;

beforeAll(async () => {
  store = new QueueStore({ accountId: '123456789012', region: 'eu-west-1', clock: () => now });
  service = sqsService(store);
  ({ endpoint, close } = await startSqsServer(service));
  sqs = new SQSClient({
    endpoint,
    region: 'eu-west-1',
    credentials: { accessKeyId: 'AKIDLOCALSENDER', secretAccessKey: 'local-secret' },
    maxAttempts: 1,
  });
});

afterAll(async () => {
  sqs.destroy();
  await close();
});

let counter = 0;
async function newQueue(attributes?: Record<string, string>, prefix = 'q'): Promise<string> {
  const QueueName = `${prefix}-${++counter}`;
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName, Attributes: attributes }));
  return QueueUrl!;
}

const nameOf = (url: string) => url.split('/').pop()!;

async function attributes(QueueUrl: string, names: string[] = ['All']) {
  const { Attributes } = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl, AttributeNames: names as never }),
  );
  return Attributes ?? {};
}

async function receive(
  QueueUrl: string,
  extra: Partial<ConstructorParameters<typeof ReceiveMessageCommand>[0]> = {},
) {
  const { Messages } = await sqs.send(
    new ReceiveMessageCommand({
      QueueUrl,
      MaxNumberOfMessages: 10,
      MessageSystemAttributeNames: ['All'],
      ...extra,
    }),
  );
  return Messages ?? [];
}

/** The error a command rejects with. */
async function failure(promise: Promise<unknown>): Promise<SQSServiceException> {
  try {
    await promise;
  } catch (e) {
    return e as SQSServiceException;
  }
  throw new Error('expected the call to fail');
}

describe('queues', () => {
  it('creates a queue with an AWS-form URL and ARN, idempotently for the same attributes', async () => {
    const { QueueUrl } = await sqs.send(
      new CreateQueueCommand({ QueueName: 'orders', Attributes: { VisibilityTimeout: '45' } }),
    );
    expect(QueueUrl).toBe(`${endpoint}/123456789012/orders`);
    const again = await sqs.send(
      new CreateQueueCommand({ QueueName: 'orders', Attributes: { VisibilityTimeout: '45' } }),
    );
    expect(again.QueueUrl).toBe(QueueUrl);

    const e = await failure(
      sqs.send(new CreateQueueCommand({ QueueName: 'orders', Attributes: { VisibilityTimeout: '60' } })),
    );
    expect(e).toBeInstanceOf(QueueNameExists);
    expect(e.name).toBe('QueueNameExists');
    expect((e as unknown as { Code: string }).Code).toBe('QueueAlreadyExists');
    expect(e.message).toMatch(/different value for attribute VisibilityTimeout/);

    const { QueueUrl: byName } = await sqs.send(new GetQueueUrlCommand({ QueueName: 'orders' }));
    expect(byName).toBe(QueueUrl);
  });

  it('reports the defaults and the live counts through GetQueueAttributes', async () => {
    const url = await newQueue();
    const all = await attributes(url);
    expect(all).toMatchObject({
      QueueArn: `arn:aws:sqs:eu-west-1:123456789012:${nameOf(url)}`,
      ApproximateNumberOfMessages: '0',
      ApproximateNumberOfMessagesNotVisible: '0',
      ApproximateNumberOfMessagesDelayed: '0',
      VisibilityTimeout: '30',
      MaximumMessageSize: '1048576',
      MessageRetentionPeriod: '345600',
      DelaySeconds: '0',
      ReceiveMessageWaitTimeSeconds: '0',
      CreatedTimestamp: String(Math.floor(now / 1000)),
    });
    expect(all.RedrivePolicy).toBeUndefined();

    const some = await attributes(url, ['VisibilityTimeout', 'QueueArn']);
    expect(Object.keys(some).sort()).toEqual(['QueueArn', 'VisibilityTimeout']);

    const e = await failure(attributes(url, ['NoSuchAttribute']));
    expect(e).toBeInstanceOf(InvalidAttributeName);
  });

  it('sets attributes, refusing bad values and read-only names', async () => {
    const url = await newQueue();
    await sqs.send(
      new SetQueueAttributesCommand({
        QueueUrl: url,
        Attributes: { VisibilityTimeout: '5', DelaySeconds: '2', ReceiveMessageWaitTimeSeconds: '3' },
      }),
    );
    expect(
      await attributes(url, ['VisibilityTimeout', 'DelaySeconds', 'ReceiveMessageWaitTimeSeconds']),
    ).toEqual({
      VisibilityTimeout: '5',
      DelaySeconds: '2',
      ReceiveMessageWaitTimeSeconds: '3',
    });
    const bad = await failure(
      sqs.send(new SetQueueAttributesCommand({ QueueUrl: url, Attributes: { VisibilityTimeout: '50000' } })),
    );
    expect(bad.name).toBe('InvalidAttributeValue');
    const readOnly = await failure(
      sqs.send(new SetQueueAttributesCommand({ QueueUrl: url, Attributes: { QueueArn: 'x' } })),
    );
    expect(readOnly).toBeInstanceOf(InvalidAttributeName);
  });

  it('refuses FIFO queues clearly', async () => {
    const e = await failure(
      sqs.send(new CreateQueueCommand({ QueueName: 'jobs.fifo', Attributes: { FifoQueue: 'true' } })),
    );
    expect(e).toBeInstanceOf(UnsupportedOperation);
    expect(e.message).toMatch(/FIFO queues are not supported/);
  });

  it('lists queues by prefix with pagination, and deletes them', async () => {
    const a = await newQueue(undefined, 'list');
    const b = await newQueue(undefined, 'list');
    const c = await newQueue(undefined, 'list');
    const listed = await sqs.send(new ListQueuesCommand({ QueueNamePrefix: 'list-' }));
    expect(listed.QueueUrls).toEqual([a, b, c].sort());
    expect(listed.NextToken).toBeUndefined();

    const page1 = await sqs.send(new ListQueuesCommand({ QueueNamePrefix: 'list-', MaxResults: 2 }));
    expect(page1.QueueUrls).toHaveLength(2);
    const page2 = await sqs.send(
      new ListQueuesCommand({ QueueNamePrefix: 'list-', MaxResults: 2, NextToken: page1.NextToken }),
    );
    expect([...page1.QueueUrls!, ...page2.QueueUrls!]).toEqual([a, b, c].sort());
    expect(page2.NextToken).toBeUndefined();

    await sqs.send(new DeleteQueueCommand({ QueueUrl: b }));
    const after = await sqs.send(new ListQueuesCommand({ QueueNamePrefix: 'list-' }));
    expect(after.QueueUrls).toEqual([a, c].sort());

    // AWS keeps the name for 60 s after deletion.
    const recent = await failure(sqs.send(new CreateQueueCommand({ QueueName: nameOf(b) })));
    expect(recent.name).toBe('QueueDeletedRecently');
    advance(61);
    await sqs.send(new CreateQueueCommand({ QueueName: nameOf(b) }));
  });

  it('surfaces an unknown queue as QueueDoesNotExist with the Query code', async () => {
    const e = await failure(sqs.send(new GetQueueUrlCommand({ QueueName: 'missing' })));
    expect(e).toBeInstanceOf(QueueDoesNotExist);
    expect(e.name).toBe('QueueDoesNotExist');
    expect((e as unknown as { Code: string }).Code).toBe('AWS.SimpleQueueService.NonExistentQueue');
    expect(e.$metadata.httpStatusCode).toBe(400);
    expect(e.$fault).toBe('client');

    const send = await failure(
      sqs.send(new SendMessageCommand({ QueueUrl: `${endpoint}/123456789012/missing`, MessageBody: 'x' })),
    );
    expect(send).toBeInstanceOf(QueueDoesNotExist);
    const otherAccount = await failure(
      sqs.send(new SendMessageCommand({ QueueUrl: `${endpoint}/999999999999/orders`, MessageBody: 'x' })),
    );
    expect(otherAccount).toBeInstanceOf(QueueDoesNotExist);
  });

  it('answers errors on the wire as SQS does: __type, x-amzn-query-error, JSON 1.0', async () => {
    const res = await fetch(endpoint, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/x-amz-json-1.0',
        'X-Amz-Target': 'AmazonSQS.GetQueueUrl',
        Authorization:
          'AWS4-HMAC-SHA256 Credential=AKIDLOCALSENDER/20250101/eu-west-1/sqs/aws4_request, SignedHeaders=host, Signature=0',
      },
      body: JSON.stringify({ QueueName: 'missing' }),
    });
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toBe('application/x-amz-json-1.0');
    expect(res.headers.get('x-amzn-query-error')).toBe('AWS.SimpleQueueService.NonExistentQueue;Sender');
    expect(await res.json()).toEqual({
      __type: 'com.amazonaws.sqs#QueueDoesNotExist',
      message: 'The specified queue does not exist.',
    });
  });

  it('tags queues', async () => {
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: 'tagged', tags: { team: 'a' } }));
    await sqs.send(new TagQueueCommand({ QueueUrl, Tags: { env: 'local' } }));
    await sqs.send(new UntagQueueCommand({ QueueUrl, TagKeys: ['team'] }));
    const { Tags } = await sqs.send(new ListQueueTagsCommand({ QueueUrl }));
    expect(Tags).toEqual({ env: 'local' });
  });
});

describe('messages', () => {
  it('sends and receives with body and attribute MD5s the SDK accepts', async () => {
    const url = await newQueue();
    const sent = await sqs.send(
      new SendMessageCommand({
        QueueUrl: url,
        MessageBody: 'héllo wörld ✓',
        MessageAttributes: {
          attribName1: { DataType: 'String', StringValue: 'attribValue 1' },
          customNumberTypeAttrib: {
            DataType: 'Number.float',
            StringValue: '4563442423554324324264524243.32543234',
          },
          binaryAttribute: { DataType: 'Binary', BinaryValue: Buffer.from('Hello binary world!') },
        },
        MessageSystemAttributes: {
          AWSTraceHeader: { DataType: 'String', StringValue: 'Root=1-5759e988-bd862e3fe1be46a994272793' },
        },
      }),
    );
    // The SDK already compared MD5OfMessageBody with its own digest of the body.
    expect(sent.MD5OfMessageAttributes).toBe('c932db14a896c663f83c260297d594ff');
    expect(sent.MD5OfMessageSystemAttributes).toMatch(/^[0-9a-f]{32}$/);

    const [m] = await receive(url, { MessageAttributeNames: ['All'] });
    expect(m).toBeDefined();
    expect(m!.MessageId).toBe(sent.MessageId);
    expect(m!.Body).toBe('héllo wörld ✓');
    expect(m!.MD5OfMessageAttributes).toBe('c932db14a896c663f83c260297d594ff');
    expect(Buffer.from(m!.MessageAttributes!.binaryAttribute!.BinaryValue!).toString()).toBe(
      'Hello binary world!',
    );
    expect(m!.Attributes).toEqual({
      SenderId: 'AKIDLOCALSENDER',
      SentTimestamp: String(now),
      ApproximateReceiveCount: '1',
      ApproximateFirstReceiveTimestamp: String(now),
      AWSTraceHeader: 'Root=1-5759e988-bd862e3fe1be46a994272793',
    });
  });

  it('returns only the requested attributes, with the MD5 of what it returns', async () => {
    const url = await newQueue();
    await sqs.send(
      new SendMessageCommand({
        QueueUrl: url,
        MessageBody: 'x',
        MessageAttributes: {
          'trace.id': { DataType: 'String', StringValue: 'abc' },
          'trace.span': { DataType: 'String', StringValue: 'def' },
          other: { DataType: 'Number', StringValue: '42' },
        },
      }),
    );
    const [m] = await receive(url, {
      MessageAttributeNames: ['trace.*'],
      MessageSystemAttributeNames: ['ApproximateReceiveCount'],
    });
    expect(Object.keys(m!.MessageAttributes!).sort()).toEqual(['trace.id', 'trace.span']);
    expect(m!.Attributes).toEqual({ ApproximateReceiveCount: '1' });
    advance(31);
    const [plain] = await receive(url, { MessageSystemAttributeNames: undefined });
    expect(plain!.MessageAttributes).toBeUndefined();
    expect(plain!.MD5OfMessageAttributes).toBeUndefined();
    expect(plain!.Attributes).toBeUndefined();
  });

  it('hides a received message for the visibility timeout, then redelivers it with a new handle', async () => {
    const url = await newQueue({ VisibilityTimeout: '30' });
    await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'work' }));
    const [first] = await receive(url);
    expect(await receive(url)).toEqual([]);
    expect(
      await attributes(url, ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible']),
    ).toEqual({
      ApproximateNumberOfMessages: '0',
      ApproximateNumberOfMessagesNotVisible: '1',
    });

    advance(29);
    expect(await receive(url)).toEqual([]);
    advance(1);
    const [second] = await receive(url);
    expect(second!.MessageId).toBe(first!.MessageId);
    expect(second!.ReceiptHandle).not.toBe(first!.ReceiptHandle);
    expect(second!.Attributes!.ApproximateReceiveCount).toBe('2');
    expect(second!.Attributes!.ApproximateFirstReceiveTimestamp).toBe(
      first!.Attributes!.ApproximateFirstReceiveTimestamp,
    );

    // A handle from an earlier receive is accepted but deletes nothing (the documented behaviour).
    await sqs.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: first!.ReceiptHandle }));
    expect(
      (await attributes(url, ['ApproximateNumberOfMessagesNotVisible']))
        .ApproximateNumberOfMessagesNotVisible,
    ).toBe('1');
    await sqs.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: second!.ReceiptHandle }));
    advance(60);
    expect(await receive(url)).toEqual([]);
    // Deleting again is not an error.
    await sqs.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: second!.ReceiptHandle }));
  });

  it('uses ReceiveMessage VisibilityTimeout over the queue default', async () => {
    const url = await newQueue({ VisibilityTimeout: '300' });
    await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'x' }));
    await receive(url, { VisibilityTimeout: 2 });
    advance(2);
    expect(await receive(url)).toHaveLength(1);
  });

  it('changes visibility with the current handle only', async () => {
    const url = await newQueue();
    await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'x' }));
    const [m] = await receive(url);
    await sqs.send(
      new ChangeMessageVisibilityCommand({
        QueueUrl: url,
        ReceiptHandle: m!.ReceiptHandle,
        VisibilityTimeout: 120,
      }),
    );
    advance(60);
    expect(await receive(url)).toEqual([]);
    await sqs.send(
      new ChangeMessageVisibilityCommand({
        QueueUrl: url,
        ReceiptHandle: m!.ReceiptHandle,
        VisibilityTimeout: 0,
      }),
    );
    const [again] = await receive(url);
    expect(again!.Attributes!.ApproximateReceiveCount).toBe('2');

    const stale = await failure(
      sqs.send(
        new ChangeMessageVisibilityCommand({
          QueueUrl: url,
          ReceiptHandle: m!.ReceiptHandle,
          VisibilityTimeout: 10,
        }),
      ),
    );
    expect(stale.name).toBe('InvalidParameterValue');
    expect(stale.message).toMatch(/not available for visibility timeout change/);

    const garbage = await failure(
      sqs.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: 'not a handle' })),
    );
    expect(garbage).toBeInstanceOf(ReceiptHandleIsInvalid);
    expect(garbage.$metadata.httpStatusCode).toBe(404);
  });

  it('delays messages by DelaySeconds (message over queue)', async () => {
    const url = await newQueue({ DelaySeconds: '10' });
    await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'queue delay' }));
    await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'no delay', DelaySeconds: 0 }));
    expect((await receive(url)).map((m) => m.Body)).toEqual(['no delay']);
    expect(
      (await attributes(url, ['ApproximateNumberOfMessagesDelayed'])).ApproximateNumberOfMessagesDelayed,
    ).toBe('1');
    advance(10);
    expect((await receive(url)).map((m) => m.Body)).toEqual(['queue delay']);
  });

  it('validates messages and receive parameters as SQS does', async () => {
    const url = await newQueue({ MaximumMessageSize: '1024' });
    const big = await failure(
      sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'x'.repeat(1025) })),
    );
    expect(big.name).toBe('InvalidParameterValue');
    expect(big.message).toMatch(/Message must be shorter than 1024 bytes/);
    await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'x'.repeat(1024) }));

    const chars = await failure(
      sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'bad \u0001' })),
    );
    expect(chars.name).toBe('InvalidMessageContents');
    const empty = await failure(sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: '' })));
    expect(empty.name).toBe('MissingParameter');
    const delay = await failure(
      sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'x', DelaySeconds: 901 })),
    );
    expect(delay.name).toBe('InvalidParameterValue');
    const attrType = await failure(
      sqs.send(
        new SendMessageCommand({
          QueueUrl: url,
          MessageBody: 'x',
          MessageAttributes: { a: { DataType: 'Float', StringValue: '1' } },
        }),
      ),
    );
    expect(attrType.name).toBe('InvalidParameterValue');

    const tooMany = await failure(receive(url, { MaxNumberOfMessages: 11 }));
    expect(tooMany.name).toBe('InvalidParameterValue');
    expect(tooMany.message).toMatch(/MaxNumberOfMessages/);
    const longWait = await failure(receive(url, { WaitTimeSeconds: 21 }));
    expect(longWait.message).toMatch(/WaitTimeSeconds/);
  });

  it('purges a queue, once per 60 seconds', async () => {
    const url = await newQueue();
    await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'a' }));
    await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'b' }));
    await receive(url, { MaxNumberOfMessages: 1 });
    await sqs.send(new PurgeQueueCommand({ QueueUrl: url }));
    expect(
      await attributes(url, ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible']),
    ).toEqual({
      ApproximateNumberOfMessages: '0',
      ApproximateNumberOfMessagesNotVisible: '0',
    });
    const again = await failure(sqs.send(new PurgeQueueCommand({ QueueUrl: url })));
    expect(again).toBeInstanceOf(PurgeQueueInProgress);
    expect(again.$metadata.httpStatusCode).toBe(403);
    advance(60);
    await sqs.send(new PurgeQueueCommand({ QueueUrl: url }));
  });
});

describe('dead-letter queues', () => {
  it('moves a message to the DLQ on the receive after maxReceiveCount receives', async () => {
    const dlq = await newQueue(undefined, 'dlq');
    const dlqArn = (await attributes(dlq, ['QueueArn'])).QueueArn!;
    const url = await newQueue({
      VisibilityTimeout: '10',
      RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount: '4' }),
    });
    expect((await attributes(url, ['RedrivePolicy'])).RedrivePolicy).toBe(
      JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount: 4 }),
    );
    const { queueUrls } = await sqs.send(new ListDeadLetterSourceQueuesCommand({ QueueUrl: dlq }));
    expect(queueUrls).toEqual([url]);

    const { MessageId } = await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'poison' }));
    for (let attempt = 1; attempt <= 4; attempt++) {
      const [m] = await receive(url);
      expect(m!.Attributes!.ApproximateReceiveCount).toBe(String(attempt));
      advance(10);
    }
    expect(await receive(url)).toEqual([]);
    expect((await attributes(url, ['ApproximateNumberOfMessages'])).ApproximateNumberOfMessages).toBe('0');

    const [dead] = await receive(dlq);
    expect(dead!.MessageId).toBe(MessageId);
    expect(dead!.Body).toBe('poison');
    expect(dead!.Attributes!.DeadLetterQueueSourceArn).toBe(
      `arn:aws:sqs:eu-west-1:123456789012:${nameOf(url)}`,
    );
  });

  it('refuses a redrive policy whose target does not exist or is malformed', async () => {
    const url = await newQueue();
    const missing = await failure(
      sqs.send(
        new SetQueueAttributesCommand({
          QueueUrl: url,
          Attributes: {
            RedrivePolicy: JSON.stringify({
              deadLetterTargetArn: 'arn:aws:sqs:eu-west-1:123456789012:nope',
              maxReceiveCount: 3,
            }),
          },
        }),
      ),
    );
    expect(missing.name).toBe('InvalidParameterValue');
    expect(missing.message).toMatch(/Dead letter target does not exist/);
    const malformed = await failure(
      sqs.send(new SetQueueAttributesCommand({ QueueUrl: url, Attributes: { RedrivePolicy: '{' } })),
    );
    expect(malformed.message).toMatch(/not a valid JSON map/);
  });
});

describe('long polling', () => {
  it('returns as soon as a message arrives', async () => {
    const url = await newQueue();
    const started = Date.now();
    const pending = receive(url, { WaitTimeSeconds: 10 });
    await new Promise((r) => setTimeout(r, 200));
    await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'wake up' }));
    const messages = await pending;
    expect(messages.map((m) => m.Body)).toEqual(['wake up']);
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it('answers empty when the wait ends, using the queue default wait time', async () => {
    const url = await newQueue({ ReceiveMessageWaitTimeSeconds: '1' });
    const started = Date.now();
    expect(await receive(url)).toEqual([]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
  });

  it('closing the server answers a pending long poll at once', async () => {
    const own = sqsService(new QueueStore());
    const server = await startSqsServer(own);
    const client = new SQSClient({
      endpoint: server.endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
      maxAttempts: 1,
    });
    const { QueueUrl } = await client.send(new CreateQueueCommand({ QueueName: 'idle' }));
    const started = Date.now();
    const pending = client.send(new ReceiveMessageCommand({ QueueUrl, WaitTimeSeconds: 20 }));
    await new Promise((r) => setTimeout(r, 100));
    await server.close();
    expect((await pending).Messages).toBeUndefined();
    expect(Date.now() - started).toBeLessThan(3000);
    client.destroy();
  });

  it('closing the store ends pending long polls', async () => {
    const local = new QueueStore();
    const { queue } = local.createQueue('idle');
    const pending = local.receive(queue, { maxMessages: 1, waitTimeSeconds: 20 });
    local.close();
    await expect(pending).resolves.toEqual([]);
  });
});

describe('batches', () => {
  it('sends a batch with per-entry failures', async () => {
    const url = await newQueue();
    const result = await sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: url,
        Entries: [
          { Id: 'ok-1', MessageBody: 'one' },
          { Id: 'bad', MessageBody: 'nul \u0000 inside' },
          {
            Id: 'ok-2',
            MessageBody: 'two',
            MessageAttributes: { attribName1: { DataType: 'String', StringValue: 'attribValue 1' } },
          },
          { Id: 'late', MessageBody: 'later', DelaySeconds: 5 },
        ],
      }),
    );
    expect(result.Successful!.map((s) => s.Id)).toEqual(['ok-1', 'ok-2', 'late']);
    expect(result.Successful![1]!.MD5OfMessageAttributes).toBe('19e27d4e946b072f3f58da80d94fd778');
    expect(result.Failed).toEqual([
      expect.objectContaining({ Id: 'bad', SenderFault: true, Code: 'InvalidMessageContents' }),
    ]);
    expect((await receive(url)).map((m) => m.Body)).toEqual(['one', 'two']);
  });

  it('refuses malformed batches as a whole', async () => {
    const url = await newQueue();
    expect(
      await failure(sqs.send(new SendMessageBatchCommand({ QueueUrl: url, Entries: [] }))),
    ).toBeInstanceOf(EmptyBatchRequest);
    const eleven = Array.from({ length: 11 }, (_, i) => ({ Id: `m${i}`, MessageBody: 'x' }));
    expect(
      await failure(sqs.send(new SendMessageBatchCommand({ QueueUrl: url, Entries: eleven }))),
    ).toBeInstanceOf(TooManyEntriesInBatchRequest);
    const twice = [
      { Id: 'same', MessageBody: 'a' },
      { Id: 'same', MessageBody: 'b' },
    ];
    expect(
      await failure(sqs.send(new SendMessageBatchCommand({ QueueUrl: url, Entries: twice }))),
    ).toBeInstanceOf(BatchEntryIdsNotDistinct);
    const badId = await failure(
      sqs.send(
        new SendMessageBatchCommand({ QueueUrl: url, Entries: [{ Id: 'no spaces', MessageBody: 'a' }] }),
      ),
    );
    expect(badId.name).toBe('InvalidBatchEntryId');
  });

  it('deletes and changes visibility in batches with per-entry failures', async () => {
    const url = await newQueue();
    await sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: url,
        Entries: [
          { Id: 'a', MessageBody: 'a' },
          { Id: 'b', MessageBody: 'b' },
          { Id: 'c', MessageBody: 'c' },
        ],
      }),
    );
    const [a, b, c] = await receive(url);
    const changed = await sqs.send(
      new ChangeMessageVisibilityBatchCommand({
        QueueUrl: url,
        Entries: [
          { Id: 'c', ReceiptHandle: c!.ReceiptHandle, VisibilityTimeout: 0 },
          { Id: 'junk', ReceiptHandle: '%%%', VisibilityTimeout: 0 },
        ],
      }),
    );
    expect(changed.Successful).toEqual([{ Id: 'c' }]);
    expect(changed.Failed).toEqual([expect.objectContaining({ Id: 'junk', Code: 'ReceiptHandleIsInvalid' })]);

    const deleted = await sqs.send(
      new DeleteMessageBatchCommand({
        QueueUrl: url,
        Entries: [
          { Id: 'a', ReceiptHandle: a!.ReceiptHandle },
          { Id: 'b', ReceiptHandle: b!.ReceiptHandle },
          { Id: 'junk', ReceiptHandle: 'garbage!' },
        ],
      }),
    );
    expect(deleted.Successful!.map((s) => s.Id)).toEqual(['a', 'b']);
    expect(deleted.Failed).toEqual([
      expect.objectContaining({ Id: 'junk', SenderFault: true, Code: 'ReceiptHandleIsInvalid' }),
    ]);
    expect((await receive(url)).map((m) => m.Body)).toEqual(['c']);
  });
});

describe('event source mapping API', () => {
  it('polls records in the Lambda SQS event shape', async () => {
    const url = await newQueue();
    const { MessageId } = await sqs.send(
      new SendMessageCommand({
        QueueUrl: url,
        MessageBody: '{"order":1}',
        MessageAttributes: {
          attribName1: { DataType: 'String', StringValue: 'attribValue 1' },
          bin: { DataType: 'Binary', BinaryValue: Buffer.from([1, 2, 3]) },
        },
      }),
    );
    const [record] = await service.poll(nameOf(url), { batchSize: 5 });
    expect(record).toEqual({
      messageId: MessageId,
      receiptHandle: expect.any(String),
      body: '{"order":1}',
      attributes: {
        ApproximateReceiveCount: '1',
        SentTimestamp: String(now),
        SenderId: 'AKIDLOCALSENDER',
        ApproximateFirstReceiveTimestamp: String(now),
      },
      messageAttributes: {
        attribName1: {
          stringValue: 'attribValue 1',
          stringListValues: [],
          binaryListValues: [],
          dataType: 'String',
        },
        bin: { binaryValue: 'AQID', stringListValues: [], binaryListValues: [], dataType: 'Binary' },
      },
      md5OfBody: md5Hex('{"order":1}'),
      md5OfMessageAttributes: md5OfMessageAttributes({
        attribName1: { DataType: 'String', StringValue: 'attribValue 1' },
        bin: { DataType: 'Binary', BinaryValue: 'AQID' },
      }),
      eventSource: 'aws:sqs',
      eventSourceARN: `arn:aws:sqs:eu-west-1:123456789012:${nameOf(url)}`,
      awsRegion: 'eu-west-1',
    });
    // The ARN works as well as the name.
    expect(service.settle(record!.eventSourceARN, [record!], 'all-succeeded')).toEqual({
      deleted: [MessageId],
      retried: [],
    });
    advance(31);
    expect(await service.poll(nameOf(url))).toEqual([]);
  });

  it('ReportBatchItemFailures: deletes successes, retries failures, and a poisoned message reaches the DLQ after 4 attempts', async () => {
    const dlq = await newQueue(undefined, 'esm-dlq');
    const dlqArn = (await attributes(dlq, ['QueueArn'])).QueueArn!;
    const url = await newQueue({
      VisibilityTimeout: '30',
      RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount: 4 }),
    });
    const queue = nameOf(url);
    for (const body of ['good-1', 'poison', 'good-2']) {
      await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: body }));
    }

    // What a function would do: fail the poisoned record, succeed the rest.
    const handler = (records: SQSRecord[]) =>
      records.filter((r) => r.body === 'poison').map((r) => ({ itemIdentifier: r.messageId }));

    const attempts: string[] = [];
    for (let attempt = 1; attempt <= 4; attempt++) {
      const records = await service.poll(queue, { batchSize: 10 });
      const poisoned = records.find((r) => r.body === 'poison');
      expect(poisoned?.attributes.ApproximateReceiveCount).toBe(String(attempt));
      attempts.push(records.map((r) => r.body).join(','));
      const result = service.settle(queue, records, handler(records));
      expect(result.retried).toEqual([poisoned!.messageId]);
      // Failed records stay hidden until the visibility timeout ends.
      expect(await service.poll(queue)).toEqual([]);
      advance(30);
    }
    expect(attempts).toEqual(['good-1,poison,good-2', 'poison', 'poison', 'poison']);

    // The fifth receive would exceed maxReceiveCount: SQS moves the message instead of delivering it.
    expect(await service.poll(queue)).toEqual([]);
    const dead = await service.poll(nameOf(dlq));
    expect(dead.map((r) => r.body)).toEqual(['poison']);
    expect(dead[0]!.attributes.DeadLetterQueueSourceArn).toBe(`arn:aws:sqs:eu-west-1:123456789012:${queue}`);
  });

  it('treats a function error, or an invalid itemIdentifier, as a failure of the whole batch', async () => {
    const url = await newQueue();
    const queue = nameOf(url);
    await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'a' }));
    await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'b' }));

    let records = await service.poll(queue);
    expect(service.settle(queue, records, 'all-failed').deleted).toEqual([]);
    advance(30);
    records = await service.poll(queue);
    expect(records).toHaveLength(2);
    expect(service.settle(queue, records, [{ itemIdentifier: '' }]).deleted).toEqual([]);
    advance(30);
    records = await service.poll(queue);
    expect(service.settle(queue, records, [{ itemIdentifier: 'not-in-this-batch' }]).deleted).toEqual([]);
    advance(30);
    records = await service.poll(queue);
    expect(records.map((r) => r.attributes.ApproximateReceiveCount)).toEqual(['4', '4']);
    expect(service.settle(queue, records, []).deleted).toHaveLength(2);
    advance(30);
    expect(await service.poll(queue)).toEqual([]);
  });
});

describe('operations the emulator does not implement', () => {
  it('answers them with an explicit error, never a silent success', async () => {
    const err = (await sqs
      .send(new StartMessageMoveTaskCommand({ SourceArn: 'arn:aws:sqs:us-east-1:123456789012:dlq' }))
      .catch((e: unknown) => e)) as { name: string; $metadata: { httpStatusCode?: number } };
    expect(err.name).toMatch(/UnknownOperation|UnsupportedOperation|InvalidAction/);
    expect(err.$metadata.httpStatusCode).toBe(400);
  });
});
