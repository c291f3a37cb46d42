import 'reflect-metadata';
import { X509Certificate as NodeX509, createPublicKey, createHash } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import {
  startConsulEmulator,
  lambdaExtensionOf,
  type ConsulEmulator,
  type ConsulEmulatorOptions,
} from './consul-api';

interface Answer {
  status: number;
  text: string;
  headers: Headers;
  json: () => unknown;
}

async function call(
  e: ConsulEmulator,
  method: string,
  path: string,
  opts: { body?: unknown; token?: string; headers?: Record<string, string> } = {},
): Promise<Answer> {
  const headers: Record<string, string> = { ...opts.headers };
  if (opts.token !== undefined) headers['X-Consul-Token'] = opts.token;
  const body =
    opts.body === undefined
      ? undefined
      : typeof opts.body === 'string'
        ? opts.body
        : JSON.stringify(opts.body);
  const res = await fetch(`${e.address}${path}`, { method, headers, body });
  const text = await res.text();
  return { status: res.status, text, headers: res.headers, json: () => JSON.parse(text) as unknown };
}

/** What the original registrator writes for one function. */
const registration = (svc: string, extra: Record<string, unknown> = {}) => ({
  Node: 'lambdas',
  SkipNodeUpdate: true,
  NodeMeta: { 'external-node': 'true', 'external-probe': 'true' },
  Service: { ID: svc, Service: svc, Tags: ['managed-by-lambda-registrator'] },
  ...extra,
});

const serviceDefaults = (svc: string, args: Record<string, unknown>) => ({
  Kind: 'service-defaults',
  Name: svc,
  Protocol: 'http',
  EnvoyExtensions: [{ Name: 'builtin/aws/lambda', Required: false, Arguments: args }],
});

const ARN = 'arn:aws:lambda:us-east-1:123456789012:function:orders';

const emulators: ConsulEmulator[] = [];
async function start(options: ConsulEmulatorOptions = {}): Promise<ConsulEmulator> {
  const e = await startConsulEmulator(options);
  emulators.push(e);
  return e;
}
afterAll(async () => {
  await Promise.all(emulators.map((e) => e.close()));
});

describe('Consul emulator: server basics', () => {
  let e: ConsulEmulator;
  beforeAll(async () => {
    e = await start({ datacenters: ['dc2'] });
  });

  test('listens on 127.0.0.1 and answers /v1/status/leader', async () => {
    expect(e.address).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const r = await call(e, 'GET', '/v1/status/leader');
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toBe('application/json');
    expect(r.json()).toBe('127.0.0.1:8300');
  });

  test('unknown paths and methods answer like the agent', async () => {
    const unknown = await call(e, 'GET', '/v1/nope');
    expect(unknown.status).toBe(404);
    expect(unknown.text).toBe('Invalid URL path: not a recognized HTTP API endpoint\n');
    const noV1 = await call(e, 'GET', '/nope');
    expect(noV1.text).toBe(
      "Invalid URL path: if attempting to use the HTTP API, ensure the path starts with '/v1/'\n",
    );
    const post = await call(e, 'POST', '/v1/catalog/register', { body: {} });
    expect(post.status).toBe(405);
    expect(post.text).toBe('method POST not allowed');
    expect(post.headers.get('allow')).toBe('OPTIONS,PUT');
    const options = await call(e, 'OPTIONS', '/v1/config/');
    expect(options.status).toBe(200);
    expect(options.headers.get('allow')).toBe('OPTIONS,GET,DELETE');
  });

  test('bad JSON gets Go decoder texts as 400 "Request decode failed: …"', async () => {
    const cases: Array<[string, string]> = [
      ['', 'Request decode failed: EOF'],
      ['{"Node": ', 'Request decode failed: unexpected EOF'],
      ['not json', "Request decode failed: invalid character 'o' in literal null (expecting 'u')"],
      ['{x}', "Request decode failed: invalid character 'x' looking for beginning of object key string"],
      ['{"Node" "a"}', `Request decode failed: invalid character '"' after object key`],
      [
        '{"Node": 1}',
        'Request decode failed: json: cannot unmarshal number into Go struct field RegisterRequest.Node of type string',
      ],
      [
        '{"Node": "a", "Service": {"Service": "s", "Port": "80"}}',
        'Request decode failed: json: cannot unmarshal string into Go struct field NodeService.Service.Port of type int',
      ],
      ['{"Node": "a", "Bogus": true}', 'Request decode failed: json: unknown field "Bogus"'],
    ];
    for (const [body, text] of cases) {
      const r = await call(e, 'PUT', '/v1/catalog/register', { body });
      expect({ body, status: r.status, text: r.text }).toEqual({ body, status: 400, text });
    }
    const config = await call(e, 'PUT', '/v1/config', { body: '[' });
    expect(config.status).toBe(400);
    expect(config.text).toBe('Request decoding failed: unexpected EOF');
  });

  test('unknown datacenter is "No path to datacenter" (500)', async () => {
    for (const [method, path, body] of [
      ['PUT', '/v1/catalog/register', registration('a', { Datacenter: 'dc9' })],
      ['GET', '/v1/catalog/services?dc=dc9', undefined],
      ['GET', '/v1/config/service-defaults/a?dc=dc9', undefined],
      ['GET', '/v1/agent/connect/ca/roots?dc=dc9', undefined],
    ] as const) {
      const r = await call(e, method, path, { body });
      expect({ path, status: r.status, text: r.text }).toEqual({
        path,
        status: 500,
        text: 'No path to datacenter',
      });
    }
    // Config entry writes are forwarded to the primary whatever ?dc= says (ConfigEntry.Apply).
    const write = await call(e, 'PUT', '/v1/config?dc=dc9', {
      body: { Kind: 'service-defaults', Name: 'fwd' },
    });
    expect(write.json()).toBe(true);
  });
});

