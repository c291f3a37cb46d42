import type { TelemetryRecord } from './log-types';

/** Arrivals remembered (the oldest are forgotten first). */
const KEPT = 64;

/** Why a wait ended. */
export type WaitOutcome = 'arrived' | 'dropped' | 'deadline';

/**
 * Which invokes' platform.runtimeDone / platform.report have arrived, for the extension to wait on.
 * Telemetry may drop any record when its subscriber falls behind, these included: a
 * platform.logsDropped arriving during a wait ends it, so a dropped runtimeDone never holds an invoke
 * until its deadline (the records that do arrive still ship, one invoke later).
 */
export class InvokeProgress {
  private readonly seen = new Set<string>();
  private drops = 0;
  private waiters: Array<() => void> = [];

  note(records: TelemetryRecord[]): void {
    for (const r of records) {
      if (r.type === 'platform.logsDropped') this.drops++;
      if (r.type === 'platform.runtimeDone' || r.type === 'platform.report') {
        const requestId = (r.record as { requestId?: string } | null)?.requestId;
        if (requestId) this.seen.add(`${r.type}:${requestId}`);
        // Only the latest invokes are ever waited on; an environment lives for many thousands.
        if (this.seen.size > KEPT) this.seen.delete(this.seen.values().next().value!);
      }
    }
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }

  /**
   * Resolves when `type` for `requestId` has arrived, when records are dropped meanwhile (unless
   * `endOnDrop` is false), or at `deadlineMs` (epoch).
   */
  async waitFor(
    type: string,
    requestId: string,
    deadlineMs: number,
    { endOnDrop = true }: { endOnDrop?: boolean } = {},
  ): Promise<WaitOutcome> {
    const key = `${type}:${requestId}`;
    const drops = this.drops;
    for (;;) {
      if (this.seen.has(key)) {
        this.seen.delete(key);
        return 'arrived';
      }
      if (endOnDrop && this.drops > drops) return 'dropped';
      const left = deadlineMs - Date.now();
      if (left <= 0) return 'deadline';
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }
}
