/**
 * Delivers the sandbox's telemetry to extensions subscribed through the Telemetry or Logs API, the way
 * Lambda does: one buffer per subscriber, batches bounded by maxItems / maxBytes / timeoutMs, HTTP POST
 * of a JSON array, one request in flight per subscriber (order kept), retries with backoff, and
 * `platform.logsDropped` when a subscriber falls so far behind that its bounded buffer overflows.
 */
import http from 'node:http';
import { performance } from 'node:perf_hooks';
import { convertForSubscriber } from './telemetry-schemas';
import { streamOf, type Buffering, type Subscription, type TelemetryEvent } from './telemetry-types';

/** How much one subscriber may hold (queued + in flight) before new records are dropped. */
export interface QueueLimit {
  records: number;
  bytes: number;
}

/**
 * Default bound: room for the batch in flight plus three more full batches — 4 × maxItems records and
 * the larger of 4 × maxBytes or 1 MiB. Lambda does not publish its bound; it only says it drops records
 * to keep memory bounded, and that each subscriber's buffer counts toward function memory.
 */
export const defaultQueueLimit = (buffering: Buffering): QueueLimit => ({
  records: 4 * buffering.maxItems,
  bytes: Math.max(4 * buffering.maxBytes, 1024 * 1024),
});

export interface DispatcherOptions {
  /** Per-subscriber buffer bound; defaults to `defaultQueueLimit`. */
  queueLimit?: (buffering: Buffering) => QueueLimit;
  /** First retry delay after a failed delivery; doubles per consecutive failure. Default 100 ms. */
  retryBaseMs?: number;
  /** Ceiling of the retry delay. Default 1,000 ms. */
  retryMaxMs?: number;
  /** A listener that has not answered by then counts as failed (socket destroyed). Default 5,000 ms. */
  requestTimeoutMs?: number;
}

export interface SubscriberStats {
  /** Records the listener acknowledged with a 2xx. */
  delivered: number;
  batches: number;
  droppedRecords: number;
  droppedBytes: number;
  /** Failed delivery attempts that were retried (refused, timed out, non-2xx). */
  retries: number;
  /** Records in the request currently in flight or waiting to be retried. */
  inFlight: number;
  /** Records and JSON bytes held for this subscriber (queued + in flight): its share of function memory. */
  bufferedRecords: number;
  bufferedBytes: number;
}

/** The reason Lambda gives in `platform.logsDropped`. */
export const LOGS_DROPPED_REASON =
  'Consumer seems to have fallen behind as it has not acknowledged receipt of logs.';

const LOGS_DROPPED = 'platform.logsDropped';

/** One record as this subscriber receives it, serialised once. */
interface QueuedRecord {
  /** The canonical event it came from, kept to re-convert if the subscription is replaced. */
  source: TelemetryEvent;
  json: string;
  bytes: number;
  /** performance.now() when it entered the buffer: the batch timeout runs from the first record. */
  enqueuedAt: number;
}

interface Batch {
  records: QueuedRecord[];
  body: string;
  bytes: number;
}

const byteLength = (json: string): number => Buffer.byteLength(json, 'utf8');

/** Size of `[a,b,c]` for records of these sizes. */
const arrayBodyBytes = (recordBytes: number, count: number): number =>
  count === 0 ? 2 : recordBytes + count - 1 + 2;

const isSuccess = (status: number | undefined): boolean =>
  status !== undefined && status >= 200 && status < 300;

/** Everything the dispatcher keeps for one subscribed extension. */
class SubscriberChannel {
  readonly counters = { delivered: 0, batches: 0, droppedRecords: 0, droppedBytes: 0, retries: 0 };
  private queue: QueuedRecord[] = [];
  private queuedBytes = 0;
  private inFlight: Batch | undefined;
  private agent: http.Agent;
  /** Agents of a replaced destination, kept until their batch in flight settles. */
  private retiredAgents: http.Agent[] = [];
  private target: URL;
  /** Drops not yet reported to the subscriber with `platform.logsDropped`. */
  private unreported = { records: 0, bytes: 0 };
  private consecutiveFailures = 0;
  private batchTimer: NodeJS.Timeout | undefined;
  private batchDeadline: number | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private requestTimer: NodeJS.Timeout | undefined;
  private activeRequest: http.ClientRequest | undefined;
  private stopped = false;

