import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { SQSMessageAttributes, SQSRecord, SQSRecordAttributes } from 'aws-lambda';
import {
  AwsError,
  awsJsonHandler,
  field,
  type AwsJsonService,
  type Operation,
  type RequestContext,
} from '../aws-json-protocol';
import { invalidParameter, queryErrorHeader, sqsError } from './errors';
import { md5OfMessageAttributes, type MessageAttributeMap, type MessageAttributeValue } from './message-md5';
import { checkVisibilityTimeout, type Delivery, type Queue, type QueueStore } from './queue-store';

/**
 * SQS over the AWS JSON 1.0 protocol (`X-Amz-Target: AmazonSQS.<Operation>`), as current AWS SDK v3
 * clients speak it, plus the programmatic side the local cloud's Lambda event source mapping needs:
 * `poll` hands out records in the Lambda SQS event shape and `settle` applies ReportBatchItemFailures.
 */

export interface SqsServiceOptions {
  /** SenderId recorded on sent messages; the caller's access key id unless given. */
  senderId?: (ctx: RequestContext) => string;
}

export interface PollOptions {
  /** Messages per batch (the event source mapping's BatchSize); default 10. */
  batchSize?: number;
  /** Seconds the polled messages stay hidden; the queue's VisibilityTimeout when absent. */
  visibilityTimeout?: number;
  /** Long polling, seconds; default 0 (answer at once). */
  waitTimeSeconds?: number;
}

/** What the function reported: its batchItemFailures, or the whole batch failed (an error) or succeeded. */
export type BatchOutcome = { itemIdentifier: unknown }[] | 'all-failed' | 'all-succeeded';

export interface SettleResult {
  /** Message ids deleted from the queue. */
  deleted: string[];
  /** Message ids left to reappear once their visibility timeout runs out. */
  retried: string[];
}

export interface SqsService extends AwsJsonService {
  store: QueueStore;
  /** A batch for the event source mapping: queue name or ARN; records as Lambda receives them. */
  poll(queue: string, options?: PollOptions): Promise<SQSRecord[]>;
  /** Deletes the batch's successes; failures stay and become visible after the visibility timeout. */
  settle(queue: string, records: SQSRecord[], outcome: BatchOutcome): SettleResult;
}

const BATCH_ENTRY_ID = /^[A-Za-z0-9_-]{1,80}$/;
const MAX_BATCH_PAYLOAD = 1_048_576;

// ---- input helpers --------------------------------------------------------------------------

const missing = (name: string) =>
  sqsError('MissingParameter', `The request must contain the parameter ${name}.`);

function requiredString(input: Record<string, unknown>, name: string): string {
  const v = field.string(input, name);
  if (v === undefined || v === '') throw missing(name);
  return v;
}

function integer(
  input: Record<string, unknown>,
  name: string,
  min: number,
  max: number,
  reason = `Must be >= ${min} and <= ${max}, if provided.`,
): number | undefined {
  const v = field.number(input, name);
  if (v === undefined) return undefined;
  if (!Number.isInteger(v) || v < min || v > max) {
    throw invalidParameter(`Value ${v} for parameter ${name} is invalid. Reason: ${reason}`);
  }
  return v;
}

function stringMap(input: Record<string, unknown>, name: string): Record<string, string> | undefined {
  const v = input[name];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'object' || Array.isArray(v) || !Object.values(v).every((x) => typeof x === 'string')) {
    throw new AwsError('SerializationException', `${name} must be a map of strings`);
  }
  return v as Record<string, string>;
}

function attributeMap(input: Record<string, unknown>, name: string): MessageAttributeMap | undefined {
  const v = input[name];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'object' || Array.isArray(v)) {
    throw new AwsError('SerializationException', `${name} must be a map of message attribute values`);
  }
  const out: MessageAttributeMap = {};
  for (const [key, raw] of Object.entries(v as Record<string, unknown>)) {
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
      throw new AwsError('SerializationException', `${name}.${key} must be a message attribute value`);
    }
    const a = raw as Record<string, unknown>;
    const value: MessageAttributeValue = { DataType: field.string(a, 'DataType') ?? '' };
    const stringValue = field.string(a, 'StringValue');
    const binaryValue = field.string(a, 'BinaryValue');
    if (stringValue !== undefined) value.StringValue = stringValue;
    // Blobs travel base64-encoded; keep them in canonical form so they come back exactly so.
    if (binaryValue !== undefined) value.BinaryValue = Buffer.from(binaryValue, 'base64').toString('base64');
    const stringList = field.stringList(a, 'StringListValues');
    const binaryList = field.stringList(a, 'BinaryListValues');
    if (stringList) value.StringListValues = stringList;
    if (binaryList) value.BinaryListValues = binaryList;
    out[key] = value;
  }
  return out;
}

