import { existsSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { slsFunctionKey } from '../checks/parity-check';

/**
 * events/smoke.json: what `npm start -- --smoke` sends. Read and checked before anything starts, so
 * a mistake in it is one line naming the field (exit 2), not a failure half way through the smoke.
 */
export interface SmokePlan {
  /** Per route key (`GET /hello`): the requests to send and the status each must get. */
  routes: Record<string, SmokeRequest[]>;
  /** Per function: which file of its events/ folder to invoke it with (default: the first). */
  functionEvents: Record<string, string>;
  /** Per function: the file to invoke it with instead against real systems (--aws, your Consul): a dry run. */
  dryRunEvents: Record<string, string>;
  /** Per function: what its JSON result must contain (objects by key, arrays element by element). */
  functionResults: Record<string, unknown>;
  /** Secrets to rotate through RotateSecret, each with a function that must work before and after. */
  rotations: Array<{ secret: string; verifyWith: string }>;
  /** Registrator round trips: tag `function`, full sync, in Consul; untag, full sync, gone. */
  registrations: Array<{ registrator: string; function: string }>;
}

export interface SmokeRequest {
  /** Default: the route's method (GET for ANY). */
  method?: string;
  /** Default: the route's path; give one for a path with {parameters}. */
  path?: string;
  /** `Authorization: Bearer <value of this secret>` from Secrets Manager. */
  bearerSecret?: string;
  /** Send the API key `npm start` created. */
  apiKey?: boolean;
  /** SigV4-sign with the local credentials (AWS_IAM routes). */
  sign?: boolean;
  body?: unknown;
  expect: number;
}

export class SmokePlanError extends Error {}

export const SMOKE_PLAN_FILE = 'events/smoke.json';

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** Reads events/smoke.json (an absent file is an empty plan: every route then fails, saying so). */
export function readSmokePlan(root: string): SmokePlan {
  const file = join(root, SMOKE_PLAN_FILE);
  return parseSmokePlan(existsSync(file) ? readFileSync(file, 'utf8') : '{"routes":{}}');
}

export function parseSmokePlan(text: string): SmokePlan {
  const fail = (where: string, what: string): never => {
    throw new SmokePlanError(`${SMOKE_PLAN_FILE}: ${where} ${what}`);
  };
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    return fail('is', `not valid JSON (${(e as Error).message})`);
  }
  if (!isRecord(raw)) return fail('the file', 'must be an object');
  const known = ['routes', 'functionEvents', 'dryRunEvents', 'functionResults', 'rotations', 'registrations'];
  for (const key of Object.keys(raw))
    if (!known.includes(key)) fail(`"${key}"`, `is not a field (fields: ${known.join(', ')})`);
  if (!isRecord(raw.routes)) fail('"routes"', 'must map each route key ("GET /hello") to a list of requests');

  const routes: Record<string, SmokeRequest[]> = {};
  for (const [key, list] of Object.entries(raw.routes as Record<string, unknown>)) {
    if (!Array.isArray(list)) return fail(`routes["${key}"]`, 'must be a list of requests');
    routes[key] = list.map((r: unknown, i) => request(r, `routes["${key}"][${i}]`, fail));
  }
  const strings = (field: string): Record<string, string> => {
    const v = raw[field] ?? {};
    if (!isRecord(v) || Object.values(v).some((f) => typeof f !== 'string'))
      fail(`"${field}"`, 'must map function logical ids to file names');
    return v as Record<string, string>;
  };
  const functionResults = raw.functionResults ?? {};
  if (!isRecord(functionResults)) fail('"functionResults"', 'must map function logical ids to expected JSON');
  const pairs = <K extends string>(field: string, keys: K[]): Array<Record<K, string>> => {
    const v = raw[field] ?? [];
    if (!Array.isArray(v)) return fail(`"${field}"`, `must be a list of {${keys.join(', ')}}`);
    return v.map((item: unknown, i) => {
      if (!isRecord(item) || keys.some((k) => typeof item[k] !== 'string'))
        fail(`${field}[${i}]`, `must be {${keys.map((k) => `"${k}": string`).join(', ')}}`);
      return item as Record<K, string>;
    });
  };
  return {
    routes,
    functionEvents: strings('functionEvents'),
    dryRunEvents: strings('dryRunEvents'),
    functionResults: functionResults as Record<string, unknown>,
    rotations: pairs('rotations', ['secret', 'verifyWith']),
    registrations: pairs('registrations', ['registrator', 'function']),
  };
}

