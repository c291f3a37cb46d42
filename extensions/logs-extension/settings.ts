import type { LogsSettings } from './log-types';
import { secretLookingEnvValues } from './redaction';

/** One bad setting: the variable, its value and what is accepted, in one line. */
export class LogsSettingsError extends Error {}

const TYPES = ['platform', 'function', 'extension'] as const;

/** Lambda's Telemetry API buffering bounds. */
const BOUNDS = {
  maxItems: { min: 1000, max: 10_000, fallback: 10_000, name: 'LOGS_BUFFER_MAX_ITEMS' },
  maxBytes: { min: 262_144, max: 1_048_576, fallback: 262_144, name: 'LOGS_BUFFER_MAX_BYTES' },
  // 25 ms, Lambda's minimum: an invoke's records arrive soon after it ends, so the upload can follow.
  timeoutMs: { min: 25, max: 30_000, fallback: 25, name: 'LOGS_BUFFER_TIMEOUT_MS' },
} as const;

function integer(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new LogsSettingsError(`${name}: "${raw}" is not a whole number from ${min} to ${max}`);
  }
  return n;
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
  const types = (env.LOGS_EXTENSION_TYPES ?? 'platform,function').split(',').map((t) => t.trim());
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
  const redactSecrets = (env.LOGS_REDACT_ENV_SECRETS ?? 'true') !== 'false';
  return {
    bucket,
    prefix: (env.LOGS_PREFIX ?? 'logs').replace(/^\/+|\/+$/g, ''),
    functionName: env.AWS_LAMBDA_FUNCTION_NAME ?? 'unknown-function',
    types: types as LogsSettings['types'],
    buffering: {
      maxItems: integer(
        env,
        BOUNDS.maxItems.name,
        BOUNDS.maxItems.fallback,
        BOUNDS.maxItems.min,
        BOUNDS.maxItems.max,
      ),
      maxBytes: integer(
        env,
        BOUNDS.maxBytes.name,
        BOUNDS.maxBytes.fallback,
        BOUNDS.maxBytes.min,
        BOUNDS.maxBytes.max,
      ),
      timeoutMs: integer(
        env,
        BOUNDS.timeoutMs.name,
        BOUNDS.timeoutMs.fallback,
        BOUNDS.timeoutMs.min,
        BOUNDS.timeoutMs.max,
      ),
    },
    maxBufferBytes: integer(env, 'LOGS_MAX_BUFFER_BYTES', 32 * 1024 * 1024, 1024 * 1024, 1024 * 1024 * 1024),
    objectBytes: integer(env, 'LOGS_OBJECT_BYTES', 1024 * 1024, 64 * 1024, 64 * 1024 * 1024),
    redact: [...patterns(env.LOGS_REDACT_PATTERNS), ...(redactSecrets ? secretLookingEnvValues(env) : [])],
  };
}
