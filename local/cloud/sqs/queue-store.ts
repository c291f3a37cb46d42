import { randomUUID } from 'node:crypto';
import { invalidParameter, queueDoesNotExist, sqsError } from './errors';
import { isBinaryType, md5Hex, type MessageAttributeMap, type MessageAttributeValue } from './message-md5';
import { LOCAL_ACCOUNT_ID } from '../../local-account';

/**
 * The local SQS's state: standard queues, their messages, visibility timeouts, receive counts,
 * dead-letter redrive and long polling. Message state runs on an injectable clock (milliseconds);
 * long-poll waits use real timers that never keep the process alive.
 */

export interface QueueStoreOptions {
  accountId?: string;
  region?: string;
  /** Base of queue URLs (`<endpoint>/<account>/<name>`); the server sets it once it listens. */
  endpoint?: string;
  /** Milliseconds since the epoch; `Date.now` unless a test drives time. */
  clock?: () => number;
  /** AWS refuses to recreate a name for 60 s after DeleteQueue; 0 turns the rule off. */
  deletedQueueCooldownSeconds?: number;
}

export interface RedrivePolicy {
  deadLetterTargetArn: string;
  maxReceiveCount: number;
}

export interface StoredMessage {
  messageId: string;
  body: string;
  md5OfBody: string;
  messageAttributes: MessageAttributeMap;
  /** Message system attributes given on send (only `AWSTraceHeader` exists). */
  messageSystemAttributes: MessageAttributeMap;
  senderId: string;
  sentTimestamp: number;
  receiveCount: number;
  firstReceiveTimestamp?: number;
  /** Clock time from which the message can be received (delay, or end of visibility timeout). */
  visibleAt: number;
  /** Handle of the most recent receive: the only one DeleteMessage and ChangeMessageVisibility honour. */
  receiptHandle?: string;
  receivedAt?: number;
  /** Set when redrive moved the message here from a source queue. */
  deadLetterQueueSourceArn?: string;
}

/** One received message: a snapshot taken at receive time, with that receive's handle. */
export interface Delivery {
  message: Readonly<StoredMessage>;
  receiptHandle: string;
}

export interface Queue {
  readonly name: string;
  readonly arn: string;
  /** Normalised settable attributes, as GetQueueAttributes returns them. */
  attributes: Record<string, string>;
  redrivePolicy?: RedrivePolicy;
  tags: Record<string, string>;
  createdTimestamp: number;
  lastModifiedTimestamp: number;
  lastPurgeAt?: number;
  /** In send order (Map keeps insertion order); receive takes the oldest visible first. */
  messages: Map<string, StoredMessage>;
}

export interface SendInput {
  body: string;
  delaySeconds?: number;
  messageAttributes?: MessageAttributeMap;
  messageSystemAttributes?: MessageAttributeMap;
  senderId?: string;
}

export interface ReceiveOptions {
  /** Messages to take at most; the API allows 1–10, the event source mapping more. */
  maxMessages: number;
  /** Seconds; the queue's VisibilityTimeout when absent. */
  visibilityTimeout?: number;
  /** Long polling, in seconds; the queue's ReceiveMessageWaitTimeSeconds when absent. */
  waitTimeSeconds?: number;
}

export interface QueueCounts {
  visible: number;
  notVisible: number;
  delayed: number;
}

const QUEUE_NAME = /^[A-Za-z0-9_-]{1,80}$/;
const MAX_VISIBILITY_SECONDS = 43_200;

