/**
 * config.yaml, in the aws-samples cache-extension-demo's format plus optional TTLs and a `secrets:`
 * list:
 *
 * ```yaml
 * parameters:                      # SSM parameters, in groups sharing a region and a TTL
 *   - region: us-west-2            # optional
 *     ttl: 5m                      # optional, for every name of the group
 *     names:
 *       - CacheExtensions_Parameter1
 *       - { name: /app/flag, ttl: 30s }   # a name's own TTL wins over the group's
 * dynamodb:                        # items named <table>-<hashkeyvalue>[-<sortkeyvalue>]
 *   - table: DynamoDbTable
 *     hashkey: pKey
 *     hashkeytype: S               # S, N or B (B: base64)
 *     hashkeyvalue: pKey1
 *     sortkey: sKey                # sortkey, sortkeytype, sortkeyvalue: all or none
 *     sortkeytype: S
 *     sortkeyvalue: sKey1
 *     region: us-west-2            # optional
 *     ttl: 1h                      # optional
 * secrets:
 *   - id: prod/db                  # name or ARN
 *     versionStage: AWSCURRENT     # optional
 *     region: us-west-2            # optional
 *     ttl: 10m                     # optional
 * ```
 *
 * Every problem is one CacheConfigError whose message is a single line
 * `<file>:<line>: <key path>: <what is wrong>; <how to fix>`. Text fields accept a YAML number,
 * taken as written (`007` stays `007`); a YAML boolean is refused with a hint to quote it.
 */
import { isAlias, isMap, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node } from 'yaml';
import {
  CacheConfigError,
  type CacheConfigFile,
  type DynamoDbItem,
  type KeyAttribute,
  type KeyType,
  type ParameterItem,
  type SecretItem,
} from './cache-config';
import { DurationError, parseGoDuration } from './duration';

const TOP_KEYS = ['parameters', 'dynamodb', 'secrets'] as const;
const GROUP_KEYS = ['region', 'names', 'ttl'] as const;
const NAME_KEYS = ['name', 'ttl'] as const;
const DYNAMODB_KEYS = [
  'table',
  'hashkey',
  'hashkeytype',
  'hashkeyvalue',
  'sortkey',
  'sortkeytype',
  'sortkeyvalue',
  'region',
  'ttl',
] as const;
const SORT_KEYS = ['sortkey', 'sortkeytype', 'sortkeyvalue'] as const;
const SECRET_KEYS = ['id', 'versionStage', 'region', 'ttl'] as const;
const KEY_TYPES: readonly string[] = ['S', 'N', 'B'] satisfies KeyType[];

/** `us-east-1`, `us-gov-west-1`, `cn-north-1`, `eusc-de-east-1`. */
const REGION = /^[a-z]{2,4}(-[a-z]+)+-\d{1,2}$/;
/** Standard base64 with padding; at least one byte (DynamoDB key values cannot be empty). */
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=|[A-Za-z0-9+/]{4})$/;
/** A DynamoDB number's text: optional sign, digits with an optional fraction, optional exponent. */
const NUMBER = /^[+-]?(?:(\d+)(?:\.(\d*))?|\.(\d+))(?:[eE]([+-]?\d+))?$/;

/** A value read from a mapping: its node (null when empty), its key path and the line to report. */
interface Field {
  node: Node | null;
  path: string;
  line: number;
}

/** Parses config.yaml's text; `file` names it in error messages. An empty file is an empty config. */
export function parseCacheConfig(text: string, file: string): CacheConfigFile {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: true });
  const reader = new Reader(file, lineCounter, doc);
  reader.checkSyntax();
  return reader.readFile();
}

class Reader {
  constructor(
    private readonly file: string,
    private readonly lineCounter: LineCounter,
    private readonly doc: Document.Parsed,
  ) {}

  checkSyntax(): void {
    const error = this.doc.errors[0];
    if (error === undefined) return;
    const line = error.linePos?.[0].line ?? this.lineAt(error.pos[0]);
    const problem = (error.message.split('\n')[0] ?? '').replace(/ at line \d+, column \d+:?$/, '');
    let fix = 'fix the YAML syntax on this line';
    if (error.code === 'MULTIPLE_DOCS') {
      this.fail(
        line,
        '(yaml syntax)',
        'a second YAML document starts here',
        'keep one document: remove this ---',
      );
    }
    if (error.code === 'DUPLICATE_KEY') fix = 'write each key once per mapping';
    if (error.code === 'TAB_AS_INDENT') fix = 'indent with spaces';
    this.fail(line, '(yaml syntax)', problem, fix);
  }