  constructor(
    public subscription: Subscription,
    private readonly options: Required<DispatcherOptions>,
    /** Asked before sending a partial batch: true while a flush is under way. */
    private readonly flushing: () => boolean,
    /** Told whenever this channel may have become idle. */
    private readonly onProgress: () => void,
  ) {
    this.target = new URL(subscription.destination.uri);
    this.agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  }

  get limit(): QueueLimit {
    return this.options.queueLimit(this.subscription.buffering);
  }

  get bufferedRecords(): number {
    return this.queue.length + (this.inFlight?.records.length ?? 0);
  }

  get bufferedBytes(): number {
    return this.queuedBytes + (this.inFlight?.bytes ?? 0);
  }

  get idle(): boolean {
    return this.stopped || (this.queue.length === 0 && this.inFlight === undefined);
  }

  stats(): SubscriberStats {
    return {
      ...this.counters,
      inFlight: this.inFlight?.records.length ?? 0,
      bufferedRecords: this.bufferedRecords,
      bufferedBytes: this.bufferedBytes,
    };
  }

  /** Converts, filters by subscribed stream, and buffers one canonical event (or drops it when full). */
  offer(event: TelemetryEvent): void {
    if (this.stopped || !this.subscription.types.includes(streamOf(event.type))) return;
    for (const record of this.convert(event)) {
      const limit = this.limit;
      if (this.bufferedRecords + 1 > limit.records || this.bufferedBytes + record.bytes > limit.bytes) {
        this.counters.droppedRecords += 1;
        this.counters.droppedBytes += record.bytes;
        this.unreported.records += 1;
        this.unreported.bytes += record.bytes;
        continue;
      }
      this.enqueue(record);
    }
    this.pump();
  }

  /** A second subscribe by the same extension: same request → nothing changes; otherwise it wins. */
  replace(subscription: Subscription): void {
    if (JSON.stringify(subscription) === JSON.stringify(this.subscription)) return;
    this.subscription = subscription;
    if (subscription.destination.uri !== this.target.toString()) {
      this.target = new URL(subscription.destination.uri);
      // A request under way finishes on the old agent; everything later, retries included, goes to the
      // new destination.
      const previous = this.agent;
      this.agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
      if (this.activeRequest === undefined) previous.destroy();
      else this.retiredAgents.push(previous);
    }
    // Records not yet sent follow the new subscription (schema, stream filter) but keep their age.
    const pending = this.queue.filter((record, index, all) => all[index - 1]?.source !== record.source);
    this.queue = [];
    this.queuedBytes = 0;
    for (const { source, enqueuedAt } of pending) {
      if (source.type !== LOGS_DROPPED && !subscription.types.includes(streamOf(source.type))) continue;
      for (const record of this.convert(source, enqueuedAt)) this.enqueue(record);
    }
    this.clearBatchTimer();
    this.pump();
  }

  /** Sends whatever is due; called after every change. */
  pump(): void {
    if (this.stopped || this.inFlight !== undefined) return;
    const head = this.queue[0];
    if (head === undefined) {
      this.clearBatchTimer();
      this.onProgress();
      return;
    }
    const { maxItems, maxBytes, timeoutMs } = this.subscription.buffering;
    const deadline = head.enqueuedAt + timeoutMs;
    const due =
      this.flushing() ||
      this.queue.length >= maxItems ||
      arrayBodyBytes(this.queuedBytes, this.queue.length) >= maxBytes ||
      performance.now() >= deadline;
    if (!due) {
      this.armBatchTimer(deadline);
      return;
    }
    this.clearBatchTimer();
    this.inFlight = this.takeBatch(maxItems, maxBytes);
    this.attempt();
  }

  /** Stops timers and sockets for good; nothing is sent afterwards. */
  stop(): void {
    this.stopped = true;
    this.clearBatchTimer();
    clearTimeout(this.retryTimer);
    clearTimeout(this.requestTimer);
    this.retryTimer = undefined;
    this.requestTimer = undefined;
    this.activeRequest?.destroy();
    this.activeRequest = undefined;
    this.agent.destroy();
    for (const agent of this.retiredAgents.splice(0)) agent.destroy();
  }

