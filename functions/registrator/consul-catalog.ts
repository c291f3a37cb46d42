import type { RegistratorConfig } from './config';
import type { ConsulClient, ServiceDefaults } from './consul-client';
import type { ServiceScope } from './tags';

/** The tag every service the registrator registers carries; nothing without it is ever removed. */
export const MANAGED_TAG = 'managed-by-lambda-registrator';
export const LAMBDA_EXTENSION = 'builtin/aws/lambda';

/** A service in Consul's catalog, with what its service-defaults entry says about its Lambda. */
export interface CatalogService extends ServiceScope {
  datacenter: string;
  name: string;
  managed: boolean;
  lambda?: { arn?: string; invocationMode?: string; payloadPassthrough?: boolean };
}

export interface ConsulSnapshot {
  /** The agent's own datacenter: what a function without a datacenter tag registers into. */
  localDatacenter: string;
  /** Every service of the scopes read, managed or not, by {@link serviceKey}. */
  services: Map<string, CatalogService>;
}

/** Datacenter is part of the key: the same name in two datacenters is two services. */
export function serviceKey(scope: ServiceScope, name: string, localDatacenter: string): string {
  return [scope.datacenter || localDatacenter, scope.partition ?? '', scope.namespace ?? '', name].join('|');
}

/**
 * Reads the catalog and the service-defaults entries of every scope the registrator manages: the
 * DATACENTER (or every datacenter Consul knows), and on Enterprise every namespace of every
 * partition in PARTITIONS. Any failure is thrown: a sync that cannot see Consul plans nothing.
 */
export async function readConsul(
  consul: ConsulClient,
  config: Pick<RegistratorConfig, 'datacenter' | 'enterprise' | 'partitions'>,
): Promise<ConsulSnapshot> {
  const datacenters = await consul.datacenters();
  // Consul lists datacenters nearest first: the first is the agent's own.
  const localDatacenter = datacenters[0] ?? 'dc1';
  const dcs = config.datacenter !== undefined ? [config.datacenter] : datacenters;
  const scopes: ServiceScope[] = [];
  for (const datacenter of dcs) {
    if (!config.enterprise) {
      scopes.push({ datacenter });
      continue;
    }
    for (const partition of config.partitions) {
      const namespaces = await consul.namespaces(partition);
      for (const ns of namespaces) scopes.push({ datacenter, partition, namespace: ns.Name });
    }
  }
  const services = new Map<string, CatalogService>();
  await Promise.all(
    scopes.map(async (scope) => {
      const [catalog, defaults] = await Promise.all([consul.services(scope), consul.serviceDefaults(scope)]);
      const entries = new Map(defaults.map((d) => [d.Name, d]));
      for (const [name, tags] of Object.entries(catalog)) {
        const entry = entries.get(name);
        services.set(serviceKey(scope, name, localDatacenter), {
          ...scope,
          datacenter: scope.datacenter || localDatacenter,
          name,
          managed: (tags ?? []).includes(MANAGED_TAG),
          ...(entry ? { lambda: lambdaArguments(entry) } : {}),
        });
      }
    }),
  );
  return { localDatacenter, services };
}

function lambdaArguments(entry: ServiceDefaults): CatalogService['lambda'] {
  const args = entry.EnvoyExtensions?.find((e) => e.Name === LAMBDA_EXTENSION)?.Arguments;
  if (!args) return undefined;
  return {
    ...(typeof args.arn === 'string' ? { arn: args.arn } : {}),
    ...(typeof args.invocationMode === 'string' ? { invocationMode: args.invocationMode } : {}),
    ...(typeof args.payloadPassthrough === 'boolean' ? { payloadPassthrough: args.payloadPassthrough } : {}),
  };
}
