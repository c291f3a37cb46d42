/**
 * Conformance suite of the local sandbox: drives every lifecycle point Lambda defines with real
 * processes — the sandbox's runtime client on Node.js 24 from npm, and independent extensions (one
 * in shell + curl) — and checks what the runtime, the extensions and the caller observe.
 */
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ExecutionEnvironment, type SandboxOptions } from '../execution-environment';
import type { FunctionConfig } from '../function-config';
import { ensureNodeRuntime } from '../node-runtime';
import { namespaceSupport } from '../lambda-filesystem';
import { ensureAwsLambdaRic } from './aws-lambda-ric';
import { liveProcessGroups, spawnedGroupIds, survivingGroups } from '../process-group';
import type { TelemetryEvent } from '../telemetry-types';

const fixtures = join(__dirname, 'fixtures');
let nodePath: string;

beforeAll(async () => {
  nodePath = await ensureNodeRuntime(24);
}, 300_000);

interface Harness {
  env: ExecutionEnvironment;
  telemetry: TelemetryEvent[];
  lines: string[];
  scratch: string;
}

const open: ExecutionEnvironment[] = [];
const scratchDirs: string[] = [];

async function sandbox(
  layers: string[],
  overrides: Partial<FunctionConfig> = {},
  options: Partial<SandboxOptions> = {},
): Promise<Harness> {
  const scratch = mkdtempSync(join(tmpdir(), 'conformance-'));
  scratchDirs.push(scratch);
  const telemetry: TelemetryEvent[] = [];
  const lines: string[] = [];
  const config: FunctionConfig = {
    logicalId: 'ConformanceFunction',
    functionName: 'conformance',
    handler: 'index.handler',
    runtime: 'nodejs24.x',
    memorySizeMb: 128,
    timeoutSeconds: 3,
    architecture: 'x86_64',
    codeDir: join(fixtures, 'function'),
    layerDirs: layers.map((l) => join(fixtures, 'layers', l)),
    logFormat: 'Text',
    ...overrides,
    environment: {
      TIMER_FILE: join(scratch, 'ticks'),
      ENV_DUMP_FILE: join(scratch, 'extension-env'),
      PROBE_FILE: join(scratch, 'probe.json'),
      TELEMETRY_FILE: join(scratch, 'telemetry.ndjson'),
      ...overrides.environment,
    },
  };
  const env = await ExecutionEnvironment.create(config, {
    nodePath,
    onTelemetry: (e) => telemetry.push(e),
    print: (l) => lines.push(l),
    ...options,
  });
  open.push(env);
  return { env, telemetry, lines, scratch };
}

/** False for a test whose environment is refused before it starts anything. */
let startsProcesses = true;

