import { randomBytes, randomUUID } from 'node:crypto';
import {
  accessSync,
  constants,
  cpSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  statSync,
} from 'node:fs';
import type http from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { Readable } from 'node:stream';
import { LOCAL_ACCOUNT_ID } from '../local-account';
import { startApiServer, type ApiContext } from './api-router';
import { extensionRoutes } from './extensions-api';
import type { FunctionConfig } from './function-config';
import {
  Lifecycle,
  LambdaApiError,
  MAX_EXTENSIONS,
  type InvokeRequest,
  type RuntimeOutcome,
  type ShutdownReason,
} from './lifecycle';
import { lambdaPaths, type LambdaPaths } from './lambda-filesystem';
import { forEachLine } from './line-splitter';
import { platform, terminalLine, type InvokeStatus } from './platform-records';
import { ProcessGroup } from './process-group';
import { peakResidentBytes } from './memory';
import { runtimeClientBundle, runtimeModulesDir } from './runtime-client-bundle';
import { FrameDecoder } from './runtime-client/log-frames';
import { runtimeRoutes } from './runtime-api';
import { telemetryRoutes } from './telemetry-api';
import { parseSubscription } from './telemetry-subscription';
import { TelemetryDispatcher } from './telemetry-dispatcher';
import type { TelemetryEvent } from './telemetry-types';

export interface SandboxCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

export interface SandboxOptions {
  /** Node.js of the function's runtime version (see node-runtime.ts). */
  nodePath: string;
  /** Starts the runtime interface client; default: the sandbox's own client on `nodePath`. */
  runtimeClient?: { command: string; args: string[] };
  /**
   * `auto` (default): on Linux, processes see the layers at /opt and the code at /var/task through a
   * private mount namespace, as on Lambda; `host`: the host folders as they are.
   */
  filesystem?: 'auto' | 'host';
  /** SIGSTOP every process between invokes, as Lambda freezes the environment. Default true. */
  freeze?: boolean;
  initTimeoutMs?: number;
  region?: string;
  /** `aws`, `aws-cn`, `aws-us-gov`: the partition of the function's ARN. */
  partition?: string;
  accountId?: string;
  /**
   * The role's credentials Lambda would give, or where to get them for each new environment (they
   * may have been refreshed since the last one started).
   */
  credentials?: SandboxCredentials | (() => Promise<SandboxCredentials>);
  /** Added to the function's environment (e.g. AWS_ENDPOINT_URL_* of the local cloud). */
  extraEnv?: Record<string, string>;
  /**
   * `lambda` (default): the Telemetry and Logs APIs deliver as on Lambda. `not-supported`: every
   * subscription is answered 202 `Telemetry.NotSupported` / `Logs.NotSupported` and nothing is
   * delivered, as AWS's runtime interface emulator (and so `sam local invoke`) does, for testing that
   * an extension copes there.
   */
  telemetryApis?: 'lambda' | 'not-supported';
  /** Every telemetry record, as it is produced (tests, the CLI). */
  onTelemetry?: (event: TelemetryEvent) => void;
  /** Lines as CloudWatch Logs would show them. */
  print?: (line: string) => void;
}

export interface InvokeOptions {
  requestId?: string;
  clientContext?: string;
  /** Called as soon as the runtime posts its result, before extensions finish the invoke. */
  onResponse?: (result: Pick<InvokeResult, 'requestId' | 'payload' | 'errorType'>) => void;
}

export interface InvokeResult {
  requestId: string;
  status: InvokeStatus;
  /** The function's response, or Lambda's error document. */
  payload: Buffer;
  /** Set when the invoke failed (`X-Amz-Function-Error` on the Invoke API). */
  errorType?: string;
  /** This invoke's lines as CloudWatch shows them, START to REPORT (the Invoke API's log tail). */
  logs?: string[];
  durationMs: number;
  billedDurationMs: number;
  maxMemoryUsedMB: number;
  initDurationMs?: number;
}

/** The execution role's stand-in: what functions sign their AWS calls with, locally (the session token is per environment). */
export const SANDBOX_CREDENTIALS = {
  accessKeyId: 'ASIALOCALSANDBOX0000',
  secretAccessKey: 'local-sandbox-secret-access-key',
};