  readFile(): CacheConfigFile {
    const config: CacheConfigFile = { parameters: [], secrets: [], dynamodb: [] };
    const root = this.doc.contents;
    const line = this.lineOf(root, 1);
    const node = this.resolve(root, '(top level)', line);
    if (node === null) return config;
    const fields = this.readMap(
      { node, path: '(top level)', line },
      TOP_KEYS,
      'a mapping with parameters, dynamodb or secrets',
      'start the file with parameters:, dynamodb: or secrets:',
      'unknown top-level key',
    );
    const parameters = fields.get('parameters');
    if (parameters) config.parameters = this.readParameters(parameters);
    const dynamodb = fields.get('dynamodb');
    if (dynamodb) config.dynamodb = this.readDynamoDb(dynamodb);
    const secrets = fields.get('secrets');
    if (secrets) config.secrets = this.readSecrets(secrets);
    return config;
  }

  private readParameters(field: Field): ParameterItem[] {
    const items: ParameterItem[] = [];
    const seen = new Map<string, Field>();
    for (const groupField of this.readList(field, 'parameter groups')) {
      const group = this.readMap(
        groupField,
        GROUP_KEYS,
        'a parameter group with names and optionally region and ttl',
        'write the group as names: [<parameter name>, ...] with optional region: and ttl:',
      );
      const region = this.optionalRegion(group);
      const groupTtl = this.optionalTtl(group);
      const namesField = this.required(
        group,
        'names',
        groupField,
        'add names: with a list of parameter names',
      );
      const names = this.readList(namesField, 'parameter names');
      if (names.length === 0) {
        this.fail(
          namesField.line,
          namesField.path,
          'no parameter names',
          'list at least one name or remove the group',
        );
      }
      for (const nameField of names) {
        let nameTextField = nameField;
        let ttlMs = groupTtl;
        if (nameField.node !== null && isMap(nameField.node)) {
          const entry = this.readMap(
            nameField,
            NAME_KEYS,
            'a parameter name or a mapping with name and ttl',
            'write the name, or name: <parameter name> with ttl: <duration>',
          );
          nameTextField = this.required(entry, 'name', nameField, 'add name: <parameter name>');
          ttlMs = this.optionalTtl(entry) ?? groupTtl;
        }
        const name = this.readText(nameTextField, {
          hint: 'write the parameter name, e.g. /my/app/param, or name: <parameter name> with ttl: <duration>',
          noSpaces: true,
        });
        this.checkUnique(seen, name, nameTextField, 'list each parameter once');
        const item: ParameterItem = { kind: 'parameter', name };
        if (region !== undefined) item.region = region;
        if (ttlMs !== undefined) item.ttlMs = ttlMs;
        items.push(item);
      }
    }
    return items;
  }

  private readDynamoDb(field: Field): DynamoDbItem[] {
    const items: DynamoDbItem[] = [];
    const seen = new Map<string, Field>();
    for (const itemField of this.readList(field, 'DynamoDB items')) {
      const fields = this.readMap(
        itemField,
        DYNAMODB_KEYS,
        'a DynamoDB item with table, hashkey, hashkeytype and hashkeyvalue',
        'write the item as table:, hashkey:, hashkeytype:, hashkeyvalue: and optionally the sortkey fields',
      );
      const table = this.readText(this.required(fields, 'table', itemField, 'add table: <table name>'), {
        hint: 'write the table name, e.g. DynamoDbTable',
        noSpaces: true,
      });
      const hashKey = this.readKey(fields, itemField, 'hashkey', 'partition');
      const present = SORT_KEYS.filter((key) => fields.has(key));
      if (present.length > 0 && present.length < SORT_KEYS.length) {
        const missing = SORT_KEYS.filter((key) => !fields.has(key));
        this.fail(
          itemField.line,
          `${itemField.path}.${missing[0] ?? ''}`,
          `missing while ${present.join(' and ')} ${present.length === 1 ? 'is' : 'are'} set`,
          'set sortkey, sortkeytype and sortkeyvalue together, or none of them',
        );
      }
      const sortKey = present.length > 0 ? this.readKey(fields, itemField, 'sortkey', 'sort') : undefined;
      const name = `${table}-${hashKey.value}${sortKey ? `-${sortKey.value}` : ''}`;
      this.checkUnique(
        seen,
        name,
        itemField,
        'give each item a different table, hashkeyvalue or sortkeyvalue',
        `item name ${JSON.stringify(name)}`,
      );
      const item: DynamoDbItem = { kind: 'dynamodb', name, table, hashKey };
      if (sortKey) item.sortKey = sortKey;
      items.push(this.withRegionAndTtl(item, fields));
    }
    return items;
  }