/** A function's events/ folder: `events/<serverless key>` or its kebab-case form, if either exists. */
export function eventsDirOf(root: string, logicalId: string): string | undefined {
  const key = slsFunctionKey(logicalId);
  return [key, key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)]
    .map((name) => join(root, 'events', name))
    .find((d) => existsSync(d));
}

/**
 * The plan against the template: every function it names exists, and every event file it names is
 * in that function's events/ folder. One line per mistake is a SmokePlanError.
 */
export function checkSmokePlan(plan: SmokePlan, root: string, functionIds: string[]): void {
  const problems: string[] = [];
  const known = (id: string, where: string) => {
    if (functionIds.includes(id)) return true;
    problems.push(`${where}: ${id} is not a function of template.yaml`);
    return false;
  };
  for (const field of ['functionEvents', 'dryRunEvents'] as const) {
    for (const [id, file] of Object.entries(plan[field])) {
      if (!known(id, field)) continue;
      const dir = eventsDirOf(root, id);
      if (!dir || !existsSync(join(dir, file)))
        problems.push(
          `${field}.${id}: ${file} is not in ${dir ? relative(root, dir) : `events/ (no folder for ${id})`}`,
        );
    }
  }
  for (const id of Object.keys(plan.functionResults)) known(id, 'functionResults');
  plan.rotations.forEach((r, i) => known(r.verifyWith, `rotations[${i}].verifyWith`));
  plan.registrations.forEach((r, i) => {
    known(r.registrator, `registrations[${i}].registrator`);
    known(r.function, `registrations[${i}].function`);
  });
  if (problems.length) throw new SmokePlanError(`${SMOKE_PLAN_FILE}: ${problems.join('; ')}`);
}

function request(r: unknown, where: string, fail: (where: string, what: string) => never): SmokeRequest {
  if (!isRecord(r)) return fail(where, 'must be an object with "expect"');
  const { expect: status, method, path, bearerSecret, apiKey, sign } = r;
  if (typeof status !== 'number' || !Number.isInteger(status) || status < 100 || status > 599)
    fail(`${where}.expect`, 'must be the HTTP status the request must get (100-599)');
  if (method !== undefined && (typeof method !== 'string' || !/^[A-Z]+$/.test(method)))
    fail(`${where}.method`, 'must be an HTTP method in capitals');
  if (path !== undefined && (typeof path !== 'string' || !path.startsWith('/')))
    fail(`${where}.path`, 'must start with /');
  if (bearerSecret !== undefined && typeof bearerSecret !== 'string')
    fail(`${where}.bearerSecret`, 'must be a secret name');
  for (const [name, flag] of Object.entries({ apiKey, sign }))
    if (flag !== undefined && typeof flag !== 'boolean') fail(`${where}.${name}`, 'must be true or false');
  const known = ['expect', 'method', 'path', 'bearerSecret', 'apiKey', 'sign', 'body'];
  for (const key of Object.keys(r))
    if (!known.includes(key))
      fail(`${where}."${key}"`, `is not a request field (fields: ${known.join(', ')})`);
  return r as unknown as SmokeRequest;
}

/**
 * Where `actual` falls short of `expected`, or undefined when it contains it: objects key by key
 * (extra keys allowed), arrays element by element with the same length, anything else equal.
 */
export function missingFrom(actual: unknown, expected: unknown, at = 'result'): string | undefined {
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual) || actual.length !== expected.length)
      return `${at} is ${JSON.stringify(actual)}, expected ${JSON.stringify(expected)}`;
    for (const [i, e] of expected.entries()) {
      const miss = missingFrom(actual[i], e, `${at}[${i}]`);
      if (miss) return miss;
    }
    return undefined;
  }
  if (isRecord(expected)) {
    if (!isRecord(actual)) return `${at} is ${JSON.stringify(actual)}, expected an object`;
    for (const [k, e] of Object.entries(expected)) {
      const miss = missingFrom(actual[k], e, `${at}.${k}`);
      if (miss) return miss;
    }
    return undefined;
  }
  return Object.is(actual, expected)
    ? undefined
    : `${at} is ${JSON.stringify(actual)}, expected ${JSON.stringify(expected)}`;
}
