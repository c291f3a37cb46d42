import { GetParameterCommand, PutParameterCommand, DeleteParameterCommand } from '@aws-sdk/client-ssm';
import { X509Certificate } from 'node:crypto';
import { lambdaExtensionOf } from '../../local/cloud/consul/consul-api';
import { ResourceGroupsTaggingAPIClient } from '@aws-sdk/client-resource-groups-tagging-api';
import { LOCAL_CREDENTIALS } from '../../local/cloud/seed';
import { ConsulClient } from './consul-client';
import { foreignTo, fullSync } from './sync';
import { applyPlan } from './apply';
import { readConsul } from './consul-catalog';
import { planSync } from './plan';
import { trustBundle } from './extension-data';
import { MANAGED_TAG } from './consul-catalog';
import {
  enabled,
  MANAGEMENT_TOKEN,
  registratorHarness,
  type RegistratorHarness,
} from './registrator-harness';
import { TAGS } from './tags';

/**
 * The registrator against the local cloud's Lambda control plane, Tagging API, SSM and Consul
 * emulator. Each `defect N` test proves one item of the original's defect list fixed
 * (../shared/reference/consul-registrator.md).
 */

let h: RegistratorHarness;
afterEach(async () => h?.close());

type ServiceEntry = { Node: string; ServiceID: string; ServiceTags: string[] };
const catalog = (query = '') => h.consulGet<Record<string, string[]>>(`/v1/catalog/services${query}`);
const managedNames = async (query = '') =>
  Object.entries((await catalog(query)).body)
    .filter(([, tags]) => tags.includes(MANAGED_TAG))
    .map(([name]) => name)
    .sort();
const defaults = async (name: string, query = '') => {
  const r = await h.consulGet<{
    EnvoyExtensions?: Array<{ Name: string; Arguments: Record<string, unknown> }>;
  }>(`/v1/config/service-defaults/${name}${query}`);
  return r.status === 200 ? lambdaExtensionOf(r.body as never) : undefined;
};