function entries(input: Record<string, unknown>, entryShape: string): Record<string, unknown>[] {
  const v = input.Entries;
  if (v === undefined || v === null) throw missing('Entries');
  if (!Array.isArray(v) || !v.every((e) => typeof e === 'object' && e !== null && !Array.isArray(e))) {
    throw new AwsError('SerializationException', 'Entries must be a list of structures');
  }
  if (v.length === 0) {
    throw sqsError('EmptyBatchRequest', `There should be at least one ${entryShape} in the request.`);
  }
  if (v.length > 10) {
    throw sqsError(
      'TooManyEntriesInBatchRequest',
      `Maximum number of entries per request are 10. You have sent ${v.length}.`,
    );
  }
  const seen = new Set<string>();
  for (const e of v as Record<string, unknown>[]) {
    const id = field.string(e, 'Id') ?? '';
    if (!BATCH_ENTRY_ID.test(id)) {
      throw sqsError(
        'InvalidBatchEntryId',
        'A batch entry id can only contain alphanumeric characters, hyphens and underscores. It can be at most 80 letters long.',
      );
    }
    if (seen.has(id)) throw sqsError('BatchEntryIdsNotDistinct', `Id ${id} repeated.`);
    seen.add(id);
  }
  return v as Record<string, unknown>[];
}

/** A failed batch entry in SQS's shape: the Query code and SenderFault. */
function failedEntry(id: string, e: unknown) {
  if (!(e instanceof AwsError)) throw e;
  const code = queryErrorHeader(e.code)?.split(';')[0] ?? e.code;
  return { Id: id, SenderFault: e.status < 500, Code: code, Message: e.message };
}

// ---- output helpers -------------------------------------------------------------------------

function systemAttributes(d: Delivery): Record<string, string> {
  const m = d.message;
  const out: Record<string, string> = {
    SenderId: m.senderId,
    SentTimestamp: String(m.sentTimestamp),
    ApproximateReceiveCount: String(m.receiveCount),
    ApproximateFirstReceiveTimestamp: String(m.firstReceiveTimestamp ?? m.sentTimestamp),
  };
  const trace = m.messageSystemAttributes.AWSTraceHeader?.StringValue;
  if (trace !== undefined) out.AWSTraceHeader = trace;
  if (m.deadLetterQueueSourceArn) out.DeadLetterQueueSourceArn = m.deadLetterQueueSourceArn;
  return out;
}

/** `All` / `.*` for every attribute, `prefix.*` for names under a prefix, otherwise exact names. */
function selectMessageAttributes(attributes: MessageAttributeMap, names: string[]): MessageAttributeMap {
  const out: MessageAttributeMap = {};
  const all = names.includes('All') || names.includes('.*');
  for (const [name, value] of Object.entries(attributes)) {
    const wanted =
      all || names.some((n) => (n.endsWith('.*') ? name.startsWith(n.slice(0, -1)) : n === name));
    if (wanted) out[name] = value;
  }
  return out;
}

function toLambdaAttributes(attributes: MessageAttributeMap): SQSMessageAttributes {
  const out: SQSMessageAttributes = {};
  for (const [name, a] of Object.entries(attributes)) {
    out[name] = {
      ...(a.StringValue !== undefined ? { stringValue: a.StringValue } : {}),
      ...(a.BinaryValue !== undefined ? { binaryValue: a.BinaryValue } : {}),
      stringListValues: a.StringListValues ?? [],
      binaryListValues: a.BinaryListValues ?? [],
      dataType: a.DataType,
    };
  }
  return out;
}

function nonEmptyString(v: unknown): v is string {
  return typeof v === 'string' && v.length > 0;
}

// ---- the service ----------------------------------------------------------------------------