/** Settable numeric attributes: [min, max, default]. */
const NUMERIC_ATTRIBUTES: Record<string, readonly [number, number, number]> = {
  DelaySeconds: [0, 900, 0],
  MaximumMessageSize: [1024, 1_048_576, 1_048_576],
  MessageRetentionPeriod: [60, 1_209_600, 345_600],
  ReceiveMessageWaitTimeSeconds: [0, 20, 0],
  VisibilityTimeout: [0, MAX_VISIBILITY_SECONDS, 30],
  KmsDataKeyReusePeriodSeconds: [60, 86_400, 300],
};
const TEXT_ATTRIBUTES = ['Policy', 'RedriveAllowPolicy', 'KmsMasterKeyId'];
const FIFO_ATTRIBUTES = [
  'FifoQueue',
  'ContentBasedDeduplication',
  'DeduplicationScope',
  'FifoThroughputLimit',
];
/** Every name GetQueueAttributes knows, in the order `All` lists them. */
export const QUEUE_ATTRIBUTE_NAMES = [
  'QueueArn',
  'ApproximateNumberOfMessages',
  'ApproximateNumberOfMessagesNotVisible',
  'ApproximateNumberOfMessagesDelayed',
  'CreatedTimestamp',
  'LastModifiedTimestamp',
  'VisibilityTimeout',
  'MaximumMessageSize',
  'MessageRetentionPeriod',
  'DelaySeconds',
  'ReceiveMessageWaitTimeSeconds',
  'Policy',
  'RedrivePolicy',
  'RedriveAllowPolicy',
  'KmsMasterKeyId',
  'KmsDataKeyReusePeriodSeconds',
  'SqsManagedSseEnabled',
  ...FIFO_ATTRIBUTES,
];

const MESSAGE_ATTRIBUTE_NAME = /^[A-Za-z0-9_.-]{1,256}$/;
const MESSAGE_ATTRIBUTE_TYPE = /^(String|Number|Binary)(\..+)?$/;
const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
/** Characters SQS accepts in bodies and string values (the XML 1.0 character set). */
const INVALID_CHARACTER = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u;

export class QueueStore {
  readonly accountId: string;
  readonly region: string;
  endpoint: string;
  private readonly clock: () => number;
  private readonly deletedCooldownMs: number;
  private readonly queues = new Map<string, Queue>();
  private readonly deletedAt = new Map<string, number>();
  private readonly waiters = new Map<string, Set<() => void>>();
  private closed = false;

  constructor(options: QueueStoreOptions = {}) {
    this.accountId = options.accountId ?? LOCAL_ACCOUNT_ID;
    this.region = options.region ?? 'us-east-1';
    this.endpoint = options.endpoint ?? 'http://127.0.0.1:4566';
    this.clock = options.clock ?? Date.now;
    this.deletedCooldownMs = (options.deletedQueueCooldownSeconds ?? 60) * 1000;
  }

  now(): number {
    return this.clock();
  }

  queueUrl(queue: Queue | string): string {
    return `${this.endpoint.replace(/\/+$/, '')}/${this.accountId}/${typeof queue === 'string' ? queue : queue.name}`;
  }

  queueArn(name: string): string {
    return `arn:aws:sqs:${this.region}:${this.accountId}:${name}`;
  }

  // ---- queues -------------------------------------------------------------------------------

  /** The queue a QueueUrl names: only its `/<account>/<name>` path counts, whatever the host. */
  resolveUrl(queueUrl: string): Queue {
    let path: string;
    try {
      path = new URL(queueUrl).pathname;
    } catch {
      throw queueDoesNotExist();
    }
    const match = /^\/([^/]+)\/([^/]+)\/?$/.exec(path);
    if (!match || match[1] !== this.accountId) throw queueDoesNotExist();
    return this.getQueue(decodeURIComponent(match[2]!));
  }

  getQueue(name: string): Queue {
    const queue = this.queues.get(name);
    if (!queue) throw queueDoesNotExist();
    return queue;
  }

  findQueue(name: string): Queue | undefined {
    return this.queues.get(name);
  }

  findByArn(arn: string): Queue | undefined {
    const prefix = `arn:aws:sqs:${this.region}:${this.accountId}:`;
    return arn.startsWith(prefix) ? this.queues.get(arn.slice(prefix.length)) : undefined;
  }

