import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { GetParameterCommand, PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { SSMProvider } from '@aws-lambda-powertools/parameters/ssm';
import { artifactsDir, buildWithMakefile } from '../local/build/build';
import { projectRoot, realTemplate } from '../local/checks/test-fixtures';
import { startAwsJsonServer } from '../local/cloud/aws-json-protocol';
import { LOCAL_CREDENTIALS } from '../local/cloud/seed';
import { ParameterStore } from '../local/cloud/ssm/parameter-store';
import { ssmService } from '../local/cloud/ssm/ssm-service';
import { processMemory } from '../local/sandbox/memory';
import { ensureNodeRuntime } from '../local/sandbox/node-runtime';
import { percentiles } from './stats';

/**
 * The cache extension's own cost, side by side with what bounds it, in one run:
 * - cache-hit latency through the extension's HTTP API, next to a bare Node loopback HTTP echo (the
 *   physical floor), Powertools parameters' in-process cache, and a direct SDK call to the emulator;
 * - init time (spawn → register request: what every cold start waits for, since Lambda starts the
 *   runtime once every extension has registered), next to spawn → exit of `node -e 0` on the same
 *   binary; and spawn → first /next (config.yaml read, overlapping the runtime's own init);
 * - the extension's RSS holding every configured item, next to an idle bare Node process;
 * - the layer's size on disk and zipped.
 * The extension runs as Lambda runs it: the built layer's single file on Node 24, registering with
 * an Extensions API (a minimal one here), reading SSM from the local emulator through the real SDK.
 *
 * Sizes: BENCH_ITEMS (1000), BENCH_HITS (20000), BENCH_WARMUP_HITS (2000), BENCH_SDK_CALLS (2000),
 * BENCH_INIT_SPAWNS (20), BENCH_ROUNDS (4). Diagnostics: BENCH_SKIP_BUILD=1, BENCH_EXTENSION_LOG=1,
 * BENCH_EXTENSION_NODE_FLAGS, BENCH_EXTENSION_ENV.
 */
const ITEMS = Number(process.env.BENCH_ITEMS ?? 1000);
const HITS = Number(process.env.BENCH_HITS ?? 20_000);
const WARMUP_HITS = Number(process.env.BENCH_WARMUP_HITS ?? 2_000);
const SDK_CALLS = Number(process.env.BENCH_SDK_CALLS ?? 2_000);
const INIT_SPAWNS = Number(process.env.BENCH_INIT_SPAWNS ?? 20);
/** Hit loops alternate in this many rounds, so drift on a busy machine hits every subject alike. */
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 4);
/** `BENCH_SKIP_BUILD=1` measures the layer already in build/CacheExtensionLayer. */
const SKIP_BUILD = process.env.BENCH_SKIP_BUILD === '1';
/** Diagnostics only, e.g. `--max-semi-space-size=1 --trace-gc`: node flags for the extension process alone. */
const EXTENSION_NODE_FLAGS = (process.env.BENCH_EXTENSION_NODE_FLAGS ?? '').split(/\s+/).filter(Boolean);
/** Diagnostics only, e.g. `MALLOC_ARENA_MAX=1`: extra environment for the extension process alone. */
const EXTENSION_ENV = Object.fromEntries(
  (process.env.BENCH_EXTENSION_ENV ?? '')
    .split(/\s+/)
    .filter((pair) => pair.indexOf('=') > 0)
    .map((pair) => [pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1)]),
);
/**
 * Lambda gives a function one vCPU up to 1,769 MB, shared by the function and its extensions: the
 * bench and every process it starts run on one CPU (taskset), unless BENCH_ONE_CPU=0.
 */
const ONE_CPU = process.env.BENCH_ONE_CPU !== '0';
const WATCHDOG_MS = Number(process.env.BENCH_TIMEOUT_MS ?? 240_000);
const SESSION_TOKEN = 'bench-session-token';
const REGION = 'us-east-1';

type Stats = ReturnType<typeof percentiles>;

const children = new Set<ChildProcess>();
const cleanups: Array<() => void | Promise<void>> = [];

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const round2 = (v: number) => Math.round(v * 100) / 100;

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Spawns and remembers a child, so every exit path can kill what is left. */
function start(command: string, args: string[], env: NodeJS.ProcessEnv): ChildProcess {
  const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

/** Resolves once the child has exited, killing it after `ms`; true when it had to be killed. */
function exited(child: ChildProcess, ms: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(false);
  return new Promise<boolean>((resolve) => {
    let killed = false;
    const timer = setTimeout(() => {
      killed = true;
      child.kill('SIGKILL');
    }, ms);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve(killed);
    });
  });
}

