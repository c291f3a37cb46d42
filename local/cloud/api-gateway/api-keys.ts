import { timingSafeEqual } from 'node:crypto';
import { headerLast, type GatewayRequest } from './http-request';
import { REST_FORBIDDEN, type GatewayResponse } from './responses';

/**
 * REST API keys (`ApiKeyRequired` on the event or `Auth.ApiKeyRequired` on the API): the request's
 * `x-api-key` header (API key source HEADER, the default) must be one of the keys the local cloud
 * knows, else API Gateway's 403 `{"message":"Forbidden"}` (`x-amzn-ErrorType: ForbiddenException`).
 * With `ApiKeySourceType: AUTHORIZER` the key checked is the `usageIdentifierKey` the Lambda
 * authorizer returned instead. Usage plan throttling and quotas are not enforced locally.
 */
export type ApiKeyCheck = { ok: true; apiKey: string } | { ok: false; response: GatewayResponse };

function known(key: string, keys: readonly string[]): boolean {
  const k = Buffer.from(key);
  return keys.some((candidate) => {
    const c = Buffer.from(candidate);
    return c.length === k.length && timingSafeEqual(c, k);
  });
}

export function checkApiKey(
  req: GatewayRequest,
  keys: readonly string[],
  source: 'HEADER' | 'AUTHORIZER',
  usageIdentifierKey?: string,
): ApiKeyCheck {
  const key = source === 'AUTHORIZER' ? usageIdentifierKey : headerLast(req, 'x-api-key');
  if (!key || !known(key, keys)) return { ok: false, response: REST_FORBIDDEN() };
  return { ok: true, apiKey: key };
}
