import { randomUUID } from 'node:crypto';
import { deferred, type Deferred } from './deferred';

/**
 * The execution environment's lifecycle, as Lambda runs it, kept apart from HTTP and processes:
 * the API handlers call in with what the runtime and extensions asked for, the environment drives
 * phases (init, invoke, shutdown) and reads back what happened.
 *
 * registering → initializing → idle ⇄ invoking → shutting-down → stopped
 *  (extensions    (runtime      (all    (event out,    (SHUTDOWN sent,
 *   register)      starts)      wait     until all      processes leave)
 *                               on /next) call /next)
 */
export type Phase = 'registering' | 'initializing' | 'idle' | 'invoking' | 'shutting-down' | 'stopped';

export interface InvokeRequest {
  requestId: string;
  /** Epoch milliseconds. */
  deadlineMs: number;
  invokedFunctionArn: string;
  /** X-Ray trace header value, `Root=…;Parent=…;Sampled=…`. Lambda always sends one. */
  traceId: string;
  clientContext?: string;
  cognitoIdentity?: string;
  payload: Buffer;
}

export type ShutdownReason = 'spindown' | 'timeout' | 'failure';

export type ExtensionEvent =
  | {
      eventType: 'INVOKE';
      deadlineMs: number;
      requestId: string;
      invokedFunctionArn: string;
      tracing: { type: 'X-Amzn-Trace-Id'; value: string };
    }
  | { eventType: 'SHUTDOWN'; shutdownReason: ShutdownReason; deadlineMs: number };

export type RuntimeOutcome =
  { kind: 'response'; body: Buffer } | { kind: 'error'; errorType: string; body: Buffer };

/** An error the Lambda APIs answer with: status, `errorType` and `errorMessage`. */
export class LambdaApiError extends Error {
  constructor(
    readonly status: number,
    readonly errorType: string,
    message: string,
  ) {
    super(message);
  }
}

export const EXTENSION_EVENTS = ['INVOKE', 'SHUTDOWN'] as const;
export type ExtensionEventType = (typeof EXTENSION_EVENTS)[number];
export const MAX_EXTENSIONS = 10;

interface Waiting<T> {
  waiter?: Deferred<T>;
  queue: T[];
}

export interface RegisteredExtension extends Waiting<ExtensionEvent> {
  id: string;
  name: string;
  events: Set<ExtensionEventType>;
  /** Has called /event/next at least once since registering (it is ready). */
  ready: boolean;
  exitError?: string;
}

