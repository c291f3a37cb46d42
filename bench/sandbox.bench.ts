import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { ExecutionEnvironment } from '../local/sandbox/execution-environment';
import type { FunctionConfig } from '../local/sandbox/function-config';
import { ensureNodeRuntime } from '../local/sandbox/node-runtime';
import { percentiles } from './stats';

/**
 * The local sandbox's own cost, side by side with the floor it cannot beat, in one run:
 * - warm invoke overhead: round trip of an invoke minus the handler's own time, frozen between
 *   invokes (as Lambda) and not, next to one loopback HTTP request/response (the physical floor);
 * - cold start of a function with two extensions (init + first response), next to `node -e 0`.
 */
const fixtures = join(__dirname, '..', 'local', 'sandbox', 'conformance', 'fixtures');
const WARM = Number(process.env.BENCH_WARM_INVOKES ?? 1000);
const COLD = Number(process.env.BENCH_COLD_STARTS ?? 15);

const config = (layers: string[]): FunctionConfig => ({
  logicalId: 'BenchFunction',
  functionName: 'bench',
  handler: 'index.handler',
  runtime: 'nodejs24.x',
  memorySizeMb: 128,
  timeoutSeconds: 10,
  architecture: 'x86_64',
  environment: {},
  codeDir: join(fixtures, 'function'),
  layerDirs: layers.map((l) => join(fixtures, 'layers', l)),
  logFormat: 'Text',
});

async function warmOverhead(nodePath: string, freeze: boolean): Promise<ReturnType<typeof percentiles>> {
  const env = await ExecutionEnvironment.create(config([]), { nodePath, freeze });
  await env.invoke('{"action":"echo"}');
  const overheads: number[] = [];
  for (let i = 0; i < WARM; i++) {
    const started = performance.now();
    let responded = 0;
    const result = await env.invoke('{"action":"timed"}', {
      onResponse: () => (responded = performance.now()),
    });
    const handlerMs = (JSON.parse(result.payload.toString()) as { handlerMs: number }).handlerMs;
    overheads.push(responded - started - handlerMs);
  }
  await env.close();
  return percentiles(overheads);
}

async function loopbackFloor(): Promise<ReturnType<typeof percentiles>> {
  const server = http.createServer((req, res) =>
    req.on('data', () => undefined).on('end', () => res.end('{}')),
  );
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const once = () =>
    new Promise<void>((resolve, reject) => {
      const req = http.request({ host: '127.0.0.1', port, method: 'POST', agent }, (res) =>
        res.resume().on('end', resolve),
      );
      req.on('error', reject);
      req.end('{"action":"timed"}');
    });
  await once();
  const samples: number[] = [];
  for (let i = 0; i < WARM; i++) {
    const started = performance.now();
    await once();
    samples.push(performance.now() - started);
  }
  agent.destroy();
  server.close();
  return percentiles(samples);
}

async function coldStart(nodePath: string): Promise<ReturnType<typeof percentiles>> {
  const samples: number[] = [];
  // The two extensions write where the function's environment tells them (they see only that).
  const scratch = mkdtempSync(join(tmpdir(), 'sandbox-bench-'));
  const environment = { TIMER_FILE: join(scratch, 'ticks'), ENV_DUMP_FILE: join(scratch, 'env') };
  for (let i = 0; i < COLD; i++) {
    const registered: string[] = [];
    const env = await ExecutionEnvironment.create(
      { ...config(['timer', 'env-dump']), environment },
      {
        nodePath,
        onTelemetry: (e) => {
          if (e.type === 'platform.extension') registered.push((e.record as { name: string }).name);
        },
      },
    );
    const started = performance.now();
    let responded = 0;
    await env.invoke('{"action":"echo"}', { onResponse: () => (responded = performance.now()) });
    samples.push(responded - started);
    await env.close();
    // A cold start of two extensions only if both registered (a crashed one would make it cheaper).
    if (registered.length !== 2)
      throw new Error(`cold start ${i}: extensions registered: ${registered.join(', ')}`);
  }
  rmSync(scratch, { recursive: true, force: true });
  return percentiles(samples);
}

function bareNodeStart(nodePath: string): ReturnType<typeof percentiles> {
  const samples: number[] = [];
  for (let i = 0; i < COLD; i++) {
    const started = performance.now();
    execFileSync(nodePath, ['-e', '0']);
    samples.push(performance.now() - started);
  }
  return percentiles(samples);
}

async function main(): Promise<void> {
  const nodePath = await ensureNodeRuntime(24);
  const floor = await loopbackFloor();
  const frozen = await warmOverhead(nodePath, true);
  const thawed = await warmOverhead(nodePath, false);
  const cold = await coldStart(nodePath);
  const bare = bareNodeStart(nodePath);
  const summary = {
    benchmark: 'sandbox',
    unit: 'ms',
    warmInvokes: WARM,
    warmOverhead: { frozenBetweenInvokes: frozen, noFreeze: thawed, loopbackHttpFloor: floor },
    warmOverheadP50VsFloor: Math.round((frozen.p50 / floor.p50) * 100) / 100,
    coldStart: { twoExtensions: cold, bareNodeE0: bare },
    coldStartP50VsBareNode: Math.round((cold.p50 / bare.p50) * 100) / 100,
  };
  console.log(JSON.stringify(summary));
}

void main();