describe('full sync (OSS)', () => {
  beforeEach(async () => {
    h = await registratorHarness();
  });

  it('registers enabled functions and their existing aliases, with config entry and managed tag', async () => {
    const arn = h.createFunction('orders', enabled({ [TAGS.aliases]: 'prod+dev' }));
    h.registry.publishVersion('orders');
    h.registry.createAlias('orders', 'prod', { FunctionVersion: '1' });
    h.registry.createAlias('orders', 'dev', { FunctionVersion: '$LATEST' });
    h.createFunction('quiet');
    h.createFunction('off', { [TAGS.enabled]: 'false' });
    const summary = await h.sync();
    expect(summary).toMatchObject({
      inventoryComplete: true,
      functions: { seen: 2, enabled: 1, disabled: 1 },
      plan: { create: 3, delete: 0 },
      applied: { create: 3 },
      errors: [],
    });
    expect(await managedNames()).toEqual(['orders', 'orders-dev', 'orders-prod']);
    expect(await defaults('orders-prod')).toMatchObject({
      arn: `${arn}:prod`,
      invocationMode: 'SYNCHRONOUS',
    });
    const nodes = await h.consulGet<ServiceEntry[]>('/v1/catalog/service/orders');
    expect(nodes.body).toEqual([
      expect.objectContaining({ Node: 'lambdas', ServiceID: 'orders', ServiceTags: [MANAGED_TAG] }),
    ]);
    // A second run finds nothing to do.
    expect((await h.sync()).plan).toMatchObject({ create: 0, update: 0, delete: 0 });
  });

  it('removes the services of a function that is disabled, untagged or deleted', async () => {
    h.createFunction('a', enabled());
    h.createFunction('b', enabled());
    h.createFunction('c', enabled());
    await h.sync();
    h.registry.tagResource(h.registry.functionArn('a'), { [TAGS.enabled]: 'false' });
    h.registry.untagResource(h.registry.functionArn('b'), [TAGS.enabled]);
    h.registry.deleteFunction('c');
    const summary = await h.sync();
    expect(summary.plan).toMatchObject({ delete: 3 });
    expect(await managedNames()).toEqual([]);
    expect(await defaults('a')).toBeUndefined();
  });

  it('deletes only services of its own account and region: registrators may share a Consul', async () => {
    h.createFunction('a', enabled());
    await h.sync();
    h.registry.deleteFunction('a');
    // The same account's registrator in another region (or another account's) leaves `a` alone…
    const elsewhere = await h.sync({ home: 'arn:aws:lambda:eu-west-1:123456789012:function:' });
    expect(elsewhere.plan).toMatchObject({ delete: 0 });
    expect(await managedNames()).toEqual(['a']);
    // …its own removes it.
    expect((await h.sync()).plan).toMatchObject({ delete: 1 });
    expect(await managedNames()).toEqual([]);
  });

  it('an event for a same-named function deleted in another region leaves this one’s service alone', async () => {
    h.createFunction('orders', enabled());
    await h.sync();
    h.registry.deleteFunction('orders');
    // The eu-west-1 registrator hears of its own `orders` being deleted…
    const elsewhere = await h.syncFunction('orders', {
      home: 'arn:aws:lambda:eu-west-1:123456789012:function:',
    });
    expect(elsewhere.plan).toMatchObject({ delete: 0 });
    expect(await managedNames()).toEqual(['orders']);
    // …this region's registrator, of this one.
    expect((await h.syncFunction('orders')).plan).toMatchObject({ delete: 1 });
    expect(await managedNames()).toEqual([]);
  });

  it('a same-named function of another region is a conflict: the service is not moved to it', async () => {
    h.createFunction('orders', enabled());
    await h.sync();
    const consul = await readConsul(h.deps.consul, h.deps.config);
    const home = 'arn:aws:lambda:eu-west-1:123456789012:function:';
    const plan = planSync({
      desired: [
        {
          datacenter: '',
          name: 'orders',
          functionName: 'orders',
          arn: `${home}orders`,
          invocationMode: 'synchronous',
          payloadPassthrough: false,
        },
      ],
      consul,
      inScope: () => true,
      inventoryComplete: true,
      protectedFunctions: new Set(),
      foreign: foreignTo(home),
    });
    expect(plan.actions).toEqual([]);
    expect(plan.conflicts).toEqual([
      expect.stringMatching(
        /orders: registered for arn:aws:lambda:us-east-1:123456789012:function:orders, a function of another account or region; left alone$/,
      ),
    ]);
  });

  it('dry run: plans create / update / delete per service and writes nothing', async () => {
    h.createFunction('a', enabled());
    const summary = await h.sync({ dryRun: true });
    expect(summary.actions).toEqual([{ action: 'create', service: 'dc1|||a', reasons: ['not in Consul'] }]);
    expect(await managedNames()).toEqual([]);
    expect(h.logs.map((l) => JSON.parse(l) as Record<string, unknown>)).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ level: 'info', message: 'dry run: would apply', action: 'create' }),
        expect.objectContaining({ message: 'sync summary', dryRun: true }),
      ]),
    );
  });

  it('defect 1: updates what drifted (mode, passthrough, ARN) on the schedule, without an event', async () => {
    h.createFunction('a', enabled());
    await h.sync();
    h.registry.tagResource(h.registry.functionArn('a'), {
      [TAGS.invocationMode]: 'ASYNCHRONOUS',
      [TAGS.payloadPassthrough]: 'true',
    });
    const summary = await h.sync();
    expect(summary.actions).toEqual([
      expect.objectContaining({
        action: 'update',
        reasons: [expect.stringMatching(/invocationMode/), expect.stringMatching(/payloadPassthrough/)],
      }),
    ]);
    expect(await defaults('a')).toMatchObject({ invocationMode: 'ASYNCHRONOUS', payloadPassthrough: true });
  });

  it('defect 2: deletes nothing when the inventory cannot be read completely', async () => {
    h.createFunction('a', enabled());
    await h.sync();
    h.registry.deleteFunction('a');
    // The Tagging API goes away: the inventory read fails (after the SDK's retries).
    const tagging = new ResourceGroupsTaggingAPIClient({
      endpoint: 'http://127.0.0.1:9',
      region: 'us-east-1',
      credentials: LOCAL_CREDENTIALS,
      maxAttempts: 1,
    });
    const summary = await fullSync(
      { ...h.deps, tagging },
      { dryRun: false, deadlineMs: Date.now() + 30_000 },
    );
    tagging.destroy();
    expect(summary.inventoryComplete).toBe(false);
    expect(summary.plan).toMatchObject({ delete: 0, withheldDeletes: 1 });
    expect(await managedNames()).toEqual(['a']);
    // Once the inventory reads again, the delete goes through.
    expect((await h.sync()).applied.delete).toBe(1);
  });

  it('defect 3: one bad function is reported and skipped; the others sync; its services stay', async () => {
    h.createFunction('good', enabled());
    h.createFunction('bad', enabled());
    await h.sync();
    h.registry.tagResource(h.registry.functionArn('bad'), { [TAGS.invocationMode]: 'SOMETIMES' });
    h.createFunction('new', enabled());
    const summary = await h.sync();
    expect(summary.functions.failed).toBe(1);
    expect(summary.errors).toEqual([
      { subject: 'bad', error: expect.stringMatching(/invalid invocation mode "SOMETIMES"/) },
    ]);
    expect(await managedNames()).toEqual(['bad', 'good', 'new']);
  });

  it('defect 4: never deletes a service or config entry that lacks the managed tag', async () => {
    // A mesh service someone else registered, named like a function.
    const consul = new ConsulClient({ address: new URL(h.consul.address), token: MANAGEMENT_TOKEN });
    await consul.putConfig(
      { datacenter: '' },
      { Kind: 'service-defaults', Name: 'payments', Protocol: 'grpc' },
    );
    await consul.register(
      { datacenter: '' },
      { Node: 'web-1', Address: '10.0.0.5', Service: { Service: 'payments' } },
    );
    consul.close();
    h.createFunction('payments', { [TAGS.enabled]: 'false' });
    await h.syncFunction('payments');
    h.registry.tagResource(h.registry.functionArn('payments'), { [TAGS.enabled]: 'true' });
    const summary = await h.syncFunction('payments');
    expect(summary.plan.conflicts).toBe(1);
    await h.sync();
    const entry = await h.consulGet<{ Protocol: string }>('/v1/config/service-defaults/payments');
    expect(entry.body.Protocol).toBe('grpc');
    expect((await h.consulGet<ServiceEntry[]>('/v1/catalog/service/payments')).body).toHaveLength(1);
  });

  it('defect 5: DeleteFunction and alias events; aliases verified to exist', async () => {
    h.createFunction('f', enabled({ [TAGS.aliases]: 'live+ghost' }));
    h.registry.createAlias('f', 'live', { FunctionVersion: '$LATEST' });
    const created = await h.syncFunction('f');
    expect(await managedNames()).toEqual(['f', 'f-live']);
    expect(h.logs.some((l) => l.includes('"aliases":["ghost"]'))).toBe(true);
    expect(created.plan.create).toBe(2);
    h.registry.createAlias('f', 'ghost', { FunctionVersion: '$LATEST' });
    await h.syncFunction('f'); // CreateAlias
    expect(await managedNames()).toEqual(['f', 'f-ghost', 'f-live']);
    h.registry.deleteAlias('f', 'live');
    await h.syncFunction('f'); // DeleteAlias
    expect(await managedNames()).toEqual(['f', 'f-ghost']);
    h.registry.deleteFunction('f');
    await h.syncFunction('f'); // DeleteFunction
    expect(await managedNames()).toEqual([]);
  });

  it('defect 6: ASYNCHRONOUS reaches Envoy as asynchronous', async () => {
    h.createFunction('a', enabled({ [TAGS.invocationMode]: 'ASYNCHRONOUS' }));
    await h.sync();
    expect(await defaults('a')).toMatchObject({
      invocationModeRaw: 'asynchronous',
      invocationMode: 'ASYNCHRONOUS',
    });
  });

  it('an event reads the function fresh: a stale event after a change converges to the current tags', async () => {
    h.createFunction('a', enabled());
    h.registry.tagResource(h.registry.functionArn('a'), { [TAGS.enabled]: 'false' });
    // The TagResource event that enabled it arrives after the one that disabled it.
    await h.syncFunction('a');
    expect(await managedNames()).toEqual([]);
  });

  it('a sync interrupted half way and re-run converges', async () => {
    for (let i = 0; i < 12; i++) h.createFunction(`fn-${i}`, enabled());
    let writes = 0;
    const original = h.deps.consul.register.bind(h.deps.consul);
    h.deps.consul.register = async (...args) => {
      if (++writes > 5) throw new Error('the invocation timed out here');
      return original(...args);
    };
    const first = await h.sync();
    expect(first.applied.create).toBe(5);
    expect(first.errors).toHaveLength(7);
    h.deps.consul.register = original;
    const second = await h.sync();
    expect(second.plan.create).toBe(7);
    expect(second.errors).toEqual([]);
    expect(await managedNames()).toHaveLength(12);
    expect((await h.sync()).actions).toEqual([]);
  });

  it('defect 9: the inventory is read through GetResources, never one GetFunction per function', async () => {
    for (let i = 0; i < 150; i++) h.createFunction(`plain-${i}`);
    for (let i = 0; i < 6; i++) h.createFunction(`tagged-${i}`, enabled());
    const before = h.lambdaCalls();
    const summary = await h.sync();
    expect(summary.calls).toMatchObject({ lambda: 0, tagging: 1 });
    expect(h.lambdaCalls() - before).toBe(1);
    expect(await managedNames()).toHaveLength(6);
  });
});

