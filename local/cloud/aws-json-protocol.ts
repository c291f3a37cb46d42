import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { readBody } from '../http-body';

/**
 * The AWS JSON protocol (1.0 / 1.1) as a real service speaks it, for the local cloud's emulators:
 * `POST /` with `X-Amz-Target: <Prefix>.<Operation>`, a JSON body, and errors as
 * `{"__type": "<Code>", "message": "…"}` with the code also in `x-amzn-ErrorType`. The real AWS SDK
 * v3 clients talk to it unchanged through their endpoint override.
 */

/** An error a service answers with: its AWS error code, message and HTTP status. */
export class AwsError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

export const validation = (message: string) => new AwsError('ValidationException', message);

export interface RequestContext {
  requestId: string;
  /** The access key id from the SigV4 Authorization header. */
  accessKeyId: string;
  region: string;
}

export type Operation = (input: Record<string, unknown>, ctx: RequestContext) => unknown;

export interface AwsJsonService {
  /** `AmazonSSM`, `secretsmanager`, … : what precedes the operation name in X-Amz-Target. */
  targetPrefix: string;
  /** JSON protocol version: `1.1` for SSM and Secrets Manager, `1.0` for DynamoDB-style services. */
  jsonVersion: '1.0' | '1.1';
  operations: Record<string, Operation>;
}

const BODY_LIMIT = 16 * 1024 * 1024;

/** Credential and region from `Authorization: AWS4-HMAC-SHA256 Credential=AKID/date/region/service/aws4_request, …`. */
function signer(req: IncomingMessage): { accessKeyId: string; region: string } {
  const auth = req.headers.authorization ?? '';
  const match = /Credential=([^/]+)\/\d{8}\/([^/]+)\/[^/]+\/aws4_request/.exec(auth);
  if (!match) {
    throw new AwsError('MissingAuthenticationTokenException', 'Request is missing Authentication Token', 403);
  }
  return { accessKeyId: match[1]!, region: match[2]! };
}

function send(
  res: ServerResponse,
  status: number,
  body: unknown,
  requestId: string,
  jsonVersion: string,
  errorCode?: string,
): void {
  const text = JSON.stringify(body ?? {});
  res.writeHead(status, {
    'Content-Type': `application/x-amz-json-${jsonVersion}`,
    'Content-Length': Buffer.byteLength(text),
    'x-amzn-RequestId': requestId,
    ...(errorCode ? { 'x-amzn-ErrorType': errorCode } : {}),
  });
  res.end(text);
}

/** An HTTP handler serving one AWS JSON service. */
export function awsJsonHandler(service: AwsJsonService): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    const requestId = randomUUID();
    const fail = (e: unknown) => {
      if (e instanceof AwsError) {
        send(res, e.status, { __type: e.code, message: e.message }, requestId, service.jsonVersion, e.code);
      } else {
        // An emulator bug must still look like a service fault, never a stack trace.
        send(
          res,
          500,
          { __type: 'InternalServerError', message: 'Internal error in the local emulator' },
          requestId,
          service.jsonVersion,
          'InternalServerError',
        );
        console.error(`[${service.targetPrefix}] ${(e as Error).stack ?? String(e)}`);
      }
    };
    (async () => {
      if (req.method !== 'POST')
        throw new AwsError(
          'UnknownOperationException',
          `${req.method} is not supported; AWS JSON services take POST /`,
          404,
        );
      const target = req.headers['x-amz-target'];
      const prefix = `${service.targetPrefix}.`;
      if (typeof target !== 'string' || !target.startsWith(prefix)) {
        throw new AwsError(
          'UnknownOperationException',
          `X-Amz-Target must name a ${service.targetPrefix} operation`,
        );
      }
      // AWS authenticates a request before it looks at the operation.
      const { accessKeyId, region } = signer(req);
      const operation = service.operations[target.slice(prefix.length)];
      if (!operation)
        throw new AwsError('UnknownOperationException', `${target} is not implemented by the local emulator`);
      const raw = await readBody(
        req,
        BODY_LIMIT,
        () => new AwsError('RequestEntityTooLargeException', 'Request body too large', 413),
      );
      let input: unknown;
      try {
        input = raw.length ? JSON.parse(raw.toString('utf8')) : {};
      } catch {
        throw new AwsError(
          'SerializationException',
          'Start of structure or map found where not expected, or the body is not JSON',
        );
      }
      if (typeof input !== 'object' || input === null || Array.isArray(input)) {
        throw new AwsError('SerializationException', 'The request body must be a JSON object');
      }
      const output = await operation(input as Record<string, unknown>, { requestId, accessKeyId, region });
      send(res, 200, output, requestId, service.jsonVersion);
    })().catch(fail);
  };
}

