/**
 * The cache: per-item TTL (no cap), LRU bounded by entries and bytes, one upstream call for
 * concurrent misses of a key, stale-on-error for transient failures, conditional refresh (the
 * fetcher may answer "unchanged"), and refresh-ahead of hot keys.
 */
export type CacheControl = 'cache' | 'recache' | 'nocache';

export interface Entry<V> {
  value: V;
  bytes: number;
  fetchedAt: number;
  expiresAt: number;
  ttlMs: number;
  lastUsedAt: number;
}

/** What a fetcher returns: a new value, or that the cached one is still current (extends its TTL). */
export type FetchOutcome<V> = { value: V; bytes: number } | { unchanged: true };

export type Fetcher<V> = (previous: Entry<V> | undefined) => Promise<FetchOutcome<V>>;

/** An upstream failure: its HTTP status for the caller, AWS error code, and whether retrying may help. */
export class UpstreamError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly transient: boolean,
  ) {
    super(message);
  }
}

export type LoadStatus = 'hit' | 'miss' | 'refreshed' | 'stale' | 'uncached';

export interface LoadResult<V> {
  value: V;
  status: LoadStatus;
  ageMs: number;
  /** With `stale`: the error code of the refresh that failed. */
  staleBecause?: string;
}

export interface CacheStats {
  entries: number;
  bytes: number;
  hits: number;
  misses: number;
  refreshes: number;
  stale: number;
  evictions: number;
  upstreamCalls: number;
  coalesced: number;
}

export class CacheStore<V> {
  private readonly entries = new Map<string, Entry<V>>();
  private readonly inflight = new Map<string, Promise<Entry<V>>>();
  private totalBytes = 0;
  private readonly counters = {
    hits: 0,
    misses: 0,
    refreshes: 0,
    stale: 0,
    evictions: 0,
    upstreamCalls: 0,
    coalesced: 0,
  };

  constructor(
    private readonly limits: { maxEntries: number; maxBytes: number },
    private readonly now: () => number = Date.now,
  ) {}

  stats(): CacheStats {
    return { entries: this.entries.size, bytes: this.totalBytes, ...this.counters };
  }

  peek(key: string): Entry<V> | undefined {
    return this.entries.get(key);
  }

  async load(
    key: string,
    ttlMs: number,
    fetch: Fetcher<V>,
    control: CacheControl = 'cache',
  ): Promise<LoadResult<V>> {
    const now = this.now();
    const cached = this.entries.get(key);
    if (control === 'cache' && cached && cached.expiresAt > now) {
      this.counters.hits++;
      this.touch(key, cached, now);
      return { value: cached.value, status: 'hit', ageMs: now - cached.fetchedAt };
    }
    if (control === 'nocache') {
      // Straight to the source, stored nowhere; a concurrent fetch of the key is still shared.
      const outcome = await this.call(fetch, undefined);
      if ('unchanged' in outcome) throw new Error('a fetch without a previous value cannot be unchanged');
      return { value: outcome.value, status: 'uncached', ageMs: 0 };
    }
    try {
      const entry = await this.refresh(key, ttlMs, fetch);
      entry.lastUsedAt = this.now();
      return { value: entry.value, status: cached ? 'refreshed' : 'miss', ageMs: 0 };
    } catch (e) {
      if (e instanceof UpstreamError && e.transient && cached) {
        // Better an old value than none while the source is briefly unavailable; the caller is told.
        this.counters.stale++;
        this.touch(key, cached, now);
        return { value: cached.value, status: 'stale', ageMs: now - cached.fetchedAt, staleBecause: e.code };
      }
      throw e;
    }
  }

  /** Refreshes a key with one upstream call however many callers ask at once. */
  refresh(key: string, ttlMs: number, fetch: Fetcher<V>): Promise<Entry<V>> {
    const running = this.inflight.get(key);
    if (running) {
      this.counters.coalesced++;
      return running;
    }
    const previous = this.entries.get(key);
    if (previous) this.counters.refreshes++;
    else this.counters.misses++;
    const work = (async () => {
      try {
        const outcome = await this.call(fetch, previous);
        const now = this.now();
        if ('unchanged' in outcome) {
          if (!previous) throw new Error('a fetch without a previous value cannot be unchanged');
          Object.assign(previous, { fetchedAt: now, expiresAt: now + ttlMs, ttlMs });
          return previous;
        }
        return this.store(key, {
          value: outcome.value,
          bytes: outcome.bytes,
          fetchedAt: now,
          expiresAt: now + ttlMs,
          ttlMs,
          lastUsedAt: now,
        });
      } finally {
        this.inflight.delete(key);
      }
    })();
    this.inflight.set(key, work);
    return work;
  }

  /**
   * Keys used within their last TTL whose expiry is within `windowMs` (or a fifth of their TTL,
   * whichever is shorter, so a short TTL is not refreshed on every invoke): refreshing them ahead
   * keeps callers from ever waiting on a hot key.
   */
  dueForRefresh(windowMs: number): Array<{ key: string; ttlMs: number }> {
    const now = this.now();
    const due: Array<{ key: string; ttlMs: number }> = [];
    for (const [key, e] of this.entries) {
      const hot = now - e.lastUsedAt < e.ttlMs;
      if (hot && !this.inflight.has(key) && e.expiresAt - now <= Math.min(windowMs, e.ttlMs / 5)) {
        due.push({ key, ttlMs: e.ttlMs });
      }
    }
    return due;
  }

  private async call(fetch: Fetcher<V>, previous: Entry<V> | undefined): Promise<FetchOutcome<V>> {
    this.counters.upstreamCalls++;
    return fetch(previous);
  }

  private touch(key: string, entry: Entry<V>, now: number): void {
    entry.lastUsedAt = now;
    // Map order is the LRU order: re-inserting moves the key to the most recently used end.
    this.entries.delete(key);
    this.entries.set(key, entry);
  }

  private store(key: string, entry: Entry<V>): Entry<V> {
    const old = this.entries.get(key);
    if (old) {
      this.entries.delete(key);
      this.totalBytes -= old.bytes;
    }
    if (entry.bytes > this.limits.maxBytes) return entry; // larger than the whole cache: serve it, keep nothing
    this.entries.set(key, entry);
    this.totalBytes += entry.bytes;
    for (const [oldest, e] of this.entries) {
      if (this.entries.size <= this.limits.maxEntries && this.totalBytes <= this.limits.maxBytes) break;
      this.entries.delete(oldest);
      this.totalBytes -= e.bytes;
      this.counters.evictions++;
    }
    return entry;
  }
}
