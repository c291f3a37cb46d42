import {
  parseScheduleExpression,
  ScheduleExpressionError,
  validateScheduleExpression,
  type CronSchedule,
  type RateSchedule,
} from './schedule-expression';

const at = (iso: string) => new Date(iso);
const cron = (expression: string) => {
  const schedule = parseScheduleExpression(expression);
  if (schedule.kind !== 'cron') throw new Error('expected a cron schedule');
  return schedule as CronSchedule;
};
/** The next `count` fire times after `from`, as ISO strings. */
const fires = (expression: string, from: string, count = 1): (string | undefined)[] => {
  const schedule = cron(expression);
  const out: (string | undefined)[] = [];
  let t: Date | undefined = at(from);
  for (let i = 0; i < count && t; i++) {
    t = schedule.nextFireTime(t);
    out.push(t?.toISOString());
  }
  return out;
};

describe('rate expressions', () => {
  test.each([
    ['rate(1 minute)', 1, 'minute', 60_000],
    ['rate(5 minutes)', 5, 'minute', 300_000],
    ['rate(1 hour)', 1, 'hour', 3_600_000],
    ['rate(12 hours)', 12, 'hour', 43_200_000],
    ['rate(1 day)', 1, 'day', 86_400_000],
    ['rate(2 days)', 2, 'day', 172_800_000],
  ])('%s', (expression, value, unit, periodMs) => {
    const schedule = parseScheduleExpression(expression) as RateSchedule;
    expect(schedule).toMatchObject({ kind: 'rate', value, unit, periodMs });
  });

  test.each([
    ['rate(1 minutes)', /a rate of 1 takes the singular unit: rate\(1 minute\)/],
    ['rate(1 hours)', /singular unit/],
    ['rate(5 hour)', /a rate above 1 takes the plural unit: rate\(5 hours\)/],
    ['rate(0 minutes)', /rate value "0" is not a positive integer/],
    ['rate(-1 minutes)', /not a positive integer/],
    ['rate(1.5 hours)', /not a positive integer/],
    ['rate(2 weeks)', /rate unit "weeks" is not one of minute, minutes, hour, hours, day, days/],
    ['rate(5minutes)', /rate expressions take two fields/],
    ['rate()', /rate expressions take two fields/],
    ['rate(5 Minutes)', /rate unit "Minutes"/],
    ['every 5 minutes', /expected rate\(value unit\) or cron\(fields\)/],
  ])('%s is invalid', (expression, message) => {
    expect(() => parseScheduleExpression(expression)).toThrow(ScheduleExpressionError);
    expect(validateScheduleExpression(expression)).toMatch(/^Parameter ScheduleExpression is not valid: /);
    expect(validateScheduleExpression(expression)).toMatch(message);
  });

  test('fires every period counted from the start', () => {
    const schedule = parseScheduleExpression('rate(5 minutes)') as RateSchedule;
    const start = at('2025-01-01T00:07:30Z');
    expect(schedule.nextFireTime(start, start).toISOString()).toBe('2025-01-01T00:12:30.000Z');
    expect(schedule.nextFireTime(at('2025-01-01T00:12:30Z'), start).toISOString()).toBe(
      '2025-01-01T00:17:30.000Z',
    );
    expect(schedule.nextFireTime(at('2025-01-01T01:00:00Z'), start).toISOString()).toBe(
      '2025-01-01T01:02:30.000Z',
    );
    expect(schedule.nextFireTime(at('2025-01-01T00:00:00Z')).toISOString()).toBe('2025-01-01T00:05:00.000Z');
  });
});