  listQueues(prefix = ''): Queue[] {
    return [...this.queues.values()]
      .filter((q) => q.name.startsWith(prefix))
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /**
   * CreateQueue: a new queue, or the existing one when every attribute given matches its current value
   * (AWS's idempotency rule); a differing value is QueueNameExists.
   */
  createQueue(
    name: string,
    attributes: Record<string, string> = {},
    tags: Record<string, string> = {},
  ): { queue: Queue; created: boolean } {
    if (name.endsWith('.fifo')) {
      throw sqsError('UnsupportedOperation', 'FIFO queues are not supported by the local SQS emulator.');
    }
    if (!QUEUE_NAME.test(name)) {
      throw invalidParameter(
        'Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length',
      );
    }
    const normalised = this.normaliseAttributes(name, attributes, 'create');
    const existing = this.queues.get(name);
    if (existing) {
      for (const [key, value] of Object.entries(normalised.values)) {
        if (this.currentAttribute(existing, key) !== value) {
          throw sqsError(
            'QueueNameExists',
            `A queue already exists with the same name and a different value for attribute ${key}`,
          );
        }
      }
      return { queue: existing, created: false };
    }
    const deletedAt = this.deletedAt.get(name);
    if (deletedAt !== undefined && this.now() - deletedAt < this.deletedCooldownMs) {
      throw sqsError(
        'QueueDeletedRecently',
        'You must wait 60 seconds after deleting a queue before you can create another with the same name.',
      );
    }
    const nowSeconds = Math.floor(this.now() / 1000);
    const defaults: Record<string, string> = { SqsManagedSseEnabled: 'true' };
    for (const [key, [, , dflt]] of Object.entries(NUMERIC_ATTRIBUTES)) {
      if (key !== 'KmsDataKeyReusePeriodSeconds') defaults[key] = String(dflt);
    }
    const queue: Queue = {
      name,
      arn: this.queueArn(name),
      attributes: { ...defaults },
      tags: { ...tags },
      createdTimestamp: nowSeconds,
      lastModifiedTimestamp: nowSeconds,
      messages: new Map(),
    };
    this.applyAttributes(queue, normalised);
    this.queues.set(name, queue);
    return { queue, created: true };
  }

  setQueueAttributes(queue: Queue, attributes: Record<string, string>): void {
    const normalised = this.normaliseAttributes(queue.name, attributes, 'set');
    this.applyAttributes(queue, normalised);
    queue.lastModifiedTimestamp = Math.floor(this.now() / 1000);
  }

  /** Values for the given names (`All` for every one the queue has); unknown names are refused. */
  getQueueAttributes(queue: Queue, names: string[]): Record<string, string> {
    for (const name of names) {
      if (name !== 'All' && !QUEUE_ATTRIBUTE_NAMES.includes(name)) {
        throw sqsError('InvalidAttributeName', `Unknown Attribute ${name}.`);
      }
    }
    const wanted = names.includes('All') ? QUEUE_ATTRIBUTE_NAMES : names;
    const out: Record<string, string> = {};
    for (const name of wanted) {
      const value = this.currentAttribute(queue, name);
      if (value !== undefined) out[name] = value;
    }
    return out;
  }

  deleteQueue(queue: Queue): void {
    if (this.queues.get(queue.name) !== queue) return;
    this.queues.delete(queue.name);
    this.deletedAt.set(queue.name, this.now());
    this.notify(queue.name);
  }

  purgeQueue(queue: Queue): void {
    const now = this.now();
    if (queue.lastPurgeAt !== undefined && now - queue.lastPurgeAt < 60_000) {
      throw sqsError(
        'PurgeQueueInProgress',
        `Only one PurgeQueue operation on ${queue.name} is allowed every 60 seconds.`,
      );
    }
    queue.lastPurgeAt = now;
    queue.messages.clear();
  }

  /** Queues whose RedrivePolicy targets this one. */
  deadLetterSourceQueues(queue: Queue): Queue[] {
    return this.listQueues().filter((q) => q.redrivePolicy?.deadLetterTargetArn === queue.arn);
  }

  counts(queue: Queue): QueueCounts {
    this.expire(queue);
    const now = this.now();
    const counts: QueueCounts = { visible: 0, notVisible: 0, delayed: 0 };
    for (const m of queue.messages.values()) {
      if (m.visibleAt <= now) counts.visible++;
      else if (m.receiveCount === 0 && m.deadLetterQueueSourceArn === undefined) counts.delayed++;
      else counts.notVisible++;
    }
    return counts;
  }

  // ---- messages -----------------------------------------------------------------------------

  /** SendMessage's checks and enqueue; validation errors are thrown with AWS's codes. */
  send(queue: Queue, input: SendInput): StoredMessage {
    const body = input.body;
    if (typeof body !== 'string' || body.length === 0) {
      throw sqsError('MissingParameter', 'The request must contain the parameter MessageBody.');
    }
    checkCharacters(body, 'message body');
    const delay = input.delaySeconds ?? Number(queue.attributes.DelaySeconds);
    if (!Number.isInteger(delay) || delay < 0 || delay > 900) {
      throw invalidParameter(
        `Value ${delay} for parameter DelaySeconds is invalid. Reason: DelaySeconds must be >= 0 and <= 900.`,
      );
    }
    const messageAttributes = input.messageAttributes ?? {};
    const messageSystemAttributes = input.messageSystemAttributes ?? {};
    validateMessageAttributes(messageAttributes);
    validateSystemAttributes(messageSystemAttributes);
    const size = messageSize(body, messageAttributes);
    const max = Number(queue.attributes.MaximumMessageSize);
    if (size > max) {
      throw invalidParameter(
        `One or more parameters are invalid. Reason: Message must be shorter than ${max} bytes.`,
      );
    }
    const now = this.now();
    const message: StoredMessage = {
      messageId: randomUUID(),
      body,
      md5OfBody: md5Hex(body),
      messageAttributes: structuredClone(messageAttributes),
      messageSystemAttributes: structuredClone(messageSystemAttributes),
      senderId: input.senderId ?? this.accountId,
      sentTimestamp: now,
      receiveCount: 0,
      visibleAt: now + delay * 1000,
    };
    queue.messages.set(message.messageId, message);
    this.notify(queue.name);
    return message;
  }

  /**
   * ReceiveMessage: up to `maxMessages` visible messages, oldest first, each hidden for the visibility
   * timeout with its receive count raised and a fresh receipt handle. With a redrive policy, a message
   * already received maxReceiveCount times is moved to the dead-letter queue instead of being delivered
   * (SQS moves it once its ReceiveCount would exceed maxReceiveCount). Long polling waits up to
   * `waitTimeSeconds` for a first message, returning as soon as any can be delivered.
   */
  async receive(queue: Queue, options: ReceiveOptions): Promise<Delivery[]> {
    const waitSeconds = options.waitTimeSeconds ?? Number(queue.attributes.ReceiveMessageWaitTimeSeconds);
    const deadline = Date.now() + waitSeconds * 1000;
    for (;;) {
      if (this.queues.get(queue.name) !== queue) return [];
      const got = this.receiveNow(queue, options);
      if (got.length > 0 || this.closed) return got;
      const remaining = deadline - Date.now();
      if (remaining <= 0) return [];
      await this.waitForChange(queue, Math.min(remaining, this.untilNextVisible(queue)));
    }
  }

  /** DeleteMessage: an unknown message or a handle from an earlier receive succeeds without deleting. */
  deleteMessage(queue: Queue, receiptHandle: string): void {
    const messageId = this.parseHandle(queue, receiptHandle);
    const message = queue.messages.get(messageId);
    if (message && message.receiptHandle === receiptHandle) queue.messages.delete(messageId);
  }

  /**
   * ChangeMessageVisibility, counted from now. A deleted message or a handle superseded by a later receive
   * is refused as SQS does; a current handle whose timeout already ran out changes nothing.
   */
  changeVisibility(queue: Queue, receiptHandle: string, visibilityTimeout: number): void {
    checkVisibilityTimeout(visibilityTimeout);
    const messageId = this.parseHandle(queue, receiptHandle);
    const message = queue.messages.get(messageId);
    if (!message || message.receiptHandle !== receiptHandle) {
      throw invalidParameter(
        `Value ${receiptHandle} for parameter ReceiptHandle is invalid. Reason: Message does not exist or is not available for visibility timeout change.`,
      );
    }
    const now = this.now();
    if (message.visibleAt <= now) return;
    if (now - (message.receivedAt ?? now) + visibilityTimeout * 1000 > MAX_VISIBILITY_SECONDS * 1000) {
      throw invalidParameter(
        `Value ${visibilityTimeout} for parameter VisibilityTimeout is invalid. Reason: Total VisibilityTimeout for the message is beyond the limit [${MAX_VISIBILITY_SECONDS} seconds].`,
      );
    }
    message.visibleAt = now + visibilityTimeout * 1000;
    if (visibilityTimeout === 0) this.notify(queue.name);
  }

  /** Ends every long poll (they answer with no messages) and stops their timers. */
  close(): void {
    this.closed = true;
    for (const name of [...this.waiters.keys()]) this.notify(name);
  }

  // ---- internals ----------------------------------------------------------------------------

  private receiveNow(queue: Queue, options: ReceiveOptions): Delivery[] {
    this.expire(queue);
    const visibilitySeconds = options.visibilityTimeout ?? Number(queue.attributes.VisibilityTimeout);
    const now = this.now();
    const out: Delivery[] = [];
    for (const message of [...queue.messages.values()]) {
      if (out.length >= options.maxMessages) break;
      if (message.visibleAt > now) continue;
      const policy = queue.redrivePolicy;
      if (policy && message.receiveCount >= policy.maxReceiveCount) {
        const dlq = this.findByArn(policy.deadLetterTargetArn);
        if (dlq && dlq !== queue) {
          this.moveToDeadLetterQueue(queue, dlq, message, now);
          continue;
        }
      }
      message.receiveCount += 1;
      message.firstReceiveTimestamp ??= now;
      message.receivedAt = now;
      message.visibleAt = now + visibilitySeconds * 1000;
      message.receiptHandle = this.newHandle(queue, message.messageId);
      out.push({ message: structuredClone(message), receiptHandle: message.receiptHandle });
    }
    return out;
  }

  private moveToDeadLetterQueue(source: Queue, dlq: Queue, message: StoredMessage, now: number): void {
    source.messages.delete(message.messageId);
    // A standard queue keeps the original enqueue time (retention counts from it) and the receive count.
    message.visibleAt = now;
    message.receiptHandle = undefined;
    message.receivedAt = undefined;
    message.deadLetterQueueSourceArn = source.arn;
    dlq.messages.set(message.messageId, message);
    this.notify(dlq.name);
  }

  private expire(queue: Queue): void {
    const retentionMs = Number(queue.attributes.MessageRetentionPeriod) * 1000;
    const now = this.now();
    for (const [id, m] of queue.messages) if (m.sentTimestamp + retentionMs <= now) queue.messages.delete(id);
  }

  private untilNextVisible(queue: Queue): number {
    const now = this.now();
    let next = Infinity;
    for (const m of queue.messages.values()) if (m.visibleAt > now) next = Math.min(next, m.visibleAt - now);
    return Math.max(1, next);
  }

  private waitForChange(queue: Queue, ms: number): Promise<void> {
    return new Promise((resolve) => {
      let set = this.waiters.get(queue.name);
      if (!set) this.waiters.set(queue.name, (set = new Set()));
      const waiters = set;
      const done = () => {
        clearTimeout(timer);
        waiters.delete(done);
        if (waiters.size === 0 && this.waiters.get(queue.name) === waiters) this.waiters.delete(queue.name);
        resolve();
      };
      const timer = setTimeout(done, Number.isFinite(ms) ? ms : 2 ** 31 - 1);
      timer.unref();
      waiters.add(done);
    });
  }

  private notify(queueName: string): void {
    for (const wake of [...(this.waiters.get(queueName) ?? [])]) wake();
  }

  private newHandle(queue: Queue, messageId: string): string {
    return Buffer.from(`${queue.arn} ${messageId} ${randomUUID()}`, 'utf8').toString('base64');
  }

  /** The message id inside a receipt handle this queue issued; anything else is ReceiptHandleIsInvalid. */
  private parseHandle(queue: Queue, receiptHandle: string): string {
    const invalid = () =>
      sqsError(
        'ReceiptHandleIsInvalid',
        `The input receipt handle "${receiptHandle}" is not a valid receipt handle.`,
      );
    if (!/^[A-Za-z0-9+/]+={0,2}$/.test(receiptHandle)) throw invalid();
    const parts = Buffer.from(receiptHandle, 'base64').toString('utf8').split(' ');
    if (parts.length !== 3 || parts[0] !== queue.arn || !parts[1]) throw invalid();
    return parts[1];
  }

  private currentAttribute(queue: Queue, name: string): string | undefined {
    switch (name) {
      case 'QueueArn':
        return queue.arn;
      case 'CreatedTimestamp':
        return String(queue.createdTimestamp);
      case 'LastModifiedTimestamp':
        return String(queue.lastModifiedTimestamp);
      case 'ApproximateNumberOfMessages':
        return String(this.counts(queue).visible);
      case 'ApproximateNumberOfMessagesNotVisible':
        return String(this.counts(queue).notVisible);
      case 'ApproximateNumberOfMessagesDelayed':
        return String(this.counts(queue).delayed);
      default:
        return queue.attributes[name];
    }
  }

  private normaliseAttributes(
    queueName: string,
    attributes: Record<string, string>,
    mode: 'create' | 'set',
  ): { values: Record<string, string>; redrive?: RedrivePolicy | null } {
    const values: Record<string, string> = {};
    let redrive: RedrivePolicy | null | undefined;
    for (const [name, raw] of Object.entries(attributes)) {
      if (typeof raw !== 'string') {
        throw sqsError('InvalidAttributeValue', `Invalid value for the parameter ${name}.`);
      }
      const range = NUMERIC_ATTRIBUTES[name];
      if (range) {
        const n = /^\d+$/.test(raw.trim()) ? Number(raw.trim()) : NaN;
        if (!(n >= range[0] && n <= range[1])) {
          throw sqsError('InvalidAttributeValue', `Invalid value for the parameter ${name}.`);
        }
        values[name] = String(n);
      } else if (TEXT_ATTRIBUTES.includes(name)) {
        values[name] = raw;
      } else if (name === 'SqsManagedSseEnabled') {
        if (raw !== 'true' && raw !== 'false') {
          throw sqsError('InvalidAttributeValue', `Invalid value for the parameter ${name}.`);
        }
        values[name] = raw;
      } else if (name === 'RedrivePolicy') {
        if (raw === '') {
          redrive = null;
          values[name] = '';
        } else {
          redrive = this.parseRedrivePolicy(queueName, raw);
          values[name] = JSON.stringify(redrive);
        }
      } else if (FIFO_ATTRIBUTES.includes(name)) {
        if (mode === 'create' && name === 'FifoQueue' && raw === 'false') continue;
        throw sqsError('UnsupportedOperation', 'FIFO queues are not supported by the local SQS emulator.');
      } else {
        // Unknown names, and the read-only ones (QueueArn, counts, timestamps), cannot be set.
        throw sqsError('InvalidAttributeName', `Unknown Attribute ${name}.`);
      }
    }
    return { values, redrive };
  }

  private applyAttributes(
    queue: Queue,
    { values, redrive }: { values: Record<string, string>; redrive?: RedrivePolicy | null },
  ): void {
    for (const [name, value] of Object.entries(values)) {
      if (name === 'RedrivePolicy' && value === '') delete queue.attributes[name];
      else queue.attributes[name] = value;
    }
    if (redrive === null) delete queue.redrivePolicy;
    else if (redrive) queue.redrivePolicy = redrive;
  }

  private parseRedrivePolicy(queueName: string, raw: string): RedrivePolicy {
    const invalid = (reason: string) =>
      invalidParameter(`Value ${raw} for parameter RedrivePolicy is invalid. Reason: ${reason}`);
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw);
    } catch {
      throw invalid('Redrive policy is not a valid JSON map.');
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      throw invalid('Redrive policy is not a valid JSON map.');
    }
    const { deadLetterTargetArn, maxReceiveCount } = parsed as Record<string, unknown>;
    if (deadLetterTargetArn === undefined) {
      throw invalid('Redrive policy does not contain mandatory attribute: deadLetterTargetArn.');
    }
    if (maxReceiveCount === undefined) {
      throw invalid('Redrive policy does not contain mandatory attribute: maxReceiveCount.');
    }
    const count = typeof maxReceiveCount === 'string' ? Number(maxReceiveCount) : maxReceiveCount;
    if (typeof count !== 'number' || !Number.isInteger(count) || count < 1 || count > 1000) {
      throw invalid(
        `Invalid value for maxReceiveCount: ${String(maxReceiveCount)}, valid values are from 1 to 1000 both inclusive.`,
      );
    }
    if (typeof deadLetterTargetArn !== 'string' || !this.findByArn(deadLetterTargetArn)) {
      throw invalid('Dead letter target does not exist.');
    }
    if (deadLetterTargetArn === this.queueArn(queueName)) {
      throw invalid('Dead letter target cannot be the source queue.');
    }
    return { deadLetterTargetArn, maxReceiveCount: count };
  }
}

