import { configFromEnv } from './index';

/** The configuration is read once; a bad variable fails with its name and the fix, never a value. */
describe('record-count configuration', () => {
  const base = { SECRET_NAME: 'record-count/database', TABLE_NAME: 'items' };

  it('reads the secret, the table and the cache port, with defaults', () => {
    expect(configFromEnv({ ...base, AWS_SESSION_TOKEN: 'token' })).toMatchObject({
      secretName: 'record-count/database',
      tableName: 'items',
      cachePort: 4000,
      sessionToken: 'token',
      connect: { connectTimeoutMs: 5000 },
    });
    expect(configFromEnv({ ...base, TABLE_NAME: 'app.items_2024' }).tableName).toBe('app.items_2024');
  });

  it('never tries the cache without a session token', () => {
    expect(configFromEnv(base).sessionToken).toBeUndefined();
  });

  it('the SDK endpoint variable wins over SECRETS_MANAGER_ENDPOINT', () => {
    const endpoint = 'https://secretsmanager.eu-west-1.amazonaws.com';
    expect(configFromEnv({ ...base, SECRETS_MANAGER_ENDPOINT: endpoint }).secretsManagerEndpoint).toBe(
      endpoint,
    );
    expect(
      configFromEnv({
        ...base,
        SECRETS_MANAGER_ENDPOINT: endpoint,
        AWS_ENDPOINT_URL_SECRETS_MANAGER: 'http://127.0.0.1:4566',
      }).secretsManagerEndpoint,
    ).toBeUndefined();
  });

  it.each([
    [{ TABLE_NAME: 'items' }, /^SECRET_NAME must name the database secret$/],
    [{ SECRET_NAME: 's' }, /^TABLE_NAME must be a table name/],
    [{ ...base, TABLE_NAME: 'items; DROP TABLE items' }, /^TABLE_NAME must be a table name/],
    [{ ...base, TABLE_NAME: 'items`' }, /^TABLE_NAME must be a table name/],
    [{ ...base, TABLE_NAME: 'a.b.c' }, /^TABLE_NAME must be a table name/],
    [{ ...base, CACHE_EXTENSION_PORT: 'x' }, /^CACHE_EXTENSION_PORT must be a port number$/],
    [{ ...base, DB_CONNECT_TIMEOUT_MS: '5' }, /^DB_CONNECT_TIMEOUT_MS must be an integer/],
  ])('%j → %s', (env, message) => {
    expect(() => configFromEnv(env)).toThrow(message);
  });
});