describe('Consul emulator: catalog', () => {
  let e: ConsulEmulator;
  beforeAll(async () => {
    e = await start({ datacenters: ['dc2'] });
  });

  test('registers an external node with SkipNodeUpdate and no Address (the registrator body)', async () => {
    const before = Number((await call(e, 'GET', '/v1/catalog/services')).headers.get('x-consul-index'));
    const r = await call(e, 'PUT', '/v1/catalog/register', { body: registration('orders') });
    expect(r.status).toBe(200);
    expect(r.json()).toBe(true);

    const nodes = await call(e, 'GET', '/v1/catalog/nodes');
    expect(nodes.json()).toEqual([
      expect.objectContaining({
        Node: 'lambdas',
        Address: '',
        Datacenter: 'dc1',
        Meta: { 'external-node': 'true', 'external-probe': 'true' },
      }),
    ]);
    const services = await call(e, 'GET', '/v1/catalog/services');
    expect(services.json()).toEqual({ orders: ['managed-by-lambda-registrator'] });
    expect(Number(services.headers.get('x-consul-index'))).toBeGreaterThan(before);
    expect(services.headers.get('x-consul-knownleader')).toBe('true');
  });

  test("accepts the Go api client's full CatalogRegistration shape (zero values included)", async () => {
    const body = {
      ID: '',
      Node: 'lambdas',
      Address: '',
      TaggedAddresses: null,
      NodeMeta: { 'external-node': 'true', 'external-probe': 'true' },
      Datacenter: '',
      Service: {
        ID: 'go-shaped',
        Service: 'go-shaped',
        Tags: ['managed-by-lambda-registrator'],
        Meta: null,
        Port: 0,
        Address: '',
        Weights: { Passing: 0, Warning: 0 },
        EnableTagOverride: false,
      },
      Check: null,
      Checks: null,
      SkipNodeUpdate: true,
    };
    const r = await call(e, 'PUT', '/v1/catalog/register', { body });
    expect(r.status).toBe(200);
    expect((await call(e, 'GET', '/v1/catalog/services')).json()).toHaveProperty('go-shaped');
    await call(e, 'PUT', '/v1/catalog/deregister', { body: { Node: 'lambdas', ServiceID: 'go-shaped' } });
  });

  test('Address is required unless SkipNodeUpdate; Node is always required', async () => {
    const noAddr = await call(e, 'PUT', '/v1/catalog/register', {
      body: { Node: 'web-1', Service: { Service: 'web' } },
    });
    expect(noAddr.status).toBe(500);
    expect(noAddr.text).toBe('Must provide address if SkipNodeUpdate is not set');
    const noNode = await call(e, 'PUT', '/v1/catalog/register', { body: { Address: '10.0.0.1' } });
    expect(noNode.status).toBe(500);
    expect(noNode.text).toBe('Must provide node');
    const badId = await call(e, 'PUT', '/v1/catalog/register', {
      body: { Node: 'web-1', ID: 'x', Address: '10.0.0.1' },
    });
    expect(badId.text).toBe('Bad node ID: uuid string is wrong length');
    const idOnly = await call(e, 'PUT', '/v1/catalog/register', {
      body: { Node: 'web-1', Address: '10.0.0.1', Service: { ID: 'web-1' } },
    });
    expect(idOnly.text).toBe('Must provide service name (Service.Service) when service ID is provided');
  });

  test('SkipNodeUpdate leaves an existing node untouched', async () => {
    await call(e, 'PUT', '/v1/catalog/register', {
      body: { Node: 'vm', Address: '10.0.0.5', NodeMeta: { a: '1' } },
    });
    await call(e, 'PUT', '/v1/catalog/register', {
      body: {
        Node: 'vm',
        SkipNodeUpdate: true,
        Address: '10.9.9.9',
        NodeMeta: { b: '2' },
        Service: { Service: 'api', Port: 8080 },
      },
    });
    const nodes = (await call(e, 'GET', '/v1/catalog/nodes')).json() as Array<Record<string, unknown>>;
    expect(nodes.find((n) => n.Node === 'vm')).toEqual(
      expect.objectContaining({ Address: '10.0.0.5', Meta: { a: '1' } }),
    );
    const api = (await call(e, 'GET', '/v1/catalog/service/api')).json() as Array<Record<string, unknown>>;
    expect(api).toEqual([
      expect.objectContaining({
        Node: 'vm',
        Address: '10.0.0.5',
        ServiceID: 'api',
        ServicePort: 8080,
        ServiceTags: [],
      }),
    ]);
  });

  test('services by tag, and per datacenter', async () => {
    await call(e, 'PUT', '/v1/catalog/register', {
      body: registration('billing', { Service: { ID: 'billing', Service: 'billing', Tags: ['other'] } }),
    });
    const tagged = (
      await call(e, 'GET', '/v1/catalog/service/orders?tag=managed-by-lambda-registrator')
    ).json() as unknown[];
    expect(tagged).toHaveLength(1);
    expect(
      (await call(e, 'GET', '/v1/catalog/service/billing?tag=managed-by-lambda-registrator')).json(),
    ).toEqual([]);
    const missing = await call(e, 'GET', '/v1/catalog/service/');
    expect(missing.status).toBe(400);
    expect(missing.text).toBe('Missing service name');

    // The datacenter of a registration is the body's Datacenter field …
    await call(e, 'PUT', '/v1/catalog/register', { body: registration('remote', { Datacenter: 'dc2' }) });
    expect((await call(e, 'GET', '/v1/catalog/services?dc=dc2')).json()).toEqual({
      remote: ['managed-by-lambda-registrator'],
    });
    expect((await call(e, 'GET', '/v1/catalog/services')).json()).not.toHaveProperty('remote');
    // … while ?dc= is not parsed by the register handler: this lands in the agent's own dc1.
    const viaQuery = await call(e, 'PUT', '/v1/catalog/register?dc=dc2', { body: registration('query-dc') });
    expect(viaQuery.status).toBe(200);
    expect((await call(e, 'GET', '/v1/catalog/services')).json()).toHaveProperty('query-dc');
    expect((await call(e, 'GET', '/v1/catalog/services?dc=dc2')).json()).not.toHaveProperty('query-dc');
  });

  test('deregister removes the service; without ServiceID the node goes', async () => {
    const r = await call(e, 'PUT', '/v1/catalog/deregister', {
      body: { Node: 'lambdas', ServiceID: 'billing' },
    });
    expect(r.json()).toBe(true);
    expect((await call(e, 'GET', '/v1/catalog/services')).json()).not.toHaveProperty('billing');
    await call(e, 'PUT', '/v1/catalog/deregister', { body: { Node: 'vm' } });
    const nodes = (await call(e, 'GET', '/v1/catalog/nodes')).json() as Array<{ Node: string }>;
    expect(nodes.map((n) => n.Node)).toEqual(['lambdas']);
    expect((await call(e, 'PUT', '/v1/catalog/deregister', { body: {} })).text).toBe('Must provide node');
  });

  test('OSS rejects namespace and partition parameters, headers and body fields', async () => {
    const ns = await call(e, 'GET', '/v1/catalog/services?ns=team');
    expect(ns.status).toBe(400);
    expect(ns.text).toBe('Invalid query parameter: "ns" - Namespaces are a Consul Enterprise feature');
    const ap = await call(e, 'PUT', '/v1/catalog/register?partition=p1', { body: registration('x') });
    expect(ap.status).toBe(400);
    expect(ap.text).toBe('Invalid query parameter: "partition" - Partitions are a Consul Enterprise feature');
    const header = await call(e, 'GET', '/v1/catalog/services', {
      headers: { 'X-Consul-Namespace': 'team' },
    });
    expect(header.text).toBe(
      'Invalid header: "X-Consul-Namespace" - Namespaces are a Consul Enterprise feature',
    );
    const body = await call(e, 'PUT', '/v1/catalog/register', {
      body: registration('x', { Namespace: 'team' }),
    });
    expect(body.text).toBe(
      'Request decode failed: json: unknown field "Namespace" - Namespaces are a Consul Enterprise feature',
    );
    // Nodes are not namespaced: the nodes endpoint ignores ns (but not partition).
    expect((await call(e, 'GET', '/v1/catalog/nodes?ns=team')).status).toBe(200);
    expect((await call(e, 'GET', '/v1/namespaces')).status).toBe(404);
  });
});

