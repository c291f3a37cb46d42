import type { Server } from 'node:http';
import {
  DeleteParameterCommand,
  DeleteParametersCommand,
  DescribeParametersCommand,
  GetParameterCommand,
  GetParametersByPathCommand,
  GetParametersCommand,
  LabelParameterVersionCommand,
  PutParameterCommand,
  SSMClient,
  SendCommandCommand,
  type GetParametersByPathCommandInput,
  type PutParameterCommandInput,
} from '@aws-sdk/client-ssm';
import { startAwsJsonServer } from '../aws-json-protocol';
import { ParameterStore, type ParameterStoreOptions } from './parameter-store';
import { ssmService, type ReferencedSecret, type SsmServiceOptions } from './ssm-service';

const servers: Server[] = [];

async function start(storeOptions: ParameterStoreOptions = {}, serviceOptions: SsmServiceOptions = {}) {
  const { server, endpoint } = await startAwsJsonServer(
    ssmService(new ParameterStore(storeOptions), serviceOptions),
  );
  servers.push(server);
  const client = new SSMClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'AKIDLOCAL', secretAccessKey: 'local' },
    maxAttempts: 1,
  });
  return { client, endpoint };
}

afterAll(async () => {
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
});

/** The SDK's error for a call that AWS refuses: its name is the AWS error code. */
async function failure(call: Promise<unknown>): Promise<{ name: string; message: string; status?: number }> {
  try {
    await call;
  } catch (e) {
    const err = e as { name: string; message: string; $metadata?: { httpStatusCode?: number } };
    return { name: err.name, message: err.message, status: err.$metadata?.httpStatusCode };
  }
  throw new Error('expected the call to fail');
}

async function expectError(call: Promise<unknown>, name: string, message?: string | RegExp) {
  const err = await failure(call);
  expect(err).toMatchObject({ name, status: 400 });
  if (message !== undefined) expect(err.message).toMatch(message);
}

let ssm: SSMClient;
let endpoint: string;

const put = (input: PutParameterCommandInput) => ssm.send(new PutParameterCommand(input));
const get = (Name: string, WithDecryption?: boolean) =>
  ssm.send(new GetParameterCommand({ Name, WithDecryption })).then((r) => r.Parameter!);
const label = (Name: string, Labels: string[], ParameterVersion?: number) =>
  ssm.send(new LabelParameterVersionCommand({ Name, Labels, ParameterVersion }));

beforeAll(async () => {
  ({ client: ssm, endpoint } = await start());
});

describe('PutParameter and GetParameter', () => {
  it('creates version 1 and reads it back with AWS field names and types', async () => {
    const before = Date.now();
    await expect(put({ Name: '/basic/one', Value: 'v1', Type: 'String' })).resolves.toMatchObject({
      Version: 1,
      Tier: 'Standard',
    });
    const p = await get('/basic/one');
    expect(p).toMatchObject({
      Name: '/basic/one',
      Type: 'String',
      Value: 'v1',
      Version: 1,
      DataType: 'text',
      ARN: 'arn:aws:ssm:us-east-1:123456789012:parameter/basic/one',
    });
    expect(p.Selector).toBeUndefined();
    expect(p.LastModifiedDate).toBeInstanceOf(Date);
    expect(p.LastModifiedDate!.getTime()).toBeGreaterThanOrEqual(before - 1000);
    expect(p.LastModifiedDate!.getTime()).toBeLessThanOrEqual(Date.now() + 1000);
  });

  it('builds the ARN of a name without a hierarchy the same way', async () => {
    await put({ Name: 'flat-name', Value: 'x', Type: 'StringList' });
    const p = await get('flat-name');
    expect(p).toMatchObject({
      Type: 'StringList',
      ARN: 'arn:aws:ssm:us-east-1:123456789012:parameter/flat-name',
    });
    await expect(get(p.ARN!)).resolves.toMatchObject({ Name: 'flat-name' });
  });

  it('refuses to overwrite without Overwrite, and counts versions up with it', async () => {
    await put({ Name: '/ow/p', Value: 'a', Type: 'String' });
    await expectError(put({ Name: '/ow/p', Value: 'b', Type: 'String' }), 'ParameterAlreadyExists');
    await expect(put({ Name: '/ow/p', Value: 'b', Overwrite: true })).resolves.toMatchObject({ Version: 2 });
    await expect(put({ Name: '/ow/p', Value: 'c', Overwrite: true })).resolves.toMatchObject({ Version: 3 });
    await expect(get('/ow/p')).resolves.toMatchObject({ Value: 'c', Version: 3, Type: 'String' });
  });

  it('requires a Type for a new parameter and a valid one always', async () => {
    await expectError(
      put({ Name: '/type/none', Value: 'a' }),
      'ValidationException',
      /parameter type is required/,
    );
    await expectError(
      put({ Name: '/type/bad', Value: 'a', Type: 'Number' as never }),
      'ValidationException',
      /enum value set/,
    );
    await expectError(put({ Name: '/type/empty', Value: '', Type: 'String' }), 'ValidationException');
  });

  it('answers ParameterNotFound for a missing parameter', async () => {
    await expectError(get('/does/not/exist'), 'ParameterNotFound');
  });
});

