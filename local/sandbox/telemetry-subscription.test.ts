import { BUFFERING_BOUNDS, parseSubscription } from './telemetry-subscription';
import type { SubscriptionApi } from './telemetry-types';

const validBody = (overrides: Record<string, unknown> = {}): Record<string, unknown> => ({
  schemaVersion: '2022-12-13',
  types: ['platform', 'function'],
  destination: { protocol: 'HTTP', URI: 'http://sandbox.localdomain:8080/telemetry' },
  ...overrides,
});

const refusal = (api: SubscriptionApi, body: unknown) => {
  const result = parseSubscription(api, 'ext', body);
  if (result.ok) throw new Error(`expected a refusal, got ${JSON.stringify(result.subscription)}`);
  return result;
};

const accepted = (api: SubscriptionApi, body: unknown) => {
  const result = parseSubscription(api, 'ext', body);
  if (!result.ok) throw new Error(`expected success, got ${result.errorType}: ${result.errorMessage}`);
  return result.subscription;
};

describe('parseSubscription', () => {
  it('accepts a Telemetry subscription, applies buffering defaults and maps sandbox.localdomain', () => {
    expect(accepted('telemetry', validBody())).toEqual({
      api: 'telemetry',
      extensionName: 'ext',
      schemaVersion: '2022-12-13',
      types: ['platform', 'function'],
      buffering: { maxItems: 10_000, maxBytes: 262_144, timeoutMs: 1_000 },
      destination: { protocol: 'HTTP', uri: 'http://127.0.0.1:8080/telemetry' },
    });
  });

  it('maps sandbox to 127.0.0.1, keeps localhost and 127.0.0.1, keeps path and query', () => {
    const uriFor = (URI: string) =>
      accepted('telemetry', validBody({ destination: { protocol: 'HTTP', URI } })).destination.uri;
    expect(uriFor('http://sandbox:1234')).toBe('http://127.0.0.1:1234/');
    expect(uriFor('http://localhost:1234/a?b=1')).toBe('http://localhost:1234/a?b=1');
    expect(uriFor('http://127.0.0.1:1234/x')).toBe('http://127.0.0.1:1234/x');
  });

  it('accepts each schema version of its own API only', () => {
    for (const schemaVersion of ['2022-07-01', '2022-12-13', '2025-01-29']) {
      expect(accepted('telemetry', validBody({ schemaVersion })).schemaVersion).toBe(schemaVersion);
      expect(refusal('logs', validBody({ schemaVersion })).errorType).toBe('Logs.ValidationError');
    }
    for (const schemaVersion of ['2020-08-15', '2021-03-18']) {
      expect(accepted('logs', validBody({ schemaVersion })).schemaVersion).toBe(schemaVersion);
      expect(refusal('telemetry', validBody({ schemaVersion })).errorType).toBe('Telemetry.ValidationError');
    }
  });

  it('defaults a missing Logs schemaVersion to 2020-08-15 but requires one for Telemetry', () => {
    expect(accepted('logs', validBody({ schemaVersion: undefined })).schemaVersion).toBe('2020-08-15');
    expect(refusal('telemetry', validBody({ schemaVersion: undefined }))).toEqual({
      ok: false,
      status: 400,
      errorType: 'Telemetry.ValidationError',
      errorMessage: 'schemaVersion must be one of 2022-07-01, 2022-12-13, 2025-01-29 (got nothing)',
    });
  });

  it('refuses empty, missing, unknown or per-event types and de-duplicates the rest', () => {
    for (const types of [[], undefined, 'platform', ['platform', 'logs'], ['platform.runtimeDone']]) {
      const result = refusal('telemetry', validBody({ types }));
      expect(result.status).toBe(400);
      expect(result.errorType).toBe('Telemetry.ValidationError');
      expect(result.errorMessage).toMatch(/^types /);
    }
    const logsBody = validBody({ schemaVersion: '2020-08-15', types: ['function', 'function', 'extension'] });
    expect(accepted('logs', logsBody).types).toEqual(['function', 'extension']);
  });

  it.each([
    ['timeoutMs', 25, 30_000],
    ['maxBytes', 262_144, 1_048_576],
    ['maxItems', 1_000, 10_000],
  ] as const)('enforces buffering.%s from %d to %d', (field, min, max) => {
    expect(BUFFERING_BOUNDS[field]).toMatchObject({ min, max });
    for (const value of [min, max]) {
      expect(accepted('telemetry', validBody({ buffering: { [field]: value } })).buffering[field]).toBe(
        value,
      );
    }
    for (const [api, errorType] of [
      ['telemetry', 'Telemetry.ValidationError'],
      ['logs', 'Logs.ValidationError'],
    ] as const) {
      for (const value of [min - 1, max + 1, min + 0.5, String(min)]) {
        const body = validBody({ schemaVersion: api === 'logs' ? '2021-03-18' : '2025-01-29' });
        expect(refusal(api, { ...body, buffering: { [field]: value } })).toEqual({
          ok: false,
          status: 400,
          errorType,
          errorMessage: `buffering.${field} must be an integer from ${min} to ${max} (got ${JSON.stringify(value)})`,
        });
      }
    }
  });

  it('refuses the reserved port 9001, a missing port, HTTPS and hosts outside the sandbox', () => {
    const messageFor = (URI: unknown) =>
      refusal('telemetry', validBody({ destination: { protocol: 'HTTP', URI } })).errorMessage;
    expect(messageFor('http://sandbox.localdomain:9001')).toBe(
      'destination.URI port 9001 is reserved by Lambda',
    );
    expect(messageFor('http://sandbox.localdomain/path')).toBe('destination.URI port is not provided');
    expect(messageFor('https://sandbox.localdomain:8443')).toMatch(/HTTPS is not supported/);
    expect(messageFor('http://example.com:8080')).toMatch(/host must be one of .*got example\.com/);
    expect(messageFor('not a uri')).toMatch(/is not a valid URI/);
    expect(messageFor(undefined)).toMatch(/^destination\.URI must be a string/);
  });

  it('answers TCP destinations with a clear "not supported by the local sandbox" 400', () => {
    const tcp = { protocol: 'TCP', URI: 'http://sandbox.localdomain:8080' };
    expect(refusal('logs', validBody({ schemaVersion: '2021-03-18', destination: tcp }))).toEqual({
      ok: false,
      status: 400,
      errorType: 'Logs.NotSupported',
      errorMessage:
        'destination.protocol TCP is not supported by the local sandbox; subscribe with HTTP (Logs API)',
    });
    expect(refusal('telemetry', validBody({ destination: { protocol: 'UDP', URI: 'x' } })).errorMessage).toBe(
      'destination.protocol must be HTTP or TCP (got "UDP")',
    );
  });

  it('refuses bodies that are not objects and a missing destination or buffering of the wrong type', () => {
    expect(refusal('telemetry', null).errorMessage).toBe('request body must be a JSON object');
    expect(refusal('telemetry', [1]).errorMessage).toBe('request body must be a JSON object');
    expect(refusal('telemetry', validBody({ destination: undefined })).errorMessage).toBe(
      'destination must be an object (got nothing)',
    );
    expect(refusal('telemetry', validBody({ buffering: 5 })).errorMessage).toBe(
      'buffering must be an object (got 5)',
    );
  });
});
