/**
 * EventBridge schedule expressions (Amazon EventBridge User Guide, "Creating an Amazon EventBridge
 * rule that runs on a schedule" / "Using cron and rate expressions to schedule rules"), all in UTC:
 *
 * - `rate(value unit)`: a positive integer and `minute | minutes | hour | hours | day | days`; a
 *   value of 1 takes the singular unit and a larger value the plural (`rate(1 hours)` and
 *   `rate(5 hour)` are invalid). A rate schedule runs every period counted from when the rule was
 *   created (`start`).
 * - `cron(Minutes Hours Day-of-month Month Day-of-week Year)`: six fields; `,` lists, `-` ranges
 *   (a range may wrap, e.g. hours `20-2`), `*` all values, `/` increments (`0/15`, `10-40/10`, or
 *   `*` then `/5`), `?` "any" in Day-of-month or Day-of-week (exactly one of the two must be `?`),
 *   `L` last day of the month (Day-of-month) or `nL` last such weekday of the month (Day-of-week;
 *   `L` alone there is Saturday, the last day of the week), `nW` the weekday nearest day n within
 *   the month, `d#n` the n-th weekday d of the month (only one `#` expression in the field).
 *   Day-of-week runs 1-7 = SUN-SAT; months 1-12 = JAN-DEC; years 1970-2199.
 */

export class ScheduleExpressionError extends Error {
  readonly code = 'ValidationException';
  constructor(
    readonly expression: string,
    readonly reason: string,
  ) {
    super(`Parameter ScheduleExpression is not valid: ${reason} (in ${JSON.stringify(expression)})`);
    this.name = 'ValidationException';
  }
}

export interface RateSchedule {
  kind: 'rate';
  expression: string;
  value: number;
  unit: 'minute' | 'hour' | 'day';
  periodMs: number;
  /** First time strictly after `after` that is `start` plus a whole number of periods (default: after + period). */
  nextFireTime(after: Date, start?: Date): Date;
}

export interface CronSchedule {
  kind: 'cron';
  expression: string;
  /** First whole minute strictly after `after` matching every field, or undefined when none is left (years end at 2199). */
  nextFireTime(after: Date): Date | undefined;
}

export type Schedule = RateSchedule | CronSchedule;

const UNIT_MS = { minute: 60_000, hour: 3_600_000, day: 86_400_000 } as const;

/** Parses `rate(…)` or `cron(…)`; throws ScheduleExpressionError naming what is wrong. */
export function parseScheduleExpression(expression: string): Schedule {
  if (typeof expression !== 'string') throw new ScheduleExpressionError(String(expression), 'not a string');
  const rate = /^rate\((.*)\)$/s.exec(expression);
  if (rate) return parseRate(expression, rate[1]!);
  const cron = /^cron\((.*)\)$/s.exec(expression);
  if (cron) return parseCron(expression, cron[1]!);
  throw new ScheduleExpressionError(expression, 'expected rate(value unit) or cron(fields)');
}

/** Undefined when valid, else the error message. */
export function validateScheduleExpression(expression: string): string | undefined {
  try {
    parseScheduleExpression(expression);
    return undefined;
  } catch (e) {
    if (e instanceof ScheduleExpressionError) return e.message;
    throw e;
  }
}

