import { postgresPassword } from './database';
import { configFromEnv } from './index';
import { alternateUsername, maxUsernameLength, parseDatabaseSecret, withCredentials } from './secret-shape';

describe('database secret', () => {
  const valid = { engine: 'mysql', host: 'db', username: 'app', password: 'p4ss-Word' };

  it('defaults the port per engine and keeps every field it does not change', () => {
    expect(parseDatabaseSecret(JSON.stringify(valid), 's')).toMatchObject({
      family: 'mysql',
      port: 3306,
      ssl: false,
    });
    const pg = parseDatabaseSecret(
      JSON.stringify({ ...valid, engine: 'postgres', ssl: 'true', dbClusterIdentifier: 'c1' }),
      's',
    );
    expect(pg).toMatchObject({ family: 'postgres', port: 5432, ssl: true });
    expect(JSON.parse(withCredentials(pg, 'app_clone', 'new'))).toEqual({
      ...valid,
      engine: 'postgres',
      ssl: 'true',
      dbClusterIdentifier: 'c1',
      username: 'app_clone',
      password: 'new',
    });
  });

  it.each([
    [undefined, /has no SecretString/],
    ['not json', /SecretString is not JSON/],
    ['[]', /not a JSON object/],
    [JSON.stringify({ ...valid, engine: undefined }), /"engine" is missing/],
    [JSON.stringify({ ...valid, engine: 'oracle' }), /"engine" must be one of mysql, mariadb/],
    [JSON.stringify({ ...valid, host: 3 }), /"host" must be a string/],
    [JSON.stringify({ ...valid, port: 'abc' }), /"port" must be an integer/],
    [JSON.stringify({ ...valid, ssl: 'yes' }), /"ssl" must be true or false/],
    [JSON.stringify({ ...valid, password: '' }), /"password" is missing/],
  ])('%s → names the field', (secretString, message) => {
    expect(() => parseDatabaseSecret(secretString, 'my-secret (AWSCURRENT)')).toThrow(message);
  });

  it('never quotes a value in an error', () => {
    expect(() => parseDatabaseSecret(JSON.stringify({ ...valid, port: 'p4ss-Word' }), 's')).toThrow(
      expect.not.objectContaining({ message: expect.stringContaining('p4ss-Word') }),
    );
  });

  it('alternates users and knows each engine’s longest name', () => {
    expect(alternateUsername('app')).toBe('app_clone');
    expect(alternateUsername('app_clone')).toBe('app');
    expect([maxUsernameLength('mysql'), maxUsernameLength('mariadb'), maxUsernameLength('postgres')]).toEqual(
      [32, 80, 63],
    );
  });
});

describe('rotation configuration', () => {
  it('defaults: 32 characters, AWS’s excluded set, 5 s logins', () => {
    expect(configFromEnv({})).toMatchObject({
      passwordLength: 32,
      excludeCharacters: '/@"\'\\',
      connect: { connectTimeoutMs: 5000 },
    });
  });

  it('PASSWORD_LENGTH and EXCLUDE_CHARACTERS are honoured; a bad length names the variable', () => {
    expect(configFromEnv({ PASSWORD_LENGTH: '40', EXCLUDE_CHARACTERS: 'abc' })).toMatchObject({
      passwordLength: 40,
      excludeCharacters: 'abc',
    });
    expect(() => configFromEnv({ PASSWORD_LENGTH: '4' })).toThrow(
      'PASSWORD_LENGTH must be an integer from 8 to 4096',
    );
  });

  it('SECRETS_MANAGER_ENDPOINT is used unless the SDK’s own endpoint variable is set', () => {
    const endpoint = 'https://secretsmanager.eu-west-1.amazonaws.com';
    expect(configFromEnv({ SECRETS_MANAGER_ENDPOINT: endpoint }).endpoint).toBe(endpoint);
    expect(
      configFromEnv({
        SECRETS_MANAGER_ENDPOINT: endpoint,
        AWS_ENDPOINT_URL_SECRETS_MANAGER: 'http://127.0.0.1:1',
      }).endpoint,
    ).toBeUndefined();
  });
});

describe('Postgres password literal', () => {
  it('is a SCRAM-SHA-256 verifier for ASCII passwords, never the password itself', () => {
    // RFC 7677's example: password "pencil", salt W22ZaJ0SNY7soEsUEjb6gQ==, 4096 iterations.
    const verifier = postgresPassword('pencil', Buffer.from('W22ZaJ0SNY7soEsUEjb6gQ==', 'base64'));
    // StoredKey as in RFC 7677's exchange; Postgres accepting it is proven by the rotation tests.
    expect(verifier).toMatch(
      /^SCRAM-SHA-256\$4096:W22ZaJ0SNY7soEsUEjb6gQ==\$WG5d8oPm3OtcPnkdi4Uo7BkeZkBFzpcXkuLmtbsT4qY=:[A-Za-z0-9+/]{43}=$/,
    );
    expect(postgresPassword('pencil')).not.toContain('pencil');
  });

  it('leaves a non-ASCII password to the server’s SASLprep', () => {
    expect(postgresPassword('pässwörd')).toBe('pässwörd');
  });
});
