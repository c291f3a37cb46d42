/** A request rate: steady `ratePerSecond`, and `burst` requests allowed at once (default: one second's worth). */
export interface RateLimit {
  ratePerSecond: number;
  burst?: number;
}

/** A token bucket: `take()` either spends a token or says how long until the next one. */
export class TokenBucket {
  private tokens: number;
  private last: number;
  private readonly capacity: number;

  constructor(
    private readonly limit: RateLimit,
    private readonly clock: () => number = () => performance.now(),
  ) {
    if (!(limit.ratePerSecond > 0))
      throw new Error(`ratePerSecond must be positive, got ${limit.ratePerSecond}`);
    this.capacity = Math.max(1, limit.burst ?? limit.ratePerSecond);
    this.tokens = this.capacity;
    this.last = clock();
  }

  /** 0 when a token was spent, else the milliseconds until one is available (nothing is spent). */
  take(): number {
    const now = this.clock();
    this.tokens = Math.min(
      this.capacity,
      this.tokens + ((now - this.last) / 1000) * this.limit.ratePerSecond,
    );
    this.last = now;
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return 0;
    }
    return ((1 - this.tokens) / this.limit.ratePerSecond) * 1000;
  }
}

/** Calls, throttled calls and error answers of one operation. */
export interface OperationStats {
  calls: number;
  throttled: number;
  errors: number;
}

/** Per-operation counters shared by the emulators in this folder. */
export class CallStats {
  private readonly byOperation = new Map<string, OperationStats>();

  private entry(operation: string): OperationStats {
    let s = this.byOperation.get(operation);
    if (!s) {
      s = { calls: 0, throttled: 0, errors: 0 };
      this.byOperation.set(operation, s);
    }
    return s;
  }

  call(operation: string): void {
    this.entry(operation).calls++;
  }
  throttled(operation: string): void {
    this.entry(operation).throttled++;
  }
  error(operation: string): void {
    this.entry(operation).errors++;
  }

  snapshot(): Record<string, OperationStats> {
    return Object.fromEntries([...this.byOperation].map(([k, v]) => [k, { ...v }]));
  }

  reset(): void {
    this.byOperation.clear();
  }
}

/** A fixed latency or one chosen per operation. */
export type Latency = number | ((operation: string) => number);

export const latencyFor = (latency: Latency | undefined, operation: string): number =>
  typeof latency === 'function' ? latency(operation) : (latency ?? 0);

export const sleep = (ms: number) =>
  ms > 0 ? new Promise<void>((resolve) => setTimeout(resolve, ms)) : Promise.resolve();

/** `Retry-After` in whole seconds (the HTTP form), at least 1. */
export const retryAfterSeconds = (waitMs: number) => Math.max(1, Math.ceil(waitMs / 1000));