export function sqsService(store: QueueStore, options: SqsServiceOptions = {}): SqsService {
  const senderId = options.senderId ?? ((ctx: RequestContext) => ctx.accessKeyId);
  const queueOf = (input: Record<string, unknown>): Queue =>
    store.resolveUrl(requiredString(input, 'QueueUrl'));

  const sendOne = (queue: Queue, input: Record<string, unknown>, ctx: RequestContext) => {
    if (input.MessageDeduplicationId !== undefined && input.MessageDeduplicationId !== null) {
      throw invalidParameter(
        'Value for parameter MessageDeduplicationId is invalid. Reason: The request include parameter that is not valid for this queue type.',
      );
    }
    const message = store.send(queue, {
      body: field.string(input, 'MessageBody') ?? '',
      delaySeconds: field.number(input, 'DelaySeconds'),
      messageAttributes: attributeMap(input, 'MessageAttributes'),
      messageSystemAttributes: attributeMap(input, 'MessageSystemAttributes'),
      senderId: senderId(ctx),
    });
    const md5Attributes = md5OfMessageAttributes(message.messageAttributes);
    const md5System = md5OfMessageAttributes(message.messageSystemAttributes);
    return {
      MD5OfMessageBody: message.md5OfBody,
      ...(md5Attributes ? { MD5OfMessageAttributes: md5Attributes } : {}),
      ...(md5System ? { MD5OfMessageSystemAttributes: md5System } : {}),
      MessageId: message.messageId,
    };
  };

  const operations: Record<string, Operation> = {
    CreateQueue(input) {
      const name = requiredString(input, 'QueueName');
      const { queue } = store.createQueue(name, stringMap(input, 'Attributes'), stringMap(input, 'tags'));
      return { QueueUrl: store.queueUrl(queue) };
    },

    GetQueueUrl(input) {
      const name = requiredString(input, 'QueueName');
      const owner = field.string(input, 'QueueOwnerAWSAccountId');
      if (owner !== undefined && owner !== store.accountId) {
        throw sqsError('QueueDoesNotExist', 'The specified queue does not exist.');
      }
      return { QueueUrl: store.queueUrl(store.getQueue(name)) };
    },

    GetQueueAttributes(input) {
      const queue = queueOf(input);
      const attributes = store.getQueueAttributes(queue, field.stringList(input, 'AttributeNames') ?? []);
      return Object.keys(attributes).length ? { Attributes: attributes } : {};
    },

    SetQueueAttributes(input) {
      const queue = queueOf(input);
      const attributes = stringMap(input, 'Attributes');
      if (!attributes) throw missing('Attributes');
      store.setQueueAttributes(queue, attributes);
      return {};
    },

    SendMessage(input, ctx) {
      const queue = queueOf(input);
      if (input.MessageBody === undefined || input.MessageBody === null) throw missing('MessageBody');
      integer(input, 'DelaySeconds', 0, 900, 'DelaySeconds must be >= 0 and <= 900.');
      return sendOne(queue, input, ctx);
    },

    SendMessageBatch(input, ctx) {
      const queue = queueOf(input);
      const list = entries(input, 'SendMessageBatchRequestEntry');
      let total = 0;
      for (const e of list) {
        const body = e.MessageBody;
        if (typeof body === 'string') total += Buffer.byteLength(body, 'utf8');
      }
      if (total > MAX_BATCH_PAYLOAD) {
        throw sqsError(
          'BatchRequestTooLong',
          `Batch requested message too long. The total size of all messages must not exceed ${MAX_BATCH_PAYLOAD} bytes.`,
        );
      }
      const Successful: unknown[] = [];
      const Failed: unknown[] = [];
      for (const e of list) {
        const id = e.Id as string;
        try {
          if (e.MessageBody === undefined || e.MessageBody === null) throw missing('MessageBody');
          integer(e, 'DelaySeconds', 0, 900, 'DelaySeconds must be >= 0 and <= 900.');
          Successful.push({ Id: id, ...sendOne(queue, e, ctx) });
        } catch (err) {
          Failed.push(failedEntry(id, err));
        }
      }
      return { Successful, Failed };
    },

    async ReceiveMessage(input) {
      const queue = queueOf(input);
      const max = integer(input, 'MaxNumberOfMessages', 1, 10, 'Must be between 1 and 10, if provided.') ?? 1;
      const visibilityTimeout = field.number(input, 'VisibilityTimeout');
      if (visibilityTimeout !== undefined) checkVisibilityTimeout(visibilityTimeout);
      const waitTimeSeconds = integer(input, 'WaitTimeSeconds', 0, 20);
      const systemNames = [
        ...(field.stringList(input, 'AttributeNames') ?? []),
        ...(field.stringList(input, 'MessageSystemAttributeNames') ?? []),
      ];
      const attributeNames = field.stringList(input, 'MessageAttributeNames') ?? [];
      const deliveries = await store.receive(queue, { maxMessages: max, visibilityTimeout, waitTimeSeconds });
      if (deliveries.length === 0) return {};
      const allSystem = systemNames.includes('All');
      return {
        Messages: deliveries.map((d) => {
          const system = Object.fromEntries(
            Object.entries(systemAttributes(d)).filter(([k]) => allSystem || systemNames.includes(k)),
          );
          const user = selectMessageAttributes(d.message.messageAttributes, attributeNames);
          const md5Attributes = md5OfMessageAttributes(user);
          return {
            MessageId: d.message.messageId,
            ReceiptHandle: d.receiptHandle,
            MD5OfBody: d.message.md5OfBody,
            Body: d.message.body,
            ...(Object.keys(system).length ? { Attributes: system } : {}),
            ...(md5Attributes ? { MD5OfMessageAttributes: md5Attributes, MessageAttributes: user } : {}),
          };
        }),
      };
    },

    DeleteMessage(input) {
      const queue = queueOf(input);
      store.deleteMessage(queue, requiredString(input, 'ReceiptHandle'));
      return {};
    },

    DeleteMessageBatch(input) {
      const queue = queueOf(input);
      const list = entries(input, 'DeleteMessageBatchRequestEntry');
      const Successful: unknown[] = [];
      const Failed: unknown[] = [];
      for (const e of list) {
        const id = e.Id as string;
        try {
          store.deleteMessage(queue, requiredString(e, 'ReceiptHandle'));
          Successful.push({ Id: id });
        } catch (err) {
          Failed.push(failedEntry(id, err));
        }
      }
      return { Successful, Failed };
    },

    ChangeMessageVisibility(input) {
      const queue = queueOf(input);
      const handle = requiredString(input, 'ReceiptHandle');
      const timeout = field.number(input, 'VisibilityTimeout');
      if (timeout === undefined) throw missing('VisibilityTimeout');
      store.changeVisibility(queue, handle, timeout);
      return {};
    },

    ChangeMessageVisibilityBatch(input) {
      const queue = queueOf(input);
      const list = entries(input, 'ChangeMessageVisibilityBatchRequestEntry');
      const Successful: unknown[] = [];
      const Failed: unknown[] = [];
      for (const e of list) {
        const id = e.Id as string;
        try {
          const timeout = field.number(e, 'VisibilityTimeout');
          if (timeout === undefined) throw missing('VisibilityTimeout');
          store.changeVisibility(queue, requiredString(e, 'ReceiptHandle'), timeout);
          Successful.push({ Id: id });
        } catch (err) {
          Failed.push(failedEntry(id, err));
        }
      }
      return { Successful, Failed };
    },

    PurgeQueue(input) {
      store.purgeQueue(queueOf(input));
      return {};
    },

    DeleteQueue(input) {
      store.deleteQueue(queueOf(input));
      return {};
    },

    ListQueues(input) {
      const prefix = field.string(input, 'QueueNamePrefix') ?? '';
      const maxResults = integer(input, 'MaxResults', 1, 1000, 'Must be between 1 and 1000, if provided.');
      const token = field.string(input, 'NextToken');
      let queues = store.listQueues(prefix);
      if (token !== undefined) {
        const after = Buffer.from(token, 'base64').toString('utf8');
        queues = queues.filter((q) => q.name > after);
      }
      const page = queues.slice(0, maxResults ?? 1000);
      const more = maxResults !== undefined && queues.length > page.length;
      return {
        ...(page.length ? { QueueUrls: page.map((q) => store.queueUrl(q)) } : {}),
        ...(more ? { NextToken: Buffer.from(page[page.length - 1]!.name, 'utf8').toString('base64') } : {}),
      };
    },

    ListDeadLetterSourceQueues(input) {
      const queue = queueOf(input);
      return { queueUrls: store.deadLetterSourceQueues(queue).map((q) => store.queueUrl(q)) };
    },

    TagQueue(input) {
      const queue = queueOf(input);
      const tags = stringMap(input, 'Tags');
      if (!tags) throw missing('Tags');
      Object.assign(queue.tags, tags);
      return {};
    },

    UntagQueue(input) {
      const queue = queueOf(input);
      for (const key of field.stringList(input, 'TagKeys', { required: true }) ?? []) delete queue.tags[key];
      return {};
    },

    ListQueueTags(input) {
      const queue = queueOf(input);
      return Object.keys(queue.tags).length ? { Tags: { ...queue.tags } } : {};
    },
  };

  const byNameOrArn = (queue: string): Queue => {
    if (queue.startsWith('arn:')) {
      const found = store.findByArn(queue);
      if (!found) throw sqsError('QueueDoesNotExist', 'The specified queue does not exist.');
      return found;
    }
    return store.getQueue(queue);
  };

  const toRecord = (queue: Queue, d: Delivery): SQSRecord => {
    const md5Attributes = md5OfMessageAttributes(d.message.messageAttributes);
    return {
      messageId: d.message.messageId,
      receiptHandle: d.receiptHandle,
      body: d.message.body,
      attributes: systemAttributes(d) as unknown as SQSRecordAttributes,
      messageAttributes: toLambdaAttributes(d.message.messageAttributes),
      md5OfBody: d.message.md5OfBody,
      ...(md5Attributes ? { md5OfMessageAttributes: md5Attributes } : {}),
      eventSource: 'aws:sqs',
      eventSourceARN: queue.arn,
      awsRegion: store.region,
    };
  };

  return {
    targetPrefix: 'AmazonSQS',
    jsonVersion: '1.0',
    operations,
    store,

    async poll(queueName, pollOptions = {}) {
      const queue = byNameOrArn(queueName);
      const batchSize = pollOptions.batchSize ?? 10;
      if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 10_000) {
        throw new RangeError(`batchSize must be an integer from 1 to 10000, got ${batchSize}`);
      }
      if (pollOptions.visibilityTimeout !== undefined) checkVisibilityTimeout(pollOptions.visibilityTimeout);
      const deliveries = await store.receive(queue, {
        maxMessages: batchSize,
        visibilityTimeout: pollOptions.visibilityTimeout,
        waitTimeSeconds: pollOptions.waitTimeSeconds ?? 0,
      });
      return deliveries.map((d) => toRecord(queue, d));
    },

    settle(queueName, records, outcome) {
      const ids = records.map((r) => r.messageId);
      const queue = queueName.startsWith('arn:') ? store.findByArn(queueName) : store.findQueue(queueName);
      if (!queue || outcome === 'all-failed') return { deleted: [], retried: ids };
      let failed = new Set<string>();
      if (Array.isArray(outcome)) {
        // Lambda fails the whole batch when an itemIdentifier is empty, not a string, or unknown.
        const known = new Set(ids);
        const valid = outcome.every((f) => nonEmptyString(f?.itemIdentifier) && known.has(f.itemIdentifier));
        if (!valid) return { deleted: [], retried: ids };
        failed = new Set(outcome.map((f) => f.itemIdentifier as string));
      }
      const deleted: string[] = [];
      const retried: string[] = [];
      for (const record of records) {
        if (failed.has(record.messageId)) {
          retried.push(record.messageId);
          continue;
        }
        try {
          store.deleteMessage(queue, record.receiptHandle);
          deleted.push(record.messageId);
        } catch {
          retried.push(record.messageId);
        }
      }
      return { deleted, retried };
    },
  };
}