function parseRate(expression: string, body: string): RateSchedule {
  const m = /^(\S+) +(\S+)$/.exec(body);
  if (!m) throw new ScheduleExpressionError(expression, 'rate expressions take two fields: rate(value unit)');
  const [, rawValue, rawUnit] = m as unknown as [string, string, string];
  if (!/^[0-9]+$/.test(rawValue) || Number(rawValue) < 1 || !Number.isSafeInteger(Number(rawValue))) {
    throw new ScheduleExpressionError(
      expression,
      `rate value ${JSON.stringify(rawValue)} is not a positive integer`,
    );
  }
  const value = Number(rawValue);
  const unitMatch = /^(minute|hour|day)(s?)$/.exec(rawUnit);
  if (!unitMatch) {
    throw new ScheduleExpressionError(
      expression,
      `rate unit ${JSON.stringify(rawUnit)} is not one of minute, minutes, hour, hours, day, days`,
    );
  }
  const unit = unitMatch[1] as RateSchedule['unit'];
  const plural = unitMatch[2] === 's';
  if (value === 1 && plural) {
    throw new ScheduleExpressionError(expression, `a rate of 1 takes the singular unit: rate(1 ${unit})`);
  }
  if (value > 1 && !plural) {
    throw new ScheduleExpressionError(
      expression,
      `a rate above 1 takes the plural unit: rate(${value} ${unit}s)`,
    );
  }
  const periodMs = value * UNIT_MS[unit];
  return {
    kind: 'rate',
    expression,
    value,
    unit,
    periodMs,
    nextFireTime(after, start) {
      if (!start) return new Date(after.getTime() + periodMs);
      const elapsed = after.getTime() - start.getTime();
      const periods = elapsed < 0 ? 1 : Math.floor(elapsed / periodMs) + 1;
      return new Date(start.getTime() + periods * periodMs);
    },
  };
}

// ---------------------------------------------------------------------------------------------
// cron

interface FieldSpec {
  name: string;
  min: number;
  max: number;
  names?: readonly string[];
}

const MINUTES: FieldSpec = { name: 'Minutes', min: 0, max: 59 };
const HOURS: FieldSpec = { name: 'Hours', min: 0, max: 23 };
const DAY_OF_MONTH: FieldSpec = { name: 'Day-of-month', min: 1, max: 31 };
const MONTH: FieldSpec = {
  name: 'Month',
  min: 1,
  max: 12,
  names: ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'],
};
const DAY_OF_WEEK: FieldSpec = {
  name: 'Day-of-week',
  min: 1,
  max: 7,
  names: ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'],
};
const YEAR: FieldSpec = { name: 'Year', min: 1970, max: 2199 };

/** How a day is chosen: by Day-of-month (Day-of-week is `?`) or by Day-of-week (Day-of-month is `?`). */
type DayRule =
  | { by: 'dayOfMonth'; days: Set<number> }
  | { by: 'lastDayOfMonth' }
  | { by: 'nearestWeekday'; day: number }
  | { by: 'dayOfWeek'; weekdays: Set<number> }
  | { by: 'lastWeekdayOfMonth'; weekday: number }
  | { by: 'nthWeekdayOfMonth'; weekday: number; nth: number };