/** Shutdown window with external extensions; the runtime gets the first part of it. */
export const SHUTDOWN_WINDOW_MS = 2000;
const RUNTIME_SIGTERM_MS = 300;
const DEFAULT_INIT_TIMEOUT_MS = 10_000;

/** Variables extensions never see (Lambda withholds them; every `_`-prefixed one too). */
const WITHHELD_FROM_EXTENSIONS = [
  'AWS_EXECUTION_ENV',
  'AWS_LAMBDA_LOG_GROUP_NAME',
  'AWS_LAMBDA_LOG_STREAM_NAME',
  'LAMBDA_RUNTIME_DIR',
  'LAMBDA_TASK_ROOT',
  'AWS_XRAY_CONTEXT_MISSING',
  'AWS_XRAY_DAEMON_ADDRESS',
];

/** Resolves 'timeout' no earlier than `ms` from now (timers may fire a little early against performance.now). */
function sleep(ms: number): Promise<'timeout'> {
  const until = performance.now() + ms;
  return new Promise((resolve) => {
    const check = () => {
      const left = until - performance.now();
      if (left <= 0) resolve('timeout');
      else setTimeout(check, Math.ceil(left)).unref();
    };
    check();
  });
}

/** Milliseconds since `started`, to the 0.01 ms Lambda reports; billed duration is its ceiling. */
const elapsedMs = (started: number) => Math.round((performance.now() - started) * 100) / 100;

const traceId = () =>
  `Root=1-${Math.floor(Date.now() / 1000).toString(16)}-${randomBytes(12).toString('hex')};Parent=${randomBytes(8).toString('hex')};Sampled=0`;

const errorDocument = (errorType: string, errorMessage: string) =>
  Buffer.from(JSON.stringify({ errorType, errorMessage }));

interface Running {
  lifecycle: Lifecycle;
  optDir: string;
  /** /opt and /var/task as the environment's processes see them. */
  paths: LambdaPaths;
  runtime?: ProcessGroup;
  extensions: ProcessGroup[];
  dispatcher: TelemetryDispatcher;
  subscribed: Map<string, 'telemetry' | 'logs'>;
  /** Records of the init phase so far, replayed to each extension that subscribes during init. */
  initBacklog: TelemetryEvent[];
}

/**
 * One Lambda execution environment for one function: its own Lambda API endpoint, /opt assembled
 * from its layers, external extensions and the runtime as process groups, and the lifecycle Lambda
 * gives them — init, invokes, freeze between them, reset after a timeout or crash, shutdown.
 */
export class ExecutionEnvironment {
  private running?: Running;
  /** The current invoke's lines (from START to REPORT), for the Invoke API's log tail. */
  private invokeLog?: string[];
  private queue: Promise<unknown> = Promise.resolve();
  private readonly sessionToken: string;
  private readonly logStream = `${new Date().toISOString().slice(0, 10).replace(/-/g, '/')}/[$LATEST]${randomBytes(16).toString('hex')}`;

  private constructor(
    readonly config: FunctionConfig,
    private readonly options: SandboxOptions,
    private readonly server: http.Server,
    readonly apiAddress: string,
    private readonly ctx: ApiContext,
    private readonly credentials: SandboxCredentials | undefined,
  ) {
    this.sessionToken = credentials?.sessionToken ?? randomBytes(24).toString('base64url');
  }

  static async create(config: FunctionConfig, options: SandboxOptions): Promise<ExecutionEnvironment> {
    // First, so a provider that fails leaves nothing started.
    const credentials =
      typeof options.credentials === 'function' ? await options.credentials() : options.credentials;
    // The handlers reach the environment through this reference, set once it exists.
    const self: { env?: ExecutionEnvironment } = {};
    const ctx: ApiContext = {
      lifecycle: () => self.env!.lifecycle(),
      identity: {
        functionName: config.functionName,
        functionVersion: '$LATEST',
        handler: config.handler,
        accountId: options.accountId ?? LOCAL_ACCOUNT_ID,
      },
      onExtensionRegistered: () => undefined,
      subscribe: (api, id, body) => self.env!.subscribe(api, id, body),
    };
    const { server, address } = await startApiServer(
      [...runtimeRoutes, ...extensionRoutes, ...telemetryRoutes],
      ctx,
    );
    self.env = new ExecutionEnvironment(config, options, server, address, ctx, credentials);
    return self.env;
  }