describe('name rules', () => {
  it.each(['awsThing', 'SSM-value', '/aws/x', '/Ssm/y', '/AWSome/z'])(
    'refuses the reserved prefix of %s',
    async (Name) => {
      await expectError(
        put({ Name, Value: 'x', Type: 'String' }),
        'ValidationException',
        /prefixed with "aws" or "ssm"/,
      );
    },
  );

  it('wants a leading slash on a name with a hierarchy', async () => {
    await expectError(
      put({ Name: 'no/leading', Value: 'x', Type: 'String' }),
      'ValidationException',
      'Parameter name must be a fully qualified name.',
    );
  });

  it('allows only a-zA-Z0-9_.- between slashes', async () => {
    await expectError(put({ Name: '/bad name', Value: 'x', Type: 'String' }), 'ValidationException');
    await expectError(put({ Name: '/bad/na*me', Value: 'x', Type: 'String' }), 'ValidationException');
    await expectError(put({ Name: '/double//slash', Value: 'x', Type: 'String' }), 'ValidationException');
    await expect(put({ Name: '/Ok_.-/fine-1.2_3', Value: 'x', Type: 'String' })).resolves.toMatchObject({
      Version: 1,
    });
  });

  it('drops the spaces around a name', async () => {
    await put({ Name: '  /spaced/name  ', Value: 'x', Type: 'String' });
    await expect(get('/spaced/name')).resolves.toMatchObject({ Name: '/spaced/name' });
  });

  it('allows 15 levels and no more', async () => {
    const levels = (n: number) => Array.from({ length: n }, (_, i) => `/l${i}`).join('');
    await expect(put({ Name: levels(15), Value: 'x', Type: 'String' })).resolves.toMatchObject({
      Version: 1,
    });
    await expectError(
      put({ Name: levels(16), Value: 'x', Type: 'String' }),
      'HierarchyLevelLimitExceededException',
    );
  });

  it('allows 2,048 characters and no more', async () => {
    await expect(put({ Name: `/${'n'.repeat(2047)}`, Value: 'x', Type: 'String' })).resolves.toMatchObject({
      Version: 1,
    });
    await expectError(
      put({ Name: `/${'n'.repeat(2048)}`, Value: 'x', Type: 'String' }),
      'ValidationException',
    );
  });
});

