import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { LOGS_DROPPED_REASON, TelemetryDispatcher, type DispatcherOptions } from './telemetry-dispatcher';
import { convertForSubscriber } from './telemetry-schemas';
import { parseSubscription } from './telemetry-subscription';
import type { StreamType, Subscription, SubscriptionApi, TelemetryEvent } from './telemetry-types';

/** What a listener does with request number `index` (0-based): answer with a status, or never answer. */
type Behaviour = (index: number) => number | 'hang';

interface ReceivedBatch {
  path: string;
  status: number | 'hang';
  arrivedAt: number;
  bodyBytes: number;
  contentType: string | undefined;
  events: TelemetryEvent[];
}

/** A real telemetry listener on 127.0.0.1, like an extension's. */
class Listener {
  readonly batches: ReceivedBatch[] = [];
  private readonly hung: http.ServerResponse[] = [];
  private constructor(
    private readonly server: http.Server,
    public behaviour: Behaviour,
  ) {}

  static async start(behaviour: Behaviour = () => 200, port = 0): Promise<Listener> {
    const server = http.createServer();
    const listener = new Listener(server, behaviour);
    server.on('request', (request, response) => listener.handle(request, response));
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    listeners.push(listener);
    return listener;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  /** Events of the batches this listener acknowledged, in arrival order. */
  delivered(path?: string): TelemetryEvent[] {
    return this.batches
      .filter((batch) => batch.status === 200 && (path === undefined || batch.path === path))
      .flatMap((batch) => batch.events);
  }

  async stop(): Promise<void> {
    for (const response of this.hung.splice(0)) response.destroy();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private handle(request: http.IncomingMessage, response: http.ServerResponse): void {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = Buffer.concat(chunks);
      const status = this.behaviour(this.batches.length);
      this.batches.push({
        path: request.url ?? '',
        status,
        arrivedAt: performance.now(),
        bodyBytes: body.length,
        contentType: request.headers['content-type'],
        events: JSON.parse(body.toString('utf8')) as TelemetryEvent[],
      });
      if (status === 'hang') this.hung.push(response);
      else response.writeHead(status).end();
    });
  }
}

const listeners: Listener[] = [];
const dispatchers: TelemetryDispatcher[] = [];

afterEach(async () => {
  await Promise.all(dispatchers.splice(0).map((dispatcher) => dispatcher.close(Date.now())));
  await Promise.all(listeners.splice(0).map((listener) => listener.stop()));
});

const newDispatcher = (options?: DispatcherOptions): TelemetryDispatcher => {
  const dispatcher = new TelemetryDispatcher(options);
  dispatchers.push(dispatcher);
  return dispatcher;
};

interface SubscriptionShape {
  api?: SubscriptionApi;
  schemaVersion?: string;
  extensionName?: string;
  types?: StreamType[];
  buffering?: Record<string, number>;
  path?: string;
}

/** A subscription as the sandbox's handlers would build it: through `parseSubscription`. */
const subscriptionTo = (port: number, shape: SubscriptionShape = {}): Subscription => {
  const api = shape.api ?? 'telemetry';
  const result = parseSubscription(api, shape.extensionName ?? 'ext', {
    schemaVersion: shape.schemaVersion ?? (api === 'telemetry' ? '2025-01-29' : '2021-03-18'),
    types: shape.types ?? ['platform', 'function', 'extension'],
    buffering: shape.buffering,
    destination: { protocol: 'HTTP', URI: `http://sandbox.localdomain:${port}${shape.path ?? '/'}` },
  });
  if (!result.ok) throw new Error(result.errorMessage);
  return result.subscription;
};

const functionLine = (n: number, text = `line ${n}`): TelemetryEvent => ({
  time: new Date(Date.UTC(2025, 0, 1, 0, 0, 0, n % 1000)).toISOString(),
  type: 'function',
  record: text,
});

const eventually = async (condition: () => boolean, timeoutMs = 5_000): Promise<void> => {
  const giveUpAt = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > giveUpAt) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
};

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const jsonBytes = (event: TelemetryEvent): number => Buffer.byteLength(JSON.stringify(event));

/** A port nobody listens on (yet). */
const freePort = async (): Promise<number> => {
  const probe = http.createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
};

