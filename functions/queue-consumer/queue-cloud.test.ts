import {
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { spawnedGroupIds, survivingGroups } from '../../local/sandbox/process-group';
import { sdkConfig, startTestCloud, type TestCloud } from '../../local/cloud/test-cloud';

/**
 * Point 4 of issue 9 on the local cloud (the VPC itself is AWS networking the laptop has no
 * counterpart for; SamplesPrivateVpcEnabled is false here, as by default): the producer queues
 * orders, the consumer takes them with ReportBatchItemFailures, and a poisoned message lands in the
 * dead-letter queue after 4 receives while the good ones in its batches are deleted.
 */
let samples: TestCloud;
let sqs: SQSClient;

beforeAll(async () => {
  samples = await startTestCloud(
    [
      'SamplesWorkDeadLetterQueue',
      'SamplesWorkQueue',
      'SamplesWorkQueuePolicy',
      'QueueProducerFunction',
      'QueueConsumerFunction',
    ],
    {
      // 60 s between receives in the template; 1 s so four receives take seconds, not minutes.
      adjust: (template) => {
        template.Resources.SamplesWorkQueue!.Properties!.VisibilityTimeout = 1;
      },
    },
  );
  sqs = new SQSClient({ ...sdkConfig, endpoint: samples.cloud.endpoints.sqs });
}, 300_000);

afterAll(async () => {
  await samples?.stop();
  expect(survivingGroups(spawnedGroupIds.splice(0))).toEqual([]);
});

const queueUrl = (id: string) => samples.cloud.resources.get(id)!.ref;

async function visibleAndInFlight(id: string): Promise<number> {
  const { Attributes } = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: queueUrl(id),
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
    }),
  );
  return (
    Number(Attributes!.ApproximateNumberOfMessages) +
    Number(Attributes!.ApproximateNumberOfMessagesNotVisible)
  );
}

describe('samples: producer → SQS → consumer with a DLQ', () => {
  it('the producer refuses a bad event with 400 and queues valid orders', async () => {
    const bad = await samples.cloud.invoke(
      'QueueProducerFunction',
      JSON.stringify({ orders: [{ orderId: 'x' }] }),
    );
    expect(JSON.parse(bad.payload.toString('utf8'))).toEqual({
      statusCode: 400,
      message: 'orders[0]: quantity must be a whole number from 1 to 100',
    });
    const sent = await samples.cloud.invoke(
      'QueueProducerFunction',
      JSON.stringify({
        orders: [
          { orderId: 'o-1', quantity: 1 },
          { orderId: 'o-2', quantity: 2 },
        ],
      }),
    );
    expect(JSON.parse(sent.payload.toString('utf8'))).toEqual({
      statusCode: 200,
      message: 'queued 2 order(s)',
      sent: ['o-1', 'o-2'],
    });
  });

  it('a poisoned message lands in the DLQ after 4 receives; the good ones are consumed', async () => {
    await sqs.send(
      new SendMessageCommand({ QueueUrl: queueUrl('SamplesWorkQueue'), MessageBody: '{"orderId":"o-3"' }),
    );
    await samples.cloud.invoke(
      'QueueProducerFunction',
      JSON.stringify({ orders: [{ orderId: 'o-4', quantity: 4 }] }),
    );
    const until = Date.now() + 30_000;
    let dead: string[] = [];
    while (dead.length === 0 && Date.now() < until) {
      const { Messages } = await sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: queueUrl('SamplesWorkDeadLetterQueue'),
          WaitTimeSeconds: 1,
          MessageSystemAttributeNames: ['ApproximateReceiveCount'],
        }),
      );
      dead = (Messages ?? []).map((m) => m.Body!);
    }
    expect(dead).toEqual(['{"orderId":"o-3"']);
    // Everything else was deleted by the consumer: nothing left on the work queue.
    expect(await visibleAndInFlight('SamplesWorkQueue')).toBe(0);
    expect(samples.cloud.eventSources[0]!.invocations).toBeGreaterThanOrEqual(4);
  }, 40_000);
});
