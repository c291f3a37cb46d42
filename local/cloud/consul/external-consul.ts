/**
 * A Consul of the user's own (`CONSUL_HTTP_ADDR`, with `CONSUL_HTTP_TOKEN`) instead of the emulator:
 * the address read as the Consul CLI reads it, and checked to answer before anything uses it.
 */

/** CONSUL_HTTP_ADDR that cannot be used; the message says what to change. */
export class ConsulAddressError extends Error {}

const PROBE_TIMEOUT_MS = 3000;

/** `host:port` (the CLI's default scheme is http) or `http(s)://host:port`. */
export function parseConsulAddress(raw: string): string {
  const text = raw.trim();
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(text) ? text : `http://${text}`;
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

/** Consul answers and has a leader (`/v1/status/leader`, which needs no token). */
export async function checkConsul(address: string): Promise<void> {
  let res: Response;
  try {
    res = await fetch(`${address}/v1/status/leader`, { signal: AbortSignal.timeout(PROBE_TIMEOUT_MS) });
  } catch (e) {
    const { cause } = e as { cause?: { code?: string; message?: string } };
    const why = cause?.code ?? cause?.message ?? (e as Error).message;
    throw new ConsulAddressError(
      `CONSUL_HTTP_ADDR ${address} does not answer (${why}): start that Consul, or unset CONSUL_HTTP_ADDR to use the emulator`,
    );
  }
  const leader = (await res.text()).trim();
  if (!res.ok)
    throw new ConsulAddressError(
      `CONSUL_HTTP_ADDR ${address} is not a Consul HTTP API (GET /v1/status/leader: HTTP ${res.status})`,
    );
  if (leader === '""' || leader === '')
    throw new ConsulAddressError(
      `the Consul at ${address} has no leader yet: wait for its servers to elect one`,
    );
}
