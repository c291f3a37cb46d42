import type { LogBatch, TelemetryRecord } from './log-types';

/** The record type of the extension's own report of records it dropped (see takeDroppedReport). */
export const DROPPED_REPORT_TYPE = 'logs-extension.dropped';

/** Records about lost records are never dropped: they are what says that something is missing. */
const KEPT_TYPES = new Set(['platform.logsDropped', DROPPED_REPORT_TYPE]);

const isKept = (r: TelemetryRecord): boolean =>
  KEPT_TYPES.has((r as Partial<TelemetryRecord> | null)?.type ?? '');

/** A record's size as one NDJSON line: its JSON, in UTF-8 bytes, and the newline. */
export function recordBytes(record: TelemetryRecord): number {
  return Buffer.byteLength(JSON.stringify(record)) + 1;
}

interface Entry {
  record: TelemetryRecord;
  bytes: number;
}

/**
 * Records waiting for upload, in arrival order, held within `maxBufferBytes` (NDJSON bytes). Past the
 * bound the oldest records are dropped, except `platform.logsDropped` and the extension's own drop
 * reports; what is dropped is counted and reported once per episode by `takeDroppedReport()`.
 */
export class LogBuffer {
  /**
   * Entries live in items[head..]; the front is trimmed by moving `head` (clearing the slot, so no
   * memory is held for taken records) and compacted now and then.
   */
  private items: Array<Entry | undefined> = [];
  private head = 0;
  private total = 0;
  private dropped = { records: 0, bytes: 0 };

  constructor(
    readonly maxBufferBytes: number,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** Records held. */
  get length(): number {
    return this.items.length - this.head;
  }

  /** NDJSON bytes held. */
  get bytes(): number {
    return this.total;
  }

  /** The `time` of the oldest record held (epoch ms; NaN when it has no valid time), undefined when empty. */
  get oldestTime(): number | undefined {
    const entry = this.items[this.head];
    return entry ? Date.parse(entry.record.time) : undefined;
  }

  /** Records dropped since the last drop report. */
  get droppedRecords(): number {
    return this.dropped.records;
  }

  /** NDJSON bytes dropped since the last drop report. */
  get droppedBytes(): number {
    return this.dropped.bytes;
  }

  /** Appends records in order; past the bound the oldest held records go first. */
  add(records: TelemetryRecord[]): void {
    for (const record of records) {
      const bytes = recordBytes(record);
      this.items.push({ record, bytes });
      this.total += bytes;
    }
    this.enforceBound();
  }

  /** Removes and returns the oldest records whose NDJSON fits in `maxBytes` (always at least one). */
  take(maxBytes: number): LogBatch | undefined {
    if (this.length === 0) return undefined;
    const records: TelemetryRecord[] = [];
    let bytes = 0;
    while (this.head < this.items.length) {
      const entry = this.items[this.head]!;
      if (records.length > 0 && bytes + entry.bytes > maxBytes) break;
      records.push(entry.record);
      bytes += entry.bytes;
      this.items[this.head++] = undefined;
    }
    this.total -= bytes;
    this.compact();
    return { records, bytes };
  }

  /**
   * Returns a batch that could not be uploaded to the front, in its order. It counts toward the bound
   * again: if the buffer is now over it, the oldest records (the batch's first) are dropped and counted.
   */
  putBack(batch: LogBatch): void {
    if (batch.records.length === 0) return;
    const entries = batch.records.map((record) => ({ record, bytes: recordBytes(record) }));
    if (this.head >= entries.length) {
      this.head -= entries.length;
      for (let i = 0; i < entries.length; i++) this.items[this.head + i] = entries[i];
    } else {
      this.items = (entries as Array<Entry | undefined>).concat(this.items.slice(this.head));
      this.head = 0;
    }
    for (const e of entries) this.total += e.bytes;
    this.enforceBound();
  }

  /**
   * Once per drop episode: a record saying how many records and bytes were dropped since the last
   * report, for the caller to ship with the next upload. The counters start again from zero.
   */
  takeDroppedReport(): TelemetryRecord | undefined {
    if (this.dropped.records === 0) return undefined;
    const report: TelemetryRecord = {
      time: this.now().toISOString(),
      type: DROPPED_REPORT_TYPE,
      record: {
        droppedRecords: this.dropped.records,
        droppedBytes: this.dropped.bytes,
        reason: `Some logs were dropped because more than ${this.maxBufferBytes} bytes waited for upload to S3`,
      },
    };
    this.dropped = { records: 0, bytes: 0 };
    return report;
  }

  /**
   * Drops the oldest records that may be dropped until the buffer is within its bound. Kept records
   * met on the way stay, in order, at the new front; the walk is linear in what it passes over.
   */
  private enforceBound(): void {
    if (this.total <= this.maxBufferBytes) return;
    const kept: Entry[] = [];
    let i = this.head;
    while (this.total > this.maxBufferBytes && i < this.items.length) {
      const entry = this.items[i]!;
      this.items[i++] = undefined;
      if (isKept(entry.record)) {
        kept.push(entry);
      } else {
        this.total -= entry.bytes;
        this.dropped.records++;
        this.dropped.bytes += entry.bytes;
      }
    }
    this.head = i - kept.length;
    for (let k = 0; k < kept.length; k++) this.items[this.head + k] = kept[k];
    this.compact();
  }

  private compact(): void {
    if (this.head === this.items.length) {
      this.items = [];
      this.head = 0;
    } else if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
  }
}
