import { writeSync } from 'node:fs';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { format } from 'node:util';
import { encodeFrame, JSON_FORMAT, LOG_LEVELS, TEXT_FORMAT, type LogLevel } from './log-frames';
import { RuntimeApiClient, type ErrorBody, type Invocation } from './runtime-api-client';

/**
 * The sandbox's Node.js runtime interface client: what Lambda's managed Node.js runtime does in the
 * execution environment — load `_HANDLER` from the task root, poll the Runtime API, run the handler,
 * post its result, and write console output as log records with Lambda's prefixes.
 * Another client (AWS's `aws-lambda-ric`) can be used in its place.
 */
const env = process.env;
const api = new RuntimeApiClient(env.AWS_LAMBDA_RUNTIME_API ?? '');
const jsonLogs = env.AWS_LAMBDA_LOG_FORMAT?.toUpperCase() === 'JSON';
/** Messages below AWS_LAMBDA_LOG_LEVEL are dropped, in either format; unset means everything (TRACE). */
const minLevel = LOG_LEVELS[env.AWS_LAMBDA_LOG_LEVEL?.toUpperCase() as LogLevel]?.priority ?? 0;
const logFd = env._LAMBDA_TELEMETRY_LOG_FD ? Number(env._LAMBDA_TELEMETRY_LOG_FD) : undefined;
delete env._LAMBDA_TELEMETRY_LOG_FD; // the handler must not write raw frames itself
let currentRequestId: string | undefined;

const errorFields = (e: Error) => ({
  errorType: e.name,
  errorMessage: e.message,
  stackTrace: (e.stack ?? '').split('\n'),
});

/** JSON format: one argument is logged as its value (an Error as its fields), several as formatted text. */
function jsonMessage(time: string, level: LogLevel, args: unknown[]): string {
  const base = { timestamp: time, level, requestId: currentRequestId };
  if (args.length === 1) {
    const [only] = args;
    return JSON.stringify({ ...base, message: only instanceof Error ? errorFields(only) : only });
  }
  const firstError = args.find((a): a is Error => a instanceof Error);
  return JSON.stringify({
    ...base,
    message: format(...args),
    ...(firstError ? errorFields(firstError) : {}),
  });
}

function log(level: LogLevel, args: unknown[]): void {
  if (LOG_LEVELS[level].priority < minLevel) return;
  const now = Date.now();
  const time = new Date(now).toISOString();
  const line = jsonLogs
    ? jsonMessage(time, level, args)
    : `${time}\t${currentRequestId ?? 'undefined'}\t${level}\t${format(...args)}\n`;
  // Without the telemetry descriptor, one message must still be one line: newlines become \r.
  if (logFd === undefined) process.stdout.write(`${line.replace(/\n$/, '').replace(/\n/g, '\r')}\n`);
  else writeSync(logFd, encodeFrame(line, jsonLogs ? JSON_FORMAT : TEXT_FORMAT, level, now));
}

function patchConsole(): void {
  console.log = (...args: unknown[]) => log('INFO', args);
  console.info = (...args: unknown[]) => log('INFO', args);
  console.warn = (...args: unknown[]) => log('WARN', args);
  console.error = (...args: unknown[]) => log('ERROR', args);
  console.debug = (...args: unknown[]) => log('DEBUG', args);
  console.trace = (...args: unknown[]) => log('TRACE', args);
  (console as unknown as { fatal: (...args: unknown[]) => void }).fatal = (...args: unknown[]) =>
    log('FATAL', args);
}

class RuntimeError extends Error {
  constructor(
    readonly errorType: string,
    message: string,
  ) {
    super(message);
  }
}

const toErrorBody = (error: unknown): ErrorBody => {
  if (error instanceof RuntimeError)
    return { errorType: error.errorType, errorMessage: error.message, trace: [] };
  if (error instanceof Error) {
    return { errorType: error.name, errorMessage: error.message, trace: (error.stack ?? '').split('\n') };
  }
  return { errorType: typeof error, errorMessage: String(error), trace: [] };
};

type Handler = (event: unknown, context: Record<string, unknown>) => unknown;

