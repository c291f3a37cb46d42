/**
 * Turns the sandbox's canonical telemetry event into what one subscriber receives, given its API and
 * schemaVersion.
 *
 * Canonical = the newest Telemetry API schema (2025-01-29), plus the Logs-API-only `platform.fault`
 * (string record), which Telemetry subscribers never receive. Each difference below is one small rule.
 *
 * Sources (AWS Lambda Developer Guide): "Lambda Telemetry API Event schema reference" and the event
 * OpenAPI documents it publishes for 2022-07-01, 2022-12-13 and 2025-01-29; "Using the Lambda Logs API"
 * and its published 2020-08-15 / 2021-03-18 event schemas.
 */
import type { SubscriptionApi, TelemetryEvent } from './telemetry-types';

/** What the conversion needs to know about a subscriber; a `Subscription` fits. */
export interface SchemaTarget {
  api: SubscriptionApi;
  schemaVersion: string;
}

type JsonObject = Record<string, unknown>;

const isJsonObject = (value: unknown): value is JsonObject =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Copies the named fields that are present (neither undefined nor null). */
const pick = (record: unknown, fields: readonly string[]): JsonObject => {
  const picked: JsonObject = {};
  if (!isJsonObject(record)) return picked;
  for (const field of fields) {
    const value = record[field];
    if (value !== undefined && value !== null) picked[field] = value;
  }
  return picked;
};

const withRecord = (event: TelemetryEvent, type: string, record: unknown): TelemetryEvent => ({
  time: event.time,
  type,
  record,
});

/** Schema versions are ISO dates, so string order is release order. */
const isBefore = (schemaVersion: string, version: string): boolean => schemaVersion < version;

/**
 * Rule: with `AWS_LAMBDA_LOG_FORMAT=JSON` a `function`/`extension` record is an object. Telemetry
 * subscribers from 2022-12-13 receive it as is; older Telemetry schemas and the Logs API only know
 * string records, so they get the JSON text of the line (what the process wrote).
 */
const JSON_LOG_RECORDS_SINCE = '2022-12-13';

const logLineRecord = (record: unknown): unknown =>
  typeof record === 'string' ? record : JSON.stringify(record);

/** Rule: the subscription notice is named after the API the receiving extension uses. */
const SUBSCRIPTION_NOTICES = new Set(['platform.telemetrySubscription', 'platform.logsSubscription']);

// ---------------------------------------------------------------------------------------------------
// Telemetry API

/**
 * Rule: fields the Telemetry schema gained in a version. A subscriber on an older version does not
 * receive them. Dotted paths reach into `metrics`. (Diff of the published event OpenAPI documents.)
 */
const TELEMETRY_FIELDS_INTRODUCED: readonly { since: string; type: string; fields: readonly string[] }[] = [
  // 2022-12-13: init/restore records identify the function and instance and carry tracing; init and
  // restore reports gain a status; extension records may carry an errorType.
  {
    since: '2022-12-13',
    type: 'platform.initStart',
    fields: ['functionName', 'functionVersion', 'instanceId', 'instanceMaxMemory', 'tracing'],
  },
  { since: '2022-12-13', type: 'platform.initRuntimeDone', fields: ['tracing'] },
  { since: '2022-12-13', type: 'platform.initReport', fields: ['status', 'errorType', 'tracing'] },
  {
    since: '2022-12-13',
    type: 'platform.restoreStart',
    fields: ['functionName', 'functionVersion', 'instanceId', 'instanceMaxMemory', 'tracing'],
  },
  { since: '2022-12-13', type: 'platform.restoreRuntimeDone', fields: ['tracing'] },
  { since: '2022-12-13', type: 'platform.restoreReport', fields: ['status', 'errorType', 'tracing'] },
  { since: '2022-12-13', type: 'platform.extension', fields: ['errorType'] },
  { since: '2022-12-13', type: 'platform.report', fields: ['metrics.billedRestoreDurationMs'] },
  // 2025-01-29 (Lambda Managed Instances): invoke records name the tenant, start names the function ARN.
  { since: '2025-01-29', type: 'platform.start', fields: ['functionArn', 'tenantId'] },
  { since: '2025-01-29', type: 'platform.runtimeDone', fields: ['tenantId'] },
  { since: '2025-01-29', type: 'platform.report', fields: ['tenantId'] },
];
// Also new in 2025-01-29, and not rewritten here: initializationType `lambda-managed-instances` (only
// Managed Instances produce it, and they require 2025-01-29), and report `status` /
// `metrics.billedDurationMs|memorySizeMB|maxMemoryUsedMB` becoming optional (the sandbox always sets them).

/** Returns a copy of `record` without `path` (one level of nesting), never touching the shared original. */
const withoutField = (record: JsonObject, path: string): JsonObject => {
  const [head, child] = path.split('.', 2) as [string, string | undefined];
  if (!(head in record)) return record;
  const copy = { ...record };
  if (child === undefined) {
    delete copy[head];
    return copy;
  }
  const nested = record[head];
  if (!isJsonObject(nested) || !(child in nested)) return record;
  const nestedCopy = { ...nested };
  delete nestedCopy[child];
  copy[head] = nestedCopy;
  return copy;
};