describe('TelemetryDispatcher batching', () => {
  it('cuts batches at maxItems, keeps order and loses nothing', async () => {
    const listener = await Listener.start();
    const dispatcher = newDispatcher();
    dispatcher.subscribe(subscriptionTo(listener.port, { buffering: { maxItems: 1000, timeoutMs: 30_000 } }));
    const published = Array.from({ length: 2500 }, (_, n) => functionLine(n));
    published.forEach((event) => dispatcher.publish(event));

    // Two full batches go without waiting for the 30 s timeout; the remaining 500 wait for it (or a flush).
    await eventually(() => listener.batches.length === 2);
    await sleep(50);
    expect(listener.batches.map((batch) => batch.events.length)).toEqual([1000, 1000]);

    await dispatcher.flush();
    expect(listener.batches.map((batch) => batch.events.length)).toEqual([1000, 1000, 500]);
    expect(listener.delivered()).toEqual(published);
    expect(listener.batches.every((batch) => batch.contentType === 'application/json')).toBe(true);
    expect(dispatcher.stats().ext).toMatchObject({
      delivered: 2500,
      batches: 3,
      droppedRecords: 0,
      inFlight: 0,
    });
  });

  it('cuts batches at maxBytes of JSON body', async () => {
    const listener = await Listener.start();
    const dispatcher = newDispatcher();
    const maxBytes = 262_144;
    dispatcher.subscribe(subscriptionTo(listener.port, { buffering: { maxBytes, timeoutMs: 30_000 } }));
    const published = Array.from({ length: 100 }, (_, n) => functionLine(n, `${n} ${'x'.repeat(10_000)}`));
    published.forEach((event) => dispatcher.publish(event));
    const recordBytes = jsonBytes(published[0]!);

    await eventually(() => listener.batches.length >= 3);
    await dispatcher.flush();
    expect(listener.delivered()).toEqual(published);
    const [last, ...full] = [...listener.batches].reverse();
    for (const batch of [...full, last!]) expect(batch.bodyBytes).toBeLessThanOrEqual(maxBytes);
    // Every batch but the last was cut because one more record would not have fitted.
    for (const batch of full) expect(batch.bodyBytes + recordBytes + 1).toBeGreaterThan(maxBytes);
  });

  it('sends a lone record timeoutMs after it was buffered, not before', async () => {
    const listener = await Listener.start();
    const dispatcher = newDispatcher();
    const timeoutMs = 200;
    dispatcher.subscribe(subscriptionTo(listener.port, { buffering: { timeoutMs } }));
    const publishedAt = performance.now();
    dispatcher.publish(functionLine(1));

    await eventually(() => listener.batches.length === 1);
    const waited = listener.batches[0]!.arrivedAt - publishedAt;
    expect(waited).toBeGreaterThanOrEqual(timeoutMs - 5);
    expect(waited).toBeLessThan(timeoutMs + 500);
  });
});

