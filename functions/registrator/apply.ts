import type { SSMClient } from '@aws-sdk/client-ssm';
import { mapBounded } from './bounded';
import type { RegistratorConfig } from './config';
import { LAMBDA_EXTENSION, MANAGED_TAG, type CatalogService } from './consul-catalog';
import type { ConsulClient, ServiceDefaults } from './consul-client';
import {
  deleteExtensionData,
  extensionDataOf,
  extensionDataPath,
  writeExtensionData,
  type TrustBundle,
} from './extension-data';
import type { PlanAction } from './plan';
import type { DesiredService } from './tags';

export interface ApplyDeps {
  consul: ConsulClient;
  ssm: SSMClient;
  config: RegistratorConfig;
}

export interface ApplyResult {
  applied: { create: number; update: number; delete: number };
  /** Actions not started because the time budget ran out: the next sync picks them up. */
  deferred: number;
  errors: Array<{ service: string; action: string; error: string }>;
  /** The actions that went through. */
  done: PlanAction[];
}

/**
 * Applies a plan, `config.concurrency` services at a time; one service failing is recorded and
 * the rest go on. Each step is idempotent and ordered so that a run cut short anywhere leaves
 * something the next sync sees and finishes: an upsert writes the config entry, then the catalog
 * registration, then the mTLS data; a delete removes the mTLS data and the config entry before
 * the registration, which is what marks the service as still to be cleaned.
 */
export async function applyPlan(
  deps: ApplyDeps,
  actions: PlanAction[],
  deadlineMs: number,
  // The run's CA roots and peers: fetched once per sync, not once per service.
  trust: TrustBundle,
): Promise<ApplyResult> {
  const result: ApplyResult = {
    applied: { create: 0, update: 0, delete: 0 },
    deferred: 0,
    errors: [],
    done: [],
  };
  await mapBounded(actions, deps.config.concurrency, async (item) => {
    if (Date.now() > deadlineMs) {
      result.deferred++;
      return;
    }
    try {
      if (item.action === 'delete') await remove(deps, item.service);
      else await upsert(deps, item.service, trust);
      result.applied[item.action]++;
      result.done.push(item);
    } catch (e) {
      result.errors.push({ service: item.key, action: item.action, error: (e as Error).message });
    }
  });
  return result;
}

export function serviceDefaultsOf(service: DesiredService): ServiceDefaults {
  return {
    Kind: 'service-defaults',
    Name: service.name,
    Protocol: 'http',
    EnvoyExtensions: [
      {
        Name: LAMBDA_EXTENSION,
        Required: false,
        Arguments: {
          arn: service.arn,
          invocationMode: service.invocationMode,
          payloadPassthrough: service.payloadPassthrough,
        },
      },
    ],
  };
}

async function upsert(deps: ApplyDeps, service: DesiredService, trust: TrustBundle): Promise<void> {
  const { consul, config } = deps;
  await consul.putConfig(service, serviceDefaultsOf(service));
  await consul.register(service, {
    Node: config.nodeName,
    // The node is external and has no address of its own; Consul accepts that only with SkipNodeUpdate.
    SkipNodeUpdate: true,
    NodeMeta: { 'external-node': 'true', 'external-probe': 'true' },
    Service: { ID: service.name, Service: service.name, Tags: [MANAGED_TAG] },
  });
  if (config.extensionDataPrefix === undefined) return;
  const [roots, peers, leaf] = await Promise.all([
    trust.roots(),
    trust.peers(service.partition),
    consul.leaf(service, service.name),
  ]);
  await writeExtensionData(
    deps.ssm,
    extensionDataPath(config.extensionDataPrefix, service, service.name),
    extensionDataOf(leaf, roots, peers),
    config.extensionDataTier,
    config.extensionDataKmsKeyId,
  );
}

async function remove(deps: ApplyDeps, service: CatalogService): Promise<void> {
  const { consul, config } = deps;
  const instances = await consul.serviceInstances(service, service.name);
  // Only the registrator's own instances go; a same-named instance someone else registered stays,
  // and so does the config entry it relies on.
  const ours = instances.filter((i) => (i.ServiceTags ?? []).includes(MANAGED_TAG));
  const shared = ours.length < instances.length;
  if (config.extensionDataPrefix !== undefined)
    await deleteExtensionData(deps.ssm, extensionDataPath(config.extensionDataPrefix, service, service.name));
  if (!shared) await consul.deleteServiceDefaults(service, service.name);
  for (const instance of ours) await consul.deregister(service, instance.Node, instance.ServiceID);
}
