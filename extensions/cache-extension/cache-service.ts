import type {
  CacheConfigFile,
  CacheItem,
  CacheSettings,
  DynamoDbItem,
  ParameterItem,
  SecretItem,
} from './cache-config';
import { CacheStore, UpstreamError, type CacheControl, type Fetcher, type LoadResult } from './cache-store';
import type { CachedBody, Sources } from './sources';

/**
 * What the HTTP routes ask for, resolved to a cache key, a TTL and a fetcher: the configured items
 * by their demo names, and any parameter or secret through AWS's extension's query parameters.
 */
export interface Lookup {
  key: string;
  ttlMs: number;
  fetch: Fetcher<CachedBody>;
}

export class RequestError extends UpstreamError {
  constructor(status: number, code: string, message: string) {
    super(status, code, message, false);
  }
}

export class CacheService {
  readonly store: CacheStore<CachedBody>;
  /** Every key ever loaded, with how to refresh it (refresh-ahead needs the fetcher back). */
  private readonly known = new Map<string, Lookup>();
  private readonly parameters = new Map<string, ParameterItem>();
  private readonly secrets = new Map<string, SecretItem>();
  private readonly items = new Map<string, DynamoDbItem>();

  constructor(
    readonly settings: CacheSettings,
    readonly config: CacheConfigFile,
    private readonly sources: Sources,
    now: () => number = Date.now,
  ) {
    this.store = new CacheStore({ maxEntries: settings.maxEntries, maxBytes: settings.maxBytes }, now);
    for (const p of config.parameters) this.parameters.set(p.name, p);
    for (const s of config.secrets) this.secrets.set(s.id, s);
    for (const d of config.dynamodb) this.items.set(d.name, d);
  }

  get configuredItems(): CacheItem[] {
    return [...this.config.parameters, ...this.config.secrets, ...this.config.dynamodb];
  }

  async get(lookup: Lookup, control: CacheControl = 'cache'): Promise<LoadResult<CachedBody>> {
    this.known.set(lookup.key, lookup);
    return this.store.load(lookup.key, lookup.ttlMs, lookup.fetch, control);
  }

  /** The demo's `/parameters?name=`: a configured parameter (or Secrets Manager reference). */
  configuredParameter(name: string): Lookup {
    const item = this.parameters.get(name);
    if (!item) throw unknownItem('parameter', name, [...this.parameters.keys()]);
    return this.parameterLookup(name, { region: item.region, withDecryption: true, ttlMs: item.ttlMs });
  }

  configuredSecret(id: string): Lookup {
    const item = this.secrets.get(id);
    if (!item) throw unknownItem('secret', id, [...this.secrets.keys()]);
    return this.secretLookup(id, { region: item.region, versionStage: item.versionStage, ttlMs: item.ttlMs });
  }

  configuredItem(name: string): Lookup {
    const item = this.items.get(name);
    if (!item) throw unknownItem('DynamoDB item', name, [...this.items.keys()]);
    return {
      key: `d|${item.region ?? ''}|${name}`,
      ttlMs: item.ttlMs ?? this.settings.ttlMs,
      fetch: this.sources.dynamoItem(item),
    };
  }

  /** AWS's `/systemsmanager/parameters/get` and the demo route both come here. */
  parameterLookup(
    name: string,
    opts: { region?: string; version?: string; label?: string; withDecryption: boolean; ttlMs?: number },
  ): Lookup {
    if (opts.version && opts.label)
      throw new RequestError(400, 'ValidationException', 'Give version or label, not both');
    const selector = opts.version ?? opts.label;
    const configured = this.parameters.get(name);
    return {
      key: `p|${opts.region ?? ''}|${name}|${selector ?? ''}|${opts.withDecryption}`,
      ttlMs: opts.ttlMs ?? configured?.ttlMs ?? this.settings.ttlMs,
      fetch: this.sources.parameter(name, {
        ...(opts.region ? { region: opts.region } : {}),
        ...(selector ? { selector } : {}),
        withDecryption: opts.withDecryption,
      }),
    };
  }

  secretLookup(
    id: string,
    opts: { region?: string; versionId?: string; versionStage?: string; ttlMs?: number },
  ): Lookup {
    if (opts.versionId && opts.versionStage)
      throw new RequestError(400, 'ValidationException', 'Give versionId or versionStage, not both');
    const configured = this.secrets.get(id);
    const versionStage = opts.versionStage ?? (opts.versionId ? undefined : configured?.versionStage);
    return {
      key: `s|${opts.region ?? ''}|${id}|${opts.versionId ?? ''}|${versionStage ?? ''}`,
      ttlMs: opts.ttlMs ?? configured?.ttlMs ?? this.settings.ttlMs,
      fetch: this.sources.secret(id, {
        ...(opts.region ? { region: opts.region } : {}),
        ...(opts.versionId ? { versionId: opts.versionId } : {}),
        ...(versionStage ? { versionStage } : {}),
      }),
    };
  }

  /** Loads every configured item (CACHE_EXTENSION_INIT_STARTUP); failures are reported, not fatal. */
  async prefetch(): Promise<{ loaded: number; failed: Array<{ item: string; code: string }> }> {
    const lookups = [
      ...this.config.parameters.map((p) => ({ item: p.name, lookup: this.configuredParameter(p.name) })),
      ...this.config.secrets.map((s) => ({ item: s.id, lookup: this.configuredSecret(s.id) })),
      ...this.config.dynamodb.map((d) => ({ item: d.name, lookup: this.configuredItem(d.name) })),
    ];
    const failed: Array<{ item: string; code: string }> = [];
    await Promise.all(
      lookups.map(({ item, lookup }) =>
        this.get(lookup).catch((e: UpstreamError) => failed.push({ item, code: e.code ?? 'Error' })),
      ),
    );
    return { loaded: lookups.length - failed.length, failed };
  }

  /** Refreshes the hot keys close to expiry, so no function request waits on them; errors keep the old value. */
  async refreshAhead(windowMs: number): Promise<number> {
    const due = this.store.dueForRefresh(windowMs).flatMap(({ key }) => {
      const lookup = this.known.get(key);
      return lookup ? [lookup] : [];
    });
    await Promise.all(due.map((l) => this.store.refresh(l.key, l.ttlMs, l.fetch).catch(() => undefined)));
    return due.length;
  }
}

function unknownItem(kind: string, name: string, known: string[]): RequestError {
  return new RequestError(
    404,
    'UnknownItem',
    `No ${kind} "${name}" in config.yaml${known.length ? ` (configured: ${known.join(', ')})` : ''}`,
  );
}
