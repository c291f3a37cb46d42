import type { LogsSettings } from './log-types';
import { secretLookingEnvValues } from './redaction';

/** One bad setting: the variable, its value and what is accepted, in one line. */
export class LogsSettingsError extends Error {}

const TYPES = ['platform', 'function', 'extension'] as const;

/** A whole-number setting: its variable, default and accepted range. */
interface IntegerSetting {
  name: string;
  fallback: number;
  min: number;
  max: number;
}

const MiB = 1024 * 1024;
const INTEGERS = {
  // Lambda's Telemetry API buffering bounds.
  maxItems: { name: 'LOGS_BUFFER_MAX_ITEMS', fallback: 10_000, min: 1000, max: 10_000 },
  maxBytes: { name: 'LOGS_BUFFER_MAX_BYTES', fallback: 262_144, min: 262_144, max: 1_048_576 },
  // 25 ms, Lambda's minimum: an invoke's records arrive soon after it ends, so the upload can follow.
  timeoutMs: { name: 'LOGS_BUFFER_TIMEOUT_MS', fallback: 25, min: 25, max: 30_000 },
  maxBufferBytes: { name: 'LOGS_MAX_BUFFER_BYTES', fallback: 32 * MiB, min: MiB, max: 1024 * MiB },
  objectBytes: { name: 'LOGS_OBJECT_BYTES', fallback: MiB, min: 64 * 1024, max: 64 * MiB },
  maxAgeMs: { name: 'LOGS_MAX_AGE_MS', fallback: 10_000, min: 0, max: 3_600_000 },
  uploadWaitMs: { name: 'LOGS_UPLOAD_WAIT_MS', fallback: 2000, min: 100, max: 900_000 },
} satisfies Record<string, IntegerSetting>;

function integer(env: NodeJS.ProcessEnv, { name, fallback, min, max }: IntegerSetting): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || n < min || n > max) {
    throw new LogsSettingsError(`${name}: "${raw}" is not a whole number from ${min} to ${max}`);
  }
  return n;
}

/** One of `values`, the first being the default; empty means unset. */
function oneOf<T extends string>(
  env: NodeJS.ProcessEnv,
  name: string,
  values: readonly T[],
  what: string,
): T {
  const raw = env[name] || values[0]!;
  if (!(values as readonly string[]).includes(raw)) {
    throw new LogsSettingsError(`${name}: "${raw}" is not ${what}; use ${values.join(' or ')}`);
  }
  return raw as T;
}

function patterns(raw: string | undefined): RegExp[] {
  if (!raw) return [];
  let list: unknown;
  try {
    list = JSON.parse(raw);
  } catch {
    throw new LogsSettingsError(
      `LOGS_REDACT_PATTERNS: not JSON; give a JSON list of regular expressions, e.g. ["card=\\\\d+"]`,
    );
  }
  if (!Array.isArray(list) || !list.every((p) => typeof p === 'string')) {
    throw new LogsSettingsError('LOGS_REDACT_PATTERNS: give a JSON list of regular expression strings');
  }
  return list.map((p) => {
    try {
      return new RegExp(p, 'g');
    } catch (e) {
      throw new LogsSettingsError(
        `LOGS_REDACT_PATTERNS: "${p}" is not a valid regular expression (${(e as Error).message})`,
      );
    }
  });
}

/** The logs extension's settings, from its environment, checked once at start. */
export function parseLogsSettings(env: NodeJS.ProcessEnv): LogsSettings {
  const bucket = env.LOGS_BUCKET;
  if (!bucket) throw new LogsSettingsError('LOGS_BUCKET: not set; name the S3 bucket the logs go to');
  const types = (env.LOGS_EXTENSION_TYPES || 'platform,function').split(',').map((t) => t.trim());
  for (const t of types) {
    if (!(TYPES as readonly string[]).includes(t)) {
      throw new LogsSettingsError(
        `LOGS_EXTENSION_TYPES: "${t}" is not a Telemetry stream; use platform, function and/or extension`,
      );
    }
  }
  if (!types.includes('platform')) {
    throw new LogsSettingsError(
      'LOGS_EXTENSION_TYPES: must include platform (platform.runtimeDone says when an invoke’s logs are complete)',
    );
  }
  const delivery = oneOf(env, 'LOGS_DELIVERY', ['end-of-invoke', 'background'] as const, 'a delivery mode');
  const redactSecrets = oneOf(env, 'LOGS_REDACT_ENV_SECRETS', ['true', 'false'] as const, 'a boolean');
  const lowMemory = oneOf(env, 'LOGS_LOW_MEMORY', ['true', 'false'] as const, 'a boolean');
  const maxBufferBytes = integer(env, INTEGERS.maxBufferBytes);
  const objectBytes = integer(env, INTEGERS.objectBytes);
  const batchBytes = integer(env, INTEGERS.maxBytes);
  if (objectBytes + batchBytes > maxBufferBytes) {
    // An object's worth plus one Telemetry batch must fit, or the buffer drops its oldest records
    // before the upload that would have made room starts.
    throw new LogsSettingsError(
      `LOGS_OBJECT_BYTES: ${objectBytes} plus one Telemetry batch (LOGS_BUFFER_MAX_BYTES, ${batchBytes}) is more than LOGS_MAX_BUFFER_BYTES (${maxBufferBytes}); lower LOGS_OBJECT_BYTES or raise LOGS_MAX_BUFFER_BYTES`,
    );
  }
  return {
    bucket,
    prefix: (env.LOGS_PREFIX || 'logs').replace(/^\/+|\/+$/g, ''),
    functionName: env.AWS_LAMBDA_FUNCTION_NAME ?? 'unknown-function',
    types: types as LogsSettings['types'],
    buffering: {
      maxItems: integer(env, INTEGERS.maxItems),
      maxBytes: batchBytes,
      timeoutMs: integer(env, INTEGERS.timeoutMs),
    },
    maxBufferBytes,
    objectBytes,
    delivery,
    maxAgeMs: integer(env, INTEGERS.maxAgeMs),
    uploadWaitMs: integer(env, INTEGERS.uploadWaitMs),
    lowMemory: lowMemory === 'true',
    redact: [
      ...patterns(env.LOGS_REDACT_PATTERNS),
      ...(redactSecrets === 'true' ? secretLookingEnvValues(env) : []),
    ],
  };
}
