/**
 * CONSUL_HTTP_ADDR: the local cloud uses a Consul of the user's own instead of its emulator. Here a
 * second emulator, with ACLs on, plays that Consul; the registrator must write to it, with the token
 * given as CONSUL_HTTP_TOKEN.
 */
import { randomUUID } from 'node:crypto';
import { LambdaClient, TagResourceCommand } from '@aws-sdk/client-lambda';
import { projectRoot } from '../../checks/test-fixtures';
import { freePort, selfSignedCertificate } from '../../databases/database-servers';
import { spawnedGroupIds, survivingGroups } from '../../sandbox/process-group';
import { LocalCloud } from '../local-cloud';
import { LOCAL_CREDENTIALS } from '../seed';
import { startConsulEmulator, type ConsulEmulator } from './consul-api';
import { checkConsul, ConsulAddressError, parseConsulAddress, yourConsulFromEnv } from './external-consul';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

describe('CONSUL_HTTP_ADDR, read as the Consul CLI reads it', () => {
  it('takes host:port (http) and http(s)://host:port, and refuses anything else saying what to use', () => {
    expect(parseConsulAddress('127.0.0.1:8500')).toBe('http://127.0.0.1:8500');
    expect(parseConsulAddress(' https://consul.internal:8501 ')).toBe('https://consul.internal:8501');
    expect(parseConsulAddress('http://consul.internal:8500/')).toBe('http://consul.internal:8500');
    expect(() => parseConsulAddress('unix:///var/run/consul.sock')).toThrow(
      new ConsulAddressError(
        'CONSUL_HTTP_ADDR "unix:///var/run/consul.sock": scheme unix is not http or https',
      ),
    );
    expect(() => parseConsulAddress('http://consul:8500/v1')).toThrow(/must be scheme:\/\/host:port only/);
    expect(() => parseConsulAddress('http://[::1')).toThrow(
      /is not an address: use host:port or http\(s\):\/\/host:port/,
    );
  });

  it('is checked before use: nothing listening, or not a Consul, is one clear error', async () => {
    const closed = await freePort();
    await expect(checkConsul(`http://127.0.0.1:${closed}`)).rejects.toThrow(
      /^CONSUL_HTTP_ADDR http:\/\/127\.0\.0\.1:\d+ does not answer \(ECONNREFUSED\): start that Consul, or unset CONSUL_HTTP_ADDR to use the emulator$/,
    );
    // Some other web server on that port.
    const other = http.createServer((_req, res) => res.writeHead(404).end('not found'));
    await new Promise<void>((resolve) => other.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = other.address() as AddressInfo;
      await expect(checkConsul(`http://127.0.0.1:${port}`)).rejects.toThrow(
        /is not a Consul HTTP API \(GET \/v1\/status\/leader: HTTP 404\)/,
      );
    } finally {
      other.close();
    }
  });
});

/** Consul over https, as a production one speaks: a TLS front (private CA) before an emulator. */
async function tlsFront(
  target: string,
): Promise<{ address: string; caCert: string; close: () => Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), 'consul-tls-'));
  const { cert, key } = selfSignedCertificate(dir);
  const server = https.createServer({ cert: readFileSync(cert), key: readFileSync(key) }, (req, res) => {
    const upstream = http.request(
      `${target}${req.url ?? '/'}`,
      { method: req.method, headers: req.headers },
      (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      },
    );
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    address: `https://127.0.0.1:${port}`,
    caCert: readFileSync(cert, 'utf8'),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
        rmSync(dir, { recursive: true, force: true });
      }),
  };
}

describe('the Consul CLI’s variables', () => {
  it('CONSUL_HTTP_SSL, CONSUL_HTTP_TOKEN_FILE and CONSUL_CACERT, each checked', () => {
    const dir = mkdtempSync(join(tmpdir(), 'consul-env-'));
    writeFileSync(join(dir, 'token'), 'file-token\n');
    const { cert } = selfSignedCertificate(dir);
    expect(
      yourConsulFromEnv({
        CONSUL_HTTP_ADDR: 'consul.internal:8501',
        CONSUL_HTTP_SSL: 'true',
        CONSUL_HTTP_TOKEN_FILE: join(dir, 'token'),
        CONSUL_CACERT: cert,
      }),
    ).toEqual({
      address: 'https://consul.internal:8501',
      token: 'file-token',
      caCert: readFileSync(cert, 'utf8'),
    });
    expect(yourConsulFromEnv({})).toBeUndefined();
    expect(() =>
      yourConsulFromEnv({ CONSUL_HTTP_ADDR: 'c:8500', CONSUL_CACERT: join(dir, 'nope.pem') }),
    ).toThrow(`CONSUL_CACERT names ${join(dir, 'nope.pem')}, which does not exist`);
    expect(() =>
      yourConsulFromEnv({ CONSUL_HTTP_ADDR: 'c:8500', CONSUL_CACERT: join(dir, 'token') }),
    ).toThrow(/holds no PEM certificate/);
  });
});

