import { isObject } from '../../template/template';
import { matchesMediaTypes, mediaType } from './http-request';

/**
 * What goes back to the client: API Gateway's own error answers (HTTP API and REST bodies differ)
 * and the conversion of a Lambda proxy response, payload format 2.0 (with its inference for a
 * function that returns anything but `{statusCode, …}`) and the strict format 1.0.
 */
export interface GatewayResponse {
  status: number;
  headers: Array<[string, string]>;
  body: Buffer;
}

const json = (text: string, status: number, extra: Array<[string, string]> = []): GatewayResponse => ({
  status,
  headers: [['Content-Type', 'application/json'], ...extra],
  body: Buffer.from(text),
});

/** An HTTP API's own answer: `{"message":"Not Found"}`, `{"message":"Unauthorized"}`, … */
export const httpApiError = (status: number, message: string): GatewayResponse =>
  json(JSON.stringify({ message }), status);

export const HTTP_NOT_FOUND = () => httpApiError(404, 'Not Found');
export const HTTP_UNAUTHORIZED = () => httpApiError(401, 'Unauthorized');
export const HTTP_FORBIDDEN = () => httpApiError(403, 'Forbidden');
export const HTTP_INTERNAL_ERROR = () => httpApiError(500, 'Internal Server Error');
export const HTTP_SERVICE_UNAVAILABLE = () => httpApiError(503, 'Service Unavailable');

/**
 * A REST API gateway response: the default template `{"message":$context.error.messageString}`
 * and the error type in `x-amzn-ErrorType`.
 */
export const restError = (
  status: number,
  message: string | null,
  errorType: string,
  key: 'message' | 'Message' = 'message',
): GatewayResponse => json(JSON.stringify({ [key]: message }), status, [['x-amzn-ErrorType', errorType]]);

export const REST_MISSING_TOKEN = () =>
  restError(403, 'Missing Authentication Token', 'MissingAuthenticationTokenException');
export const REST_UNAUTHORIZED = () => restError(401, 'Unauthorized', 'UnauthorizedException');
export const REST_FORBIDDEN = () => restError(403, 'Forbidden', 'ForbiddenException');
/** A Lambda authorizer failed or answered something unusable. */
export const REST_AUTHORIZER_ERROR = () => restError(500, null, 'AuthorizerConfigurationException');
/** The Lambda proxy integration failed or answered a malformed response. */
export const REST_PROXY_ERROR = (): GatewayResponse =>
  json('{"message": "Internal server error"}', 502, [['x-amzn-ErrorType', 'InternalServerErrorException']]);
export const REST_TIMEOUT = (): GatewayResponse =>
  json('{"message": "Endpoint request timed out"}', 504, [
    ['x-amzn-ErrorType', 'InternalServerErrorException'],
  ]);

export class MalformedResponseError extends Error {}

function parsePayload(payload: Buffer): unknown {
  try {
    return JSON.parse(payload.toString('utf8'));
  } catch {
    throw new MalformedResponseError('the function response is not JSON');
  }
}

function scalarHeader(name: string, v: unknown): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  throw new MalformedResponseError(`header ${name} must be a string, number or boolean`);
}

function statusCode(v: unknown): number {
  const n = typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 100 || n > 599) {
    throw new MalformedResponseError(`statusCode ${JSON.stringify(v)} is not an HTTP status`);
  }
  return n;
}

function decodeBody(body: unknown, base64: unknown): Buffer {
  if (body === undefined || body === null) return Buffer.alloc(0);
  if (typeof body !== 'string') throw new MalformedResponseError('body must be a string');
  if (base64 !== undefined && typeof base64 !== 'boolean') {
    throw new MalformedResponseError('isBase64Encoded must be a boolean');
  }
  return base64 ? Buffer.from(body, 'base64') : Buffer.from(body, 'utf8');
}

const hasHeader = (headers: Array<[string, string]>, name: string) =>
  headers.some(([n]) => n.toLowerCase() === name.toLowerCase());

/**
 * Payload format 2.0: `{statusCode, headers, cookies, body, isBase64Encoded}`; anything without a
 * `statusCode` (a string, a number, an object) is inferred as status 200, `content-type:
 * application/json`, the response as the body (a JSON string's value for a string).
 */
