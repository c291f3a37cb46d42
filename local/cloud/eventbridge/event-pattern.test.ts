import { compilePattern, InvalidEventPatternError, matchesPattern, validatePattern } from './event-pattern';

/** The EC2 sample event the EventBridge user guide's filtering examples are written against. */
const ec2 = {
  version: '0',
  id: 'ddddd4-aaaa-7777-4444-345dd43cc333',
  'detail-type': 'EC2 Instance State-change Notification',
  source: 'aws.ec2',
  account: '012345679012',
  time: '2017-10-02T16:24:49Z',
  region: 'us-east-1',
  resources: ['arn:aws:ec2:us-east-1:123456789012:instance/i-000000aaaaaa00000'],
  detail: {
    'c-count': 5,
    'd-count': 3,
    'x-limit': 301.8,
    'source-ip': '10.0.0.33',
    'instance-id': 'i-000000aaaaaa00000',
    state: 'running',
  },
};

/** The null / empty-string sample ("Matching events on null values and empty strings"). */
const nulls = {
  'detail-type': 'EC2 Instance Launch Successful',
  source: 'aws.autoscaling',
  resources: [],
  detail: { eventVersion: '', responseElements: null },
};

const cloudTrail = (eventName: string, readOnly = false) => ({
  version: '0',
  id: 'e1',
  'detail-type': 'AWS API Call via CloudTrail',
  source: 'aws.lambda',
  account: '123456789012',
  time: '2025-01-01T00:00:00Z',
  region: 'us-east-1',
  resources: [],
  detail: {
    eventVersion: '1.08',
    eventSource: 'lambda.amazonaws.com',
    eventName,
    readOnly,
    requestParameters: { functionName: 'HelloFunction', tags: { team: 'platform' } },
  },
});

type Case = [name: string, pattern: unknown, event: unknown, expected: boolean];

