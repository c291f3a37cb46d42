import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import type { S3Client } from '@aws-sdk/client-s3';
import { recordBytes, type LogBuffer } from './log-buffer';
import type { LogBatch, TelemetryRecord } from './log-types';

type AwsClients = typeof import('./aws-clients');

/** The SDK, loaded (and, in the layer, compiled) on the first upload, not at start. */
function awsClients(): AwsClients {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require('./aws-clients') as AwsClients;
}

const gzipAsync = promisify(gzip);

export interface S3ShipperOptions {
  /** Default: an S3Client from the environment's credentials, one attempt per call (flush retries). */
  s3?: S3Client;
  bucket: string;
  /** Key prefix; slashes at either end are ignored. */
  prefix: string;
  functionName: string;
  /** Unique per execution environment (a random UUID): with the sequence number, it makes keys unique. */
  environmentId: string;
  /** The clock for the `time` of drop reports and for batches whose first record has no valid time. */
  now?: () => Date;
}

export interface FlushOptions {
  /** Epoch milliseconds (as the Extensions API's `deadlineMs`): retry until then, never past it. */
  deadlineMs?: number;
  /** NDJSON bytes per object (an object holds at least one record). */
  maxObjectBytes: number;
  /** Ends the flush early (the upload in flight is abandoned; its records go back to the buffer). */
  signal?: AbortSignal;
}

export interface FlushResult {
  /** Records (lines) in the objects this flush uploaded, drop reports included. */
  uploaded: number;
  objects: number;
  /** The flush ended on a failed upload: its records are back in the buffer. */
  failed: boolean;
  /** Records still in the buffer. */
  remaining: number;
}

/** Backoff between attempts: 100 ms, doubling, at most 2 s. */
const FIRST_BACKOFF_MS = 100;
const MAX_BACKOFF_MS = 2000;
/** Without a deadline a flush gives up after this many failed attempts; the records stay buffered. */
const ATTEMPTS_WITHOUT_DEADLINE = 3;

/** Waits `ms`, or less if `signal` aborts meanwhile. */
const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    const onAbort = () => {
      clearTimeout(timer);
      resolve();
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort); // the signal outlives many sleeps
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
/** A key part that is safe in a URL path and cannot add a level to the key. */
const keyPart = (s: string) => (s.includes('/') ? encodeURIComponent(s) : s);

/** The object key that was attempted and may be stored, and the lines it was attempted with. */
interface Attempted {
  key: string;
  lines: Set<string>;
  bytes: number;
}

/**
 * Uploads batches of Telemetry records to S3 as gzip NDJSON objects, one at a time (so objects of one
 * environment are written in order), under Athena/Glue partitions:
 * `<prefix>/function=<name>/year=YYYY/month=MM/day=DD/hour=HH/<first record's ISO time>-<environment id>-<seq>.ndjson.gz`.
 *
 * No overwrite, no duplicates: s3rver (the local S3) does not support `If-None-Match: *`, so the key
 * itself is unique: the environment id is unique and `seq` grows by one per stored object. A failed
 * PutObject may still have been stored (the connection broke after S3 wrote it, or a request given up
 * on client-side still lands later), so after a failure the next upload reuses the SAME key, and only
 * with the same records or a part of them (the batch's survivors: its oldest records may have been
 * dropped from a full buffer meanwhile). Whichever attempt S3 keeps (PUT is atomic, last writer wins),
 * every record is in exactly one object, and a record missing from the kept version was counted as
 * dropped. A new key (seq) is used only once the attempted object is stored, or when none of its
 * records is left to retry (every one dropped) — then its seq is skipped, leaving a gap, never a
 * duplicate. Moving to a new key on retry would instead duplicate records after an ambiguous
 * failure; reusing the key for a bigger batch could lose the extra records if a stale attempt lands
 * last. New drop reports are therefore not added to retries, but to the next object.
 */
