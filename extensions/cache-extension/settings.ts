/**
 * The cache extension's environment variables. An empty variable counts as unset (templates often
 * pass `""` for "no value"); any other invalid value is a CacheConfigError naming the variable.
 *
 * | Variable                       | Default                  | Accepted                                    |
 * | ------------------------------ | ------------------------ | ------------------------------------------- |
 * | `CACHE_EXTENSION_CONFIG`       | `/var/task/config.yaml`  | an absolute path                            |
 * | `CACHE_EXTENSION_TTL`          | `60m`                    | a Go duration (`30s`, `5m`, `1h30m`)        |
 * | `CACHE_EXTENSION_INIT_STARTUP` | `false`                  | `true` or `false`                           |
 * | `CACHE_EXTENSION_LOW_MEMORY`   | `false`                  | `true` or `false`                           |
 * | `CACHE_EXTENSION_PORT`         | `4000`                   | 1–65535 except 9001 (Lambda's Runtime API)  |
 * | `CACHE_EXTENSION_MAX_ENTRIES`  | `1000`                   | an integer ≥ 1                              |
 * | `CACHE_EXTENSION_MAX_BYTES`    | `16MiB`                  | bytes, or a number with KB, MB, KiB or MiB  |
 *
 * The config default is `$LAMBDA_TASK_ROOT/config.yaml`, but Lambda does not pass LAMBDA_TASK_ROOT
 * to extensions, so in Lambda it is `/var/task/config.yaml`, as in the demo.
 */
import { isAbsolute } from 'node:path';
import { CacheConfigError, type CacheSettings } from './cache-config';
import { DurationError, parseGoDuration } from './duration';

export const DEFAULT_TTL = '60m';
export const DEFAULT_PORT = 4000;
export const DEFAULT_MAX_ENTRIES = 1000;
export const DEFAULT_MAX_BYTES = 16 * 1024 * 1024;
/** The Lambda Runtime and Extensions API's port inside the execution environment. */
const RESERVED_PORT = 9001;

const BYTE_UNITS: Readonly<Record<string, number>> = {
  '': 1,
  KB: 1000,
  MB: 1000 * 1000,
  KiB: 1024,
  MiB: 1024 * 1024,
};

export function parseSettings(env: NodeJS.ProcessEnv): CacheSettings {
  const get = (name: string): string | undefined => {
    const value = env[name];
    return value === '' ? undefined : value;
  };
  const fail = (name: string, value: string, problem: string, fix: string): never => {
    throw new CacheConfigError('environment', undefined, name, `${JSON.stringify(value)} ${problem}`, fix);
  };

  const taskRoot = (get('LAMBDA_TASK_ROOT') ?? '/var/task').replace(/\/+$/, '');
  const configPath = get('CACHE_EXTENSION_CONFIG') ?? `${taskRoot}/config.yaml`;
  if (!isAbsolute(configPath)) {
    fail(
      'CACHE_EXTENSION_CONFIG',
      configPath,
      'is not an absolute path',
      'use a path such as /var/task/config.yaml',
    );
  }

  const ttlMs = parseTtl(get('CACHE_EXTENSION_TTL') ?? DEFAULT_TTL);

  const boolean = (name: string): boolean => {
    const text = get(name) ?? 'false';
    if (text !== 'true' && text !== 'false') fail(name, text, 'is not a boolean', 'use true or false');
    return text === 'true';
  };
  const initStartup = boolean('CACHE_EXTENSION_INIT_STARTUP');
  const lowMemory = boolean('CACHE_EXTENSION_LOW_MEMORY');

  const portText = get('CACHE_EXTENSION_PORT');
  let port = DEFAULT_PORT;
  if (portText !== undefined) {
    port = /^\d{1,5}$/.test(portText) ? Number(portText) : NaN;
    if (!(port >= 1 && port <= 65535)) {
      fail(
        'CACHE_EXTENSION_PORT',
        portText,
        'is not a port number',
        `use a whole number from 1 to 65535, e.g. ${DEFAULT_PORT}`,
      );
    }
    if (port === RESERVED_PORT) {
      fail(
        'CACHE_EXTENSION_PORT',
        portText,
        'is reserved by the Lambda Runtime API',
        `use another port from 1 to 65535, e.g. ${DEFAULT_PORT}`,
      );
    }
  }

  const entriesText = get('CACHE_EXTENSION_MAX_ENTRIES');
  let maxEntries = DEFAULT_MAX_ENTRIES;
  if (entriesText !== undefined) {
    maxEntries = /^\d+$/.test(entriesText) ? Number(entriesText) : NaN;
    if (!(Number.isSafeInteger(maxEntries) && maxEntries >= 1)) {
      fail(
        'CACHE_EXTENSION_MAX_ENTRIES',
        entriesText,
        'is not a whole number of at least 1',
        `use a count such as ${DEFAULT_MAX_ENTRIES}`,
      );
    }
  }

  const bytesText = get('CACHE_EXTENSION_MAX_BYTES');
  let maxBytes = DEFAULT_MAX_BYTES;
  if (bytesText !== undefined) {
    const match = /^(\d+)(KB|MB|KiB|MiB)?$/.exec(bytesText);
    maxBytes = match ? Number(match[1]) * (BYTE_UNITS[match[2] ?? ''] ?? NaN) : NaN;
    if (!(Number.isSafeInteger(maxBytes) && maxBytes >= 1)) {
      fail(
        'CACHE_EXTENSION_MAX_BYTES',
        bytesText,
        'is not a size of at least 1 byte',
        'use a whole number of bytes or one with KB, MB, KiB or MiB, e.g. 16777216 or 16MiB',
      );
    }
  }

  return { configPath, ttlMs, initStartup, lowMemory, port, maxEntries, maxBytes };
}

function parseTtl(text: string): number {
  try {
    return parseGoDuration(text);
  } catch (error) {
    if (!(error instanceof DurationError)) throw error;
    throw new CacheConfigError('environment', undefined, 'CACHE_EXTENSION_TTL', error.problem, error.fix);
  }
}