describe('version and label selectors', () => {
  beforeAll(async () => {
    await put({ Name: '/sel/p', Value: 'one', Type: 'String' });
    await put({ Name: '/sel/p', Value: 'two', Overwrite: true });
    await put({ Name: '/sel/p', Value: 'three', Overwrite: true });
  });

  it('reads an older version with name:version', async () => {
    await expect(get('/sel/p:1')).resolves.toMatchObject({
      Name: '/sel/p',
      Value: 'one',
      Version: 1,
      Selector: ':1',
    });
    await expect(get('/sel/p:3')).resolves.toMatchObject({ Value: 'three', Version: 3 });
    await expectError(get('/sel/p:9'), 'ParameterVersionNotFound', /could not find version 9 of \/sel\/p/);
    await expectError(get('/sel/missing:1'), 'ParameterNotFound');
  });

  it('labels a version and reads it with name:label, moving the label when it is reused', async () => {
    await expect(label('/sel/p', ['prod'], 1)).resolves.toMatchObject({
      ParameterVersion: 1,
      InvalidLabels: [],
    });
    await expect(get('/sel/p:prod')).resolves.toMatchObject({ Value: 'one', Version: 1, Selector: ':prod' });
    await expect(label('/sel/p', ['prod'])).resolves.toMatchObject({ ParameterVersion: 3 });
    await expect(get('/sel/p:prod')).resolves.toMatchObject({ Value: 'three', Version: 3 });
    await expectError(get('/sel/p:staging'), 'ParameterNotFound');
  });

  it('returns labels that break the rules instead of attaching them', async () => {
    const out = await label(
      '/sel/p',
      ['good-1', 'awsLabel', 'SSMx', '1starts', 'has space', 'ok.label_2'],
      2,
    );
    expect(out.InvalidLabels).toEqual(['awsLabel', 'SSMx', '1starts', 'has space']);
    await expect(get('/sel/p:ok.label_2')).resolves.toMatchObject({ Version: 2 });
    await expectError(label('/sel/p', ['x'.repeat(101)], 2), 'ValidationException');
  });

  it('holds at most ten labels on a version', async () => {
    await label('/sel/p', ['a1', 'a2', 'a3', 'a4', 'a5', 'a6', 'a7', 'a8'], 1);
    await expectError(label('/sel/p', ['b1', 'b2', 'b3'], 1), 'ParameterVersionLabelLimitExceeded');
    await expect(get('/sel/p:b1').catch((e: Error) => e.name)).resolves.toBe('ParameterNotFound');
  });

  it('refuses labels for a missing parameter or version', async () => {
    await expectError(label('/sel/none', ['x']), 'ParameterNotFound');
    await expectError(label('/sel/p', ['x'], 42), 'ParameterVersionNotFound');
  });
});

describe('SecureString', () => {
  it('keeps the value encrypted-looking unless decryption is asked for', async () => {
    await put({ Name: '/sec/pw', Value: 'hunter2', Type: 'SecureString' });
    const plain = await get('/sec/pw', true);
    expect(plain).toMatchObject({ Type: 'SecureString', Value: 'hunter2' });
    const sealed = await get('/sec/pw', false);
    expect(sealed.Value).not.toBe('hunter2');
    expect(sealed.Value).not.toContain('hunter2');
    expect(sealed.Value).toMatch(/^AQICAH[A-Za-z0-9+/]+=*$/);
    expect(Buffer.from(sealed.Value!, 'base64').toString('utf8')).not.toContain('hunter2');
    await expect(get('/sec/pw')).resolves.toMatchObject({ Value: sealed.Value });
  });

  it('uses alias/aws/ssm unless a KeyId is given, and takes a KeyId only for SecureString', async () => {
    await put({ Name: '/sec/custom', Value: 'v', Type: 'SecureString', KeyId: 'alias/my-key' });
    const { Parameters } = await ssm.send(
      new DescribeParametersCommand({ ParameterFilters: [{ Key: 'Path', Values: ['/sec'] }] }),
    );
    expect(Parameters!.map((p) => [p.Name, p.KeyId])).toEqual([
      ['/sec/custom', 'alias/my-key'],
      ['/sec/pw', 'alias/aws/ssm'],
    ]);
    await expectError(
      put({ Name: '/sec/plain', Value: 'v', Type: 'String', KeyId: 'alias/my-key' }),
      'ValidationException',
      'KeyId is required for SecureString type parameter only.',
    );
  });

  it('changes the ciphertext with each version', async () => {
    const first = await get('/sec/pw');
    await put({ Name: '/sec/pw', Value: 'hunter2', Overwrite: true });
    const second = await get('/sec/pw');
    expect(second.Version).toBe(first.Version! + 1);
    expect(second.Value).not.toBe(first.Value);
  });
});

