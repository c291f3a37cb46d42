import net from 'node:net';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { startS3, type RunningService } from '../../local/cloud/services';
import { SANDBOX_CREDENTIALS } from '../../local/sandbox/execution-environment';
import { DROPPED_REPORT_TYPE, LogBuffer } from './log-buffer';
import type { TelemetryRecord } from './log-types';
import { S3Shipper } from './s3-shipper';
import { shippedObjects } from './test-fixtures/shipped-objects';

const BUCKET = 'logs-bucket';
const KEY = new RegExp(
  '^(?<prefix>.+)/function=(?<fn>[^/]+)/year=(?<year>\\d{4})/month=(?<month>\\d{2})/day=(?<day>\\d{2})/' +
    'hour=(?<hour>\\d{2})/(?<iso>\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}\\.\\d{3}Z)-(?<env>.+)-(?<seq>\\d{6})\\.ndjson\\.gz$',
);

let s3: RunningService;
let admin: S3Client;
const client = (endpoint: string) => {
  const c = new S3Client({ endpoint, region: 'us-east-1', credentials: SANDBOX_CREDENTIALS, maxAttempts: 1 });
  if (admin) cleanups.push(() => c.destroy());
  return c;
};

beforeAll(async () => {
  s3 = await startS3();
  admin = client(s3.endpoint);
  await admin.send(new CreateBucketCommand({ Bucket: BUCKET }));
});
afterAll(async () => {
  admin.destroy();
  await s3.close();
});

/** Proxies, clients and servers a test opened, closed after it whether it passed or not. */
const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

let prefixCounter = 0;
/** Each test writes under its own prefix. */
const freshPrefix = () => `logs/t${++prefixCounter}`;

/** A function log line; all are the same size for i < 10,000 (4-digit counters). */
const fn = (
  i: number,
  text = `2024-03-05T07:08:09.123Z\treq-${String(i).padStart(4, '0')}\tINFO\tmessage ${String(i).padStart(4, '0')}`,
): TelemetryRecord => ({
  time: new Date(Date.UTC(2024, 2, 5, 7, 8, 9) + i).toISOString(),
  type: 'function',
  record: text,
});

interface Stored {
  key: string;
  parts: Record<string, string>;
  lines: string[];
  contentType: string | undefined;
  contentEncoding: string | undefined;
}

/** Every object under `prefix`, downloaded and gunzipped, in sequence order per environment. */
async function objects(prefix: string): Promise<Stored[]> {
  return (await shippedObjects(admin, BUCKET, `${prefix}/`)).map(
    ({ key, text, contentType, contentEncoding }) => {
      expect(text.endsWith('\n')).toBe(true);
      return {
        key,
        parts: { ...KEY.exec(key)?.groups },
        lines: text.slice(0, -1).split('\n'),
        contentType,
        contentEncoding,
      };
    },
  );
}

/**
 * A TCP proxy in front of s3rver that can fail the way networks do: refuse every connection (S3
 * unreachable), or pass a request to S3 and lose its answer (the object is stored, the client sees an
 * error: the ambiguous failure).
 */
