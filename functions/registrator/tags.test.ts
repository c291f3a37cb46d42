import { servicesOf, TagError, TAGS, type LambdaFunctionInfo } from './tags';

// The original registrator's tag table (TestGetLambdaData), one case each, plus what it got wrong.
const arn = 'arn:aws:lambda:us-east-1:111111111111:function:lambda-1234';
const fn = (tags: Record<string, string>): LambdaFunctionInfo => ({ name: 'lambda-1234', arn, tags });
const oss = { enterprise: false, partitions: [] as string[] };
const ent = (partitions: string[]) => ({ enterprise: true, partitions });
const full = {
  [TAGS.enabled]: 'true',
  [TAGS.payloadPassthrough]: 'true',
  [TAGS.invocationMode]: 'ASYNCHRONOUS',
};

describe('servicesOf: the original tag semantics', () => {
  it('everything passed, OSS', () => {
    expect(servicesOf(fn(full), oss)).toEqual({
      kind: 'enabled',
      missingAliases: [],
      services: [
        {
          datacenter: '',
          name: 'lambda-1234',
          functionName: 'lambda-1234',
          arn,
          invocationMode: 'asynchronous',
          payloadPassthrough: true,
        },
      ],
    });
  });

  it('everything passed, Enterprise', () => {
    const verdict = servicesOf(fn({ ...full, [TAGS.partition]: 'p', [TAGS.namespace]: 'n' }), ent(['p']));
    expect(verdict).toMatchObject({
      kind: 'enabled',
      services: [{ partition: 'p', namespace: 'n', name: 'lambda-1234' }],
    });
  });

  it('Enterprise without partition / namespace tags uses default / default', () => {
    expect(servicesOf(fn(full), ent(['default']))).toMatchObject({
      services: [{ partition: 'default', namespace: 'default' }],
    });
  });

  it('enterprise meta without Enterprise Consul is an error', () => {
    expect(() => servicesOf(fn({ ...full, [TAGS.namespace]: 'n' }), oss)).toThrow(TagError);
    expect(() => servicesOf(fn({ ...full, [TAGS.partition]: 'p' }), oss)).toThrow(
      /require Consul Enterprise/,
    );
  });

  it('ignores partitions not in PARTITIONS', () => {
    expect(servicesOf(fn({ ...full, [TAGS.partition]: 'p' }), ent([])).kind).toBe('ignored');
    expect(servicesOf(fn({ ...full, [TAGS.partition]: 'p' }), ent(['other'])).kind).toBe('ignored');
  });

  it('ignores another datacenter when DATACENTER is set; an absent tag counts as another', () => {
    expect(servicesOf(fn({ ...full, [TAGS.datacenter]: 'dc2' }), { ...oss, datacenter: 'dc1' }).kind).toBe(
      'ignored',
    );
    expect(servicesOf(fn(full), { ...oss, datacenter: 'dc1' }).kind).toBe('ignored');
    expect(
      servicesOf(fn({ ...full, [TAGS.datacenter]: 'dc1' }), { ...oss, datacenter: 'dc1' }),
    ).toMatchObject({
      services: [{ datacenter: 'dc1' }],
    });
  });

  it('enabled must be exactly "true"; anything else removes', () => {
    expect(servicesOf(fn({ ...full, [TAGS.enabled]: 'false' }), oss)).toEqual({ kind: 'disabled' });
    expect(servicesOf(fn({ ...full, [TAGS.enabled]: 'yes' }), oss)).toEqual({ kind: 'disabled' });
    expect(servicesOf(fn({}), oss)).toEqual({ kind: 'disabled' });
  });

  it('defaults: synchronous, no passthrough', () => {
    expect(servicesOf(fn({ [TAGS.enabled]: 'true' }), oss)).toMatchObject({
      services: [{ invocationMode: 'synchronous', payloadPassthrough: false }],
    });
    expect(servicesOf(fn({ [TAGS.enabled]: 'true', [TAGS.payloadPassthrough]: 'TRUE' }), oss)).toMatchObject({
      services: [{ payloadPassthrough: false }],
    });
  });

  it('an invalid invocation mode is an error naming it', () => {
    expect(() => servicesOf(fn({ ...full, [TAGS.invocationMode]: 'invalid' }), oss)).toThrow(
      /invalid invocation mode "invalid"/,
    );
  });

  it('sends the invocation mode in the lower case Consul’s Envoy extension compares with', () => {
    for (const [tag, mode] of [
      ['ASYNCHRONOUS', 'asynchronous'],
      ['SYNCHRONOUS', 'synchronous'],
      ['asynchronous', 'asynchronous'],
    ] as const)
      expect(servicesOf(fn({ ...full, [TAGS.invocationMode]: tag }), oss)).toMatchObject({
        services: [{ invocationMode: mode }],
      });
  });

  it('aliases: one service per existing alias, <fn>-<alias> with <arn>:<alias>', () => {
    const verdict = servicesOf(
      fn({ ...full, [TAGS.aliases]: 'a1+a2+ghost' }),
      oss,
      new Set(['a1', 'a2', 'other']),
    );
    expect(verdict).toMatchObject({
      kind: 'enabled',
      missingAliases: ['ghost'],
      services: [
        { name: 'lambda-1234', arn },
        { name: 'lambda-1234-a1', arn: `${arn}:a1` },
        { name: 'lambda-1234-a2', arn: `${arn}:a2` },
      ],
    });
  });

  it('refuses an alias name Lambda could not have', () => {
    expect(() => servicesOf(fn({ ...full, [TAGS.aliases]: 'ok+no/slash' }), oss)).toThrow(/no\/slash/);
  });
});