const toTelemetrySchema = (event: TelemetryEvent, schemaVersion: string): TelemetryEvent | undefined => {
  // Rule: Logs-API-only platform records have no Telemetry equivalent.
  if (event.type === 'platform.fault' || event.type === 'platform.end') return undefined;
  if (SUBSCRIPTION_NOTICES.has(event.type)) {
    return withRecord(event, 'platform.telemetrySubscription', event.record);
  }
  if (event.type === 'function' || event.type === 'extension') {
    return isBefore(schemaVersion, JSON_LOG_RECORDS_SINCE)
      ? withRecord(event, event.type, logLineRecord(event.record))
      : event;
  }
  if (!isJsonObject(event.record)) return event;
  let record: JsonObject = event.record;
  for (const rule of TELEMETRY_FIELDS_INTRODUCED) {
    if (rule.type !== event.type || !isBefore(schemaVersion, rule.since)) continue;
    for (const field of rule.fields) record = withoutField(record, field);
  }
  return record === event.record ? event : withRecord(event, event.type, record);
};

// ---------------------------------------------------------------------------------------------------
// Logs API

/** Rule: `platform.runtimeDone` exists in the Logs API only from schema 2021-03-18. */
const LOGS_RUNTIME_DONE_SINCE = '2021-03-18';

/**
 * Rule: Logs `platform.runtimeDone` status is success | failure | timeout. The Telemetry status `error`
 * (runtime or environment error, as opposed to a function error) has no Logs value; it is a failure.
 */
const logsRuntimeDoneStatus = (status: unknown): unknown => (status === 'error' ? 'failure' : status);

/** Rule: Logs `platform.report` carries requestId, the five classic metrics and X-Ray type/value only. */
const LOGS_REPORT_METRICS = [
  'durationMs',
  'billedDurationMs',
  'memorySizeMB',
  'maxMemoryUsedMB',
  'initDurationMs',
] as const;

const logsReportRecord = (record: unknown): JsonObject => {
  const report = pick(record, ['requestId']);
  report.metrics = pick(isJsonObject(record) ? record.metrics : undefined, LOGS_REPORT_METRICS);
  const tracing = pick(isJsonObject(record) ? record.tracing : undefined, ['type', 'value']);
  if (Object.keys(tracing).length > 0) report.tracing = tracing;
  return report;
};

const toLogsSchema = (event: TelemetryEvent, schemaVersion: string): TelemetryEvent[] | undefined => {
  switch (event.type) {
    case 'function':
    case 'extension':
      return [withRecord(event, event.type, logLineRecord(event.record))];
    case 'platform.start':
      // Rule: Logs start records have no tracing.
      return [withRecord(event, event.type, pick(event.record, ['requestId', 'version']))];
    case 'platform.runtimeDone':
      if (isBefore(schemaVersion, LOGS_RUNTIME_DONE_SINCE)) return undefined;
      return [
        withRecord(event, event.type, {
          ...pick(event.record, ['requestId']),
          status: logsRuntimeDoneStatus(isJsonObject(event.record) ? event.record.status : undefined),
        }),
      ];
    case 'platform.report':
      // Rule: the Logs API marks the end of an invocation with `platform.end` {requestId}, sent with the
      // report (CloudWatch's END line precedes REPORT); the Telemetry API dropped it.
      return [
        withRecord(event, 'platform.end', pick(event.record, ['requestId'])),
        withRecord(event, event.type, logsReportRecord(event.record)),
      ];
    case 'platform.extension':
      return [withRecord(event, event.type, pick(event.record, ['name', 'state', 'events']))];
    case 'platform.telemetrySubscription':
    case 'platform.logsSubscription':
      return [withRecord(event, 'platform.logsSubscription', pick(event.record, ['name', 'state', 'types']))];
    case 'platform.logsDropped':
      return [
        withRecord(event, event.type, pick(event.record, ['reason', 'droppedRecords', 'droppedBytes'])),
      ];
    case 'platform.fault':
    case 'platform.end':
      return [event];
    default:
      // Rule: init*, restore* and any other Telemetry-era record are not part of the Logs API schemas.
      return undefined;
  }
};

/**
 * The events one subscriber receives for one canonical event: `undefined` when its API/schema version
 * has no such event type, otherwise one event (a Logs API report expands to `platform.end` + report).
 * The canonical event is never mutated; it is shared by every subscriber.
 */
export const convertForSubscriber = (
  event: TelemetryEvent,
  target: SchemaTarget,
): TelemetryEvent[] | undefined => {
  if (target.api === 'logs') return toLogsSchema(event, target.schemaVersion);
  const converted = toTelemetrySchema(event, target.schemaVersion);
  return converted === undefined ? undefined : [converted];
};