/** A child's output, kept for diagnostics (never echoed to stdout: the summary must stay last). */
function collect(child: ChildProcess, into: string[]): void {
  const push = (b: Buffer) => into.push(...b.toString('utf8').split('\n').filter(Boolean));
  child.stdout?.on('data', push);
  child.stderr?.on('data', push);
}

function firstLine(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    child.stdout?.on('data', (b: Buffer) => {
      text += b.toString('utf8');
      const nl = text.indexOf('\n');
      if (nl >= 0) resolve(text.slice(0, nl));
    });
    child.once('exit', (code) => reject(new Error(`child exited (${code}) before printing a line`)));
  });
}

async function listen(server: http.Server): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  return (server.address() as AddressInfo).port;
}

async function freePort(): Promise<number> {
  const probe = http.createServer();
  const port = await listen(probe);
  await new Promise<void>((r) => probe.close(() => r()));
  return port;
}

/** Lambda's Extensions API, just enough for one extension at a time: register, then a held /next. */
class ExtensionsApi {
  private readonly server = http.createServer((req, res) => this.handle(req, res));
  private readonly held = new Map<string, ServerResponse>();
  private readonly shuttingDown = new Set<string>();
  private registered: ((r: { at: number; id: string }) => void) | undefined;
  /** Arrival time of each extension's first /next (the end of its init), and who waits for it. */
  private readonly firstNextAt = new Map<string, number>();
  private readonly firstNextWaiters = new Map<string, (at: number) => void>();
  private count = 0;
  readonly errors: string[] = [];
  port = 0;

  async start(): Promise<void> {
    this.port = await listen(this.server);
  }

  /** Resolves with the arrival time of the next register request. */
  nextRegister(): Promise<{ at: number; id: string }> {
    return new Promise((resolve) => (this.registered = resolve));
  }

  /** Resolves with the arrival time of the extension's first /next: its init is done. */
  firstNext(id: string): Promise<number> {
    const at = this.firstNextAt.get(id);
    if (at !== undefined) return Promise.resolve(at);
    return new Promise((resolve) => this.firstNextWaiters.set(id, resolve));
  }

  /** Answers the extension's held /next with SHUTDOWN, as Lambda does at spindown. */
  shutdown(id: string): void {
    const res = this.held.get(id);
    this.held.delete(id);
    // Its /next may not have arrived yet (it registers, then reads the reply, then asks).
    if (!res) {
      this.shuttingDown.add(id);
      return;
    }
    this.shuttingDown.delete(id);
    res.writeHead(200, { 'Content-Type': 'application/json', 'Lambda-Extension-Event-Identifier': id });
    res.end(
      JSON.stringify({ eventType: 'SHUTDOWN', shutdownReason: 'spindown', deadlineMs: Date.now() + 2000 }),
    );
  }

  async close(): Promise<void> {
    for (const id of [...this.held.keys()]) this.shutdown(id);
    this.server.closeAllConnections();
    await new Promise<void>((r) => this.server.close(() => r()));
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const at = performance.now();
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const path = req.url ?? '';
      if (req.method === 'POST' && path === '/2020-01-01/extension/register') {
        const id = `bench-extension-${++this.count}`;
        res.writeHead(200, { 'Content-Type': 'application/json', 'Lambda-Extension-Identifier': id });
        res.end('{"functionName":"bench","functionVersion":"$LATEST","handler":"index.handler"}');
        const registered = this.registered;
        this.registered = undefined;
        registered?.({ at, id });
      } else if (req.method === 'GET' && path === '/2020-01-01/extension/event/next') {
        const id = String(req.headers['lambda-extension-identifier']);
        if (!this.firstNextAt.has(id)) {
          this.firstNextAt.set(id, at);
          this.firstNextWaiters.get(id)?.(at);
          this.firstNextWaiters.delete(id);
        }
        this.held.set(id, res);
        if (this.shuttingDown.has(id)) this.shutdown(id);
      } else {
        this.errors.push(`${req.method} ${path} ${Buffer.concat(chunks).toString('utf8')}`);
        res.writeHead(202, { 'Content-Type': 'application/json' });
        res.end('{"status":"OK"}');
      }
    });
  }
}