describe('cron expressions: next fire times (UTC)', () => {
  test('cron(0 12 * * ? *): noon every day', () => {
    expect(fires('cron(0 12 * * ? *)', '2025-01-01T00:00:00Z', 2)).toEqual([
      '2025-01-01T12:00:00.000Z',
      '2025-01-02T12:00:00.000Z',
    ]);
    // strictly after: from exactly noon the next fire is tomorrow's
    expect(fires('cron(0 12 * * ? *)', '2025-01-01T12:00:00Z')).toEqual(['2025-01-02T12:00:00.000Z']);
    expect(fires('cron(0 12 * * ? *)', '2025-12-31T12:00:30Z')).toEqual(['2026-01-01T12:00:00.000Z']);
  });

  test('cron(0/15 * * * ? *): every 15 minutes', () => {
    expect(fires('cron(0/15 * * * ? *)', '2025-01-01T10:07:00Z', 4)).toEqual([
      '2025-01-01T10:15:00.000Z',
      '2025-01-01T10:30:00.000Z',
      '2025-01-01T10:45:00.000Z',
      '2025-01-01T11:00:00.000Z',
    ]);
    expect(fires('cron(0/15 * * * ? *)', '2025-01-01T10:45:30Z')).toEqual(['2025-01-01T11:00:00.000Z']);
  });

  test('cron(1/10 …) starts from minute 1', () => {
    expect(fires('cron(1/10 * * * ? *)', '2025-01-01T10:00:00Z', 3)).toEqual([
      '2025-01-01T10:01:00.000Z',
      '2025-01-01T10:11:00.000Z',
      '2025-01-01T10:21:00.000Z',
    ]);
  });

  test('cron(0 18 ? * MON-FRI *): weekdays at 18:00', () => {
    // 2025-01-03 is a Friday
    expect(fires('cron(0 18 ? * MON-FRI *)', '2025-01-03T19:00:00Z', 2)).toEqual([
      '2025-01-06T18:00:00.000Z',
      '2025-01-07T18:00:00.000Z',
    ]);
    expect(fires('cron(0 18 ? * 2-6 *)', '2025-01-03T19:00:00Z')).toEqual(['2025-01-06T18:00:00.000Z']);
  });

  test('cron(0 8 1 * ? *): the first of each month at 08:00', () => {
    expect(fires('cron(0 8 1 * ? *)', '2025-01-15T00:00:00Z', 2)).toEqual([
      '2025-02-01T08:00:00.000Z',
      '2025-03-01T08:00:00.000Z',
    ]);
  });

  test('lists, names and wrapping ranges', () => {
    expect(fires('cron(5,35 14 * * ? *)', '2025-01-01T14:10:00Z', 2)).toEqual([
      '2025-01-01T14:35:00.000Z',
      '2025-01-02T14:05:00.000Z',
    ]);
    expect(fires('cron(0 0 1 JAN,jul ? *)', '2025-02-01T00:00:00Z', 2)).toEqual([
      '2025-07-01T00:00:00.000Z',
      '2026-01-01T00:00:00.000Z',
    ]);
    // 20-2 wraps midnight: 22:00 on the starting day to 02:00 the next (the guide's example)
    expect(fires('cron(0/30 20-2 ? * MON-FRI *)', '2025-01-06T23:45:00Z', 6)).toEqual([
      '2025-01-07T00:00:00.000Z',
      '2025-01-07T00:30:00.000Z',
      '2025-01-07T01:00:00.000Z',
      '2025-01-07T01:30:00.000Z',
      '2025-01-07T02:00:00.000Z',
      '2025-01-07T02:30:00.000Z',
    ]);
    expect(fires('cron(0 9 */10 * ? *)', '2025-01-02T00:00:00Z', 3)).toEqual([
      '2025-01-11T09:00:00.000Z',
      '2025-01-21T09:00:00.000Z',
      '2025-01-31T09:00:00.000Z',
    ]);
    expect(fires('cron(10-40/15 8 * * ? *)', '2025-01-01T00:00:00Z', 3)).toEqual([
      '2025-01-01T08:10:00.000Z',
      '2025-01-01T08:25:00.000Z',
      '2025-01-01T08:40:00.000Z',
    ]);
  });

  test('L in Day-of-month: the last day of the month', () => {
    expect(fires('cron(0 0 L * ? *)', '2024-02-10T00:00:00Z', 2)).toEqual([
      '2024-02-29T00:00:00.000Z',
      '2024-03-31T00:00:00.000Z',
    ]);
    expect(fires('cron(0 0 L * ? *)', '2025-02-10T00:00:00Z')).toEqual(['2025-02-28T00:00:00.000Z']);
  });

  test('nL in Day-of-week: the last such weekday; L alone is Saturday', () => {
    // the guide's example: 10:15 on the last Friday of each month, 2019 to 2022
    expect(fires('cron(15 10 ? * 6L 2019-2022)', '2019-01-01T00:00:00Z', 2)).toEqual([
      '2019-01-25T10:15:00.000Z',
      '2019-02-22T10:15:00.000Z',
    ]);
    expect(fires('cron(15 10 ? * FRIL 2019-2022)', '2022-12-01T00:00:00Z', 2)).toEqual([
      '2022-12-30T10:15:00.000Z',
      undefined,
    ]);
    expect(fires('cron(0 0 ? * L *)', '2025-01-01T00:00:00Z')).toEqual(['2025-01-04T00:00:00.000Z']);
  });

  test('W in Day-of-month: the nearest weekday within the month', () => {
    // 2025-03-15 is a Saturday -> Friday the 14th; 2025-06-15 is a Sunday -> Monday the 16th
    expect(fires('cron(0 9 15W * ? *)', '2025-03-01T00:00:00Z')).toEqual(['2025-03-14T09:00:00.000Z']);
    expect(fires('cron(0 9 15W * ? *)', '2025-06-01T00:00:00Z')).toEqual(['2025-06-16T09:00:00.000Z']);
    expect(fires('cron(0 9 15W * ? *)', '2025-01-01T00:00:00Z')).toEqual(['2025-01-15T09:00:00.000Z']);
    // 2025-02-01 is a Saturday: 1W doesn't go back into January, so Monday the 3rd
    expect(fires('cron(0 9 1W * ? *)', '2025-01-02T00:00:00Z')).toEqual(['2025-02-03T09:00:00.000Z']);
    // 2025-08-31 is a Sunday: 31W doesn't go into September, so Friday the 29th
    expect(fires('cron(0 9 31W * ? *)', '2025-08-01T00:00:00Z')).toEqual(['2025-08-29T09:00:00.000Z']);
    // 31W in a 30-day month doesn't fire
    expect(fires('cron(0 9 31W * ? *)', '2025-09-01T00:00:00Z')).toEqual(['2025-10-31T09:00:00.000Z']);
  });

  test('# in Day-of-week: the n-th weekday of the month', () => {
    // second Tuesday of January 2025 is the 14th
    expect(fires('cron(0 10 ? * 3#2 *)', '2025-01-01T00:00:00Z', 2)).toEqual([
      '2025-01-14T10:00:00.000Z',
      '2025-02-11T10:00:00.000Z',
    ]);
    // the first month of 2025 with a fifth Monday after February is March (the 31st)
    expect(fires('cron(0 0 ? * MON#5 *)', '2025-02-01T00:00:00Z')).toEqual(['2025-03-31T00:00:00.000Z']);
  });

  test('years and impossible dates', () => {
    expect(fires('cron(0 0 1 1 ? 2030)', '2025-06-01T00:00:00Z')).toEqual(['2030-01-01T00:00:00.000Z']);
    expect(fires('cron(0 0 1 1 ? 2020-2024)', '2025-06-01T00:00:00Z')).toEqual([undefined]);
    expect(fires('cron(0 0 30 FEB ? *)', '2025-01-01T00:00:00Z')).toEqual([undefined]);
    expect(fires('cron(0 0 29 2 ? *)', '2025-01-01T00:00:00Z')).toEqual(['2028-02-29T00:00:00.000Z']);
  });
});

