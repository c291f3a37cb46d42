import { LambdaClient } from '@aws-sdk/client-lambda';
import { ResourceGroupsTaggingAPIClient } from '@aws-sdk/client-resource-groups-tagging-api';
import { SSMClient } from '@aws-sdk/client-ssm';
import {
  startConsulEmulator,
  type ConsulEmulator,
  type ConsulEmulatorOptions,
} from '../../local/cloud/consul/consul-api';
import {
  FunctionRegistry,
  startLambdaControlPlane,
  startTaggingApi,
  type LambdaControlPlaneOptions,
  type OperationStats,
  type TaggingApiOptions,
} from '../../local/cloud/lambda-control-plane';
import { startSecretsManager, startSsm, type RunningService } from '../../local/cloud/services';
import { LOCAL_CREDENTIALS } from '../../local/cloud/seed';
import type { ParameterStore } from '../../local/cloud/ssm/parameter-store';
import { parseConfig } from './config';
import { ConsulClient } from './consul-client';
import { createLogger } from './log';
import { fullSync, functionSync, type SyncDeps, type SyncSummary } from './sync';
import { TAGS } from './tags';

/**
 * Test and benchmark support: the registrator's sync against the local cloud's Lambda control
 * plane, Tagging API, SSM and Consul emulator, through the real SDK clients over loopback.
 */

export const REGION = 'us-east-1';
export const ACCOUNT = '123456789012';
export const MANAGEMENT_TOKEN = 'e95b599e-166e-7d80-08ad-aee76e7ddf19';

export interface HarnessOptions {
  env?: Record<string, string>;
  consul?: ConsulEmulatorOptions;
  lambda?: LambdaControlPlaneOptions;
  tagging?: TaggingApiOptions;
  /** SDK attempts per call (the function uses 10). */
  maxAttempts?: number;
}

export interface RegistratorHarness {
  registry: FunctionRegistry;
  consul: ConsulEmulator;
  ssmStore: ParameterStore;
  ssm: SSMClient;
  deps: SyncDeps;
  logs: string[];
  endpoints: { lambda: string; tagging: string; ssm: string };
  /** Control-plane calls (Lambda and Tagging API) since start. */
  lambdaCalls(): number;
  /** Per operation: calls, throttled answers, errors. */
  stats(): Record<string, OperationStats>;
  createFunction(name: string, tags?: Record<string, string>): string;
  /** A full sync, by default as the harness account's registrator in its region would run it. */
  sync(options?: { dryRun?: boolean; deadlineMs?: number; home?: string }): Promise<SyncSummary>;
  syncFunction(name: string, options?: { dryRun?: boolean; home?: string }): Promise<SyncSummary>;
  /** Consul's HTTP API as the management token sees it. */
  consulGet<T>(path: string): Promise<{ status: number; body: T }>;
  close(): Promise<void>;
}

export const enabled = (extra: Record<string, string> = {}) => ({ [TAGS.enabled]: 'true', ...extra });

export async function registratorHarness(options: HarnessOptions = {}): Promise<RegistratorHarness> {
  const registry = new FunctionRegistry({ region: REGION, accountId: ACCOUNT });
  const plane = await startLambdaControlPlane(registry, options.lambda ?? { throttle: false });
  const taggingApi = await startTaggingApi(registry, options.tagging ?? { throttle: false });
  const consul = await startConsulEmulator({ aclToken: MANAGEMENT_TOKEN, ...options.consul });
  const secrets = await startSecretsManager();
  const ssmService = await startSsm(secrets.endpoint);
  const services: RunningService[] = [secrets, ssmService];
  const common = {
    region: REGION,
    credentials: LOCAL_CREDENTIALS,
    maxAttempts: options.maxAttempts ?? 10,
  };
  const lambda = new LambdaClient({ ...common, endpoint: plane.endpoint });
  const tagging = new ResourceGroupsTaggingAPIClient({ ...common, endpoint: taggingApi.endpoint });
  const ssm = new SSMClient({ ...common, endpoint: ssmService.endpoint });
  const config = parseConfig({ CONSUL_HTTP_ADDR: consul.address, ...options.env });
  const logs: string[] = [];
  const consulClient = new ConsulClient({ address: config.consulAddress, token: MANAGEMENT_TOKEN });
  const deps: SyncDeps = {
    config,
    consul: consulClient,
    lambda,
    tagging,
    ssm,
    log: createLogger('debug', (l) => logs.push(l)),
  };
  const farFuture = () => Date.now() + 60_000;
  let closed = false;
  return {
    registry,
    consul,
    ssmStore: ssmService.store,
    ssm,
    deps,
    logs,
    endpoints: { lambda: plane.endpoint, tagging: taggingApi.endpoint, ssm: ssmService.endpoint },
    lambdaCalls: () =>
      Object.values(plane.stats()).reduce((n, s) => n + s.calls, 0) +
      Object.values(taggingApi.stats()).reduce((n, s) => n + s.calls, 0),
    stats: () => ({ ...plane.stats(), ...taggingApi.stats() }),
    createFunction(name, tags = {}) {
      return registry.createFunction({
        FunctionName: name,
        Role: `arn:aws:iam::${ACCOUNT}:role/fn`,
        Runtime: 'nodejs24.x',
        Handler: 'index.handler',
        ...(Object.keys(tags).length ? { Tags: tags } : {}),
      }).FunctionArn!;
    },
    sync: (o = {}) =>
      fullSync(deps, {
        dryRun: o.dryRun ?? false,
        deadlineMs: o.deadlineMs ?? farFuture(),
        home: o.home ?? `arn:aws:lambda:${REGION}:${ACCOUNT}:function:`,
      }),
    syncFunction: (name, o = {}) =>
      functionSync(deps, name, {
        dryRun: o.dryRun ?? false,
        deadlineMs: farFuture(),
        home: o.home ?? `arn:aws:lambda:${REGION}:${ACCOUNT}:function:`,
      }),
    async consulGet<T>(path: string) {
      const res = await fetch(`${consul.address}${path}`, {
        headers: { 'X-Consul-Token': MANAGEMENT_TOKEN },
      });
      const text = await res.text();
      const json = res.headers.get('content-type')?.includes('json') && text !== '';
      return { status: res.status, body: (json ? JSON.parse(text) : text) as T };
    },
    async close() {
      // Idempotent: a test file's afterEach may meet a harness an earlier test already closed.
      if (closed) return;
      closed = true;
      consulClient.close();
      for (const c of [lambda, tagging, ssm]) c.destroy();
      await Promise.all([
        plane.close(),
        taggingApi.close(),
        consul.close(),
        ...services.map((s) => s.close()),
      ]);
    },
  };
}