interface Reply {
  status: number;
  cache: string | undefined;
  bytes: number;
}

/** One GET on a keep-alive connection, body read to the end: what a function's client does per lookup. */
function get(agent: http.Agent, port: number, path: string): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        path,
        agent,
        headers: { 'X-Aws-Parameters-Secrets-Token': SESSION_TOKEN },
      },
      (res) => {
        let bytes = 0;
        res.on('data', (c: Buffer) => (bytes += c.length));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            cache: res.headers['x-cache'] as string | undefined,
            bytes,
          }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end();
  });
}

/** Times `count` calls of `once(i)`, one at a time (latency, not throughput). */
async function timeSerial(
  count: number,
  offset: number,
  once: (i: number) => Promise<unknown>,
): Promise<number[]> {
  const samples: number[] = [];
  for (let i = 0; i < count; i++) {
    const started = performance.now();
    await once(offset + i);
    samples.push(performance.now() - started);
  }
  return samples;
}

/**
 * VmRSS and VmHWM of a process, in MiB, and RSS split into anonymous memory (the process's own) and
 * file-backed pages (mostly the node binary, shared with every other node process on that binary).
 */
function memoryOf(pid: number): { rss: number; hwm: number; anon: number; file: number } {
  const memory = processMemory(pid);
  if (!memory) throw new Error(`process ${pid} is gone`);
  const mb = (bytes: number) => round2(bytes / (1024 * 1024));
  return { rss: mb(memory.rss), hwm: mb(memory.hwm), anon: mb(memory.anon), file: mb(memory.file) };
}

function dirBytes(dir: string): number {
  let total = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) total += dirBytes(path);
    else if (entry.isFile()) total += statSync(path).size;
  }
  return total;
}

/** The zip SAM would upload, with `zip -qr` when present; else the gzip of the files as an estimate. */
function zippedBytes(dir: string, scratch: string): { bytes: number; method: string } {
  if (spawnSync('zip', ['-v'], { stdio: 'ignore' }).status === 0) {
    const zipPath = join(scratch, 'layer.zip');
    const result = spawnSync('zip', ['-qr', zipPath, '.'], { cwd: dir, stdio: 'ignore' });
    if (result.status === 0) return { bytes: statSync(zipPath).size, method: 'zip -qr' };
  }
  let bytes = 0;
  const walk = (d: string) => {
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      const path = join(d, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.isFile()) bytes += gzipSync(readFileSync(path), { level: 9 }).length;
    }
  };
  walk(dir);
  return { bytes, method: 'gzip estimate (node:zlib, no zip on PATH)' };
}

const ECHO_BODY = JSON.stringify({
  Parameter: { Name: '/bench/p0000', Type: 'String', Value: 'x'.repeat(64), Version: 1 },
}).padEnd(150, ' ');
/** The floor: the smallest HTTP server Node has, on the same binary, in its own process. */
const ECHO_SCRIPT = `const http=require('node:http');const body=${JSON.stringify(ECHO_BODY)};
const s=http.createServer((q,r)=>{r.writeHead(200,{'Content-Type':'application/json','Content-Length':Buffer.byteLength(body)});r.end(body)});
s.keepAliveTimeout=0;s.listen(0,'127.0.0.1',()=>process.stdout.write(s.address().port+'\\n'));`;

