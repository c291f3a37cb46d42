import { BlockList, isIP } from 'node:net';

/**
 * EventBridge event patterns (content filtering) for the local cloud: `compilePattern` validates a
 * pattern the way PutRule does (an invalid one is an `InvalidEventPatternException` whose message
 * starts "Event pattern is not valid. Reason: …") and returns a matcher; `matchesPattern` and
 * `validatePattern` are the one-shot forms.
 *
 * Semantics implemented (Amazon EventBridge User Guide, "Content filtering in Amazon EventBridge
 * event patterns", "Comparison operators for use in event patterns", "Matching events on null
 * values and empty strings", "Arrays in Amazon EventBridge event patterns"):
 * - every field named in the pattern must match (AND); the values in a field's array are
 *   alternatives (OR); nested objects follow the event's nesting;
 * - a field whose event value is an array matches when any element does; objects inside arrays
 *   are matched element by element, so two conditions never combine values taken from different
 *   elements of the same array;
 * - exact values are typed: the string "123" does not match the number 123, `null` only matches
 *   null and `""` only the empty string;
 * - `prefix` / `suffix` (optionally `{ "equals-ignore-case": … }` inside), `equals-ignore-case`,
 *   `wildcard` (`*` = any run of characters, `\*` and `\\` escapes) only match strings;
 * - `anything-but` takes a string, a number, a list of all strings or all numbers, or one of
 *   `prefix` / `suffix` / `equals-ignore-case` / `wildcard` (a string or a list of strings); it
 *   needs the field to be present and matches any present value not excluded;
 * - `numeric` takes `=`, `<`, `<=`, `>`, `>=` or a range `>`/`>=` then `<`/`<=`, JSON numbers only;
 * - `exists` only looks at leaf values: an object (or an empty array) counts as absent;
 * - `cidr` matches IPv4 / IPv6 strings inside the block; an exact value that is an IP address also
 *   matches other spellings of the same address (as EventBridge's Ruler does);
 * - `$or` takes an array of at least two objects, each an alternative set of conditions at the
 *   same level; names of match types can't be field names inside `$or`.
 */

export type PatternLeaf = string | number | boolean | null;

/** A compiled pattern: a pure predicate over an event (a parsed JSON value). */
export interface CompiledPattern {
  readonly source: unknown;
  matches(event: unknown): boolean;
}

/** What PutRule answers for an invalid pattern: code `InvalidEventPatternException`. */
export class InvalidEventPatternError extends Error {
  readonly code = 'InvalidEventPatternException';
  constructor(
    readonly reason: string,
    readonly path: string,
  ) {
    super(`Event pattern is not valid. Reason: ${reason}${path ? ` (at ${path})` : ''}`);
    this.name = 'InvalidEventPatternException';
  }
}

/** Validates and compiles a pattern given as a JSON object or as its JSON text. */
export function compilePattern(pattern: unknown): CompiledPattern {
  let parsed = pattern;
  if (typeof pattern === 'string') {
    try {
      parsed = JSON.parse(pattern);
    } catch (e) {
      throw new InvalidEventPatternError(`Filter is not valid JSON: ${(e as Error).message}`, '');
    }
  }
  if (!isObject(parsed)) throw new InvalidEventPatternError('Filter is not an object', '');
  const root = compileObject(parsed, [], false);
  return { source: parsed, matches: (event) => matchNode(root, event) };
}

/** Undefined when the pattern is valid, else the InvalidEventPatternException message. */
export function validatePattern(pattern: unknown): string | undefined {
  try {
    compilePattern(pattern);
    return undefined;
  } catch (e) {
    if (e instanceof InvalidEventPatternError) return e.message;
    throw e;
  }
}

/** Whether `event` matches `pattern`; throws InvalidEventPatternError for an invalid pattern. */
export function matchesPattern(pattern: unknown, event: unknown): boolean {
  return compilePattern(pattern).matches(event);
}

// ---------------------------------------------------------------------------------------------
// Compilation

type LeafTest = (value: PatternLeaf) => boolean;

/** One alternative inside a field's value array. */
type Condition = { exists: boolean } | { test: LeafTest };

type Field = { key: string; node: Node } | { key: string; conditions: Condition[] };

interface Node {
  fields: Field[];
  /** `$or` alternatives evaluated at this level; empty when the object has no `$or`. */
  anyOf: Node[];
}

/** Match-type names: not allowed as field names inside `$or` (EventBridge keeps them reserved). */
const RESERVED_IN_OR = new Set([
  'exactly',
  'equals-ignore-case',
  'prefix',
  'suffix',
  'anything-but',
  'exists',
  'wildcard',
  'numeric',
  'cidr',
  '=',
  '<',
  '<=',
  '>',
  '>=',
]);