describe('datacenters', () => {
  beforeEach(async () => {
    h = await registratorHarness({ consul: { datacenters: ['dc2'] } });
  });

  it('defect 7: the datacenter is part of the key; a function moved to another datacenter moves', async () => {
    h.createFunction('a', enabled({ [TAGS.datacenter]: 'dc2' }));
    await h.sync();
    expect(await managedNames('?dc=dc2')).toEqual(['a']);
    expect(await managedNames('?dc=dc1')).toEqual([]);
    h.registry.tagResource(h.registry.functionArn('a'), { [TAGS.datacenter]: 'dc1' });
    const summary = await h.sync();
    expect(summary.plan).toMatchObject({ create: 1, delete: 1 });
    expect(await managedNames('?dc=dc2')).toEqual([]);
    expect(await managedNames('?dc=dc1')).toEqual(['a']);
  });
});

describe('mTLS extension data', () => {
  const prefix = '/consul/lambda/extension-data';
  beforeEach(async () => {
    h = await registratorHarness({ env: { CONSUL_EXTENSION_DATA_PREFIX: prefix } });
  });

  const stored = async (name: string) => {
    const out = await h.ssm.send(
      new GetParameterCommand({ Name: `${prefix}/default/default/${name}`, WithDecryption: true }),
    );
    return { type: out.Parameter?.Type, data: JSON.parse(out.Parameter!.Value!) as Record<string, string> };
  };

  it('writes the documented JSON as a SecureString, fetching the CA roots once per sync (defect 10)', async () => {
    for (const name of ['a', 'b', 'c']) h.createFunction(name, enabled());
    const paths: string[] = [];
    h.consul.server.on('request', (req: { url?: string }) => paths.push(req.url ?? ''));
    await h.sync();
    expect(paths.filter((p) => p.startsWith('/v1/agent/connect/ca/roots'))).toHaveLength(1);
    const { type, data } = await stored('b');
    expect(type).toBe('SecureString');
    expect(Object.keys(data).sort()).toEqual(['certPEM', 'privateKeyPEM', 'rootCertPEM', 'trustDomain']);
    expect(new X509Certificate(data.certPEM!).subjectAltName).toMatch(/\/svc\/b$/);
  });

  it('re-issues a leaf in the last third of its lifetime; not before', async () => {
    h.createFunction('a', enabled());
    await h.sync();
    const first = await stored('a');
    expect((await h.sync()).plan.update).toBe(0);
    const cert = new X509Certificate(first.data.certPEM!);
    const lifetime = Date.parse(cert.validTo) - Date.parse(cert.validFrom);
    h.consul.state.clock.advance((lifetime * 2) / 3 + 60_000);
    jest.useFakeTimers({
      doNotFake: ['nextTick', 'setImmediate', 'setTimeout', 'setInterval', 'queueMicrotask', 'performance'],
    });
    jest.setSystemTime(Date.now() + (lifetime * 2) / 3 + 60_000);
    try {
      const summary = await h.sync();
      expect(summary.actions).toEqual([
        expect.objectContaining({ action: 'update', reasons: [expect.stringMatching(/mTLS/)] }),
      ]);
    } finally {
      jest.useRealTimers();
    }
    expect((await stored('a')).data.certPEM).not.toBe(first.data.certPEM);
  });

  it('defect 11: deletes are idempotent when the data is already gone', async () => {
    h.createFunction('a', enabled());
    await h.sync();
    await h.ssm.send(new DeleteParameterCommand({ Name: `${prefix}/default/default/a` }));
    h.registry.deleteFunction('a');
    const summary = await h.sync();
    expect(summary.errors).toEqual([]);
    expect(summary.applied.delete).toBe(1);
  });
});

