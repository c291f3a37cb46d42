import { CreateBucketCommand, ListObjectsCommand, S3Client } from '@aws-sdk/client-s3';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildWithMakefile } from '../local/build/build';
import { projectRoot, realTemplate } from '../local/checks/test-fixtures';
import { LOCAL_CREDENTIALS } from '../local/cloud/seed';
import { startS3 } from '../local/cloud/services';
import { ExecutionEnvironment } from '../local/sandbox/execution-environment';
import { processMemory, processTree } from '../local/sandbox/memory';
import type { FunctionConfig } from '../local/sandbox/function-config';
import { ensureNodeRuntime } from '../local/sandbox/node-runtime';
import { percentiles } from './stats';

/**
 * The logs extension's cost, side by side in one run, on the same function with and without the
 * layer (against s3rver): the caller's response latency and the invoke duration Lambda reports
 * (which includes the extension's upload before /next), Max Memory Used, and the sustained log
 * throughput one invoke can produce with nothing dropped at default buffering.
 */
const INVOKES = Number(process.env.BENCH_INVOKES ?? 300);
const BURST_LINES = Number(process.env.BENCH_BURST_LINES ?? 50_000);
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

const fixture = join(__dirname, '..', 'extensions', 'logs-extension', 'test-fixtures', 'function');

/** RSS, peak RSS and RSS split anonymous / file-backed (MiB) of the process this run started that runs a file named `suffix`. */
function memoryOfProcessRunning(suffix: string): { rss: number; hwm: number; anon: number; file: number } {
  for (const pid of processTree(process.pid)) {
    let cmdline: string;
    try {
      cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    } catch {
      continue; // gone
    }
    if (!cmdline.split('\0').some((arg) => arg.endsWith(suffix))) continue;
    const memory = processMemory(pid);
    if (!memory) continue;
    const mb = (bytes: number) => Math.round(bytes / 10485.76) / 100;
    return { rss: mb(memory.rss), hwm: mb(memory.hwm), anon: mb(memory.anon), file: mb(memory.file) };
  }
  throw new Error(`no process of this run runs …${suffix}`);
}

async function main(): Promise<void> {
  const nodePath = await ensureNodeRuntime(24);
  const layer = await buildWithMakefile(realTemplate(), 'LogsExtensionLayer', projectRoot);
  const s3 = await startS3();
  const client = new S3Client({ endpoint: s3.endpoint, region: 'us-east-1', credentials: LOCAL_CREDENTIALS });
  await client.send(new CreateBucketCommand({ Bucket: 'bench-logs' }));
  const config = (layers: string[]): FunctionConfig => ({
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
    environment: { LOGS_BUCKET: 'bench-logs' },
  });
  const options = { nodePath, extraEnv: { AWS_ENDPOINT_URL_S3: s3.endpoint } };
  const bare = await ExecutionEnvironment.create(config([]), options);
  const logged = await ExecutionEnvironment.create(config([layer]), options);

  const samples = {
    bare: { response: [] as number[], duration: [] as number[] },
    logged: { response: [] as number[], duration: [] as number[] },
  };
  let memory = { bare: 0, logged: 0 };
  const event = (i: number) => JSON.stringify({ tag: 'bench', lines: 5, first: i * 5 });
  for (const env of [bare, logged]) await env.invoke(event(0)); // cold starts out of the sample
  for (let i = 1; i <= INVOKES; i++) {
    // Alternating, so both see the same machine state.
    for (const [name, env] of [
      ['bare', bare],
      ['logged', logged],
    ] as const) {
      const started = performance.now();
      let responded = 0;
      const result = await env.invoke(event(i), { onResponse: () => (responded = performance.now()) });
      samples[name].response.push(responded - started);
      samples[name].duration.push(result.durationMs);
      memory = { ...memory, [name]: result.maxMemoryUsedMB };
    }
  }

  const extensionMemory = memoryOfProcessRunning('/extensions/logs-extension');

  // One invoke logging a burst: lines per second the function produced, and whether all arrived.
  const burst = await logged.invoke(JSON.stringify({ tag: 'burst', lines: BURST_LINES, first: 0 }));
  await bare.close();
  await logged.close();
  let objects = 0;
  for (let marker: string | undefined; ;) {
    const page = await client.send(
      new ListObjectsCommand({ Bucket: 'bench-logs', ...(marker ? { Marker: marker } : {}) }),
    );
    const keys = (page.Contents ?? []).map((o) => o.Key!);
    objects += keys.length;
    if (!page.IsTruncated || keys.length === 0) break;
    marker = keys[keys.length - 1];
  }
  await s3.close();

  const response = { bare: percentiles(samples.bare.response), logged: percentiles(samples.logged.response) };
  const duration = { bare: percentiles(samples.bare.duration), logged: percentiles(samples.logged.duration) };
  const addedResponseP50 = Math.round((response.logged.p50 - response.bare.p50) * 1000) / 1000;
  const summary = {
    benchmark: 'logs-extension',
    unit: 'ms',
    invokes: INVOKES,
    responseLatency: {
      ...response,
      addedP50: addedResponseP50,
      addedP50Percent: Math.round((addedResponseP50 / response.bare.p50) * 1000) / 10,
    },
    reportedDuration: {
      ...duration,
      addedP50: Math.round((duration.logged.p50 - duration.bare.p50) * 1000) / 1000,
    },
    maxMemoryUsedMB: memory,
    extensionMemoryMB: extensionMemory,
    burst: {
      lines: BURST_LINES,
      runtimeMs: Math.round(burst.durationMs),
      linesPerSecond: Math.round(BURST_LINES / (burst.durationMs / 1000)),
    },
    s3Objects: objects,
  };
  console.log(
    `extension process: RSS ${extensionMemory.rss} MB (anonymous ${extensionMemory.anon}, file-backed ${extensionMemory.file}); Max Memory Used ${memory.logged} MB with the layer, ${memory.bare} MB without`,
  );
  console.log(
    `response p50 ${response.bare.p50} ms without, ${response.logged.p50} ms with the extension; reported duration p50 ${duration.bare.p50} vs ${duration.logged.p50} ms`,
  );
  console.log(JSON.stringify(summary));
}

void main();