/** `path/to/module.exportName` → the exported function, as Lambda's Node runtime resolves it. */
async function loadHandler(taskRoot: string, handlerString: string): Promise<Handler> {
  const match = /^([^.]*?[^/.]+)\.([^/]+)$/.exec(handlerString);
  if (!match) throw new RuntimeError('Runtime.MalformedHandlerName', `Bad handler ${handlerString}`);
  const [, modulePath, exportPath] = match as unknown as [string, string, string];
  const file = ['.js', '.mjs', '.cjs']
    .map((ext) => join(taskRoot, modulePath + ext))
    .find((f) => existsSync(f));
  if (!file) {
    throw new RuntimeError('Runtime.ImportModuleError', `Error: Cannot find module '${modulePath}'`);
  }
  let mod: unknown;
  try {
    // CommonJS handlers load with require, as Lambda's runtime does; ES modules with import().
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    mod = file.endsWith('.mjs') ? await import(pathToFileURL(file).href) : require(file);
  } catch (e) {
    const err = e as Error;
    throw new RuntimeError(
      err instanceof SyntaxError ? 'Runtime.UserCodeSyntaxError' : 'Runtime.ImportModuleError',
      `${err.name}: ${err.message}`,
    );
  }
  const handler = exportPath
    .split('.')
    .reduce<unknown>((o, key) => (o as Record<string, unknown> | undefined)?.[key], mod);
  if (typeof handler !== 'function') {
    throw new RuntimeError(
      'Runtime.HandlerNotFound',
      `${modulePath}.${exportPath} is undefined or not exported`,
    );
  }
  return handler as Handler;
}

function contextFor(invocation: Invocation): Record<string, unknown> {
  const parse = (v: string | undefined) => (v ? (JSON.parse(v) as unknown) : undefined);
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: env.AWS_LAMBDA_FUNCTION_NAME,
    functionVersion: env.AWS_LAMBDA_FUNCTION_VERSION,
    invokedFunctionArn: invocation.invokedFunctionArn,
    memoryLimitInMB: env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE,
    awsRequestId: invocation.requestId,
    logGroupName: env.AWS_LAMBDA_LOG_GROUP_NAME,
    logStreamName: env.AWS_LAMBDA_LOG_STREAM_NAME,
    clientContext: parse(invocation.clientContext),
    identity: parse(invocation.cognitoIdentity),
    getRemainingTimeInMillis: () => invocation.deadlineMs - Date.now(),
  };
}

async function invokeLoop(handler: Handler): Promise<never> {
  for (;;) {
    const invocation = await api.nextInvocation();
    currentRequestId = invocation.requestId;
    env._X_AMZN_TRACE_ID = invocation.traceId;
    try {
      const result = await handler(JSON.parse(invocation.body || 'null'), contextFor(invocation));
      await api.postResponse(invocation.requestId, JSON.stringify(result === undefined ? null : result));
    } catch (error) {
      const body = toErrorBody(error);
      log('ERROR', ['Invoke Error \t', JSON.stringify(body)]);
      await api.postError(invocation.requestId, body);
    }
  }
}

/** Errors that escape the handler's promise chain end the process, as on Lambda; the platform reports the crash. */
function exitOnEscapedErrors(): void {
  const die = (kind: string) => (error: unknown) => {
    const body = toErrorBody(error);
    log('ERROR', [kind, JSON.stringify({ ...body, errorType: `Runtime.${kind}` })]);
    process.exit(128);
  };
  process.on('uncaughtException', die('UncaughtException'));
  process.on('unhandledRejection', die('UnhandledPromiseRejection'));
}

async function main(): Promise<void> {
  patchConsole();
  exitOnEscapedErrors();
  let handler: Handler;
  try {
    handler = await loadHandler(env.LAMBDA_TASK_ROOT ?? process.cwd(), env._HANDLER ?? '');
  } catch (error) {
    const body = toErrorBody(error);
    log('ERROR', [`${body.errorType}: ${body.errorMessage}`]);
    await api.postInitError(body);
    process.exit(129);
  }
  await invokeLoop(handler);
}

void main();