  get initialized(): boolean {
    return this.running !== undefined;
  }

  /** Process ids of the running extensions and runtime (each leads its process group), for measuring them. */
  get processIds(): number[] {
    return this.groups().flatMap((g) => (g.pid === undefined ? [] : [g.pid]));
  }

  /** Invokes the function; invokes of one environment run one at a time, as on Lambda. */
  invoke(payload: Buffer | string, options: InvokeOptions = {}): Promise<InvokeResult> {
    const run = this.queue.then(() => this.invokeNow(Buffer.from(payload), options));
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** Shuts the environment down as Lambda does (SHUTDOWN to extensions, then SIGKILL at the deadline) and closes its API. */
  async close(reason: ShutdownReason = 'spindown'): Promise<void> {
    await this.queue;
    await this.stop(reason);
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  private lifecycle(): Lifecycle {
    if (!this.running)
      throw new LambdaApiError(403, 'InvalidStateTransition', 'The execution environment is not running.');
    return this.running.lifecycle;
  }

  private publish(event: TelemetryEvent): void {
    const running = this.running;
    if (running) {
      running.dispatcher.publish(event);
      if (running.lifecycle.phase === 'registering' || running.lifecycle.phase === 'initializing')
        running.initBacklog.push(event);
    }
    this.options.onTelemetry?.(event);
    const line = terminalLine(event);
    if (line !== undefined) {
      this.invokeLog?.push(line);
      this.options.print?.(line);
    }
  }

  // ---------- environment variables ----------

  private runtimeEnv(): Record<string, string> {
    const c = this.config;
    const region = this.options.region ?? 'us-east-1';
    const creds = this.credentials ?? { ...SANDBOX_CREDENTIALS, sessionToken: this.sessionToken };
    const { opt, taskRoot } = this.running!.paths;
    const nodeBin = dirname(this.options.nodePath);
    const major = c.runtime.replace(/^nodejs(\d+).*$/, '$1');
    return {
      ...c.environment,
      ...(this.options.extraEnv ?? {}),
      _HANDLER: c.handler,
      AWS_REGION: region,
      AWS_DEFAULT_REGION: region,
      AWS_EXECUTION_ENV: `AWS_Lambda_${c.runtime}`,
      AWS_LAMBDA_FUNCTION_NAME: c.functionName,
      AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(c.memorySizeMb),
      AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
      AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
      AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${c.functionName}`,
      AWS_LAMBDA_LOG_STREAM_NAME: this.logStream,
      ...(c.logFormat === 'JSON'
        ? { AWS_LAMBDA_LOG_FORMAT: 'JSON', AWS_LAMBDA_LOG_LEVEL: c.logLevel ?? 'INFO' }
        : {}),
      AWS_ACCESS_KEY_ID: creds.accessKeyId,
      AWS_SECRET_ACCESS_KEY: creds.secretAccessKey,
      ...(creds.sessionToken ? { AWS_SESSION_TOKEN: creds.sessionToken } : {}),
      AWS_LAMBDA_RUNTIME_API: this.apiAddress,
      LAMBDA_TASK_ROOT: taskRoot,
      LAMBDA_RUNTIME_DIR: dirname(runtimeClientBundle()),
      // Lambda's order: layers' modules, the runtime's (AWS SDK v3), then the task root.
      NODE_PATH: [
        `${opt}/nodejs/node${major}/node_modules`,
        `${opt}/nodejs/node_modules`,
        runtimeModulesDir(),
        taskRoot,
      ].join(':'),
      TZ: ':UTC',
      LANG: 'en_US.UTF-8',
      PATH: `${nodeBin}:/usr/local/bin:/usr/bin:/bin:${opt}/bin`,
      LD_LIBRARY_PATH: `${opt}/lib:/lib64:/usr/lib64`,
    };
  }

  private extensionEnv(): Record<string, string> {
    return Object.fromEntries(
      Object.entries(this.runtimeEnv()).filter(
        ([k]) => !k.startsWith('_') && !WITHHELD_FROM_EXTENSIONS.includes(k),
      ),
    );
  }

  // ---------- init ----------

  /** Copies the function's layers, in order, into a fresh /opt, as Lambda extracts them. */
  private assembleOpt(): string {
    const opt = mkdtempSync(join(tmpdir(), `lambda-opt-${this.config.logicalId}-`));
    for (const layer of this.config.layerDirs) cpSync(layer, opt, { recursive: true, force: true });
    return opt;
  }

  private extensionExecutables(opt: string): string[] {
    const dir = join(opt, 'extensions');
    if (!existsSync(dir)) return [];
    return readdirSync(dir)
      .sort()
      .filter((name) => {
        const file = join(dir, name);
        try {
          accessSync(file, constants.X_OK);
          return statSync(file).isFile();
        } catch {
          return false;
        }
      });
  }

  private captureExtension(group: ProcessGroup): void {
    const emit = (line: string) =>
      this.publish({ time: new Date().toISOString(), type: 'extension', record: line });
    forEachLine(group.child.stdout as Readable, emit);
    forEachLine(group.child.stderr as Readable, emit);
  }

  private captureRuntime(group: ProcessGroup): void {
    const emit = (record: unknown, time = Date.now()) =>
      this.publish({ time: new Date(time).toISOString(), type: 'function', record });
    forEachLine(group.child.stdout as Readable, (line) => emit(line));
    forEachLine(group.child.stderr as Readable, (line) => emit(line));
    const decoder = new FrameDecoder();
    (group.child.stdio[3] as Readable).on('data', (chunk: Buffer) => {
      for (const frame of decoder.push(chunk)) {
        emit(frame.json ? JSON.parse(frame.payload) : frame.payload.replace(/\n$/, ''), frame.timeMs);
      }
    });
  }

  private startRuntime(): ProcessGroup {
    const client = this.options.runtimeClient ?? {
      command: this.options.nodePath,
      args: [runtimeClientBundle()],
    };
    const { command, args } = this.running!.paths.wrap(client.command, client.args);
    const group = ProcessGroup.spawn('runtime', command, args, {
      cwd: this.config.codeDir,
      env: { ...this.runtimeEnv(), _LAMBDA_TELEMETRY_LOG_FD: '3' },
      stdio: ['ignore', 'pipe', 'pipe', 'pipe'],
    });
    this.captureRuntime(group);
    return group;
  }

  /**
   * Init as Lambda runs it on demand: phase `init` within the 10 s limit; if that fails or times out,
   * Lambda retries it once inside the invoke (phase `invoke`, limited by the function's timeout), and
   * only that second failure reaches the caller.
   */
  private async init(): Promise<{ ok: true; durationMs: number } | { ok: false; result: InvokeResult }> {
    const first = await this.initPhase('init', this.options.initTimeoutMs ?? DEFAULT_INIT_TIMEOUT_MS);
    if (first.ok) return first;
    return this.initPhase('invoke', this.config.timeoutSeconds * 1000);
  }

  private async initPhase(
    phase: 'init' | 'invoke',
    limitMs: number,
  ): Promise<{ ok: true; durationMs: number } | { ok: false; result: InvokeResult }> {
    const started = performance.now();
    const deadline = Date.now() + limitMs;
    const optDir = this.assembleOpt();
    const names = this.extensionExecutables(optDir);
    const paths = lambdaPaths(optDir, this.config.codeDir, this.options.filesystem ?? 'auto');
    const lifecycle = new Lifecycle(new Set(names.slice(0, MAX_EXTENSIONS)));
    const running: Running = {
      lifecycle,
      optDir,
      paths,
      extensions: [],
      dispatcher: new TelemetryDispatcher(),
      subscribed: new Map(),
      initBacklog: [],
    };
    this.running = running;
    this.publish(
      platform.initStart(
        `nodejs:${this.config.runtime.replace(/^nodejs|\.x$/g, '')}.local`,
        this.config.functionName,
        this.config.memorySizeMb,
        phase,
      ),
    );

    const fail = async (errorType: string, message: string, status: InvokeStatus = 'failure') => {
      const durationMs = elapsedMs(started);
      this.publish(platform.initRuntimeDone(status, phase, errorType));
      this.publish(platform.initReport(status, durationMs, phase, errorType));
      await this.stop('failure');
      const requestId = randomUUID();
      return {
        ok: false as const,
        result: {
          requestId,
          status,
          payload: errorDocument(errorType, message),
          errorType,
          durationMs,
          billedDurationMs: Math.ceil(durationMs),
          maxMemoryUsedMB: 0,
        },
      };
    };

    if (names.length > MAX_EXTENSIONS) {
      return fail(
        'Extension.TooManyExtensions',
        `${names.length} extensions in /opt/extensions; Lambda runs at most ${MAX_EXTENSIONS}.`,
      );
    }
    for (const name of names) {
      const { command, args } = paths.wrap(join(paths.opt, 'extensions', name), []);
      const group = ProcessGroup.spawn(name, command, args, {
        cwd: optDir,
        env: this.extensionEnv(),
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      this.captureExtension(group);
      void group.exited.then(() => lifecycle.extensionExited(name));
      running.extensions.push(group);
    }
    const initFailed = lifecycle.whenInitFailed().then((f) => ({ failed: f }));
    const registered = await Promise.race([
      lifecycle.whenRegistered().then(() => 'ok' as const),
      initFailed,
      sleep(deadline - Date.now()),
    ]);
    if (registered === 'timeout')
      return fail('Sandbox.Timedout', `Extensions did not register within the init timeout.`, 'timeout');
    if (typeof registered === 'object') return this.initFailure(registered.failed, fail);
    for (const ext of lifecycle.extensions.values())
      this.publish(platform.extension(ext.name, [...ext.events]));

    lifecycle.startRuntimeInit();
    running.runtime = this.startRuntime();
    const exited = running.runtime.exited.then((e) => ({ exited: e }));
    const outcome = await Promise.race([
      lifecycle.whenInitialized().then(() => 'ok' as const),
      initFailed,
      exited,
      sleep(deadline - Date.now()),
    ]);
    if (outcome === 'timeout') {
      return fail(
        'Sandbox.Timedout',
        `Init did not complete within ${(deadline - Date.now() + performance.now() - started) / 1000} seconds.`,
        'timeout',
      );
    }
    if (typeof outcome === 'object' && 'failed' in outcome) return this.initFailure(outcome.failed, fail);
    if (typeof outcome === 'object' && 'exited' in outcome) {
      return fail(
        'Runtime.ExitError',
        `Runtime exited without providing a reason (${describeExit(outcome.exited)})`,
      );
    }
    const durationMs = elapsedMs(started);
    this.publish(platform.initRuntimeDone('success', phase));
    this.publish(platform.initReport('success', durationMs, phase));
    running.initBacklog = [];
    await this.freeze();
    return { ok: true, durationMs };
  }

  private initFailure(
    failure: { errorType: string; body: Buffer; source: string; name?: string },
    fail: (errorType: string, message: string) => Promise<{ ok: false; result: InvokeResult }>,
  ) {
    let message = failure.body.toString('utf8');
    try {
      message = (JSON.parse(message) as { errorMessage?: string }).errorMessage ?? message;
    } catch {
      // a plain-text body is the message
    }
    const who = failure.source === 'extension' ? `extension ${failure.name}: ` : '';
    return fail(failure.errorType, `${who}${message}`);
  }

  // ---------- telemetry subscription ----------

  private subscribe(
    api: 'telemetry' | 'logs',
    id: string | undefined,
    body: Buffer,
  ): { status: number; body: unknown } {
    const running = this.running;
    const prefix = api === 'telemetry' ? 'Telemetry' : 'Logs';
    let name: string;
    try {
      name = this.lifecycle().extension(id).name;
    } catch (e) {
      const err = e as LambdaApiError;
      return { status: err.status, body: { errorMessage: err.message, errorType: err.errorType } };
    }
    if (this.options.telemetryApis === 'not-supported') {
      return {
        status: 202,
        body: { errorMessage: `${prefix} API is not supported`, errorType: `${prefix}.NotSupported` },
      };
    }
    if (
      !running ||
      (running.lifecycle.phase !== 'registering' && running.lifecycle.phase !== 'initializing')
    ) {
      return {
        status: 403,
        body: {
          errorMessage: 'Subscriptions are accepted during the init phase only.',
          errorType: `${prefix}.SubscriptionClosed`,
        },
      };
    }
    const other = running.subscribed.get(name);
    if (other && other !== api) {
      return {
        status: 400,
        body: {
          errorMessage: `Extension ${name} already subscribed through the ${other === 'logs' ? 'Logs' : 'Telemetry'} API; an extension uses one of the two.`,
          errorType: `${prefix}.ValidationError`,
        },
      };
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(body.toString('utf8'));
    } catch {
      return {
        status: 400,
        body: { errorMessage: 'The request body is not valid JSON.', errorType: `${prefix}.ValidationError` },
      };
    }
    const result = parseSubscription(api, name, parsed);
    if (!result.ok)
      return {
        status: result.status,
        body: { errorMessage: result.errorMessage, errorType: result.errorType },
      };
    running.subscribed.set(name, api);
    running.dispatcher.subscribe(result.subscription, running.initBacklog);
    this.publish(
      platform.telemetrySubscription(
        name,
        result.subscription.types,
        other ? 'Already subscribed' : 'Subscribed',
      ),
    );
    return { status: 200, body: 'OK' };
  }

  // ---------- invoke ----------

  private async invokeNow(payload: Buffer, options: InvokeOptions): Promise<InvokeResult> {
    let initDurationMs: number | undefined;
    if (!this.running) {
      const init = await this.init();
      if (!init.ok) return init.result;
      initDurationMs = init.durationMs;
    }
    const running = this.running!;
    const timeoutMs = this.config.timeoutSeconds * 1000;
    const request: InvokeRequest = {
      requestId: options.requestId ?? randomUUID(),
      deadlineMs: Date.now() + timeoutMs,
      invokedFunctionArn: `arn:${this.options.partition ?? 'aws'}:lambda:${this.options.region ?? 'us-east-1'}:${this.ctx.identity.accountId}:function:${this.config.functionName}`,
      traceId: traceId(),
      ...(options.clientContext ? { clientContext: options.clientContext } : {}),
      payload,
    };
    const { requestId } = request;
    this.thaw();
    const started = performance.now();
    this.invokeLog = [];
    this.publish(platform.start(requestId, request.traceId));
    const { outcome, done } = running.lifecycle.startInvoke(request);
    const crashed = running.runtime!.exited.then((e) => ({ crashed: e }));
    const deadline = sleep(timeoutMs);

    const first = await Promise.race([outcome.then((o) => ({ outcome: o })), crashed, deadline]);
    let status: InvokeStatus;
    let result: RuntimeOutcome;
    let reset: ShutdownReason | undefined;
    if (first === 'timeout') {
      status = 'timeout';
      result = {
        kind: 'error',
        errorType: 'Sandbox.Timedout',
        body: errorDocument(
          'Sandbox.Timedout',
          `${new Date().toISOString()} ${requestId} Task timed out after ${(timeoutMs / 1000).toFixed(2)} seconds`,
        ),
      };
      reset = 'timeout';
    } else if ('crashed' in first) {
      status = 'failure';
      result = {
        kind: 'error',
        errorType: 'Runtime.ExitError',
        body: errorDocument(
          'Runtime.ExitError',
          `RequestId: ${requestId} Error: Runtime exited with error: ${describeExit(first.crashed)}`,
        ),
      };
      reset = 'failure';
    } else {
      result = first.outcome;
      status = result.kind === 'response' ? 'success' : 'error';
    }
    const runtimeMs = performance.now() - started;
    if (reset) running.lifecycle.abandonInvoke(result);
    const errorType = result.kind === 'error' ? result.errorType : undefined;
    options.onResponse?.({ requestId, payload: result.body, ...(errorType ? { errorType } : {}) });
    this.publish(platform.runtimeDone(requestId, status, runtimeMs, result.body.length, errorType));

    if (!reset) {
      // The invoke ends when the runtime and every extension are back on /next, within the timeout.
      const ended = await Promise.race([
        done.then(() => 'done' as const),
        deadline,
        crashed.then(() => 'crashed' as const),
      ]);
      if (ended === 'timeout') {
        status = 'timeout';
        reset = 'timeout';
      } else if (ended === 'crashed') {
        status = 'failure';
        reset = 'failure';
      }
    }
    const durationMs = elapsedMs(started);
    const maxMemoryUsedMB = Math.ceil(peakResidentBytes(this.groups()) / (1024 * 1024));
    this.publish(
      platform.report(
        requestId,
        status,
        {
          durationMs,
          billedDurationMs: Math.ceil(durationMs),
          memorySizeMB: this.config.memorySizeMb,
          maxMemoryUsedMB,
          ...(initDurationMs !== undefined ? { initDurationMs } : {}),
        },
        status === 'success' ? undefined : (errorType ?? 'Sandbox.Timedout'),
      ),
    );
    if (reset) await this.stop(reset);
    else await this.freeze();
    const logs = this.invokeLog;
    this.invokeLog = undefined;
    return {
      requestId,
      status,
      payload: result.body,
      logs,
      ...(errorType ? { errorType } : {}),
      durationMs,
      billedDurationMs: Math.ceil(durationMs),
      maxMemoryUsedMB,
      ...(initDurationMs !== undefined ? { initDurationMs } : {}),
    };
  }

  // ---------- freeze, shutdown ----------

  private groups(): ProcessGroup[] {
    const r = this.running;
    return r ? [...r.extensions, ...(r.runtime ? [r.runtime] : [])].filter((g) => g.alive) : [];
  }

  private async freeze(): Promise<void> {
    if (this.options.freeze === false) return;
    await Promise.all(this.groups().map((group) => group.freeze()));
  }

  private thaw(): void {
    for (const group of this.groups()) group.thaw();
  }

  /**
   * Lambda's shutdown: with external extensions the runtime gets SIGTERM, then extensions get
   * SHUTDOWN and the rest of the 2,000 ms window; whatever is alive at the deadline gets SIGKILL.
   * Without external extensions the runtime is killed at once.
   */
  private async stop(reason: ShutdownReason): Promise<void> {
    const running = this.running;
    if (!running) return;
    this.thaw();
    const liveExtensions = running.extensions.filter((g) => g.alive);
    if (liveExtensions.length > 0) {
      const deadlineMs = Date.now() + SHUTDOWN_WINDOW_MS;
      if (running.runtime?.alive) {
        running.runtime.signal('SIGTERM');
        await Promise.race([running.runtime.exited, sleep(RUNTIME_SIGTERM_MS)]);
        running.runtime.signal('SIGKILL');
      }
      const receivers = new Set(running.lifecycle.shutdown(reason, deadlineMs).map((e) => e.name));
      const flushed = running.dispatcher.close(deadlineMs);
      const waitFor = liveExtensions.filter((g) => receivers.has(g.name)).map((g) => g.exited);
      await Promise.race([Promise.all([...waitFor, flushed]), sleep(deadlineMs - Date.now())]);
    } else {
      running.runtime?.signal('SIGKILL');
      await running.dispatcher.close(Date.now());
    }
    for (const group of this.groups()) group.signal('SIGKILL');
    await Promise.all(
      [...running.extensions, ...(running.runtime ? [running.runtime] : [])].map((g) => g.gone),
    );
    running.lifecycle.stopped();
    rmSync(running.optDir, { recursive: true, force: true });
    this.running = undefined;
  }
}

function describeExit(e: { code: number | null; signal: NodeJS.Signals | null }): string {
  return e.signal ? `signal: ${e.signal === 'SIGKILL' ? 'killed' : e.signal}` : `exit status ${e.code}`;
}
