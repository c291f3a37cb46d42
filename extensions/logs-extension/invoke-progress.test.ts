import { InvokeProgress } from './invoke-progress';
import type { TelemetryRecord } from './log-types';

const record = (type: string, requestId?: string): TelemetryRecord => ({
  time: '2026-01-01T00:00:00.000Z',
  type,
  record: requestId ? { requestId } : { droppedRecords: 3, droppedBytes: 300, reason: 'full' },
});
const soon = () => Date.now() + 5_000;

describe('InvokeProgress', () => {
  it('resolves when the awaited record arrives, whether before or during the wait', async () => {
    const progress = new InvokeProgress();
    progress.note([record('platform.runtimeDone', 'a')]);
    await expect(progress.waitFor('platform.runtimeDone', 'a', soon())).resolves.toBe('arrived');
    const waiting = progress.waitFor('platform.report', 'b', soon());
    progress.note([record('platform.runtimeDone', 'b'), record('function')]);
    progress.note([record('platform.report', 'b')]);
    await expect(waiting).resolves.toBe('arrived');
  });

  it('gives up when records are dropped during the wait: the awaited one may be among them', async () => {
    const progress = new InvokeProgress();
    progress.note([record('platform.logsDropped')]); // before the wait: not this invoke's loss
    const waiting = progress.waitFor('platform.runtimeDone', 'c', soon());
    progress.note([record('function')]);
    progress.note([record('platform.logsDropped')]);
    await expect(waiting).resolves.toBe('dropped');
  });

  it('keeps waiting through drops when told to (SHUTDOWN has no next invoke to ship the rest with)', async () => {
    const progress = new InvokeProgress();
    const waiting = progress.waitFor('platform.report', 'e', soon(), { endOnDrop: false });
    progress.note([record('platform.logsDropped')]);
    progress.note([record('platform.report', 'e')]);
    await expect(waiting).resolves.toBe('arrived');
  });

  it('gives up at the deadline', async () => {
    const progress = new InvokeProgress();
    await expect(progress.waitFor('platform.runtimeDone', 'd', Date.now() + 20)).resolves.toBe('deadline');
  });

  it('remembers only the latest arrivals', async () => {
    const progress = new InvokeProgress();
    for (let i = 0; i < 1000; i++) progress.note([record('platform.runtimeDone', `r${i}`)]);
    await expect(progress.waitFor('platform.runtimeDone', 'r999', soon())).resolves.toBe('arrived');
    await expect(progress.waitFor('platform.runtimeDone', 'r0', Date.now() + 10)).resolves.toBe('deadline');
  });
});
