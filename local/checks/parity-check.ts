import { readFileSync } from 'node:fs';
import { parseCfnYaml } from '../template/cfn-yaml';
import { withGlobals } from '../template/sam-globals';
import { isObject, resourcesOfType, type Template } from '../template/template';
import type { Finding } from './finding';
import { resolveSamHandler, splitHandler } from './handlers-check';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

/** serverless.yml as far as parity needs it. */
export interface ServerlessConfig {
  params?: { default?: Record<string, unknown> };
  custom?: Record<string, unknown>;
  provider: Record<string, unknown>;
  functions?: Record<string, Record<string, unknown>>;
  layers?: Record<string, Record<string, unknown>>;
  resources?: { Resources?: Record<string, unknown> };
}

export function loadServerlessConfig(file: string): ServerlessConfig {
  const doc = parseCfnYaml(readFileSync(file, 'utf8'), file);
  if (!isObject(doc) || !isObject(doc.provider))
    throw new Error(`${file}: expected a service with a provider`);
  return doc as unknown as ServerlessConfig;
}

/** SAM `HelloFunction` is serverless.yml's `hello`; SAM `CacheExtensionLayer` its layer `cacheExtension`. */
export const slsFunctionKey = (logicalId: string): string => lowerFirst(logicalId.replace(/Function$/, ''));
export const slsLayerKey = (logicalId: string): string => lowerFirst(logicalId.replace(/Layer$/, ''));
/** The logical id the framework gives a layer's LayerVersion (its naming.getLambdaLayerLogicalId). */
export const slsLayerLogicalId = (key: string): string =>
  `${key[0]!.toUpperCase()}${key.slice(1).replace(/-/g, 'Dash').replace(/_/g, 'Underscore')}LambdaLayer`;
const lowerFirst = (s: string) => s.charAt(0).toLowerCase() + s.slice(1);

