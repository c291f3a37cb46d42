import { GetFunctionCommand, ListFunctionsCommand } from '@aws-sdk/client-lambda';
import { applyPlan } from '../functions/registrator/apply';
import { readConsul } from '../functions/registrator/consul-catalog';
import { trustBundle } from '../functions/registrator/extension-data';
import { planSync } from '../functions/registrator/plan';
import {
  enabled,
  registratorHarness,
  type RegistratorHarness,
} from '../functions/registrator/registrator-harness';
import {
  servicesOf,
  TAGS,
  type DesiredService,
  type LambdaFunctionInfo,
} from '../functions/registrator/tags';

/**
 * A full sync of an account with many functions, a few of them enabled, against the local Lambda
 * control plane with injected latency and Lambda's request quotas (GetFunction 100/s, the rest of
 * the control plane 15/s; GetResources 10/s): this registrator (Tagging API inventory, bounded
 * concurrency) side by side with the original algorithm (ListFunctions, then one GetFunction per
 * function, sequentially) on the same emulators. Each side starts from an empty Consul.
 */
const FUNCTIONS = Number(process.env.BENCH_FUNCTIONS ?? 10_000);
const ENABLED_SHARE = 0.05;
const ALIASED_SHARE = 0.1; // of the enabled ones: two aliases each
const LATENCY_MS = Number(process.env.BENCH_LATENCY_MS ?? 20);
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

function populate(h: RegistratorHarness): number {
  const every = Math.round(1 / ENABLED_SHARE);
  let enabledCount = 0;
  for (let i = 0; i < FUNCTIONS; i++) {
    const name = `fn-${String(i).padStart(5, '0')}`;
    if (i % every !== 0) {
      h.createFunction(name, { team: 'payments' });
      continue;
    }
    const aliased = enabledCount++ % Math.round(1 / ALIASED_SHARE) === 0;
    h.createFunction(name, enabled(aliased ? { [TAGS.aliases]: 'live+canary' } : {}));
    if (aliased) {
      h.registry.createAlias(name, 'live', { FunctionVersion: '$LATEST' });
      h.registry.createAlias(name, 'canary', { FunctionVersion: '$LATEST' });
    }
  }
  return enabledCount;
}

const harness = () =>
  registratorHarness({
    lambda: { latencyMs: LATENCY_MS },
    tagging: { latencyMs: LATENCY_MS },
  });

const totals = (h: RegistratorHarness) => {
  const stats = Object.values(h.stats());
  return {
    calls: stats.reduce((n, s) => n + s.calls, 0),
    throttled: stats.reduce((n, s) => n + s.throttled, 0),
  };
};

async function ours(): Promise<Record<string, number>> {
  const h = await harness();
  try {
    const enabledCount = populate(h);
    const started = performance.now();
    const summary = await h.sync();
    const wallMs = performance.now() - started;
    const { calls, throttled } = totals(h);
    if (summary.errors.length > 0 || !summary.inventoryComplete)
      throw new Error(JSON.stringify(summary.errors));
    return { wallMs, calls, throttled, enabled: enabledCount, services: summary.applied.create };
  } finally {
    await h.close();
  }
}

/** The original: ListFunctions pages, one GetFunction per function, one at a time, then upserts. */
async function original(): Promise<Record<string, number>> {
  const h = await harness();
  try {
    const enabledCount = populate(h);
    const { lambda, config } = h.deps;
    const started = performance.now();
    const functions: LambdaFunctionInfo[] = [];
    let Marker: string | undefined;
    do {
      const page = await lambda.send(
        new ListFunctionsCommand({ MaxItems: 50, ...(Marker ? { Marker } : {}) }),
      );
      for (const f of page.Functions ?? []) {
        const got = await lambda.send(new GetFunctionCommand({ FunctionName: f.FunctionArn }));
        functions.push({ name: f.FunctionName!, arn: f.FunctionArn!, tags: got.Tags ?? {} });
      }
      Marker = page.NextMarker || undefined;
    } while (Marker);
    // The original registers aliases from the tag without checking them.
    const desired: DesiredService[] = functions.flatMap((fn) => {
      const aliases = new Set((fn.tags[TAGS.aliases] ?? '').split('+'));
      const verdict = servicesOf(fn, config, aliases);
      return verdict.kind === 'enabled' ? verdict.services : [];
    });
    const consul = await readConsul(h.deps.consul, config);
    const plan = planSync({
      desired,
      consul,
      inScope: () => true,
      inventoryComplete: true,
      protectedFunctions: new Set(),
    });
    const applied = await applyPlan(
      { ...h.deps, config: { ...config, concurrency: 1 } },
      plan.actions,
      Date.now() + 3_600_000,
      trustBundle(h.deps.consul, () => undefined),
    );
    const wallMs = performance.now() - started;
    const { calls, throttled } = totals(h);
    return { wallMs, calls, throttled, enabled: enabledCount, services: applied.applied.create };
  } finally {
    await h.close();
  }
}

async function main(): Promise<void> {
  const a = await ours();
  console.log(
    `registrator: ${(a.wallMs! / 1000).toFixed(1)} s, ${a.calls} control-plane calls, ${a.throttled} throttled`,
  );
  const b = await original();
  console.log(
    `original algorithm: ${(b.wallMs! / 1000).toFixed(1)} s, ${b.calls} control-plane calls, ${b.throttled} throttled`,
  );
  console.log(
    JSON.stringify({
      benchmark: 'registrator',
      functions: FUNCTIONS,
      enabled: a.enabled,
      services: a.services,
      latencyMs: LATENCY_MS,
      registrator: {
        wallSeconds: +(a.wallMs! / 1000).toFixed(2),
        controlPlaneCalls: a.calls,
        throttled: a.throttled,
        functionsPerCall: +(FUNCTIONS / a.calls!).toFixed(1),
      },
      original: {
        wallSeconds: +(b.wallMs! / 1000).toFixed(2),
        controlPlaneCalls: b.calls,
        throttled: b.throttled,
        functionsPerCall: +(FUNCTIONS / b.calls!).toFixed(1),
      },
      speedup: +(b.wallMs! / a.wallMs!).toFixed(1),
      goals: { wallSecondsAtMost: 30, functionsPerCallAtLeast: 50 },
    }),
  );
}

void main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
