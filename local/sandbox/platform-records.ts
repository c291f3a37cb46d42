import type { TelemetryEvent } from './telemetry-types';

/** Telemetry API records the platform emits (schema 2022-12-13 shapes), and how CloudWatch prints them. */
export type InvokeStatus = 'success' | 'error' | 'failure' | 'timeout';

/** `init` within the 10 s init limit; `invoke` when Lambda retries a failed init inside the first invoke. */
export type InitPhase = 'init' | 'invoke';

export interface ReportMetrics {
  durationMs: number;
  billedDurationMs: number;
  memorySizeMB: number;
  maxMemoryUsedMB: number;
  initDurationMs?: number;
}

export const event = (type: string, record: unknown, time = Date.now()): TelemetryEvent => ({
  time: new Date(time).toISOString(),
  type,
  record,
});

const round2 = (ms: number) => Math.round(ms * 100) / 100;

export const platform = {
  initStart: (runtimeVersion: string, functionName: string, memorySizeMB: number, phase: InitPhase) =>
    event('platform.initStart', {
      initializationType: 'on-demand',
      phase,
      runtimeVersion,
      runtimeVersionArn: `arn:aws:lambda:local::runtime:${runtimeVersion}`,
      functionName,
      functionVersion: '$LATEST',
      instanceMaxMemory: memorySizeMB,
    }),
  initRuntimeDone: (status: InvokeStatus, phase: InitPhase, errorType?: string) =>
    event('platform.initRuntimeDone', {
      initializationType: 'on-demand',
      phase,
      status,
      ...(errorType ? { errorType } : {}),
    }),
  initReport: (status: InvokeStatus, durationMs: number, phase: InitPhase, errorType?: string) =>
    event('platform.initReport', {
      initializationType: 'on-demand',
      phase,
      status,
      ...(errorType ? { errorType } : {}),
      metrics: { durationMs: round2(durationMs) },
    }),
  extension: (name: string, events: string[]) =>
    event('platform.extension', { name, state: 'Ready', events }),
  telemetrySubscription: (
    name: string,
    types: string[],
    state: 'Subscribed' | 'Already subscribed' = 'Subscribed',
  ) => event('platform.telemetrySubscription', { name, state, types }),
  start: (requestId: string, traceId: string) =>
    event('platform.start', {
      requestId,
      version: '$LATEST',
      tracing: { type: 'X-Amzn-Trace-Id', value: traceId },
    }),
  runtimeDone: (
    requestId: string,
    status: InvokeStatus,
    durationMs: number,
    producedBytes: number,
    errorType?: string,
  ) =>
    event('platform.runtimeDone', {
      requestId,
      status,
      ...(errorType ? { errorType } : {}),
      metrics: { durationMs: round2(durationMs), producedBytes },
    }),
  report: (requestId: string, status: InvokeStatus, metrics: ReportMetrics, errorType?: string) =>
    event('platform.report', {
      requestId,
      status,
      ...(errorType ? { errorType } : {}),
      metrics: {
        ...metrics,
        durationMs: round2(metrics.durationMs),
        ...(metrics.initDurationMs !== undefined ? { initDurationMs: round2(metrics.initDurationMs) } : {}),
      },
    }),
};

/** The line CloudWatch Logs shows for a record, or undefined for records it does not show. */
export function terminalLine(e: TelemetryEvent): string | undefined {
  if (e.type === 'function' || e.type === 'extension') {
    return typeof e.record === 'string' ? e.record.replace(/\n$/, '') : JSON.stringify(e.record);
  }
  const r = e.record as Record<string, unknown>;
  switch (e.type) {
    case 'platform.initStart':
      return `INIT_START Runtime Version: ${String(r.runtimeVersion)}\tRuntime Version ARN: ${String(r.runtimeVersionArn)}`;
    case 'platform.extension':
      return `EXTENSION\tName: ${String(r.name)}\tState: ${String(r.state)}\tEvents: [${(r.events as string[]).join(', ')}]`;
    case 'platform.telemetrySubscription':
      return `TELEMETRY\tName: ${String(r.name)}\tState: ${String(r.state)}\tTypes: [${(r.types as string[]).join(', ')}]`;
    case 'platform.start':
      return `START RequestId: ${String(r.requestId)} Version: ${String(r.version)}`;
    case 'platform.runtimeDone':
      return `END RequestId: ${String(r.requestId)}`;
    case 'platform.report': {
      const m = r.metrics as ReportMetrics;
      const init = m.initDurationMs !== undefined ? `\tInit Duration: ${m.initDurationMs.toFixed(2)} ms` : '';
      const status =
        r.status !== 'success'
          ? `\tStatus: ${String(r.status)}${r.errorType ? `\tError Type: ${String(r.errorType)}` : ''}`
          : '';
      return (
        `REPORT RequestId: ${String(r.requestId)}\tDuration: ${m.durationMs.toFixed(2)} ms\t` +
        `Billed Duration: ${m.billedDurationMs} ms\tMemory Size: ${m.memorySizeMB} MB\t` +
        `Max Memory Used: ${m.maxMemoryUsedMB} MB${init}${status}`
      );
    }
    case 'platform.logsDropped':
      return `LOGS\tDropped ${String(r.droppedRecords)} records (${String(r.droppedBytes)} bytes): ${String(r.reason)}`;
    default:
      return undefined;
  }
}