describe('Consul emulator: ACL', () => {
  const token = 'b1gs3cr3t-0000-4000-8000-000000000001';
  let e: ConsulEmulator;
  beforeAll(async () => {
    e = await start({
      aclToken: token,
      aclTokens: [
        // The registrator's documented policy: service_prefix "" { policy = "write" }.
        {
          secretId: 'registrator',
          accessorId: '11111111-2222-3333-4444-555555555555',
          rules: { service_prefix: { '': 'write' } },
        },
      ],
    });
  });

  test('no token: writes denied with the anonymous-token text, reads filtered', async () => {
    const w = await call(e, 'PUT', '/v1/catalog/register', { body: registration('orders') });
    expect(w.status).toBe(403);
    expect(w.text).toBe(
      `Permission denied: anonymous token lacks permission 'service:write' on "orders". The anonymous token is used implicitly when a request does not specify a token.`,
    );
    expect(w.headers.get('x-consul-default-acl-policy')).toBe('deny');
    const cfg = await call(e, 'PUT', '/v1/config', { body: serviceDefaults('orders', { ARN }) });
    expect(cfg.status).toBe(403);
    const leaf = await call(e, 'GET', '/v1/agent/connect/ca/leaf/orders');
    expect(leaf.status).toBe(403);
    expect(leaf.text).toMatch(
      /^Permission denied: anonymous token lacks permission 'service:write' on "orders"/,
    );
  });

  test('wrong token: "ACL not found" (403), via X-Consul-Token or Authorization: Bearer', async () => {
    for (const headers of [{ 'X-Consul-Token': 'nope' }, { Authorization: 'Bearer nope' }] as Array<
      Record<string, string>
    >) {
      for (const [method, path] of [
        ['GET', '/v1/catalog/services'],
        ['PUT', '/v1/catalog/register'],
        ['GET', '/v1/config/service-defaults/orders'],
      ] as const) {
        const r = await call(e, method, path, {
          headers,
          body: method === 'PUT' ? registration('orders') : undefined,
        });
        expect({ path, status: r.status, text: r.text }).toEqual({
          path,
          status: 403,
          text: 'ACL not found',
        });
      }
    }
  });

  test('right token works; anonymous reads are filtered, not refused', async () => {
    const w = await call(e, 'PUT', '/v1/catalog/register', { body: registration('orders'), token });
    expect(w.status).toBe(200);
    const bearer = await call(e, 'GET', '/v1/catalog/services', {
      headers: { Authorization: `Bearer ${token}` },
    });
    expect(bearer.json()).toEqual({ orders: ['managed-by-lambda-registrator'] });
    const anonymous = await call(e, 'GET', '/v1/catalog/services');
    expect(anonymous.status).toBe(200);
    expect(anonymous.json()).toEqual({});
    expect(anonymous.headers.get('x-consul-results-filtered-by-acls')).toBe('true');
    // CA roots need no token.
    expect((await call(e, 'GET', '/v1/agent/connect/ca/roots')).status).toBe(200);
  });

  test('service_prefix write alone cannot create the external node (node:write), but can add services to it', async () => {
    const fresh = await start({
      aclToken: token,
      aclTokens: [
        {
          secretId: 'registrator',
          accessorId: '11111111-2222-3333-4444-555555555555',
          rules: { service_prefix: { '': 'write' } },
        },
      ],
    });
    const first = await call(fresh, 'PUT', '/v1/catalog/register', {
      body: registration('orders'),
      token: 'registrator',
    });
    expect(first.status).toBe(403);
    expect(first.text).toBe(
      `Permission denied: token with AccessorID '11111111-2222-3333-4444-555555555555' lacks permission 'node:write' on "lambdas"`,
    );
    await call(fresh, 'PUT', '/v1/catalog/register', {
      body: { Node: 'lambdas', Address: '', SkipNodeUpdate: true },
      token,
    });
    const second = await call(fresh, 'PUT', '/v1/catalog/register', {
      body: registration('orders'),
      token: 'registrator',
    });
    expect(second.status).toBe(200);
    const cfg = await call(fresh, 'PUT', '/v1/config', {
      body: serviceDefaults('orders', { ARN }),
      token: 'registrator',
    });
    expect(cfg.json()).toBe(true);
  });
});