describe('TelemetryDispatcher delivery failures', () => {
  it('retries until a listener that was absent starts, then delivers everything once, in order', async () => {
    const port = await freePort();
    const dispatcher = newDispatcher();
    dispatcher.subscribe(subscriptionTo(port, { buffering: { timeoutMs: 25 } }));
    const published = Array.from({ length: 10 }, (_, n) => functionLine(n));
    published.forEach((event) => dispatcher.publish(event));

    await eventually(() => (dispatcher.stats().ext?.retries ?? 0) >= 2);
    expect(dispatcher.stats().ext).toMatchObject({ delivered: 0, inFlight: 10, bufferedRecords: 10 });

    const listener = await Listener.start(() => 200, port);
    await dispatcher.flush();
    expect(listener.delivered()).toEqual(published);
    expect(dispatcher.stats().ext).toMatchObject({ delivered: 10, bufferedRecords: 0, bufferedBytes: 0 });
  });

  it('resends the same batch after two 500s, so each record is delivered once and in order', async () => {
    const listener = await Listener.start((index) => (index < 2 ? 500 : 200));
    const dispatcher = newDispatcher();
    dispatcher.subscribe(subscriptionTo(listener.port, { buffering: { timeoutMs: 25 } }));
    const published = Array.from({ length: 5 }, (_, n) => functionLine(n));
    published.forEach((event) => dispatcher.publish(event));

    await dispatcher.flush();
    expect(listener.batches.map((batch) => batch.status)).toEqual([500, 500, 200]);
    expect(listener.batches.map((batch) => batch.events)).toEqual([published, published, published]);
    expect(listener.delivered()).toEqual(published);
    expect(dispatcher.stats().ext).toMatchObject({ delivered: 5, batches: 1, retries: 2 });
  });

  it('backs off between retries, doubling the delay each time up to its ceiling', async () => {
    const listener = await Listener.start((index) => (index < 4 ? 500 : 200));
    const dispatcher = newDispatcher({ retryBaseMs: 40, retryMaxMs: 120 });
    dispatcher.subscribe(subscriptionTo(listener.port, { buffering: { timeoutMs: 25 } }));
    dispatcher.publish(functionLine(0));
    await dispatcher.flush();
    const at = listener.batches.map((batch) => batch.arrivedAt);
    const gaps = at.slice(1).map((t, i) => t - at[i]!);
    // Timers never fire early: each gap is at least its delay (40, 80, then the 120 ceiling twice).
    expect(gaps).toHaveLength(4);
    [40, 80, 120, 120].forEach((delay, i) => expect(gaps[i]).toBeGreaterThanOrEqual(delay - 2));
    expect(gaps[3]).toBeLessThan(300); // capped: uncapped, the fourth delay would be 320 ms
  });

  it('drops records past its bound while the listener hangs, then reports them with platform.logsDropped', async () => {
    let hanging = true;
    const listener = await Listener.start(() => (hanging ? 'hang' : 200));
    const dispatcher = newDispatcher({
      queueLimit: () => ({ records: 5, bytes: 1024 * 1024 }),
      requestTimeoutMs: 150,
      retryMaxMs: 200,
    });
    dispatcher.subscribe(subscriptionTo(listener.port, { buffering: { timeoutMs: 25 } }));
    const kept = Array.from({ length: 5 }, (_, n) => functionLine(n));
    kept.forEach((event) => dispatcher.publish(event));
    await eventually(() => listener.batches.length >= 1);

    const dropped = Array.from({ length: 7 }, (_, n) => functionLine(100 + n));
    dropped.forEach((event) => dispatcher.publish(event));
    const droppedBytes = dropped.reduce((sum, event) => sum + jsonBytes(event), 0);
    expect(dispatcher.stats().ext).toMatchObject({ droppedRecords: 7, droppedBytes, bufferedRecords: 5 });
    expect(dispatcher.bufferedBytes()).toBe(kept.reduce((sum, event) => sum + jsonBytes(event), 0));

    await eventually(() => (dispatcher.stats().ext?.retries ?? 0) >= 1);
    hanging = false;
    await dispatcher.flush();
    const delivered = listener.delivered();
    expect(delivered.slice(0, 5)).toEqual(kept);
    expect(delivered.slice(5)).toEqual([
      {
        time: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
        type: 'platform.logsDropped',
        record: { reason: LOGS_DROPPED_REASON, droppedRecords: 7, droppedBytes },
      },
    ]);
    expect(dispatcher.stats().ext).toMatchObject({ delivered: 6, droppedRecords: 7, bufferedRecords: 0 });
  });
});

const TRACE = {
  spanId: '54565fb41ac79632',
  type: 'X-Amzn-Trace-Id',
  value: 'Root=1-62e900b2-710d76f009d6e7785905449a;Parent=0efbd19962d95b05;Sampled=1',
};
const at = (n: number) => `2025-06-01T00:00:00.${String(n).padStart(3, '0')}Z`;