const cases: Case[] = [
  // Exact values; the array lists alternatives, fields AND together.
  ['exact string', { source: ['aws.ec2'] }, ec2, true],
  ['exact string, other value', { source: ['aws.s3'] }, ec2, false],
  ['array of values is OR', { source: ['aws.s3', 'aws.ec2'] }, ec2, true],
  [
    'several fields are AND',
    {
      source: ['aws.ec2'],
      'detail-type': ['EC2 Instance State-change Notification'],
      detail: { state: ['terminated'] },
    },
    ec2,
    false,
  ],
  ['nested field', { detail: { state: ['initializing', 'running'] } }, ec2, true],
  ['nesting must follow the event', { state: ['running'] }, ec2, false],
  ['field absent from the event', { detail: { zone: ['a'] } }, ec2, false],
  ['event array intersects pattern values', { resources: [ec2.resources[0], 'arn:x'] }, ec2, true],
  [
    'event array without the value',
    { resources: ['arn:aws:ec2:us-east-1:123456789012:instance/i-1'] },
    ec2,
    false,
  ],
  ['number matches number', { detail: { 'c-count': [5] } }, ec2, true],
  ['string "5" does not match number 5', { detail: { 'c-count': ['5'] } }, ec2, false],
  ['number spelled in exponent form', '{"detail":{"x-limit":[3.018e2]}}', ec2, true],
  ['true matches only boolean true', { flag: [true] }, { flag: 'true' }, false],
  ['boolean true', { flag: [true] }, { flag: true }, true],
  ['null matches null', { detail: { responseElements: [null] } }, nulls, true],
  ['empty string matches empty string', { detail: { eventVersion: [''] } }, nulls, true],
  ['empty string does not match null', { detail: { responseElements: [''] } }, nulls, false],
  ['null does not match empty string', { detail: { eventVersion: [null] } }, nulls, false],
  ['null does not match an absent field', { detail: { missing: [null] } }, nulls, false],

  // prefix / suffix / equals-ignore-case
  ['prefix', { time: [{ prefix: '2017-10-02' }] }, ec2, true],
  ['prefix, other date', { time: [{ prefix: '2017-10-03' }] }, ec2, false],
  ['prefix only on strings', { detail: { 'c-count': [{ prefix: '5' }] } }, ec2, false],
  ['prefix is case-sensitive', { source: [{ prefix: 'AWS.' }] }, ec2, false],
  [
    'prefix equals-ignore-case',
    { detail: { service: [{ prefix: { 'equals-ignore-case': 'EventB' } }] } },
    { detail: { service: 'EVENTBRIDGE' } },
    true,
  ],
  [
    'prefix equals-ignore-case, other prefix',
    { detail: { service: [{ prefix: { 'equals-ignore-case': 'EventB' } }] } },
    { detail: { service: 'lambda' } },
    false,
  ],
  ['suffix', { FileName: [{ suffix: '.png' }] }, { FileName: 'image.png' }, true],
  ['suffix is case-sensitive', { FileName: [{ suffix: '.png' }] }, { FileName: 'image.PNG' }, false],
  [
    'suffix equals-ignore-case',
    { detail: { FileName: [{ suffix: { 'equals-ignore-case': '.png' } }] } },
    { detail: { FileName: 'IMAGE.PNG' } },
    true,
  ],
  ['equals-ignore-case', { Name: [{ 'equals-ignore-case': 'alice' }] }, { Name: 'ALICE' }, true],
  [
    'equals-ignore-case, other name',
    { Name: [{ 'equals-ignore-case': 'alice' }] },
    { Name: 'alicia' },
    false,
  ],

  // wildcard
  [
    'wildcard in the middle',
    { source: [{ wildcard: 'Simple*Service' }] },
    { source: 'SimpleQueueService' },
    true,
  ],
  [
    'wildcard matches zero characters',
    { source: [{ wildcard: 'Simple*Service' }] },
    { source: 'SimpleService' },
    true,
  ],
  ['wildcard needs the rest', { source: [{ wildcard: 'Simple*Service' }] }, { source: 'SimpleQueue' }, false],
  ['wildcard spans slashes', { key: [{ wildcard: 'dir/*.png' }] }, { key: 'dir/a/b.png' }, true],
  ['wildcard, other extension', { key: [{ wildcard: 'dir/*.png' }] }, { key: 'dir/a.jpg' }, false],
  ['escaped asterisk is literal', { key: [{ wildcard: 'a\\*b' }] }, { key: 'a*b' }, true],
  ['escaped asterisk is not a wildcard', { key: [{ wildcard: 'a\\*b' }] }, { key: 'axxb' }, false],
  ['escaped backslash', { key: [{ wildcard: 'a\\\\*' }] }, { key: 'a\\anything' }, true],
  ['wildcard only on strings', { n: [{ wildcard: '*' }] }, { n: 5 }, false],

  // anything-but
  ['anything-but string', { detail: { state: [{ 'anything-but': 'initializing' }] } }, ec2, true],
  ['anything-but string excluded', { detail: { state: [{ 'anything-but': 'running' }] } }, ec2, false],
  ['anything-but number', { detail: { 'x-limit': [{ 'anything-but': 123 }] } }, ec2, true],
  ['anything-but number excluded', { detail: { 'x-limit': [{ 'anything-but': 301.8 }] } }, ec2, false],
  [
    'anything-but string list',
    { detail: { state: [{ 'anything-but': ['stopped', 'overloaded'] }] } },
    ec2,
    true,
  ],
  [
    'anything-but string list excluded',
    { detail: { state: [{ 'anything-but': ['stopped', 'running'] }] } },
    ec2,
    false,
  ],
  ['anything-but number list', { detail: { 'x-limit': [{ 'anything-but': [100, 200, 300] }] } }, ec2, true],
  ['anything-but number list excluded', { detail: { 'c-count': [{ 'anything-but': [1, 5] }] } }, ec2, false],
  ['anything-but prefix', { detail: { state: [{ 'anything-but': { prefix: 'init' } }] } }, ec2, true],
  [
    'anything-but prefix excluded',
    { detail: { state: [{ 'anything-but': { prefix: 'run' } }] } },
    ec2,
    false,
  ],
  [
    'anything-but prefix "aws." keeps custom sources',
    { source: [{ 'anything-but': { prefix: 'aws.' } }] },
    { source: 'com.example.orders' },
    true,
  ],
  [
    'anything-but suffix',
    { FileName: [{ 'anything-but': { suffix: '.png' } }] },
    { FileName: 'a.jpg' },
    true,
  ],
  [
    'anything-but suffix excluded',
    { FileName: [{ 'anything-but': { suffix: '.png' } }] },
    { FileName: 'a.png' },
    false,
  ],
  [
    'anything-but equals-ignore-case excluded',
    { state: [{ 'anything-but': { 'equals-ignore-case': 'initializing' } }] },
    { state: 'INITIALIZING' },
    false,
  ],
  [
    'anything-but equals-ignore-case list',
    { state: [{ 'anything-but': { 'equals-ignore-case': ['initializing', 'stopped'] } }] },
    { state: 'Running' },
    true,
  ],
  [
    'anything-but wildcard excluded',
    { FilePath: [{ 'anything-but': { wildcard: '*/lib/*' } }] },
    { FilePath: '/usr/lib/tool' },
    false,
  ],
  [
    'anything-but wildcard',
    { FilePath: [{ 'anything-but': { wildcard: '*/lib/*' } }] },
    { FilePath: '/usr/bin/tool' },
    true,
  ],
  ['anything-but needs the field', { detail: { zone: [{ 'anything-but': 'x' }] } }, ec2, false],
  [
    'anything-but on an event array: another element matches',
    { tags: [{ 'anything-but': 'x' }] },
    { tags: ['x', 'y'] },
    true,
  ],
  [
    'anything-but on an event array: all excluded',
    { tags: [{ 'anything-but': 'x' }] },
    { tags: ['x'] },
    false,
  ],

  // numeric
  [
    'numeric, the documented combination',
    {
      detail: {
        'c-count': [{ numeric: ['>', 0, '<=', 5] }],
        'd-count': [{ numeric: ['<', 10] }],
        'x-limit': [{ numeric: ['=', 3.018e2] }],
      },
    },
    ec2,
    true,
  ],
  ['numeric >', { detail: { 'c-count': [{ numeric: ['>', 5] }] } }, ec2, false],
  ['numeric >=', { detail: { 'c-count': [{ numeric: ['>=', 5] }] } }, ec2, true],
  ['numeric <', { detail: { 'c-count': [{ numeric: ['<', 5] }] } }, ec2, false],
  ['numeric <=', { detail: { 'c-count': [{ numeric: ['<=', 5] }] } }, ec2, true],
  ['numeric = with a different number', { detail: { 'c-count': [{ numeric: ['=', 6] }] } }, ec2, false],
  ['numeric range with open top', { detail: { 'c-count': [{ numeric: ['>=', 0, '<', 5] }] } }, ec2, false],
  ['numeric only on numbers', { detail: { 'instance-id': [{ numeric: ['>', 0] }] } }, ec2, false],
  ['numeric on a numeric string', { n: [{ numeric: ['=', 5] }] }, { n: '5' }, false],
  ['numeric, negative numbers', { n: [{ numeric: ['>', -10, '<', -1] }] }, { n: -5.5 }, true],

  // exists
  ['exists true', { detail: { state: [{ exists: true }] } }, ec2, true],
  ['exists true, absent', { detail: { zone: [{ exists: true }] } }, ec2, false],
  [
    'exists false, absent',
    { detail: { 'c-count': [{ exists: false }] } },
    { detail: { state: 'running' } },
    true,
  ],
  ['exists false, present', { detail: { 'c-count': [{ exists: false }] } }, ec2, false],
  [
    'exists false matches an intermediate node (not a leaf)',
    { detail: { 'c-count': [{ exists: false }] } },
    { detail: { state: ['initializing', 'running'], 'c-count': { c1: 100 } } },
    true,
  ],
  [
    'exists true does not match an object',
    { detail: { 'c-count': [{ exists: true }] } },
    { detail: { 'c-count': {} } },
    false,
  ],
  [
    'exists false when the parent is missing',
    { detail: { 'c-count': [{ exists: false }] } },
    { source: 'x' },
    true,
  ],
  ['exists true on a null value', { detail: { responseElements: [{ exists: true }] } }, nulls, true],
  ['exists false on an empty array', { resources: [{ exists: false }] }, nulls, true],
  ['exact value on an empty array', { resources: [''] }, nulls, false],

  // cidr and IP addresses
  ['cidr IPv4', { detail: { 'source-ip': [{ cidr: '10.0.0.0/24' }] } }, ec2, true],
  ['cidr IPv4 outside', { detail: { 'source-ip': [{ cidr: '10.0.1.0/24' }] } }, ec2, false],
  ['cidr on a non-IP string', { ip: [{ cidr: '10.0.0.0/8' }] }, { ip: 'localhost' }, false],
  ['cidr IPv6', { ip: [{ cidr: '2001:db8::/32' }] }, { ip: '2001:db8:85a3::8a2e:370:7334' }, true],
  ['cidr IPv6 outside', { ip: [{ cidr: '2001:db8::/32' }] }, { ip: '2001:db9::1' }, false],
  ['cidr IPv6 block vs IPv4 address', { ip: [{ cidr: '::/0' }] }, { ip: '10.0.0.1' }, false],
  [
    'exact IPv6 address, other spelling',
    { ip: ['2001:db8::1'] },
    { ip: '2001:0db8:0000:0000:0000:0000:0000:0001' },
    true,
  ],

  // several conditions in one field are OR
  ['mixed conditions in one field', { state: [{ prefix: 'stop' }, 'running'] }, { state: 'running' }, true],
  ['mixed conditions, none match', { state: [{ prefix: 'stop' }, 'running'] }, { state: 'pending' }, false],

  // $or
  ...(() => {
    const pattern = {
      source: ['aws.cloudwatch'],
      $or: [{ metricName: ['CPUUtilization', 'ReadLatency'] }, { namespace: ['AWS/EC2', 'AWS/ES'] }],
    };
    return [
      ['$or first alternative', pattern, { source: 'aws.cloudwatch', metricName: 'CPUUtilization' }, true],
      ['$or second alternative', pattern, { source: 'aws.cloudwatch', namespace: 'AWS/ES' }, true],
      ['$or no alternative', pattern, { source: 'aws.cloudwatch', metricName: 'DiskIO' }, false],
      [
        '$or still ANDs the other fields',
        pattern,
        { source: 'aws.ec2', metricName: 'CPUUtilization' },
        false,
      ],
    ] as Case[];
  })(),
  [
    '$or alternative that is itself an AND',
    { $or: [{ a: ['1'] }, { b: ['2'], c: ['3'] }] },
    { b: '2', c: '4' },
    false,
  ],
  [
    '$or nested inside detail, with numeric and exists',
    { detail: { $or: [{ 'c-count': [{ numeric: ['>', 10] }] }, { zone: [{ exists: false }] }] } },
    ec2,
    true,
  ],

  // arrays of objects: conditions must hold within one element
  ...(() => {
    const employees = {
      employees: [
        { firstName: 'John', lastName: 'Doe' },
        { firstName: 'Anna', lastName: 'Smith' },
        { firstName: 'Peter', lastName: 'Jones' },
      ],
    };
    return [
      ['object inside an array', { employees: { firstName: ['Anna'] } }, employees, true],
      [
        'two fields of the same element',
        { employees: { firstName: ['Anna'], lastName: ['Smith'] } },
        employees,
        true,
      ],
      [
        'two fields from different elements do not combine',
        { employees: { firstName: ['Anna'], lastName: ['Jones'] } },
        employees,
        false,
      ],
      [
        'nested arrays are flattened',
        { employees: { firstName: ['Peter'] } },
        { employees: [[{ firstName: 'John' }], [{ firstName: 'Peter' }]] },
        true,
      ],
    ] as Case[];
  })(),

  // CloudTrail-shaped events, as the local Lambda control plane emits them
  [
    'CloudTrail CreateFunction',
    {
      source: ['aws.lambda'],
      'detail-type': ['AWS API Call via CloudTrail'],
      detail: {
        eventSource: ['lambda.amazonaws.com'],
        eventName: [{ prefix: 'CreateFunction' }, { prefix: 'TagResource' }],
      },
    },
    cloudTrail('CreateFunction20150331'),
    true,
  ],
  [
    'CloudTrail DeleteFunction not in the list',
    { source: ['aws.lambda'], detail: { eventName: [{ prefix: 'CreateFunction' }] } },
    cloudTrail('DeleteFunction20150331'),
    false,
  ],
  [
    'CloudTrail nested request parameters',
    { detail: { requestParameters: { tags: { team: [{ exists: true }] } } } },
    cloudTrail('TagResource20170331v2'),
    true,
  ],
];