/**
 * The HTTP handler for the service: the shared JSON-protocol handler, plus the `x-amzn-query-error`
 * header SQS adds to errors (`<Query code>;Sender`), which the SDK reads for the error's Code.
 */
export function sqsHttpHandler(service: SqsService): (req: IncomingMessage, res: ServerResponse) => void {
  const handler = awsJsonHandler(service);
  return (req, res) => {
    const writeHead = res.writeHead;
    res.writeHead = function (this: ServerResponse, ...args: unknown[]) {
      const headers = args.find((a): a is Record<string, unknown> => typeof a === 'object' && a !== null);
      const type = headers?.['x-amzn-ErrorType'];
      const queryError = typeof type === 'string' ? queryErrorHeader(type) : undefined;
      if (queryError) this.setHeader('x-amzn-query-error', queryError);
      return (writeHead as (...a: unknown[]) => ServerResponse).apply(this, args);
    } as typeof res.writeHead;
    handler(req, res);
  };
}

/** Serves the service on loopback (port 0 picks one) and points queue URLs at it. */
export async function startSqsServer(
  service: SqsService,
  port = 0,
): Promise<{ server: http.Server; endpoint: string; close(): Promise<void> }> {
  const server = http.createServer(sqsHttpHandler(service));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', resolve);
  });
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  service.store.endpoint = endpoint;
  return {
    server,
    endpoint,
    close: () =>
      new Promise<void>((resolve) => {
        // Ending the long polls lets their responses go out; each keep-alive socket is closed as soon as
        // it goes idle, and whatever is still open after a second is cut.
        service.store.close();
        const sweep = setInterval(() => server.closeIdleConnections(), 10);
        const cut = setTimeout(() => server.closeAllConnections(), 1000);
        server.close(() => {
          clearInterval(sweep);
          clearTimeout(cut);
          resolve();
        });
        server.closeIdleConnections();
      }),
  };
}
