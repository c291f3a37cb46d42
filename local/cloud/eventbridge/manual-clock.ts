import type { Clock, TimerHandle } from './event-bus';

/**
 * A clock that only moves when told to, for tests of schedules and retries: `advance` runs the
 * timers that fall due in time order, letting promise callbacks settle after each one.
 */
export class ManualClock implements Clock {
  private current: number;
  private timers: { at: number; seq: number; callback: () => void }[] = [];
  private seq = 0;

  constructor(start: Date | number | string = '2025-01-01T00:00:00Z') {
    this.current = new Date(start).getTime();
  }

  now(): number {
    return this.current;
  }

  setTimer(callback: () => void, delayMs: number): TimerHandle {
    const timer = { at: this.current + Math.max(0, delayMs), seq: this.seq++, callback };
    this.timers.push(timer);
    return { cancel: () => void (this.timers = this.timers.filter((t) => t !== timer)) };
  }

  /** Due times of the timers still waiting, earliest first. */
  pending(): Date[] {
    return this.sorted().map((t) => new Date(t.at));
  }

  /** Moves time forward by `ms`, running every timer due on the way (including ones they set). */
  async advance(ms: number): Promise<void> {
    await this.advanceTo(this.current + ms);
  }

  async advanceTo(time: Date | number | string): Promise<void> {
    const target = new Date(time).getTime();
    await settle();
    for (;;) {
      const next = this.sorted()[0];
      if (!next || next.at > target) break;
      this.timers = this.timers.filter((t) => t !== next);
      this.current = Math.max(this.current, next.at);
      next.callback();
      await settle();
    }
    this.current = Math.max(this.current, target);
  }

  /** Lets queued promise callbacks (deliveries, dead-letter handlers) run without moving time. */
  flush(): Promise<void> {
    return settle();
  }

  private sorted() {
    return [...this.timers].sort((a, b) => a.at - b.at || a.seq - b.seq);
  }
}

/** A macrotask turn: every promise callback queued before it (and chained from them) has run. */
async function settle(): Promise<void> {
  for (let i = 0; i < 3; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}
