import { createHash, timingSafeEqual } from 'node:crypto';

/** The roles a token grants, and the role each protected route needs. */
export type Role = 'user' | 'admin';

/** Route key → the role it needs. A route not listed here is denied to everyone. */
export const ROUTE_ROLES: Readonly<Record<string, Role>> = {
  'GET /list-users': 'user',
  'GET /list-admins': 'admin',
};

/** What each role may do: an admin is also a user. */
const ROLE_GRANTS: Readonly<Record<Role, readonly Role[]>> = {
  user: ['user'],
  admin: ['user', 'admin'],
};

export interface KnownTokens {
  user: string;
  admin: string;
}

/** `Bearer <token>` or the bare token; undefined when the header is not a usable token. */
export function tokenFromHeader(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  const match = /^(?:Bearer\s+)?([A-Za-z0-9._~+/=-]{16,512})$/.exec(header.trim());
  return match?.[1];
}

/**
 * Compares digests, not the tokens: equal-length inputs keep timingSafeEqual constant-time whatever
 * the caller sent.
 */
function sameToken(a: string, b: string): boolean {
  const digest = (s: string) => createHash('sha256').update(s).digest();
  return timingSafeEqual(digest(a), digest(b));
}

/** The role a token belongs to, checking every known token so timing does not tell which matched. */
export function roleOf(token: string, known: KnownTokens): Role | undefined {
  const isAdmin = sameToken(token, known.admin);
  const isUser = sameToken(token, known.user);
  return isAdmin ? 'admin' : isUser ? 'user' : undefined;
}

/** Whether a role may call a route: only the routes listed in {@link ROUTE_ROLES}, by their role. */
export function mayCall(role: Role, routeKey: string): boolean {
  const needed = ROUTE_ROLES[routeKey];
  return needed !== undefined && ROLE_GRANTS[role].includes(needed);
}
