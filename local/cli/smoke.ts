import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { InvokeCommand, LambdaClient, TagResourceCommand } from '@aws-sdk/client-lambda';
import {
  DescribeSecretCommand,
  GetSecretValueCommand,
  RotateSecretCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import type { ApiGatewayHandle } from '../cloud/api-gateway/gateway';
import type { ApiRoute } from '../cloud/api-gateway/routes-from-template';
import type { LocalCloud } from '../cloud/local-cloud';
import { LOCAL_CREDENTIALS } from '../cloud/seed';
import { LOCAL_REGION } from '../local-account';
import { send, signRequest } from './call';
import { eventsDirOf, missingFrom, SMOKE_PLAN_FILE, type SmokePlan, type SmokeRequest } from './smoke-plan';

/**
 * `npm start -- --smoke`: every route and function of the running application exercised once, as
 * events/smoke.json says, plus the secret rotations and registrator round trips it names. Each
 * check is one PASS / FAIL / SKIP line.
 */

export interface Check {
  name: string;
  /** Why the check cannot run here (it is reported, not counted as passed). */
  skip?: string;
  /** What is wrong, or undefined when the check passed. */
  run: () => Promise<string | undefined>;
}

export interface SmokeContext {
  root: string;
  cloud: LocalCloud;
  gateway: ApiGatewayHandle;
  apiKey: string;
  plan: SmokePlan;
  /** Why no database runs for the rotations, if none does. */
  databaseAbsent?: string;
}

/**
 * The sample event for a function: against real systems its dry-run file, else the file
 * events/smoke.json names, else the first in its events/ folder, else `{}`.
 */
function sampleEvent(root: string, logicalId: string, plan: SmokePlan, realSystems: boolean): string {
  const dir = eventsDirOf(root, logicalId);
  if (!dir) return '{}';
  const file =
    (realSystems ? plan.dryRunEvents[logicalId] : undefined) ??
    plan.functionEvents[logicalId] ??
    readdirSync(dir)
      .filter((f) => f.endsWith('.json'))
      .sort()[0];
  return file ? readFileSync(join(dir, file), 'utf8') : '{}';
}

const text = (payload: Uint8Array | undefined) => Buffer.from(payload ?? []).toString('utf8');

/** The checks, and `dispose` for the clients they share (call it once they have run). */
export function smokeChecks(ctx: SmokeContext): { checks: Check[]; dispose: () => void } {
  const { cloud, plan } = ctx;
  // Against a stack, or a Consul of yours, functions with a dry-run event get it.
  const realSystems = cloud.deployed !== undefined || !cloud.consul.managed;
  const region = cloud.deployed?.placement.region ?? LOCAL_REGION;
  const lambda = new LambdaClient({
    endpoint: cloud.endpoint('lambda'),
    region,
    credentials: LOCAL_CREDENTIALS,
  });
  // Tokens come from the local Secrets Manager, or from AWS's with the shell's configuration.
  const secrets = new SecretsManagerClient(
    cloud.deployed
      ? { region, credentials: cloud.deployed.credentials }
      : { endpoint: cloud.endpoint('secretsmanager'), region, credentials: LOCAL_CREDENTIALS },
  );
  const invoke = async (id: string, payload: string): Promise<{ error?: string; result?: unknown }> => {
    const fn = cloud.functions.get(id);
    if (!fn) return { error: `${SMOKE_PLAN_FILE}: ${id} is not a function of template.yaml` };
    const out = await lambda.send(
      new InvokeCommand({ FunctionName: fn.config.functionName, Payload: Buffer.from(payload) }),
    );
    if (out.FunctionError)
      return { error: `${id}: ${out.FunctionError}: ${text(out.Payload).slice(0, 300)}` };
    try {
      return { result: JSON.parse(text(out.Payload) || 'null') as unknown };
    } catch {
      return { result: text(out.Payload) };
    }
  };

  const request = async (route: ApiRoute, r: SmokeRequest): Promise<Response> => {
    const method = r.method ?? (route.method === 'ANY' ? 'GET' : route.method);
    const url = new URL(`${ctx.gateway.url}${r.path ?? route.path}`);
    const headers: Record<string, string> = {};
    if (r.apiKey) headers['x-api-key'] = ctx.apiKey;
    if (r.bearerSecret) {
      const secret = await secrets.send(new GetSecretValueCommand({ SecretId: r.bearerSecret }));
      headers.authorization = `Bearer ${secret.SecretString ?? ''}`;
    }
    const body = r.body === undefined ? undefined : JSON.stringify(r.body);
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (r.sign) {
      return send(
        await signRequest(
          { url, method, headers, region: ctx.gateway.region, ...(body ? { body } : {}) },
          LOCAL_CREDENTIALS,
        ),
      );
    }
    return fetch(url, { method, headers, ...(body ? { body } : {}) });
  };

  const routeChecks = ctx.gateway.routes.flatMap((route: ApiRoute): Check[] => {
    const requests = plan.routes[route.routeKey];
    if (!requests?.length) {
      return [
        {
          name: `route ${route.routeKey}`,
          run: async () =>
            `no request for this route in ${SMOKE_PLAN_FILE}; add one with the status it must get`,
        },
      ];
    }
    return requests.map((r) => ({
      name: `route ${route.routeKey}${r.bearerSecret ? ` as ${r.bearerSecret}` : ''}${r.sign ? ' (SigV4)' : ''} → ${r.expect}`,
      run: async () => {
        const res = await request(route, r);
        return res.status === r.expect
          ? undefined
          : `HTTP ${res.status}: ${(await res.text()).slice(0, 200)}`;
      },
    }));
  });
  const staleRoutes = Object.keys(plan.routes)
    .filter((key) => !ctx.gateway.routes.some((r) => r.routeKey === key))
    .map((key) => ({
      name: `route ${key}`,
      run: async () => `${SMOKE_PLAN_FILE} has requests for it, but template.yaml has no such route`,
    }));

  const functionChecks = [...cloud.functions.keys()].map((id): Check => {
    const file = (realSystems ? plan.dryRunEvents[id] : undefined) ?? plan.functionEvents[id];
    return {
      name: `function ${id}${file ? ` (${file})` : ''}`,
      run: async () => {
        const { error, result } = await invoke(id, sampleEvent(ctx.root, id, plan, realSystems));
        if (error) return error;
        return id in plan.functionResults ? missingFrom(result, plan.functionResults[id]) : undefined;
      },
    };
  });

  const rotationChecks = plan.rotations.map((r): Check => ({
    name: `rotation ${r.secret} (RotateSecret; ${r.verifyWith} before and after)`,
    ...(cloud.deployed
      ? {
          skip: 'it would rotate the deployed secret; rotate that deliberately (aws secretsmanager rotate-secret)',
        }
      : ctx.databaseAbsent
        ? { skip: ctx.databaseAbsent }
        : {}),
    run: () => rotateAndVerify(r, invoke, secrets),
  }));

  const registrationChecks = plan.registrations.map((r): Check => ({
    name: `registration ${r.function} (tag, ${r.registrator} full sync, in Consul; untag, sync, gone)`,
    ...(cloud.deployed
      ? { skip: 'it would tag the deployed function and write to Consul' }
      : !cloud.consul.managed
        ? { skip: 'Consul is yours (CONSUL_HTTP_ADDR): the smoke does not write to it' }
        : {}),
    run: () => registrationRoundTrip(r, cloud, lambda, invoke),
  }));
  return {
    checks: [...routeChecks, ...staleRoutes, ...functionChecks, ...rotationChecks, ...registrationChecks],
    dispose: () => {
      lambda.destroy();
      secrets.destroy();
    },
  };
}

type Invoke = (id: string, payload: string) => Promise<{ error?: string; result?: unknown }>;

/**
 * RotateSecret as a scheduled rotation would call it: the rotation function's four steps, then the
 * new version AWSCURRENT, the old AWSPREVIOUS, nothing left AWSPENDING, and the function that uses
 * the secret working before and after (its cached copy is stale by then).
 */
async function rotateAndVerify(
  rotation: SmokePlan['rotations'][number],
  invoke: Invoke,
  secrets: SecretsManagerClient,
): Promise<string | undefined> {
  const works = async (when: string) => {
    const { error } = await invoke(rotation.verifyWith, '{}');
    return error && `${when} the rotation: ${error}`;
  };
  const stages = async () =>
    (await secrets.send(new DescribeSecretCommand({ SecretId: rotation.secret }))).VersionIdsToStages ?? {};
  const holding = (all: Record<string, string[]>, stage: string) =>
    Object.keys(all).filter((v) => all[v]!.includes(stage));
  const failedBefore = await works('before');
  if (failedBefore) return failedBefore;
  const [before] = holding(await stages(), 'AWSCURRENT');
  await secrets.send(new RotateSecretCommand({ SecretId: rotation.secret, RotateImmediately: true }));
  const after = await stages();
  const [current] = holding(after, 'AWSCURRENT');
  if (!current || current === before)
    return `AWSCURRENT is still ${before ?? 'nothing'}: the rotation did not finish (see the rotation function's log)`;
  if (!holding(after, 'AWSPREVIOUS').includes(before ?? ''))
    return `the old version ${before ?? ''} is not AWSPREVIOUS`;
  const pending = holding(after, 'AWSPENDING');
  if (pending.length) return `AWSPENDING is left on ${pending.join(', ')}`;
  return works('after');
}

const ENABLED_TAG = 'serverless.consul.hashicorp.com/v1alpha1/lambda/enabled';

/**
 * The registrator end to end: the function tagged `enabled=true`, a full sync, its service in
 * Consul's catalog; the tag set to `false`, a full sync, the service gone. Each sync must complete
 * without errors.
 */
async function registrationRoundTrip(
  r: SmokePlan['registrations'][number],
  cloud: LocalCloud,
  lambda: LambdaClient,
  invoke: Invoke,
): Promise<string | undefined> {
  const fn = cloud.functions.get(r.function);
  if (!fn) return `${SMOKE_PLAN_FILE}: ${r.function} is not a function of template.yaml`;
  const arn = cloud.functionArn(fn);
  const service = fn.config.functionName;
  const inCatalog = async () => {
    const res = await fetch(`${cloud.consul.address}/v1/catalog/service/${encodeURIComponent(service)}`, {
      headers: cloud.consul.token ? { 'X-Consul-Token': cloud.consul.token } : {},
    });
    return ((await res.json()) as unknown[]).length > 0;
  };
  const syncWith = async (enabled: string, wanted: boolean) => {
    await lambda.send(new TagResourceCommand({ Resource: arn, Tags: { [ENABLED_TAG]: enabled } }));
    const { error, result } = await invoke(r.registrator, JSON.stringify({ sync: 'full' }));
    if (error) return error;
    const incomplete = missingFrom(
      result,
      { mode: 'full', inventoryComplete: true, errors: [] },
      'sync summary',
    );
    if (incomplete) return incomplete;
    return (await inCatalog()) === wanted
      ? undefined
      : `after a full sync with ${ENABLED_TAG}=${enabled}, ${service} is ${wanted ? 'not ' : ''}in Consul's catalog`;
  };
  return (await syncWith('true', true)) ?? (await syncWith('false', false));
}

/** Runs the checks in order, one line each; stops between checks when `signal` aborts. */
export async function runSmoke(
  checks: Check[],
  signal: AbortSignal,
  print: (line: string) => void,
): Promise<number> {
  let failed = 0;
  let skipped = 0;
  for (const check of checks) {
    signal.throwIfAborted();
    if (check.skip) {
      skipped++;
      print(`SKIP ${check.name} — ${check.skip}`);
      continue;
    }
    const started = performance.now();
    let problem: string | undefined;
    try {
      problem = await check.run();
    } catch (e) {
      problem = (e as Error).message;
    }
    const ms = (performance.now() - started).toFixed(0);
    if (problem) failed++;
    print(`${problem ? 'FAIL' : 'PASS'} ${check.name} (${ms} ms)${problem ? ` — ${problem}` : ''}`);
  }
  print(
    `${checks.length - failed - skipped} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`,
  );
  return failed;
}
