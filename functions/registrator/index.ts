import type { Context } from 'aws-lambda';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { ResourceGroupsTaggingAPIClient } from '@aws-sdk/client-resource-groups-tagging-api';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { parseConfig, type RegistratorConfig } from './config';
import { functionArnPrefix } from './function-ref';
import { ConsulClient } from './consul-client';
import { createLogger } from './log';
import { fullSync, functionSync, type SyncDeps, type SyncSummary } from './sync';
import { TriggerError, triggerOf, type Trigger } from './trigger';

/**
 * Consul Lambda registrator: EventBridge's CloudTrail events reconcile one function, the schedule
 * runs a full sync. Settings are parsed once per execution environment (a bad one fails INIT with
 * its name); Consul's CA and token are read from SSM once per environment, not per invoke.
 */

/** Deployed before Consul's address is known (the template's default), it stays idle instead of failing. */
export const NOT_CONFIGURED =
  'CONSUL_HTTP_ADDR is empty: set the ConsulHttpAddr parameter (consulHttpAddr) to turn the registrator on';
const config: RegistratorConfig | undefined = process.env.CONSUL_HTTP_ADDR?.trim()
  ? parseConfig(process.env)
  : undefined;
const log = createLogger(config?.logLevel ?? 'info');
/** Throttled calls are retried with backoff by the SDK's standard retry strategy. */
const retry = { maxAttempts: 10, retryMode: 'standard' } as const;
const lambda = new LambdaClient(retry);
const tagging = new ResourceGroupsTaggingAPIClient(retry);
const ssm = new SSMClient(retry);
/** Stop starting new work this long before the function's timeout, to log the summary. */
const SAFETY_MARGIN_MS = 3_000;

let consul: Promise<ConsulClient> | undefined;

function consulClient(config: RegistratorConfig): Promise<ConsulClient> {
  consul ??= (async () => {
    const [token, ca] = await Promise.all([
      secureParameter(config.tokenPath),
      secureParameter(config.caCertPath),
    ]);
    return new ConsulClient({
      address: config.consulAddress,
      ...(token !== undefined ? { token } : {}),
      ...(ca !== undefined ? { ca } : {}),
    });
  })().catch((e: unknown) => {
    consul = undefined; // a failed read is retried on the next invoke
    throw e;
  });
  return consul;
}

async function secureParameter(name: string | undefined): Promise<string | undefined> {
  if (name === undefined) return undefined;
  const out = await ssm.send(new GetParameterCommand({ Name: name, WithDecryption: true }));
  return out.Parameter?.Value;
}

export async function handler(
  event: unknown,
  context: Pick<Context, 'getRemainingTimeInMillis'> & Partial<Pick<Context, 'invokedFunctionArn'>>,
): Promise<SyncSummary | { skipped: string } | { statusCode: 400; message: string }> {
  if (!config) {
    log.warn('not configured; nothing done', { reason: NOT_CONFIGURED });
    return { skipped: NOT_CONFIGURED };
  }
  let trigger: Trigger;
  try {
    trigger = triggerOf(event, config.dryRun);
  } catch (e) {
    if (!(e instanceof TriggerError)) throw e;
    // Bad input is answered, not thrown: a throw would only make EventBridge retry the same event.
    log.warn('event refused', { error: e.message });
    return { statusCode: 400, message: e.message };
  }
  if (trigger.kind === 'skip') {
    log.info('event skipped', { reason: trigger.reason });
    return { skipped: trigger.reason };
  }
  const deps: SyncDeps = { config, consul: await consulClient(config), lambda, tagging, ssm, log };
  const home = context.invokedFunctionArn ? functionArnPrefix(context.invokedFunctionArn) : undefined;
  const options = {
    dryRun: trigger.dryRun,
    ...(home ? { home } : {}),
    deadlineMs: Date.now() + Math.max(1_000, context.getRemainingTimeInMillis() - SAFETY_MARGIN_MS),
  };
  return trigger.kind === 'full'
    ? fullSync(deps, options)
    : functionSync(deps, trigger.functionName, options);
}