  /** `hashkey`/`hashkeytype`/`hashkeyvalue` (prefix `hashkey`) or the same three for `sortkey`. */
  private readKey(fields: Map<string, Field>, itemField: Field, prefix: string, role: string): KeyAttribute {
    const name = this.readText(
      this.required(fields, prefix, itemField, `add ${prefix}: <${role} key attribute name>`),
      {
        hint: `write the ${role} key's attribute name`,
      },
    );
    const typeField = this.required(fields, `${prefix}type`, itemField, `add ${prefix}type: S, N or B`);
    const typeText = this.readText(typeField, { hint: 'use S, N or B' });
    if (!KEY_TYPES.includes(typeText)) {
      this.fail(
        typeField.line,
        typeField.path,
        `${JSON.stringify(typeText)} is not a DynamoDB key type`,
        'use S, N or B',
      );
    }
    const type = typeText as KeyType;
    const valueField = this.required(
      fields,
      `${prefix}value`,
      itemField,
      `add ${prefix}value: <${role} key value>`,
    );
    const value = this.readText(valueField, { hint: `write the ${role} key's value` });
    if (type === 'N') this.checkNumber(value, valueField);
    if (type === 'B' && !BASE64.test(value)) {
      this.fail(
        valueField.line,
        valueField.path,
        `${JSON.stringify(value)} is not base64`,
        'write a binary key value in standard base64 with = padding, e.g. AQID',
      );
    }
    return { name, type, value };
  }

  private checkNumber(value: string, field: Field): void {
    const match = NUMBER.exec(value);
    if (!match) {
      this.fail(
        field.line,
        field.path,
        `${JSON.stringify(value)} is not a DynamoDB number`,
        'write a number such as 42, -7.5 or 1.2E+3',
      );
    }
    const digits = `${match[1] ?? ''}${match[2] ?? ''}${match[3] ?? ''}`;
    const significant = digits.replace(/^0+/, '').replace(/0+$/, '');
    if (significant === '') return; // zero
    if (significant.length > 38) {
      this.fail(
        field.line,
        field.path,
        `${JSON.stringify(value)} has ${significant.length} significant digits, more than DynamoDB's 38`,
        'round it to at most 38 significant digits or use type S',
      );
    }
    // Decimal exponent of the leading significant digit: value = 0.d1d2… × 10^(magnitude).
    const integerDigits = (match[1] ?? '').replace(/^0+/, '');
    const leadingFractionZeros =
      integerDigits === '' ? /^0*/.exec(`${match[2] ?? ''}${match[3] ?? ''}`)![0].length : 0;
    const exponent = Number(match[4] ?? '0');
    const magnitude = (integerDigits === '' ? -leadingFractionZeros : integerDigits.length) + exponent - 1;
    if (magnitude > 125 || magnitude < -130) {
      this.fail(
        field.line,
        field.path,
        `${JSON.stringify(value)} is outside DynamoDB's number range`,
        'use a magnitude from 1E-130 up to 9.9999999999999999999999999999999999999E+125, or type S',
      );
    }
  }

