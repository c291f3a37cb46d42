import type { LambdaClient } from '@aws-sdk/client-lambda';
import type { ResourceGroupsTaggingAPIClient } from '@aws-sdk/client-resource-groups-tagging-api';
import type { SSMClient } from '@aws-sdk/client-ssm';
import { applyPlan, type ApplyResult } from './apply';
import { mapBounded } from './bounded';
import type { RegistratorConfig } from './config';
import { readConsul, serviceKey, type CatalogService, type ConsulSnapshot } from './consul-catalog';
import type { ConsulClient } from './consul-client';
import {
  activeRoot,
  extensionDataPath,
  needsReissue,
  readExtensionData,
  trustBundle,
  type TrustBundle,
} from './extension-data';
import { aliasesOf, functionByName, taggedFunctions, type CallCounter } from './lambda-inventory';
import type { Logger } from './log';
import { planSync, type PlanAction, type SyncPlan } from './plan';
import { linkTerminatingGateway } from './terminating-gateway';
import { functionOfArn } from './function-ref';
import { requestedAliases, servicesOf, TagError, type DesiredService, type LambdaFunctionInfo } from './tags';

export interface SyncDeps {
  config: RegistratorConfig;
  consul: ConsulClient;
  lambda: LambdaClient;
  tagging: ResourceGroupsTaggingAPIClient;
  ssm: SSMClient;
  log: Logger;
}

export interface SyncOptions {
  dryRun: boolean;
  /**
   * `arn:<partition>:lambda:<region>:<account>:function:`, this registrator's own functions: a sync
   * updates or deletes only services pointing there (or nowhere), so registrators of other regions
   * and accounts, or a laptop's, can share one Consul. Absent: every managed service is its own.
   */
  home?: string;
  /** Epoch ms after which no new work starts (below the function timeout). */
  deadlineMs: number;
}

/** The one summary each run logs and returns. */
export interface SyncSummary {
  mode: 'full' | 'function';
  target?: string;
  dryRun: boolean;
  inventoryComplete: boolean;
  functions: { seen: number; enabled: number; disabled: number; ignored: number; failed: number };
  plan: { create: number; update: number; delete: number; withheldDeletes: number; conflicts: number };
  applied: ApplyResult['applied'];
  deferred: number;
  errors: Array<{ subject: string; error: string }>;
  calls: CallCounter & { consul: number };
  durationsMs: { lambda: number; consul: number; apply: number; total: number };
  /** Each planned change (dry run: what would be done). */
  actions: Array<{ action: PlanAction['action']; service: string; reasons: string[] }>;
}

interface Desired {
  services: DesiredService[];
  protectedFunctions: Set<string>;
  counts: SyncSummary['functions'];
  errors: SyncSummary['errors'];
}

/** Services whose ARN is outside `home` (see SyncOptions.home); none when there is no home. */
export const foreignTo =
  (home: string | undefined) =>
  (service: CatalogService): boolean =>
    home !== undefined && service.lambda?.arn !== undefined && !service.lambda.arn.startsWith(home);

/** The schedule's job: every tagged function against every managed service. */
export async function fullSync(deps: SyncDeps, options: SyncOptions): Promise<SyncSummary> {
  const started = Date.now();
  const calls: CallCounter = { lambda: 0, tagging: 0 };
  const consulCallsBefore = deps.consul.calls;
  const inventory = await taggedFunctions(deps.tagging, deps.config.pageSize, calls, options.deadlineMs);
  const desired = await desiredOf(deps, inventory.functions, calls);
  if (inventory.error) desired.errors.push({ subject: 'inventory', error: inventory.error });
  const lambdaDone = Date.now();
  const consul = await readConsul(deps.consul, deps.config);
  const trust = runTrust(deps);
  const stale = await staleExtensionData(deps, consul, desired.services, trust);
  const plan = planSync({
    desired: desired.services,
    consul,
    inScope: () => true,
    foreign: foreignTo(options.home),
    inventoryComplete: inventory.error === undefined,
    protectedFunctions: desired.protectedFunctions,
    staleExtensionData: stale,
  });
  return finish(deps, options, plan, desired, {
    mode: 'full',
    inventoryComplete: inventory.error === undefined,
    trust,
    calls,
    consulCallsBefore,
    started,
    lambdaDone,
  });
}

/**
 * A CloudTrail event's job: the named function's current state (read fresh, so events arriving
 * out of order or twice converge) against the managed services that point at it.
 */
export async function functionSync(
  deps: SyncDeps,
  functionName: string,
  options: SyncOptions,
): Promise<SyncSummary> {
  const started = Date.now();
  const calls: CallCounter = { lambda: 0, tagging: 0 };
  const consulCallsBefore = deps.consul.calls;
  const fn = await functionByName(deps.lambda, functionName, calls);
  const desired = await desiredOf(deps, fn ? [fn] : [], calls);
  const lambdaDone = Date.now();
  const consul = await readConsul(deps.consul, deps.config);
  const owner = (arn: string | undefined) => (arn ? functionOfArn(arn) : undefined);
  const plan = planSync({
    desired: desired.services,
    consul,
    // A deleted function's ARN is unknown now: its services are found by the name in their ARN.
    inScope: (s) => {
      const of = owner(s.lambda?.arn);
      return of !== undefined && (fn ? of.arn === fn.arn : of.name === functionName);
    },
    inventoryComplete: true,
    foreign: foreignTo(options.home),
    protectedFunctions: desired.protectedFunctions,
    // Events are rare: re-issue the function's mTLS data on each one.
    staleExtensionData: deps.config.extensionDataPrefix
      ? new Set(desired.services.map((s) => serviceKey(s, s.name, consul.localDatacenter)))
      : undefined,
  });
  return finish(deps, options, plan, desired, {
    mode: 'function',
    target: functionName,
    inventoryComplete: true,
    trust: runTrust(deps),
    calls,
    consulCallsBefore,
    started,
    lambdaDone,
  });
}