/** One cold invoke in the canonical (Telemetry 2025-01-29) shape, plus a Logs-only platform.fault. */
const canonical = {
  initStart: {
    time: at(1),
    type: 'platform.initStart',
    record: {
      initializationType: 'on-demand',
      phase: 'init',
      runtimeVersion: 'nodejs:22.v40',
      runtimeVersionArn: 'arn:aws:lambda:us-east-1::runtime:abc',
      functionName: 'hello',
      functionVersion: '$LATEST',
      instanceId: 'i-0123',
      instanceMaxMemory: 134_217_728,
      tracing: TRACE,
    },
  },
  extension: {
    time: at(2),
    type: 'platform.extension',
    record: { name: 'ext', state: 'Ready', events: ['INVOKE', 'SHUTDOWN'] },
  },
  subscription: {
    time: at(3),
    type: 'platform.telemetrySubscription',
    record: { name: 'ext', state: 'Subscribed', types: ['platform', 'function', 'extension'] },
  },
  initRuntimeDone: {
    time: at(4),
    type: 'platform.initRuntimeDone',
    record: { initializationType: 'on-demand', phase: 'init', status: 'success', tracing: TRACE },
  },
  initReport: {
    time: at(5),
    type: 'platform.initReport',
    record: {
      initializationType: 'on-demand',
      phase: 'init',
      status: 'success',
      metrics: { durationMs: 120.5 },
      tracing: TRACE,
    },
  },
  start: {
    time: at(6),
    type: 'platform.start',
    record: { requestId: 'r1', version: '$LATEST', functionArn: 'arn:fn', tenantId: 't1', tracing: TRACE },
  },
  jsonLog: {
    time: at(7),
    type: 'function',
    record: { timestamp: at(7), level: 'INFO', requestId: 'r1', message: 'hi' },
  },
  fault: {
    time: at(8),
    type: 'platform.fault',
    record: 'RequestId: r1 Process exited before completing request',
  },
  runtimeDone: {
    time: at(9),
    type: 'platform.runtimeDone',
    record: {
      requestId: 'r1',
      status: 'error',
      errorType: 'Runtime.ExitError',
      metrics: { durationMs: 5.5, producedBytes: 0 },
      tenantId: 't1',
      tracing: TRACE,
    },
  },
  report: {
    time: at(10),
    type: 'platform.report',
    record: {
      requestId: 'r1',
      status: 'error',
      errorType: 'Runtime.ExitError',
      metrics: {
        durationMs: 5.5,
        billedDurationMs: 6,
        memorySizeMB: 128,
        maxMemoryUsedMB: 60,
        initDurationMs: 120.5,
        billedRestoreDurationMs: 0,
      },
      tenantId: 't1',
      tracing: TRACE,
    },
  },
} satisfies Record<string, TelemetryEvent>;

const withRecord = (event: TelemetryEvent, record: unknown, type = event.type): TelemetryEvent => ({
  time: event.time,
  type,
  record,
});
const without = (event: { record: Record<string, unknown> }, ...fields: string[]) =>
  Object.fromEntries(Object.entries(event.record).filter(([field]) => !fields.includes(field)));

const telemetry20221213: TelemetryEvent[] = [
  canonical.initStart,
  canonical.extension,
  canonical.subscription,
  canonical.initRuntimeDone,
  canonical.initReport,
  withRecord(canonical.start, without(canonical.start, 'functionArn', 'tenantId')),
  canonical.jsonLog,
  withRecord(canonical.runtimeDone, without(canonical.runtimeDone, 'tenantId')),
  withRecord(canonical.report, without(canonical.report, 'tenantId')),
];

const telemetry20220701: TelemetryEvent[] = [
  withRecord(canonical.initStart, {
    initializationType: 'on-demand',
    phase: 'init',
    runtimeVersion: 'nodejs:22.v40',
    runtimeVersionArn: 'arn:aws:lambda:us-east-1::runtime:abc',
  }),
  canonical.extension,
  canonical.subscription,
  withRecord(canonical.initRuntimeDone, without(canonical.initRuntimeDone, 'tracing')),
  withRecord(canonical.initReport, without(canonical.initReport, 'status', 'tracing')),
  withRecord(canonical.start, without(canonical.start, 'functionArn', 'tenantId')),
  withRecord(canonical.jsonLog, JSON.stringify(canonical.jsonLog.record)),
  withRecord(canonical.runtimeDone, without(canonical.runtimeDone, 'tenantId')),
  withRecord(canonical.report, {
    ...without(canonical.report, 'tenantId'),
    metrics: {
      durationMs: 5.5,
      billedDurationMs: 6,
      memorySizeMB: 128,
      maxMemoryUsedMB: 60,
      initDurationMs: 120.5,
    },
  }),
];

