import { execFile } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { build, type BuildOptions, type Format } from 'esbuild';
import { isObject, resourcesOfType, type Template } from '../template/template';

const run = promisify(execFile);

/** Where `npm run build` puts each function's bundle and each layer's files: build/<LogicalId>/. */
export const artifactsDir = (root: string, logicalId: string): string => join(root, 'build', logicalId);

/**
 * esbuild options from a function's SAM `Metadata.BuildProperties`, so `npm run build`, the local
 * sandbox and `sam build` bundle the same way from the one description in template.yaml.
 */
export function esbuildOptions(template: Template, id: string, root: string): BuildOptions {
  const resource = template.Resources[id];
  if (!resource || resource.Type !== 'AWS::Serverless::Function') throw new Error(`${id} is not an AWS::Serverless::Function`);
  if (resource.Metadata?.BuildMethod !== 'esbuild') throw new Error(`${id}: Metadata.BuildMethod must be esbuild`);
  const props = isObject(resource.Metadata.BuildProperties) ? resource.Metadata.BuildProperties : {};
  const codeUri = resource.Properties?.CodeUri;
  if (typeof codeUri !== 'string') throw new Error(`${id}: CodeUri must be the function's folder`);
  const list = (v: unknown) => (Array.isArray(v) ? v.map(String) : []);
  const outExtension = Object.fromEntries(list(props.OutExtension).map((e) => e.split('=') as [string, string]));
  return {
    absWorkingDir: resolve(root, codeUri),
    entryPoints: list(props.EntryPoints),
    external: list(props.External),
    format: (props.Format as Format | undefined) ?? 'cjs',
    minify: props.Minify === true,
    sourcemap: props.Sourcemap === true,
    target: typeof props.Target === 'string' ? props.Target : 'node24',
    ...(props.MainFields ? { mainFields: String(props.MainFields).split(',') } : {}),
    outExtension,
    bundle: true,
    platform: 'node',
    outdir: artifactsDir(root, id),
    logLevel: 'silent',
  };
}

/**
 * Runs the Makefile target `build-<LogicalId>` with ARTIFACTS_DIR, as `sam build` does for
 * `BuildMethod: makefile` (every layer, and functions that ship more than a bundle).
 */
export async function buildWithMakefile(template: Template, id: string, root: string): Promise<string> {
  const props = template.Resources[id]?.Properties ?? {};
  const dir = props.ContentUri ?? props.CodeUri;
  if (typeof dir !== 'string') throw new Error(`${id}: ContentUri / CodeUri must be the folder holding its Makefile`);
  const out = artifactsDir(root, id);
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  await run('make', ['-C', resolve(root, dir), `build-${id}`, `ARTIFACTS_DIR=${out}`], { cwd: root });
  return out;
}

export async function buildFunction(template: Template, id: string, root: string): Promise<string> {
  if (template.Resources[id]?.Metadata?.BuildMethod === 'makefile') return buildWithMakefile(template, id, root);
  const options = esbuildOptions(template, id, root);
  rmSync(options.outdir!, { recursive: true, force: true });
  await build(options);
  return options.outdir!;
}

/** Builds every function and layer of the template (or the named ones), in parallel. */
export async function buildAll(template: Template, root: string, only?: string[]): Promise<Map<string, string>> {
  const wanted = (id: string) => !only || only.includes(id);
  const jobs = [
    ...resourcesOfType(template, 'AWS::Serverless::Function')
      .filter(([id, r]) => wanted(id) && ['esbuild', 'makefile'].includes(String(r.Metadata?.BuildMethod)))
      .map(([id]) => buildFunction(template, id, root).then((dir) => [id, dir] as const)),
    ...resourcesOfType(template, 'AWS::Serverless::LayerVersion')
      .filter(([id]) => wanted(id))
      .map(([id]) => buildWithMakefile(template, id, root).then((dir) => [id, dir] as const)),
  ];
  return new Map(await Promise.all(jobs));
}
