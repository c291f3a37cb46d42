/**
 * Validates a subscribe request body for `PUT /2022-07-01/telemetry` or `PUT /2020-08-15/logs` the way
 * Lambda does, and turns it into the sandbox's `Subscription`.
 *
 * Sources: "Lambda Telemetry API reference", "Accessing real-time telemetry data for extensions using
 * the Telemetry API" (buffering table) and "Using the Lambda Logs API" (AWS Lambda Developer Guide).
 */
import type { Buffering, StreamType, Subscription, SubscriptionApi } from './telemetry-types';

export type SubscriptionResult =
  | { ok: true; subscription: Subscription }
  | { ok: false; status: number; errorType: string; errorMessage: string };

/** Schema versions each API accepts; Telemetry requires one, Logs defaults to its first. */
export const SCHEMA_VERSIONS: Readonly<Record<SubscriptionApi, readonly string[]>> = {
  logs: ['2020-08-15', '2021-03-18'],
  telemetry: ['2022-07-01', '2022-12-13', '2025-01-29'],
};

export interface BufferingBound {
  min: number;
  max: number;
  default: number;
}

/**
 * One current reference page says maxItems defaults to 1,000; the buffering table, the Logs API page and
 * observed Lambda behaviour say 10,000, which is what we use.
 */
export const BUFFERING_BOUNDS: Readonly<Record<keyof Buffering, BufferingBound>> = {
  timeoutMs: { min: 25, max: 30_000, default: 1_000 },
  maxBytes: { min: 262_144, max: 1_048_576, default: 262_144 },
  maxItems: { min: 1_000, max: 10_000, default: 10_000 },
};

/** Lambda keeps this port for its own APIs (`AWS_LAMBDA_RUNTIME_API`). */
export const RESERVED_PORT = 9001;

const LOOPBACK = '127.0.0.1';

/** Destination hosts an extension may name, and where the sandbox actually connects. */
const DESTINATION_HOSTS: Readonly<Record<string, string>> = {
  sandbox: LOOPBACK,
  'sandbox.localdomain': LOOPBACK,
  localhost: 'localhost',
  [LOOPBACK]: LOOPBACK,
};

const STREAM_TYPES: readonly StreamType[] = ['platform', 'function', 'extension'];

/** `Telemetry.` / `Logs.` — the prefix Lambda puts on this API's error types. */
const errorPrefix = (api: SubscriptionApi): string => (api === 'telemetry' ? 'Telemetry' : 'Logs');

/** A request Lambda would refuse; thrown inside the parser, turned into a result at its edge. */
class Refusal extends Error {
  constructor(
    readonly status: number,
    readonly errorKind: 'ValidationError' | 'NotSupported',
    message: string,
  ) {
    super(message);
  }
}

const invalid = (message: string): Refusal => new Refusal(400, 'ValidationError', message);

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const describe = (value: unknown): string => (value === undefined ? 'nothing' : JSON.stringify(value));

const parseSchemaVersion = (api: SubscriptionApi, value: unknown): string => {
  const allowed = SCHEMA_VERSIONS[api];
  // The Logs API treats schemaVersion as optional; the Telemetry API requires it.
  if (value === undefined && api === 'logs') return allowed[0] ?? '2020-08-15';
  if (typeof value !== 'string' || !allowed.includes(value)) {
    throw invalid(`schemaVersion must be one of ${allowed.join(', ')} (got ${describe(value)})`);
  }
  return value;
};

const parseTypes = (value: unknown): StreamType[] => {
  if (!Array.isArray(value) || value.length === 0) {
    throw invalid(`types must be a non-empty array of ${STREAM_TYPES.join(', ')} (got ${describe(value)})`);
  }
  const types: StreamType[] = [];
  for (const item of value) {
    const known = STREAM_TYPES.find((t) => t === item);
    if (known === undefined) {
      throw invalid(`types contains ${describe(item)}; allowed values are ${STREAM_TYPES.join(', ')}`);
    }
    if (!types.includes(known)) types.push(known);
  }
  return types;
};