const logs20200815: TelemetryEvent[] = [
  canonical.extension,
  withRecord(canonical.subscription, canonical.subscription.record, 'platform.logsSubscription'),
  withRecord(canonical.start, { requestId: 'r1', version: '$LATEST' }),
  withRecord(canonical.jsonLog, JSON.stringify(canonical.jsonLog.record)),
  canonical.fault,
  withRecord(canonical.report, { requestId: 'r1' }, 'platform.end'),
  withRecord(canonical.report, {
    requestId: 'r1',
    metrics: {
      durationMs: 5.5,
      billedDurationMs: 6,
      memorySizeMB: 128,
      maxMemoryUsedMB: 60,
      initDurationMs: 120.5,
    },
    tracing: { type: TRACE.type, value: TRACE.value },
  }),
];

const logs20210318: TelemetryEvent[] = [
  ...logs20200815.slice(0, 5),
  withRecord(canonical.runtimeDone, { requestId: 'r1', status: 'failure' }),
  ...logs20200815.slice(5),
];

describe('TelemetryDispatcher schema conversion', () => {
  it('delivers what each API and schema version receives', async () => {
    const listener = await Listener.start();
    const dispatcher = newDispatcher();
    const targets = [
      ['telemetry', '2025-01-29'],
      ['telemetry', '2022-12-13'],
      ['telemetry', '2022-07-01'],
      ['logs', '2021-03-18'],
      ['logs', '2020-08-15'],
    ] as const;
    for (const [api, schemaVersion] of targets) {
      const path = `/${api}/${schemaVersion}`;
      dispatcher.subscribe(subscriptionTo(listener.port, { api, schemaVersion, path, extensionName: path }));
    }
    const published = Object.values(canonical);
    const frozen = structuredClone(published);
    published.forEach((event) => dispatcher.publish(event));
    await dispatcher.flush();

    expect(listener.delivered('/telemetry/2025-01-29')).toEqual(
      published.filter((e) => e !== canonical.fault),
    );
    expect(listener.delivered('/telemetry/2022-12-13')).toEqual(telemetry20221213);
    expect(listener.delivered('/telemetry/2022-07-01')).toEqual(telemetry20220701);
    expect(listener.delivered('/logs/2021-03-18')).toEqual(logs20210318);
    expect(listener.delivered('/logs/2020-08-15')).toEqual(logs20200815);
    // The canonical events are shared by every subscriber and must come out untouched.
    expect(published).toEqual(frozen);
  });

  it('keeps per-record rules: extension errorType from 2022-12-13, logsDropped in both APIs', () => {
    const crashed: TelemetryEvent = {
      time: at(1),
      type: 'platform.extension',
      record: { name: 'ext', state: 'Ready', events: ['INVOKE'], errorType: 'Extension.Crash' },
    };
    const target = (api: SubscriptionApi, schemaVersion: string) => ({ api, schemaVersion });
    expect(convertForSubscriber(crashed, target('telemetry', '2022-12-13'))).toEqual([crashed]);
    expect(convertForSubscriber(crashed, target('telemetry', '2022-07-01'))).toEqual([
      withRecord(crashed, { name: 'ext', state: 'Ready', events: ['INVOKE'] }),
    ]);
    expect(convertForSubscriber(crashed, target('logs', '2021-03-18'))).toEqual([
      withRecord(crashed, { name: 'ext', state: 'Ready', events: ['INVOKE'] }),
    ]);
    const dropped: TelemetryEvent = {
      time: at(2),
      type: 'platform.logsDropped',
      record: { reason: LOGS_DROPPED_REASON, droppedRecords: 1, droppedBytes: 10 },
    };
    expect(convertForSubscriber(dropped, target('logs', '2020-08-15'))).toEqual([dropped]);
    expect(convertForSubscriber(dropped, target('telemetry', '2022-07-01'))).toEqual([dropped]);
    expect(convertForSubscriber(canonical.initReport, target('logs', '2021-03-18'))).toBeUndefined();
    expect(convertForSubscriber(canonical.runtimeDone, target('logs', '2020-08-15'))).toBeUndefined();
    expect(convertForSubscriber(canonical.fault, target('telemetry', '2025-01-29'))).toBeUndefined();
  });

  it('gives each subscriber only the streams it subscribed to', async () => {
    const listener = await Listener.start();
    const dispatcher = newDispatcher();
    dispatcher.subscribe(
      subscriptionTo(listener.port, { extensionName: 'fn', path: '/fn', types: ['function'] }),
    );
    dispatcher.subscribe(
      subscriptionTo(listener.port, { extensionName: 'pl', path: '/pl', types: ['platform', 'extension'] }),
    );
    const extensionLine: TelemetryEvent = { time: at(11), type: 'extension', record: 'ext says hi' };
    const published = [canonical.start, functionLine(1), extensionLine, canonical.report, functionLine(2)];
    published.forEach((event) => dispatcher.publish(event));
    await dispatcher.flush();

    expect(listener.delivered('/fn')).toEqual([functionLine(1), functionLine(2)]);
    expect(listener.delivered('/pl')).toEqual([canonical.start, extensionLine, canonical.report]);
  });
});

