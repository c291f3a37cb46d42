import type { APIGatewayProxyResultV2 } from 'aws-lambda';
import { CacheClient, CacheError } from '../../extensions/cache-extension/client';

const cache = new CacheClient();

/**
 * `GET /cache-demo`: reads a DynamoDB item, two parameters and a secret through the cache extension
 * (never from the services directly) and returns them; the secret is reported by length only.
 */
export const handler = async (): Promise<APIGatewayProxyResultV2> => {
  try {
    const [item, greeting, logLevel, apiKey] = await Promise.all([
      cache.getItem('cache-demo-items-item1-v0'),
      cache.getParameter('/cache-demo/greeting'),
      cache.getParameter('/cache-demo/log-level'),
      cache.getSecret('cache-demo/api-key'),
    ]);
    return json(200, { item, greeting, logLevel, apiKeyLength: apiKey.length });
  } catch (e) {
    if (e instanceof CacheError)
      return json(e.status === 404 ? 404 : 502, { message: e.message, code: e.code });
    throw e;
  }
};

const json = (statusCode: number, body: unknown): APIGatewayProxyResultV2 => ({
  statusCode,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(body),
});