  private readSecrets(field: Field): SecretItem[] {
    const items: SecretItem[] = [];
    const seen = new Map<string, Field>();
    for (const itemField of this.readList(field, 'secrets')) {
      const fields = this.readMap(
        itemField,
        SECRET_KEYS,
        'a secret with id and optionally versionStage, region and ttl',
        'write the secret as id: <name or ARN> with optional versionStage:, region: and ttl:',
      );
      const idField = this.required(fields, 'id', itemField, 'add id: <secret name or ARN>');
      const id = this.readText(idField, {
        hint: 'write the secret name or ARN, e.g. prod/db',
        noSpaces: true,
      });
      const stageField = fields.get('versionStage');
      const versionStage = stageField
        ? this.readText(stageField, { hint: 'write a staging label such as AWSCURRENT', noSpaces: true })
        : undefined;
      // No stage means AWSCURRENT, so `id: x` and `id: x, versionStage: AWSCURRENT` are the same secret.
      this.checkUnique(
        seen,
        `${id}\u0000${versionStage ?? 'AWSCURRENT'}`,
        idField,
        'list each secret once per versionStage',
        `secret ${JSON.stringify(id)}${versionStage === undefined ? '' : ` at ${JSON.stringify(versionStage)}`}`,
      );
      const item: SecretItem = { kind: 'secret', id };
      if (versionStage !== undefined) item.versionStage = versionStage;
      items.push(this.withRegionAndTtl(item, fields));
    }
    return items;
  }

  /** The item with the optional `region:` and `ttl:` of its fields set. */
  private withRegionAndTtl<T extends { region?: string; ttlMs?: number }>(
    item: T,
    fields: Map<string, Field>,
  ): T {
    const region = this.optionalRegion(fields);
    if (region !== undefined) item.region = region;
    const ttlMs = this.optionalTtl(fields);
    if (ttlMs !== undefined) item.ttlMs = ttlMs;
    return item;
  }

  private optionalRegion(fields: Map<string, Field>): string | undefined {
    const field = fields.get('region');
    if (!field) return undefined;
    const hint = 'use an AWS region name such as us-east-1 or eu-west-2';
    const region = this.readText(field, { hint });
    if (!REGION.test(region))
      this.fail(field.line, field.path, `${JSON.stringify(region)} is not an AWS region`, hint);
    return region;
  }

  private optionalTtl(fields: Map<string, Field>): number | undefined {
    const field = fields.get('ttl');
    if (!field) return undefined;
    const text = this.readText(field, { hint: 'write a Go duration, e.g. 30s, 5m, 1h30m or 300ms' });
    try {
      return parseGoDuration(text);
    } catch (error) {
      if (error instanceof DurationError) this.fail(field.line, field.path, error.problem, error.fix);
      throw error;
    }
  }

  private checkUnique(seen: Map<string, Field>, key: string, field: Field, fix: string, what?: string): void {
    const earlier = seen.get(key);
    if (earlier) {
      const shown = what ?? JSON.stringify(key);
      this.fail(
        field.line,
        field.path,
        `${shown} is already listed at line ${earlier.line} (${earlier.path})`,
        fix,
      );
    }
    seen.set(key, field);
  }

  private required(fields: Map<string, Field>, key: string, parent: Field, fix: string): Field {
    const field = fields.get(key);
    if (!field) this.fail(parent.line, `${parent.path}.${key}`, 'missing', fix);
    return field;
  }

  /** The entries of a list; an empty value (`parameters:` with nothing after it) is an empty list. */
  private readList(field: Field, what: string): Field[] {
    if (field.node === null) return [];
    if (!isSeq(field.node)) {
      this.fail(
        field.line,
        field.path,
        `expected a list of ${what}, got ${this.describe(field.node)}`,
        'write each entry on its own line starting with "- "',
      );
    }
    return field.node.items.map((item, index) => {
      const path = `${field.path}[${index}]`;
      const line = this.lineOf(item, field.line);
      return { node: this.resolve(item as Node | null, path, line), path, line };
    });
  }

