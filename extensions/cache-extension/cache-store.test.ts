import { CacheStore, UpstreamError, type Fetcher } from './cache-store';

/** A clock the tests move, and a fetcher that counts its calls and answers what it is told. */
function setup(limits = { maxEntries: 100, maxBytes: 1_000_000 }) {
  let time = 1_000_000;
  const store = new CacheStore<string>(limits, () => time);
  const advance = (ms: number) => (time += ms);
  return { store, advance };
}

const value =
  (v: string): Fetcher<string> =>
  async () => ({ value: v, bytes: v.length });
const failing =
  (code: string, transient: boolean): Fetcher<string> =>
  async () => {
    throw new UpstreamError(transient ? 502 : 404, code, `${code}!`, transient);
  };

describe('CacheStore', () => {
  it('serves hits within the TTL and refetches after it, with no cap on the TTL', async () => {
    const { store, advance } = setup();
    const day = 24 * 3600_000;
    expect((await store.load('k', day, value('a'))).status).toBe('miss');
    advance(day - 1);
    expect(await store.load('k', day, value('b'))).toMatchObject({
      value: 'a',
      status: 'hit',
      ageMs: day - 1,
    });
    advance(1);
    expect(await store.load('k', day, value('b'))).toMatchObject({ value: 'b', status: 'refreshed' });
    expect(store.stats()).toMatchObject({ hits: 1, misses: 1, refreshes: 1, upstreamCalls: 2 });
  });

  it('makes one upstream call for concurrent misses of one key', async () => {
    const { store } = setup();
    let calls = 0;
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const slow: Fetcher<string> = async () => {
      calls++;
      await gate;
      return { value: 'v', bytes: 1 };
    };
    const loads = Array.from({ length: 50 }, () => store.load('k', 1000, slow));
    release();
    const results = await Promise.all(loads);
    expect(calls).toBe(1);
    expect(new Set(results.map((r) => r.value))).toEqual(new Set(['v']));
    expect(store.stats().coalesced).toBe(49);
  });

  it('honours recache and nocache per request', async () => {
    const { store } = setup();
    await store.load('k', 60_000, value('a'));
    expect(await store.load('k', 60_000, value('b'), 'recache')).toMatchObject({
      value: 'b',
      status: 'refreshed',
    });
    expect(await store.load('k', 60_000, value('c'), 'nocache')).toMatchObject({
      value: 'c',
      status: 'uncached',
    });
    expect((await store.load('k', 60_000, value('d'))).value).toBe('b');
  });

  it('serves the stale value on a transient failure, says so, and never on a permanent one', async () => {
    const { store, advance } = setup();
    await store.load('k', 1000, value('old'));
    advance(2000);
    expect(await store.load('k', 1000, failing('ThrottlingException', true))).toMatchObject({
      value: 'old',
      status: 'stale',
      staleBecause: 'ThrottlingException',
    });
    await expect(store.load('k', 1000, failing('ParameterNotFound', false))).rejects.toMatchObject({
      code: 'ParameterNotFound',
    });
    await expect(store.load('new', 1000, failing('ThrottlingException', true))).rejects.toMatchObject({
      status: 502,
    });
  });

  it('extends the TTL without a new value when the fetcher says unchanged', async () => {
    const { store, advance } = setup();
    await store.load('k', 1000, value('v1'));
    advance(1500);
    let sawPrevious: string | undefined;
    const conditional: Fetcher<string> = async (previous) => {
      sawPrevious = previous?.value;
      return { unchanged: true };
    };
    expect(await store.load('k', 1000, conditional)).toMatchObject({ value: 'v1', status: 'refreshed' });
    expect(sawPrevious).toBe('v1');
    advance(999);
    expect((await store.load('k', 1000, value('x'))).status).toBe('hit');
  });

  it('evicts the least recently used entries past the entry and byte bounds', async () => {
    const { store } = setup({ maxEntries: 3, maxBytes: 10 });
    for (const k of ['a', 'b', 'c']) await store.load(k, 60_000, value('xx'));
    await store.load('a', 60_000, value('xx')); // a is now the most recently used
    await store.load('d', 60_000, value('xx'));
    expect(store.peek('b')).toBeUndefined();
    expect(['a', 'c', 'd'].every((k) => store.peek(k))).toBe(true);
    await store.load('big', 60_000, value('123456789')); // 9 bytes: only it and nothing else fits
    expect(store.stats()).toMatchObject({ entries: 1, bytes: 9 });
    const huge = await store.load('huge', 60_000, value('12345678901'));
    expect(huge.value).toBe('12345678901'); // served, not kept
    expect(store.peek('huge')).toBeUndefined();
    expect(store.stats().evictions).toBe(4);
  });

  it('lists hot keys near expiry for refresh-ahead, not cold ones', async () => {
    const { store, advance } = setup();
    await store.load('hot', 10_000, value('h'));
    await store.load('cold', 10_000, value('c'));
    advance(9_500);
    await store.load('hot', 10_000, value('h'));
    expect(
      store
        .dueForRefresh(1000)
        .map((d) => d.key)
        .sort(),
    ).toEqual(['cold', 'hot']);
    advance(9_000); // cold was last used 18.5 s ago, more than its TTL: not worth refreshing
    expect(store.dueForRefresh(1000).map((d) => d.key)).toEqual(['hot']);
  });
});
