import type { TelemetryRecord } from './log-types';

/** What a masked match becomes. */
export const MASK = '****';

/** Each pattern as a global regular expression (every match is replaced), made once per pattern. */
const globals = new WeakMap<RegExp, RegExp>();
function globalOf(pattern: RegExp): RegExp {
  if (pattern.global && !pattern.sticky) return pattern;
  let g = globals.get(pattern);
  if (!g) {
    g = new RegExp(pattern.source, `${pattern.flags.replace(/[gy]/g, '')}g`);
    globals.set(pattern, g);
  }
  return g;
}

/** Masks every match of every pattern in `text` with `****` (empty matches are left alone). */
export function redact(text: string, patterns: readonly RegExp[]): string {
  let out = text;
  for (const pattern of patterns) {
    out = out.replace(globalOf(pattern), (match) => (match === '' ? match : MASK));
  }
  return out;
}

/** Redacts the strings in a JSON value, recursively; what has nothing to mask is returned as is. */
export function redactValue(value: unknown, patterns: readonly RegExp[]): unknown {
  if (typeof value === 'string') return redact(value, patterns);
  if (Array.isArray(value)) {
    let copy: unknown[] | undefined;
    value.forEach((item, i) => {
      const r = redactValue(item, patterns);
      if (r !== item) (copy ??= value.slice())[i] = r;
    });
    return copy ?? value;
  }
  if (value !== null && typeof value === 'object') {
    let copy: Record<string, unknown> | undefined;
    for (const [k, v] of Object.entries(value)) {
      const r = redactValue(v, patterns);
      if (r !== v) (copy ??= { ...(value as Record<string, unknown>) })[k] = r;
    }
    return copy ?? value;
  }
  return value;
}

/**
 * A Telemetry record with every match masked in its `record`: the line of a text log, or every string
 * of an object record (JSON logs, platform records), at any depth. `time` and `type` are left as they
 * are. The record itself is returned when nothing matched.
 */
export function redactRecord(record: TelemetryRecord, patterns: readonly RegExp[]): TelemetryRecord {
  if (patterns.length === 0) return record;
  const redacted = redactValue(record.record, patterns);
  return redacted === record.record ? record : { ...record, record: redacted };
}

/** Variable names that say their value is a secret. */
const SECRET_NAME = /SECRET|PASSWORD|PASSWD|TOKEN|API_?KEY|PRIVATE_?KEY|CREDENTIAL/i;
/** Lambda's own settings: never secrets, whatever their names (AWS_SESSION_TOKEN and
 *  AWS_SECRET_ACCESS_KEY do not match, so they are masked). */
const NOT_SECRET =
  /^(AWS_LAMBDA_|_X_AMZN|_AWS_XRAY|AWS_XRAY_|AWS_(DEFAULT_)?REGION$|AWS_EXECUTION_ENV$|_HANDLER$)/i;
/** Shorter values are too likely to occur in ordinary text to be masked everywhere. */
const MIN_SECRET_LENGTH = 8;

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

/**
 * The values of secret-looking environment variables (name matches SECRET, PASSWORD, TOKEN, API_KEY,
 * PRIVATE_KEY, CREDENTIAL…, value at least 8 characters), as regular expressions that match them
 * literally, longest first (so a secret that contains another is masked whole). A value with
 * characters JSON escapes also yields its escaped form, as it appears in a logged JSON text.
 */
export function secretLookingEnvValues(env: Record<string, string | undefined>): RegExp[] {
  const values = new Set<string>();
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined || value.length < MIN_SECRET_LENGTH) continue;
    if (!SECRET_NAME.test(name) || NOT_SECRET.test(name)) continue;
    values.add(value);
    const escaped = JSON.stringify(value).slice(1, -1);
    if (escaped !== value) values.add(escaped);
  }
  return [...values].sort((a, b) => b.length - a.length).map((v) => new RegExp(escapeRegExp(v), 'g'));
}