describe('Consul emulator: Enterprise namespaces and partitions', () => {
  let e: ConsulEmulator;
  beforeAll(async () => {
    e = await start({ enterprise: true, partitions: ['p1'] });
  });

  test('namespaces list, create, and catalog per partition/namespace', async () => {
    const list = (await call(e, 'GET', '/v1/namespaces')).json() as Array<Record<string, unknown>>;
    expect(list).toEqual([
      expect.objectContaining({
        Name: 'default',
        Partition: 'default',
        Description: 'Builtin Default Namespace',
      }),
    ]);

    const created = await call(e, 'PUT', '/v1/namespace?partition=p1', {
      body: { Name: 'team-a', Description: 'A' },
    });
    expect(created.status).toBe(200);
    expect(created.json()).toEqual(
      expect.objectContaining({
        Name: 'team-a',
        Partition: 'p1',
        ACLs: { PolicyDefaults: [], RoleDefaults: [] },
      }),
    );
    const p1 = (await call(e, 'GET', '/v1/namespaces?partition=p1')).json() as Array<{ Name: string }>;
    expect(p1.map((n) => n.Name)).toEqual(['default', 'team-a']);

    const reg = await call(e, 'PUT', '/v1/catalog/register?partition=p1&ns=team-a', {
      body: registration('orders'),
    });
    expect(reg.status).toBe(200);
    expect((await call(e, 'GET', '/v1/catalog/services?partition=p1&ns=team-a')).json()).toEqual({
      orders: ['managed-by-lambda-registrator'],
    });
    expect((await call(e, 'GET', '/v1/catalog/services')).json()).toEqual({});
    expect((await call(e, 'GET', '/v1/catalog/services?partition=p1')).json()).toEqual({});

    // Body enterprise meta works too (the Go api client sends Partition and Service.Namespace).
    const viaBody = await call(e, 'PUT', '/v1/catalog/register', {
      body: registration('billing', {
        Partition: 'p1',
        Service: { Service: 'billing', Namespace: 'team-a' },
      }),
    });
    expect(viaBody.status).toBe(200);
    expect(
      Object.keys((await call(e, 'GET', '/v1/catalog/services?partition=p1&ns=team-a')).json() as object),
    ).toEqual(['billing', 'orders']);
  });

  test('unknown namespace or partition is refused', async () => {
    const ns = await call(e, 'PUT', '/v1/catalog/register?ns=ghost', { body: registration('x') });
    expect(ns.status).toBe(500);
    expect(ns.text).toBe('Namespace "ghost" does not exist');
    const ap = await call(e, 'GET', '/v1/namespaces?partition=ghost');
    expect(ap.status).toBe(500);
    expect(ap.text).toBe('Partition "ghost" does not exist');
  });

  test('config entries carry Partition and Namespace; leaf URIs carry /ap/ for a non-default partition', async () => {
    const put = await call(e, 'PUT', '/v1/config?partition=p1&ns=team-a', {
      body: serviceDefaults('orders', { ARN }),
    });
    expect(put.json()).toBe(true);
    const got = (await call(e, 'GET', '/v1/config/service-defaults/orders?partition=p1&ns=team-a')).json();
    expect(got).toEqual(expect.objectContaining({ Partition: 'p1', Namespace: 'team-a', Protocol: 'http' }));
    expect((await call(e, 'GET', '/v1/config/service-defaults/orders')).status).toBe(404);

    const roots = (await call(e, 'GET', '/v1/agent/connect/ca/roots')).json() as { TrustDomain: string };
    const leaf = (
      await call(e, 'GET', '/v1/agent/connect/ca/leaf/orders?partition=p1&ns=team-a')
    ).json() as Record<string, unknown>;
    expect(leaf.ServiceURI).toBe(`spiffe://${roots.TrustDomain}/ap/p1/ns/team-a/dc/dc1/svc/orders`);
    expect(leaf).toEqual(expect.objectContaining({ Partition: 'p1', Namespace: 'team-a' }));
    const def = (await call(e, 'GET', '/v1/agent/connect/ca/leaf/orders')).json() as Record<string, unknown>;
    expect(def.ServiceURI).toBe(`spiffe://${roots.TrustDomain}/ns/default/dc/dc1/svc/orders`);
  });
});