/** Resolves `${param:x}`, `${self:a.b}` and `${opt:x, 'default'}` the way a default deploy would. */
export function resolveSlsValue(value: unknown, config: ServerlessConfig): unknown {
  if (typeof value !== 'string') return value;
  const whole = /^\$\{([^}]+)\}$/.exec(value.trim());
  if (!whole) return value;
  const [source, fallback] = whole[1]!.split(/,\s*/);
  const [kind, path] = source!.split(':');
  let resolved: unknown;
  if (kind === 'param') resolved = config.params?.default?.[path!];
  else if (kind === 'self')
    resolved = path!.split('.').reduce<unknown>((o, k) => (isObject(o) ? o[k] : undefined), config);
  if (resolved === undefined && fallback) resolved = fallback.replace(/^['"]|['"]$/g, '');
  return resolved === undefined ? value : resolveSlsValue(resolved, config);
}

/** What both files must agree on for one function. */
interface FunctionShape {
  handlerFile?: string;
  handlerExport?: string;
  runtime: unknown;
  architecture: unknown;
  memorySize: unknown;
  timeout: unknown;
  environment: string[];
  layers: string[];
  events: string[];
}

/** SAM event types and the serverless.yml event keys that build the same trigger. */
const EVENT_KIND: Record<string, string> = {
  HttpApi: 'httpApi',
  Api: 'http',
  Schedule: 'schedule',
  ScheduleV2: 'schedule',
  EventBridgeRule: 'eventBridge',
  SQS: 'sqs',
  S3: 's3',
  SNS: 'sns',
  CloudWatchLogs: 'cloudwatchLog',
};

const num = (v: unknown): unknown => (typeof v === 'string' && v.trim() !== '' && !isNaN(+v) ? +v : v);

function samShape(template: Template, id: string, root: string): FunctionShape {
  const p = withGlobals(template, 'Function', template.Resources[id]!.Properties);
  const { source } = resolveSamHandler(template, id, root);
  const paramDefault = (v: unknown) =>
    isObject(v) && typeof v.Ref === 'string' ? template.Parameters?.[v.Ref]?.Default : v;
  const env = isObject(p.Environment) && isObject(p.Environment.Variables) ? p.Environment.Variables : {};
  const events = isObject(p.Events) ? Object.values(p.Events) : [];
  return {
    handlerFile: source?.file,
    handlerExport: source?.exportName,
    runtime: p.Runtime,
    architecture: paramDefault(Array.isArray(p.Architectures) ? p.Architectures[0] : 'x86_64'),
    memorySize: num(paramDefault(p.MemorySize ?? 128)),
    timeout: num(paramDefault(p.Timeout ?? 3)),
    environment: Object.keys(env).sort(),
    layers: (Array.isArray(p.Layers) ? p.Layers : [])
      .map((l) => (isObject(l) && typeof l.Ref === 'string' ? l.Ref : JSON.stringify(l)))
      .sort(),
    events: events.map((e) => (isObject(e) ? (EVENT_KIND[String(e.Type)] ?? String(e.Type)) : '?')).sort(),
  };
}

function slsShape(config: ServerlessConfig, key: string, template: Template, root: string): FunctionShape {
  const f = config.functions![key]!;
  const provider = config.provider;
  const r = (v: unknown) => resolveSlsValue(v, config);
  const handler = typeof f.handler === 'string' ? splitHandler(f.handler) : undefined;
  const handlerFile = handler
    ? ['.ts', '.mts', '.js', '.mjs', '.cjs']
        .map((ext) => handler.module + ext)
        .find((file) => existsSync(join(root, file)))
    : undefined;
  const env = {
    ...(isObject(provider.environment) ? provider.environment : {}),
    ...(isObject(f.environment) ? f.environment : {}),
  };
  const layerIds = new Map(
    resourcesOfType(template, 'AWS::Serverless::LayerVersion').map(([id]) => [
      slsLayerLogicalId(slsLayerKey(id)),
      id,
    ]),
  );
  return {
    handlerFile,
    handlerExport: handler?.exportName,
    runtime: r(f.runtime ?? provider.runtime),
    architecture: r(f.architecture ?? provider.architecture ?? 'x86_64'),
    memorySize: num(r(f.memorySize ?? provider.memorySize ?? 1024)),
    timeout: num(r(f.timeout ?? provider.timeout ?? 6)),
    environment: Object.keys(env).sort(),
    layers: (Array.isArray(f.layers) ? f.layers : [])
      .map((l) =>
        isObject(l) && typeof l.Ref === 'string' ? (layerIds.get(l.Ref) ?? l.Ref) : JSON.stringify(l),
      )
      .sort(),
    events: (Array.isArray(f.events) ? f.events : [])
      .map((e) => (isObject(e) ? Object.keys(e)[0]! : '?'))
      .sort(),
  };
}

/** Every function and layer of template.yaml is in serverless.yml (and back) with the same shape. */
export function checkParity(template: Template, config: ServerlessConfig, root: string): Finding[] {
  const findings: Finding[] = [];
  const report = (where: string, message: string) => findings.push({ check: 'parity', where, message });
  const samFunctions = resourcesOfType(template, 'AWS::Serverless::Function').map(([id]) => id);
  const slsFunctions = new Set(Object.keys(config.functions ?? {}));
  for (const id of samFunctions) {
    const key = slsFunctionKey(id);
    if (!slsFunctions.delete(key)) {
      report(`Resources.${id}`, `serverless.yml has no function "${key}"`);
      continue;
    }
    const sam = samShape(template, id, root);
    const sls = slsShape(config, key, template, root);
    for (const field of Object.keys(sam) as Array<keyof FunctionShape>) {
      const [a, b] = [JSON.stringify(sam[field]), JSON.stringify(sls[field])];
      if (a !== b)
        report(
          `Resources.${id}`,
          `${field} is ${a} in template.yaml but ${b} in serverless.yml functions.${key}`,
        );
    }
  }
  for (const key of slsFunctions)
    report(`functions.${key}`, 'serverless.yml function has no AWS::Serverless::Function in template.yaml');
  const slsLayers = new Set(Object.keys(config.layers ?? {}));
  for (const [id] of resourcesOfType(template, 'AWS::Serverless::LayerVersion')) {
    if (!slsLayers.delete(slsLayerKey(id)))
      report(`Resources.${id}`, `serverless.yml has no layer "${slsLayerKey(id)}"`);
  }
  for (const key of slsLayers)
    report(`layers.${key}`, 'serverless.yml layer has no AWS::Serverless::LayerVersion in template.yaml');
  return findings;
}
