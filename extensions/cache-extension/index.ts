import { existsSync, readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { ExtensionsApiClient } from '../extensions-api-client';
import { useLowMemoryCompilers } from '../extensions-api-client/low-memory';
import type { CacheConfigFile, CacheSettings } from './cache-config';
import { CacheService, RequestError } from './cache-service';
import { boundPort, startCacheServer } from './http-routes';
import { parseSettings } from './settings';
import { Sources } from './sources';

/**
 * The cache extension: an external Lambda extension that caches SSM parameters, Secrets Manager
 * secrets and DynamoDB items in memory and serves them to the function on 127.0.0.1.
 *
 * Order matters. Lambda starts the runtime only once every extension has registered, so what an
 * extension does before registering is added to every cold start; what it does after overlaps the
 * runtime's own init. So: the HTTP server listens first (function init code may call it as soon as
 * the runtime starts), then the extension registers, then it reads config.yaml while the runtime
 * starts; requests arriving meanwhile wait for it. With CACHE_EXTENSION_INIT_STARTUP the config is
 * read and every item loaded before registering, so values are in memory when the function's INIT
 * runs. A bad configuration is reported through /init/error, once, instead of a crash loop.
 */
const NAME = basename(process.argv[1] ?? 'cache-extension');
/** Hot keys expiring within this window are refreshed while the function runs. */
const REFRESH_AHEAD_MS = 5_000;
const EVENTS = ['INVOKE', 'SHUTDOWN'] as const;

const log = (message: string) => console.log(`[${NAME}] ${message}`);

function loadConfig(path: string, explicit: boolean): CacheConfigFile {
  // Without an explicit path a missing config.yaml just means nothing is configured.
  if (!explicit && !existsSync(path)) return { parameters: [], secrets: [], dynamodb: [] };
  // Loaded here, not at start: the YAML parser's module set-up would otherwise precede registering.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { parseCacheConfig } = require('./config-file') as typeof import('./config-file');
  return parseCacheConfig(readFileSync(path, 'utf8'), path);
}

async function main(): Promise<void> {
  const api = new ExtensionsApiClient();
  let registered = false;
  const register = async () => {
    await api.register(NAME, [...EVENTS]);
    registered = true;
  };
  const failInit = async (message: string): Promise<never> => {
    log(`configuration error: ${message}`);
    if (!registered) await register();
    await api.initError('Extension.ConfigInvalid', message);
    process.exit(1);
  };
  let settings: CacheSettings;
  try {
    settings = parseSettings(process.env);
  } catch (e) {
    return failInit((e as Error).message);
  }
  if (settings.lowMemory) useLowMemoryCompilers();

  // Resolved with the service once config.yaml is read; requests that come earlier wait on it.
  let ready!: (s: CacheService) => void;
  let refuse!: (e: RequestError) => void;
  const pending = new Promise<CacheService>((resolve, reject) => {
    ready = resolve;
    refuse = reject;
  });
  pending.catch(() => undefined); // requests get the refusal; nothing else waits on it
  const load = (): Promise<CacheService> => {
    try {
      const config = loadConfig(settings.configPath, Boolean(process.env.CACHE_EXTENSION_CONFIG));
      const created = new CacheService(settings, config, new Sources());
      ready(created);
      return Promise.resolve(created);
    } catch (e) {
      const message = (e as Error).message;
      refuse(new RequestError(503, 'ExtensionConfigInvalid', message));
      return failInit(message);
    }
  };
  const listen = () =>
    startCacheServer(pending, settings.port, process.env.AWS_SESSION_TOKEN).catch(
      (e: NodeJS.ErrnoException) =>
        failInit(
          `CACHE_EXTENSION_PORT: cannot listen on 127.0.0.1:${settings.port} (${e.code ?? e.message}); choose a free port`,
        ),
    );

  let service: CacheService;
  let server: Awaited<ReturnType<typeof listen>>;
  if (settings.initStartup) {
    const started = Date.now();
    service = await load();
    server = await listen();
    const { loaded, failed } = await service.prefetch();
    for (const f of failed) log(`prefetch of ${f.item} failed: ${f.code}`);
    log(`prefetched ${loaded} of ${service.configuredItems.length} item(s) in ${Date.now() - started} ms`);
    await register();
  } else {
    server = await listen();
    await register();
    service = await load();
  }
  log(`serving ${service.configuredItems.length} configured item(s) on 127.0.0.1:${boundPort(server)}`);

  for (;;) {
    const event = await api.next();
    if (event.eventType === 'SHUTDOWN') {
      server.close();
      server.closeAllConnections();
      process.exit(0);
    }
    // While the function runs: refresh what is about to expire, then report the invoke done.
    await service.refreshAhead(REFRESH_AHEAD_MS);
  }
}

main().catch((e: Error) => {
  log(`fatal: ${e.message}`);
  process.exit(1);
});
