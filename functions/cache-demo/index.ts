import type { APIGatewayProxyResultV2 } from 'aws-lambda';
import { CacheClient, CacheError } from '../../extensions/cache-extension/client';

const cache = new CacheClient();

/** True for the first invoke of this execution environment only. */
let coldStart = true;

const LOG_LEVELS = ['DEBUG', 'INFO', 'WARN', 'ERROR'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/**
 * The `/cache-demo/log-level` parameter, AppConfig-style dynamic configuration: read through the
 * cache extension on every invoke, so a new value applies once its TTL (config.yaml) runs out, with
 * no redeploy. An unknown value falls back to INFO rather than failing the request.
 */
export function parseLogLevel(value: string): { level: LogLevel; valid: boolean } {
  const upper = value.trim().toUpperCase();
  const level = LOG_LEVELS.find((l) => l === upper);
  return level ? { level, valid: true } : { level: 'INFO', valid: false };
}

/**
 * `GET /cache-demo`: reads a DynamoDB item, two parameters and a secret through the cache extension
 * (never from the services directly) and returns them with `coldStart` and the dynamic `logLevel`;
 * the secret is reported by length only.
 */
export const handler = async (): Promise<APIGatewayProxyResultV2> => {
  const isColdStart = coldStart;
  coldStart = false;
  try {
    const [item, greeting, rawLogLevel, apiKey] = await Promise.all([
      cache.getItem('cache-demo-items-item1-v0'),
      cache.getParameter('/cache-demo/greeting'),
      cache.getParameter('/cache-demo/log-level'),
      cache.getSecret('cache-demo/api-key'),
    ]);
    const logLevel = parseLogLevel(rawLogLevel);
    if (!logLevel.valid)
      console.warn('cache-demo: /cache-demo/log-level is not DEBUG, INFO, WARN or ERROR; using INFO');
    if (logLevel.level === 'DEBUG')
      console.debug('cache-demo: read the item, both parameters and the secret');
    return json(200, {
      item,
      greeting,
      logLevel: logLevel.level,
      coldStart: isColdStart,
      apiKeyLength: apiKey.length,
    });
  } catch (e) {
    // The extension's message can name the account, role and resource ARNs: it goes to the log,
    // the public answer carries only the code.
    if (e instanceof CacheError) {
      console.error(`cache-demo: ${e.code}: ${e.message}`);
      return json(e.status === 404 ? 404 : 502, {
        message: 'the cached sources could not be read',
        code: e.code,
      });
    }
    return json(502, { message: 'the cache extension could not be reached' });
  }
};

const json = (statusCode: number, body: unknown): APIGatewayProxyResultV2 => ({
  statusCode,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(body),
});
