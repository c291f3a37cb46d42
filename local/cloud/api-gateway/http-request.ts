import type { IncomingMessage } from 'node:http';
import { randomBytes, randomUUID } from 'node:crypto';

/**
 * One client request as the gateway sees it: the raw path and query as sent, every header in the
 * order and case the client used (repeated headers kept apart), the body bytes and the
 * request's id and arrival time (shared by the authorizer and integration events).
 */
export interface GatewayRequest {
  method: string;
  /** The URL path as sent (percent-encoding kept), without the query string. */
  rawPath: string;
  /** The query string as sent, without `?`. */
  rawQueryString: string;
  /** Query parameters in order, names and values percent-decoded. */
  query: Array<[string, string]>;
  /** Headers in order, names in the client's case. */
  headers: Array<[string, string]>;
  body: Buffer;
  sourceIp: string;
  protocol: string;
  /** Local port the request arrived on (for `X-Forwarded-Port`). */
  port: number;
  requestId: string;
  /** API Gateway's `extendedRequestId` (REST) / `apigw-requestid`. */
  extendedRequestId: string;
  traceId: string;
  time: Date;
}

export function toGatewayRequest(req: IncomingMessage, body: Buffer, time = new Date()): GatewayRequest {
  const url = req.url ?? '/';
  const q = url.indexOf('?');
  const rawPath = q === -1 ? url : url.slice(0, q);
  const rawQueryString = q === -1 ? '' : url.slice(q + 1);
  const headers: Array<[string, string]> = [];
  for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) {
    headers.push([req.rawHeaders[i]!, req.rawHeaders[i + 1]!]);
  }
  const epochSeconds = Math.floor(time.getTime() / 1000)
    .toString(16)
    .padStart(8, '0');
  return {
    method: (req.method ?? 'GET').toUpperCase(),
    rawPath: rawPath || '/',
    rawQueryString,
    query: parseQuery(rawQueryString),
    headers,
    body,
    sourceIp: (req.socket.remoteAddress ?? '127.0.0.1').replace(/^::ffff:/, ''),
    protocol: `HTTP/${req.httpVersion}`,
    port: req.socket.localPort ?? 0,
    requestId: randomUUID(),
    extendedRequestId: randomBytes(6).toString('base64url').slice(0, 7) + '=',
    traceId: `Root=1-${epochSeconds}-${randomBytes(12).toString('hex')}`,
    time,
  };
}

/** `a=1&a=2&b` → [[a,1],[a,2],[b,'']], percent-decoded (a `+` stays a `+`). */
export function parseQuery(raw: string): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  if (!raw) return out;
  for (const part of raw.split('&')) {
    if (!part) continue;
    const eq = part.indexOf('=');
    const name = eq === -1 ? part : part.slice(0, eq);
    const value = eq === -1 ? '' : part.slice(eq + 1);
    out.push([safeDecode(name), safeDecode(value)]);
  }
  return out;
}

export function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** Every value of a header (case-insensitive name), in order. */
export function headerValues(req: GatewayRequest, name: string): string[] {
  const lower = name.toLowerCase();
  return req.headers.filter(([n]) => n.toLowerCase() === lower).map(([, v]) => v);
}

/** A header's values joined with commas (how HTTP APIs pass repeated headers), or undefined. */
export function headerJoined(req: GatewayRequest, name: string): string | undefined {
  const values = headerValues(req, name);
  return values.length ? values.join(',') : undefined;
}

/** The last value of a header (how REST APIs fill the single-value `headers` map). */
export function headerLast(req: GatewayRequest, name: string): string | undefined {
  const values = headerValues(req, name);
  return values[values.length - 1];
}

export function queryValues(req: GatewayRequest, name: string): string[] {
  return req.query.filter(([n]) => n === name).map(([, v]) => v);
}

/** `12/Mar/2020:19:03:58 +0000`, the format of `requestContext.time` / `requestTime`. */
export function clfTime(d: Date): string {
  const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  const p = (n: number) => String(n).padStart(2, '0');
  return (
    `${p(d.getUTCDate())}/${months[d.getUTCMonth()]}/${d.getUTCFullYear()}:` +
    `${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} +0000`
  );
}

/** Media type without parameters, lower-cased: `Application/JSON; charset=utf-8` → `application/json`. */
export function mediaType(contentType: string | undefined): string | undefined {
  const t = contentType?.split(';')[0]?.trim().toLowerCase();
  return t ? t : undefined;
}

/** Whether a media type matches one of a REST API's `BinaryMediaTypes` (`*` wildcards allowed). */
export function matchesMediaTypes(type: string | undefined, patterns: string[]): boolean {
  if (!type) return false;
  return patterns.some((pattern) => {
    const p = pattern.toLowerCase().trim();
    if (p === '*/*') return true;
    const re = new RegExp(`^${p.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*')}$`);
    return re.test(type);
  });
}