export class S3Shipper {
  private s3: S3Client | undefined;
  private readonly bucket: string;
  private readonly prefix: string;
  private readonly functionName: string;
  private readonly environmentId: string;
  private readonly now: () => Date;
  private seq = 1;
  private attempted: Attempted | undefined;
  private queue: Promise<unknown> = Promise.resolve();

  /** Objects stored. */
  objects = 0;
  /** Records (NDJSON lines) stored. */
  records = 0;
  /** NDJSON bytes stored (before gzip). */
  bytes = 0;
  /** Gzip bytes stored. */
  gzipBytes = 0;
  /** Failed PutObject attempts. */
  failures = 0;
  /** Keys given up because nothing of their batch was left to retry. */
  skippedKeys = 0;
  /** The last upload error, for the extension's log. */
  lastError: Error | undefined;

  constructor(options: S3ShipperOptions) {
    this.s3 = options.s3;
    this.bucket = options.bucket;
    this.prefix = options.prefix.replace(/^\/+|\/+$/g, '');
    this.functionName = options.functionName;
    this.environmentId = options.environmentId;
    this.now = options.now ?? (() => new Date());
  }

  /** The key of the object whose first record is from `firstRecordTime` (UTC partitions). */
  objectKey(firstRecordTime: Date, seq: number): string {
    const iso = firstRecordTime.toISOString();
    const [date = '', time = ''] = iso.split('T');
    const [year, month, day] = date.split('-');
    const hour = time.slice(0, 2);
    const name = `${iso}-${keyPart(this.environmentId)}-${String(seq).padStart(6, '0')}.ndjson.gz`;
    return [
      ...(this.prefix ? [this.prefix] : []),
      `function=${keyPart(this.functionName)}`,
      `year=${year}`,
      `month=${month}`,
      `day=${day}`,
      `hour=${hour}`,
      name,
    ].join('/');
  }

  /**
   * Uploads one batch as one object. After a failure, call it again with the same batch (or part of
   * it): it goes to the same key. A different batch goes to a new key (see the class comment).
   */
  upload(batch: LogBatch): Promise<void> {
    return this.exclusive(() => this.put(batch));
  }

  /**
   * Uploads the buffer's records, object by object, until the buffer is empty or the deadline. A
   * failed object goes back to the buffer and is retried with backoff until the deadline (without
   * one: a few attempts, then failed=true with the records still buffered, for the next flush).
   * Records dropped from the buffer are reported by a record at the start of the next new object.
   */
  flush(buffer: LogBuffer, options: FlushOptions): Promise<FlushResult> {
    return this.exclusive(() => this.flushNow(buffer, options));
  }

  private async flushNow(
    buffer: LogBuffer,
    { deadlineMs, maxObjectBytes, signal: stop }: FlushOptions,
  ): Promise<FlushResult> {
    const result = { uploaded: 0, objects: 0, failed: false, remaining: 0 };
    let failedAttempts = 0;
    let backoff = FIRST_BACKOFF_MS;
    for (;;) {
      if ((deadlineMs !== undefined && Date.now() >= deadlineMs) || stop?.aborted) break;
      const batch = this.nextBatch(buffer, maxObjectBytes);
      if (!batch) break;
      try {
        const signals = [
          ...(deadlineMs === undefined ? [] : [AbortSignal.timeout(Math.max(1, deadlineMs - Date.now()))]),
          ...(stop ? [stop] : []),
        ];
        await this.put(batch, signals.length > 1 ? AbortSignal.any(signals) : signals[0]);
        result.uploaded += batch.records.length;
        result.objects++;
        result.failed = false;
        failedAttempts = 0;
        backoff = FIRST_BACKOFF_MS;
      } catch {
        buffer.putBack(batch);
        result.failed = true;
        failedAttempts++;
        if (stop?.aborted) break;
        if (deadlineMs === undefined) {
          if (failedAttempts >= ATTEMPTS_WITHOUT_DEADLINE) break;
          await sleep(backoff, stop);
        } else {
          const left = deadlineMs - Date.now();
          if (left <= 0) break;
          await sleep(Math.min(backoff, left), stop);
        }
        backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
      }
    }
    result.remaining = buffer.length;
    return result;
  }

