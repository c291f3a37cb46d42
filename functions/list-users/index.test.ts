import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { handler as listAdmins } from '../list-admins/index';
import { handler } from './index';

const sample = (fn: string) =>
  JSON.parse(readFileSync(join(__dirname, '../../events', fn, 'get.json'), 'utf8')) as Parameters<
    typeof handler
  >[0];
const withRole = (fn: string, role: string | undefined) => {
  const event = sample(fn);
  event.requestContext.authorizer = { lambda: role === undefined ? {} : { role } };
  return event;
};

describe('list-users and list-admins', () => {
  it('answer the lists to the roles the authorizer granted', async () => {
    expect((await handler(sample('list-users'))).statusCode).toBe(200);
    expect((await handler(withRole('list-users', 'user'))).statusCode).toBe(200);
    expect((await listAdmins(sample('list-admins'))).statusCode).toBe(200);
  });

  it('answer 403 with a message when the authorizer context lacks the role (defence in depth)', async () => {
    const forbidden = await listAdmins(withRole('list-admins', 'user'));
    expect(forbidden.statusCode).toBe(403);
    expect(JSON.parse(forbidden.body!)).toEqual({ message: 'Forbidden: the admin role is needed' });
    expect((await handler(withRole('list-users', undefined))).statusCode).toBe(403);
    expect((await handler({} as never)).statusCode).toBe(403);
    expect((await listAdmins(null as never)).statusCode).toBe(403);
  });
});