describe('Consul emulator: config entries', () => {
  let e: ConsulEmulator;
  beforeAll(async () => {
    e = await start();
  });

  test('write, read (Go field order, lower-cased protocol), list, delete', async () => {
    const put = await call(e, 'PUT', '/v1/config', {
      body: {
        ...serviceDefaults('orders', { arn: ARN, invocationMode: 'SYNCHRONOUS', payloadPassthrough: false }),
        Protocol: 'HTTP',
      },
    });
    expect(put.status).toBe(200);
    expect(put.json()).toBe(true);
    const get = await call(e, 'GET', '/v1/config/service-defaults/orders');
    const entry = get.json() as Record<string, unknown>;
    expect(Object.keys(entry)).toEqual([
      'Kind',
      'Name',
      'Protocol',
      'TransparentProxy',
      'MeshGateway',
      'Expose',
      'EnvoyExtensions',
      'Hash',
      'CreateIndex',
      'ModifyIndex',
    ]);
    expect(entry).toEqual(
      expect.objectContaining({
        Kind: 'service-defaults',
        Name: 'orders',
        Protocol: 'http',
        EnvoyExtensions: [
          {
            Name: 'builtin/aws/lambda',
            Required: false,
            Arguments: { arn: ARN, invocationMode: 'SYNCHRONOUS', payloadPassthrough: false },
            ConsulVersion: '',
            EnvoyVersion: '',
          },
        ],
      }),
    );
    expect(get.headers.get('x-consul-index')).toBe(String(entry.ModifyIndex));
    const list = (await call(e, 'GET', '/v1/config/service-defaults')).json() as unknown[];
    expect(list).toHaveLength(1);

    const del = await call(e, 'DELETE', '/v1/config/service-defaults/orders');
    expect(del.status).toBe(200);
    expect(del.json()).toEqual({});
    const gone = await call(e, 'GET', '/v1/config/service-defaults/orders');
    expect(gone.status).toBe(404);
    expect(gone.text).toBe('Config entry not found for "service-defaults" / "orders"');
    expect((await call(e, 'DELETE', '/v1/config/service-defaults/orders')).status).toBe(200);
  });

  test('cas: create-only with 0, update with the ModifyIndex, delete with cas answers a boolean', async () => {
    expect((await call(e, 'PUT', '/v1/config?cas=0', { body: serviceDefaults('cas', { ARN }) })).json()).toBe(
      true,
    );
    expect(
      (
        await call(e, 'PUT', '/v1/config?cas=0', { body: serviceDefaults('cas', { ARN: `${ARN}:v2` }) })
      ).json(),
    ).toBe(false);
    const idx = ((await call(e, 'GET', '/v1/config/service-defaults/cas')).json() as { ModifyIndex: number })
      .ModifyIndex;
    expect(
      (
        await call(e, 'PUT', `/v1/config?cas=${idx}`, { body: serviceDefaults('cas', { ARN: `${ARN}:v2` }) })
      ).json(),
    ).toBe(true);
    expect((await call(e, 'DELETE', `/v1/config/service-defaults/cas?cas=${idx}`)).json()).toBe(false);
    const now = ((await call(e, 'GET', '/v1/config/service-defaults/cas')).json() as { ModifyIndex: number })
      .ModifyIndex;
    expect((await call(e, 'DELETE', `/v1/config/service-defaults/cas?cas=${now}`)).json()).toBe(true);
    const badCas = await call(e, 'PUT', '/v1/config?cas=x', { body: serviceDefaults('cas', { ARN }) });
    expect(badCas.status).toBe(500);
    expect(badCas.text).toBe('strconv.ParseUint: parsing "x": invalid syntax');
  });

  test('write-time validation is what Consul checks: extension Name, built-in name, ARN (any case); not the mode', async () => {
    const noArn = await call(e, 'PUT', '/v1/config', {
      body: serviceDefaults('x', { invocationMode: 'asynchronous' }),
    });
    expect(noArn.status).toBe(500);
    expect(noArn.text).toBe(
      '1 error occurred:\n\t* invalid EnvoyExtensions[0][builtin/aws/lambda]: 1 error occurred:\n\t* ARN is required\n\n\n\n',
    );
    const noName = await call(e, 'PUT', '/v1/config', {
      body: { Kind: 'service-defaults', Name: 'x', EnvoyExtensions: [{ Arguments: { ARN } }] },
    });
    expect(noName.text).toBe('1 error occurred:\n\t* invalid EnvoyExtensions[0]: Name is required\n\n');
    const unknownExt = await call(e, 'PUT', '/v1/config', {
      body: { Kind: 'service-defaults', Name: 'x', EnvoyExtensions: [{ Name: 'builtin/nope' }] },
    });
    expect(unknownExt.text).toBe(
      '1 error occurred:\n\t* invalid EnvoyExtensions[0][builtin/nope]: name "builtin/nope" is not a built-in extension\n\n',
    );
    const noEntryName = await call(e, 'PUT', '/v1/config', { body: { Kind: 'service-defaults' } });
    expect(noEntryName.text).toBe('Name is required');
    const noKind = await call(e, 'PUT', '/v1/config', { body: { Name: 'x' } });
    expect(noKind.status).toBe(400);
    expect(noKind.text).toBe(
      'Request decoding failed: Payload does not contain a kind/Kind key at the top level',
    );
    const badKind = await call(e, 'PUT', '/v1/config', { body: { Kind: 'nope', Name: 'x' } });
    expect(badKind.text).toBe('Request decoding failed: invalid config entry kind: nope');
    const nsKey = await call(e, 'PUT', '/v1/config', {
      body: { ...serviceDefaults('x', { ARN }), Namespace: 'team' },
    });
    expect(nsKey.text).toBe(
      'Request decoding failed: 1 error occurred:\n\t* invalid config key "Namespace", namespaces are a consul enterprise feature\n\n',
    );
    const unknownKey = await call(e, 'PUT', '/v1/config', {
      body: { ...serviceDefaults('x', { ARN }), Bogus: 1 },
    });
    expect(unknownKey.text).toBe(
      'Request decoding failed: 1 error occurred:\n\t* invalid config key "Bogus"\n\n',
    );

    // Both spellings of the ARN key pass (mapstructure matches field names case-insensitively) …
    for (const key of ['ARN', 'arn', 'Arn']) {
      expect(
        (await call(e, 'PUT', '/v1/config', { body: serviceDefaults(`k-${key}`, { [key]: ARN }) })).json(),
      ).toBe(true);
    }
    // … and any invocation mode string is stored: Consul does not validate it on write.
    const upper = await call(e, 'PUT', '/v1/config', {
      body: serviceDefaults('modes', { arn: ARN, invocationMode: 'BOGUS' }),
    });
    expect(upper.json()).toBe(true);
    // Any protocol string is accepted and lower-cased.
    await call(e, 'PUT', '/v1/config', { body: { Kind: 'service-defaults', Name: 'p', Protocol: 'GRPC' } });
    expect(
      ((await call(e, 'GET', '/v1/config/service-defaults/p')).json() as { Protocol: string }).Protocol,
    ).toBe('grpc');
  });

  test("lambdaExtensionOf: the original's uppercase ASYNCHRONOUS silently runs synchronously", async () => {
    const original = serviceDefaults('orders', {
      arn: ARN,
      invocationMode: 'ASYNCHRONOUS',
      payloadPassthrough: true,
    });
    const fixed = serviceDefaults('orders-fixed', {
      ARN,
      InvocationMode: 'asynchronous',
      PayloadPassthrough: true,
    });
    expect((await call(e, 'PUT', '/v1/config', { body: original })).json()).toBe(true);
    expect((await call(e, 'PUT', '/v1/config', { body: fixed })).json()).toBe(true);
    const stored = (await call(e, 'GET', '/v1/config/service-defaults/orders')).json() as Parameters<
      typeof lambdaExtensionOf
    >[0];
    expect(lambdaExtensionOf(stored)).toEqual({
      required: false,
      arn: ARN,
      payloadPassthrough: true,
      invocationModeRaw: 'ASYNCHRONOUS',
      invocationMode: 'SYNCHRONOUS',
    });
    const storedFixed = (
      await call(e, 'GET', '/v1/config/service-defaults/orders-fixed')
    ).json() as Parameters<typeof lambdaExtensionOf>[0];
    expect(lambdaExtensionOf(storedFixed)?.invocationMode).toBe('ASYNCHRONOUS');
    expect(lambdaExtensionOf({ EnvoyExtensions: [] })).toBeUndefined();
  });
});

