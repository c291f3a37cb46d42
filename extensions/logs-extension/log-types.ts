/** Shapes the logs extension's modules share. */

/** One Telemetry API record, shipped unchanged: `{time, type, record}`. */
export interface TelemetryRecord {
  time: string;
  type: string;
  record: unknown;
}

/** A batch ready for S3: records in arrival order, and their size as NDJSON. */
export interface LogBatch {
  records: TelemetryRecord[];
  bytes: number;
}

export interface LogsSettings {
  bucket: string;
  /** Key prefix, without a trailing slash (default `logs`). */
  prefix: string;
  functionName: string;
  /** Telemetry streams to subscribe to (default platform, function). */
  types: Array<'platform' | 'function' | 'extension'>;
  /** Telemetry API buffering, within Lambda's limits. */
  buffering: { maxItems: number; maxBytes: number; timeoutMs: number };
  /** Memory bound of records held for upload; past it the oldest are dropped and counted. */
  maxBufferBytes: number;
  /** An object is uploaded once this many NDJSON bytes wait (default 1 MiB), or at invoke end. */
  objectBytes: number;
  /**
   * When an invoke's records go to S3: `end-of-invoke` (default) before the extension ends that
   * invoke, which waits for its platform.runtimeDone; `background` while the next invoke runs (or at
   * SHUTDOWN), adding no duration to any invoke.
   */
  delivery: 'end-of-invoke' | 'background';
  /** With background delivery: records are uploaded once the oldest has waited this long (or by size). */
  maxAgeMs: number;
  /**
   * With end-of-invoke delivery: how long the end of an invoke may spend on uploads (retries
   * included); what is left then stays buffered for the next one, so an S3 outage never holds every
   * invoke until its timeout.
   */
  uploadWaitMs: number;
  /** V8's optimizing compilers off after start-up (default true; see low-memory.ts). */
  lowMemory: boolean;
  /** Patterns whose matches are masked before upload. */
  redact: RegExp[];
}