async function startProxy(target: string) {
  const { hostname, port } = new URL(target);
  const sockets = new Set<net.Socket>();
  const track = (s: net.Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => s.destroy());
  };
  const state = { down: false, loseResponses: 0, requests: 0 };
  const server = net.createServer((c) => {
    track(c);
    if (state.down) return void c.destroy();
    state.requests++;
    const upstream = net.connect(Number(port), hostname);
    track(upstream);
    c.on('close', () => upstream.destroy());
    upstream.on('close', () => c.destroy());
    c.pipe(upstream);
    if (state.loseResponses > 0) {
      state.loseResponses--;
      upstream.once('data', () => upstream.destroy()); // S3 has answered: it stored the object
    } else {
      upstream.pipe(c);
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const proxy = {
    endpoint: `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`,
    state,
    /** Breaks open connections too, so the next request sees the new state. */
    set(change: Partial<typeof state>) {
      Object.assign(state, change);
      for (const s of sockets) s.destroy();
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
  cleanups.push(proxy.close);
  return proxy;
}

async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((r) => setTimeout(r, 2));
}

describe('S3Shipper.objectKey', () => {
  const shipper = (functionName = 'orders-api', prefix = 'logs') =>
    new S3Shipper({ s3: admin, bucket: BUCKET, prefix, functionName, environmentId: 'env-1' });

  it('lays keys out in Athena/Glue partitions by the first record’s UTC hour', () => {
    const key = shipper().objectKey(new Date('2024-03-05T07:08:09.123Z'), 42);
    expect(key).toBe(
      'logs/function=orders-api/year=2024/month=03/day=05/hour=07/2024-03-05T07:08:09.123Z-env-1-000042.ndjson.gz',
    );
    expect(KEY.exec(key)?.groups).toMatchObject({
      prefix: 'logs',
      fn: 'orders-api',
      year: '2024',
      month: '03',
      day: '05',
      hour: '07',
      iso: '2024-03-05T07:08:09.123Z',
      env: 'env-1',
      seq: '000042',
    });
    // A time given with an offset lands in its UTC partition.
    expect(KEY.exec(shipper().objectKey(new Date('2024-12-31T23:30:00.000-02:00'), 1))?.groups).toMatchObject(
      {
        year: '2025',
        month: '01',
        day: '01',
        hour: '01',
        iso: '2025-01-01T01:30:00.000Z',
      },
    );
  });

  it('keeps the function name unless it has a slash, and ignores slashes around the prefix', () => {
    expect(shipper('fn_A-1').objectKey(new Date(0), 1)).toMatch(/^logs\/function=fn_A-1\/year=1970\//);
    expect(shipper('team/fn').objectKey(new Date(0), 1)).toMatch(/^logs\/function=team%2Ffn\/year=1970\//);
    expect(shipper('fn', '/a/b/').objectKey(new Date(0), 1)).toMatch(/^a\/b\/function=fn\//);
    expect(shipper('fn', '').objectKey(new Date(0), 1)).toMatch(/^function=fn\//);
  });
});

describe('S3Shipper with s3rver', () => {
  it('uploads gzip NDJSON whose lines are the records’ JSON, unchanged, in order', async () => {
    const prefix = freshPrefix();
    const shipper = new S3Shipper({
      s3: admin,
      bucket: BUCKET,
      prefix,
      functionName: 'fn',
      environmentId: 'e1',
    });
    const records: TelemetryRecord[] = [
      {
        time: '2024-03-05T07:08:09.123Z',
        type: 'platform.start',
        record: { requestId: 'r1', version: '$LATEST' },
      },
      fn(1, '2024-03-05T07:08:09.124Z\tr1\tINFO\ttabs\tand "quotes" and ünïcødé ✓ and \\ backslashes'),
      {
        time: '2024-03-05T07:08:09.125Z',
        type: 'function',
        record: { level: 'INFO', message: 'json', n: 1.5 },
      },
      {
        time: '2024-03-05T07:08:09.200Z',
        type: 'platform.report',
        record: { requestId: 'r1', status: 'success', metrics: { durationMs: 1.23, billedDurationMs: 2 } },
      },
    ];
    await shipper.upload({ records, bytes: 0 });
    const [o, ...rest] = await objects(prefix);
    expect(rest).toEqual([]);
    expect(o!.lines).toEqual(records.map((r) => JSON.stringify(r)));
    expect(o!.contentType).toBe('application/x-ndjson');
    expect(o!.contentEncoding).toBe('gzip');
    expect(o!.parts).toMatchObject({ fn: 'fn', hour: '07', iso: '2024-03-05T07:08:09.123Z', seq: '000001' });
    expect({ objects: shipper.objects, records: shipper.records, failures: shipper.failures }).toEqual({
      objects: 1,
      records: 4,
      failures: 0,
    });
    expect(shipper.bytes).toBe(records.reduce((n, r) => n + Buffer.byteLength(JSON.stringify(r)) + 1, 0));
  });

  it('flushes a buffer into objects of at most maxObjectBytes, every record once, in order', async () => {
    const prefix = freshPrefix();
    const shipper = new S3Shipper({
      s3: admin,
      bucket: BUCKET,
      prefix,
      functionName: 'fn',
      environmentId: 'e1',
    });
    const buffer = new LogBuffer(10_000_000);
    const all = Array.from({ length: 2000 }, (_, i) => fn(i));
    for (let i = 0; i < all.length; i += 37) buffer.add(all.slice(i, i + 37));
    const result = await shipper.flush(buffer, { maxObjectBytes: 16 * 1024 });
    expect(result).toEqual({ uploaded: 2000, objects: expect.any(Number), failed: false, remaining: 0 });
    const stored = await objects(prefix);
    expect(stored).toHaveLength(result.objects);
    expect(result.objects).toBeGreaterThan(5);
    expect(stored.map((o) => Number(o.parts.seq))).toEqual(stored.map((_, i) => i + 1));
    for (const o of stored) expect(o.lines.join('\n').length + 1).toBeLessThanOrEqual(16 * 1024);
    expect(stored.flatMap((o) => o.lines)).toEqual(all.map((r) => JSON.stringify(r)));
    // Each object is named after its first record.
    for (const o of stored) expect(o.parts.iso).toBe((JSON.parse(o.lines[0]!) as TelemetryRecord).time);
  });

  it('never overwrites: two environments in the same hour, and concurrent flushes of one shipper', async () => {
    const prefix = freshPrefix();
    const make = (environmentId: string) =>
      new S3Shipper({ s3: admin, bucket: BUCKET, prefix, functionName: 'fn', environmentId });
    const [a, b] = [make('3f0c1a9e-aaaa'), make('3f0c1a9e-bbbb')];
    // Same records, so the same first-record times, in both environments.
    const batches = Array.from({ length: 5 }, (_, k) => ({ records: [fn(0), fn(k + 1)], bytes: 0 }));
    await Promise.all([...batches.map((x) => a.upload(x)), ...batches.map((x) => b.upload(x))]);
    const buffer = new LogBuffer(1e9);
    buffer.add(Array.from({ length: 100 }, (_, i) => fn(100 + i)));
    const [r1, r2] = await Promise.all([
      a.flush(buffer, { maxObjectBytes: 2000 }),
      a.flush(buffer, { maxObjectBytes: 2000 }),
    ]);
    const stored = await objects(prefix);
    expect(new Set(stored.map((o) => o.key)).size).toBe(10 + r1.objects + r2.objects);
    expect(r1.uploaded + r2.uploaded).toBe(100);
    const ofA = stored.filter((o) => o.parts.env === '3f0c1a9e-aaaa');
    expect(ofA.map((o) => Number(o.parts.seq))).toEqual(ofA.map((_, i) => i + 1));
    expect(ofA.slice(5).flatMap((o) => o.lines)).toEqual(
      Array.from({ length: 100 }, (_, i) => JSON.stringify(fn(100 + i))),
    );
    expect(new Set(stored.map((o) => o.parts.hour))).toEqual(new Set(['07']));
  });

  it('gives up after a few attempts without a deadline, keeping the records for later', async () => {
    const prefix = freshPrefix();
    const proxy = await startProxy(s3.endpoint);
    proxy.set({ down: true });
    const s3c = client(proxy.endpoint);
    const shipper = new S3Shipper({
      s3: s3c,
      bucket: BUCKET,
      prefix,
      functionName: 'fn',
      environmentId: 'e1',
    });
    const buffer = new LogBuffer(1e6);
    const all = Array.from({ length: 50 }, (_, i) => fn(i));
    buffer.add(all);
    const started = Date.now();
    expect(await shipper.flush(buffer, { maxObjectBytes: 1e6 })).toEqual({
      uploaded: 0,
      objects: 0,
      failed: true,
      remaining: 50,
    });
    expect(shipper.failures).toBe(3);
    expect(Date.now() - started).toBeGreaterThanOrEqual(300); // 100 + 200 ms of backoff
    proxy.set({ down: false });
    expect(await shipper.flush(buffer, { maxObjectBytes: 1e6 })).toMatchObject({
      uploaded: 50,
      failed: false,
    });
    expect((await objects(prefix)).flatMap((o) => o.lines)).toEqual(all.map((r) => JSON.stringify(r)));
  });

  it('survives an S3 outage: records stay buffered and bounded, then all but the counted drops arrive', async () => {
    const prefix = freshPrefix();
    const proxy = await startProxy(s3.endpoint);
    const s3c = client(proxy.endpoint);
    const now = new Date('2024-03-05T08:00:00.000Z');
    const shipper = new S3Shipper({
      s3: s3c,
      bucket: BUCKET,
      prefix,
      functionName: 'fn',
      environmentId: 'e1',
      now: () => now,
    });
    const size = Buffer.byteLength(JSON.stringify(fn(0))) + 1;
    const lambdaDropped: TelemetryRecord = {
      time: '2024-03-05T07:08:09.005Z',
      type: 'platform.logsDropped',
      record: { droppedBytes: 1000, droppedRecords: 3, reason: 'Some logs were dropped' },
    };
    const buffer = new LogBuffer(size * 60 + Buffer.byteLength(JSON.stringify(lambdaDropped)) + 1, () => now);
    const all = Array.from({ length: 150 }, (_, i) => fn(i));
    buffer.add(all.slice(0, 5));
    buffer.add([lambdaDropped]);
    buffer.add(all.slice(5, 40));

    proxy.set({ down: true });
    const started = Date.now();
    const r1 = await shipper.flush(buffer, { deadlineMs: Date.now() + 500, maxObjectBytes: size * 20 });
    expect(Date.now() - started).toBeLessThan(1500);
    expect(r1).toEqual({ uploaded: 0, objects: 0, failed: true, remaining: 41 });
    expect(shipper.failures).toBeGreaterThanOrEqual(3); // 0, 100, 300 ms…
    // Logs keep coming while S3 is away: the buffer stays within its bound, the oldest go.
    for (let i = 40; i < 150; i += 10) buffer.add(all.slice(i, i + 10));
    expect(buffer.bytes).toBeLessThanOrEqual(buffer.maxBufferBytes);
    const dropped = buffer.droppedRecords;
    expect(dropped).toBe(150 - 60);
    const r2 = await shipper.flush(buffer, { deadlineMs: Date.now() + 300, maxObjectBytes: size * 20 });
    expect(r2).toMatchObject({ objects: 0, failed: true, remaining: 61 });

    proxy.set({ down: false });
    const r3 = await shipper.flush(buffer, { deadlineMs: Date.now() + 10_000, maxObjectBytes: size * 20 });
    expect(r3).toMatchObject({ failed: false, remaining: 0 });
    const stored = await objects(prefix);
    const lines = stored.flatMap((o) => o.lines);
    const parsed = lines.map((l) => JSON.parse(l) as TelemetryRecord);
    // Nothing lost but what was counted: Lambda's own drop record and the newest 60 records, in order.
    expect(lines.filter((l) => !l.includes(DROPPED_REPORT_TYPE))).toEqual(
      [lambdaDropped, ...all.slice(90)].map((r) => JSON.stringify(r)),
    );
    // The drops are reported once, at the start of an object.
    const reports = parsed.filter((r) => r.type === DROPPED_REPORT_TYPE);
    expect(reports).toEqual([
      {
        time: now.toISOString(),
        type: DROPPED_REPORT_TYPE,
        record: { droppedRecords: dropped, droppedBytes: dropped * size, reason: expect.any(String) },
      },
    ]);
    expect(
      stored.some((o) => (JSON.parse(o.lines[0]!) as TelemetryRecord).type === DROPPED_REPORT_TYPE),
    ).toBe(true);
    expect(stored.map((o) => Number(o.parts.seq))).toEqual(stored.map((_, i) => i + 1));
  });

  it('retries an ambiguous failure under the same key: no duplicate object, no duplicate record', async () => {
    const prefix = freshPrefix();
    const proxy = await startProxy(s3.endpoint);
    const s3c = client(proxy.endpoint);
    const shipper = new S3Shipper({
      s3: s3c,
      bucket: BUCKET,
      prefix,
      functionName: 'fn',
      environmentId: 'e1',
    });
    const buffer = new LogBuffer(1e6);
    const all = Array.from({ length: 30 }, (_, i) => fn(i));
    buffer.add(all.slice(0, 10));
    const size = Buffer.byteLength(JSON.stringify(fn(0))) + 1;
    proxy.set({ loseResponses: 1 }); // S3 stores the first object; its answer is lost
    const r1 = await shipper.flush(buffer, { maxObjectBytes: size * 10 });
    // The first attempt failed, the retry (same key, same records) succeeded.
    expect(shipper.failures).toBe(1);
    expect(r1).toEqual({ uploaded: 10, objects: 1, failed: false, remaining: 0 });
    expect(proxy.state.requests).toBeGreaterThanOrEqual(2);
    buffer.add(all.slice(10));
    await shipper.flush(buffer, { maxObjectBytes: size * 10 });
    const stored = await objects(prefix);
    expect(stored.map((o) => Number(o.parts.seq))).toEqual([1, 2, 3]);
    expect(stored.flatMap((o) => o.lines)).toEqual(all.map((r) => JSON.stringify(r)));
  });

  it('retries with what is left of a failed batch only, and skips its key once nothing is left', async () => {
    const prefix = freshPrefix();
    const proxy = await startProxy(s3.endpoint);
    const s3c = client(proxy.endpoint);
    const shipper = new S3Shipper({
      s3: s3c,
      bucket: BUCKET,
      prefix,
      functionName: 'fn',
      environmentId: 'e1',
    });
    const size = Buffer.byteLength(JSON.stringify(fn(0))) + 1;
    const buffer = new LogBuffer(size * 10);
    const all = Array.from({ length: 40 }, (_, i) => fn(i));
    buffer.add(all.slice(0, 10));

    // The first attempt of records 0–9 is stored, but the answer is lost (and S3 then goes away).
    proxy.set({ loseResponses: 1 });
    const lose = shipper.flush(buffer, { maxObjectBytes: size * 10 });
    await until(() => shipper.failures === 1);
    proxy.set({ down: true });
    expect(await lose).toMatchObject({ objects: 0, failed: true, remaining: 10 });
    // Records 10–13 arrive: 0–3 are dropped. The retry holds 4–9 only, under the same key.
    buffer.add(all.slice(10, 14));
    proxy.set({ down: false });
    await shipper.flush(buffer, { maxObjectBytes: size * 3 });
    let stored = await objects(prefix);
    expect(stored[0]!.parts.seq).toBe('000001');
    expect(stored[0]!.lines).toEqual(all.slice(4, 10).map((r) => JSON.stringify(r)));
    // The drop report is not added to the retry (that would make it more than what was attempted):
    // it opens the next object.
    expect(stored.flatMap((o) => o.lines.map((l) => JSON.parse(l) as TelemetryRecord))).toEqual([
      ...all.slice(4, 10),
      expect.objectContaining({
        type: DROPPED_REPORT_TYPE,
        record: expect.objectContaining({ droppedRecords: 4 }),
      }),
      ...all.slice(10, 14),
    ]);

    // Another failed object (20–29) whose records are all dropped before the retry: its key is skipped.
    buffer.add(all.slice(20, 30));
    proxy.set({ loseResponses: 1 });
    const failuresBefore = shipper.failures;
    const lose2 = shipper.flush(buffer, { maxObjectBytes: size * 10 });
    await until(() => shipper.failures > failuresBefore);
    proxy.set({ down: true });
    await lose2;
    buffer.add(all.slice(30, 40));
    proxy.set({ down: false });
    await shipper.flush(buffer, { maxObjectBytes: size * 10 });
    stored = await objects(prefix);
    expect(shipper.skippedKeys).toBe(1);
    const at = stored.findIndex((o) => o.lines[0] === JSON.stringify(all[20]));
    // The skipped key holds what its lost answer stored (20–29, counted as dropped); the next keys the rest.
    expect(stored[at]!.lines).toEqual(all.slice(20, 30).map((r) => JSON.stringify(r)));
    expect(stored.map((o) => Number(o.parts.seq))).toEqual(stored.map((_, i) => i + 1));
    expect(stored.slice(at + 1).flatMap((o) => o.lines.map((l) => JSON.parse(l) as TelemetryRecord))).toEqual(
      [
        expect.objectContaining({
          type: DROPPED_REPORT_TYPE,
          record: expect.objectContaining({ droppedRecords: 10 }),
        }),
        ...all.slice(30, 40),
      ],
    );
  });

  /** A shipper whose S3 accepts connections and never answers. */
  async function silentShipper(prefix: string): Promise<S3Shipper> {
    const silent = net.createServer(() => undefined);
    const held = new Set<net.Socket>();
    silent.on('connection', (s) => held.add(s));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => {
      for (const s of held) s.destroy();
      return new Promise((r) => silent.close(r));
    });
    const s3c = client(`http://127.0.0.1:${(silent.address() as net.AddressInfo).port}`);
    return new S3Shipper({ s3: s3c, bucket: BUCKET, prefix, functionName: 'fn', environmentId: 'e1' });
  }

  it('stops at the deadline even when S3 does not answer', async () => {
    const shipper = await silentShipper(freshPrefix());
    const buffer = new LogBuffer(1e6);
    buffer.add([fn(1), fn(2)]);
    const started = Date.now();
    const result = await shipper.flush(buffer, { deadlineMs: Date.now() + 400, maxObjectBytes: 1e6 });
    expect(Date.now() - started).toBeLessThan(1000);
    expect(result).toEqual({ uploaded: 0, objects: 0, failed: true, remaining: 2 });
  });

  it('stops when its signal aborts, its records back in the buffer for the next flush', async () => {
    const shipper = await silentShipper(freshPrefix());
    const buffer = new LogBuffer(1e6);
    buffer.add([fn(1), fn(2)]);
    const stop = new AbortController();
    // No deadline: only the signal can end this flush while S3 is silent.
    const flushing = shipper.flush(buffer, { maxObjectBytes: 1e6, signal: stop.signal });
    await until(() => shipper.objects === 0 && buffer.length === 0); // taken, upload in flight
    stop.abort();
    expect(await flushing).toEqual({ uploaded: 0, objects: 0, failed: true, remaining: 2 });
    // The next flush (SHUTDOWN's) is not held behind the stopped one.
    const next = await shipper.flush(buffer, { deadlineMs: Date.now() + 200, maxObjectBytes: 1e6 });
    expect(next.remaining).toBe(2);
  });

  it('creates its own client from the environment when none is given (the SDK loaded on first use)', async () => {
    const prefix = freshPrefix();
    const vars = {
      AWS_ENDPOINT_URL_S3: s3.endpoint,
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: SANDBOX_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: SANDBOX_CREDENTIALS.secretAccessKey,
    };
    const saved = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]));
    Object.assign(process.env, vars);
    try {
      const shipper = new S3Shipper({ bucket: BUCKET, prefix, functionName: 'fn', environmentId: 'e' });
      await shipper.upload({ records: [fn(1)], bytes: 0 });
    } finally {
      for (const [k, v] of Object.entries(saved)) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    }
    expect((await objects(prefix)).flatMap((o) => o.lines)).toEqual([JSON.stringify(fn(1))]);
  });
});