describe('matchesPattern', () => {
  test('covers at least 40 cases', () => expect(cases.length).toBeGreaterThanOrEqual(40));

  test.each(cases)('%s', (_name, pattern, event, expected) => {
    expect(matchesPattern(pattern, event)).toBe(expected);
  });

  test('a compiled pattern can be reused and reports its source', () => {
    const compiled = compilePattern('{"source":["aws.ec2"]}');
    expect(compiled.source).toEqual({ source: ['aws.ec2'] });
    expect(compiled.matches(ec2)).toBe(true);
    expect(compiled.matches({ ...ec2, source: 'aws.s3' })).toBe(false);
  });

  test('an invalid pattern throws InvalidEventPatternError', () => {
    expect(() => matchesPattern({ source: [] }, ec2)).toThrow(InvalidEventPatternError);
  });
});

describe('validatePattern', () => {
  test('valid patterns give undefined', () => {
    for (const [, pattern] of cases) expect(validatePattern(pattern)).toBeUndefined();
  });

  const invalid: [pattern: unknown, message: RegExp][] = [
    ['{"source": ["aws.ec2"]', /Filter is not valid JSON/],
    ['[1, 2]', /Filter is not an object/],
    [null, /Filter is not an object/],
    [{}, /Empty objects are not allowed/],
    [{ detail: {} }, /Empty objects are not allowed \(at detail\)/],
    [{ source: [] }, /Empty arrays are not allowed \(at source\)/],
    [{ source: 'aws.ec2' }, /"source" must be an object or an array/],
    [{ source: [['aws.ec2']] }, /Match value must be String, number, true, false, or null/],
    [{ source: [{}] }, /Match expression name not found/],
    [{ source: [{ prefix: 'a', suffix: 'b' }] }, /Only one key allowed in match expression/],
    [{ source: [{ regex: 'a.*' }] }, /Unrecognized match type regex/],
    [{ source: [{ prefix: 5 }] }, /prefix match pattern must be a string/],
    [
      { source: [{ suffix: { lowercase: 'x' } }] },
      /suffix takes a string or \{ "equals-ignore-case": string \}/,
    ],
    [{ source: [{ 'equals-ignore-case': ['a'] }] }, /equals-ignore-case match pattern must be a string/],
    [{ source: [{ wildcard: 'a**b' }] }, /Consecutive wildcard characters at pos 1/],
    [{ source: [{ wildcard: 'a\\b' }] }, /Invalid escape character at pos 1/],
    [{ source: [{ wildcard: 5 }] }, /wildcard match pattern must be a string/],
    [
      { source: [{ 'anything-but': null }] },
      /Value of anything-but must be an array or single string\/number value/,
    ],
    [{ source: [{ 'anything-but': ['a', 1] }] }, /mixed type is not supported/],
    [{ source: [{ 'anything-but': [true] }] }, /null and booleans are not supported/],
    [{ source: [{ 'anything-but': { exists: true } }] }, /Unsupported anything-but pattern: exists/],
    [{ source: [{ 'anything-but': { prefix: '' } }] }, /Null prefix\/suffix not allowed/],
    [
      { source: [{ 'anything-but': { suffix: [1] } }] },
      /anything-but\/suffix match pattern must be a string/,
    ],
    [{ n: [{ numeric: '>5' }] }, /Value of numeric must be an array/],
    [{ n: [{ numeric: [] }] }, /Invalid member in numeric match/],
    [{ n: [{ numeric: ['!=', 5] }] }, /Unrecognized numeric range operator: !=/],
    [{ n: [{ numeric: ['<', 'ten'] }] }, /Value of < must be numeric/],
    [{ n: [{ numeric: ['=', 5, '<', 10] }] }, /Too many elements in numeric expression/],
    [{ n: [{ numeric: ['>', 0, '>', 5] }] }, /Bad numeric range operator: >/],
    [{ n: [{ numeric: ['>', 10, '<', 5] }] }, /Bottom must be less than top/],
    [{ n: [{ numeric: ['>', 0, '<', 5, '<', 6] }] }, /Too many terms in numeric range expression/],
    [{ n: [{ exists: 'yes' }] }, /exists match pattern must be either true or false/],
    [{ ip: [{ cidr: '10.0.0.0' }] }, /Malformed CIDR, one '\/' required/],
    [{ ip: [{ cidr: '10.0.0.0/x' }] }, /mask bits must be an integer/],
    [{ ip: [{ cidr: '10.0.0/8' }] }, /Nonstandard IP address: 10.0.0/],
    [{ ip: [{ cidr: '10.0.0.0/33' }] }, /mask bits must be between 0 and 32/],
    [{ $or: [{ a: ['1'] }] }, /\$or needs at least 2 objects/],
    [{ $or: { a: ['1'] } }, /\$or must be followed by an array of objects/],
    [{ $or: [{ a: ['1'] }, 'b'] }, /Only JSON objects are allowed in the array of \$or/],
    [
      { $or: [{ a: ['1'] }, { prefix: ['b'] }] },
      /"prefix" is a match type and can't be used as a field name inside \$or/,
    ],
  ];

  test.each(invalid)('%j is rejected', (pattern, message) => {
    const error = validatePattern(pattern);
    expect(error).toMatch(/^Event pattern is not valid\. Reason: /);
    expect(error).toMatch(message);
  });

  test('the error carries the InvalidEventPatternException code and the field path', () => {
    try {
      compilePattern({ detail: { state: [{ numeric: ['<'] }] } });
      throw new Error('expected a failure');
    } catch (e) {
      expect(e).toBeInstanceOf(InvalidEventPatternError);
      expect((e as InvalidEventPatternError).code).toBe('InvalidEventPatternException');
      expect((e as InvalidEventPatternError).path).toBe('detail.state');
    }
  });
});