describe('TelemetryDispatcher subscribe, flush and close', () => {
  it('treats a repeated identical subscribe as one, and a changed one as a replacement', async () => {
    const first = await Listener.start();
    const second = await Listener.start();
    const dispatcher = newDispatcher();
    const buffering = { timeoutMs: 30_000 };
    dispatcher.subscribe(subscriptionTo(first.port, { buffering }));
    dispatcher.subscribe(subscriptionTo(first.port, { buffering }));
    dispatcher.publish(functionLine(1));
    await dispatcher.flush();
    expect(first.delivered()).toEqual([functionLine(1)]);

    dispatcher.publish(functionLine(2));
    dispatcher.subscribe(
      subscriptionTo(second.port, { buffering, api: 'logs', schemaVersion: '2020-08-15' }),
    );
    dispatcher.publish(functionLine(3));
    await dispatcher.flush();
    expect(first.delivered()).toEqual([functionLine(1)]);
    expect(second.delivered()).toEqual([functionLine(2), functionLine(3)]);
    expect(Object.keys(dispatcher.stats())).toEqual(['ext']);
  });

  it('flush() resolves at once with nothing buffered, and sends partial batches without waiting', async () => {
    const listener = await Listener.start();
    const dispatcher = newDispatcher();
    await dispatcher.flush();
    dispatcher.subscribe(subscriptionTo(listener.port, { buffering: { timeoutMs: 30_000 } }));
    await dispatcher.flush();

    const started = performance.now();
    dispatcher.publish(functionLine(1));
    dispatcher.publish(functionLine(2));
    await dispatcher.flush();
    expect(performance.now() - started).toBeLessThan(1_000);
    expect(listener.delivered()).toEqual([functionLine(1), functionLine(2)]);
  });

  it('close() delivers what is buffered before its deadline', async () => {
    const listener = await Listener.start();
    const dispatcher = newDispatcher();
    dispatcher.subscribe(subscriptionTo(listener.port, { buffering: { timeoutMs: 30_000 } }));
    dispatcher.publish(functionLine(1));
    const started = performance.now();
    await dispatcher.close(Date.now() + 2_000);
    expect(performance.now() - started).toBeLessThan(1_000);
    expect(listener.delivered()).toEqual([functionLine(1)]);
  });

  it('close() gives up at its deadline when the listener never comes, and ends pending flushes', async () => {
    const port = await freePort();
    const dispatcher = newDispatcher();
    dispatcher.subscribe(subscriptionTo(port, { buffering: { timeoutMs: 25 } }));
    dispatcher.publish(functionLine(1));
    const pendingFlush = dispatcher.flush();

    const deadline = Date.now() + 300;
    await dispatcher.close(deadline);
    const closedAt = Date.now();
    expect(closedAt).toBeGreaterThanOrEqual(deadline - 5);
    expect(closedAt).toBeLessThan(deadline + 500);
    await pendingFlush;

    const before = dispatcher.stats().ext;
    expect(before).toMatchObject({ delivered: 0, bufferedRecords: 1 });
    expect(before?.retries).toBeGreaterThanOrEqual(1);
    dispatcher.publish(functionLine(2));
    await sleep(100);
    expect(dispatcher.stats().ext).toEqual(before);
  });
});