describe('Enterprise', () => {
  beforeEach(async () => {
    h = await registratorHarness({
      consul: { enterprise: true, partitions: ['ap1'] },
      env: { ENTERPRISE: 'true', PARTITIONS: 'default,ap1', CONSUL_EXTENSION_DATA_PREFIX: '/consul' },
    });
    const res = await fetch(`${h.consul.address}/v1/namespace?partition=ap1`, {
      method: 'PUT',
      headers: { 'X-Consul-Token': MANAGEMENT_TOKEN },
      body: JSON.stringify({ Name: 'ns1' }),
    });
    expect(res.status).toBe(200);
  });

  it('registers into the tagged partition and namespace, with mTLS data for them (defect 12)', async () => {
    h.createFunction('a', enabled({ [TAGS.partition]: 'ap1', [TAGS.namespace]: 'ns1' }));
    h.createFunction('b', enabled());
    h.createFunction('c', enabled({ [TAGS.partition]: 'unmanaged' }));
    const summary = await h.sync();
    expect(summary.functions).toMatchObject({ enabled: 2, ignored: 1 });
    expect(await managedNames('?partition=ap1&ns=ns1')).toEqual(['a']);
    expect(await managedNames('?partition=default&ns=default')).toEqual(['b']);
    const param = await h.ssm.send(
      new GetParameterCommand({ Name: '/consul/ap1/ns1/a', WithDecryption: true }),
    );
    expect(JSON.parse(param.Parameter!.Value!)).toHaveProperty('trustDomain');
  });

  it('moves a service whose namespace tag changed, and removes disabled ones per scope', async () => {
    h.createFunction('a', enabled({ [TAGS.partition]: 'ap1', [TAGS.namespace]: 'ns1' }));
    await h.sync();
    h.registry.untagResource(h.registry.functionArn('a'), [TAGS.namespace]);
    await h.syncFunction('a');
    expect(await managedNames('?partition=ap1&ns=ns1')).toEqual([]);
    expect(await managedNames('?partition=ap1&ns=default')).toEqual(['a']);
    await expect(h.ssm.send(new GetParameterCommand({ Name: '/consul/ap1/ns1/a' }))).rejects.toThrow(
      /ParameterNotFound|not found/i,
    );
  });
});