describe('the local cloud with a Consul of your own (https, private CA, ACLs on)', () => {
  const token = randomUUID();
  let yours: ConsulEmulator;
  let front: Awaited<ReturnType<typeof tlsFront>>;
  let cloud: LocalCloud | undefined;

  beforeAll(async () => {
    yours = await startConsulEmulator({ aclToken: token });
    front = await tlsFront(yours.address);
    cloud = await LocalCloud.start({
      root: projectRoot,
      consul: { address: front.address, token, caCert: front.caCert },
    });
  }, 300_000);

  afterAll(async () => {
    await cloud?.stop();
    await front?.close();
    await yours?.close();
    expect(survivingGroups(spawnedGroupIds.splice(0))).toEqual([]);
  });

  it('is checked with its CA: without it, one line saying to set CONSUL_CACERT', async () => {
    await expect(checkConsul(front.address)).rejects.toThrow(
      /^CONSUL_HTTP_ADDR https:\/\/127\.0\.0\.1:\d+: its TLS certificate is not trusted \(.+\): set CONSUL_CACERT to the CA file that signed it$/,
    );
    await expect(checkConsul(front.address, front.caCert)).resolves.toBeUndefined();
  });

  it('runs no emulator and points the functions at it, with its token and CA through SSM', () => {
    expect(cloud!.services.map((s) => s.name)).not.toContain('Consul');
    expect(cloud!.consul).toEqual({ address: front.address, token, caCert: front.caCert, managed: false });
  });

  it('a local full sync leaves alone what the deployed registrator (another account) registered', async () => {
    const consul = async (method: string, path: string, body: unknown) => {
      const res = await fetch(`${yours.address}${path}`, {
        method,
        headers: { 'X-Consul-Token': token },
        body: JSON.stringify(body),
      });
      expect(res.status).toBe(200);
    };
    // What the registrator deployed in account 999999999999 wrote.
    const arn = 'arn:aws:lambda:eu-west-1:999999999999:function:prod-orders';
    await consul('PUT', '/v1/config', {
      Kind: 'service-defaults',
      Name: 'prod-orders',
      Protocol: 'http',
      EnvoyExtensions: [{ Name: 'builtin/aws/lambda', Required: false, Arguments: { arn } }],
    });
    await consul('PUT', '/v1/catalog/register', {
      Node: 'lambdas',
      SkipNodeUpdate: true,
      Service: { ID: 'prod-orders', Service: 'prod-orders', Tags: ['managed-by-lambda-registrator'] },
    });
    const result = await cloud!.invoke('RegistratorFunction', JSON.stringify({ sync: 'full' }));
    expect(result.errorType).toBeUndefined();
    expect(JSON.parse(result.payload.toString('utf8'))).toMatchObject({
      mode: 'full',
      inventoryComplete: true,
      errors: [],
      plan: { delete: 0 },
    });
    const res = await fetch(`${yours.address}/v1/catalog/services`, { headers: { 'X-Consul-Token': token } });
    expect(await res.json()).toHaveProperty('prod-orders', ['managed-by-lambda-registrator']);
  });

  it('the registrator registers a newly tagged function in it', async () => {
    const lambda = new LambdaClient({
      endpoint: cloud!.endpoint('lambda'),
      region: 'us-east-1',
      credentials: LOCAL_CREDENTIALS,
    });
    const hello = cloud!.functions.get('HelloFunction')!.config.functionName;
    await lambda.send(
      new TagResourceCommand({
        Resource: `arn:aws:lambda:us-east-1:123456789012:function:${hello}`,
        Tags: { 'serverless.consul.hashicorp.com/v1alpha1/lambda/enabled': 'true' },
      }),
    );
    // TagResource → CloudTrail-shaped event → the registrator's rule → catalog register in *your* Consul.
    const deadline = Date.now() + 30_000;
    let services: Record<string, string[]> = {};
    while (!(hello in services) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 200));
      const res = await fetch(`${yours.address}/v1/catalog/services`, {
        headers: { 'X-Consul-Token': token },
      });
      services = (await res.json()) as Record<string, string[]>;
    }
    expect(services[hello]).toEqual(['managed-by-lambda-registrator']);
  }, 60_000);
});
