import { existsSync, mkdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { buildSync } from 'esbuild';

/**
 * The sandbox's own Node.js runtime interface client, bundled once per process into build/ so the
 * runtime process loads one plain JavaScript file, as Lambda's /var/runtime does.
 */
let bundled: string | undefined;

export function runtimeClientBundle(): string {
  if (bundled) return bundled;
  const outdir = join(__dirname, '..', '..', 'build', '.sandbox');
  mkdirSync(outdir, { recursive: true });
  const outfile = join(outdir, 'runtime-client.js');
  buildSync({
    entryPoints: [join(__dirname, 'runtime-client', 'index.ts')],
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    outfile,
    logLevel: 'silent',
  });
  bundled = outfile;
  return outfile;
}

/**
 * The runtime's own modules, as Lambda's Node.js runtime ships AWS SDK v3 in /var/runtime: a folder
 * whose `@aws-sdk` links to the project's installed SDK clients, so functions bundled with
 * `External: ['@aws-sdk/*']` find them, and nothing else of the project's dependencies.
 */
let runtimeModules: string | undefined;

export function runtimeModulesDir(): string {
  if (runtimeModules) return runtimeModules;
  const dir = join(__dirname, '..', '..', 'build', '.sandbox', 'runtime-node-modules');
  const link = join(dir, '@aws-sdk');
  mkdirSync(dir, { recursive: true });
  if (!existsSync(link)) {
    try {
      symlinkSync(join(__dirname, '..', '..', 'node_modules', '@aws-sdk'), link, 'dir');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
  }
  runtimeModules = dir;
  return dir;
}