  private readMap(
    field: Field,
    allowed: readonly string[],
    expected: string,
    fix: string,
    unknown = 'unknown key',
  ): Map<string, Field> {
    const node = field.node;
    if (node === null || !isMap(node)) {
      this.fail(field.line, field.path, `expected ${expected}, got ${this.describe(node)}`, fix);
    }
    const fields = new Map<string, Field>();
    const prefix = field.path === '(top level)' ? '' : `${field.path}.`;
    for (const pair of node.items) {
      const keyNode = pair.key as Node | null;
      const keyLine = this.lineOf(keyNode, field.line);
      if (keyNode === null || !isScalar(keyNode) || keyNode.value === null) {
        this.fail(keyLine, `${prefix}?`, 'a key must be a plain name', `use ${allowed.join(', ')}`);
      }
      const key =
        typeof keyNode.value === 'string' ? keyNode.value : (keyNode.source ?? String(keyNode.value));
      const path = `${prefix}${key}`;
      if (!allowed.includes(key)) {
        const suggestion = suggest(key, allowed);
        this.fail(
          keyLine,
          path,
          unknown,
          suggestion === undefined
            ? `use ${listOr(allowed)}`
            : `did you mean ${suggestion}? (keys: ${allowed.join(', ')})`,
        );
      }
      const valueNode = pair.value as Node | null;
      // A value's own line (a block list starts below its key), or the key's line when it is empty.
      const empty = valueNode === null || (isScalar(valueNode) && valueNode.value === null);
      const line = empty ? keyLine : this.lineOf(valueNode, keyLine);
      fields.set(key, { node: this.resolve(valueNode, path, line), path, line });
    }
    return fields;
  }

  /** A text value: a string, or a YAML number as written. Empty values and collections are errors. */
  private readText(field: Field, options: { hint: string; noSpaces?: boolean }): string {
    const node = field.node;
    if (node === null || (isScalar(node) && node.value === ''))
      this.fail(field.line, field.path, 'empty', options.hint);
    if (!isScalar(node)) {
      this.fail(field.line, field.path, `expected text, got ${this.describe(node)}`, options.hint);
    }
    const value = node.value;
    if (typeof value === 'boolean') {
      const source = node.source ?? String(value);
      this.fail(
        field.line,
        field.path,
        `${source} is a YAML boolean, not text`,
        `quote it ("${source}") if it is meant as text`,
      );
    }
    const text = typeof value === 'string' ? value : (node.source ?? String(value));
    if (options.noSpaces && /\s/.test(text)) {
      this.fail(field.line, field.path, `${JSON.stringify(text)} contains whitespace`, options.hint);
    }
    return text;
  }

  /** Follows an alias (`*name`) to its anchored node; an empty value (`key:`, `~`, `null`) is null. */
  private resolve(node: Node | null, path: string, line: number): Node | null {
    let target = node;
    if (target !== null && isAlias(target)) {
      const source = target.source;
      target = target.resolve(this.doc) ?? null;
      if (target === null)
        this.fail(line, path, `alias *${source} has no anchor`, `define &${source} before using it`);
    }
    return isScalar(target) && target.value === null ? null : target;
  }

  private describe(node: Node | null): string {
    if (node === null) return 'nothing';
    if (isMap(node)) return 'a mapping';
    if (isSeq(node)) return 'a list';
    if (isScalar(node)) {
      if (node.value === null) return 'nothing';
      if (typeof node.value === 'string') return JSON.stringify(node.value);
      return node.source ?? String(node.value);
    }
    return 'an alias';
  }

  private lineOf(node: unknown, fallback: number): number {
    const range = (node as Node | null)?.range;
    return range ? this.lineAt(range[0]) : fallback;
  }

  private lineAt(offset: number): number {
    return this.lineCounter.linePos(offset).line;
  }

  private fail(line: number, key: string, problem: string, fix: string): never {
    throw new CacheConfigError(this.file, line, key, problem, fix);
  }
}

function listOr(items: readonly string[]): string {
  return items.length <= 1
    ? (items[0] ?? '')
    : `${items.slice(0, -1).join(', ')} or ${items[items.length - 1]}`;
}

/** The allowed key a mistyped key most likely meant: same letters in another case, or at most 2 edits away. */
function suggest(key: string, allowed: readonly string[]): string | undefined {
  const lower = key.toLowerCase();
  const sameLetters = allowed.find((candidate) => candidate.toLowerCase() === lower);
  if (sameLetters !== undefined) return sameLetters;
  let best: string | undefined;
  let bestDistance = 3;
  for (const candidate of allowed) {
    const distance = editDistance(lower, candidate.toLowerCase());
    if (distance < bestDistance && distance < candidate.length) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, index) => index);
  for (let i = 1; i <= a.length; i += 1) {
    const current = [i];
    for (let j = 1; j <= b.length; j += 1) {
      const substitution = (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}