describe('Consul emulator: Connect CA', () => {
  let e: ConsulEmulator;
  beforeAll(async () => {
    e = await start({ datacenters: ['dc2'] });
  });

  interface Roots {
    ActiveRootID: string;
    TrustDomain: string;
    Roots: Array<{
      ID: string;
      RootCert: string;
      SigningKeyID: string;
      Active: boolean;
      IntermediateCerts: string[] | null;
    }>;
  }
  interface Leaf {
    SerialNumber: string;
    CertPEM: string;
    PrivateKeyPEM: string;
    Service: string;
    ServiceURI: string;
    ValidAfter: string;
    ValidBefore: string;
    ModifyIndex: number;
  }

  test('roots: a real self-signed ECDSA P-256 CA; ID is the SHA-1 fingerprint, SigningKeyID the SKI', async () => {
    const r = await call(e, 'GET', '/v1/agent/connect/ca/roots');
    const roots = r.json() as Roots;
    expect(roots.TrustDomain).toMatch(/^[0-9a-f-]{36}\.consul$/);
    expect(roots.Roots).toHaveLength(1);
    const root = roots.Roots[0]!;
    expect(root.ID).toBe(roots.ActiveRootID);
    expect(root.Active).toBe(true);
    expect(root.IntermediateCerts).toBeNull();
    const cert = new x509.X509Certificate(root.RootCert);
    expect(await cert.isSelfSigned()).toBe(true);
    expect(cert.publicKey.algorithm).toEqual(expect.objectContaining({ name: 'ECDSA', namedCurve: 'P-256' }));
    expect(cert.getExtension(x509.BasicConstraintsExtension)?.ca).toBe(true);
    const sha1 = createHash('sha1').update(Buffer.from(cert.rawData)).digest('hex').match(/../g)!.join(':');
    expect(root.ID).toBe(sha1);
    const ski = cert.getExtension(x509.SubjectKeyIdentifierExtension)!.keyId;
    expect(root.SigningKeyID).toBe(ski.match(/../g)!.join(':'));
    const san = cert.getExtension(x509.SubjectAlternativeNameExtension)!;
    expect(san.names.items.map((n) => n.value)).toEqual([`spiffe://${roots.TrustDomain}`]);
  });

  test('leaf: SPIFFE SAN, chains to the root, key pair matches, ValidBefore = now + 72h, cached', async () => {
    const roots = (await call(e, 'GET', '/v1/agent/connect/ca/roots')).json() as Roots;
    const r = await call(e, 'GET', '/v1/agent/connect/ca/leaf/orders');
    expect(r.status).toBe(200);
    expect(r.headers.get('x-cache')).toBe('MISS');
    const leaf = r.json() as Leaf;
    const uri = `spiffe://${roots.TrustDomain}/ns/default/dc/dc1/svc/orders`;
    expect(leaf).toEqual(expect.objectContaining({ Service: 'orders', ServiceURI: uri }));
    expect(r.headers.get('x-consul-index')).toBe(String(leaf.ModifyIndex));

    const cert = new x509.X509Certificate(leaf.CertPEM);
    const san = cert.getExtension(x509.SubjectAlternativeNameExtension)!;
    expect(san.critical).toBe(true); // empty subject → critical SAN, as Go's x509 does
    expect(san.names.items).toEqual([expect.objectContaining({ type: 'url', value: uri })]);
    expect(cert.subject).toBe('');
    expect(cert.getExtension(x509.BasicConstraintsExtension)?.ca).toBe(false);
    const eku = cert.getExtension(x509.ExtendedKeyUsageExtension)!;
    expect(eku.usages).toEqual([x509.ExtendedKeyUsage.clientAuth, x509.ExtendedKeyUsage.serverAuth]);

    const root = new x509.X509Certificate(roots.Roots[0]!.RootCert);
    expect(await cert.verify({ publicKey: root.publicKey, signatureOnly: true })).toBe(true);
    expect(cert.issuer).toBe(root.subject);
    const nodeLeaf = new NodeX509(leaf.CertPEM);
    const nodeRoot = new NodeX509(roots.Roots[0]!.RootCert);
    expect(nodeLeaf.checkIssued(nodeRoot)).toBe(true);
    expect(nodeLeaf.verify(nodeRoot.publicKey)).toBe(true);
    expect(leaf.SerialNumber).toBe(nodeLeaf.serialNumber.toLowerCase().match(/../g)!.join(':'));

    // The private key belongs to the certificate.
    const pub = createPublicKey(leaf.PrivateKeyPEM).export({ type: 'spki', format: 'der' });
    expect(Buffer.from(pub).equals(Buffer.from(cert.publicKey.rawData))).toBe(true);
    expect(leaf.PrivateKeyPEM).toMatch(/^-----BEGIN EC PRIVATE KEY-----/);

    const before = Date.parse(leaf.ValidBefore);
    expect(before).toBeGreaterThan(Date.now());
    expect(before - Date.parse(leaf.ValidAfter)).toBe(72 * 3600 * 1000);
    expect(leaf.ValidBefore).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(cert.notAfter.getTime()).toBe(before);

    const again = await call(e, 'GET', '/v1/agent/connect/ca/leaf/orders');
    expect(again.headers.get('x-cache')).toBe('HIT');
    expect((again.json() as Leaf).SerialNumber).toBe(leaf.SerialNumber);
  });

  test('leaf is re-issued once near expiry (short TTL, moved clock)', async () => {
    e.state.setLeafTtl(10 * 60 * 1000); // 10 minutes
    e.state.ca.clearLeafCache();
    e.state.clock.set(Date.now());
    const first = (await call(e, 'GET', '/v1/agent/connect/ca/leaf/short')).json() as Leaf;
    expect(Date.parse(first.ValidBefore) - Date.parse(first.ValidAfter)).toBe(10 * 60 * 1000);
    // Half-way through its lifetime (soft expiry is between 60 % and 90 %): still the cached one.
    e.state.clock.advance(4 * 60 * 1000);
    const mid = (await call(e, 'GET', '/v1/agent/connect/ca/leaf/short')).json() as Leaf;
    expect(mid.SerialNumber).toBe(first.SerialNumber);
    // Past 90 % of the lifetime (95 %: 9.5 of 10 minutes since ValidAfter), not yet expired: renewed.
    e.state.clock.advance(4.5 * 60 * 1000);
    const renewed = await call(e, 'GET', '/v1/agent/connect/ca/leaf/short');
    expect(renewed.headers.get('x-cache')).toBe('MISS');
    const next = renewed.json() as Leaf;
    expect(next.SerialNumber).not.toBe(first.SerialNumber);
    expect(Date.parse(next.ValidBefore)).toBeGreaterThan(Date.parse(first.ValidBefore));
    expect(next.ModifyIndex).toBeGreaterThan(first.ModifyIndex);
    e.state.clock.reset();
    e.state.setLeafTtl(72 * 3600 * 1000);
  });

  test('a secondary datacenter signs through an intermediate carried in the roots and the leaf chain', async () => {
    const roots = (await call(e, 'GET', '/v1/agent/connect/ca/roots?dc=dc2')).json() as Roots;
    const primary = (await call(e, 'GET', '/v1/agent/connect/ca/roots')).json() as Roots;
    expect(roots.ActiveRootID).toBe(primary.ActiveRootID);
    const intermediatePem = roots.Roots[0]!.IntermediateCerts![0]!;
    const leaf = (await call(e, 'GET', '/v1/agent/connect/ca/leaf/orders?dc=dc2')).json() as Leaf;
    expect(leaf.ServiceURI).toMatch(/\/dc\/dc2\/svc\/orders$/);
    expect(leaf.CertPEM.endsWith(intermediatePem)).toBe(true);
    const root = new NodeX509(roots.Roots[0]!.RootCert);
    const intermediate = new NodeX509(intermediatePem);
    const cert = new NodeX509(leaf.CertPEM);
    expect(intermediate.verify(root.publicKey)).toBe(true);
    expect(cert.verify(intermediate.publicKey)).toBe(true);
    expect(cert.verify(root.publicKey)).toBe(false);
  });
});

describe('Consul emulator: cluster peerings', () => {
  test('lists the established peerings to a token with peering (operator) read, and no one else', async () => {
    const e = await start({
      aclToken: 'root',
      aclTokens: [{ secretId: 'services-only', rules: { service_prefix: { '': 'write' } } }],
      peerings: [
        {
          name: 'eu-cluster',
          peerServerName: 'server.dc1.peering.11111111-2222-3333-4444-555555555555.consul',
        },
      ],
    });
    const listed = await call(e, 'GET', '/v1/peerings', { token: 'root' });
    expect(listed.status).toBe(200);
    expect(listed.json()).toEqual([
      expect.objectContaining({
        Name: 'eu-cluster',
        State: 'ACTIVE',
        PeerServerName: 'server.dc1.peering.11111111-2222-3333-4444-555555555555.consul',
      }),
    ]);
    expect((await call(e, 'GET', '/v1/peerings', { token: 'services-only' })).status).toBe(403);
  });
});