export interface InitFailure {
  source: 'runtime' | 'extension';
  errorType: string;
  body: Buffer;
  name?: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export class Lifecycle {
  phase: Phase = 'registering';
  readonly extensions = new Map<string, RegisteredExtension>();
  private readonly runtime: Waiting<InvokeRequest> & { ready: boolean } = { queue: [], ready: false };
  private current?: {
    request: InvokeRequest;
    outcome: Deferred<RuntimeOutcome>;
    posted: boolean;
    done: Deferred<void>;
  };
  private registration = deferred<void>();
  private initDone = deferred<void>();
  private initFailed = deferred<InitFailure>();
  initFailure?: InitFailure;

  /** @param launched the names of the extension executables started, which may register. */
  constructor(private readonly launched: Set<string>) {
    if (launched.size === 0) this.registration.resolve();
  }

  /** Resolves once every launched extension has registered (or exited without registering). */
  whenRegistered(): Promise<void> {
    return this.registration.promise;
  }

  /** Resolves when the runtime and every extension wait on /next after init. */
  whenInitialized(): Promise<void> {
    return this.initDone.promise;
  }

  /** Resolves if the runtime or an extension reports an init error. */
  whenInitFailed(): Promise<InitFailure> {
    return this.initFailed.promise;
  }

  startRuntimeInit(): void {
    this.phase = 'initializing';
    this.checkInitDone();
  }

  registerExtension(name: string | undefined, events: unknown): { id: string } {
    // A second register from a registered extension is a state error in Lambda (Registered →
    // Registered), not a name error: checked first, in any phase.
    if ([...this.extensions.values()].some((e) => e.name === name)) {
      throw new LambdaApiError(
        403,
        'Extension.InvalidExtensionState',
        `State transition from Registered to Registered failed for extension ${name}.`,
      );
    }
    if (this.phase !== 'registering') {
      throw new LambdaApiError(
        403,
        'Extension.RegistrationClosed',
        'Extensions can only register during the init phase.',
      );
    }
    if (!name)
      throw new LambdaApiError(
        403,
        'Extension.InvalidExtensionName',
        'Lambda-Extension-Name header is required.',
      );
    if (!this.launched.has(name)) {
      throw new LambdaApiError(
        403,
        'Extension.InvalidExtensionName',
        `Extension name "${name}" must be the file name of an executable in /opt/extensions.`,
      );
    }
    if (
      !Array.isArray(events) ||
      !events.every((e) => (EXTENSION_EVENTS as readonly unknown[]).includes(e))
    ) {
      throw new LambdaApiError(
        403,
        'Extension.InvalidEventType',
        `"events" must be a list of ${EXTENSION_EVENTS.join(', ')}; got ${JSON.stringify(events)}.`,
      );
    }
    if (this.extensions.size >= MAX_EXTENSIONS) {
      throw new LambdaApiError(
        403,
        'Extension.TooManyExtensions',
        `At most ${MAX_EXTENSIONS} extensions can register.`,
      );
    }
    const id = randomUUID();
    this.extensions.set(id, {
      id,
      name,
      events: new Set(events as ExtensionEventType[]),
      queue: [],
      ready: false,
    });
    this.launched.delete(name);
    if (this.launched.size === 0) this.registration.resolve();
    return { id };
  }

  /** An extension process ended: if it never registered, registration no longer waits for it. */
  extensionExited(name: string): void {
    if (this.launched.delete(name) && this.launched.size === 0) this.registration.resolve();
    const registered = [...this.extensions.values()].find((e) => e.name === name);
    if (registered) {
      this.extensions.delete(registered.id);
      registered.waiter?.reject(new Error('extension exited'));
      this.checkInitDone();
      this.checkInvokeDone();
    }
  }

  extension(id: string | undefined): RegisteredExtension {
    if (!id) {
      throw new LambdaApiError(
        403,
        'Extension.MissingExtensionIdentifier',
        'Lambda-Extension-Identifier header is required.',
      );
    }
    if (!UUID.test(id)) {
      throw new LambdaApiError(
        403,
        'Extension.InvalidExtensionIdentifier',
        `"${id}" is not an extension identifier.`,
      );
    }
    const ext = this.extensions.get(id);
    if (!ext)
      throw new LambdaApiError(
        403,
        'Extension.UnknownExtensionIdentifier',
        `No extension registered as ${id}.`,
      );
    return ext;
  }

  /** `GET /extension/event/next`: waits for the extension's next event. */
  extensionNext(id: string | undefined): Promise<ExtensionEvent> {
    // A registered extension may wait for its first event while others are still registering, as on
    // Lambda (its state goes Registered → Ready); the wait ends when init does.
    const ext = this.extension(id);
    ext.ready = true;
    const promise = this.wait(ext);
    this.checkInitDone();
    this.checkInvokeDone();
    return promise;
  }

  extensionInitError(id: string | undefined, errorType: string, body: Buffer): void {
    const ext = this.extension(id);
    this.failInit({ source: 'extension', name: ext.name, errorType, body });
  }

  extensionExitError(id: string | undefined, errorType: string): void {
    this.extension(id).exitError = errorType;
  }

  /** `GET /runtime/invocation/next`: the runtime is ready for (or done with) an invoke. */
  runtimeNext(): Promise<InvokeRequest> {
    if (this.current && !this.current.posted) {
      throw new LambdaApiError(
        403,
        'InvalidStateTransition',
        'Post a response or error for the current invocation first.',
      );
    }
    this.runtime.ready = true;
    const promise = this.wait(this.runtime);
    this.checkInitDone();
    this.checkInvokeDone();
    return promise;
  }

  runtimeResult(requestId: string, outcome: RuntimeOutcome): void {
    const current = this.current;
    if (!current || current.request.requestId !== requestId) {
      throw new LambdaApiError(400, 'InvalidRequestID', `Invalid request ID: "${requestId}"`);
    }
    if (current.posted) {
      throw new LambdaApiError(
        403,
        'InvalidStateTransition',
        `A result for ${requestId} was already posted.`,
      );
    }
    current.posted = true;
    current.outcome.resolve(outcome);
  }

  runtimeInitError(errorType: string, body: Buffer): void {
    if (this.phase !== 'initializing') {
      throw new LambdaApiError(
        403,
        'InvalidStateTransition',
        'Init errors can only be reported during init.',
      );
    }
    this.failInit({ source: 'runtime', errorType, body });
  }

  /** Sends an invoke to the runtime and the extensions registered for INVOKE. */
  startInvoke(request: InvokeRequest): { outcome: Promise<RuntimeOutcome>; done: Promise<void> } {
    if (this.phase !== 'idle') throw new Error(`cannot invoke while ${this.phase}`);
    this.phase = 'invoking';
    this.current = { request, outcome: deferred(), posted: false, done: deferred() };
    for (const ext of this.extensions.values()) {
      if (!ext.events.has('INVOKE')) continue;
      this.deliver(ext, {
        eventType: 'INVOKE',
        deadlineMs: request.deadlineMs,
        requestId: request.requestId,
        invokedFunctionArn: request.invokedFunctionArn,
        tracing: { type: 'X-Amzn-Trace-Id', value: request.traceId },
      });
    }
    this.deliver(this.runtime, request);
    return { outcome: this.current.outcome.promise, done: this.current.done.promise };
  }

  /** The invoke ended without a runtime result (timeout, crash): settle it so nothing waits forever. */
  abandonInvoke(outcome: RuntimeOutcome): void {
    if (!this.current) return;
    if (!this.current.posted) {
      this.current.posted = true;
      this.current.outcome.resolve(outcome);
    }
    this.current.done.resolve();
    this.current = undefined;
  }

  /** Sends SHUTDOWN to the extensions registered for it; returns the ones that will receive it. */
  shutdown(reason: ShutdownReason, deadlineMs: number): RegisteredExtension[] {
    this.phase = 'shutting-down';
    const receivers = [...this.extensions.values()].filter((e) => e.events.has('SHUTDOWN'));
    for (const ext of receivers)
      this.deliver(ext, { eventType: 'SHUTDOWN', shutdownReason: reason, deadlineMs });
    return receivers;
  }

  stopped(): void {
    this.phase = 'stopped';
    const closed = new Error('execution environment stopped');
    for (const ext of this.extensions.values()) ext.waiter?.reject(closed);
    this.runtime.waiter?.reject(closed);
    this.initFailed.promise.catch(() => undefined);
  }

  private wait<T>(party: Waiting<T>): Promise<T> {
    const queued = party.queue.shift();
    if (queued !== undefined) return Promise.resolve(queued);
    party.waiter?.reject(
      new LambdaApiError(403, 'InvalidStateTransition', 'superseded by a newer /next call'),
    );
    party.waiter = deferred<T>();
    return party.waiter.promise;
  }

  private deliver<T>(party: Waiting<T>, event: T): void {
    const waiter = party.waiter;
    party.waiter = undefined;
    if (waiter) waiter.resolve(event);
    else party.queue.push(event);
  }

  private waitingOnNext<T>(party: Waiting<T>): boolean {
    return party.waiter !== undefined;
  }

  private failInit(failure: InitFailure): void {
    this.initFailure ??= failure;
    this.initFailed.resolve(this.initFailure);
  }

  private checkInitDone(): void {
    if (this.phase !== 'initializing' || !this.runtime.ready || !this.waitingOnNext(this.runtime)) return;
    for (const ext of this.extensions.values()) if (!ext.ready || !this.waitingOnNext(ext)) return;
    this.phase = 'idle';
    this.initDone.resolve();
  }

  private checkInvokeDone(): void {
    const current = this.current;
    if (this.phase !== 'invoking' || !current || !current.posted || !this.waitingOnNext(this.runtime)) return;
    for (const ext of this.extensions.values()) {
      if (ext.events.has('INVOKE') && !this.waitingOnNext(ext)) return;
    }
    this.phase = 'idle';
    this.current = undefined;
    current.done.resolve();
  }
}