describe('cron expressions: invalid ones name the field', () => {
  test.each([
    ['cron(0 12 * * ?)', /six fields .* found 5/],
    ['cron(0 12 * * ? * *)', /found 7/],
    ['cron()', /found 0/],
    ['cron(0 12 * * MON *)', /Day-of-month \(\*\) and Day-of-week \(MON\) can't both be specified/],
    ['cron(0 12 ? * ? *)', /Day-of-month and Day-of-week are both \?/],
    ['cron(60 12 * * ? *)', /Minutes field "60": 60 is out of range 0-59/],
    ['cron(0 24 * * ? *)', /Hours field "24": 24 is out of range 0-23/],
    ['cron(0 12 0 * ? *)', /Day-of-month field "0": 0 is out of range 1-31/],
    ['cron(0 12 32 * ? *)', /Day-of-month field "32"/],
    ['cron(0 12 * 13 ? *)', /Month field "13": 13 is out of range 1-12/],
    ['cron(0 12 * FOO ? *)', /Month field "FOO": "FOO" is not a value \(1-12 or JAN-DEC\)/],
    ['cron(0 12 ? * 8 *)', /Day-of-week field "8": 8 is out of range 1-7/],
    ['cron(0 12 ? * MON-FUN *)', /Day-of-week field "MON-FUN": "FUN" is not a value/],
    ['cron(0 12 * * ? 1969)', /Year field "1969": 1969 is out of range 1970-2199/],
    ['cron(0 12 * * ? 2200)', /Year field "2200"/],
    ['cron(MON 12 * * ? *)', /Minutes field "MON"/],
    ['cron(? 12 * * ? *)', /Minutes field "\?"/],
    ['cron(L 12 * * ? *)', /Minutes field "L"/],
    ['cron(0/0 12 * * ? *)', /Minutes field "0\/0": the increment in "0\/0" must be a positive integer/],
    ['cron(1,,2 12 * * ? *)', /Minutes field "1,,2" has an empty list item/],
    ['cron(0 12 ? * 3#1,6#3 *)', /Day-of-week field "3#1,6#3": with # the field holds a single expression/],
    ['cron(0 12 ? * 3#6 *)', /the instance after # must be 1-5/],
    ['cron(0 12 ? * 2W *)', /Day-of-week field "2W": W belongs to Day-of-month/],
    ['cron(0 12 L,15 * ? *)', /Day-of-month field "L,15": L must stand alone/],
    ['cron(0 12 1-5W * ? *)', /Day-of-month field "1-5W"/],
    ['cron(0 12 3#2 * ? *)', /# belongs to Day-of-week/],
  ])('%s', (expression, message) => {
    expect(() => parseScheduleExpression(expression)).toThrow(ScheduleExpressionError);
    expect(validateScheduleExpression(expression)).toMatch(message);
  });

  test('valid expressions validate', () => {
    for (const e of [
      'cron(0 10 * * ? *)',
      'cron(15 12 * * ? *)',
      'cron(0 18 ? * MON-FRI *)',
      'cron(0 8 1 * ? *)',
      'cron(0/15 * * * ? *)',
      'cron(0/10 * ? * MON-FRI *)',
      'cron(0/5 8-17 ? * MON-FRI *)',
      'cron(0/30 20-2 ? * MON-FRI *)',
      'cron(15 10 ? * 6L 2019-2022)',
      'cron(0 8 ? * 3#1 *)',
    ]) {
      expect(validateScheduleExpression(e)).toBeUndefined();
    }
  });
});