describe('tiers', () => {
  const big = 'x'.repeat(4097);

  it('keeps Standard values to 4 KB, Advanced to 8 KB', async () => {
    await expectError(
      put({ Name: '/tier/std', Value: big, Type: 'String', Tier: 'Standard' }),
      'ValidationException',
      /Standard tier parameters support a maximum parameter value of 4096/,
    );
    await expectError(put({ Name: '/tier/default', Value: big, Type: 'String' }), 'ValidationException');
    await expect(
      put({ Name: '/tier/adv', Value: big, Type: 'String', Tier: 'Advanced' }),
    ).resolves.toMatchObject({
      Version: 1,
      Tier: 'Advanced',
    });
    await expect(
      put({ Name: '/tier/std', Value: 'x'.repeat(4096), Type: 'String', Tier: 'Standard' }),
    ).resolves.toMatchObject({
      Tier: 'Standard',
    });
    await expectError(
      put({ Name: '/tier/huge', Value: 'x'.repeat(8193), Type: 'String', Tier: 'Advanced' }),
      'ValidationException',
    );
  });

  it('upgrades Standard to Advanced and refuses the way back', async () => {
    await put({ Name: '/tier/up', Value: 'small', Type: 'String', Tier: 'Standard' });
    await expect(
      put({ Name: '/tier/up', Value: 'small', Overwrite: true, Tier: 'Advanced' }),
    ).resolves.toMatchObject({
      Version: 2,
      Tier: 'Advanced',
    });
    await expectError(
      put({ Name: '/tier/up', Value: 'small', Overwrite: true, Tier: 'Standard' }),
      'ValidationException',
      /can't downgrade a parameter from the advanced-parameter tier/,
    );
    // Naming no tier keeps an advanced parameter advanced.
    await expect(put({ Name: '/tier/up', Value: 'again', Overwrite: true })).resolves.toMatchObject({
      Tier: 'Advanced',
    });
  });

  it('lets Intelligent-Tiering pick Standard unless the value needs Advanced', async () => {
    await expect(
      put({ Name: '/tier/it-small', Value: 'small', Type: 'String', Tier: 'Intelligent-Tiering' }),
    ).resolves.toMatchObject({ Tier: 'Standard' });
    await expect(
      put({ Name: '/tier/it-big', Value: big, Type: 'String', Tier: 'Intelligent-Tiering' }),
    ).resolves.toMatchObject({ Tier: 'Advanced' });
    await expect(
      put({ Name: '/tier/it-small', Value: big, Overwrite: true, Tier: 'Intelligent-Tiering' }),
    ).resolves.toMatchObject({ Tier: 'Advanced', Version: 2 });
  });

  it('enforces the per-account parameter quotas', async () => {
    const small = await start({ maxStandardParameters: 1, maxAdvancedParameters: 1 });
    const send = (input: PutParameterCommandInput) => small.client.send(new PutParameterCommand(input));
    await send({ Name: '/q/a', Value: 'v', Type: 'String' });
    await expectError(send({ Name: '/q/b', Value: 'v', Type: 'String' }), 'ParameterLimitExceeded');
    await expect(
      send({ Name: '/q/b', Value: 'v', Type: 'String', Tier: 'Intelligent-Tiering' }),
    ).resolves.toMatchObject({
      Tier: 'Advanced',
    });
    await expectError(
      send({ Name: '/q/c', Value: 'v', Type: 'String', Tier: 'Advanced' }),
      'ParameterLimitExceeded',
    );
    await small.client.send(new DeleteParameterCommand({ Name: '/q/a' }));
    await expect(send({ Name: '/q/c', Value: 'v', Type: 'String' })).resolves.toMatchObject({
      Tier: 'Standard',
    });
  });
});

describe('AllowedPattern', () => {
  it('checks the whole value, on create and on every overwrite', async () => {
    await put({ Name: '/pat/n', Value: '10', Type: 'String', AllowedPattern: '\\d{1,4}' });
    await expectError(
      put({ Name: '/pat/n', Value: '10,000', Overwrite: true }),
      'ParameterPatternMismatchException',
      'Parameter value, cannot be validated against allowedPattern: \\d{1,4}',
    );
    await expect(put({ Name: '/pat/n', Value: '9999', Overwrite: true })).resolves.toMatchObject({
      Version: 2,
    });
    await expectError(
      put({ Name: '/pat/x', Value: 'abc', Type: 'String', AllowedPattern: '^\\d+$' }),
      'ParameterPatternMismatchException',
    );
  });

  it('accepts Java-style escapes such as \\- outside a class', async () => {
    await expect(
      put({ Name: '/pat/range', Value: '1-2', Type: 'String', AllowedPattern: '^\\d+\\-\\d+$' }),
    ).resolves.toMatchObject({ Version: 1 });
  });

  it('refuses a pattern that is no regular expression', async () => {
    await expectError(
      put({ Name: '/pat/bad', Value: 'a', Type: 'String', AllowedPattern: '(' }),
      'InvalidAllowedPatternException',
    );
  });
});

