/**
 * The logs extension as Lambda runs it: its built layer in the local sandbox (Node.js 24, frozen
 * between invokes) shipping to a real S3-compatible server (s3rver) through the real SDK.
 */
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { join } from 'node:path';
import { buildWithMakefile } from '../../local/build/build';
import { projectRoot, realTemplate } from '../../local/checks/test-fixtures';
import { LOCAL_CREDENTIALS } from '../../local/cloud/seed';
import { startS3, type RunningService } from '../../local/cloud/services';
import { ExecutionEnvironment, type SandboxOptions } from '../../local/sandbox/execution-environment';
import type { FunctionConfig } from '../../local/sandbox/function-config';
import { ensureNodeRuntime } from '../../local/sandbox/node-runtime';
import { spawnedGroupIds, survivingGroups } from '../../local/sandbox/process-group';
import type { TelemetryRecord } from './log-types';
import { shippedObjects } from './test-fixtures/shipped-objects';

let s3: RunningService;
let client: S3Client;
let layerDir: string;
let nodePath: string;
let bucketCount = 0;

beforeAll(async () => {
  nodePath = await ensureNodeRuntime(24);
  layerDir = await buildWithMakefile(realTemplate(), 'LogsExtensionLayer', projectRoot);
  s3 = await startS3();
  client = new S3Client({ endpoint: s3.endpoint, region: 'us-east-1', credentials: LOCAL_CREDENTIALS });
}, 300_000);

const open: ExecutionEnvironment[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((e) => e.close()));
});
afterAll(async () => {
  await s3?.close();
  expect(survivingGroups(spawnedGroupIds.splice(0))).toEqual([]);
});

async function newBucket(): Promise<string> {
  const bucket = `logs-test-${++bucketCount}`;
  await client.send(new CreateBucketCommand({ Bucket: bucket }));
  return bucket;
}

async function environment(
  bucket: string,
  s3Endpoint: string,
  env: Record<string, string> = {},
  options: Partial<SandboxOptions> = {},
) {
  const fn: FunctionConfig = {
    logicalId: 'LogsFixtureFunction',
    functionName: 'logs-fixture',
    handler: 'index.handler',
    runtime: 'nodejs24.x',
    memorySizeMb: 256,
    timeoutSeconds: 10,
    architecture: 'x86_64',
    codeDir: join(__dirname, 'test-fixtures', 'function'),
    layerDirs: [layerDir],
    logFormat: 'Text',
    environment: { LOGS_BUCKET: bucket, ...env },
  };
  const sandbox = await ExecutionEnvironment.create(fn, {
    nodePath,
    extraEnv: { AWS_ENDPOINT_URL_S3: s3Endpoint },
    ...options,
  });
  open.push(sandbox);
  return sandbox;
}

/** Every object the extension wrote to `bucket`, in upload order, records parsed. */
async function shipped(bucket: string): Promise<Array<{ key: string; records: TelemetryRecord[] }>> {
  return (await shippedObjects(client, bucket)).map(({ key, text }) => ({
    key,
    records: text
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as TelemetryRecord),
  }));
}

const linesOf = (records: TelemetryRecord[], tag: string) =>
  records.flatMap((r) => {
    const m =
      r.type === 'function' && typeof r.record === 'string'
        ? new RegExp(`\\t${tag} line (\\d+)`).exec(r.record)
        : null;
    return m ? [Number(m[1])] : [];
  });

async function runInvokes(
  sandbox: ExecutionEnvironment,
  invokes: number,
  linesPerInvoke: number,
  tag: string,
): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < invokes; i++) {
    const result = await sandbox.invoke(
      JSON.stringify({ tag, lines: linesPerInvoke, first: i * linesPerInvoke }),
    );
    expect(result.status).toBe('success');
    ids.push(result.requestId);
  }
  return ids;
}