async function main(): Promise<void> {
  /** Wall time per phase, so a slow run shows where it went. */
  const phases: string[] = [];
  let phaseStart = performance.now();
  const phase = (name: string) => {
    const now = performance.now();
    phases.push(`${name} ${((now - phaseStart) / 1000).toFixed(1)}`);
    phaseStart = now;
  };
  // Children inherit the affinity of the thread that starts them.
  const pinned = ONE_CPU && spawnSync('taskset', ['-a', '-cp', '0', String(process.pid)]).status === 0;
  const nodePath = await ensureNodeRuntime(24);
  const nodeVersion = spawnSync(nodePath, ['--version'], { encoding: 'utf8' }).stdout.trim();
  const layerDir = SKIP_BUILD
    ? artifactsDir(projectRoot, 'CacheExtensionLayer')
    : await buildWithMakefile(realTemplate(), 'CacheExtensionLayer', projectRoot);
  phase(SKIP_BUILD ? 'node runtime' : 'node runtime + layer build');
  const extensionPath = join(layerDir, 'extensions', 'cache-extension');
  const scratch = mkdtempSync(join(tmpdir(), 'bench-cache-ext-'));
  cleanups.push(() => rmSync(scratch, { recursive: true, force: true }));

  // The SSM emulator, on loopback, with the items the extension will cache.
  const ssm = await startAwsJsonServer(ssmService(new ParameterStore()));
  cleanups.push(async () => {
    ssm.server.closeAllConnections();
    await new Promise<void>((r) => ssm.server.close(() => r()));
  });
  const sdk = new SSMClient({ region: REGION, credentials: LOCAL_CREDENTIALS, endpoint: ssm.endpoint });
  cleanups.push(() => sdk.destroy());
  const names = Array.from({ length: ITEMS }, (_, i) => `/bench/p${String(i).padStart(4, '0')}`);
  for (let i = 0; i < names.length; i += 20) {
    await Promise.all(
      names.slice(i, i + 20).map((Name, j) =>
        sdk.send(
          new PutParameterCommand({
            Name,
            Type: 'String',
            Value: `value-${i + j}-`.padEnd(100, 'abcdefghijklmnopqrstuvwxyz'),
          }),
        ),
      ),
    );
  }
  phase(`seed ${ITEMS} parameters`);
  const configPath = join(scratch, 'config.yaml');
  writeFileSync(configPath, `parameters:\n  - names:\n${names.map((n) => `      - ${n}\n`).join('')}`);

  const api = new ExtensionsApi();
  await api.start();
  cleanups.push(() => api.close());
  const port = await freePort();
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    AWS_LAMBDA_RUNTIME_API: `127.0.0.1:${api.port}`,
    AWS_SESSION_TOKEN: SESSION_TOKEN,
    AWS_REGION: REGION,
    AWS_DEFAULT_REGION: REGION,
    AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
    AWS_ENDPOINT_URL_SSM: ssm.endpoint,
    CACHE_EXTENSION_PORT: String(port),
    CACHE_EXTENSION_CONFIG: configPath,
    CACHE_EXTENSION_INIT_STARTUP: 'false',
    ...EXTENSION_ENV,
  };
  const extensionLog: string[] = [];

  const spawnExtension = async (
    extra: NodeJS.ProcessEnv = {},
  ): Promise<{
    child: ChildProcess;
    id: string;
    ms: number;
    started: number;
  }> => {
    const registered = api.nextRegister();
    const started = performance.now();
    // As Lambda starts it: the executable itself (its #! line and flags), the runtime's node on PATH.
    const child = EXTENSION_NODE_FLAGS.length
      ? start(nodePath, [...EXTENSION_NODE_FLAGS, extensionPath], { ...env, ...extra })
      : start(extensionPath, [], {
          ...env,
          ...extra,
          PATH: `${dirname(nodePath)}:${process.env.PATH ?? ''}`,
        });
    collect(child, extensionLog);
    const died = new Promise<never>((_, reject) =>
      child.once('exit', (code) =>
        reject(new Error(`extension exited (${code}) before registering:\n${extensionLog.join('\n')}`)),
      ),
    );
    const { at, id } = await withTimeout(Promise.race([registered, died]), 15_000, 'extension register');
    return { child, id, ms: at - started, started };
  };
  const spawnBare = async (): Promise<number> => {
    const started = performance.now();
    const child = start(nodePath, ['-e', '0'], env);
    await withTimeout(exited(child, 10_000), 15_000, 'node -e 0');
    return performance.now() - started;
  };

  // Init: alternate the two, after one discarded spawn of each (page cache, first exec).
  const initExtension: number[] = [];
  const readyExtension: number[] = [];
  const initBare: number[] = [];
  let killedAtShutdown = 0;
  for (let i = 0; i <= INIT_SPAWNS; i++) {
    const { child, id, ms, started } = await spawnExtension();
    const ready = (await withTimeout(api.firstNext(id), 15_000, 'extension first /next')) - started;
    api.shutdown(id);
    if (await withTimeout(exited(child, 5_000), 10_000, 'extension shutdown')) killedAtShutdown++;
    const bare = await spawnBare();
    if (i === 0) continue;
    initExtension.push(ms);
    readyExtension.push(ready);
    initBare.push(bare);
  }

  phase(`init ${INIT_SPAWNS + 1}+${INIT_SPAWNS + 1} spawns`);

  // Two extensions serve the hits, as shipped and with CACHE_EXTENSION_LOW_MEMORY=true; the echo
  // floor in its own process on the same binary.
  const { child: extension, id: extensionId } = await spawnExtension();
  const smallPort = await freePort();
  const { child: small, id: smallId } = await spawnExtension({
    CACHE_EXTENSION_LOW_MEMORY: 'true',
    CACHE_EXTENSION_PORT: String(smallPort),
  });
  cleanups.push(async () => {
    api.shutdown(extensionId);
    api.shutdown(smallId);
    await Promise.all([exited(extension, 5_000), exited(small, 5_000)]);
  });
  await sleep(500);
  const idleExtension = memoryOf(extension.pid!);
  const echo = start(nodePath, ['-e', ECHO_SCRIPT], env);
  cleanups.push(() => {
    echo.kill('SIGKILL');
  });
  const echoPort = Number(await withTimeout(firstLine(echo), 10_000, 'echo server start'));

  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const smallAgent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const echoAgent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  cleanups.push(() => {
    agent.destroy();
    smallAgent.destroy();
    echoAgent.destroy();
  });
  const paths = names.map((n) => `/parameters?name=${encodeURIComponent(n)}`);
  const pathAt = (i: number) => paths[i % paths.length]!;

  // Warm: one request per item, each must be a miss answered 200.
  let responseBytes = 0;
  const warm = async (through: http.Agent, at: number): Promise<number> => {
    const warmStarted = performance.now();
    const warmStatuses: Record<string, number> = {};
    for (const path of paths) {
      const r = await get(through, at, path);
      const key = `${r.status} ${r.cache ?? '-'}`;
      warmStatuses[key] = (warmStatuses[key] ?? 0) + 1;
      responseBytes = r.bytes;
    }
    if ((warmStatuses['200 miss'] ?? 0) !== paths.length)
      throw new Error(`warming expected ${paths.length} × "200 miss", got ${JSON.stringify(warmStatuses)}`);
    return performance.now() - warmStarted;
  };
  const warmMs = await warm(agent, port);
  const afterWarm = memoryOf(extension.pid!);
  await warm(smallAgent, smallPort);
  phase('warm extensions');

  // Powertools, in this process (the bench's own Node, not the Node 24 child), on the emulator.
  const powertoolsClient = new SSMClient({
    region: REGION,
    credentials: LOCAL_CREDENTIALS,
    endpoint: ssm.endpoint,
  });
  cleanups.push(() => powertoolsClient.destroy());
  const powertools = new SSMProvider({ awsSdkV3Client: powertoolsClient });
  const POWERTOOLS_MAX_AGE = 24 * 3600;
  for (const name of names) await powertools.get(name, { maxAge: POWERTOOLS_MAX_AGE });

  phase('warm powertools');

  // Untimed warm-up of each hit path (JIT, sockets), then alternating timed rounds.
  const hitStatuses: Record<string, number> = {};
  const hitThrough = (through: http.Agent, at: number) => async (i: number) => {
    const r = await get(through, at, pathAt(i));
    if (r.status !== 200 || r.cache !== 'hit') {
      const key = `${r.status} ${r.cache ?? '-'}`;
      hitStatuses[key] = (hitStatuses[key] ?? 0) + 1;
    }
  };
  const extensionHit = hitThrough(agent, port);
  const smallHit = hitThrough(smallAgent, smallPort);
  const echoHit = (i: number) => get(echoAgent, echoPort, pathAt(i));
  const powertoolsHit = async (i: number) => {
    const value = await powertools.get(names[i % names.length]!, { maxAge: POWERTOOLS_MAX_AGE });
    if (value === undefined) throw new Error('Powertools returned undefined for a cached parameter');
  };
  await timeSerial(WARMUP_HITS, 0, echoHit);
  await timeSerial(WARMUP_HITS, 0, extensionHit);
  await timeSerial(WARMUP_HITS, 0, smallHit);
  await timeSerial(WARMUP_HITS, 0, powertoolsHit);
  const hits = {
    extension: [] as number[],
    small: [] as number[],
    echo: [] as number[],
    powertools: [] as number[],
  };
  const perRound = Math.ceil(HITS / ROUNDS);
  for (let r = 0, done = 0; r < ROUNDS && done < HITS; r++, done += perRound) {
    const count = Math.min(perRound, HITS - done);
    hits.echo.push(...(await timeSerial(count, done, echoHit)));
    hits.extension.push(...(await timeSerial(count, done, extensionHit)));
    hits.small.push(...(await timeSerial(count, done, smallHit)));
    hits.powertools.push(...(await timeSerial(count, done, powertoolsHit)));
  }
  phase('hit loops');
  const afterHits = memoryOf(extension.pid!);
  const smallAfterHits = memoryOf(small.pid!);

  // Direct SDK calls: what every lookup costs without a cache (here against the in-process emulator).
  const sdkCall = (i: number) => sdk.send(new GetParameterCommand({ Name: names[i % names.length]! }));
  await timeSerial(Math.min(200, SDK_CALLS), 0, sdkCall);
  const sdkDirect = await timeSerial(SDK_CALLS, 0, sdkCall);

  phase('sdk direct');

  // An idle bare Node on the same binary, for the RSS baseline.
  const idle = start(nodePath, ['-e', 'setTimeout(()=>{},1e9)'], env);
  await sleep(500);
  const bareMemory = memoryOf(idle.pid!);
  idle.kill('SIGKILL');
  await exited(idle, 2_000);

  phase('bare node rss');
  const layerBytes = dirBytes(layerDir);
  const zipped = zippedBytes(layerDir, scratch);

  phase('layer size');
  await runCleanups();
  phase('cleanup');

  const hit = {
    extension: percentiles(hits.extension),
    extensionLowMemory: percentiles(hits.small),
    echoFloor: percentiles(hits.echo),
    powertoolsInProcess: percentiles(hits.powertools),
    sdkDirect: percentiles(sdkDirect),
  };
  // In-process hits are below the 0.001 ms the ms stats resolve, so they are also given in µs.
  const powertoolsMicros = percentiles(hits.powertools.map((ms) => ms * 1000));
  const init = {
    extension: percentiles(initExtension),
    bareNode: percentiles(initBare),
    extensionToFirstNext: percentiles(readyExtension),
  };
  const hitP50VsFloor = round2(hit.extension.p50 / hit.echoFloor.p50);
  const initVsBareNode = round2(init.extension.p50 / init.bareNode.p50);
  const notHits = Object.values(hitStatuses).reduce((a, b) => a + b, 0);
  const summary = {
    benchmark: 'cache-extension',
    unit: 'ms',
    node: nodeVersion,
    oneCpu: pinned,
    ...(EXTENSION_NODE_FLAGS.length ? { extensionNodeFlags: EXTENSION_NODE_FLAGS.join(' ') } : {}),
    hit,
    powertoolsInProcessMicros: powertoolsMicros,
    hitP50VsFloor,
    hitP99VsFloor: round2(hit.extension.p99 / hit.echoFloor.p99),
    hitP50VsFloorLowMemory: round2(hit.extensionLowMemory.p50 / hit.echoFloor.p50),
    init,
    initVsBareNode,
    rssMB: {
      extension: afterHits.rss,
      extensionHwm: afterHits.hwm,
      extensionAfterWarm: afterWarm.rss,
      extensionEmpty: idleExtension.rss,
      bareNode: bareMemory.rss,
      extensionAnon: afterHits.anon,
      extensionFile: afterHits.file,
      extensionLowMemory: smallAfterHits.rss,
      extensionLowMemoryAnon: smallAfterHits.anon,
      extensionLowMemoryFile: smallAfterHits.file,
      bareNodeAnon: bareMemory.anon,
      bareNodeFile: bareMemory.file,
      items: ITEMS,
    },
    layerBytes,
    layerZipBytes: zipped.bytes,
    layerZipMethod: zipped.method,
    goals: {
      hitP50AtMost2xFloor: hitP50VsFloor <= 2,
      hitP99AtMost1ms: hit.extension.p99 <= 1,
      initAtMost1_5xBareNode: initVsBareNode <= 1.5,
      rssAtMost45MB: afterHits.rss <= 45,
    },
  };

  const row = (label: string, s: Stats) =>
    `  ${label.padEnd(26)} p50 ${s.p50.toFixed(3)}  p99 ${s.p99.toFixed(3)}  mean ${s.mean.toFixed(3)}  n ${s.n}`;
  console.log(
    `cache extension on ${nodeVersion} (${nodePath}); bench process ${process.version}; ${pinned ? 'every process on CPU 0, as on a one-vCPU Lambda' : 'CPUs not pinned'}`,
  );
  console.log(
    `${ITEMS} parameters warmed through the extension in ${warmMs.toFixed(0)} ms; response ${responseBytes} B, echo ${Buffer.byteLength(ECHO_BODY)} B`,
  );
  console.log(`hit latency (ms), one request at a time, ${ROUNDS} alternating rounds:`);
  console.log(row('extension (Node 24 child)', hit.extension));
  console.log(row('  CACHE_EXTENSION_LOW_MEMORY', hit.extensionLowMemory));
  console.log(row('echo floor (Node 24 child)', hit.echoFloor));
  console.log(row(`powertools (${process.version} here)`, hit.powertoolsInProcess));
  console.log(
    `  (powertools in µs: p50 ${powertoolsMicros.p50}, p99 ${powertoolsMicros.p99}, mean ${powertoolsMicros.mean})`,
  );
  console.log(row('SDK direct to emulator', hit.sdkDirect));
  console.log(
    `  extension / floor: p50 ${hitP50VsFloor}× (goal ≤ 2×), p99 ${summary.hitP99VsFloor}×; p99 ${hit.extension.p99} ms (goal ≤ 1 ms)`,
  );
  if (notHits)
    console.log(`  WARNING: ${notHits} extension replies were not "200 hit": ${JSON.stringify(hitStatuses)}`);
  console.log(`init (ms), ${INIT_SPAWNS} spawns each, alternating:`);
  console.log(row('extension spawn→register', init.extension));
  console.log(row('node -e 0 spawn→exit', init.bareNode));
  console.log(row('extension spawn→first /next', init.extensionToFirstNext));
  console.log(`  extension / bare: ${initVsBareNode}× (goal ≤ 1.5×)`);
  console.log(
    `RSS (MiB): extension ${afterHits.rss} (HWM ${afterHits.hwm}; ${afterWarm.rss} right after warming) holding ${ITEMS} items, ${idleExtension.rss} registered and empty; idle bare node ${bareMemory.rss} (goal ≤ 45)`,
  );
  console.log(
    `  anonymous / file-backed: extension ${afterHits.anon} / ${afterHits.file}, bare node ${bareMemory.anon} / ${bareMemory.file}`,
  );
  console.log(
    `  with CACHE_EXTENSION_LOW_MEMORY: ${smallAfterHits.rss} (anonymous / file-backed ${smallAfterHits.anon} / ${smallAfterHits.file}); hit p50 ${summary.hitP50VsFloorLowMemory}× the floor`,
  );
  if (killedAtShutdown)
    console.log(
      `  WARNING: ${killedAtShutdown} extension(s) did not exit within 5 s of SHUTDOWN and were killed`,
    );
  console.log(`layer: ${layerBytes} B on disk, ${zipped.bytes} B zipped (${zipped.method})`);
  if (api.errors.length) console.log(`Extensions API also got: ${api.errors.join(' | ')}`);
  console.log(`phases (s): ${phases.join(', ')}`);
  // Diagnostics: BENCH_EXTENSION_LOG=1 shows what the extension processes printed, on stderr.
  if (process.env.BENCH_EXTENSION_LOG === '1') console.error(extensionLog.join('\n'));
  console.log(JSON.stringify(summary));
}

async function runCleanups(): Promise<void> {
  for (const cleanup of cleanups.splice(0).reverse()) {
    try {
      await cleanup();
    } catch (e) {
      console.error(`cleanup: ${(e as Error).message}`);
    }
  }
  for (const child of children) child.kill('SIGKILL');
}

const watchdog = setTimeout(() => {
  console.error(`cache-extension bench: no result after ${WATCHDOG_MS} ms, giving up`);
  for (const child of children) child.kill('SIGKILL');
  process.exit(1);
}, WATCHDOG_MS);
watchdog.unref();

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    for (const child of children) child.kill('SIGKILL');
    process.exit(130);
  });
}

main()
  .catch(async (e: Error) => {
    console.error(`cache-extension bench failed: ${e.stack ?? e.message}`);
    process.exitCode = 1;
    await runCleanups();
  })
  .finally(() => {
    // A safety net only: everything above is closed, so the process normally ends on its own first.
    setTimeout(() => {
      console.error('cache-extension bench: handles still open after cleanup; exiting');
      process.exit(process.exitCode ?? 0);
    }, 5_000).unref();
  });