const pathText = (path: readonly string[]) => path.join('.');

function fail(reason: string, path: readonly string[]): never {
  throw new InvalidEventPatternError(reason, pathText(path));
}

function compileObject(obj: Record<string, unknown>, path: string[], insideOr: boolean): Node {
  const keys = Object.keys(obj);
  if (keys.length === 0) fail('Empty objects are not allowed', path);
  const node: Node = { fields: [], anyOf: [] };
  for (const key of keys) {
    const value = obj[key];
    if (key === '$or') {
      node.anyOf = compileOr(value, [...path, key]);
      continue;
    }
    if (insideOr && RESERVED_IN_OR.has(key)) {
      fail(`"${key}" is a match type and can't be used as a field name inside $or`, [...path, key]);
    }
    if (Array.isArray(value)) {
      node.fields.push({ key, conditions: compileConditions(value, [...path, key]) });
    } else if (isObject(value)) {
      node.fields.push({ key, node: compileObject(value, [...path, key], insideOr) });
    } else {
      fail(`"${key}" must be an object or an array`, [...path, key]);
    }
  }
  return node;
}

function compileOr(value: unknown, path: string[]): Node[] {
  if (!Array.isArray(value)) fail('$or must be followed by an array of objects', path);
  const alternatives = value.map((alt, i) => {
    if (!isObject(alt)) fail('Only JSON objects are allowed in the array of $or', [...path, String(i)]);
    return compileObject(alt, [...path, String(i)], true);
  });
  if (alternatives.length < 2) fail('$or needs at least 2 objects', path);
  return alternatives;
}

function compileConditions(values: unknown[], path: string[]): Condition[] {
  if (values.length === 0) fail('Empty arrays are not allowed', path);
  return values.map((v) => {
    if (v === null || typeof v === 'boolean') return { test: (x) => x === v };
    if (typeof v === 'number') {
      if (!Number.isFinite(v)) fail('Match value must be String, number, true, false, or null', path);
      return { test: (x) => x === v };
    }
    if (typeof v === 'string') return { test: exactString(v) };
    if (isObject(v)) return compileMatchExpression(v, path);
    return fail('Match value must be String, number, true, false, or null', path);
  });
}

/** An exact string; an IP address also matches its other spellings (e.g. IPv6 zero compression). */
function exactString(expected: string): LeafTest {
  const family = isIP(expected);
  if (family === 0) return (x) => x === expected;
  const list = new BlockList();
  list.addAddress(expected, family === 4 ? 'ipv4' : 'ipv6');
  return (x) =>
    x === expected ||
    (typeof x === 'string' && isIP(x) === family && list.check(x, family === 4 ? 'ipv4' : 'ipv6'));
}

function compileMatchExpression(expr: Record<string, unknown>, path: string[]): Condition {
  const keys = Object.keys(expr);
  if (keys.length === 0) fail('Match expression name not found', path);
  if (keys.length > 1) fail(`Only one key allowed in match expression, found ${keys.join(', ')}`, path);
  const op = keys[0]!;
  const arg = expr[op];
  switch (op) {
    case 'prefix':
    case 'suffix':
      return { test: affixTest(op, arg, path) };
    case 'equals-ignore-case': {
      if (typeof arg !== 'string') fail('equals-ignore-case match pattern must be a string', path);
      const folded = fold(arg);
      return { test: (x) => typeof x === 'string' && fold(x) === folded };
    }
    case 'wildcard': {
      const glob = parseWildcard(arg, path);
      return { test: (x) => typeof x === 'string' && globMatch(glob, x) };
    }
    case 'anything-but':
      return { test: anythingBut(arg, path) };
    case 'numeric':
      return { test: numericTest(arg, path) };
    case 'exists':
      if (typeof arg !== 'boolean') fail('exists match pattern must be either true or false.', path);
      return { exists: arg };
    case 'cidr':
      return { test: cidrTest(arg, path) };
    default:
      return fail(`Unrecognized match type ${op}`, path);
  }
}

function affixTest(op: 'prefix' | 'suffix', arg: unknown, path: string[]): LeafTest {
  const has = (x: string, affix: string) => (op === 'prefix' ? x.startsWith(affix) : x.endsWith(affix));
  if (typeof arg === 'string') return (x) => typeof x === 'string' && has(x, arg);
  if (isObject(arg)) {
    const keys = Object.keys(arg);
    if (keys.length !== 1 || keys[0] !== 'equals-ignore-case') {
      fail(`${op} takes a string or { "equals-ignore-case": string }, not ${keys.join(', ') || '{}'}`, path);
    }
    const value = arg['equals-ignore-case'];
    if (typeof value !== 'string') fail(`${op}/equals-ignore-case match pattern must be a string`, path);
    const folded = fold(value);
    return (x) => typeof x === 'string' && has(fold(x), folded);
  }
  return fail(`${op} match pattern must be a string`, path);
}