  private convert(event: TelemetryEvent, enqueuedAt = performance.now()): QueuedRecord[] {
    const converted = convertForSubscriber(event, this.subscription) ?? [];
    return converted.map((received) => {
      const json = JSON.stringify({ time: received.time, type: received.type, record: received.record });
      return { source: event, json, bytes: byteLength(json), enqueuedAt };
    });
  }

  private enqueue(record: QueuedRecord): void {
    this.queue.push(record);
    this.queuedBytes += record.bytes;
  }

  /** The longest run from the head that fits maxItems and maxBytes (always at least one record). */
  private takeBatch(maxItems: number, maxBytes: number): Batch {
    let count = 0;
    let recordBytes = 0;
    for (const record of this.queue) {
      if (count === maxItems) break;
      if (count > 0 && arrayBodyBytes(recordBytes + record.bytes, count + 1) > maxBytes) break;
      count += 1;
      recordBytes += record.bytes;
    }
    const records = this.queue.splice(0, count);
    this.queuedBytes -= recordBytes;
    const body = `[${records.map((record) => record.json).join(',')}]`;
    return { records, body, bytes: recordBytes };
  }

  private armBatchTimer(deadline: number): void {
    if (this.batchDeadline === deadline) return;
    this.clearBatchTimer();
    this.batchDeadline = deadline;
    this.batchTimer = setTimeout(
      () => {
        this.batchTimer = undefined;
        this.batchDeadline = undefined;
        this.pump();
      },
      Math.max(0, Math.ceil(deadline - performance.now())),
    );
  }

  private clearBatchTimer(): void {
    clearTimeout(this.batchTimer);
    this.batchTimer = undefined;
    this.batchDeadline = undefined;
  }

  /** One POST of the batch in flight; its outcome either frees it or schedules a retry. */
  private attempt(): void {
    const batch = this.inFlight;
    if (this.stopped || batch === undefined) return;
    const agent = this.agent;
    const request = http.request({
      agent,
      host: this.target.hostname,
      port: this.target.port,
      path: `${this.target.pathname}${this.target.search}`,
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'Content-Length': byteLength(batch.body) },
    });
    let settled = false;
    const settle = (delivered: boolean): void => {
      if (settled) return;
      settled = true;
      clearTimeout(this.requestTimer);
      this.requestTimer = undefined;
      this.activeRequest = undefined;
      if (agent !== this.agent) this.retire(agent);
      if (delivered) this.onDelivered(batch);
      else this.onFailed();
    };
    this.activeRequest = request;
    // Our own timer, not the socket's idle timeout, so a listener that trickles bytes still times out.
    this.requestTimer = setTimeout(
      () => request.destroy(new Error('listener did not answer')),
      this.options.requestTimeoutMs,
    );
    request.on('response', (response) => {
      // Drain the body so the keep-alive socket can be reused; the status decides.
      response.resume();
      response.on('error', () => undefined);
      settle(isSuccess(response.statusCode));
    });
    request.on('error', () => settle(false));
    request.end(batch.body);
  }

  private retire(agent: http.Agent): void {
    this.retiredAgents = this.retiredAgents.filter((retired) => retired !== agent);
    agent.destroy();
  }

  private onDelivered(batch: Batch): void {
    this.inFlight = undefined;
    this.consecutiveFailures = 0;
    this.counters.delivered += batch.records.length;
    this.counters.batches += 1;
    this.reportDrops();
    this.pump();
  }

  private onFailed(): void {
    if (this.stopped) return;
    this.counters.retries += 1;
    this.consecutiveFailures += 1;
    const delay = Math.min(
      this.options.retryBaseMs * 2 ** (this.consecutiveFailures - 1),
      this.options.retryMaxMs,
    );
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.attempt();
    }, delay);
  }

  /**
   * Once a delivery has freed space, tell the subscriber what it lost with one `platform.logsDropped`
   * (bypassing the bound: it is small, and it must not be dropped itself). It goes to every subscriber
   * whatever its `types`, since it is about that subscriber's own stream.
   */
  private reportDrops(): void {
    if (this.unreported.records === 0) return;
    const notice: TelemetryEvent = {
      time: new Date().toISOString(),
      type: LOGS_DROPPED,
      record: {
        reason: LOGS_DROPPED_REASON,
        droppedRecords: this.unreported.records,
        droppedBytes: this.unreported.bytes,
      },
    };
    this.unreported = { records: 0, bytes: 0 };
    for (const record of this.convert(notice)) this.enqueue(record);
  }
}

