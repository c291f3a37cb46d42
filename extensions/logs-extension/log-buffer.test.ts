import { DROPPED_REPORT_TYPE, LogBuffer, recordBytes } from './log-buffer';
import type { TelemetryRecord } from './log-types';

const fn = (i: number, text = `line ${i}`): TelemetryRecord => ({
  time: new Date(Date.UTC(2024, 0, 1) + i).toISOString(),
  type: 'function',
  record: text,
});
const lineBytes = (r: TelemetryRecord) => Buffer.byteLength(`${JSON.stringify(r)}\n`);
const sum = (rs: TelemetryRecord[]) => rs.reduce((n, r) => n + lineBytes(r), 0);

/** A deterministic pseudo-random sequence, so a failure can be replayed. */
function random(seed: number) {
  return () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
}

describe('LogBuffer', () => {
  it('sizes a record as its NDJSON line in UTF-8 bytes', () => {
    const r = fn(1, 'héllo ✓');
    expect(recordBytes(r)).toBe(Buffer.byteLength(JSON.stringify(r)) + 1);
    const buffer = new LogBuffer(1_000_000);
    buffer.add([r, fn(2)]);
    expect(buffer.bytes).toBe(lineBytes(r) + lineBytes(fn(2)));
    expect(buffer.length).toBe(2);
  });

  it('tells the time of the oldest record held, through takes and put-backs', () => {
    const buffer = new LogBuffer(1_000_000);
    expect(buffer.oldestTime).toBeUndefined();
    buffer.add([fn(5), fn(6), fn(7)]);
    expect(buffer.oldestTime).toBe(Date.UTC(2024, 0, 1) + 5);
    const taken = buffer.take(lineBytes(fn(5)))!;
    expect(buffer.oldestTime).toBe(Date.UTC(2024, 0, 1) + 6);
    buffer.putBack(taken);
    expect(buffer.oldestTime).toBe(Date.UTC(2024, 0, 1) + 5);
    buffer.take(1e9);
    expect(buffer.oldestTime).toBeUndefined();
    buffer.add([{ time: 'not a time', type: 'function', record: 'x' }]);
    expect(buffer.oldestTime).toBeNaN();
  });

  it('keeps arrival order across many batches, takes and put-backs', () => {
    const rand = random(7);
    const buffer = new LogBuffer(1e9);
    const all: TelemetryRecord[] = [];
    const out: TelemetryRecord[] = [];
    let i = 0;
    for (let round = 0; round < 500; round++) {
      const batch = Array.from({ length: Math.floor(rand() * 20) }, () => fn(i, 'x'.repeat(i++ % 300)));
      all.push(...batch);
      buffer.add(batch);
      const taken = buffer.take(Math.floor(rand() * 3000));
      if (!taken) continue;
      expect(taken.records.length).toBeGreaterThan(0);
      expect(taken.bytes).toBe(sum(taken.records));
      // Now and then an upload fails: the batch goes back to the front, to be taken again.
      if (rand() < 0.3) buffer.putBack(taken);
      else out.push(...taken.records);
    }
    for (let b = buffer.take(10_000); b; b = buffer.take(10_000)) out.push(...b.records);
    expect(out).toEqual(all);
    expect(buffer.length).toBe(0);
    expect(buffer.bytes).toBe(0);
    expect(buffer.droppedRecords).toBe(0);
  });

  it('takes the oldest records that fit, and always at least one', () => {
    const buffer = new LogBuffer(1e6);
    const rs = [fn(0, 'a'.repeat(500)), fn(1), fn(2), fn(3)];
    buffer.add(rs);
    expect(buffer.take(10)).toEqual({ records: [rs[0]], bytes: lineBytes(rs[0]!) });
    const two = lineBytes(rs[1]!) + lineBytes(rs[2]!);
    expect(buffer.take(two + lineBytes(rs[3]!) - 1)).toEqual({ records: [rs[1], rs[2]], bytes: two });
    expect(buffer.take(1e6)?.records).toEqual([rs[3]]);
    expect(buffer.take(1e6)).toBeUndefined();
  });

  it('drops the oldest records past the bound, counts them, and reports them once', () => {
    const now = new Date('2024-05-06T07:08:09.000Z');
    const rs = Array.from({ length: 100 }, (_, i) => fn(i, `record ${String(i).padStart(3, '0')}`));
    const size = lineBytes(rs[0]!);
    const buffer = new LogBuffer(size * 30, () => now);
    buffer.add(rs.slice(0, 20));
    expect(buffer.takeDroppedReport()).toBeUndefined();
    buffer.add(rs.slice(20, 50));
    expect(buffer.bytes).toBeLessThanOrEqual(size * 30);
    expect(buffer.length).toBe(30);
    expect(buffer.droppedRecords).toBe(20);
    expect(buffer.droppedBytes).toBe(20 * size);
    expect(buffer.takeDroppedReport()).toEqual({
      time: now.toISOString(),
      type: DROPPED_REPORT_TYPE,
      record: {
        droppedRecords: 20,
        droppedBytes: 20 * size,
        reason: expect.stringContaining(`${size * 30}`),
      },
    });
    expect(buffer.takeDroppedReport()).toBeUndefined();
    expect(buffer.droppedRecords).toBe(0);
    // A new episode is counted from zero.
    buffer.add(rs.slice(50, 55));
    expect(buffer.takeDroppedReport()?.record).toMatchObject({ droppedRecords: 5, droppedBytes: 5 * size });
    const held: TelemetryRecord[] = [];
    for (let b = buffer.take(1e6); b; b = buffer.take(1e6)) held.push(...b.records);
    expect(held).toEqual(rs.slice(25, 55));
  });

  it('never drops platform.logsDropped or its own drop reports', () => {
    const lost: TelemetryRecord = {
      time: '2024-01-01T00:00:00.000Z',
      type: 'platform.logsDropped',
      record: { droppedBytes: 100, droppedRecords: 2, reason: 'Lambda dropped some logs' },
    };
    const report: TelemetryRecord = {
      time: '2024-01-01T00:00:00.001Z',
      type: DROPPED_REPORT_TYPE,
      record: { droppedRecords: 1, droppedBytes: 10, reason: 'x' },
    };
    const rs = Array.from({ length: 40 }, (_, i) => fn(i, `record ${String(i).padStart(3, '0')}`));
    const size = lineBytes(rs[0]!);
    const buffer = new LogBuffer(lineBytes(lost) + lineBytes(report) + size * 10);
    buffer.add([lost, rs[0]!, report, ...rs.slice(1, 20)]);
    buffer.add(rs.slice(20));
    const held: TelemetryRecord[] = [];
    for (let b = buffer.take(1e6); b; b = buffer.take(1e6)) held.push(...b.records);
    expect(held).toEqual([lost, report, ...rs.slice(30)]);
    expect(buffer.takeDroppedReport()?.record).toMatchObject({ droppedRecords: 30, droppedBytes: 30 * size });
  });

  it('exceeds the bound rather than drop records it keeps', () => {
    const kept: TelemetryRecord = { time: 't', type: 'platform.logsDropped', record: { droppedRecords: 1 } };
    const buffer = new LogBuffer(10);
    buffer.add([kept, fn(1), kept]);
    expect(buffer.length).toBe(2);
    expect(buffer.bytes).toBe(2 * lineBytes(kept));
    expect(buffer.droppedRecords).toBe(1);
  });

  it('puts a failed batch back at the front, and drops its oldest records if that overflows', () => {
    const rs = Array.from({ length: 30 }, (_, i) => fn(i, `record ${String(i).padStart(3, '0')}`));
    const size = lineBytes(rs[0]!);
    const buffer = new LogBuffer(size * 20);
    buffer.add(rs.slice(0, 15));
    const batch = buffer.take(size * 10)!;
    expect(batch.records).toEqual(rs.slice(0, 10));
    buffer.add(rs.slice(15, 25)); // 15 held: within the bound
    expect(buffer.droppedRecords).toBe(0);
    buffer.putBack(batch); // 25 held: the 5 oldest (the batch's first) go
    expect(buffer.length).toBe(20);
    expect(buffer.bytes).toBe(size * 20);
    expect(buffer.droppedRecords).toBe(5);
    expect(buffer.droppedBytes).toBe(size * 5);
    const held: TelemetryRecord[] = [];
    for (let b = buffer.take(size * 3); b; b = buffer.take(size * 3)) held.push(...b.records);
    expect(held).toEqual(rs.slice(5, 25));
  });

  it('puts back into the space freed at the front and into a fresh array alike', () => {
    const rs = Array.from({ length: 3000 }, (_, i) => fn(i));
    const buffer = new LogBuffer(1e9);
    buffer.add(rs);
    const a = buffer.take(lineBytes(rs[0]!) * 1500)!; // head moved: room in front
    const b = buffer.take(lineBytes(rs[0]!) * 10)!;
    buffer.putBack(b);
    buffer.putBack(a);
    expect(buffer.length).toBe(3000);
    const big = buffer.take(1e9)!;
    expect(big.records).toEqual(rs);
    expect(big.bytes).toBe(sum(rs));
    buffer.add(rs.slice(0, 5));
    buffer.putBack({ records: rs.slice(5, 10), bytes: sum(rs.slice(5, 10)) }); // no room in front
    expect(buffer.take(1e9)?.records).toEqual([...rs.slice(5, 10), ...rs.slice(0, 5)]);
  });
});