function anythingBut(arg: unknown, path: string[]): LeafTest {
  if (typeof arg === 'string') return (x) => x !== arg;
  if (typeof arg === 'number') {
    if (!Number.isFinite(arg))
      fail('Value of anything-but must be an array or single string/number value.', path);
    return (x) => x !== arg;
  }
  if (Array.isArray(arg)) {
    if (arg.length === 0) fail('Empty arrays are not allowed', path);
    for (const v of arg) {
      if (typeof v !== 'string' && !(typeof v === 'number' && Number.isFinite(v))) {
        fail('Inside anything-but list, objects, arrays, null and booleans are not supported.', path);
      }
    }
    const kinds = new Set(arg.map((v) => typeof v));
    if (kinds.size > 1) {
      fail(
        'Inside anything-but list, either all values are number or string, mixed type is not supported',
        path,
      );
    }
    const excluded = new Set<unknown>(arg);
    return (x) => !excluded.has(x);
  }
  if (isObject(arg)) {
    const keys = Object.keys(arg);
    if (keys.length !== 1) fail('anything-but takes exactly one nested match expression', path);
    const op = keys[0]!;
    if (!['prefix', 'suffix', 'equals-ignore-case', 'wildcard'].includes(op)) {
      fail(`Unsupported anything-but pattern: ${op}`, path);
    }
    const raw = arg[op];
    const list = Array.isArray(raw) ? raw : [raw];
    if (list.length === 0) fail('Empty arrays are not allowed', path);
    if (!list.every((v) => typeof v === 'string')) {
      fail(`anything-but/${op} match pattern must be a string or a list of strings`, path);
    }
    const strings = list as string[];
    let excluded: (x: string) => boolean;
    if (op === 'prefix' || op === 'suffix') {
      if (strings.some((s) => s === '')) fail('Null prefix/suffix not allowed', path);
      excluded = (x) => strings.some((s) => (op === 'prefix' ? x.startsWith(s) : x.endsWith(s)));
    } else if (op === 'equals-ignore-case') {
      const folded = new Set(strings.map(fold));
      excluded = (x) => folded.has(fold(x));
    } else {
      const globs = strings.map((s) => parseWildcard(s, path));
      excluded = (x) => globs.some((g) => globMatch(g, x));
    }
    // Values that aren't strings can't have a prefix, suffix, … so they are never excluded.
    return (x) => typeof x !== 'string' || !excluded(x);
  }
  return fail('Value of anything-but must be an array or single string/number value.', path);
}

const RANGE_OPERATORS = new Set(['=', '<', '<=', '>', '>=']);

function numericTest(arg: unknown, path: string[]): LeafTest {
  if (!Array.isArray(arg)) fail('Value of numeric must be an array.', path);
  const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
  const [op, value, op2, value2, ...rest] = arg as unknown[];
  if (typeof op !== 'string') fail(`Invalid member in numeric match: ${JSON.stringify(op) ?? ']'}`, path);
  if (!RANGE_OPERATORS.has(op)) fail(`Unrecognized numeric range operator: ${op}`, path);
  if (!isNum(value)) fail(`Value of ${op === '=' ? 'equals' : op} must be numeric`, path);
  const first = comparison(op, value);
  if (arg.length === 2) return (x) => typeof x === 'number' && first(x);
  if (op !== '>' && op !== '>=')
    fail(`Too many elements in numeric expression: ${op} can't start a range`, path);
  if (typeof op2 !== 'string') fail(`Bad value in numeric range: ${JSON.stringify(op2)}`, path);
  if (op2 !== '<' && op2 !== '<=')
    fail(`Bad numeric range operator: ${op2} (a range ends with < or <=)`, path);
  if (!isNum(value2)) fail(`Value of ${op2} must be numeric`, path);
  if (rest.length > 0) fail('Too many terms in numeric range expression', path);
  if (value2 <= value) fail(`Bottom must be less than top (${value} is not less than ${value2})`, path);
  const second = comparison(op2, value2);
  return (x) => typeof x === 'number' && first(x) && second(x);
}