export function responseFromV2(payload: Buffer): GatewayResponse {
  const value = parsePayload(payload);
  if (!isObject(value) || !('statusCode' in value)) {
    const body = typeof value === 'string' ? value : payload.toString('utf8');
    return { status: 200, headers: [['content-type', 'application/json']], body: Buffer.from(body) };
  }
  const headers: Array<[string, string]> = [];
  if (value.headers !== undefined && value.headers !== null) {
    if (!isObject(value.headers)) throw new MalformedResponseError('headers must be a map');
    for (const [n, v] of Object.entries(value.headers)) headers.push([n, scalarHeader(n, v)]);
  }
  if (value.multiValueHeaders !== undefined && value.multiValueHeaders !== null) {
    if (!isObject(value.multiValueHeaders))
      throw new MalformedResponseError('multiValueHeaders must be a map');
    for (const [n, vs] of Object.entries(value.multiValueHeaders)) {
      if (!Array.isArray(vs)) throw new MalformedResponseError(`multiValueHeaders.${n} must be a list`);
      for (const v of vs) headers.push([n, scalarHeader(n, v)]);
    }
  }
  if (value.cookies !== undefined && value.cookies !== null) {
    if (!Array.isArray(value.cookies) || value.cookies.some((c) => typeof c !== 'string')) {
      throw new MalformedResponseError('cookies must be a list of strings');
    }
    for (const c of value.cookies as string[]) headers.push(['set-cookie', c]);
  }
  const status = statusCode(value.statusCode);
  const body = decodeBody(value.body, value.isBase64Encoded);
  if (!hasHeader(headers, 'content-type')) headers.push(['content-type', 'application/json']);
  return { status, headers, body };
}

const V1_KEYS = new Set(['statusCode', 'headers', 'multiValueHeaders', 'body', 'isBase64Encoded']);

export interface V1Options {
  /** REST: a base64 body is decoded only when the request's Accept matches a binary media type. */
  rest: boolean;
  binaryMediaTypes: string[];
  accept?: string;
}

/**
 * Payload format 1.0, strictly: an object with an integer `statusCode`, string-valued `headers`,
 * list-valued `multiValueHeaders`, a string `body` and a boolean `isBase64Encoded`, nothing else.
 * Anything else is a malformed Lambda proxy response.
 */
export function responseFromV1(payload: Buffer, options: V1Options): GatewayResponse {
  const value = parsePayload(payload);
  if (!isObject(value)) throw new MalformedResponseError('the response must be a JSON object');
  const extra = Object.keys(value).filter((k) => !V1_KEYS.has(k));
  if (extra.length) throw new MalformedResponseError(`unexpected keys ${extra.join(', ')}`);
  if (!('statusCode' in value)) throw new MalformedResponseError('statusCode is missing');
  const status = statusCode(value.statusCode);
  const headers: Array<[string, string]> = [];
  const multi = new Set<string>();
  if (value.multiValueHeaders !== undefined && value.multiValueHeaders !== null) {
    if (!isObject(value.multiValueHeaders))
      throw new MalformedResponseError('multiValueHeaders must be a map');
    for (const [n, vs] of Object.entries(value.multiValueHeaders)) {
      if (!Array.isArray(vs)) throw new MalformedResponseError(`multiValueHeaders.${n} must be a list`);
      multi.add(n.toLowerCase());
      for (const v of vs) headers.push([n, scalarHeader(n, v)]);
    }
  }
  if (value.headers !== undefined && value.headers !== null) {
    if (!isObject(value.headers)) throw new MalformedResponseError('headers must be a map');
    for (const [n, v] of Object.entries(value.headers)) {
      const s = scalarHeader(n, v);
      if (!multi.has(n.toLowerCase())) headers.push([n, s]);
    }
  }
  let body: Buffer;
  if (value.isBase64Encoded === true && options.rest) {
    if (value.body !== undefined && value.body !== null && typeof value.body !== 'string') {
      throw new MalformedResponseError('body must be a string');
    }
    const text = typeof value.body === 'string' ? value.body : '';
    const accept = mediaType(options.accept?.split(',')[0]);
    body = matchesMediaTypes(accept, options.binaryMediaTypes)
      ? Buffer.from(text, 'base64')
      : Buffer.from(text);
  } else body = decodeBody(value.body, value.isBase64Encoded);
  if (!hasHeader(headers, 'content-type')) headers.push(['Content-Type', 'application/json']);
  return { status, headers, body };
}
