import { CacheClient, CacheError } from '../../extensions/cache-extension/client';
import { mayCall, roleOf, tokenFromHeader, type KnownTokens } from './policy';

/**
 * HTTP API Lambda authorizer (payload 2.0, simple responses). Its identity sources are the
 * `Authorization` header and `$context.routeKey`, so API Gateway caches one answer per token *and*
 * route: an allow cached for `GET /list-users` can never answer for `GET /list-admins`.
 *
 * The valid tokens are Secrets Manager secrets read through the cache extension (never in code,
 * environment values or logs). Any problem — a malformed event, an unknown token, the extension
 * unreachable — is a deny, never an exception: a thrown error would be a 500 for the caller.
 */

export interface AuthorizerEvent {
  routeKey?: unknown;
  headers?: unknown;
}

export interface SimpleAuthorizerResult {
  isAuthorized: boolean;
  context?: Record<string, string>;
}

const cache = new CacheClient();

/** Secret ids from the environment (names, not values), checked once per cold start. */
function secretIds(): { user: string; admin: string } | undefined {
  const user = process.env.USER_TOKEN_SECRET_ID;
  const admin = process.env.ADMIN_TOKEN_SECRET_ID;
  return user && admin ? { user, admin } : undefined;
}

async function secretString(secretId: string): Promise<string> {
  const secret = await cache.get<{ SecretString?: string }>('/secretsmanager/get', { secretId });
  if (typeof secret.SecretString !== 'string') throw new Error(`${secretId} has no SecretString`);
  return secret.SecretString;
}

async function knownTokens(): Promise<KnownTokens | undefined> {
  const ids = secretIds();
  if (!ids) {
    console.error('authorizer: USER_TOKEN_SECRET_ID and ADMIN_TOKEN_SECRET_ID must be set');
    return undefined;
  }
  try {
    const [user, admin] = await Promise.all([secretString(ids.user), secretString(ids.admin)]);
    return { user, admin };
  } catch (e) {
    // The code only: a message could quote more than we want in logs.
    console.error(`authorizer: token secrets unavailable (${e instanceof CacheError ? e.code : 'Error'})`);
    return undefined;
  }
}

/** The Authorization header of a payload 2.0 event (API Gateway lower-cases header names). */
function authorizationHeader(event: AuthorizerEvent): string | undefined {
  if (typeof event.headers !== 'object' || event.headers === null) return undefined;
  const value = (event.headers as Record<string, unknown>).authorization;
  return typeof value === 'string' ? value : undefined;
}

const deny: SimpleAuthorizerResult = { isAuthorized: false };

export const handler = async (event: AuthorizerEvent): Promise<SimpleAuthorizerResult> => {
  if (typeof event !== 'object' || event === null || typeof event.routeKey !== 'string') return deny;
  const token = tokenFromHeader(authorizationHeader(event));
  if (!token) return deny;
  const known = await knownTokens();
  if (!known) return deny;
  const role = roleOf(token, known);
  if (!role || !mayCall(role, event.routeKey)) return deny;
  return { isAuthorized: true, context: { role } };
};
