import { existsSync, readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { ExtensionsApiClient } from '../extensions-api-client';
import type { CacheConfigFile } from './cache-config';
import { CacheService } from './cache-service';
import { parseCacheConfig } from './config-file';
import { boundPort, startCacheServer } from './http-routes';
import { parseSettings } from './settings';
import { Sources } from './sources';

/**
 * The cache extension: an external Lambda extension that caches SSM parameters, Secrets Manager
 * secrets and DynamoDB items in memory and serves them to the function on 127.0.0.1.
 *
 * Order matters: configuration is parsed first (a bad one is reported through /init/error, once,
 * instead of crashing into a restart loop), the HTTP server listens before the extension registers
 * (function init code may call it as soon as the runtime starts), and with
 * CACHE_EXTENSION_INIT_STARTUP every configured item is loaded before registering, so it is ready
 * during the function's INIT.
 */
const NAME = basename(process.argv[1] ?? 'cache-extension');
/** Hot keys expiring within this window are refreshed while the function runs. */
const REFRESH_AHEAD_MS = 5_000;

const log = (message: string) => console.log(`[${NAME}] ${message}`);

function loadConfig(path: string, explicit: boolean): CacheConfigFile {
  // Without an explicit path a missing config.yaml just means nothing is configured.
  if (!explicit && !existsSync(path)) return { parameters: [], secrets: [], dynamodb: [] };
  return parseCacheConfig(readFileSync(path, 'utf8'), path);
}

async function main(): Promise<void> {
  const api = new ExtensionsApiClient();
  let service: CacheService;
  try {
    const settings = parseSettings(process.env);
    const config = loadConfig(settings.configPath, Boolean(process.env.CACHE_EXTENSION_CONFIG));
    service = new CacheService(settings, config, new Sources());
  } catch (e) {
    const message = (e as Error).message;
    log(`configuration error: ${message}`);
    await api.register(NAME, ['INVOKE', 'SHUTDOWN']);
    await api.initError('Extension.ConfigInvalid', message);
    process.exit(1);
  }

  const started = performance.now();
  const server = await startCacheServer(service, service.settings.port, process.env.AWS_SESSION_TOKEN);
  if (service.settings.initStartup) {
    const { loaded, failed } = await service.prefetch();
    for (const f of failed) log(`prefetch of ${f.item} failed: ${f.code}`);
    log(
      `prefetched ${loaded} of ${service.configuredItems.length} item(s) in ${(performance.now() - started).toFixed(0)} ms`,
    );
  }
  await api.register(NAME, ['INVOKE', 'SHUTDOWN']);
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