function comparison(op: string, bound: number): (x: number) => boolean {
  switch (op) {
    case '=':
      return (x) => x === bound;
    case '<':
      return (x) => x < bound;
    case '<=':
      return (x) => x <= bound;
    case '>':
      return (x) => x > bound;
    default:
      return (x) => x >= bound;
  }
}

function cidrTest(arg: unknown, path: string[]): LeafTest {
  if (typeof arg !== 'string') fail('cidr match pattern must be a string', path);
  const parts = arg.split('/');
  if (parts.length !== 2) fail(`Malformed CIDR, one '/' required: ${arg}`, path);
  const [address, bits] = parts as [string, string];
  if (!/^\d+$/.test(bits)) fail(`Malformed CIDR, mask bits must be an integer: ${arg}`, path);
  const family = isIP(address);
  if (family === 0) fail(`Nonstandard IP address: ${address}`, path);
  const prefix = Number(bits);
  const max = family === 4 ? 32 : 128;
  if (prefix > max) fail(`Malformed CIDR, mask bits must be between 0 and ${max}: ${arg}`, path);
  const type = family === 4 ? 'ipv4' : 'ipv6';
  const list = new BlockList();
  list.addSubnet(address, prefix, type);
  return (x) => typeof x === 'string' && isIP(x) === family && list.check(x, type);
}

// ---------------------------------------------------------------------------------------------
// Wildcards: `*` matches any run of characters (including none); `\*` is a literal asterisk and
// `\\` a literal backslash; any other escape and two consecutive `*` are errors.

/** Literal characters as strings, `null` for a wildcard. */
type Glob = readonly (string | null)[];

function parseWildcard(arg: unknown, path: string[]): Glob {
  if (typeof arg !== 'string') fail('wildcard match pattern must be a string', path);
  const out: (string | null)[] = [];
  for (let i = 0; i < arg.length; i++) {
    const c = arg[i]!;
    if (c === '*') {
      if (arg[i + 1] === '*') fail(`Consecutive wildcard characters at pos ${i}`, path);
      out.push(null);
    } else if (c === '\\') {
      const next = arg[i + 1];
      if (next !== '*' && next !== '\\') fail(`Invalid escape character at pos ${i}`, path);
      out.push(next);
      i++;
    } else {
      out.push(c);
    }
  }
  return out;
}

/** Linear-backtracking glob match (no regular expressions, so no catastrophic backtracking). */
function globMatch(glob: Glob, s: string): boolean {
  let g = 0;
  let i = 0;
  let starG = -1;
  let starI = 0;
  while (i < s.length) {
    const token = glob[g];
    if (g < glob.length && token !== null && token === s[i]) {
      g++;
      i++;
    } else if (g < glob.length && token === null) {
      starG = g++;
      starI = i;
    } else if (starG >= 0) {
      g = starG + 1;
      i = ++starI;
    } else {
      return false;
    }
  }
  while (g < glob.length && glob[g] === null) g++;
  return g === glob.length;
}

// ---------------------------------------------------------------------------------------------
// Matching

function matchNode(node: Node, value: unknown): boolean {
  if (Array.isArray(value)) {
    const elements = flattenArray(value);
    if (elements.length === 0) return matchObject(node, undefined);
    return elements.some((element) => matchObject(node, element));
  }
  return matchObject(node, value);
}

function matchObject(node: Node, value: unknown): boolean {
  const obj = isObject(value) ? value : undefined;
  for (const field of node.fields) {
    const child = obj && Object.hasOwn(obj, field.key) ? obj[field.key] : undefined;
    const ok = 'node' in field ? matchNode(field.node, child) : matchConditions(field.conditions, child);
    if (!ok) return false;
  }
  return node.anyOf.length === 0 || node.anyOf.some((alt) => matchObject(alt, value));
}

function matchConditions(conditions: Condition[], value: unknown): boolean {
  const leaves = leafValues(value);
  return conditions.some((c) =>
    'exists' in c ? c.exists === leaves.length > 0 : leaves.some((leaf) => c.test(leaf)),
  );
}

/** The leaf values of an event field: arrays are flattened, objects are not leaves. */
function leafValues(value: unknown): PatternLeaf[] {
  if (value === undefined || isObject(value)) return [];
  if (Array.isArray(value)) return flattenArray(value).flatMap(leafValues);
  return [value as PatternLeaf];
}

function flattenArray(values: unknown[]): unknown[] {
  return values.flatMap((v) => (Array.isArray(v) ? flattenArray(v) : [v]));
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Case folding for the *-ignore-case operators (lower-casing the upper-cased form folds ß, ſ, …). */
function fold(s: string): string {
  return s.toUpperCase().toLowerCase();
}
