import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { spawnedGroupIds, survivingGroups } from '../../local/sandbox/process-group';
import { sdkConfig, startTestCloud, type TestCloud } from '../../local/cloud/test-cloud';

/**
 * Point 2 of issue 9: the HTTP API with the token authorizer, on the local cloud. The tokens are the
 * generated Secrets Manager secrets the authorizer reads through the cache extension.
 */
let samples: TestCloud;
let userToken: string;
let adminToken: string;

beforeAll(async () => {
  samples = await startTestCloud([
    'CacheExtensionLayer',
    'SamplesHttpApi',
    'SamplesUserTokenSecret',
    'SamplesAdminTokenSecret',
    'AuthorizerFunction',
    'ListUsersFunction',
    'ListAdminsFunction',
    // Another function with the cache extension, which locally shares the loopback (see beforeAll).
    'HttpApi',
    'CacheDemoTable',
    'CacheDemoGreetingParameter',
    'CacheDemoLogLevelParameter',
    'CacheDemoApiKeySecret',
    'CacheDemoFunction',
  ]);
  // The cache demo's extension now holds its port (frozen between invokes, as on Lambda): the
  // authorizer's own extension must not be confused with it (the local cloud gives each its own).
  expect((await fetch(`${samples.gateway.url}/cache-demo`)).status).toBeLessThan(500);
  const secrets = new SecretsManagerClient({
    ...sdkConfig,
    endpoint: samples.cloud.endpoints.secretsmanager,
  });
  const read = async (id: string) =>
    (await secrets.send(new GetSecretValueCommand({ SecretId: id }))).SecretString!;
  userToken = await read('samples/user-token');
  adminToken = await read('samples/admin-token');
}, 300_000);

afterAll(async () => {
  await samples?.stop();
  expect(survivingGroups(spawnedGroupIds.splice(0))).toEqual([]);
});

const get = (path: string, authorization?: string) =>
  fetch(`${samples.gateway.url}${path}`, authorization ? { headers: { authorization } } : {});

describe('samples: HTTP API with a Lambda authorizer', () => {
  it('allows GET /list-users and denies GET /list-admins for the same user token (no cached allow leaks)', async () => {
    samples.gateway.clearAuthorizerCache();
    const users = await get('/list-users', `Bearer ${userToken}`);
    expect(users.status).toBe(200);
    expect(await users.json()).toEqual({
      role: 'user',
      users: [
        { id: 'u-1001', name: 'Ana' },
        { id: 'u-1002', name: 'Bo' },
      ],
    });
    // Cached now for (token, GET /list-users); the other route must not reuse that allow.
    const again = await get('/list-users', `Bearer ${userToken}`);
    expect(again.status).toBe(200);
    const admins = await get('/list-admins', `Bearer ${userToken}`);
    expect(admins.status).toBe(403);
    expect(await admins.json()).toEqual({ message: 'Forbidden' });
    const stats = samples.gateway.authorizerStats('TokenAuthorizer', 'SamplesHttpApi');
    expect(stats).toMatchObject({ invocations: 2, cacheHits: 1, cacheEntries: 2 });
  });

  it('allows both routes for the admin token', async () => {
    expect((await get('/list-users', `Bearer ${adminToken}`)).status).toBe(200);
    const admins = await get('/list-admins', `Bearer ${adminToken}`);
    expect(admins.status).toBe(200);
    expect(await admins.json()).toEqual({ role: 'admin', admins: [{ id: 'a-9001', name: 'Root Rider' }] });
  });

  it('answers 401 without a token (the authorizer is not invoked) and 403 for a bad one', async () => {
    samples.gateway.clearAuthorizerCache();
    const before = samples.gateway.authorizerStats('TokenAuthorizer', 'SamplesHttpApi').invocations;
    const missing = await get('/list-users');
    expect(missing.status).toBe(401);
    expect(await missing.json()).toEqual({ message: 'Unauthorized' });
    expect(samples.gateway.authorizerStats('TokenAuthorizer', 'SamplesHttpApi').invocations).toBe(before);
    expect((await get('/list-users', 'Bearer not-a-real-token-at-all-0000')).status).toBe(403);
    expect((await get('/list-users', 'Basic dXNlcjpwYXNz')).status).toBe(403);
  });
});
