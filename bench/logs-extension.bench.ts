import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildWithMakefile } from '../local/build/build';
import { projectRoot, realTemplate } from '../local/checks/test-fixtures';
import { LOCAL_CREDENTIALS } from '../local/cloud/seed';
import { ExecutionEnvironment } from '../local/sandbox/execution-environment';
import { processMemory, processTree } from '../local/sandbox/memory';
import type { FunctionConfig } from '../local/sandbox/function-config';
import { ensureNodeRuntime } from '../local/sandbox/node-runtime';
import { shippedObjects } from '../extensions/logs-extension/test-fixtures/shipped-objects';
import { startS3Process } from './s3-process';
import { percentiles } from './stats';

/**
 * The logs extension's cost, side by side in one run, on the same function without the layer, with a
 * do-nothing Telemetry subscriber, with the layer as shipped (LOGS_DELIVERY=end-of-invoke) and with
 * LOGS_DELIVERY=background (against s3rver in its own process): the caller's response latency and the
 * invoke duration Lambda reports (which includes the extension's wait and upload before /next), for a
 * 1 ms function and for one waiting on I/O; Max Memory Used; and the sustained log throughput with
 * nothing dropped at default buffering, in paced steps checked against what S3 holds.
 */
const INVOKES = Number(process.env.BENCH_INVOKES ?? 300);
const BURST_LINES = Number(process.env.BENCH_BURST_LINES ?? 50_000);
/** The second function profile's wait (ms), as for a downstream call. */
const WAIT_MS = Number(process.env.BENCH_WAIT_MS ?? 20);
/** Paced rates (lines per second), one second each, stepped up to find the highest with nothing dropped. */
const RATES = (process.env.BENCH_RATES ?? '25000,50000,75000,100000,125000').split(',').map(Number);
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

const fixture = join(__dirname, '..', 'extensions', 'logs-extension', 'test-fixtures', 'function');

/** RSS, peak RSS and RSS split anonymous / file-backed (MiB) of the logs extension of `env`. */
function extensionMemory(env: ExecutionEnvironment): {
  rss: number;
  hwm: number;
  anon: number;
  file: number;
} {
  for (const pid of env.processIds.flatMap((p) => [...processTree(p)])) {
    let cmdline: string;
    try {
      cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    } catch {
      continue; // gone
    }
    if (!cmdline.split('\0').some((arg) => arg.endsWith('/extensions/logs-extension'))) continue;
    const memory = processMemory(pid);
    if (!memory) continue;
    const mb = (bytes: number) => Math.round(bytes / 10485.76) / 100;
    return { rss: mb(memory.rss), hwm: mb(memory.hwm), anon: mb(memory.anon), file: mb(memory.file) };
  }
  throw new Error('the environment runs no logs extension');
}

