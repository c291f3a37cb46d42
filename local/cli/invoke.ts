import { readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import { buildAll } from '../build/build';
import { checkHandlers } from '../checks/handlers-check';
import { ExecutionEnvironment, type InvokeResult } from '../sandbox/execution-environment';
import { assertBuilt, functionConfig, FunctionConfigError } from '../sandbox/function-config';
import { TemplateSyntaxError } from '../template/cfn-yaml';
import { ensureNodeRuntime, parseNodeRuntime } from '../sandbox/node-runtime';
import { loadTemplate, type Template } from '../template/template';

// The tooling runs on the developer's Node (≥ 20.19); the functions run on their runtime's own Node.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

/**
 * `npm run invoke -- <LogicalId> [--event events/….json] [--warm N] [--no-freeze]`: builds the
 * function and its layers, runs them in the local sandbox like `sam local invoke` (logs and REPORT
 * on stderr, the response on stdout) and exits 1 when an invoke fails.
 */
const USAGE = 'usage: npm run invoke -- <LogicalId> [--event <file.json>] [--warm <N>] [--no-freeze]';

class UsageError extends Error {}

interface Args {
  logicalId: string;
  eventFile?: string;
  warm: number;
  freeze: boolean;
}

function parse(argv: string[]): Args {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: { event: { type: 'string' }, warm: { type: 'string' }, 'no-freeze': { type: 'boolean' } },
    });
  } catch (e) {
    throw new UsageError(`${(e as Error).message.split('. ')[0]} (${USAGE})`);
  }
  const [logicalId, ...extra] = parsed.positionals;
  if (!logicalId || extra.length) throw new UsageError(`name exactly one function (${USAGE})`);
  const warm = parsed.values.warm === undefined ? 0 : Number(parsed.values.warm);
  if (!Number.isInteger(warm) || warm < 0 || warm > 10_000) {
    throw new UsageError(
      `--warm takes a whole number of extra invokes from 0 to 10000, got "${parsed.values.warm}"`,
    );
  }
  return {
    logicalId,
    ...(parsed.values.event ? { eventFile: parsed.values.event } : {}),
    warm,
    freeze: !parsed.values['no-freeze'],
  };
}

function readEvent(root: string, file: string | undefined): string {
  if (!file) return '{}';
  let text: string;
  try {
    text = readFileSync(join(root, file), 'utf8');
  } catch (e) {
    throw new UsageError(
      `--event ${file}: cannot read it (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`,
    );
  }
  try {
    JSON.parse(text);
  } catch (e) {
    throw new UsageError(`--event ${file}: not valid JSON: ${(e as Error).message}`);
  }
  return text;
}

/** What the function needs built: itself and the layers it lists. */
function buildTargets(template: Template, logicalId: string): string[] {
  const layers = template.Resources[logicalId]?.Properties?.Layers;
  const layerIds = (Array.isArray(layers) ? layers : [])
    .map((l) => (l && typeof l === 'object' ? (l as { Ref?: unknown }).Ref : undefined))
    .filter((id): id is string => typeof id === 'string');
  return [logicalId, ...layerIds];
}

async function main(): Promise<number> {
  const root = process.cwd();
  const args = parse(process.argv.slice(2));
  const template = loadTemplate(join(root, 'template.yaml'));
  const config = functionConfig(template, args.logicalId, root);
  const handlerProblem = checkHandlers(
    { ...template, Resources: { [args.logicalId]: template.Resources[args.logicalId]! } },
    root,
  )[0];
  if (handlerProblem) throw new UsageError(`${args.logicalId}: ${handlerProblem.message}`);
  const payload = readEvent(root, args.eventFile);

  await buildAll(template, root, buildTargets(template, args.logicalId)).catch(
    (e: Error & { stderr?: string }) => {
      const detail = (e.stderr ?? e.message).trim().split('\n').pop();
      throw new UsageError(`build of ${args.logicalId} or its layers failed: ${detail}`);
    },
  );
  assertBuilt(config);
  const nodePath = await ensureNodeRuntime(parseNodeRuntime(config.runtime), {
    log: (line) => process.stderr.write(`${line}\n`),
  });

  const env = await ExecutionEnvironment.create(config, {
    nodePath,
    freeze: args.freeze,
    print: (line) => process.stderr.write(`${line}\n`),
  });
  let interrupted = false;
  const onSignal = () => {
    interrupted = true;
    void env.close().finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  let failed = false;
  const results: InvokeResult[] = [];
  try {
    for (let i = 0; i <= args.warm && !interrupted; i++) {
      const result = await env.invoke(payload);
      results.push(result);
      if (result.errorType) failed = true;
      process.stdout.write(`${result.payload.toString('utf8')}\n`);
    }
  } finally {
    if (!interrupted) await env.close();
  }
  if (args.warm > 0) {
    const warm = results
      .slice(1)
      .map((r) => r.durationMs)
      .sort((a, b) => a - b);
    const p50 = warm[Math.floor(warm.length / 2)] ?? 0;
    process.stderr.write(
      `${results.length} invokes of ${args.logicalId} (${relative(root, config.codeDir)}): warm p50 ${p50.toFixed(2)} ms\n`,
    );
  }
  return failed ? 1 : 0;
}

main().then(
  (code) => (process.exitCode = code),
  (e: Error) => {
    process.stderr.write(`invoke: ${e.message}\n`);
    const badInput =
      e instanceof UsageError || e instanceof FunctionConfigError || e instanceof TemplateSyntaxError;
    process.exitCode = badInput ? 2 : 1;
  },
);