describe('version history', () => {
  async function writeVersions(Name: string, count: number) {
    await put({ Name, Value: 'v1', Type: 'String' });
    for (let v = 2; v <= count; v++) await put({ Name, Value: `v${v}`, Overwrite: true });
  }

  it('drops the oldest version past 100', async () => {
    await writeVersions('/hist/free', 101);
    await expect(get('/hist/free')).resolves.toMatchObject({ Version: 101, Value: 'v101' });
    await expectError(get('/hist/free:1'), 'ParameterVersionNotFound');
    await expect(get('/hist/free:2')).resolves.toMatchObject({ Value: 'v2' });
  });

  it('refuses a 101st version while the oldest carries a label', async () => {
    await writeVersions('/hist/pinned', 100);
    await label('/hist/pinned', ['keep'], 1);
    await expectError(
      put({ Name: '/hist/pinned', Value: 'v101', Overwrite: true }),
      'ParameterMaxVersionLimitExceeded',
      /Version 1, the oldest version, can't be deleted because it has a label/,
    );
    await label('/hist/pinned', ['keep'], 50);
    await expect(put({ Name: '/hist/pinned', Value: 'v101', Overwrite: true })).resolves.toMatchObject({
      Version: 101,
    });
    await expectError(get('/hist/pinned:1'), 'ParameterVersionNotFound');
    await expect(get('/hist/pinned:keep')).resolves.toMatchObject({ Version: 50 });
  });
});

describe('GetParameters', () => {
  beforeAll(async () => {
    await put({ Name: '/many/b', Value: 'b', Type: 'String' });
    await put({ Name: '/many/a', Value: 'a', Type: 'String' });
    await put({ Name: '/many/a', Value: 'a2', Overwrite: true });
    await put({ Name: '/many/s', Value: 'secret', Type: 'SecureString' });
  });

  it('returns the found ones in name order and lists the others as invalid', async () => {
    const out = await ssm.send(
      new GetParametersCommand({ Names: ['/many/b', '/many/missing', '/many/a:1', '/many/a:7', '/many/s'] }),
    );
    expect(out.Parameters!.map((p) => [p.Name, p.Value, p.Version])).toEqual([
      ['/many/a', 'a', 1],
      ['/many/b', 'b', 1],
      ['/many/s', expect.not.stringContaining('secret'), 1],
    ]);
    expect(out.Parameters![0]!.Selector).toBe(':1');
    expect(out.InvalidParameters).toEqual(['/many/missing', '/many/a:7']);
  });

  it('decrypts when asked', async () => {
    const out = await ssm.send(new GetParametersCommand({ Names: ['/many/s'], WithDecryption: true }));
    expect(out.Parameters![0]!.Value).toBe('secret');
  });

  it('takes at most ten names', async () => {
    const Names = Array.from({ length: 11 }, (_, i) => `/many/n${i}`);
    await expectError(ssm.send(new GetParametersCommand({ Names })), 'ValidationException');
  });
});