const parseBufferingField = (buffering: Record<string, unknown>, field: keyof Buffering): number => {
  const bound = BUFFERING_BOUNDS[field];
  const value = buffering[field];
  if (value === undefined) return bound.default;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < bound.min || value > bound.max) {
    throw invalid(
      `buffering.${field} must be an integer from ${bound.min} to ${bound.max} (got ${describe(value)})`,
    );
  }
  return value;
};

const parseBuffering = (value: unknown): Buffering => {
  if (value !== undefined && !isPlainObject(value)) {
    throw invalid(`buffering must be an object (got ${describe(value)})`);
  }
  const buffering = value ?? {};
  return {
    maxItems: parseBufferingField(buffering, 'maxItems'),
    maxBytes: parseBufferingField(buffering, 'maxBytes'),
    timeoutMs: parseBufferingField(buffering, 'timeoutMs'),
  };
};

/** Checks `destination.URI` and rewrites Lambda's sandbox host names to where the listener really is. */
const parseDestinationUri = (value: unknown): string => {
  if (typeof value !== 'string' || value === '') {
    throw invalid(`destination.URI must be a string such as http://sandbox.localdomain:8080/path`);
  }
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw invalid(`destination.URI ${describe(value)} is not a valid URI`);
  }
  if (url.protocol === 'https:') throw invalid('destination.URI must use http:, HTTPS is not supported');
  if (url.protocol !== 'http:') throw invalid(`destination.URI must use http: (got ${url.protocol})`);
  const host = DESTINATION_HOSTS[url.hostname];
  if (host === undefined) {
    throw invalid(
      `destination.URI host must be one of ${Object.keys(DESTINATION_HOSTS).join(', ')} (got ${url.hostname}); ` +
        'Lambda delivers only inside the execution environment',
    );
  }
  if (url.port === '') throw invalid('destination.URI port is not provided');
  if (Number(url.port) === RESERVED_PORT) {
    throw invalid(`destination.URI port ${RESERVED_PORT} is reserved by Lambda`);
  }
  url.hostname = host;
  return url.toString();
};

const parseDestination = (api: SubscriptionApi, value: unknown): Subscription['destination'] => {
  if (!isPlainObject(value)) throw invalid(`destination must be an object (got ${describe(value)})`);
  if (value.protocol === 'TCP') {
    // Lambda supports NDJSON over TCP; the local sandbox does not (yet), and says so instead of
    // accepting a subscription it would never serve.
    throw new Refusal(
      400,
      'NotSupported',
      `destination.protocol TCP is not supported by the local sandbox; subscribe with HTTP (${errorPrefix(api)} API)`,
    );
  }
  if (value.protocol !== 'HTTP') {
    throw invalid(`destination.protocol must be HTTP or TCP (got ${describe(value.protocol)})`);
  }
  return { protocol: 'HTTP', uri: parseDestinationUri(value.URI) };
};

/**
 * Validates a subscribe body for `api` sent by `extensionName`. Errors are 400 with errorType
 * `Telemetry.ValidationError` / `Logs.ValidationError` (the Logs page documents its type; a bare
 * `ValidationError` in an older Telemetry example was replaced by the prefixed form Lambda answers with),
 * or `…NotSupported` for the TCP destination the sandbox does not implement.
 */
export const parseSubscription = (
  api: SubscriptionApi,
  extensionName: string,
  body: unknown,
): SubscriptionResult => {
  try {
    if (!isPlainObject(body)) throw invalid('request body must be a JSON object');
    const subscription: Subscription = {
      api,
      extensionName,
      schemaVersion: parseSchemaVersion(api, body.schemaVersion),
      types: parseTypes(body.types),
      buffering: parseBuffering(body.buffering),
      destination: parseDestination(api, body.destination),
    };
    return { ok: true, subscription };
  } catch (error) {
    if (!(error instanceof Refusal)) throw error;
    return {
      ok: false,
      status: error.status,
      errorType: `${errorPrefix(api)}.${error.errorKind}`,
      errorMessage: error.message,
    };
  }
};