function parseCron(expression: string, body: string): CronSchedule {
  const fail: Fail = (reason) => {
    throw new ScheduleExpressionError(expression, reason);
  };
  const parts = body.trim().split(/\s+/);
  if (parts.length !== 6) {
    fail(
      `cron expressions take six fields (Minutes Hours Day-of-month Month Day-of-week Year), found ${body.trim() ? parts.length : 0}`,
    );
  }
  const [minF, hourF, domF, monthF, dowF, yearF] = parts as [string, string, string, string, string, string];
  const minutes = parseList(MINUTES, minF, fail);
  const hours = parseList(HOURS, hourF, fail);
  const months = parseList(MONTH, monthF, fail);
  const years = parseList(YEAR, yearF, fail);

  let day: DayRule;
  if (domF === '?' && dowF === '?') {
    day = fail('Day-of-month and Day-of-week are both ?; one of them must name the days');
  } else if (domF !== '?' && dowF !== '?') {
    day = fail(
      `Day-of-month (${domF}) and Day-of-week (${dowF}) can't both be specified; use ? in one of them`,
    );
  } else if (dowF === '?') {
    day = parseDayOfMonth(domF, fail);
  } else {
    day = parseDayOfWeek(dowF, fail);
  }

  const sortedMinutes = [...minutes].sort((a, b) => a - b);
  const sortedHours = [...hours].sort((a, b) => a - b);
  const sortedMonths = [...months].sort((a, b) => a - b);
  const sortedYears = [...years].sort((a, b) => a - b);

  return {
    kind: 'cron',
    expression,
    nextFireTime(after) {
      // The first candidate is the next whole minute strictly after `after`.
      const from = new Date(Math.floor(after.getTime() / 60_000) * 60_000 + 60_000);
      const y0 = from.getUTCFullYear();
      const mo0 = from.getUTCMonth() + 1;
      const d0 = from.getUTCDate();
      const h0 = from.getUTCHours();
      const mi0 = from.getUTCMinutes();
      for (const year of sortedYears) {
        if (year < y0) continue;
        const sameYear = year === y0;
        for (const month of sortedMonths) {
          if (sameYear && month < mo0) continue;
          const sameMonth = sameYear && month === mo0;
          const last = daysInMonth(year, month);
          for (let d = sameMonth ? d0 : 1; d <= last; d++) {
            if (!dayMatches(day, year, month, d)) continue;
            const sameDay = sameMonth && d === d0;
            for (const hour of sortedHours) {
              if (sameDay && hour < h0) continue;
              const sameHour = sameDay && hour === h0;
              for (const minute of sortedMinutes) {
                if (sameHour && minute < mi0) continue;
                return new Date(Date.UTC(year, month - 1, d, hour, minute));
              }
            }
          }
        }
      }
      return undefined;
    },
  };
}

type Fail = (reason: string) => never;

/** A field of `,`-separated items: `*`, `n`, `a-b` (may wrap), each optionally `/step`. */
function parseList(spec: FieldSpec, text: string, fail: Fail): Set<number> {
  const out = new Set<number>();
  for (const item of text.split(',')) {
    for (const v of parseItem(spec, item, text, fail)) out.add(v);
  }
  return out;
}

function parseItem(spec: FieldSpec, item: string, field: string, fail: Fail): number[] {
  const where = `${spec.name} field ${JSON.stringify(field)}`;
  if (item === '') fail(`${where} has an empty list item`);
  const slash = item.split('/');
  if (slash.length > 2) fail(`${where}: ${JSON.stringify(item)} has more than one /`);
  const [rangeText, stepText] = slash as [string, string | undefined];
  let step = 1;
  if (stepText !== undefined) {
    if (!/^[0-9]+$/.test(stepText) || Number(stepText) < 1) {
      fail(`${where}: the increment in ${JSON.stringify(item)} must be a positive integer`);
    }
    step = Number(stepText);
  }
  let from: number;
  let to: number;
  if (rangeText === '*') {
    from = spec.min;
    to = spec.max;
  } else if (rangeText.includes('-')) {
    const bounds = rangeText.split('-');
    if (bounds.length !== 2) fail(`${where}: ${JSON.stringify(rangeText)} is not a range a-b`);
    from = parseValue(spec, bounds[0]!, where, fail);
    to = parseValue(spec, bounds[1]!, where, fail);
  } else {
    from = parseValue(spec, rangeText, where, fail);
    // `n/step` runs from n to the end of the field; a bare `n` is just n.
    to = stepText === undefined ? from : spec.max;
  }
  const values: number[] = [];
  const span = spec.max - spec.min + 1;
  const count = to >= from ? to - from + 1 : span - (from - to) + 1; // a wrapping range, e.g. hours 20-2
  for (let i = 0; i < count; i += step) values.push(((from - spec.min + i) % span) + spec.min);
  return values;
}

function parseValue(spec: FieldSpec, text: string, where: string, fail: Fail): number {
  let value: number;
  if (/^[0-9]+$/.test(text)) {
    value = Number(text);
  } else {
    const index = spec.names?.indexOf(text.toUpperCase()) ?? -1;
    if (index < 0) {
      return fail(
        `${where}: ${JSON.stringify(text)} is not a value (${spec.min}-${spec.max}${spec.names ? ` or ${spec.names[0]}-${spec.names[spec.names.length - 1]}` : ''})`,
      );
    }
    value = index + spec.min;
  }
  if (value < spec.min || value > spec.max)
    fail(`${where}: ${value} is out of range ${spec.min}-${spec.max}`);
  return value;
}

