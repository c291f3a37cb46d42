import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConsulApiError, ConsulClient } from './consul-client';

/** Consul over HTTPS with a private CA (CONSUL_CACERT_PATH's content) and the ACL token header. */

let server: https.Server;
let address: URL;
let ca: string;
const seen: Array<{ path?: string; token?: string }> = [];

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'consul-tls-'));
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1',
    '-subj', '/CN=consul.test', '-addext', 'subjectAltName=IP:127.0.0.1',
    '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'),
  ], { stdio: 'ignore' }); // prettier-ignore
  ca = readFileSync(join(dir, 'cert.pem'), 'utf8');
  server = https.createServer({ key: readFileSync(join(dir, 'key.pem')), cert: ca }, (req, res) => {
    seen.push({ path: req.url, token: req.headers['x-consul-token'] as string | undefined });
    if (req.headers['x-consul-token'] !== 'secret-token') {
      res.writeHead(403).end('Permission denied: token with AccessorID is not allowed');
      return;
    }
    res.writeHead(200, { 'Content-Type': 'application/json' }).end('["dc1","dc2"]');
  });
  rmSync(dir, { recursive: true });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  address = new URL(`https://127.0.0.1:${(server.address() as AddressInfo).port}`);
});

afterAll(() => new Promise<void>((r) => server.close(() => r())));

describe('ConsulClient over HTTPS', () => {
  it('trusts the CA it is given and sends the token', async () => {
    const client = new ConsulClient({ address, ca, token: 'secret-token' });
    expect(await client.datacenters()).toEqual(['dc1', 'dc2']);
    expect(seen.at(-1)).toEqual({ path: '/v1/catalog/datacenters', token: 'secret-token' });
    client.close();
  });

  it('refuses a server its CA did not sign', async () => {
    const client = new ConsulClient({ address, token: 'secret-token' });
    await expect(client.datacenters()).rejects.toThrow(/self.signed|unable to verify/i);
    client.close();
  });

  it('reports Consul’s status and text', async () => {
    const client = new ConsulClient({ address, ca, token: 'wrong' });
    const error = await client.datacenters().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConsulApiError);
    expect((error as ConsulApiError).message).toBe(
      'Consul /v1/catalog/datacenters: 403 Permission denied: token with AccessorID is not allowed',
    );
    client.close();
  });
});
