import type { CacheConfigFile } from './cache-config';
import { CacheConfigError } from './cache-config';
import { parseCacheConfig } from './config-file';

/** The aws-samples cache-extension-demo's example config.yaml. */
const DEMO_CONFIG = `parameters:
  - region: us-west-2
    names:
      - CacheExtensions_Parameter1
dynamodb:
  - table: DynamoDbTable
    hashkey: pKey
    hashkeytype: S
    hashkeyvalue: pKey1
    sortkey: sKey
    sortkeytype: S
    sortkeyvalue: sKey1
    region: us-west-2
`;

const EMPTY: CacheConfigFile = { parameters: [], secrets: [], dynamodb: [] };

function parse(text: string): CacheConfigFile {
  return parseCacheConfig(text, 'config.yaml');
}

function errorOf(text: string): CacheConfigError {
  try {
    parse(text);
  } catch (error) {
    if (error instanceof CacheConfigError) return error;
    throw error;
  }
  throw new Error('expected a CacheConfigError');
}

/** A one-item dynamodb list with the given extra lines (each indented under the item). */
function dynamo(...lines: string[]): string {
  return `dynamodb:\n  - table: T\n${lines.map((line) => `    ${line}\n`).join('')}`;
}

describe('parseCacheConfig', () => {
  it("parses the demo's example config", () => {
    expect(parse(DEMO_CONFIG)).toEqual({
      parameters: [{ kind: 'parameter', name: 'CacheExtensions_Parameter1', region: 'us-west-2' }],
      secrets: [],
      dynamodb: [
        {
          kind: 'dynamodb',
          name: 'DynamoDbTable-pKey1-sKey1',
          table: 'DynamoDbTable',
          hashKey: { name: 'pKey', type: 'S', value: 'pKey1' },
          sortKey: { name: 'sKey', type: 'S', value: 'sKey1' },
          region: 'us-west-2',
        },
      ],
    });
  });

  it.each([
    ['an empty file', ''],
    ['only comments', '# nothing cached yet\n'],
    ['a null document', '~\n'],
    ['empty keys', 'parameters:\ndynamodb:\nsecrets:\n'],
    ['empty lists', 'parameters: []\ndynamodb: []\nsecrets: []\n'],
  ])('reads %s as an empty config', (_, text) => {
    expect(parse(text)).toEqual(EMPTY);
  });

  it('reads every optional field', () => {
    const config = parse(`parameters:
  - region: eu-west-1
    ttl: 5m
    names:
      - /app/a
      - name: /app/b
        ttl: 30s
      - { name: /aws/reference/secretsmanager/prod/db }
  - names: [/app/c]
dynamodb:
  - table: Orders
    hashkey: id
    hashkeytype: N
    hashkeyvalue: 42
    region: us-gov-west-1
    ttl: 1h30m
  - table: Blobs
    hashkey: k
    hashkeytype: B
    hashkeyvalue: AQID
    sortkey: v
    sortkeytype: N
    sortkeyvalue: -1.5E+3
secrets:
  - id: prod/db
  - id: arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/db-AbCdEf
    versionStage: AWSPREVIOUS
    region: us-east-1
    ttl: 1.5h
`);
    expect(config).toEqual({
      parameters: [
        { kind: 'parameter', name: '/app/a', region: 'eu-west-1', ttlMs: 300_000 },
        { kind: 'parameter', name: '/app/b', region: 'eu-west-1', ttlMs: 30_000 },
        {
          kind: 'parameter',
          name: '/aws/reference/secretsmanager/prod/db',
          region: 'eu-west-1',
          ttlMs: 300_000,
        },
        { kind: 'parameter', name: '/app/c' },
      ],
      dynamodb: [
        {
          kind: 'dynamodb',
          name: 'Orders-42',
          table: 'Orders',
          hashKey: { name: 'id', type: 'N', value: '42' },
          region: 'us-gov-west-1',
          ttlMs: 5_400_000,
        },
        {
          kind: 'dynamodb',
          name: 'Blobs-AQID--1.5E+3',
          table: 'Blobs',
          hashKey: { name: 'k', type: 'B', value: 'AQID' },
          sortKey: { name: 'v', type: 'N', value: '-1.5E+3' },
        },
      ],
      secrets: [
        { kind: 'secret', id: 'prod/db' },
        {
          kind: 'secret',
          id: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/db-AbCdEf',
          versionStage: 'AWSPREVIOUS',
          region: 'us-east-1',
          ttlMs: 5_400_000,
        },
      ],
    });
    // No undefined-valued properties are set.
    expect(Object.keys(config.parameters[3] ?? {})).toEqual(['kind', 'name']);
  });

  it('keeps YAML numbers as written', () => {
    const config = parse(
      dynamo(
        'hashkey: k',
        'hashkeytype: S',
        'hashkeyvalue: 007',
        'sortkey: s',
        'sortkeytype: N',
        'sortkeyvalue: 1.50',
      ) + 'parameters:\n  - names: [123, 0x1F]\n    ttl: 0\n',
    );
    expect(config.dynamodb[0]?.name).toBe('T-007-1.50');
    expect(config.dynamodb[0]?.hashKey.value).toBe('007');
    expect(config.parameters.map((p) => [p.name, p.ttlMs])).toEqual([
      ['123', 0],
      ['0x1F', 0],
    ]);
  });

  it('accepts quoted text and aliases', () => {
    const config = parse(`parameters:
  - region: &west us-west-2
    ttl: &short 30s
    names: ["true", "0x1F"]
secrets:
  - id: s
    region: *west
    ttl: *short
`);
    expect(config.parameters.map((p) => p.name)).toEqual(['true', '0x1F']);
    expect(config.secrets).toEqual([{ kind: 'secret', id: 's', region: 'us-west-2', ttlMs: 30_000 }]);
  });

  it.each([
    ['0', true],
    ['-0.0', true],
    ['+12', true],
    ['.5', true],
    ['5.', true],
    ['1e3', true],
    ['-9.9999999999999999999999999999999999999E+125', true],
    ['1E-130', true],
    ['0.00012345678901234567890123456789012345678', true],
    ['12345678901234567890123456789012345678', true],
    ['1E+126', false],
    ['1E-131', false],
    ['0.001E-128', false],
    ['123456789012345678901234567890123456789', false],
    ['abc', false],
    ['1,000', false],
    ['0x1F', false],
    ['.', false],
    ['1e', false],
    ['.inf', false],
  ])('N value %s valid: %s', (value, valid) => {
    const text = dynamo('hashkey: k', 'hashkeytype: N', `hashkeyvalue: "${value}"`);
    if (valid) expect(parse(text).dynamodb[0]?.hashKey.value).toBe(value);
    else expect(errorOf(text).key).toBe('dynamodb[0].hashkeyvalue');
  });

  it.each([
    ['AQID', true],
    ['AQIDBA==', true],
    ['AQIDBAU=', true],
    ['+/+/', true],
    ['AQIDBA', false],
    ['AQ=D', false],
    ['-_-_', false],
    ['A', false],
    ['AQID\\n', false],
  ])('B value %s valid: %s', (value, valid) => {
    const text = dynamo('hashkey: k', 'hashkeytype: B', `hashkeyvalue: "${value}"`);
    if (valid) expect(parse(text).dynamodb[0]?.hashKey.value).toBe(value);
    else expect(errorOf(text).key).toBe('dynamodb[0].hashkeyvalue');
  });

  it.each([
    ['us-east-1', true],
    ['ap-southeast-2', true],
    ['cn-northwest-1', true],
    ['us-isob-east-1', true],
    ['eusc-de-east-1', true],
    ['us-east', false],
    ['US-EAST-1', false],
    ['useast1', false],
    ['local', false],
  ])('region %s valid: %s', (region, valid) => {
    const text = `secrets:\n  - id: s\n    region: ${region}\n`;
    if (valid) expect(parse(text).secrets[0]?.region).toBe(region);
    else
      expect(errorOf(text).message).toBe(
        `config.yaml:3: secrets[0].region: "${region}" is not an AWS region; use an AWS region name such as us-east-1 or eu-west-2`,
      );
  });

  describe('errors', () => {
    it('carries file, line and key', () => {
      const error = errorOf(dynamo('hashkey: k', 'hashkeytype: X', 'hashkeyvalue: v'));
      expect(error).toBeInstanceOf(CacheConfigError);
      expect(error.file).toBe('config.yaml');
      expect(error.line).toBe(4);
      expect(error.key).toBe('dynamodb[0].hashkeytype');
      expect(error.message).toBe(
        'config.yaml:4: dynamodb[0].hashkeytype: "X" is not a DynamoDB key type; use S, N or B',
      );
    });

    it.each([
      // YAML syntax
      [
        'an unclosed flow list',
        'parameters:\n  - names: [a, b\nsecrets: []\n',
        'config.yaml:3: (yaml syntax): Flow sequence in block collection must be sufficiently indented and end with a ]; fix the YAML syntax on this line',
      ],
      [
        'a duplicate key',
        'secrets: []\nparameters: []\nsecrets: []\n',
        'config.yaml:3: (yaml syntax): Map keys must be unique; write each key once per mapping',
      ],
      [
        'a tab indent',
        'parameters:\n\t- names: [a]\n',
        'config.yaml:2: (yaml syntax): Tabs are not allowed as indentation; indent with spaces',
      ],
      [
        'two documents',
        'parameters: []\n---\nsecrets: []\n',
        'config.yaml:2: (yaml syntax): a second YAML document starts here; keep one document: remove this ---',
      ],
      [
        'a nested compact mapping',
        'secrets:\n  - id: a: b\n',
        'config.yaml:2: (yaml syntax): Nested mappings are not allowed in compact mappings; fix the YAML syntax on this line',
      ],
      [
        'an alias without anchor',
        'secrets:\n  - id: s\n    region: *west\n',
        'config.yaml:3: secrets[0].region: alias *west has no anchor; define &west before using it',
      ],
      // top level
      [
        'a list at the top',
        '- names: [a]\n',
        'config.yaml:1: (top level): expected a mapping with parameters, dynamodb or secrets, got a list; start the file with parameters:, dynamodb: or secrets:',
      ],
      [
        'a scalar at the top',
        'hello\n',
        'config.yaml:1: (top level): expected a mapping with parameters, dynamodb or secrets, got "hello"; start the file with parameters:, dynamodb: or secrets:',
      ],
      [
        'an unknown top-level key',
        'parameters: []\ncache: []\n',
        'config.yaml:2: cache: unknown top-level key; use parameters, dynamodb or secrets',
      ],
      [
        'a top-level key in the wrong case',
        'Secrets: []\n',
        'config.yaml:1: Secrets: unknown top-level key; did you mean secrets? (keys: parameters, dynamodb, secrets)',
      ],
      [
        'a mapping instead of a list',
        'parameters:\n  names: [a]\n',
        'config.yaml:2: parameters: expected a list of parameter groups, got a mapping; write each entry on its own line starting with "- "',
      ],
      // parameters
      [
        'a group that is a scalar',
        'parameters:\n  - /app/a\n',
        'config.yaml:2: parameters[0]: expected a parameter group with names and optionally region and ttl, got "/app/a"; write the group as names: [<parameter name>, ...] with optional region: and ttl:',
      ],
      [
        'a group without names',
        'parameters:\n  - region: us-east-1\n',
        'config.yaml:2: parameters[0].names: missing; add names: with a list of parameter names',
      ],
      [
        'name instead of names',
        'parameters:\n  - region: us-east-1\n    name: /a\n',
        'config.yaml:3: parameters[0].name: unknown key; did you mean names? (keys: region, names, ttl)',
      ],
      [
        'an unknown group key',
        'parameters:\n  - names: [a]\n    withDecryption: true\n',
        'config.yaml:3: parameters[0].withDecryption: unknown key; use region, names or ttl',
      ],
      [
        'empty names',
        'parameters:\n  - names:\n',
        'config.yaml:2: parameters[0].names: no parameter names; list at least one name or remove the group',
      ],
      [
        'an empty names list',
        'parameters:\n  - names: []\n',
        'config.yaml:2: parameters[0].names: no parameter names; list at least one name or remove the group',
      ],
      [
        'names as a scalar',
        'parameters:\n  - names: /app/a\n',
        'config.yaml:2: parameters[0].names: expected a list of parameter names, got "/app/a"; write each entry on its own line starting with "- "',
      ],
      [
        'an empty name',
        'parameters:\n  - names:\n      - /a\n      - ""\n',
        'config.yaml:4: parameters[0].names[1]: empty; write the parameter name, e.g. /my/app/param, or name: <parameter name> with ttl: <duration>',
      ],
      [
        'a null name',
        'parameters:\n  - names:\n      - /a\n      -\n',
        'config.yaml:4: parameters[0].names[1]: empty; write the parameter name, e.g. /my/app/param, or name: <parameter name> with ttl: <duration>',
      ],
      [
        'a name with a space',
        'parameters:\n  - names: ["my param"]\n',
        'config.yaml:2: parameters[0].names[0]: "my param" contains whitespace; write the parameter name, e.g. /my/app/param, or name: <parameter name> with ttl: <duration>',
      ],
      [
        'a boolean name',
        'parameters:\n  - names: [yes, true]\n',
        'config.yaml:2: parameters[0].names[1]: true is a YAML boolean, not text; quote it ("true") if it is meant as text',
      ],
      [
        'a list as a name',
        'parameters:\n  - names:\n      - [a, b]\n',
        'config.yaml:3: parameters[0].names[0]: expected text, got a list; write the parameter name, e.g. /my/app/param, or name: <parameter name> with ttl: <duration>',
      ],
      [
        'a name mapping without name',
        'parameters:\n  - names:\n      - ttl: 5s\n',
        'config.yaml:3: parameters[0].names[0].name: missing; add name: <parameter name>',
      ],
      [
        'a name mapping with an unknown key',
        'parameters:\n  - names:\n      - name: /a\n        region: us-east-1\n',
        'config.yaml:4: parameters[0].names[0].region: unknown key; use name or ttl',
      ],
      [
        'a group ttl without unit',
        'parameters:\n  - names: [a]\n    ttl: 10\n',
        'config.yaml:3: parameters[0].ttl: "10" has no unit after 10; give every number a unit (ns, us, ms, s, m or h), e.g. 30s, 5m, 1h30m or 300ms',
      ],
      [
        'a name ttl in days',
        'parameters:\n  - names:\n      - name: /a\n        ttl: 1d\n',
        'config.yaml:4: parameters[0].names[0].ttl: "1d" has unknown unit "d"; use ns, us, ms, s, m or h, e.g. 90s, 5m or 24h (there is no day unit)',
      ],
      [
        'a negative ttl',
        'secrets:\n  - id: s\n    ttl: -5s\n',
        'config.yaml:3: secrets[0].ttl: "-5s" is negative, which is not a valid TTL; use zero or a positive duration, e.g. 5s or 10m',
      ],
      [
        'an empty ttl',
        'secrets:\n  - id: s\n    ttl:\n',
        'config.yaml:3: secrets[0].ttl: empty; write a Go duration, e.g. 30s, 5m, 1h30m or 300ms',
      ],
      [
        'a bad group region',
        'parameters:\n  - names: [a]\n    region: us-east\n',
        'config.yaml:3: parameters[0].region: "us-east" is not an AWS region; use an AWS region name such as us-east-1 or eu-west-2',
      ],
      [
        'a duplicate parameter name in a group',
        'parameters:\n  - names:\n      - /a\n      - /b\n      - /a\n',
        'config.yaml:5: parameters[0].names[2]: "/a" is already listed at line 3 (parameters[0].names[0]); list each parameter once',
      ],
      [
        'a duplicate parameter name across groups and regions',
        'parameters:\n  - region: us-east-1\n    names: [/a]\n  - region: eu-west-1\n    names:\n      - name: /a\n        ttl: 5s\n',
        'config.yaml:6: parameters[1].names[0].name: "/a" is already listed at line 3 (parameters[0].names[0]); list each parameter once',
      ],
      // dynamodb
      [
        'an item without table',
        'dynamodb:\n  - hashkey: k\n    hashkeytype: S\n    hashkeyvalue: v\n',
        'config.yaml:2: dynamodb[0].table: missing; add table: <table name>',
      ],
      [
        'an item without hashkey',
        dynamo('hashkeytype: S', 'hashkeyvalue: v'),
        'config.yaml:2: dynamodb[0].hashkey: missing; add hashkey: <partition key attribute name>',
      ],
      [
        'an item without hashkeytype',
        dynamo('hashkey: k', 'hashkeyvalue: v'),
        'config.yaml:2: dynamodb[0].hashkeytype: missing; add hashkeytype: S, N or B',
      ],
      [
        'an item without hashkeyvalue',
        dynamo('hashkey: k', 'hashkeytype: S'),
        'config.yaml:2: dynamodb[0].hashkeyvalue: missing; add hashkeyvalue: <partition key value>',
      ],
      [
        'an empty hashkeyvalue',
        dynamo('hashkey: k', 'hashkeytype: S', 'hashkeyvalue: ""'),
        "config.yaml:5: dynamodb[0].hashkeyvalue: empty; write the partition key's value",
      ],
      [
        'a lowercase key type',
        dynamo('hashkey: k', 'hashkeytype: s', 'hashkeyvalue: v'),
        'config.yaml:4: dynamodb[0].hashkeytype: "s" is not a DynamoDB key type; use S, N or B',
      ],
      [
        'a camel-case key',
        dynamo('hashKey: k'),
        'config.yaml:3: dynamodb[0].hashKey: unknown key; did you mean hashkey? (keys: table, hashkey, hashkeytype, hashkeyvalue, sortkey, sortkeytype, sortkeyvalue, region, ttl)',
      ],
      [
        'a table name with a space',
        'dynamodb:\n  - table: My Table\n',
        'config.yaml:2: dynamodb[0].table: "My Table" contains whitespace; write the table name, e.g. DynamoDbTable',
      ],
      [
        'a non-number N value',
        dynamo('hashkey: k', 'hashkeytype: N', 'hashkeyvalue: abc'),
        'config.yaml:5: dynamodb[0].hashkeyvalue: "abc" is not a DynamoDB number; write a number such as 42, -7.5 or 1.2E+3',
      ],
      [
        'an N value with too many digits',
        dynamo('hashkey: k', 'hashkeytype: N', 'hashkeyvalue: 1234567890123456789012345678901234567890'),
        'config.yaml:5: dynamodb[0].hashkeyvalue: "1234567890123456789012345678901234567890" has 39 significant digits, more than DynamoDB\'s 38; round it to at most 38 significant digits or use type S',
      ],
      [
        'an N value out of range',
        dynamo('hashkey: k', 'hashkeytype: N', 'hashkeyvalue: 1e200'),
        'config.yaml:5: dynamodb[0].hashkeyvalue: "1e200" is outside DynamoDB\'s number range; use a magnitude from 1E-130 up to 9.9999999999999999999999999999999999999E+125, or type S',
      ],
      [
        'a B value that is not base64',
        dynamo('hashkey: k', 'hashkeytype: B', 'hashkeyvalue: not-base64'),
        'config.yaml:5: dynamodb[0].hashkeyvalue: "not-base64" is not base64; write a binary key value in standard base64 with = padding, e.g. AQID',
      ],
      [
        'a bad sortkeytype',
        dynamo(
          'hashkey: k',
          'hashkeytype: S',
          'hashkeyvalue: v',
          'sortkey: s',
          'sortkeytype: BOOL',
          'sortkeyvalue: x',
        ),
        'config.yaml:7: dynamodb[0].sortkeytype: "BOOL" is not a DynamoDB key type; use S, N or B',
      ],
      [
        'a sortkey alone',
        dynamo('hashkey: k', 'hashkeytype: S', 'hashkeyvalue: v', 'sortkey: s'),
        'config.yaml:2: dynamodb[0].sortkeytype: missing while sortkey is set; set sortkey, sortkeytype and sortkeyvalue together, or none of them',
      ],
      [
        'a sortkeyvalue missing',
        dynamo('hashkey: k', 'hashkeytype: S', 'hashkeyvalue: v', 'sortkey: s', 'sortkeytype: S'),
        'config.yaml:2: dynamodb[0].sortkeyvalue: missing while sortkey and sortkeytype are set; set sortkey, sortkeytype and sortkeyvalue together, or none of them',
      ],
      [
        'a sortkeyvalue alone',
        dynamo('hashkey: k', 'hashkeytype: S', 'hashkeyvalue: v', 'sortkeyvalue: 1'),
        'config.yaml:2: dynamodb[0].sortkey: missing while sortkeyvalue is set; set sortkey, sortkeytype and sortkeyvalue together, or none of them',
      ],
      [
        'a duplicate item name',
        dynamo('hashkey: k', 'hashkeytype: S', 'hashkeyvalue: a-b') +
          '  - table: T-a\n    hashkey: k\n    hashkeytype: S\n    hashkeyvalue: b\n',
        'config.yaml:6: dynamodb[1]: item name "T-a-b" is already listed at line 2 (dynamodb[0]); give each item a different table, hashkeyvalue or sortkeyvalue',
      ],
      [
        'a bad item region',
        dynamo('hashkey: k', 'hashkeytype: S', 'hashkeyvalue: v', 'region: Frankfurt'),
        'config.yaml:6: dynamodb[0].region: "Frankfurt" is not an AWS region; use an AWS region name such as us-east-1 or eu-west-2',
      ],
      // secrets
      [
        'a secret without id',
        'secrets:\n  - versionStage: AWSCURRENT\n',
        'config.yaml:2: secrets[0].id: missing; add id: <secret name or ARN>',
      ],
      [
        'a secret as a scalar',
        'secrets:\n  - prod/db\n',
        'config.yaml:2: secrets[0]: expected a secret with id and optionally versionStage, region and ttl, got "prod/db"; write the secret as id: <name or ARN> with optional versionStage:, region: and ttl:',
      ],
      [
        'a lowercase versionstage',
        'secrets:\n  - id: s\n    versionstage: AWSCURRENT\n',
        'config.yaml:3: secrets[0].versionstage: unknown key; did you mean versionStage? (keys: id, versionStage, region, ttl)',
      ],
      [
        'an empty versionStage',
        'secrets:\n  - id: s\n    versionStage:\n',
        'config.yaml:3: secrets[0].versionStage: empty; write a staging label such as AWSCURRENT',
      ],
      [
        'a duplicate secret',
        'secrets:\n  - id: prod/db\n  - id: prod/db\n',
        'config.yaml:3: secrets[1].id: secret "prod/db" is already listed at line 2 (secrets[0].id); list each secret once per versionStage',
      ],
      [
        'a duplicate secret, once with the default stage spelt out',
        'secrets:\n  - id: prod/db\n  - id: prod/db\n    versionStage: AWSCURRENT\n',
        'config.yaml:3: secrets[1].id: secret "prod/db" at "AWSCURRENT" is already listed at line 2 (secrets[0].id); list each secret once per versionStage',
      ],
    ])('reports %s', (_, text, message) => {
      const error = errorOf(text);
      expect(error.message).toBe(message);
      expect(error.message).not.toContain('\n');
      expect(error.line).toBe(Number(/^config\.yaml:(\d+):/.exec(message)?.[1]));
    });
  });

  it('allows the same secret at different stages and the same name in different kinds', () => {
    const config = parse(`parameters:
  - names: [prod/db]
secrets:
  - id: prod/db
  - id: prod/db
    versionStage: AWSPREVIOUS
`);
    expect(config.secrets).toHaveLength(2);
    expect(config.parameters).toHaveLength(1);
  });

  it('names the file it was given', () => {
    expect(() => parseCacheConfig('nope: 1\n', '/var/task/config.yaml')).toThrow(
      '/var/task/config.yaml:1: nope: unknown top-level key; use parameters, dynamodb or secrets',
    );
  });
});
