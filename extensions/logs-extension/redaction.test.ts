import type { TelemetryRecord } from './log-types';
import { MASK, redact, redactRecord, secretLookingEnvValues } from './redaction';

describe('redact', () => {
  it('masks every match of every pattern, whatever its flags', () => {
    expect(redact('card=1234 card=5678 CARD=9', [/card=\d+/])).toBe(`${MASK} ${MASK} CARD=9`);
    expect(redact('card=1234 CARD=9', [/card=\d+/gi])).toBe(`${MASK} ${MASK}`);
    expect(redact('a-b a-b', [/a/y, /b/])).toBe(`${MASK}-${MASK} ${MASK}-${MASK}`);
    // A pattern that can match nothing does not spray masks between characters.
    expect(redact('abc x', [/x*/])).toBe(`abc ${MASK}`);
    expect(redact('nothing here', [])).toBe('nothing here');
  });

  it('is the same on repeated calls with a global pattern (no lastIndex state)', () => {
    const p = /\d{4}/g;
    expect(redact('1234', [p])).toBe(MASK);
    expect(redact('1234', [p])).toBe(MASK);
  });
});

describe('redactRecord', () => {
  const patterns = [/sk_live_\w+/g, /password=\S+/];

  it('masks a text log line, leaving time and type alone', () => {
    const r: TelemetryRecord = {
      time: '2024-01-01T00:00:00.000Z',
      type: 'function',
      record: '2024-01-01T00:00:00.000Z\treq\tINFO\tcharging sk_live_abc123 with password=hunter22 ok\n',
    };
    expect(redactRecord(r, patterns)).toEqual({
      ...r,
      record: `2024-01-01T00:00:00.000Z\treq\tINFO\tcharging ${MASK} with ${MASK} ok\n`,
    });
    expect(r.record).toContain('sk_live_abc123'); // the original is not changed
  });

  it('masks the strings of an object record at any depth, keeping its shape', () => {
    const r: TelemetryRecord = {
      time: '2024-01-01T00:00:00.000Z',
      type: 'function',
      record: {
        level: 'INFO',
        requestId: 'r1',
        message: 'key sk_live_zzz',
        nested: { list: ['ok', 'password=pw123456', { deep: 'sk_live_q' }], n: 3, b: true, z: null },
      },
    };
    const out = redactRecord(r, patterns);
    expect(out).toEqual({
      ...r,
      record: {
        level: 'INFO',
        requestId: 'r1',
        message: `key ${MASK}`,
        nested: { list: ['ok', MASK, { deep: MASK }], n: 3, b: true, z: null },
      },
    });
    expect(JSON.stringify(r)).toContain('sk_live_q');
  });

  it('returns the record itself when nothing matches', () => {
    const r: TelemetryRecord = {
      time: 't',
      type: 'platform.report',
      record: { requestId: 'x', metrics: {} },
    };
    expect(redactRecord(r, patterns)).toBe(r);
    expect(redactRecord(r, [])).toBe(r);
  });
});

describe('secretLookingEnvValues', () => {
  const env = {
    AWS_SECRET_ACCESS_KEY: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
    AWS_SESSION_TOKEN: 'IQoJb3JpZ2luX2VjEXAMPLETOKEN+/=',
    AWS_ACCESS_KEY_ID: 'ASIAEXAMPLE000000000',
    DB_PASSWORD: 'p4$$w0rd.(x)*',
    STRIPE_API_KEY: 'sk_test_1234567890',
    GITHUB_TOKEN: 'short',
    JWT_PRIVATE_KEY: 'line1\n"quoted"\nline3',
    SERVICE_CREDENTIALS: 'user:pa55word!',
    AWS_LAMBDA_FUNCTION_NAME: 'my-secret-function-token',
    AWS_LAMBDA_RUNTIME_API: '127.0.0.1:9001',
    _X_AMZN_TRACE_ID: 'Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1',
    AWS_REGION: 'us-east-1',
    PATH: '/usr/local/bin:/usr/bin:/bin',
    TOKEN_UNSET: undefined,
  };

  it('finds secret-looking values of 8 characters or more, and no others', () => {
    const values = secretLookingEnvValues(env);
    const matched = (s: string) => values.some((p) => redact(s, [p]) === MASK);
    for (const name of [
      'AWS_SECRET_ACCESS_KEY',
      'AWS_SESSION_TOKEN',
      'DB_PASSWORD',
      'STRIPE_API_KEY',
      'JWT_PRIVATE_KEY',
      'SERVICE_CREDENTIALS',
    ] as const) {
      expect(matched(env[name])).toBe(true);
    }
    for (const name of [
      'AWS_ACCESS_KEY_ID',
      'GITHUB_TOKEN',
      'AWS_LAMBDA_FUNCTION_NAME',
      'AWS_LAMBDA_RUNTIME_API',
      '_X_AMZN_TRACE_ID',
      'AWS_REGION',
      'PATH',
    ] as const) {
      expect(matched(env[name])).toBe(false);
    }
    // Six values, and the JSON-escaped form of the one with a newline and quotes.
    expect(values).toHaveLength(7);
    expect(values.every((p) => p.global)).toBe(true);
  });

  it('matches the values literally, even with regular expression characters', () => {
    const values = secretLookingEnvValues({ DB_PASSWORD: 'p4$$w0rd.(x)*' });
    expect(redact('pw p4$$w0rd.(x)* and p4$$w0rdA(x)', values)).toBe(`pw ${MASK} and p4$$w0rdA(x)`);
  });

  it('masks a secret inside a longer one whole', () => {
    const values = secretLookingEnvValues({ A_TOKEN: 'abcdefgh', B_TOKEN: 'abcdefgh-ijkl' });
    expect(redact('x abcdefgh-ijkl y abcdefgh', values)).toBe(`x ${MASK} y ${MASK}`);
  });

  it('masks secrets in text and object records, and in JSON text that escapes them', () => {
    const patterns = secretLookingEnvValues(env);
    const text: TelemetryRecord = {
      time: 't',
      type: 'function',
      record: `INFO\tenv ${JSON.stringify({ key: env.JWT_PRIVATE_KEY, token: env.AWS_SESSION_TOKEN })}`,
    };
    expect(redactRecord(text, patterns).record).toBe(`INFO\tenv {"key":"${MASK}","token":"${MASK}"}`);
    const object: TelemetryRecord = {
      time: 't',
      type: 'function',
      record: { message: 'connecting', config: { password: env.DB_PASSWORD, key: env.JWT_PRIVATE_KEY } },
    };
    expect(redactRecord(object, patterns).record).toEqual({
      message: 'connecting',
      config: { password: MASK, key: MASK },
    });
  });
});