afterEach(async () => {
  await Promise.all(open.splice(0).map((env) => env.close()));
  for (const dir of scratchDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  // Nothing the sandbox started survives a test, whatever failed in it: the kernel has no process
  // left in any group the sandbox created (a shell extension's `sleep` children included).
  expect(liveProcessGroups().size).toBe(0);
  if (startsProcesses) expect(spawnedGroupIds.length).toBeGreaterThan(0);
  startsProcesses = true;
  expect(survivingGroups(spawnedGroupIds.splice(0))).toEqual([]);
});

/** What a probe fixture wrote: nested JSON read back (shapes are asserted by the tests). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Probe = Record<string, any>;
const json = (b: Buffer) => JSON.parse(b.toString('utf8')) as Record<string, unknown>;
const ofType = (events: TelemetryEvent[], type: string) => events.filter((e) => e.type === type);
const recordOf = (e: TelemetryEvent | undefined) => (e?.record ?? {}) as Record<string, unknown>;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('invoke and the Runtime API', () => {
  it('runs the handler on Node.js 24 and reports like Lambda (init duration on the cold start only)', async () => {
    const { env, telemetry, lines } = await sandbox([]);
    const cold = await env.invoke(JSON.stringify({ action: 'echo', n: 1 }));
    const warm = await env.invoke(JSON.stringify({ action: 'echo', n: 2 }));
    expect(cold.status).toBe('success');
    const body = json(warm.payload);
    expect(body.event).toEqual({ action: 'echo', n: 2 });
    expect(body.requestId).toBe(warm.requestId);
    expect(body.remainingMs).toBeGreaterThan(2000);
    expect(String(body.traceId)).toMatch(/^Root=1-[0-9a-f]{8}-[0-9a-f]{24};Parent=[0-9a-f]{16};Sampled=0$/);
    expect(cold.initDurationMs).toBeGreaterThan(0);
    expect(warm.initDurationMs).toBeUndefined();
    const reports = ofType(telemetry, 'platform.report').map(recordOf);
    expect(reports.map((r) => r.requestId)).toEqual([cold.requestId, warm.requestId]);
    const metrics = reports[1]!.metrics as Record<string, number>;
    expect(metrics.memorySizeMB).toBe(128);
    expect(metrics.maxMemoryUsedMB).toBeGreaterThan(10);
    expect(metrics.billedDurationMs).toBe(Math.ceil(metrics.durationMs!));
    expect(lines.filter((l) => l.startsWith('REPORT RequestId:'))[0]).toMatch(
      /^REPORT RequestId: \S+\tDuration: [\d.]+ ms\tBilled Duration: \d+ ms\tMemory Size: 128 MB\tMax Memory Used: \d+ MB\tInit Duration: [\d.]+ ms$/,
    );
    expect(ofType(telemetry, 'platform.initStart')).toHaveLength(1);
  });

  it('sets the reserved variables for the runtime and withholds the private ones from extensions', async () => {
    const { env, scratch } = await sandbox(['env-dump']);
    const runtimeEnv = json((await env.invoke('{"action":"env"}')).payload);
    expect(runtimeEnv).toMatchObject({
      _HANDLER: 'index.handler',
      AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs24.x',
      AWS_LAMBDA_FUNCTION_NAME: 'conformance',
      AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '128',
      AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
      AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
      AWS_LAMBDA_LOG_GROUP_NAME: '/aws/lambda/conformance',
      AWS_REGION: 'us-east-1',
      TZ: ':UTC',
      LAMBDA_TASK_ROOT: namespaceSupport()?.taskRoot ? '/var/task' : join(fixtures, 'function'),
    });
    expect(String(runtimeEnv.AWS_LAMBDA_RUNTIME_API)).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(runtimeEnv._LAMBDA_TELEMETRY_LOG_FD).toBeUndefined();
    const extensionEnv = Object.fromEntries(
      readFileSync(join(scratch, 'extension-env'), 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
    );
    expect(extensionEnv.AWS_LAMBDA_RUNTIME_API).toBe(runtimeEnv.AWS_LAMBDA_RUNTIME_API);
    expect(extensionEnv.AWS_SESSION_TOKEN).toBe(runtimeEnv.AWS_SESSION_TOKEN);
    for (const withheld of [
      'AWS_EXECUTION_ENV',
      'AWS_LAMBDA_LOG_GROUP_NAME',
      'AWS_LAMBDA_LOG_STREAM_NAME',
      'LAMBDA_TASK_ROOT',
      '_HANDLER',
    ]) {
      expect(extensionEnv[withheld]).toBeUndefined();
    }
  });

  const namespaced = namespaceSupport()?.taskRoot ? it : it.skip;
  namespaced('shows every process its layers at /opt and its code at /var/task, as Lambda does', async () => {
    const { env, scratch } = await sandbox(['env-dump']);
    const runtimeEnv = json((await env.invoke('{"action":"env"}')).payload);
    expect(runtimeEnv.LAMBDA_TASK_ROOT).toBe('/var/task');
    expect(String(runtimeEnv.PATH).endsWith(':/opt/bin')).toBe(true);
    const seen = readFileSync(join(scratch, 'extension-env.paths'), 'utf8').trim().split('\n');
    expect(seen).toEqual(['0=/opt/extensions/env-dump-extension', 'opt:env-dump-extension', 'task:index.js']);
  });

  namespaced('extracts layers in order into /opt: a later layer’s file wins', async () => {
    const layers = ['first', 'second'].map((name) => {
      const dir = mkdtempSync(join(tmpdir(), `layer-${name}-`));
      scratchDirs.push(dir);
      mkdirSync(join(dir, 'data'));
      writeFileSync(join(dir, 'data', 'which.txt'), name);
      writeFileSync(join(dir, 'data', `only-${name}.txt`), name);
      return dir;
    });
    const { env } = await sandbox([], { layerDirs: layers });
    const read = async (path: string) =>
      JSON.parse(
        (await env.invoke(JSON.stringify({ action: 'read', path }))).payload.toString('utf8'),
      ) as string;
    expect(await read('/opt/data/which.txt')).toBe('second');
    expect(await read('/opt/data/only-first.txt')).toBe('first');
  });

  it('uses the host folders as they are with filesystem: host', async () => {
    const { env } = await sandbox([], {}, { filesystem: 'host' });
    const runtimeEnv = json((await env.invoke('{"action":"env"}')).payload);
    expect(runtimeEnv.LAMBDA_TASK_ROOT).toBe(join(fixtures, 'function'));
    expect(String(runtimeEnv.PATH)).toMatch(/:\/tmp\/lambda-opt-ConformanceFunction-[^/]+\/bin$/);
  });

  it('answers wrong calls from inside an invoke with Lambda error codes', async () => {
    const { env } = await sandbox([]);
    const probe = json((await env.invoke('{"action":"probe"}')).payload) as Record<
      string,
      { status: number; body: { errorType: string } }
    >;
    expect(probe.nextDuringInvoke).toMatchObject({
      status: 403,
      body: { errorType: 'InvalidStateTransition' },
    });
    expect(probe.unknownRequestId).toMatchObject({ status: 400, body: { errorType: 'InvalidRequestID' } });
    expect(probe.registerAfterInit).toMatchObject({
      status: 403,
      body: { errorType: 'Extension.RegistrationClosed' },
    });
    expect(probe.nextWithoutId).toMatchObject({
      status: 403,
      body: { errorType: 'Extension.MissingExtensionIdentifier' },
    });
    expect(probe.nextWithBadId).toMatchObject({
      status: 403,
      body: { errorType: 'Extension.InvalidExtensionIdentifier' },
    });
    expect(probe.nextWithUnknownId).toMatchObject({
      status: 403,
      body: { errorType: 'Extension.UnknownExtensionIdentifier' },
    });
    expect(probe.unknownPath!.status).toBe(404);
  });

  it('returns a handler error with its type, and the runtime keeps serving', async () => {
    const { env } = await sandbox([]);
    const failed = await env.invoke('{"action":"throw"}');
    expect(failed.status).toBe('error');
    // X-Amz-Function-Error is `Unhandled`; the error's own type is in the payload.
    expect(failed.errorType).toBe('Unhandled');
    expect(json(failed.payload)).toMatchObject({ errorType: 'TypeError', errorMessage: 'boom' });
    expect((await env.invoke('{"action":"echo"}')).status).toBe('success');
  });

  it('refuses a response over 6 MiB with Function.ResponseSizeTooLarge', async () => {
    const { env } = await sandbox([]);
    const result = await env.invoke(JSON.stringify({ action: 'big', bytes: 6 * 1024 * 1024 + 10 }));
    expect(result.errorType).toBe('Function.ResponseSizeTooLarge');
    expect(json(result.payload).errorMessage).toMatch(/6291456 bytes/);
  });

  it('turns console output into function records with Lambda’s prefix, one record per message', async () => {
    const { env, telemetry } = await sandbox([]);
    const result = await env.invoke(JSON.stringify({ action: 'log', lines: ['first', 'second'] }));
    const records = ofType(telemetry, 'function').map((e) => String(e.record));
    const prefix = (level: string, message: string) =>
      new RegExp(`^\\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z\\t${result.requestId}\\t${level}\\t${message}$`);
    expect(records).toEqual(
      expect.arrayContaining([
        expect.stringMatching(prefix('INFO', 'first')),
        expect.stringMatching(prefix('INFO', 'second')),
        expect.stringMatching(prefix('ERROR', 'multi\nline')),
        'raw stdout line',
      ]),
    );
  });
});

describe('with AWS’s own runtime interface client (aws-lambda-ric)', () => {
  const linux = process.platform === 'linux' ? it : it.skip;
  linux(
    'serves invokes, errors, log frames and the shell extension through the same Runtime API',
    async () => {
      const ric = await ensureAwsLambdaRic(nodePath);
      const { env, telemetry } = await sandbox(
        ['curl'],
        {},
        { runtimeClient: { command: nodePath, args: [ric] } },
      );
      const ok = await env.invoke(JSON.stringify({ action: 'echo', n: 7 }));
      expect(ok.status).toBe('success');
      expect(json(ok.payload)).toMatchObject({ event: { action: 'echo', n: 7 }, requestId: ok.requestId });
      const failed = await env.invoke('{"action":"throw"}');
      expect(failed.errorType).toBe('Unhandled');
      expect(json(failed.payload)).toMatchObject({ errorType: 'TypeError', errorMessage: 'boom' });
      const logged = await env.invoke(JSON.stringify({ action: 'log', lines: ['from the aws client'] }));
      expect(ofType(telemetry, 'function').map((e) => String(e.record))).toContainEqual(
        expect.stringMatching(new RegExp(`\\t${logged.requestId}\\tINFO\\tfrom the aws client\\n?$`)),
      );
      expect(ofType(telemetry, 'extension').some((e) => String(e.record).includes(ok.requestId))).toBe(true);
    },
    600_000,
  );
});

describe('JSON logs', () => {
  it('emits function records as objects and drops levels below AWS_LAMBDA_LOG_LEVEL', async () => {
    const { env, telemetry } = await sandbox([], { logFormat: 'JSON', logLevel: 'WARN' });
    const result = await env.invoke(JSON.stringify({ action: 'log', lines: ['info is dropped'] }));
    const records = ofType(telemetry, 'function').map((e) => e.record);
    expect(records).toContainEqual({
      timestamp: expect.stringMatching(/Z$/),
      level: 'ERROR',
      requestId: result.requestId,
      message: 'multi\nline',
    });
    expect(JSON.stringify(records)).not.toContain('info is dropped');
  });
});

describe('extensions', () => {
  it('runs a shell + curl extension: registered, sees every event, and the invoke waits for it', async () => {
    const { env, telemetry, lines } = await sandbox(['curl']);
    let respondedAt = 0;
    const started = performance.now();
    const result = await env.invoke('{"action":"echo"}', {
      onResponse: () => (respondedAt = performance.now() - started),
    });
    const endedAt = performance.now() - started;
    expect(result.status).toBe('success');
    // The caller had its response at once; the invoke ended only when the extension came back (it sleeps 200 ms).
    expect(respondedAt).toBeLessThan(150);
    expect(endedAt).toBeGreaterThanOrEqual(195);
    expect(recordOf(ofType(telemetry, 'platform.extension')[0])).toEqual({
      name: 'curl-extension',
      state: 'Ready',
      events: ['INVOKE', 'SHUTDOWN'],
    });
    await env.close();
    const ext = ofType(telemetry, 'extension').map((e) => String(e.record));
    expect(ext.some((l) => /^\[curl-extension\] registered [0-9a-f-]{36}$/.test(l))).toBe(true);
    const invoke = ext.find((l) => l.includes('"eventType":"INVOKE"'))!;
    expect(JSON.parse(invoke.replace('[curl-extension] received ', ''))).toMatchObject({
      eventType: 'INVOKE',
      requestId: result.requestId,
      invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:conformance',
      tracing: { type: 'X-Amzn-Trace-Id', value: expect.stringMatching(/^Root=1-/) },
    });
    expect(
      ext.some((l) => l.includes('"eventType":"SHUTDOWN"') && l.includes('"shutdownReason":"spindown"')),
    ).toBe(true);
    expect(ext).toContain('[curl-extension] shutting down');
    expect(lines).toContain('EXTENSION\tName: curl-extension\tState: Ready\tEvents: [INVOKE, SHUTDOWN]');
  });

  it('answers the edges of the Extensions API as Lambda does', async () => {
    // late-extension registers 0.3 s after the probe: registration is still open for its second try.
    const { env, scratch, telemetry } = await sandbox(['probe', 'late']);
    const result = await env.invoke('{"action":"echo"}');
    await env.close();
    const seen = JSON.parse(readFileSync(join(scratch, 'probe.json'), 'utf8')) as Probe;
    // The sandbox refuses a name that is no file in /opt/extensions (Lambda would take it for an
    // internal extension, registered from the runtime process, which the sandbox does not model).
    expect(seen.wrongName).toMatchObject({
      status: 403,
      body: { errorType: 'Extension.InvalidExtensionName' },
    });
    expect(seen.badEvent).toMatchObject({ status: 403, body: { errorType: 'Extension.InvalidEventType' } });
    // With Accept-Feature: accountId the register body carries the account.
    expect(seen.registered).toEqual({
      status: 200,
      body: {
        functionName: 'conformance',
        functionVersion: '$LATEST',
        handler: 'index.handler',
        accountId: expect.stringMatching(/^\d{12}$/),
      },
    });
    // Registering twice is a state error, as in Lambda's own implementation.
    expect(seen.again).toMatchObject({ status: 403, body: { errorType: 'Extension.InvalidExtensionState' } });
    // Each event comes with its own event identifier header; INVOKE always carries tracing.
    const [invoke, shutdown] = seen.events;
    expect(invoke.event).toMatchObject({
      eventType: 'INVOKE',
      requestId: result.requestId,
      tracing: { type: 'X-Amzn-Trace-Id' },
    });
    expect(shutdown.event).toMatchObject({ eventType: 'SHUTDOWN', shutdownReason: 'spindown' });
    expect(invoke.identifier).toEqual(expect.any(String));
    expect(invoke.identifier).not.toBe(shutdown.identifier);
    expect(seen.exitError).toEqual({ status: 202, body: { status: 'OK' } });
    // The cold start's records include the runtime's init outcome.
    expect(recordOf(ofType(telemetry, 'platform.initRuntimeDone')[0])).toMatchObject({
      initializationType: 'on-demand',
      phase: 'init',
      status: 'success',
    });
  });

  it('gives the runtime SIGTERM at shutdown when external extensions are registered', async () => {
    const { env, scratch } = await sandbox(['curl']);
    const file = join(scratch, 'sigterm');
    await env.invoke(JSON.stringify({ action: 'note-sigterm', file }));
    await env.close();
    expect(readFileSync(file, 'utf8')).toBe('SIGTERM');
  });

  it('refuses more than 10 extensions at init with Extension.TooManyExtensions', async () => {
    const layer = mkdtempSync(join(tmpdir(), 'eleven-'));
    scratchDirs.push(layer);
    mkdirSync(join(layer, 'extensions'));
    for (let i = 1; i <= 11; i++)
      cpSync(join(fixtures, 'layers/late/extensions/late-extension'), join(layer, 'extensions', `ext-${i}`));
    const { env } = await sandbox([], { layerDirs: [layer] });
    const result = await env.invoke('{"action":"echo"}');
    startsProcesses = false; // refused before any process starts
    expect(result.errorType).toBe('Extension.TooManyExtensions');
    expect(json(result.payload).errorMessage).toMatch(/11 extensions .*at most 10/);
  });

  it('lets an extension wait on /event/next while another is still registering', async () => {
    // The shell extension registers and calls next at once; late-extension registers 0.3 s later.
    const { env, telemetry, lines } = await sandbox(['curl', 'late']);
    const result = await env.invoke('{"action":"echo"}');
    expect(result.status).toBe('success');
    expect(ofType(telemetry, 'platform.extension').map((e) => recordOf(e).name)).toEqual(
      expect.arrayContaining(['curl-extension', 'late-extension']),
    );
    // The early one was held, not refused: the first answer to its /event/next is the INVOKE.
    const received = lines.filter((l) => l.includes('[curl-extension] received'));
    expect(received[0]).toContain('"eventType":"INVOKE"');
  });

  it('freezes the environment between invokes: an extension timer does not fire while frozen', async () => {
    const frozen = await sandbox(['timer']);
    await frozen.env.invoke('{"action":"sleep","ms":50}'); // the timer ticks while the invoke runs
    const ticksFile = join(frozen.scratch, 'ticks');
    const before = readFileSync(ticksFile, 'utf8');
    await sleep(300);
    expect(readFileSync(ticksFile, 'utf8')).toBe(before);
    await frozen.env.invoke('{"action":"sleep","ms":100}');
    expect(Number(readFileSync(ticksFile, 'utf8'))).toBeGreaterThan(Number(before));

    const thawed = await sandbox(['timer'], {}, { freeze: false });
    await thawed.env.invoke('{"action":"sleep","ms":50}');
    const ticks = Number(readFileSync(join(thawed.scratch, 'ticks'), 'utf8'));
    await sleep(300);
    expect(Number(readFileSync(join(thawed.scratch, 'ticks'), 'utf8'))).toBeGreaterThan(ticks);
  });

  it('delivers telemetry to a subscribed extension, the last invoke’s REPORT included, at shutdown', async () => {
    const { env, scratch, telemetry } = await sandbox(['telemetry']);
    const results = [];
    for (let i = 0; i < 3; i++)
      results.push(await env.invoke(JSON.stringify({ action: 'log', lines: [`line ${i}`] })));
    await env.close();
    const received = readFileSync(join(scratch, 'telemetry.ndjson'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as TelemetryEvent);
    // The init phase's records from its start, though the extension subscribed in the middle of it.
    expect(received.slice(0, 3).map((e) => e.type)).toEqual([
      'platform.initStart',
      'platform.extension',
      'platform.telemetrySubscription',
    ]);
    const reports = received.filter((e) => e.type === 'platform.report').map((e) => recordOf(e).requestId);
    expect(reports).toEqual(results.map((r) => r.requestId));
    for (let i = 0; i < 3; i++) {
      expect(
        received.some((e) => e.type === 'function' && String(e.record).includes(`\tINFO\tline ${i}`)),
      ).toBe(true);
    }
    expect(recordOf(ofType(telemetry, 'platform.telemetrySubscription')[0])).toEqual({
      name: 'telemetry-extension',
      state: 'Subscribed',
      types: ['platform', 'function', 'extension'],
    });
    // Subscribing again is idempotent (and said so); the other API is refused once one is in use.
    expect(recordOf(ofType(telemetry, 'platform.telemetrySubscription')[1])).toMatchObject({
      state: 'Already subscribed',
    });
    expect(ofType(telemetry, 'extension').map((e) => String(e.record))).toContainEqual(
      expect.stringMatching(
        /subscribe 200 OK; again 200; other API 400 .*"errorType":"Logs\.ValidationError"/,
      ),
    );
  });

  it('with telemetryApis: not-supported, answers subscriptions 202 and delivers nothing, as AWS’s emulator does', async () => {
    const { env, scratch, telemetry } = await sandbox(['telemetry'], {}, { telemetryApis: 'not-supported' });
    const result = await env.invoke(JSON.stringify({ action: 'log', lines: ['never delivered'] }));
    expect(result.status).toBe('success');
    await env.close();
    expect(existsSync(join(scratch, 'telemetry.ndjson'))).toBe(false);
    expect(ofType(telemetry, 'platform.telemetrySubscription')).toEqual([]);
    expect(ofType(telemetry, 'extension').map((e) => String(e.record))).toContainEqual(
      expect.stringContaining(
        'subscribe 202 {"errorMessage":"Telemetry API is not supported","errorType":"Telemetry.NotSupported"}; again 202; other API 202 {"errorMessage":"Logs API is not supported","errorType":"Logs.NotSupported"}',
      ),
    );
  });

  it('delivers through the Logs API in its own schema (platform.end, no init records)', async () => {
    const { env, scratch } = await sandbox(['telemetry'], { environment: { TELEMETRY_API: 'logs' } });
    const result = await env.invoke(JSON.stringify({ action: 'log', lines: ['via logs api'] }));
    await env.close();
    const received = readFileSync(join(scratch, 'telemetry.ndjson'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as TelemetryEvent);
    const types = new Set(received.map((e) => e.type));
    expect(types).toEqual(
      new Set([
        'platform.extension',
        'platform.logsSubscription',
        'platform.start',
        'function',
        'platform.runtimeDone',
        'platform.end',
        'platform.report',
        'extension',
      ]),
    );
    expect(received.find((e) => e.type === 'platform.end')?.record).toEqual({ requestId: result.requestId });
  });
});

describe('the Runtime API, seen by a raw client', () => {
  it('sends every header on next, and answers a response over 6 MiB with 413 to the runtime', async () => {
    const { env, scratch } = await sandbox(
      [],
      {},
      {
        runtimeClient: { command: nodePath, args: [join(fixtures, 'raw-runtime.js')] },
      },
    );
    const result = await env.invoke('{"hello":1}', { clientContext: '' });
    expect(result.errorType).toBe('Function.ResponseSizeTooLarge');
    const seen = JSON.parse(readFileSync(join(scratch, 'probe.json'), 'utf8')) as Probe;
    expect(seen.next.status).toBe(200);
    expect(seen.next.headers).toMatchObject({
      'lambda-runtime-aws-request-id': result.requestId,
      'lambda-runtime-deadline-ms': expect.stringMatching(/^\d{13}$/),
      'lambda-runtime-invoked-function-arn': expect.stringMatching(
        /^arn:aws:lambda:[a-z0-9-]+:\d{12}:function:conformance$/,
      ),
      'lambda-runtime-trace-id': expect.stringMatching(/^Root=1-[0-9a-f]{8}-[0-9a-f]{24};/),
      // Present even when empty, as Lambda sends them.
      'lambda-runtime-client-context': '',
      'lambda-runtime-cognito-identity': '',
    });
    expect(seen.tooBig.status).toBe(413);
    expect(JSON.parse(seen.tooBig.body)).toMatchObject({ errorType: expect.any(String) });
  });
});

describe('failures and resets', () => {
  it('times out a slow function: SHUTDOWN(timeout) to extensions, then a fresh init on the next invoke', async () => {
    const { env, telemetry } = await sandbox(['curl'], { timeoutSeconds: 1 });
    const first = await env.invoke('{"action":"echo"}');
    const slow = await env.invoke('{"action":"sleep","ms":5000}');
    expect(slow.status).toBe('timeout');
    expect(slow.errorType).toBe('Sandbox.Timedout');
    expect(json(slow.payload).errorMessage).toMatch(/Task timed out after 1\.00 seconds$/);
    expect(slow.durationMs).toBeGreaterThanOrEqual(1000);
    expect(slow.durationMs).toBeLessThan(1500);
    const ext = ofType(telemetry, 'extension').map((e) => String(e.record));
    expect(ext.some((l) => l.includes('"shutdownReason":"timeout"'))).toBe(true);
    const after = await env.invoke('{"action":"echo"}');
    expect(after.status).toBe('success');
    expect(first.initDurationMs).toBeDefined();
    expect(after.initDurationMs).toBeDefined();
    expect(ofType(telemetry, 'platform.initStart')).toHaveLength(2);
    expect(recordOf(ofType(telemetry, 'platform.report')[1])).toMatchObject({ status: 'timeout' });
  });

  it('times out an invoke whose extension never returns to /next, though the runtime answered', async () => {
    const { env } = await sandbox(['stuck'], { timeoutSeconds: 1 });
    let response: Buffer | undefined;
    const result = await env.invoke('{"action":"echo","x":1}', { onResponse: (r) => (response = r.payload) });
    expect(json(response!).event).toEqual({ action: 'echo', x: 1 });
    expect(result.status).toBe('timeout');
    expect(env.initialized).toBe(false);
  });

  it('reports a runtime crash as Runtime.ExitError, resets, and recovers', async () => {
    const { env, telemetry } = await sandbox(['curl']);
    const crashed = await env.invoke('{"action":"crash"}');
    expect(crashed.status).toBe('failure');
    expect(crashed.errorType).toBe('Runtime.ExitError');
    expect(json(crashed.payload).errorMessage).toMatch(/Runtime exited with error: exit status 3$/);
    expect(
      ofType(telemetry, 'extension').some((e) => String(e.record).includes('"shutdownReason":"failure"')),
    ).toBe(true);
    expect((await env.invoke('{"action":"echo"}')).status).toBe('success');
  });

  it('fails init when the handler does not exist, with the runtime’s init error', async () => {
    const { env, telemetry } = await sandbox([], { handler: 'index.missing' });
    const result = await env.invoke('{}');
    expect(result.errorType).toBe('Runtime.HandlerNotFound');
    expect(json(result.payload).errorMessage).toMatch(/index\.missing is undefined or not exported/);
    // Lambda retries a failed init once inside the invoke (phase "invoke"); both attempts are reported.
    expect(ofType(telemetry, 'platform.initReport').map(recordOf)).toEqual([
      expect.objectContaining({ phase: 'init', status: 'failure', errorType: 'Runtime.HandlerNotFound' }),
      expect.objectContaining({ phase: 'invoke', status: 'failure', errorType: 'Runtime.HandlerNotFound' }),
    ]);
    expect(ofType(telemetry, 'platform.initStart').map((e) => recordOf(e).phase)).toEqual(['init', 'invoke']);
  });

  it('fails init when an extension reports an init error', async () => {
    const { env } = await sandbox(['init-error']);
    const result = await env.invoke('{}');
    expect(result.errorType).toBe('Extension.ConfigInvalid');
    expect(json(result.payload).errorMessage).toMatch(/failing-extension: config\.yaml: unknown key "ttl"/);
  });

  it('fails init that exceeds the init timeout, and its retry within the function timeout', async () => {
    const { env, telemetry } = await sandbox(
      ['stuck'],
      { timeoutSeconds: 1 },
      { initTimeoutMs: 300, runtimeClient: { command: '/bin/sleep', args: ['30'] } },
    );
    const started = performance.now();
    const result = await env.invoke('{}');
    expect(result.status).toBe('timeout');
    expect(result.errorType).toBe('Sandbox.Timedout');
    // 300 ms for the init phase, then the function's 1 s timeout for the retry inside the invoke.
    expect(performance.now() - started).toBeGreaterThanOrEqual(1300);
    expect(
      ofType(telemetry, 'platform.initReport').map((e) => [recordOf(e).phase, recordOf(e).status]),
    ).toEqual([
      ['init', 'timeout'],
      ['invoke', 'timeout'],
    ]);
  });

  it('ends shutdown at the 2,000 ms deadline with SIGKILL for an extension that ignores SHUTDOWN', async () => {
    const { env } = await sandbox(['stubborn']);
    await env.invoke('{"action":"echo"}');
    const started = performance.now();
    await env.close();
    const took = performance.now() - started;
    expect(took).toBeGreaterThanOrEqual(1990);
    expect(took).toBeLessThan(2700);
  });

  it('leaves no process behind when the runtime client cannot even start', async () => {
    const { env } = await sandbox(
      ['curl'],
      {},
      { runtimeClient: { command: join(fixtures, 'does-not-exist'), args: [] } },
    );
    const result = await env.invoke('{}');
    expect(result.errorType).toBe('Runtime.ExitError');
    expect(existsSync(join(fixtures, 'does-not-exist'))).toBe(false);
  });
});