describe('GetParametersByPath', () => {
  beforeAll(async () => {
    for (const name of ['/app/b', '/app/a', '/app/sub/c', '/app/sub/deep/d', '/app-other/x', '/app/e']) {
      await put({ Name: name, Value: `value of ${name}`, Type: 'String' });
    }
    await put({ Name: '/app/sec', Value: 'app-secret', Type: 'SecureString' });
  });

  const byPath = (input: Partial<GetParametersByPathCommandInput>) =>
    ssm.send(new GetParametersByPathCommand({ Path: '/app', ...input }));

  async function allPages(input: Parameters<typeof byPath>[0]) {
    const names: string[] = [];
    let NextToken: string | undefined;
    let pages = 0;
    do {
      const out = await byPath({ ...input, NextToken });
      names.push(...out.Parameters!.map((p) => p.Name!));
      NextToken = out.NextToken;
      pages++;
    } while (NextToken);
    return { names, pages };
  }

  it('lists one level, or everything beneath with Recursive', async () => {
    const one = await byPath({});
    expect(one.Parameters!.map((p) => p.Name)).toEqual(['/app/a', '/app/b', '/app/e', '/app/sec']);
    expect(one.NextToken).toBeUndefined();
    const all = await byPath({ Recursive: true, Path: '/app/' });
    expect(all.Parameters!.map((p) => p.Name)).toEqual([
      '/app/a',
      '/app/b',
      '/app/e',
      '/app/sec',
      '/app/sub/c',
      '/app/sub/deep/d',
    ]);
  });

  it('pages through every result, one page at a time', async () => {
    const { names, pages } = await allPages({ Recursive: true, MaxResults: 1 });
    expect(pages).toBe(6);
    expect(names).toEqual(['/app/a', '/app/b', '/app/e', '/app/sec', '/app/sub/c', '/app/sub/deep/d']);
    await expect(allPages({ Recursive: true, MaxResults: 4 })).resolves.toMatchObject({ pages: 2, names });
  });

  it('keeps its place when parameters change between pages', async () => {
    const first = await byPath({ Path: '/app/sub', Recursive: true, MaxResults: 1 });
    expect(first.Parameters!.map((p) => p.Name)).toEqual(['/app/sub/c']);
    await put({ Name: '/app/sub/a-new', Value: 'x', Type: 'String' });
    const rest = await byPath({
      Path: '/app/sub',
      Recursive: true,
      MaxResults: 10,
      NextToken: first.NextToken,
    });
    expect(rest.Parameters!.map((p) => p.Name)).toEqual(['/app/sub/deep/d']);
  });

  it('refuses a token from another request and one that is garbage', async () => {
    const first = await byPath({ Recursive: true, MaxResults: 1 });
    await expectError(
      byPath({ Path: '/app/sub', MaxResults: 1, NextToken: first.NextToken }),
      'InvalidNextToken',
    );
    await expectError(byPath({ NextToken: 'not-a-token' }), 'InvalidNextToken');
  });

  it('decrypts only with WithDecryption', async () => {
    const sealed = await byPath({ ParameterFilters: [{ Key: 'Type', Values: ['SecureString'] }] });
    expect(sealed.Parameters!.map((p) => p.Name)).toEqual(['/app/sec']);
    expect(sealed.Parameters![0]!.Value).not.toContain('app-secret');
    const open = await byPath({
      WithDecryption: true,
      ParameterFilters: [{ Key: 'Type', Values: ['SecureString'] }],
    });
    expect(open.Parameters![0]!.Value).toBe('app-secret');
  });

  it('filters by label, listing the labeled version', async () => {
    await put({ Name: '/app/b', Value: 'b2', Overwrite: true });
    await label('/app/b', ['live'], 1);
    const out = await byPath({ ParameterFilters: [{ Key: 'Label', Option: 'Equals', Values: ['live'] }] });
    expect(out.Parameters!.map((p) => [p.Name, p.Version, p.Value])).toEqual([
      ['/app/b', 1, 'value of /app/b'],
    ]);
  });

  it('refuses filters, options, sizes and paths AWS refuses', async () => {
    await expectError(byPath({ ParameterFilters: [{ Key: 'Name', Values: ['x'] }] }), 'InvalidFilterKey');
    await expectError(
      byPath({ ParameterFilters: [{ Key: 'Tier', Values: ['Standard'] }] }),
      'InvalidFilterKey',
    );
    await expectError(
      byPath({ ParameterFilters: [{ Key: 'Label', Option: 'BeginsWith', Values: ['l'] }] }),
      'InvalidFilterOption',
    );
    await expectError(
      byPath({ ParameterFilters: [{ Key: 'Type', Values: ['Number'] }] }),
      'InvalidFilterValue',
    );
    await expectError(byPath({ MaxResults: 11 }), 'ValidationException');
    await expectError(byPath({ MaxResults: 0 }), 'ValidationException');
    await expectError(byPath({ Path: 'app' }), 'ValidationException');
  });

  it('treats / as the root of every hierarchy', async () => {
    const out = await byPath({ Path: '/' });
    const names = out.Parameters!.map((p) => p.Name);
    expect(names).toContain('flat-name');
    expect(names).not.toContain('/app/a');
  });
});

describe('DeleteParameter and DeleteParameters', () => {
  it('deletes a parameter with its history', async () => {
    await put({ Name: '/del/one', Value: 'a', Type: 'String' });
    await put({ Name: '/del/one', Value: 'b', Overwrite: true });
    await expect(ssm.send(new DeleteParameterCommand({ Name: '/del/one' }))).resolves.toBeDefined();
    await expectError(get('/del/one'), 'ParameterNotFound');
    await expectError(ssm.send(new DeleteParameterCommand({ Name: '/del/one' })), 'ParameterNotFound');
    await expect(put({ Name: '/del/one', Value: 'c', Type: 'String' })).resolves.toMatchObject({
      Version: 1,
    });
  });

  it('reports which names it deleted and which it could not', async () => {
    await put({ Name: '/del/x', Value: 'a', Type: 'String' });
    await put({ Name: '/del/y', Value: 'a', Type: 'String' });
    const out = await ssm.send(new DeleteParametersCommand({ Names: ['/del/x', '/del/nope', '/del/y'] }));
    expect(out.DeletedParameters).toEqual(['/del/x', '/del/y']);
    expect(out.InvalidParameters).toEqual(['/del/nope']);
  });
});