/** The run's CA roots and peers, each read once; unreadable peerings are logged, not fatal. */
const runTrust = (deps: SyncDeps): TrustBundle =>
  trustBundle(deps.consul, (e) =>
    deps.log.warn('cluster peerings unreadable; mTLS data without peers', { error: e.message }),
  );

/** Tags → desired services; aliases looked up (bounded) only for functions that name some. */
async function desiredOf(
  deps: SyncDeps,
  functions: LambdaFunctionInfo[],
  calls: CallCounter,
): Promise<Desired> {
  const desired: Desired = {
    services: [],
    protectedFunctions: new Set(),
    counts: { seen: functions.length, enabled: 0, disabled: 0, ignored: 0, failed: 0 },
    errors: [],
  };
  await mapBounded(functions, deps.config.concurrency, async (fn) => {
    try {
      const wantsAliases = requestedAliases(fn.tags).length > 0;
      const aliases = wantsAliases ? await aliasesOf(deps.lambda, fn.name, calls) : new Set<string>();
      const verdict = servicesOf(fn, deps.config, aliases);
      if (verdict.kind === 'enabled') {
        desired.counts.enabled++;
        desired.services.push(...verdict.services);
        if (verdict.missingAliases.length > 0)
          deps.log.warn('aliases named in the tag do not exist; not registered', {
            function: fn.name,
            aliases: verdict.missingAliases,
          });
      } else desired.counts[verdict.kind]++;
    } catch (e) {
      // One bad function is reported and skipped; its services in Consul stay as they are.
      desired.counts.failed++;
      desired.protectedFunctions.add(fn.arn);
      desired.errors.push({
        subject: fn.name,
        error: e instanceof TagError ? e.message : `${fn.name}: ${(e as Error).message}`,
      });
    }
  });
  return desired;
}

/** Keys of desired services whose stored mTLS data is missing, from an old root, or near expiry. */
async function staleExtensionData(
  deps: SyncDeps,
  consul: ConsulSnapshot,
  services: DesiredService[],
  trust: TrustBundle,
): Promise<Set<string> | undefined> {
  const prefix = deps.config.extensionDataPrefix;
  if (prefix === undefined || services.length === 0) return undefined;
  const [stored, roots] = await Promise.all([readExtensionData(deps.ssm, prefix), trust.roots()]);
  const root = activeRoot(roots);
  const now = Date.now();
  const stale = new Set<string>();
  for (const s of services) {
    const peers = await trust.peers(s.partition);
    if (needsReissue(stored.get(extensionDataPath(prefix, s, s.name)), root, peers, now))
      stale.add(serviceKey(s, s.name, consul.localDatacenter));
  }
  return stale;
}

async function finish(
  deps: SyncDeps,
  options: SyncOptions,
  plan: SyncPlan,
  desired: Desired,
  run: {
    mode: SyncSummary['mode'];
    target?: string;
    inventoryComplete: boolean;
    calls: CallCounter;
    consulCallsBefore: number;
    started: number;
    lambdaDone: number;
    trust: TrustBundle;
  },
): Promise<SyncSummary> {
  const consulDone = Date.now();
  const applied: ApplyResult = options.dryRun
    ? { applied: { create: 0, update: 0, delete: 0 }, deferred: 0, errors: [], done: [] }
    : await applyPlan(deps, plan.actions, options.deadlineMs, run.trust);
  const gateway = deps.config.terminatingGateway;
  if (gateway !== undefined && applied.done.length > 0) {
    try {
      await linkTerminatingGateway(
        deps.consul,
        gateway,
        applied.done.filter((a) => a.action !== 'delete').map((a) => a.service),
        applied.done.filter((a) => a.action === 'delete').map((a) => a.service),
      );
    } catch (e) {
      applied.errors.push({
        service: `terminating-gateway ${gateway}`,
        action: 'link',
        error: (e as Error).message,
      });
    }
  }
  const done = Date.now();
  const count = (a: PlanAction['action']) => plan.actions.filter((x) => x.action === a).length;
  const summary: SyncSummary = {
    mode: run.mode,
    ...(run.target ? { target: run.target } : {}),
    dryRun: options.dryRun,
    inventoryComplete: run.inventoryComplete,
    functions: desired.counts,
    plan: {
      create: count('create'),
      update: count('update'),
      delete: count('delete'),
      withheldDeletes: plan.withheldDeletes,
      conflicts: plan.conflicts.length,
    },
    applied: applied.applied,
    deferred: applied.deferred,
    errors: [
      ...desired.errors,
      ...plan.conflicts.map((c) => ({ subject: 'conflict', error: c })),
      ...applied.errors.map((e) => ({ subject: e.service, error: `${e.action}: ${e.error}` })),
    ],
    calls: { ...run.calls, consul: deps.consul.calls - run.consulCallsBefore },
    durationsMs: {
      lambda: run.lambdaDone - run.started,
      consul: consulDone - run.lambdaDone,
      apply: done - consulDone,
      total: done - run.started,
    },
    actions: plan.actions.map((a) => ({ action: a.action, service: a.key, reasons: a.reasons })),
  };
  if (options.dryRun) for (const a of summary.actions) deps.log.info('dry run: would apply', { ...a });
  if (plan.withheldDeletes > 0)
    deps.log.warn('Lambda inventory incomplete: deletes withheld', { withheldDeletes: plan.withheldDeletes });
  deps.log.info('sync summary', { ...summary, actions: summary.actions.length });
  return summary;
}