/** Starts a loopback-only server for one service; port 0 picks a free one. */
export async function startAwsJsonServer(
  service: AwsJsonService,
  port = 0,
): Promise<{ server: http.Server; endpoint: string }> {
  const server = http.createServer(awsJsonHandler(service));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', resolve);
  });
  return { server, endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

/** Input checks with AWS's ValidationException wording. */
export const field = {
  string(
    input: Record<string, unknown>,
    name: string,
    opts: { required?: boolean; min?: number; max?: number; pattern?: RegExp } = {},
  ): string | undefined {
    const v = present(input, name, opts.required);
    if (v === undefined) return undefined;
    if (typeof v !== 'string') throw new AwsError('SerializationException', `${name} must be a string`);
    if (opts.min !== undefined && v.length < opts.min)
      throw violation(name, `Member must have length greater than or equal to ${opts.min}`, `'${v}'`);
    if (opts.max !== undefined && v.length > opts.max)
      throw violation(name, `Member must have length less than or equal to ${opts.max}`);
    if (opts.pattern && !opts.pattern.test(v))
      throw violation(
        name,
        `Member must satisfy regular expression pattern: ${opts.pattern.source}`,
        `'${v}'`,
      );
    return v;
  },
  boolean(input: Record<string, unknown>, name: string): boolean | undefined {
    const v = present(input, name);
    if (v === undefined) return undefined;
    if (typeof v !== 'boolean') throw new AwsError('SerializationException', `${name} must be a boolean`);
    return v;
  },
  number(
    input: Record<string, unknown>,
    name: string,
    opts: { min?: number; max?: number } = {},
  ): number | undefined {
    const v = present(input, name);
    if (v === undefined) return undefined;
    if (typeof v !== 'number' || !Number.isFinite(v))
      throw new AwsError('SerializationException', `${name} must be a number`);
    if ((opts.min !== undefined && v < opts.min) || (opts.max !== undefined && v > opts.max))
      throw violation(
        name,
        `Member must have value between ${opts.min ?? '-∞'} and ${opts.max ?? '∞'}`,
        `'${v}'`,
      );
    return v;
  },
  stringList(
    input: Record<string, unknown>,
    name: string,
    opts: { required?: boolean; min?: number; max?: number } = {},
  ): string[] | undefined {
    const v = present(input, name, opts.required);
    if (v === undefined) return undefined;
    if (!Array.isArray(v) || !v.every((x) => typeof x === 'string'))
      throw new AwsError('SerializationException', `${name} must be a list of strings`);
    if ((opts.min !== undefined && v.length < opts.min) || (opts.max !== undefined && v.length > opts.max))
      throw violation(name, `Member must have length between ${opts.min ?? 0} and ${opts.max ?? '∞'}`);
    return v as string[];
  },
};

/** A member's value, or undefined when absent (null counts as absent); absent and required fails. */
function present(input: Record<string, unknown>, name: string, required = false): unknown {
  const v = input[name];
  if (v !== undefined && v !== null) return v;
  if (required) throw violation(name, 'Member must not be null', 'null');
  return undefined;
}

/** AWS's one-constraint ValidationException; `shown` is how the value appears (some messages omit it). */
function violation(name: string, constraint: string, shown?: string): AwsError {
  return validation(
    `1 validation error detected: Value${shown === undefined ? '' : ` ${shown}`} at '${lower(name)}' failed to satisfy constraint: ${constraint}`,
  );
}

const lower = (name: string) => name.charAt(0).toLowerCase() + name.slice(1);