describe('DescribeParameters', () => {
  beforeAll(async () => {
    for (const n of ['a', 'b', 'c', 'd', 'e']) {
      await put({
        Name: `/desc/${n}`,
        Value: n,
        Type: 'String',
        Description: `about ${n}`,
        Tags: [{ Key: 'team', Value: n }],
      });
    }
  });

  it('describes parameters with their metadata, page by page', async () => {
    const filters = [{ Key: 'Path', Values: ['/desc'] }];
    const first = await ssm.send(new DescribeParametersCommand({ ParameterFilters: filters, MaxResults: 2 }));
    expect(first.Parameters!.map((p) => p.Name)).toEqual(['/desc/a', '/desc/b']);
    expect(first.Parameters![0]).toMatchObject({
      Name: '/desc/a',
      ARN: 'arn:aws:ssm:us-east-1:123456789012:parameter/desc/a',
      Type: 'String',
      Description: 'about a',
      Version: 1,
      Tier: 'Standard',
      DataType: 'text',
      LastModifiedUser: 'arn:aws:iam::123456789012:user/AKIDLOCAL',
    });
    expect(first.Parameters![0]!.LastModifiedDate).toBeInstanceOf(Date);
    const names = first.Parameters!.map((p) => p.Name);
    let NextToken = first.NextToken;
    while (NextToken) {
      const page = await ssm.send(
        new DescribeParametersCommand({ ParameterFilters: filters, MaxResults: 2, NextToken }),
      );
      names.push(...page.Parameters!.map((p) => p.Name));
      NextToken = page.NextToken;
    }
    expect(names).toEqual(['/desc/a', '/desc/b', '/desc/c', '/desc/d', '/desc/e']);
  });

  it('filters by name, tag and type', async () => {
    const byName = await ssm.send(
      new DescribeParametersCommand({
        ParameterFilters: [{ Key: 'Name', Option: 'BeginsWith', Values: ['/desc/'] }],
      }),
    );
    expect(byName.Parameters).toHaveLength(5);
    const byTag = await ssm.send(
      new DescribeParametersCommand({ ParameterFilters: [{ Key: 'tag:team', Values: ['c'] }] }),
    );
    expect(byTag.Parameters!.map((p) => p.Name)).toEqual(['/desc/c']);
    await expectError(
      ssm.send(new DescribeParametersCommand({ ParameterFilters: [{ Key: 'Label', Values: ['x'] }] })),
      'InvalidFilterKey',
    );
    await expectError(ssm.send(new DescribeParametersCommand({ MaxResults: 51 })), 'ValidationException');
  });
});