export function checkVisibilityTimeout(seconds: number): void {
  if (!Number.isInteger(seconds) || seconds < 0 || seconds > MAX_VISIBILITY_SECONDS) {
    throw invalidParameter(
      `Value ${seconds} for parameter VisibilityTimeout is invalid. Reason: Must be >= 0 and <= ${MAX_VISIBILITY_SECONDS}, if provided.`,
    );
  }
}

function checkCharacters(text: string, what: string): void {
  const bad = INVALID_CHARACTER.exec(text);
  if (bad) {
    const code = bad[0].codePointAt(0)!.toString(16).toUpperCase();
    throw sqsError(
      'InvalidMessageContents',
      `Invalid binary character '#x${code}' was found in the ${what}, the set of allowed characters is #x9 | #xA | #xD | #x20 to #xD7FF | #xE000 to #xFFFD | #x10000 to #x10FFFF`,
    );
  }
}

/** Body plus every part of every attribute (name, type, value) counts toward MaximumMessageSize. */
function messageSize(body: string, attributes: MessageAttributeMap): number {
  let size = Buffer.byteLength(body, 'utf8');
  for (const [name, a] of Object.entries(attributes)) {
    size += Buffer.byteLength(name, 'utf8') + Buffer.byteLength(a.DataType, 'utf8');
    size += isBinaryType(a.DataType)
      ? Buffer.from(a.BinaryValue ?? '', 'base64').length
      : Buffer.byteLength(a.StringValue ?? '', 'utf8');
  }
  return size;
}

