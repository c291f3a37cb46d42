import {
  GetResourcesCommand,
  GetTagKeysCommand,
  paginateGetResources,
  type ResourceTagMapping,
} from '@aws-sdk/client-resource-groups-tagging-api';
import { arnOf, fnInput, rejection, taggingHarness, type TaggingHarness } from './test-helpers';

const ENABLED = 'serverless.consul.hashicorp.com/v1alpha1/lambda/enabled';

describe('Resource Groups Tagging API GetResources over the real client', () => {
  let h: TaggingHarness;
  afterEach(async () => h?.close());

  describe('filters', () => {
    beforeEach(async () => {
      h = await taggingHarness();
      h.registry.createFunction(fnInput('a', { Tags: { [ENABLED]: 'true', team: 'x' } }));
      h.registry.createFunction(fnInput('b', { Tags: { [ENABLED]: 'false' } }));
      h.registry.createFunction(fnInput('c', { Tags: { team: 'y' } }));
      h.registry.createFunction(fnInput('never-tagged'));
      h.registry.createFunction(fnInput('once-tagged', { Tags: { old: '1' } }));
      h.registry.untagResource(arnOf('once-tagged'), ['old']);
    });

    const arns = (list: ResourceTagMapping[] | undefined) => (list ?? []).map((r) => r.ResourceARN);

    it('lists tagged and once-tagged functions (Tags: []) but not never-tagged ones', async () => {
      const out = await h.tagging.send(new GetResourcesCommand({ ResourceTypeFilters: ['lambda:function'] }));
      expect(arns(out.ResourceTagMappingList)).toEqual([
        arnOf('a'),
        arnOf('b'),
        arnOf('c'),
        arnOf('once-tagged'),
      ]);
      expect(out.ResourceTagMappingList?.find((r) => r.ResourceARN === arnOf('a'))?.Tags).toEqual([
        { Key: ENABLED, Value: 'true' },
        { Key: 'team', Value: 'x' },
      ]);
      expect(out.ResourceTagMappingList?.find((r) => r.ResourceARN === arnOf('once-tagged'))?.Tags).toEqual(
        [],
      );
      expect(out.PaginationToken).toBe('');
    });

    it('needs the key for a filter without values, and any of the values otherwise; filters AND together', async () => {
      const byKey = await h.tagging.send(new GetResourcesCommand({ TagFilters: [{ Key: ENABLED }] }));
      expect(arns(byKey.ResourceTagMappingList)).toEqual([arnOf('a'), arnOf('b')]);
      const byValue = await h.tagging.send(
        new GetResourcesCommand({ TagFilters: [{ Key: ENABLED, Values: ['true'] }] }),
      );
      expect(arns(byValue.ResourceTagMappingList)).toEqual([arnOf('a')]);
      const anyOf = await h.tagging.send(
        new GetResourcesCommand({ TagFilters: [{ Key: 'team', Values: ['y', 'z'] }] }),
      );
      expect(arns(anyOf.ResourceTagMappingList)).toEqual([arnOf('c')]);
      const both = await h.tagging.send(
        new GetResourcesCommand({ TagFilters: [{ Key: ENABLED }, { Key: 'team', Values: ['x', 'y'] }] }),
      );
      expect(arns(both.ResourceTagMappingList)).toEqual([arnOf('a')]);
    });

    it('returns nothing for other resource types and accepts the service-only filter', async () => {
      const ec2 = await h.tagging.send(
        new GetResourcesCommand({ ResourceTypeFilters: ['ec2:instance', 's3'] }),
      );
      expect(ec2.ResourceTagMappingList).toEqual([]);
      const lambda = await h.tagging.send(new GetResourcesCommand({ ResourceTypeFilters: ['lambda'] }));
      expect(lambda.ResourceTagMappingList).toHaveLength(4);
    });

    it('takes a ResourceARNList, and rejects it mixed with filters', async () => {
      const out = await h.tagging.send(
        new GetResourcesCommand({ ResourceARNList: [arnOf('c'), arnOf('missing'), arnOf('never-tagged')] }),
      );
      expect(arns(out.ResourceTagMappingList)).toEqual([arnOf('c')]);
      const e = await rejection(
        h.tagging.send(
          new GetResourcesCommand({ ResourceARNList: [arnOf('c')], TagFilters: [{ Key: 'team' }] }),
        ),
      );
      expect(e.name).toBe('InvalidParameterException');
    });

    it('validates page sizes and tokens with InvalidParameterException', async () => {
      for (const input of [
        { ResourcesPerPage: 0 },
        { ResourcesPerPage: 101 },
        { TagsPerPage: 99 },
        { PaginationToken: 'junk' },
      ]) {
        const e = await rejection(h.tagging.send(new GetResourcesCommand(input)));
        expect(e.name).toBe('InvalidParameterException');
      }
    });

    it('reports compliance (no tag policies: all compliant) when asked', async () => {
      const out = await h.tagging.send(
        new GetResourcesCommand({ TagFilters: [{ Key: 'team' }], IncludeComplianceDetails: true }),
      );
      expect(out.ResourceTagMappingList?.[0]?.ComplianceDetails?.ComplianceStatus).toBe(true);
      const excluded = await h.tagging.send(
        new GetResourcesCommand({ IncludeComplianceDetails: true, ExcludeCompliantResources: true }),
      );
      expect(excluded.ResourceTagMappingList).toEqual([]);
    });
  });

  it('pages 120 functions with ResourcesPerPage and TagsPerPage', async () => {
    h = await taggingHarness();
    for (let i = 0; i < 120; i++) {
      h.registry.createFunction(
        fnInput(`fn-${String(i).padStart(3, '0')}`, { Tags: { [ENABLED]: 'true', i: String(i) } }),
      );
    }
    const seen: string[] = [];
    let pages = 0;
    for await (const page of paginateGetResources(
      { client: h.tagging, pageSize: 100 },
      { TagFilters: [{ Key: ENABLED, Values: ['true'] }], ResourceTypeFilters: ['lambda:function'] },
    )) {
      pages++;
      seen.push(...(page.ResourceTagMappingList ?? []).map((r) => r.ResourceARN!));
    }
    expect(pages).toBe(2);
    expect(new Set(seen).size).toBe(120);

    const byDefault = await h.tagging.send(new GetResourcesCommand({}));
    expect(byDefault.ResourceTagMappingList).toHaveLength(50);
    expect(byDefault.PaginationToken).not.toBe('');

    // Two tags each: 100 tags a page is 50 resources.
    const byTags = await h.tagging.send(new GetResourcesCommand({ TagsPerPage: 100 }));
    expect(byTags.ResourceTagMappingList).toHaveLength(50);
  });

  it('throttles GetResources with ThrottledException, and the SDK’s retries get through', async () => {
    h = await taggingHarness({ throttle: { GetResources: { ratePerSecond: 2, burst: 1 } } });
    await h.tagging.send(new GetResourcesCommand({}));
    const e = await rejection(h.tagging.send(new GetResourcesCommand({})));
    expect(e.name).toBe('ThrottledException');
    // Six attempts: the SDK's jittered backoff can retry faster than a 2/s bucket refills, and three
    // tries (its default) then fail one run in eight.
    const retrying = h.client({ maxAttempts: 6 });
    const out = await retrying.send(new GetResourcesCommand({}));
    expect(out.ResourceTagMappingList).toEqual([]);
    const stats = h.api.stats().GetResources!;
    expect(stats.calls).toBeGreaterThanOrEqual(3);
    expect(stats.throttled).toBe(stats.calls - 2);
  });

  it('adds latency, and answers operations it does not serve with UnknownOperationException', async () => {
    h = await taggingHarness({ throttle: false, latencyMs: 120 });
    const t = performance.now();
    await h.tagging.send(new GetResourcesCommand({}));
    expect(performance.now() - t).toBeGreaterThanOrEqual(115);
    const e = await rejection(h.tagging.send(new GetTagKeysCommand({})));
    expect(e.name).toBe('UnknownOperationException');
    expect((e.$metadata as { httpStatusCode: number }).httpStatusCode).toBe(400);
  });
});
