import { DurationError, parseGoDuration } from './duration';

describe('parseGoDuration', () => {
  it.each([
    ['0', 0],
    ['+0', 0],
    ['-0', 0],
    ['30s', 30_000],
    ['3m', 180_000],
    ['60m', 3_600_000],
    ['1h30m', 5_400_000],
    ['1.5h', 5_400_000],
    ['.5s', 500],
    ['5.s', 5_000],
    ['1.1s', 1_100],
    ['300ms', 300],
    ['1500us', 1.5],
    ['1500\u00b5s', 1.5],
    ['1500\u03bcs', 1.5],
    ['2000000ns', 2],
    ['1h1m1s1ms', 3_661_001],
    ['+5s', 5_000],
    ['0s', 0],
    ['2562047h', 2562047 * 3_600_000],
  ])('%s is %d ms', (text, ms) => {
    expect(parseGoDuration(text)).toBe(ms);
  });

  it.each([
    ['', 'empty duration; write a Go duration, e.g. 30s, 5m, 1h30m or 300ms'],
    [
      '10',
      '"10" has no unit after 10; give every number a unit (ns, us, ms, s, m or h), e.g. 30s, 5m, 1h30m or 300ms',
    ],
    [
      '1h30',
      '"1h30" has no unit after 30; give every number a unit (ns, us, ms, s, m or h), e.g. 30s, 5m, 1h30m or 300ms',
    ],
    [
      '1d',
      '"1d" has unknown unit "d"; use ns, us, ms, s, m or h, e.g. 90s, 5m or 24h (there is no day unit)',
    ],
    [
      '5S',
      '"5S" has unknown unit "S"; use ns, us, ms, s, m or h, e.g. 90s, 5m or 24h (there is no day unit)',
    ],
    ['-5s', '"-5s" is negative, which is not a valid TTL; use zero or a positive duration, e.g. 5s or 10m'],
    [
      '1h 30m',
      '"1h 30m" contains whitespace; write the number and unit parts together without spaces, e.g. 30s, 5m, 1h30m or 300ms',
    ],
    [
      ' 5s',
      '" 5s" contains whitespace; write the number and unit parts together without spaces, e.g. 30s, 5m, 1h30m or 300ms',
    ],
    ['s', '"s" is not a Go duration; write a number followed by a unit, e.g. 30s, 5m, 1h30m or 300ms'],
    ['.s', '".s" is not a Go duration; write a number followed by a unit, e.g. 30s, 5m, 1h30m or 300ms'],
    ['-', '"-" is not a Go duration; write a number followed by a unit, e.g. 30s, 5m, 1h30m or 300ms'],
    [
      '1.2.3s',
      '"1.2.3s" is not a Go duration; write a number followed by a unit, e.g. 30s, 5m, 1h30m or 300ms',
    ],
    [
      '00',
      '"00" has no unit after 00; give every number a unit (ns, us, ms, s, m or h), e.g. 30s, 5m, 1h30m or 300ms',
    ],
    ['2562048h', '"2562048h" is out of range; use at most 2562047h, the largest Go duration'],
  ])('rejects %j', (text, message) => {
    let thrown: unknown;
    try {
      parseGoDuration(text);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(DurationError);
    expect((thrown as DurationError).message).toBe(message);
    expect(`${(thrown as DurationError).problem}; ${(thrown as DurationError).fix}`).toBe(message);
  });
});
