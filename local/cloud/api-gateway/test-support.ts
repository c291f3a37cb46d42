import http from 'node:http';
import type { Template } from '../../template/template';
import { startApiGateway, type ApiGatewayHandle, type ApiGatewayOptions } from './gateway';
import type { InvokeFunction } from './lambda-authorizer';
import { apiRoutes } from './routes-from-template';

/**
 * Test helpers: an `invoke` that runs small in-test handler functions by logical id (a thrown error
 * becomes a Lambda function error, `{errorType, errorMessage}`), counting invocations, and a raw
 * HTTP client that can send repeated headers.
 */
export type Handler = (event: Record<string, unknown>) => unknown;

export interface Harness {
  gateway: ApiGatewayHandle;
  invoke: InvokeFunction;
  /** Events each function received, in order. */
  events: Record<string, Array<Record<string, unknown>>>;
  calls(logicalId: string): number;
  close(): Promise<void>;
}

export function handlerInvoke(
  handlers: Record<string, Handler>,
  events: Record<string, Array<Record<string, unknown>>>,
): InvokeFunction {
  return async (logicalId, eventJson) => {
    const handler = handlers[logicalId];
    if (!handler) throw new Error(`no test handler for ${logicalId}`);
    const event = JSON.parse(eventJson) as Record<string, unknown>;
    (events[logicalId] ??= []).push(event);
    try {
      const result = await handler(event);
      if (result instanceof Buffer) return { payload: result };
      return { payload: Buffer.from(JSON.stringify(result === undefined ? null : result)) };
    } catch (e) {
      const err = e as Error;
      return {
        payload: Buffer.from(JSON.stringify({ errorType: err.name, errorMessage: err.message, trace: [] })),
        errorType: err.name,
      };
    }
  };
}

export async function startHarness(
  template: Template,
  handlers: Record<string, Handler>,
  options: Partial<Omit<ApiGatewayOptions, 'routes' | 'invoke'>> = {},
): Promise<Harness> {
  const events: Record<string, Array<Record<string, unknown>>> = {};
  const invoke = handlerInvoke(handlers, events);
  const gateway = await startApiGateway({ routes: apiRoutes(template), invoke, port: 0, ...options });
  return {
    gateway,
    invoke,
    events,
    calls: (id) => events[id]?.length ?? 0,
    close: () => gateway.close(),
  };
}

export interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  rawHeaders: string[];
  body: Buffer;
  text: string;
  json(): unknown;
}

/** An HTTP request; header values given as arrays are sent as repeated header lines. */
export function request(
  base: string,
  method: string,
  path: string,
  options: { headers?: Record<string, string | string[]>; body?: string | Buffer } = {},
): Promise<RawResponse> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: url.hostname, port: url.port, method, path, headers: options.headers ?? {} },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const body = Buffer.concat(chunks);
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            rawHeaders: res.rawHeaders,
            body,
            text: body.toString('utf8'),
            json: () => JSON.parse(body.toString('utf8')),
          });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    if (options.body !== undefined) req.write(options.body);
    req.end();
  });
}

/** A minimal SAM function resource with the given events. */
export function fn(events: Record<string, unknown>, extra: Record<string, unknown> = {}) {
  return {
    Type: 'AWS::Serverless::Function',
    Properties: {
      CodeUri: 'functions/x',
      Handler: 'index.handler',
      Runtime: 'nodejs24.x',
      Events: events,
      ...extra,
    },
  };
}

export const getAtt = (id: string) => ({ 'Fn::GetAtt': [id, 'Arn'] });
export const ref = (id: string) => ({ Ref: id });