function validateMessageAttributes(attributes: MessageAttributeMap): void {
  const names = Object.keys(attributes);
  if (names.length > 10) {
    throw invalidParameter(
      `Number of message attributes [${names.length}] exceeds the allowed maximum [10].`,
    );
  }
  for (const name of names) {
    if (
      !MESSAGE_ATTRIBUTE_NAME.test(name) ||
      /^(aws|amazon)\./i.test(name) ||
      name.startsWith('.') ||
      name.endsWith('.') ||
      name.includes('..')
    ) {
      throw invalidParameter(
        `Message (user) attribute name '${name}' is invalid. The attribute name can contain A-Z, a-z, 0-9, underscore (_), hyphen (-), and period (.) characters; must not start with AWS. or Amazon., start or end with a period, or contain successive periods.`,
      );
    }
    validateAttributeValue(name, attributes[name]!, 'user');
  }
}

function validateSystemAttributes(attributes: MessageAttributeMap): void {
  for (const [name, value] of Object.entries(attributes)) {
    if (name !== 'AWSTraceHeader') {
      throw invalidParameter(`Message system attribute name '${name}' is invalid.`);
    }
    if (value.DataType !== 'String') {
      throw invalidParameter(`The message system attribute '${name}' must be of type String.`);
    }
    validateAttributeValue(name, value, 'system');
  }
}

