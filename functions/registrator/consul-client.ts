import http from 'node:http';
import https from 'node:https';
import type { ServiceScope } from './tags';

/** Consul's HTTP API, just the calls the registrator makes; every call carries its scope. */

export class ConsulApiError extends Error {
  override name = 'ConsulApiError';
  constructor(
    readonly status: number,
    readonly path: string,
    text: string,
  ) {
    super(`Consul ${path}: ${status} ${text.trim() || http.STATUS_CODES[status] || ''}`.trim());
  }
}

export interface ConsulClientOptions {
  address: URL;
  token?: string;
  /** PEM CA bundle for an https address. */
  ca?: string;
  timeoutMs?: number;
}

export interface ServiceDefaults {
  Kind: 'service-defaults';
  Name: string;
  Protocol?: string;
  EnvoyExtensions?: Array<{ Name: string; Required?: boolean; Arguments?: Record<string, unknown> }>;
}

export interface TerminatingGateway {
  Kind: 'terminating-gateway';
  Name: string;
  Services?: Array<{ Name: string; Namespace?: string; [field: string]: unknown }>;
  ModifyIndex?: number;
  [field: string]: unknown;
}

export interface CaRoots {
  ActiveRootID: string;
  TrustDomain: string;
  Roots: Array<{ ID: string; RootCert: string; Active?: boolean }>;
}

export interface LeafCert {
  CertPEM: string;
  PrivateKeyPEM: string;
  ValidBefore: string;
}

export class ConsulClient {
  private readonly agent: http.Agent;
  private readonly request: typeof http.request;
  /** Requests made (for the run summary and the benchmark). */
  calls = 0;

  constructor(private readonly options: ConsulClientOptions) {
    const secure = options.address.protocol === 'https:';
    this.agent = secure
      ? new https.Agent({ keepAlive: true, ...(options.ca ? { ca: options.ca } : {}) })
      : new http.Agent({ keepAlive: true });
    this.request = secure ? https.request : http.request;
  }

  close(): void {
    this.agent.destroy();
  }

  datacenters(): Promise<string[]> {
    return this.call('GET', '/v1/catalog/datacenters');
  }

  namespaces(partition: string): Promise<Array<{ Name: string }>> {
    return this.call('GET', '/v1/namespaces', { partition });
  }

  /** Service name → tags, in one datacenter / partition / namespace. */
  services(scope: ServiceScope): Promise<Record<string, string[]>> {
    return this.call('GET', '/v1/catalog/services', query(scope));
  }

  serviceDefaults(scope: ServiceScope): Promise<ServiceDefaults[]> {
    return this.call('GET', '/v1/config/service-defaults', query(scope));
  }

  /** The instances of one service: which node holds it, under which ID, with which tags. */
  serviceInstances(
    scope: ServiceScope,
    name: string,
  ): Promise<Array<{ Node: string; ServiceID: string; ServiceTags: string[] | null }>> {
    return this.call('GET', `/v1/catalog/service/${encodeURIComponent(name)}`, query(scope));
  }

  putConfig(scope: ServiceScope, entry: ServiceDefaults | TerminatingGateway): Promise<unknown> {
    return this.call('PUT', '/v1/config', query(scope), entry);
  }

  /** The gateway's entry, or undefined when there is none. */
  async terminatingGateway(scope: ServiceScope, name: string): Promise<TerminatingGateway | undefined> {
    try {
      return await this.call(
        'GET',
        `/v1/config/terminating-gateway/${encodeURIComponent(name)}`,
        query(scope),
      );
    } catch (e) {
      if (e instanceof ConsulApiError && e.status === 404) return undefined;
      throw e;
    }
  }

  /** Check-and-set write: false when the entry changed since `modifyIndex` was read (0: must not exist). */
  async putConfigCas(scope: ServiceScope, entry: TerminatingGateway, modifyIndex: number): Promise<boolean> {
    return (
      (await this.call('PUT', '/v1/config', { ...query(scope), cas: String(modifyIndex) }, entry)) === true
    );
  }

  /** Deleting an entry that is not there succeeds in Consul too. */
  deleteServiceDefaults(scope: ServiceScope, name: string): Promise<unknown> {
    return this.call('DELETE', `/v1/config/service-defaults/${encodeURIComponent(name)}`, query(scope));
  }

  /**
   * Consul's agent ignores `?dc=` on catalog register and deregister (only the body's Datacenter
   * counts), so the datacenter goes in the body; the original sent only the query parameter and
   * registered every remote-datacenter function in the local one.
   */
  register(scope: ServiceScope, registration: Record<string, unknown>): Promise<unknown> {
    return this.call('PUT', '/v1/catalog/register', query(scope), {
      ...registration,
      ...(scope.datacenter ? { Datacenter: scope.datacenter } : {}),
    });
  }

  deregister(scope: ServiceScope, node: string, serviceId: string): Promise<unknown> {
    return this.call('PUT', '/v1/catalog/deregister', query(scope), {
      ...(scope.datacenter ? { Datacenter: scope.datacenter } : {}),
      Node: node,
      ServiceID: serviceId,
      ...(scope.partition ? { Partition: scope.partition, Namespace: scope.namespace } : {}),
    });
  }

  /** The cluster peerings of a partition (peering:read). */
  peerings(partition?: string): Promise<Array<{ Name: string; State: string; PeerServerName?: string }>> {
    return this.call('GET', '/v1/peerings', partition ? { partition } : {});
  }

  caRoots(): Promise<CaRoots> {
    return this.call('GET', '/v1/agent/connect/ca/roots');
  }

  leaf(scope: ServiceScope, service: string): Promise<LeafCert> {
    return this.call('GET', `/v1/agent/connect/ca/leaf/${encodeURIComponent(service)}`, query(scope));
  }

  private call<T>(
    method: string,
    path: string,
    params: Record<string, string> = {},
    body?: unknown,
  ): Promise<T> {
    const url = new URL(path, this.options.address);
    for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
    const payload = body === undefined ? undefined : JSON.stringify(body);
    this.calls++;
    return new Promise<T>((resolve, reject) => {
      const req = this.request(
        url,
        {
          method,
          agent: this.agent,
          timeout: this.options.timeoutMs ?? 10_000,
          headers: {
            ...(this.options.token ? { 'X-Consul-Token': this.options.token } : {}),
            ...(payload !== undefined
              ? { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(payload) }
              : {}),
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            const status = res.statusCode ?? 0;
            if (status < 200 || status > 299) return reject(new ConsulApiError(status, url.pathname, text));
            try {
              resolve((text === '' ? undefined : JSON.parse(text)) as T);
            } catch {
              reject(
                new ConsulApiError(status, url.pathname, `unreadable JSON answer: ${text.slice(0, 200)}`),
              );
            }
          });
          res.on('error', reject);
        },
      );
      req.on('timeout', () => req.destroy(new Error(`Consul ${url.pathname}: no answer in time`)));
      req.on('error', reject);
      req.end(payload);
    });
  }
}

/** `?dc=&partition=&ns=`, each only when set. */
function query(scope: ServiceScope): Record<string, string> {
  return {
    ...(scope.datacenter ? { dc: scope.datacenter } : {}),
    ...(scope.partition ? { partition: scope.partition } : {}),
    ...(scope.namespace ? { ns: scope.namespace } : {}),
  };
}