describe('Secrets Manager references', () => {
  const arn = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:db-creds-AbCdEf';
  const versions: ReferencedSecret[] = [
    {
      ARN: arn,
      Name: 'db-creds',
      VersionId: '11111111-2222-3333-4444-555555555555',
      SecretString: '{"password":"old"}',
      VersionStages: ['AWSPREVIOUS'],
      CreatedDate: new Date('2024-01-01T00:00:00Z'),
    },
    {
      ARN: arn,
      Name: 'db-creds',
      VersionId: '66666666-7777-8888-9999-000000000000',
      SecretString: '{"password":"new"}',
      VersionStages: ['AWSCURRENT'],
      CreatedDate: new Date('2024-02-01T00:00:00Z'),
    },
  ];
  const calls: unknown[][] = [];
  let withSecrets: SSMClient;

  beforeAll(async () => {
    ({ client: withSecrets } = await start(
      {},
      {
        secretsLookup: (secretId, versionId, versionStage) => {
          calls.push([secretId, versionId, versionStage]);
          if (secretId !== 'db-creds') return undefined;
          return versions.find((v) =>
            versionId ? v.VersionId === versionId : v.VersionStages.includes(versionStage ?? 'AWSCURRENT'),
          );
        },
      },
    ));
  });

  const read = (Name: string, WithDecryption = true) =>
    withSecrets.send(new GetParameterCommand({ Name, WithDecryption })).then((r) => r.Parameter!);

  it('answers with the secret as a SecureString', async () => {
    const p = await read('/aws/reference/secretsmanager/db-creds');
    expect(p).toMatchObject({
      Name: '/aws/reference/secretsmanager/db-creds',
      Type: 'SecureString',
      Value: '{"password":"new"}',
      Version: 0,
      ARN: arn,
    });
    expect(p.LastModifiedDate).toEqual(new Date('2024-02-01T00:00:00Z'));
    expect(JSON.parse(p.SourceResult!)).toEqual({
      ARN: arn,
      Name: 'db-creds',
      VersionId: '66666666-7777-8888-9999-000000000000',
      SecretString: '{"password":"new"}',
      VersionStages: ['AWSCURRENT'],
      CreatedDate: 1706745600,
    });
    expect(calls.at(-1)).toEqual(['db-creds', undefined, undefined]);
  });

  it('passes a staging label or a version id on', async () => {
    await expect(read('/aws/reference/secretsmanager/db-creds:AWSPREVIOUS')).resolves.toMatchObject({
      Value: '{"password":"old"}',
      Selector: ':AWSPREVIOUS',
    });
    expect(calls.at(-1)).toEqual(['db-creds', undefined, 'AWSPREVIOUS']);
    await expect(
      read('/aws/reference/secretsmanager/db-creds:11111111-2222-3333-4444-555555555555'),
    ).resolves.toMatchObject({ Value: '{"password":"old"}' });
    expect(calls.at(-1)).toEqual(['db-creds', '11111111-2222-3333-4444-555555555555', undefined]);
  });

  it('insists on WithDecryption', async () => {
    await expectError(
      read('/aws/reference/secretsmanager/db-creds', false),
      'ValidationException',
      'WithDecryption flag must be True for retrieving a Secret Manager secret.',
    );
  });

  it('answers ParameterNotFound for a missing secret, and without a lookup at all', async () => {
    await expectError(read('/aws/reference/secretsmanager/nope'), 'ParameterNotFound', /Secrets Manager/);
    await expectError(read('/aws/reference/secretsmanager/db-creds:NOSUCHSTAGE'), 'ParameterNotFound');
    await expectError(get('/aws/reference/secretsmanager/db-creds', true), 'ParameterNotFound');
  });

  it('refuses a malformed reference', async () => {
    await expectError(
      read('/aws/reference/secretsmanager/db-creds:a:b'),
      'ValidationException',
      /<name>:<version\/label>/,
    );
  });

  it('resolves references in GetParameters too', async () => {
    const out = await withSecrets.send(
      new GetParametersCommand({
        Names: ['/aws/reference/secretsmanager/db-creds', '/aws/reference/secretsmanager/nope'],
        WithDecryption: true,
      }),
    );
    expect(out.Parameters!.map((p) => p.Value)).toEqual(['{"password":"new"}']);
    expect(out.InvalidParameters).toEqual(['/aws/reference/secretsmanager/nope']);
  });
});

describe('protocol', () => {
  const headers = (target: string, signed = true): Record<string, string> => ({
    'Content-Type': 'application/x-amz-json-1.1',
    'X-Amz-Target': `AmazonSSM.${target}`,
    ...(signed
      ? {
          Authorization:
            'AWS4-HMAC-SHA256 Credential=AKIDLOCAL/20240101/us-east-1/ssm/aws4_request, SignedHeaders=host, Signature=00',
        }
      : {}),
  });

  it('answers a body that is not JSON with SerializationException', async () => {
    const res = await fetch(endpoint, {
      method: 'POST',
      headers: headers('GetParameter'),
      body: '{"Name": ',
    });
    expect(res.status).toBe(400);
    expect(res.headers.get('x-amzn-errortype')).toBe('SerializationException');
    await expect(res.json()).resolves.toMatchObject({ __type: 'SerializationException' });
  });

  it('answers an unsigned request with 403', async () => {
    const res = await fetch(endpoint, {
      method: 'POST',
      headers: headers('GetParameter', false),
      body: '{"Name":"/basic/one"}',
    });
    expect(res.status).toBe(403);
    await expect(res.json()).resolves.toMatchObject({ __type: 'MissingAuthenticationTokenException' });
  });

  it('answers an operation it does not implement with UnknownOperationException', async () => {
    const err = await failure(ssm.send(new SendCommandCommand({ DocumentName: 'AWS-RunShellScript' })));
    expect(err.name).toBe('UnknownOperationException');
    expect(err.status).toBe(400);
  });
});