function validateAttributeValue(name: string, value: MessageAttributeValue, kind: 'user' | 'system'): void {
  if (typeof value !== 'object' || value === null || typeof value.DataType !== 'string' || !value.DataType) {
    throw invalidParameter(
      `The message (${kind}) attribute '${name}' must contain a non-empty attribute type.`,
    );
  }
  if (!MESSAGE_ATTRIBUTE_TYPE.test(value.DataType)) {
    throw invalidParameter(
      `The type of message (${kind}) attribute '${name}' is invalid. You must use only the following supported type prefixes: Binary, Number, String.`,
    );
  }
  if (value.StringListValues?.length || value.BinaryListValues?.length) {
    throw invalidParameter(
      `Message (${kind}) attribute '${name}': StringListValues and BinaryListValues are reserved by SQS and not implemented.`,
    );
  }
  if (isBinaryType(value.DataType)) {
    if (typeof value.BinaryValue !== 'string' || Buffer.from(value.BinaryValue, 'base64').length === 0) {
      throw invalidParameter(
        `Message (${kind}) attribute '${name}' must contain a non-empty message attribute value for message attribute type '${value.DataType}'.`,
      );
    }
    return;
  }
  if (typeof value.StringValue !== 'string' || value.StringValue.length === 0) {
    throw invalidParameter(
      `Message (${kind}) attribute '${name}' must contain a non-empty message attribute value for message attribute type '${value.DataType}'.`,
    );
  }
  checkCharacters(value.StringValue, `message (${kind}) attribute '${name}'`);
  if (value.DataType.split('.', 1)[0] === 'Number' && !NUMBER.test(value.StringValue)) {
    throw invalidParameter(`Can't cast the value of message (${kind}) attribute '${name}' to a number.`);
  }
}
