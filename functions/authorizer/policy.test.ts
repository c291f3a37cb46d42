import { handler } from './index';
import { mayCall, roleOf, tokenFromHeader } from './policy';

const known = { user: 'u'.repeat(40), admin: 'a'.repeat(40) };

describe('authorizer policy', () => {
  it('reads a bearer or bare token and refuses anything else', () => {
    expect(tokenFromHeader(`Bearer ${known.user}`)).toBe(known.user);
    expect(tokenFromHeader(known.admin)).toBe(known.admin);
    expect(tokenFromHeader(undefined)).toBeUndefined();
    expect(tokenFromHeader('Bearer short')).toBeUndefined();
    expect(tokenFromHeader(`Bearer ${known.user} extra`)).toBeUndefined();
    expect(tokenFromHeader('Basic dXNlcjpwYXNz')).toBeUndefined();
  });

  it('maps tokens to roles, and unknown tokens to none', () => {
    expect(roleOf(known.user, known)).toBe('user');
    expect(roleOf(known.admin, known)).toBe('admin');
    expect(roleOf('x'.repeat(40), known)).toBeUndefined();
  });

  it('lets a user list users only, an admin both, and nobody an unlisted route', () => {
    expect(mayCall('user', 'GET /list-users')).toBe(true);
    expect(mayCall('user', 'GET /list-admins')).toBe(false);
    expect(mayCall('admin', 'GET /list-admins')).toBe(true);
    expect(mayCall('admin', 'GET /list-users')).toBe(true);
    expect(mayCall('admin', 'DELETE /list-users')).toBe(false);
  });

  it('denies a malformed event or a missing token without reaching for the secrets', async () => {
    expect(await handler(null as never)).toEqual({ isAuthorized: false });
    expect(await handler({ headers: { authorization: `Bearer ${known.user}` } })).toEqual({
      isAuthorized: false,
    });
    expect(await handler({ routeKey: 'GET /list-users', headers: {} })).toEqual({ isAuthorized: false });
    expect(await handler({ routeKey: 'GET /list-users', headers: 'nope' })).toEqual({ isAuthorized: false });
  });
});
