import { mkdirSync } from 'node:fs';
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