function parseDayOfMonth(text: string, fail: Fail): DayRule {
  const where = `${DAY_OF_MONTH.name} field ${JSON.stringify(text)}`;
  if (text === 'L') return { by: 'lastDayOfMonth' };
  const w = /^([0-9]+)W$/.exec(text);
  if (w) return { by: 'nearestWeekday', day: parseValue(DAY_OF_MONTH, w[1]!, where, fail) };
  if (/[LW#]/i.test(text)) {
    fail(`${where}: L must stand alone and W follows a single day (e.g. 15W); # belongs to Day-of-week`);
  }
  return { by: 'dayOfMonth', days: parseList(DAY_OF_MONTH, text, fail) };
}

function parseDayOfWeek(text: string, fail: Fail): DayRule {
  const where = `${DAY_OF_WEEK.name} field ${JSON.stringify(text)}`;
  if (text === 'L') return { by: 'dayOfWeek', weekdays: new Set([7]) };
  const last = /^([^,#/-]+)L$/i.exec(text);
  if (last) return { by: 'lastWeekdayOfMonth', weekday: parseValue(DAY_OF_WEEK, last[1]!, where, fail) };
  if (text.includes('#')) {
    const nth = /^([^,#/-]+)#([0-9]+)$/.exec(text);
    if (!nth) fail(`${where}: with # the field holds a single expression weekday#n (e.g. 3#2)`);
    const weekday = parseValue(DAY_OF_WEEK, nth![1]!, where, fail);
    const n = Number(nth![2]);
    if (n < 1 || n > 5) fail(`${where}: the instance after # must be 1-5`);
    return { by: 'nthWeekdayOfMonth', weekday, nth: n };
  }
  if (/W/i.test(text.replace(/WED/gi, ''))) fail(`${where}: W belongs to Day-of-month`);
  if (/L/i.test(text.replace(/(SAT|SUN|MON|TUE|WED|THU|FRI)/gi, ''))) {
    fail(`${where}: L stands alone or follows a single weekday (e.g. 6L)`);
  }
  return { by: 'dayOfWeek', weekdays: parseList(DAY_OF_WEEK, text, fail) };
}

function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/** 1 = Sunday … 7 = Saturday, as in the Day-of-week field. */
function weekdayOf(year: number, month: number, day: number): number {
  return new Date(Date.UTC(year, month - 1, day)).getUTCDay() + 1;
}

function dayMatches(rule: DayRule, year: number, month: number, day: number): boolean {
  switch (rule.by) {
    case 'dayOfMonth':
      return rule.days.has(day);
    case 'lastDayOfMonth':
      return day === daysInMonth(year, month);
    case 'nearestWeekday':
      return day === nearestWeekday(year, month, rule.day);
    case 'dayOfWeek':
      return rule.weekdays.has(weekdayOf(year, month, day));
    case 'lastWeekdayOfMonth':
      return weekdayOf(year, month, day) === rule.weekday && day + 7 > daysInMonth(year, month);
    case 'nthWeekdayOfMonth':
      return weekdayOf(year, month, day) === rule.weekday && Math.ceil(day / 7) === rule.nth;
  }
}

/** The weekday (Mon-Fri) nearest `target` without leaving the month; undefined when the month is shorter. */
function nearestWeekday(year: number, month: number, target: number): number | undefined {
  const last = daysInMonth(year, month);
  if (target > last) return undefined;
  const weekday = weekdayOf(year, month, target);
  if (weekday === 7) return target === 1 ? 3 : target - 1; // Saturday: Friday before, or Monday the 3rd
  if (weekday === 1) return target === last ? target - 2 : target + 1; // Sunday: Monday after, or Friday before
  return target;
}
