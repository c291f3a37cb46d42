/**
 * Telemetry API / Logs API shapes shared by the sandbox's platform side (which produces records) and
 * the delivery side (which buffers and sends them to subscribed extensions).
 */

/** One record as the Telemetry API delivers it: `{time, type, record}`. */
export interface TelemetryEvent {
  /** ISO-8601 with milliseconds, UTC. */
  time: string;
  /** `platform.start`, `function`, `extension`, … */
  type: string;
  record: unknown;
}

/** Which stream a record belongs to, as `types` in a subscription names them. */
export type StreamType = 'platform' | 'function' | 'extension';

export const streamOf = (type: string): StreamType =>
  type === 'function' ? 'function' : type === 'extension' ? 'extension' : 'platform';

export type SubscriptionApi = 'telemetry' | 'logs';

export interface Buffering {
  maxItems: number;
  maxBytes: number;
  timeoutMs: number;
}

export interface Subscription {
  api: SubscriptionApi;
  extensionName: string;
  schemaVersion: string;
  types: StreamType[];
  buffering: Buffering;
  /** Where batches go, `sandbox` / `sandbox.localdomain` already mapped to 127.0.0.1. */
  destination: { protocol: 'HTTP'; uri: string };
}