describe('logs extension in the sandbox', () => {
  it.each([
    ['end-of-invoke, frozen between invokes', true, {}],
    ['end-of-invoke, never frozen', false, {}],
    [
      'background, frozen between invokes, uploading at every invoke',
      true,
      { LOGS_DELIVERY: 'background', LOGS_MAX_AGE_MS: '0' },
    ],
  ])(
    'ships every line of 1,000 invokes exactly once, in order, the last REPORT included (%s)',
    async (_label, freeze, env: Record<string, string>) => {
      const bucket = await newBucket();
      const sandbox = await environment(bucket, s3.endpoint, env, { freeze });
      const ids = await runInvokes(sandbox, 1000, 3, 'known');
      const before = linesOf(
        (await shipped(bucket)).flatMap((o) => o.records),
        'known',
      );
      if (!env.LOGS_DELIVERY) {
        // Each invoke's lines were uploaded before it ended: all are in S3 before SHUTDOWN.
        expect(before).toEqual(Array.from({ length: 3000 }, (_, i) => i));
      } else {
        // Uploaded while later invokes ran (an upload spans several, frozen in between): most lines
        // are in S3 already, in order.
        expect(before.length).toBeGreaterThanOrEqual(2000);
        expect(before).toEqual(Array.from({ length: before.length }, (_, i) => i));
      }
      await sandbox.close(); // SHUTDOWN: the last invoke's REPORT must still reach S3
      const objects = await shipped(bucket);
      const records = objects.flatMap((o) => o.records);
      expect(linesOf(records, 'known')).toEqual(Array.from({ length: 3000 }, (_, i) => i));
      const reports = records
        .filter((r) => r.type === 'platform.report')
        .map((r) => (r.record as { requestId: string }).requestId);
      expect(reports).toEqual(ids);
      for (const { key } of objects) {
        expect(key).toMatch(
          /^logs\/function=logs-fixture\/year=\d{4}\/month=\d\d\/day=\d\d\/hour=\d\d\/\d{4}-\d\d-\d\dT[\d:.]+Z-[0-9a-f-]{36}-\d{6}\.ndjson\.gz$/,
        );
      }
    },
    240_000,
  );

  it('in background delivery, batches invokes by age and still ships everything at SHUTDOWN', async () => {
    const bucket = await newBucket();
    const sandbox = await environment(bucket, s3.endpoint, { LOGS_DELIVERY: 'background' });
    const ids = await runInvokes(sandbox, 200, 3, 'batched');
    // The default age (10 s) has not passed: nothing was uploaded per invoke.
    expect(await shipped(bucket)).toEqual([]);
    await sandbox.close();
    const objects = await shipped(bucket);
    // One object for the 200 invokes, and one for the last REPORT if it came after SHUTDOWN's
    // first upload started (one per invoke in end-of-invoke delivery).
    expect(objects.length).toBeLessThanOrEqual(2);
    const records = objects.flatMap((o) => o.records);
    expect(linesOf(records, 'batched')).toEqual(Array.from({ length: 600 }, (_, i) => i));
    expect(
      records
        .filter((r) => r.type === 'platform.report')
        .map((r) => (r.record as { requestId: string }).requestId),
    ).toEqual(ids);
  }, 60_000);

  it('where neither Telemetry nor Logs API delivers (sam local invoke), stays out of the way', async () => {
    const bucket = await newBucket();
    const lines: string[] = [];
    const sandbox = await environment(
      bucket,
      s3.endpoint,
      {},
      {
        telemetryApis: 'not-supported',
        print: (l) => lines.push(l),
      },
    );
    const result = await sandbox.invoke(JSON.stringify({ tag: 'stub', lines: 1, first: 0 }));
    expect(result.status).toBe('success');
    // No runtimeDone will ever come: the invoke must not wait for one until its 10 s timeout.
    expect(result.durationMs).toBeLessThan(2000);
    await sandbox.close();
    expect(lines).toContainEqual(
      expect.stringContaining(
        'neither the Telemetry nor the Logs API delivers records here: nothing to ship',
      ),
    );
    expect(await shipped(bucket)).toEqual([]);
  });

  it('reports a bad setting through /init/error, naming the variable', async () => {
    const sandbox = await environment(await newBucket(), s3.endpoint, { LOGS_DELIVERY: 'later' });
    const result = await sandbox.invoke(JSON.stringify({ tag: 'never', lines: 1, first: 0 }));
    expect(result.errorType).toBe('Extension.ConfigInvalid');
    expect(JSON.parse(result.payload.toString('utf8')).errorMessage).toBe(
      'extension logs-extension: LOGS_DELIVERY: "later" is not a delivery mode; use end-of-invoke or background',
    );
  });

  it('masks secret-looking environment values and configured patterns before upload', async () => {
    const bucket = await newBucket();
    const sandbox = await environment(bucket, s3.endpoint, {
      DB_PASSWORD: 'hunter2-but-longer',
      LOGS_REDACT_PATTERNS: '["known line \\\\d+"]',
    });
    await sandbox.invoke(JSON.stringify({ tag: 'known', lines: 1, first: 0, secret: true }));
    await sandbox.close();
    const text = JSON.stringify((await shipped(bucket)).flatMap((o) => o.records));
    expect(text).not.toContain('hunter2-but-longer');
    expect(text).toContain('connecting with ****');
    expect(text).not.toMatch(/known line 0/);
  });

  it('keeps memory bounded through an S3 outage and writes how much it dropped once S3 is back', async () => {
    const bucket = await newBucket();
    // S3 through a proxy the test can cut and restore, as an outage would.
    const proxy = await cuttableProxy(new URL(s3.endpoint));
    const sandbox = await environment(bucket, proxy.url, {
      LOGS_MAX_BUFFER_BYTES: String(1024 * 1024),
      LOGS_OBJECT_BYTES: String(256 * 1024),
    });
    await runInvokes(sandbox, 3, 10, 'before');
    proxy.cut();
    const result = await sandbox.invoke(JSON.stringify({ tag: 'during', lines: 30_000, first: 0 })); // ≈ 2 MB of logs
    expect(result.status).toBe('success');
    // The end of the invoke gave up on S3 after LOGS_UPLOAD_WAIT_MS (2 s), not at its 10 s timeout.
    expect(result.durationMs).toBeLessThan(5000);
    proxy.restore();
    await runInvokes(sandbox, 2, 10, 'after');
    await sandbox.close();
    await proxy.close();
    const records = (await shipped(bucket)).flatMap((o) => o.records);
    expect(linesOf(records, 'before')).toEqual(Array.from({ length: 30 }, (_, i) => i));
    expect(linesOf(records, 'after')).toEqual(Array.from({ length: 20 }, (_, i) => i));
    const dropped = records.filter((r) => r.type === 'logs-extension.dropped');
    expect(dropped.length).toBeGreaterThanOrEqual(1);
    const droppedRecords = dropped.reduce(
      (n, r) => n + (r.record as { droppedRecords: number }).droppedRecords,
      0,
    );
    // What arrived plus what was counted as dropped is everything the function logged meanwhile.
    expect(linesOf(records, 'during').length + droppedRecords).toBeGreaterThanOrEqual(30_000);
    expect(droppedRecords).toBeGreaterThan(0);
  }, 120_000);

  it('leaves the function’s own duration alone when S3 is slow', async () => {
    const bucket = await newBucket();
    const proxy = await cuttableProxy(new URL(s3.endpoint), 300);
    const sandbox = await environment(bucket, proxy.url);
    const latencies: number[] = [];
    for (let i = 0; i < 5; i++) {
      const started = performance.now();
      let responded = 0;
      await sandbox.invoke(JSON.stringify({ tag: 'slow', lines: 2, first: i * 2 }), {
        onResponse: () => (responded = performance.now()),
      });
      latencies.push(responded - started);
    }
    await sandbox.close();
    await proxy.close();
    // The caller has its answer long before the 300 ms upload; the logs still all arrive.
    expect(Math.max(...latencies.slice(1))).toBeLessThan(150);
    expect(
      linesOf(
        (await shipped(bucket)).flatMap((o) => o.records),
        'slow',
      ),
    ).toEqual(Array.from({ length: 10 }, (_, i) => i));
  }, 60_000);
});

/** A TCP proxy to S3 that can refuse connections (an outage) or add latency to each connection. */
async function cuttableProxy(
  target: URL,
  delayMs = 0,
): Promise<{ url: string; cut(): void; restore(): void; close(): Promise<void> }> {
  let down = false;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((inbound) => {
    sockets.add(inbound);
    inbound.on('close', () => sockets.delete(inbound));
    if (down) return inbound.destroy();
    const outbound = net.connect(Number(target.port), target.hostname);
    sockets.add(outbound);
    outbound.on('close', () => sockets.delete(outbound));
    const pipe = () => {
      inbound.pipe(outbound);
      outbound.pipe(inbound);
    };
    if (delayMs) setTimeout(pipe, delayMs);
    else pipe();
    inbound.on('error', () => outbound.destroy());
    outbound.on('error', () => inbound.destroy());
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    cut: () => {
      down = true;
      for (const s of sockets) s.destroy();
    },
    restore: () => (down = false),
    close: () =>
      new Promise((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