  /**
   * The next object's records: after a failure, what is left of the attempted batch (its survivors
   * are the buffer's first records); otherwise the pending drop report, then the oldest records.
   */
  private nextBatch(buffer: LogBuffer, maxObjectBytes: number): LogBatch | undefined {
    const attempted = this.attempted;
    if (attempted) {
      const taken = buffer.take(attempted.bytes);
      if (taken) {
        let n = 0;
        let bytes = 0;
        while (n < taken.records.length && attempted.lines.has(JSON.stringify(taken.records[n]))) {
          bytes += recordBytes(taken.records[n]!);
          n++;
        }
        if (n < taken.records.length) {
          buffer.putBack({ records: taken.records.slice(n), bytes: taken.bytes - bytes });
        }
        if (n > 0) return { records: taken.records.slice(0, n), bytes };
      }
      this.skipAttemptedKey();
    }
    const report = buffer.takeDroppedReport();
    if (!report) return buffer.take(maxObjectBytes);
    const reportBytes = recordBytes(report);
    const taken = buffer.take(Math.max(1, maxObjectBytes - reportBytes));
    return { records: [report, ...(taken?.records ?? [])], bytes: reportBytes + (taken?.bytes ?? 0) };
  }

  private async put(batch: LogBatch, abortSignal?: AbortSignal): Promise<void> {
    const first = batch.records[0];
    if (!first) return;
    const lines = batch.records.map((r) => JSON.stringify(r));
    if (this.attempted && !lines.every((l) => this.attempted!.lines.has(l))) this.skipAttemptedKey();
    const text = Buffer.from(`${lines.join('\n')}\n`);
    const attempted = (this.attempted ??= {
      key: this.objectKey(firstRecordTime(first, this.now), this.seq),
      lines: new Set(lines),
      bytes: text.length,
    });
    const body = await gzipAsync(text);
    const { PutObjectCommand } = awsClients();
    try {
      await this.client().send(
        new PutObjectCommand({
          Bucket: this.bucket,
          Key: attempted.key,
          Body: body,
          ContentType: 'application/x-ndjson',
          ContentEncoding: 'gzip',
        }),
        abortSignal ? { abortSignal } : {},
      );
    } catch (e) {
      this.failures++;
      this.lastError = e as Error;
      throw e;
    }
    this.attempted = undefined;
    this.seq++;
    this.objects++;
    this.records += lines.length;
    this.bytes += text.length;
    this.gzipBytes += body.length;
  }

  /** The attempted key may hold an object; nothing of it will be retried, so the next gets a new seq. */
  private skipAttemptedKey(): void {
    this.attempted = undefined;
    this.seq++;
    this.skippedKeys++;
  }

  private client(): S3Client {
    // One attempt per call: flush's own retries know the deadline; the SDK's would not. The timeouts
    // end an upload stuck on a connection that died while the environment was frozen.
    this.s3 ??= new (awsClients().S3Client)({
      maxAttempts: 1,
      requestHandler: { connectionTimeout: 2000, requestTimeout: 10_000 },
    });
    return this.s3;
  }

  /** Runs uploads one after another, whoever calls. */
  private exclusive<T>(task: () => Promise<T>): Promise<T> {
    const run = this.queue.then(task, task);
    this.queue = run.catch(() => undefined);
    return run;
  }
}

function firstRecordTime(record: TelemetryRecord, now: () => Date): Date {
  const t = new Date((record as Partial<TelemetryRecord> | null)?.time ?? NaN);
  return Number.isNaN(t.getTime()) ? now() : t;
}
