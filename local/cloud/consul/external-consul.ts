import http from 'node:http';
import https from 'node:https';
import { existsSync, readFileSync } from 'node:fs';

/**
 * A Consul of the user's own instead of the emulator, configured with the Consul CLI's variables:
 * `CONSUL_HTTP_ADDR` (host:port, or http(s)://host:port), `CONSUL_HTTP_SSL` (https for host:port),
 * `CONSUL_HTTP_TOKEN` or `CONSUL_HTTP_TOKEN_FILE`, `CONSUL_CACERT` (the CA file for https). Checked
 * to answer before anything uses it.
 */
export interface YourConsul {
  address: string;
  token?: string;
  /** PEM of the CA that signs its certificate. */
  caCert?: string;
}

/** A Consul setting that cannot be used; the message says what to change. */
export class ConsulAddressError extends Error {}

const PROBE_TIMEOUT_MS = 3000;

/** `host:port` (http, or https with CONSUL_HTTP_SSL) or `http(s)://host:port`. */
export function parseConsulAddress(raw: string, options: { ssl?: boolean } = {}): string {
  const text = raw.trim();
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(text)
    ? text
    : `${options.ssl ? 'https' : 'http'}://${text}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    throw new ConsulAddressError(
      `CONSUL_HTTP_ADDR "${raw}" is not an address: use host:port or http(s)://host:port`,
    );
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new ConsulAddressError(
      `CONSUL_HTTP_ADDR "${raw}": scheme ${url.protocol.slice(0, -1)} is not http or https`,
    );
  if ((url.pathname !== '/' && url.pathname !== '') || url.search || url.username)
    throw new ConsulAddressError(
      `CONSUL_HTTP_ADDR "${raw}" must be scheme://host:port only, without a path, query or user`,
    );
  return `${url.protocol}//${url.host}`;
}

/** The Consul CLI's variables, read and checked; undefined when CONSUL_HTTP_ADDR is not set. */
export function yourConsulFromEnv(env: NodeJS.ProcessEnv): YourConsul | undefined {
  if (!env.CONSUL_HTTP_ADDR) return undefined;
  const file = (name: 'CONSUL_HTTP_TOKEN_FILE' | 'CONSUL_CACERT') => {
    const path = env[name];
    if (!path) return undefined;
    if (!existsSync(path)) throw new ConsulAddressError(`${name} names ${path}, which does not exist`);
    return readFileSync(path, 'utf8');
  };
  const token = env.CONSUL_HTTP_TOKEN || file('CONSUL_HTTP_TOKEN_FILE')?.trim();
  const caCert = file('CONSUL_CACERT');
  if (caCert !== undefined && !caCert.includes('-----BEGIN CERTIFICATE-----'))
    throw new ConsulAddressError(`CONSUL_CACERT names ${env.CONSUL_CACERT}, which holds no PEM certificate`);
  return {
    address: parseConsulAddress(env.CONSUL_HTTP_ADDR, { ssl: /^(1|true)$/i.test(env.CONSUL_HTTP_SSL ?? '') }),
    ...(token ? { token } : {}),
    ...(caCert ? { caCert } : {}),
  };
}

/** Consul answers and has a leader (`/v1/status/leader`, which needs no token). */
export async function checkConsul(address: string, caCert?: string): Promise<void> {
  const { status, body } = await new Promise<{ status: number; body: string }>((resolve, reject) => {
    const url = new URL('/v1/status/leader', address);
    const request = url.protocol === 'https:' ? https.get(url, caCert ? { ca: caCert } : {}) : http.get(url);
    request.setTimeout(PROBE_TIMEOUT_MS, () =>
      request.destroy(Object.assign(new Error('timed out'), { code: 'ETIMEDOUT' })),
    );
    request.on('error', reject);
    request.on('response', (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text.trim() }));
    });
  }).catch((e: NodeJS.ErrnoException) => {
    const code = e.code ?? e.message;
    if (/CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_TLS/.test(code))
      throw new ConsulAddressError(
        `CONSUL_HTTP_ADDR ${address}: its TLS certificate is not trusted (${code}): set CONSUL_CACERT to the CA file that signed it`,
      );
    throw new ConsulAddressError(
      `CONSUL_HTTP_ADDR ${address} does not answer (${code}): start that Consul, or unset CONSUL_HTTP_ADDR to use the emulator`,
    );
  });
  if (status < 200 || status > 299)
    throw new ConsulAddressError(
      `CONSUL_HTTP_ADDR ${address} is not a Consul HTTP API (GET /v1/status/leader: HTTP ${status})`,
    );
  if (body === '""' || body === '')
    throw new ConsulAddressError(
      `the Consul at ${address} has no leader yet: wait for its servers to elect one`,
    );
}
