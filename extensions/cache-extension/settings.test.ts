import { CacheConfigError } from './cache-config';
import { DEFAULT_MAX_BYTES, parseSettings } from './settings';

function errorOf(env: NodeJS.ProcessEnv): CacheConfigError {
  try {
    parseSettings(env);
  } catch (error) {
    if (error instanceof CacheConfigError) return error;
    throw error;
  }
  throw new Error('expected a CacheConfigError');
}

describe('parseSettings', () => {
  it('has the defaults', () => {
    expect(parseSettings({})).toEqual({
      configPath: '/var/task/config.yaml',
      ttlMs: 3_600_000,
      initStartup: false,
      lowMemory: false,
      port: 4000,
      maxEntries: 1000,
      maxBytes: 16 * 1024 * 1024,
    });
    expect(DEFAULT_MAX_BYTES).toBe(16_777_216);
  });

  it('treats empty variables as unset', () => {
    expect(
      parseSettings({
        CACHE_EXTENSION_CONFIG: '',
        CACHE_EXTENSION_TTL: '',
        CACHE_EXTENSION_INIT_STARTUP: '',
        CACHE_EXTENSION_LOW_MEMORY: '',
        CACHE_EXTENSION_PORT: '',
        CACHE_EXTENSION_MAX_ENTRIES: '',
        CACHE_EXTENSION_MAX_BYTES: '',
        LAMBDA_TASK_ROOT: '',
      }),
    ).toEqual(parseSettings({}));
  });

  it('reads every variable', () => {
    expect(
      parseSettings({
        CACHE_EXTENSION_CONFIG: '/opt/cache/config.yaml',
        CACHE_EXTENSION_TTL: '1h30m',
        CACHE_EXTENSION_INIT_STARTUP: 'true',
        CACHE_EXTENSION_LOW_MEMORY: 'true',
        CACHE_EXTENSION_PORT: '2773',
        CACHE_EXTENSION_MAX_ENTRIES: '5',
        CACHE_EXTENSION_MAX_BYTES: '1048576',
      }),
    ).toEqual({
      configPath: '/opt/cache/config.yaml',
      ttlMs: 5_400_000,
      initStartup: true,
      lowMemory: true,
      port: 2773,
      maxEntries: 5,
      maxBytes: 1_048_576,
    });
    expect(parseSettings({ CACHE_EXTENSION_INIT_STARTUP: 'false' }).initStartup).toBe(false);
    expect(parseSettings({ CACHE_EXTENSION_TTL: '0' }).ttlMs).toBe(0);
  });

  it('takes the default config path from LAMBDA_TASK_ROOT when set', () => {
    expect(parseSettings({ LAMBDA_TASK_ROOT: '/tmp/task' }).configPath).toBe('/tmp/task/config.yaml');
    expect(parseSettings({ LAMBDA_TASK_ROOT: '/tmp/task/' }).configPath).toBe('/tmp/task/config.yaml');
    expect(
      parseSettings({ LAMBDA_TASK_ROOT: '/tmp/task', CACHE_EXTENSION_CONFIG: '/opt/config.yaml' }).configPath,
    ).toBe('/opt/config.yaml');
  });

  it.each([
    ['1', 1],
    ['65535', 65535],
    ['9000', 9000],
  ])('accepts port %s', (text, port) => {
    expect(parseSettings({ CACHE_EXTENSION_PORT: text }).port).toBe(port);
  });

  it.each([
    ['1000', 1000],
    ['4KB', 4000],
    ['2MB', 2_000_000],
    ['4KiB', 4096],
    ['16MiB', 16_777_216],
  ])('accepts max bytes %s', (text, bytes) => {
    expect(parseSettings({ CACHE_EXTENSION_MAX_BYTES: text }).maxBytes).toBe(bytes);
  });

  it.each([
    [
      'CACHE_EXTENSION_CONFIG',
      'config.yaml',
      'environment: CACHE_EXTENSION_CONFIG: "config.yaml" is not an absolute path; use a path such as /var/task/config.yaml',
    ],
    [
      'CACHE_EXTENSION_TTL',
      '10',
      'environment: CACHE_EXTENSION_TTL: "10" has no unit after 10; give every number a unit (ns, us, ms, s, m or h), e.g. 30s, 5m, 1h30m or 300ms',
    ],
    [
      'CACHE_EXTENSION_TTL',
      '1d',
      'environment: CACHE_EXTENSION_TTL: "1d" has unknown unit "d"; use ns, us, ms, s, m or h, e.g. 90s, 5m or 24h (there is no day unit)',
    ],
    [
      'CACHE_EXTENSION_TTL',
      '-5s',
      'environment: CACHE_EXTENSION_TTL: "-5s" is negative, which is not a valid TTL; use zero or a positive duration, e.g. 5s or 10m',
    ],
    [
      'CACHE_EXTENSION_INIT_STARTUP',
      'yes',
      'environment: CACHE_EXTENSION_INIT_STARTUP: "yes" is not a boolean; use true or false',
    ],
    [
      'CACHE_EXTENSION_INIT_STARTUP',
      'TRUE',
      'environment: CACHE_EXTENSION_INIT_STARTUP: "TRUE" is not a boolean; use true or false',
    ],
    [
      'CACHE_EXTENSION_LOW_MEMORY',
      '1',
      'environment: CACHE_EXTENSION_LOW_MEMORY: "1" is not a boolean; use true or false',
    ],
    [
      'CACHE_EXTENSION_PORT',
      '9001',
      'environment: CACHE_EXTENSION_PORT: "9001" is reserved by the Lambda Runtime API; use another port from 1 to 65535, e.g. 4000',
    ],
    [
      'CACHE_EXTENSION_PORT',
      '0',
      'environment: CACHE_EXTENSION_PORT: "0" is not a port number; use a whole number from 1 to 65535, e.g. 4000',
    ],
    [
      'CACHE_EXTENSION_PORT',
      '65536',
      'environment: CACHE_EXTENSION_PORT: "65536" is not a port number; use a whole number from 1 to 65535, e.g. 4000',
    ],
    [
      'CACHE_EXTENSION_PORT',
      '40.5',
      'environment: CACHE_EXTENSION_PORT: "40.5" is not a port number; use a whole number from 1 to 65535, e.g. 4000',
    ],
    [
      'CACHE_EXTENSION_PORT',
      ' 4000',
      'environment: CACHE_EXTENSION_PORT: " 4000" is not a port number; use a whole number from 1 to 65535, e.g. 4000',
    ],
    [
      'CACHE_EXTENSION_MAX_ENTRIES',
      '0',
      'environment: CACHE_EXTENSION_MAX_ENTRIES: "0" is not a whole number of at least 1; use a count such as 1000',
    ],
    [
      'CACHE_EXTENSION_MAX_ENTRIES',
      '-3',
      'environment: CACHE_EXTENSION_MAX_ENTRIES: "-3" is not a whole number of at least 1; use a count such as 1000',
    ],
    [
      'CACHE_EXTENSION_MAX_ENTRIES',
      '1e3',
      'environment: CACHE_EXTENSION_MAX_ENTRIES: "1e3" is not a whole number of at least 1; use a count such as 1000',
    ],
    [
      'CACHE_EXTENSION_MAX_BYTES',
      '16 MiB',
      'environment: CACHE_EXTENSION_MAX_BYTES: "16 MiB" is not a size of at least 1 byte; use a whole number of bytes or one with KB, MB, KiB or MiB, e.g. 16777216 or 16MiB',
    ],
    [
      'CACHE_EXTENSION_MAX_BYTES',
      '1GB',
      'environment: CACHE_EXTENSION_MAX_BYTES: "1GB" is not a size of at least 1 byte; use a whole number of bytes or one with KB, MB, KiB or MiB, e.g. 16777216 or 16MiB',
    ],
    [
      'CACHE_EXTENSION_MAX_BYTES',
      '16mib',
      'environment: CACHE_EXTENSION_MAX_BYTES: "16mib" is not a size of at least 1 byte; use a whole number of bytes or one with KB, MB, KiB or MiB, e.g. 16777216 or 16MiB',
    ],
    [
      'CACHE_EXTENSION_MAX_BYTES',
      '0KiB',
      'environment: CACHE_EXTENSION_MAX_BYTES: "0KiB" is not a size of at least 1 byte; use a whole number of bytes or one with KB, MB, KiB or MiB, e.g. 16777216 or 16MiB',
    ],
    [
      'CACHE_EXTENSION_MAX_BYTES',
      '1.5MiB',
      'environment: CACHE_EXTENSION_MAX_BYTES: "1.5MiB" is not a size of at least 1 byte; use a whole number of bytes or one with KB, MB, KiB or MiB, e.g. 16777216 or 16MiB',
    ],
    [
      'CACHE_EXTENSION_MAX_BYTES',
      '99999999999999999999',
      'environment: CACHE_EXTENSION_MAX_BYTES: "99999999999999999999" is not a size of at least 1 byte; use a whole number of bytes or one with KB, MB, KiB or MiB, e.g. 16777216 or 16MiB',
    ],
  ])('rejects %s=%j', (name, value, message) => {
    const error = errorOf({ [name]: value });
    expect(error.message).toBe(message);
    expect(error.file).toBe('environment');
    expect(error.line).toBeUndefined();
    expect(error.key).toBe(name);
  });
});
