import type { IncomingMessage, ServerResponse } from 'node:http';
import { LambdaApiError } from './lifecycle';

export { readBody } from '../http-body';

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

export function sendApiError(res: ServerResponse, error: LambdaApiError): void {
  sendJson(res, error.status, { errorMessage: error.message, errorType: error.errorType });
}

export const header = (req: IncomingMessage, name: string): string | undefined => {
  const v = req.headers[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
};

/** Parses a JSON request body; malformed JSON is the API's 400 / 403 with the given error type. */
export function parseJson(body: Buffer, status: number, errorType: string): unknown {
  try {
    return JSON.parse(body.toString('utf8') || 'null');
  } catch {
    throw new LambdaApiError(status, errorType, 'The request body is not valid JSON.');
  }
}
