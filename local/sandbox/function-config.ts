import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { artifactsDir } from '../build/build';
import { withGlobals } from '../template/sam-globals';
import { isObject, type Template } from '../template/template';
import { LOCAL_ACCOUNT_ID, LOCAL_PSEUDO_PARAMETERS, LOCAL_REGION } from '../local-account';

/** Everything the sandbox needs to know about one function, resolved from template.yaml once. */
export interface FunctionConfig {
  logicalId: string;
  functionName: string;
  handler: string;
  runtime: string;
  memorySizeMb: number;
  timeoutSeconds: number;
  architecture: 'arm64' | 'x86_64';
  environment: Record<string, string>;
  /** The built function (task root). */
  codeDir: string;
  /** Built layers, in the order the function lists them (later ones overwrite earlier files). */
  layerDirs: string[];
  logFormat: 'Text' | 'JSON';
  logLevel?: string;
}

export class FunctionConfigError extends Error {}

/**
 * Resolves a template value to a string for the sandbox: literals as they are, `Ref` to a
 * parameter's default (or a resource's logical id, its local physical name), pseudo parameters to
 * the local account and region. Other intrinsics need the local cloud, which passes its own resolver.
 */
export type ValueResolver = (value: unknown, where: string) => string;

export { LOCAL_ACCOUNT_ID, LOCAL_REGION };

export function defaultResolver(template: Template): ValueResolver {
  const pseudo = LOCAL_PSEUDO_PARAMETERS;
  const resolve: ValueResolver = (value, where) => {
    if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean')
      return String(value);
    if (isObject(value) && typeof value.Ref === 'string') {
      const name = value.Ref;
      if (name in pseudo) return pseudo[name]!;
      const param = template.Parameters?.[name];
      if (param) return resolve(param.Default ?? '', `${where} (parameter ${name})`);
      if (name in template.Resources) return name;
    }
    if (isObject(value) && typeof value['Fn::Sub'] === 'string') {
      return value['Fn::Sub'].replace(/\$\{([^}!][^}]*)\}/g, (_, v: string) => resolve({ Ref: v }, where));
    }
    throw new FunctionConfigError(
      `${where}: ${JSON.stringify(value)} needs the local cloud to resolve (npm start)`,
    );
  };
  return resolve;
}

export function functionConfig(
  template: Template,
  logicalId: string,
  root: string,
  resolve: ValueResolver = defaultResolver(template),
): FunctionConfig {
  const resource = template.Resources[logicalId];
  if (!resource) {
    const known = Object.entries(template.Resources)
      .filter(([, r]) => r.Type === 'AWS::Serverless::Function')
      .map(([id]) => id);
    throw new FunctionConfigError(
      `template.yaml has no function "${logicalId}" (functions: ${known.join(', ')})`,
    );
  }
  if (resource.Type !== 'AWS::Serverless::Function') {
    throw new FunctionConfigError(`${logicalId} is a ${resource.Type}, not an AWS::Serverless::Function`);
  }
  const p = withGlobals(template, 'Function', resource.Properties);
  const where = `Resources.${logicalId}.Properties`;
  const variables =
    isObject(p.Environment) && isObject(p.Environment.Variables) ? p.Environment.Variables : {};
  const environment = Object.fromEntries(
    Object.entries(variables).map(([k, v]) => [k, resolve(v, `${where}.Environment.Variables.${k}`)]),
  );
  const layerDirs = (Array.isArray(p.Layers) ? p.Layers : []).map((layer, i) => {
    const id = isObject(layer) && typeof layer.Ref === 'string' ? layer.Ref : undefined;
    if (!id || template.Resources[id]?.Type !== 'AWS::Serverless::LayerVersion') {
      throw new FunctionConfigError(
        `${where}.Layers[${i}]: only layers of this template can run locally (Ref to a LayerVersion)`,
      );
    }
    return artifactsDir(root, id);
  });
  const logging = isObject(p.LoggingConfig) ? p.LoggingConfig : {};
  const arch = Array.isArray(p.Architectures)
    ? resolve(p.Architectures[0], `${where}.Architectures`)
    : 'x86_64';
  return {
    logicalId,
    functionName: p.FunctionName !== undefined ? resolve(p.FunctionName, `${where}.FunctionName`) : logicalId,
    handler: resolve(p.Handler, `${where}.Handler`),
    runtime: resolve(p.Runtime, `${where}.Runtime`),
    memorySizeMb: Number(resolve(p.MemorySize ?? 128, `${where}.MemorySize`)),
    timeoutSeconds: Number(resolve(p.Timeout ?? 3, `${where}.Timeout`)),
    architecture: arch === 'arm64' ? 'arm64' : 'x86_64',
    environment,
    codeDir: artifactsDir(root, logicalId),
    layerDirs,
    logFormat: logging.LogFormat === 'JSON' ? 'JSON' : 'Text',
    ...(typeof logging.ApplicationLogLevel === 'string' ? { logLevel: logging.ApplicationLogLevel } : {}),
  };
}

/** Fails with one clear line when a function or one of its layers has not been built. */
export function assertBuilt(config: FunctionConfig): void {
  for (const dir of [config.codeDir, ...config.layerDirs]) {
    if (!existsSync(dir)) {
      const id = dir.split('/').pop();
      throw new FunctionConfigError(`${id} has no build in ${dir}; run \`npm run build -- ${id}\``);
    }
  }
  if (
    !['.js', '.mjs', '.cjs'].some((ext) =>
      existsSync(join(config.codeDir, config.handler.replace(/\.[^.]+$/, '') + ext)),
    )
  ) {
    throw new FunctionConfigError(
      `${config.logicalId}: the build in ${config.codeDir} has no module for handler ${config.handler}`,
    );
  }
}