/**
 * Fans canonical telemetry events out to every subscriber. Call `close()` when the sandbox shuts down:
 * until then, batch and retry timers keep the process alive.
 */
export class TelemetryDispatcher {
  private readonly channels = new Map<string, SubscriberChannel>();
  private readonly options: Required<DispatcherOptions>;
  private flushWaiters: (() => void)[] = [];
  private closed = false;

  constructor(options: DispatcherOptions = {}) {
    this.options = {
      queueLimit: options.queueLimit ?? defaultQueueLimit,
      retryBaseMs: options.retryBaseMs ?? 100,
      retryMaxMs: options.retryMaxMs ?? 1_000,
      requestTimeoutMs: options.requestTimeoutMs ?? 5_000,
    };
  }

  /**
   * Adds a subscriber; a second subscribe by the same extension replaces its first (idempotent).
   * `backlog` is what the platform produced before this subscription (Lambda delivers a new
   * subscriber the init phase's records from its start).
   */
  subscribe(subscription: Subscription, backlog: readonly TelemetryEvent[] = []): void {
    if (this.closed) return;
    const existing = this.channels.get(subscription.extensionName);
    if (existing !== undefined) {
      existing.replace(subscription);
      return;
    }
    const channel = new SubscriberChannel(
      subscription,
      this.options,
      () => this.flushWaiters.length > 0,
      () => this.settleFlushIfIdle(),
    );
    this.channels.set(subscription.extensionName, channel);
    for (const event of backlog) channel.offer(event);
  }

  /** Queues one canonical event for every subscriber whose `types` include its stream. */
  publish(event: TelemetryEvent): void {
    if (this.closed) return;
    for (const channel of this.channels.values()) channel.offer(event);
  }

  /**
   * Resolves once every buffered record has been delivered (partial batches are sent at once rather
   * than after timeoutMs), or when the dispatcher is closed. Delivery failures are retried meanwhile.
   */
  flush(): Promise<void> {
    if (this.closed || this.allIdle()) return Promise.resolve();
    const flushed = new Promise<void>((resolve) => this.flushWaiters.push(resolve));
    for (const channel of this.channels.values()) channel.pump();
    return flushed;
  }

  /**
   * Flushes until `deadlineEpochMs` (Lambda's deadlines are epoch milliseconds), then stops every timer
   * and socket. Records still undelivered at the deadline are abandoned, as at the end of Lambda's
   * shutdown phase. Later publish/subscribe calls are ignored.
   */
  async close(deadlineEpochMs: number): Promise<void> {
    if (this.closed) return;
    let deadlineTimer: NodeJS.Timeout | undefined;
    const deadline = new Promise<void>((resolve) => {
      deadlineTimer = setTimeout(resolve, Math.max(0, deadlineEpochMs - Date.now()));
    });
    await Promise.race([this.flush(), deadline]);
    clearTimeout(deadlineTimer);
    this.closed = true;
    for (const channel of this.channels.values()) channel.stop();
    this.resolveFlushWaiters();
  }

  /** Per-extension counters, for tests and benchmarks. */
  stats(): Record<string, SubscriberStats> {
    const stats: Record<string, SubscriberStats> = {};
    for (const [name, channel] of this.channels) stats[name] = channel.stats();
    return stats;
  }

  /** JSON bytes held for all subscribers: what Lambda would count toward the function's memory. */
  bufferedBytes(): number {
    let total = 0;
    for (const channel of this.channels.values()) total += channel.bufferedBytes;
    return total;
  }

  private allIdle(): boolean {
    for (const channel of this.channels.values()) if (!channel.idle) return false;
    return true;
  }

  private settleFlushIfIdle(): void {
    if (this.flushWaiters.length > 0 && this.allIdle()) this.resolveFlushWaiters();
  }

  private resolveFlushWaiters(): void {
    for (const resolve of this.flushWaiters.splice(0)) resolve();
  }
}
