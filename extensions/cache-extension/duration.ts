/**
 * Go's `time.ParseDuration` syntax, as the demo's CACHE_EXTENSION_TTL uses it: one or more decimal
 * numbers, each with an optional fraction and a unit (`ns`, `us`/`µs`, `ms`, `s`, `m`, `h`), written
 * together (`1h30m`, `1.5h`, `300ms`), or a bare `0`. A TTL cannot be negative, so a leading `-` on a
 * non-zero duration is rejected (Go itself would accept it).
 */

/** A duration that is not valid: `problem` says what is wrong, `fix` how to write it instead. */
export class DurationError extends Error {
  override readonly name = 'DurationError';
  readonly problem: string;
  readonly fix: string;

  constructor(problem: string, fix: string) {
    super(`${problem}; ${fix}`);
    this.problem = problem;
    this.fix = fix;
  }
}

const EXAMPLES = 'e.g. 30s, 5m, 1h30m or 300ms';
const UNIT_LIST = 'ns, us, ms, s, m or h';

/** Nanoseconds per unit; `µ` (micro sign U+00B5) and `μ` (Greek mu U+03BC) both spell micro, as in Go. */
const UNIT_NS: ReadonlyMap<string, bigint> = new Map([
  ['ns', 1n],
  ['us', 1_000n],
  ['\u00b5s', 1_000n],
  ['\u03bcs', 1_000n],
  ['ms', 1_000_000n],
  ['s', 1_000_000_000n],
  ['m', 60_000_000_000n],
  ['h', 3_600_000_000_000n],
]);

/** Go's limit: a Duration is an int64 count of nanoseconds (about 2562047 hours). */
const MAX_NS = 9_223_372_036_854_775_807n;

/** Parses a Go duration (`30s`, `3m`, `1h30m`, `1.5h`, `300ms`, `0`) into milliseconds (may be fractional below 1 ms). */
export function parseGoDuration(text: string): number {
  const shown = JSON.stringify(text);
  if (text === '') throw new DurationError('empty duration', `write a Go duration, ${EXAMPLES}`);
  if (/\s/.test(text)) {
    throw new DurationError(
      `${shown} contains whitespace`,
      `write the number and unit parts together without spaces, ${EXAMPLES}`,
    );
  }

  let rest = text;
  let negative = false;
  if (rest.startsWith('-') || rest.startsWith('+')) {
    negative = rest.startsWith('-');
    rest = rest.slice(1);
  }
  if (rest === '0') return 0;
  if (rest === '')
    throw new DurationError(
      `${shown} is not a Go duration`,
      `write a number followed by a unit, ${EXAMPLES}`,
    );

  let totalNs = 0n;
  while (rest !== '') {
    const number = /^(\d*)(?:\.(\d*))?/.exec(rest);
    const whole = number?.[1] ?? '';
    const fraction = number?.[2] ?? '';
    if (whole === '' && fraction === '') {
      throw new DurationError(
        `${shown} is not a Go duration`,
        `write a number followed by a unit, ${EXAMPLES}`,
      );
    }
    const numberText = number?.[0] ?? '';
    rest = rest.slice(numberText.length);

    const unit = /^[^\d.]*/.exec(rest)?.[0] ?? '';
    if (unit === '') {
      if (rest === '') {
        throw new DurationError(
          `${shown} has no unit after ${numberText}`,
          `give every number a unit (${UNIT_LIST}), ${EXAMPLES}`,
        );
      }
      throw new DurationError(
        `${shown} is not a Go duration`,
        `write a number followed by a unit, ${EXAMPLES}`,
      );
    }
    const unitNs = UNIT_NS.get(unit);
    if (unitNs === undefined) {
      throw new DurationError(
        `${shown} has unknown unit ${JSON.stringify(unit)}`,
        `use ${UNIT_LIST}, e.g. 90s, 5m or 24h (there is no day unit)`,
      );
    }
    rest = rest.slice(unit.length);

    totalNs += BigInt(whole === '' ? '0' : whole) * unitNs;
    if (fraction !== '') totalNs += (BigInt(fraction) * unitNs) / 10n ** BigInt(fraction.length);
    if (totalNs > MAX_NS) {
      throw new DurationError(`${shown} is out of range`, 'use at most 2562047h, the largest Go duration');
    }
  }

  if (negative && totalNs > 0n) {
    throw new DurationError(
      `${shown} is negative, which is not a valid TTL`,
      'use zero or a positive duration, e.g. 5s or 10m',
    );
  }
  return Number(totalNs / 1_000_000n) + Number(totalNs % 1_000_000n) / 1e6;
}