describe('OSS with enterprise tags', () => {
  it('reports the enterprise-tagged function and syncs the rest', async () => {
    h = await registratorHarness();
    h.createFunction('a', enabled());
    h.createFunction('ent', enabled({ [TAGS.namespace]: 'ns1' }));
    const summary = await h.sync();
    expect(await managedNames()).toEqual(['a']);
    expect(summary.errors).toEqual([
      { subject: 'ent', error: expect.stringMatching(/require Consul Enterprise/) },
    ]);
  });
});

describe('token and CA from SSM', () => {
  it('are read once per execution environment (defect 10)', async () => {
    h = await registratorHarness();
    await h.ssm.send(
      new PutParameterCommand({ Name: '/consul/token', Value: MANAGEMENT_TOKEN, Type: 'SecureString' }),
    );
    const env = {
      CONSUL_HTTP_ADDR: h.consul.address,
      CONSUL_HTTP_TOKEN_PATH: '/consul/token',
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'AKIDLOCAL',
      AWS_SECRET_ACCESS_KEY: 'local',
      AWS_ENDPOINT_URL_SSM: h.endpoints.ssm,
      AWS_ENDPOINT_URL_LAMBDA: h.endpoints.lambda,
      AWS_ENDPOINT_URL_RESOURCE_GROUPS_TAGGING_API: h.endpoints.tagging,
    };
    h.createFunction('a', enabled());
    const saved = { ...process.env };
    Object.assign(process.env, env);
    try {
      let handler!: typeof import('./index').handler;
      jest.isolateModules(() => {
        // A fresh module: the function parses its settings at load, as an execution environment does.
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        ({ handler } = require('./index') as typeof import('./index'));
      });
      const context = { getRemainingTimeInMillis: () => 30_000 };
      const first = await handler(
        { source: 'aws.events', 'detail-type': 'Scheduled Event', detail: {} },
        context,
      );
      expect(first).toMatchObject({ mode: 'full', applied: { create: 1 }, errors: [] });
      await h.ssm.send(new DeleteParameterCommand({ Name: '/consul/token' }));
      // The token is cached: this run still writes to Consul (ACLs on, default deny).
      h.registry.untagResource(h.registry.functionArn('a'), [TAGS.enabled]);
      const second = await handler(
        {
          source: 'aws.lambda',
          'detail-type': 'AWS API Call via CloudTrail',
          detail: {
            eventName: 'UntagResource20170331v2',
            requestParameters: { resource: h.registry.functionArn('a') },
          },
        },
        context,
      );
      expect(second).toMatchObject({ mode: 'function', applied: { delete: 1 }, errors: [] });
      // Bad input is answered with what is wrong, not thrown (EventBridge would retry it).
      expect(await handler({ source: 'my.app' }, context)).toEqual({
        statusCode: 400,
        message: expect.stringMatching(/^event.source: "my.app" is neither aws.events/),
      });
      expect(await managedNames()).toEqual([]);
    } finally {
      process.env = saved;
    }
  });
});

