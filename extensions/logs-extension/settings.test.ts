import { LogsSettingsError, parseLogsSettings } from './settings';

const BASE = { LOGS_BUCKET: 'my-logs', AWS_LAMBDA_FUNCTION_NAME: 'fn' };

function errorOf(env: NodeJS.ProcessEnv): string {
  try {
    parseLogsSettings(env);
  } catch (error) {
    if (error instanceof LogsSettingsError) return error.message;
    throw error;
  }
  throw new Error('expected a LogsSettingsError');
}

describe('parseLogsSettings', () => {
  it('has the defaults', () => {
    expect(parseLogsSettings(BASE)).toEqual({
      bucket: 'my-logs',
      prefix: 'logs',
      functionName: 'fn',
      types: ['platform', 'function'],
      buffering: { maxItems: 10_000, maxBytes: 262_144, timeoutMs: 25 },
      maxBufferBytes: 32 * 1024 * 1024,
      objectBytes: 1024 * 1024,
      delivery: 'end-of-invoke',
      maxAgeMs: 10_000,
      uploadWaitMs: 2000,
      lowMemory: true,
      redact: [],
    });
  });

  it('treats empty variables as unset', () => {
    const empty = Object.fromEntries(
      [
        'LOGS_PREFIX',
        'LOGS_EXTENSION_TYPES',
        'LOGS_BUFFER_MAX_ITEMS',
        'LOGS_BUFFER_MAX_BYTES',
        'LOGS_BUFFER_TIMEOUT_MS',
        'LOGS_MAX_BUFFER_BYTES',
        'LOGS_OBJECT_BYTES',
        'LOGS_DELIVERY',
        'LOGS_MAX_AGE_MS',
        'LOGS_UPLOAD_WAIT_MS',
        'LOGS_REDACT_PATTERNS',
        'LOGS_REDACT_ENV_SECRETS',
        'LOGS_LOW_MEMORY',
      ].map((name) => [name, '']),
    );
    expect(parseLogsSettings({ ...BASE, ...empty })).toEqual(parseLogsSettings(BASE));
  });

  it('reads every setting', () => {
    const settings = parseLogsSettings({
      ...BASE,
      LOGS_PREFIX: '/team/logs/',
      LOGS_EXTENSION_TYPES: 'platform, function,extension',
      LOGS_BUFFER_MAX_ITEMS: '1000',
      LOGS_BUFFER_MAX_BYTES: '1048576',
      LOGS_BUFFER_TIMEOUT_MS: '30000',
      LOGS_MAX_BUFFER_BYTES: '2097152',
      LOGS_OBJECT_BYTES: '65536',
      LOGS_DELIVERY: 'background',
      LOGS_MAX_AGE_MS: '0',
      LOGS_UPLOAD_WAIT_MS: '500',
      LOGS_REDACT_PATTERNS: '["card=\\\\d+"]',
      LOGS_LOW_MEMORY: 'false',
    });
    expect(settings).toMatchObject({
      prefix: 'team/logs',
      types: ['platform', 'function', 'extension'],
      buffering: { maxItems: 1000, maxBytes: 1_048_576, timeoutMs: 30_000 },
      maxBufferBytes: 2_097_152,
      objectBytes: 65_536,
      delivery: 'background',
      maxAgeMs: 0,
      uploadWaitMs: 500,
      lowMemory: false,
    });
    expect(settings.redact.map((r) => r.source)).toEqual(['card=\\d+']);
  });

  it('masks secret-looking environment values by default, not with LOGS_REDACT_ENV_SECRETS=false', () => {
    const env = { ...BASE, DB_PASSWORD: 'correct-horse-battery' };
    expect(parseLogsSettings(env).redact.map((r) => r.source)).toEqual(['correct-horse-battery']);
    expect(parseLogsSettings({ ...env, LOGS_REDACT_ENV_SECRETS: 'false' }).redact).toEqual([]);
  });

  it.each([
    [{ LOGS_BUCKET: undefined }, 'LOGS_BUCKET: not set; name the S3 bucket the logs go to'],
    [
      { LOGS_EXTENSION_TYPES: 'platform,logs' },
      'LOGS_EXTENSION_TYPES: "logs" is not a Telemetry stream; use platform, function and/or extension',
    ],
    [{ LOGS_EXTENSION_TYPES: 'function' }, /^LOGS_EXTENSION_TYPES: must include platform/],
    [{ LOGS_BUFFER_TIMEOUT_MS: '10' }, 'LOGS_BUFFER_TIMEOUT_MS: "10" is not a whole number from 25 to 30000'],
    [
      { LOGS_BUFFER_MAX_ITEMS: '1e4' },
      'LOGS_BUFFER_MAX_ITEMS: "1e4" is not a whole number from 1000 to 10000',
    ],
    [
      { LOGS_BUFFER_MAX_BYTES: '2097152' },
      'LOGS_BUFFER_MAX_BYTES: "2097152" is not a whole number from 262144 to 1048576',
    ],
    [{ LOGS_OBJECT_BYTES: '1.5' }, 'LOGS_OBJECT_BYTES: "1.5" is not a whole number from 65536 to 67108864'],
    [
      { LOGS_MAX_BUFFER_BYTES: String(1024 * 1024) },
      'LOGS_OBJECT_BYTES: 1048576 plus one Telemetry batch (LOGS_BUFFER_MAX_BYTES, 262144) is more than LOGS_MAX_BUFFER_BYTES (1048576); lower LOGS_OBJECT_BYTES or raise LOGS_MAX_BUFFER_BYTES',
    ],
    [{ LOGS_LOW_MEMORY: 'yes' }, 'LOGS_LOW_MEMORY: "yes" is not a boolean; use true or false'],
    [{ LOGS_MAX_AGE_MS: '-1' }, 'LOGS_MAX_AGE_MS: "-1" is not a whole number from 0 to 3600000'],
    [
      { LOGS_DELIVERY: 'later' },
      'LOGS_DELIVERY: "later" is not a delivery mode; use end-of-invoke or background',
    ],
    [{ LOGS_REDACT_ENV_SECRETS: 'no' }, 'LOGS_REDACT_ENV_SECRETS: "no" is not a boolean; use true or false'],
    [{ LOGS_REDACT_PATTERNS: 'card' }, /^LOGS_REDACT_PATTERNS: not JSON/],
    [{ LOGS_REDACT_PATTERNS: '[1]' }, 'LOGS_REDACT_PATTERNS: give a JSON list of regular expression strings'],
    [{ LOGS_REDACT_PATTERNS: '["("]' }, /^LOGS_REDACT_PATTERNS: "\(" is not a valid regular expression/],
  ])('refuses %j with one line naming the variable', (env, message) => {
    const text = errorOf({ ...BASE, ...env });
    if (typeof message === 'string') expect(text).toBe(message);
    else expect(text).toMatch(message);
    expect(text).not.toContain('\n');
  });
});
