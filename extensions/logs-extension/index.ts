import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { basename } from 'node:path';
import { ExtensionsApiClient, ExtensionsApiError } from '../extensions-api-client';
import { useLowMemoryCompilers } from '../extensions-api-client/low-memory';
import { InvokeProgress } from './invoke-progress';
import { LogBuffer } from './log-buffer';
import type { LogsSettings, TelemetryRecord } from './log-types';
import { redactRecord } from './redaction';
import { S3Shipper } from './s3-shipper';
import { parseLogsSettings } from './settings';

/**
 * The logs extension: subscribes to the Telemetry API and ships every record to S3 as gzip NDJSON,
 * with nothing lost. By default (LOGS_DELIVERY=end-of-invoke), at the end of each invoke it waits for
 * that invoke's platform.runtimeDone, then uploads what is buffered before it calls /next (so logs are
 * never one invoke late and nothing is left to stall in a frozen environment). That wait is Lambda's
 * Telemetry delivery delay (at least 25 ms) on every invoke's duration; LOGS_DELIVERY=background
 * instead calls /next at once and uploads while the next invoke runs. Either way, at SHUTDOWN it waits
 * for the last platform.report and uploads everything inside the deadline.
 */
const NAME = basename(process.argv[1] ?? 'logs-extension');
/** Time kept back from every deadline for the last upload to finish. */
const DEADLINE_MARGIN_MS = 300;

const log = (message: string) => console.log(`[${NAME}] ${message}`);

/** The Telemetry API destination: batches arrive as JSON arrays; they are accepted at once. */
async function startListener(onRecords: (records: TelemetryRecord[]) => void): Promise<http.Server> {
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      try {
        const records = JSON.parse(Buffer.concat(chunks).toString('utf8')) as TelemetryRecord[];
        if (Array.isArray(records)) onRecords(records);
        res.writeHead(200).end();
      } catch {
        res.writeHead(400).end(); // Lambda retries a batch that was not accepted
      }
    });
  });
  server.keepAliveTimeout = 0;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  return server;
}

/**
 * Subscribes through the Telemetry API, else the Logs API (older environments refuse the first; both
 * carry the same streams). False when neither delivers anything here.
 */
async function subscribe(api: ExtensionsApiClient, settings: LogsSettings, port: number): Promise<boolean> {
  const options = { types: settings.types, port, buffering: settings.buffering };
  try {
    if (await api.subscribeTelemetry(options)) return true;
    log('Telemetry API not supported here; subscribing through the Logs API');
  } catch (e) {
    if (!(e instanceof ExtensionsApiError)) throw e;
    log(`Telemetry API refused (${e.errorType}); subscribing through the Logs API`);
  }
  if (await api.subscribeLogs(options)) return true;
  // AWS's runtime interface emulator (sam local invoke) stubs both: nothing will come to ship.
  log('neither the Telemetry nor the Logs API delivers records here: nothing to ship');
  return false;
}