describe('time budget', () => {
  it('starts no write after the deadline and leaves the rest to the next sync', async () => {
    h = await registratorHarness();
    for (let i = 0; i < 4; i++) h.createFunction(`fn-${i}`, enabled());
    const consul = await readConsul(h.deps.consul, h.deps.config);
    const desired = ['fn-0', 'fn-1'].map((name) => ({
      datacenter: '',
      name,
      functionName: name,
      arn: h.registry.functionArn(name),
      invocationMode: 'synchronous' as const,
      payloadPassthrough: false,
    }));
    const plan = planSync({
      desired,
      consul,
      inScope: () => true,
      inventoryComplete: true,
      protectedFunctions: new Set(),
    });
    const result = await applyPlan(
      h.deps,
      plan.actions,
      Date.now() - 1,
      trustBundle(h.deps.consul, () => undefined),
    );
    expect(result).toEqual({
      applied: { create: 0, update: 0, delete: 0 },
      deferred: 2,
      errors: [],
      done: [],
    });
    expect(await managedNames()).toEqual([]);
    expect((await h.sync()).applied.create).toBe(4);
  });
});

describe('mTLS extension data with cluster peering (defect 12)', () => {
  it('lists the active peers with their trust domains, and re-issues when the peers change', async () => {
    h = await registratorHarness({
      env: { CONSUL_EXTENSION_DATA_PREFIX: '/consul' },
      consul: {
        peerings: [
          { name: 'eu', peerServerName: 'server.dc1.peering.aaaaaaaa-0000-0000-0000-000000000001.consul' },
          { name: 'pending', peerServerName: 'server.dc1.peering.bbbb.consul', state: 'PENDING' },
        ],
      },
    });
    h.createFunction('a', enabled());
    await h.sync();
    const read = async () =>
      JSON.parse(
        (
          await h.ssm.send(
            new GetParameterCommand({ Name: '/consul/default/default/a', WithDecryption: true }),
          )
        ).Parameter!.Value!,
      ) as { peers?: unknown };
    expect((await read()).peers).toEqual([
      { name: 'eu', trustDomain: 'aaaaaaaa-0000-0000-0000-000000000001.consul' },
    ]);
    expect((await h.sync()).plan.update).toBe(0);
    h.consul.state.peerings.push({
      ...h.consul.state.peerings[0]!,
      Name: 'ap',
      PeerServerName: 'server.dc9.peering.cccc.consul',
    });
    expect((await h.sync()).plan.update).toBe(1);
    expect((await read()).peers).toEqual([
      { name: 'ap', trustDomain: 'cccc.consul' },
      { name: 'eu', trustDomain: 'aaaaaaaa-0000-0000-0000-000000000001.consul' },
    ]);
  });
});

