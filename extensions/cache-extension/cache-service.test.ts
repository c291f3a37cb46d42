import type { CacheSettings } from './cache-config';
import { CacheService } from './cache-service';
import type { Fetcher } from './cache-store';
import type { CachedBody } from './sources';
import { Sources } from './sources';

const settings: CacheSettings = {
  configPath: '/var/task/config.yaml',
  ttlMs: 60_000,
  initStartup: false,
  lowMemory: false,
  port: 4000,
  maxEntries: 100,
  maxBytes: 1_000_000,
};

describe('CacheService refresh-ahead', () => {
  it('refreshes a hot item close to expiry during the invoke, so the next request is a hit with the new value', async () => {
    let time = 0;
    const service = new CacheService(
      settings,
      { parameters: [], secrets: [], dynamodb: [] },
      new Sources('us-east-1'),
      () => time,
    );
    let version = 1;
    let calls = 0;
    const fetch: Fetcher<CachedBody> = async () => {
      calls++;
      const body = JSON.stringify({ v: version });
      return { value: { body }, bytes: body.length };
    };
    const lookup = { key: 'k', ttlMs: 10_000, fetch };
    expect((await service.get(lookup)).status).toBe('miss');
    version = 2;
    time = 5_000; // halfway: not due yet
    expect(await service.refreshAhead(5_000)).toBe(0);
    time = 8_500; // within a fifth of the TTL of expiry
    expect(await service.refreshAhead(5_000)).toBe(1);
    expect(calls).toBe(2);
    time = 10_500; // past the original expiry: still a hit, with the refreshed value
    expect(await service.get(lookup)).toMatchObject({ status: 'hit', value: { body: '{"v":2}' } });
  });

  it('does not refresh items nobody asked for within their TTL', async () => {
    let time = 0;
    const service = new CacheService(
      settings,
      { parameters: [], secrets: [], dynamodb: [] },
      new Sources('us-east-1'),
      () => time,
    );
    const fetch: Fetcher<CachedBody> = async () => ({ value: { body: '1' }, bytes: 1 });
    await service.get({ key: 'cold', ttlMs: 10_000, fetch });
    time = 19_000;
    expect(await service.refreshAhead(5_000)).toBe(0);
  });
});