async function main(): Promise<void> {
  const nodePath = await ensureNodeRuntime(24);
  const layer = await buildWithMakefile(realTemplate(), 'LogsExtensionLayer', projectRoot);
  const s3 = await startS3Process();
  const client = new S3Client({ endpoint: s3.endpoint, region: 'us-east-1', credentials: LOCAL_CREDENTIALS });
  await client.send(new CreateBucketCommand({ Bucket: 'bench-logs' }));
  const config = (layers: string[], env: Record<string, string> = {}): FunctionConfig => ({
    logicalId: 'LogsBenchFunction',
    functionName: 'logs-bench',
    handler: 'index.handler',
    runtime: 'nodejs24.x',
    memorySizeMb: 256,
    timeoutSeconds: 30,
    architecture: 'x86_64',
    codeDir: fixture,
    layerDirs: layers,
    logFormat: 'Text',
    environment: { LOGS_BUCKET: 'bench-logs', ...env },
  });
  const options = { nodePath, extraEnv: { AWS_ENDPOINT_URL_S3: s3.endpoint } };
  const bare = await ExecutionEnvironment.create(config([]), options);
  const logged = await ExecutionEnvironment.create(config([layer]), options);
  const background = await ExecutionEnvironment.create(
    // A 1 s age, so that uploads happen during the sample (300 rounds last about 9 s).
    config([layer], { LOGS_DELIVERY: 'background', LOGS_MAX_AGE_MS: '1000' }),
    options,
  );
  const sink = await ExecutionEnvironment.create(
    config([join(__dirname, 'fixtures', 'telemetry-sink')]),
    options,
  );

  const environments = [
    ['bare', bare],
    ['logged', logged],
    ['background', background],
    ['sink', sink],
  ] as const;
  type Samples = Record<(typeof environments)[number][0], { response: number[]; duration: number[] }>;
  let memory = { bare: 0, logged: 0, background: 0, sink: 0 };
  /** INVOKES rounds, each environment in turn (so all see the same machine state). */
  const sample = async (event: (i: number) => string): Promise<Samples> => {
    const samples = Object.fromEntries(
      environments.map(([n]) => [n, { response: [] as number[], duration: [] as number[] }]),
    ) as Samples;
    for (let i = 1; i <= INVOKES; i++) {
      for (const [name, env] of environments) {
        const started = performance.now();
        let responded = 0;
        const result = await env.invoke(event(i), { onResponse: () => (responded = performance.now()) });
        samples[name].response.push(responded - started);
        samples[name].duration.push(result.durationMs);
        memory = { ...memory, [name]: result.maxMemoryUsedMB };
      }
    }
    return samples;
  };
  for (const [, env] of environments) await env.invoke('{}'); // cold starts out of the sample
  // The worst case: a function of about 1 ms (5 lines), then one waiting WAIT_MS on I/O, as most do.
  const samples = await sample((i) => JSON.stringify({ tag: 'bench', lines: 5, first: i * 5 }));
  const ioSamples = await sample((i) =>
    JSON.stringify({ tag: 'io', lines: 5, first: i * 5, waitMs: WAIT_MS }),
  );

  const extension = { logged: extensionMemory(logged), background: extensionMemory(background) };

  // Throughput: one second of logs at each paced rate, then one unpaced burst (as fast as the function
  // can log); afterwards S3 says which arrived whole.
  for (const rate of RATES)
    await logged.invoke(JSON.stringify({ tag: `rate${rate}`, lines: rate, first: 0, rate }));
  const burst = await logged.invoke(JSON.stringify({ tag: 'burst', lines: BURST_LINES, first: 0 }));
  await bare.close();
  await logged.close();
  await background.close();
  await sink.close();
  // Read everything back: the lines of each tag that reached S3, and what drop records say was lost.
  const objects = await shippedObjects(client, 'bench-logs');
  const linesInS3 = new Map<string, number>();
  let droppedRecords = 0;
  for (const { text } of objects) {
    for (const line of text.split('\n')) {
      if (!line) continue;
      const record = JSON.parse(line) as { type: string; record: unknown };
      const tag =
        record.type === 'function' ? /\t(\w+) line \d+$/.exec(String(record.record))?.[1] : undefined;
      if (tag) linesInS3.set(tag, (linesInS3.get(tag) ?? 0) + 1);
      if (record.type === 'platform.logsDropped' || record.type === 'logs-extension.dropped')
        droppedRecords += (record.record as { droppedRecords: number }).droppedRecords;
    }
  }
  await s3.close();
  const steps = RATES.map((rate) => ({ rate, delivered: linesInS3.get(`rate${rate}`) ?? 0 }));
  const firstShort = steps.findIndex((step) => step.delivered < step.rate);
  const sustained = firstShort === 0 ? 0 : steps[(firstShort < 0 ? steps.length : firstShort) - 1]!.rate;

  const names = ['bare', 'sink', 'logged', 'background'] as const;
  const table = (from: Samples, kind: 'response' | 'duration') =>
    Object.fromEntries(names.map((n) => [n, percentiles(from[n][kind])])) as Record<
      (typeof names)[number],
      ReturnType<typeof percentiles>
    >;
  const round3 = (n: number) => Math.round(n * 1000) / 1000;
  const percentOf = (added: number, base: number) => Math.round((added / base) * 1000) / 10;
  const added = (t: ReturnType<typeof table>) => ({
    addedP50: round3(t.logged.p50 - t.bare.p50),
    addedP50Percent: percentOf(t.logged.p50 - t.bare.p50, t.bare.p50),
    addedP50Background: round3(t.background.p50 - t.bare.p50),
    addedP50BackgroundPercent: percentOf(t.background.p50 - t.bare.p50, t.bare.p50),
    // What any subscribed extension adds here (the sandbox's delivery, one more process), and the
    // logs extension's own part in background mode beyond it.
    addedP50AnyExtension: round3(t.sink.p50 - t.bare.p50),
    addedP50BackgroundOwn: round3(t.background.p50 - t.sink.p50),
  });
  const response = table(samples, 'response');
  const duration = table(samples, 'duration');
  const ioDuration = table(ioSamples, 'duration');
  const summary = {
    benchmark: 'logs-extension',
    unit: 'ms',
    invokes: INVOKES,
    responseLatency: { ...response, ...added(response) },
    reportedDuration: { ...duration, ...added(duration) },
    reportedDurationIoBound: { waitMs: WAIT_MS, ...ioDuration, ...added(ioDuration) },
    maxMemoryUsedMB: memory,
    extensionMemoryMB: extension,
    throughput: {
      sustainedLinesPerSecond: sustained,
      steps,
      burst: {
        lines: BURST_LINES,
        durationMs: Math.round(burst.durationMs),
        linesPerSecond: Math.round(BURST_LINES / (burst.durationMs / 1000)),
        delivered: linesInS3.get('burst') ?? 0,
      },
      droppedRecords,
    },
    s3Objects: objects.length,
  };
  const e = extension.logged;
  console.log(
    `extension process: RSS ${e.rss} MB (anonymous ${e.anon}, file-backed ${e.file}); Max Memory Used ${memory.logged} MB with the layer (${memory.background} background), ${memory.bare} MB without`,
  );
  console.log(
    `p50 without / telemetry sink / end-of-invoke / background: response ${names.map((n) => response[n].p50).join(' / ')} ms; reported duration ${names.map((n) => duration[n].p50).join(' / ')} ms; waiting ${WAIT_MS} ms on I/O: ${names.map((n) => ioDuration[n].p50).join(' / ')} ms`,
  );
  console.log(JSON.stringify(summary));
}

void main();