async function main(): Promise<void> {
  const api = new ExtensionsApiClient();
  let settings: LogsSettings;
  try {
    settings = parseLogsSettings(process.env);
  } catch (e) {
    log(`configuration error: ${(e as Error).message}`);
    await api.register(NAME, ['INVOKE', 'SHUTDOWN']);
    await api.initError('Extension.ConfigInvalid', (e as Error).message);
    process.exit(1);
  }

  const buffer = new LogBuffer(settings.maxBufferBytes);
  const progress = new InvokeProgress();
  const shipper = new S3Shipper({
    bucket: settings.bucket,
    prefix: settings.prefix,
    functionName: settings.functionName,
    environmentId: randomUUID(),
  });
  // One upload at a time outside the end-of-invoke ones; it drains the buffer, so one is enough.
  // An invoke's end and SHUTDOWN stop it (it may also have been frozen mid-upload), so their own
  // bounded flush never waits behind it; its records go back to the buffer.
  let background: AbortController | undefined;
  const flushInBackground = () => {
    if (background) return;
    const stop = (background = new AbortController());
    void shipper.flush(buffer, { maxObjectBytes: settings.objectBytes, signal: stop.signal }).finally(() => {
      if (background === stop) background = undefined; // not a newer one started since
    });
  };
  const stopBackground = () => background?.abort();
  // Background delivery uploads by age, not per invoke: each upload costs CPU the function would share.
  const due = () =>
    settings.delivery === 'background' && !(Date.now() - (buffer.oldestTime ?? Infinity) < settings.maxAgeMs);
  const listener = await startListener((records) => {
    buffer.add(settings.redact.length ? records.map((r) => redactRecord(r, settings.redact)) : records);
    progress.note(records);
    // A big invoke's logs start leaving before it ends, so memory stays near one object's size.
    if (buffer.bytes >= settings.objectBytes || due()) flushInBackground();
  });

  await api.register(NAME, ['INVOKE', 'SHUTDOWN']);
  if (!(await subscribe(api, settings, (listener.address() as AddressInfo).port))) {
    // Stay registered (leaving would fail the environment) without waiting for records that never come.
    listener.close();
    for (;;) if ((await api.next()).eventType === 'SHUTDOWN') process.exit(0);
  }
  if (settings.lowMemory) useLowMemoryCompilers();

  let lastRequestId: string | undefined;
  for (;;) {
    const event = await api.next();
    const deadline = event.deadlineMs - DEADLINE_MARGIN_MS;
    // Uploads run one at a time (S3Shipper queues them), so a flush here follows any in progress.
    if (event.eventType === 'INVOKE') {
      lastRequestId = event.requestId;
      if (settings.delivery === 'background') {
        // Records old enough leave while this invoke runs; the rest wait (SHUTDOWN ships them all).
        if (due()) flushInBackground();
        continue;
      }
      // This invoke's records are complete once its runtimeDone is here; ship them before /next.
      const outcome = await progress.waitFor('platform.runtimeDone', event.requestId, deadline);
      if (outcome !== 'arrived') {
        log(
          `invoke ${event.requestId}: platform.runtimeDone ${outcome === 'dropped' ? 'may have been dropped by Telemetry' : 'not received by the deadline'}; the rest of its records go with the next upload`,
        );
      }
      stopBackground(); // its records go back to the buffer and leave in this bounded flush
      const uploaded = await shipper.flush(buffer, {
        deadlineMs: Math.min(deadline, Date.now() + settings.uploadWaitMs),
        maxObjectBytes: settings.objectBytes,
      });
      if (uploaded.failed) {
        log(
          `invoke ${event.requestId}: S3 upload failing (${shipper.lastError?.message ?? 'unknown error'}); ${uploaded.remaining} record(s) kept for the next attempt`,
        );
      }
      continue;
    }
    // SHUTDOWN: ship what is here while the last invoke's REPORT comes, then the rest, and leave.
    // Drops do not end this wait: there is no next upload. The last margin is kept for that upload.
    stopBackground();
    const early = shipper
      .flush(buffer, { deadlineMs: deadline, maxObjectBytes: settings.objectBytes })
      .catch(() => undefined); // what it could not upload is still buffered for the final flush
    if (lastRequestId) {
      const outcome = await progress.waitFor(
        'platform.report',
        lastRequestId,
        deadline - DEADLINE_MARGIN_MS,
        {
          endOnDrop: false,
        },
      );
      if (outcome !== 'arrived') log(`shutdown: the last invoke's platform.report did not arrive`);
    }
    await early;
    const result = await shipper.flush(buffer, {
      deadlineMs: deadline,
      maxObjectBytes: settings.objectBytes,
    });
    if (result.failed || buffer.length > 0)
      log(`shutdown: ${buffer.length} record(s) could not be uploaded before the deadline`);
    else
      log(
        `shutdown: all shipped (${shipper.records} record(s) in ${shipper.objects} object(s) by this environment)`,
      );
    listener.close();
    process.exit(0);
  }
}

main().catch((e: Error) => {
  log(`fatal: ${e.message}`);
  process.exit(1);
});