describe('ACL', () => {
  it('works with the least token the README names: service_prefix "" write and node write on NODE_NAME', async () => {
    h = await registratorHarness({
      consul: {
        aclTokens: [
          { secretId: 'least', rules: { service_prefix: { '': 'write' }, node: { lambdas: 'write' } } },
          { secretId: 'services-only', rules: { service_prefix: { '': 'write' } } },
        ],
      },
    });
    h.createFunction('a', enabled());
    const servicesOnly = new ConsulClient({ address: new URL(h.consul.address), token: 'services-only' });
    const denied = await fullSync(
      { ...h.deps, consul: servicesOnly },
      { dryRun: false, deadlineMs: Date.now() + 30_000 },
    );
    servicesOnly.close();
    expect(denied.errors).toEqual([
      { subject: 'dc1|||a', error: expect.stringMatching(/lacks permission 'node:write' on "lambdas"/) },
    ]);
    const least = new ConsulClient({ address: new URL(h.consul.address), token: 'least' });
    const deps = { ...h.deps, consul: least };
    expect((await fullSync(deps, { dryRun: false, deadlineMs: Date.now() + 30_000 })).errors).toEqual([]);
    expect(await managedNames()).toEqual(['a']);
    h.registry.deleteFunction('a');
    expect((await fullSync(deps, { dryRun: false, deadlineMs: Date.now() + 30_000 })).applied.delete).toBe(1);
    least.close();
  });
});

describe('terminating gateway (defect 12)', () => {
  it('lists the Lambda services in the gateway, removes deleted ones, and keeps everything else', async () => {
    h = await registratorHarness({ env: { CONSUL_TERMINATING_GATEWAY: 'lambda-gateway' } });
    const consul = new ConsulClient({ address: new URL(h.consul.address), token: MANAGEMENT_TOKEN });
    await consul.putConfigCas(
      { datacenter: '' },
      {
        Kind: 'terminating-gateway',
        Name: 'lambda-gateway',
        Services: [{ Name: 'legacy-db', CAFile: '/ca.pem' }],
      },
      0,
    );
    h.createFunction('a', enabled());
    h.createFunction('b', enabled());
    await h.sync();
    const services = async () =>
      (await consul.terminatingGateway({ datacenter: '' }, 'lambda-gateway'))!.Services;
    expect(await services()).toEqual([
      { Name: 'legacy-db', CAFile: '/ca.pem' },
      { Name: 'a' },
      { Name: 'b' },
    ]);
    h.registry.deleteFunction('b');
    const summary = await h.sync();
    expect(summary.errors).toEqual([]);
    expect(await services()).toEqual([{ Name: 'legacy-db', CAFile: '/ca.pem' }, { Name: 'a' }]);
    consul.close();
  });
});

describe('deployed before Consul is known', () => {
  it('answers every trigger with skipped and the parameter to set, instead of failing INIT', () => {
    const saved = { ...process.env };
    process.env.CONSUL_HTTP_ADDR = '';
    try {
      let index!: typeof import('./index');
      jest.isolateModules(() => {
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        index = require('./index') as typeof import('./index');
      });
      const context = { getRemainingTimeInMillis: () => 30_000 };
      return expect(index.handler({ sync: 'full' }, context)).resolves.toEqual({
        skipped: expect.stringMatching(/set the ConsulHttpAddr parameter/),
      });
    } finally {
      process.env = saved;
    }
  });
});
