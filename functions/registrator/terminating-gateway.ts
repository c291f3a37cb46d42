import type { ConsulClient, TerminatingGateway } from './consul-client';
import type { ServiceScope } from './tags';

/** A Lambda service to list in, or drop from, the terminating gateway. */
export interface GatewayLink extends ServiceScope {
  name: string;
}

const CAS_ATTEMPTS = 5;

/**
 * Keeps the terminating gateway's `Services` in step with the run's changes: one check-and-set
 * write per partition (the gateway entry lives there; services carry their namespace), retried when
 * someone else wrote in between, and only the registrator's own services added or removed — every
 * other entry of the gateway stays as it was.
 */
export async function linkTerminatingGateway(
  consul: ConsulClient,
  gateway: string,
  add: GatewayLink[],
  remove: GatewayLink[],
): Promise<void> {
  const partitions = new Set([...add, ...remove].map((s) => s.partition ?? ''));
  for (const partition of partitions) {
    const scope: ServiceScope = { datacenter: '', ...(partition ? { partition } : {}) };
    const inPartition = (s: GatewayLink) => (s.partition ?? '') === partition;
    await update(consul, scope, gateway, add.filter(inPartition), remove.filter(inPartition));
  }
}

async function update(
  consul: ConsulClient,
  scope: ServiceScope,
  gateway: string,
  add: GatewayLink[],
  remove: GatewayLink[],
): Promise<void> {
  const id = (s: { Name?: string; name?: string; Namespace?: string; namespace?: string }) =>
    `${s.Namespace ?? s.namespace ?? 'default'}/${s.Name ?? s.name}`;
  const dropped = new Set(remove.map(id));
  for (let attempt = 1; attempt <= CAS_ATTEMPTS; attempt++) {
    const current = await consul.terminatingGateway(scope, gateway);
    const services = (current?.Services ?? []).filter((s) => !dropped.has(id(s)));
    const listed = new Set(services.map(id));
    for (const s of add)
      if (!listed.has(id(s)))
        services.push({ Name: s.name, ...(s.namespace ? { Namespace: s.namespace } : {}) });
    if (current && JSON.stringify(services) === JSON.stringify(current.Services ?? [])) return;
    // Raft bookkeeping is Consul's; everything else of the entry is written back as it was.
    const fields = Object.fromEntries(
      Object.entries(current ?? {}).filter(([k]) => !['CreateIndex', 'ModifyIndex', 'Hash'].includes(k)),
    );
    const entry: TerminatingGateway = {
      ...fields,
      Kind: 'terminating-gateway',
      Name: gateway,
      Services: services,
    };
    if (await consul.putConfigCas(scope, entry, current?.ModifyIndex ?? 0)) return;
  }
  throw new Error(
    `terminating gateway ${gateway}: changed by others ${CAS_ATTEMPTS} times in a row; the next sync retries`,
  );
}
