import { join, relative } from 'node:path';
import { buildAll } from '../build/build';
import { loadTemplate } from '../template/template';

/** `npm run build [-- LogicalId …]`: bundles functions and layers from template.yaml into build/. */
async function main(): Promise<void> {
  const root = process.cwd();
  const template = loadTemplate(join(root, 'template.yaml'));
  const only = process.argv.slice(2);
  for (const id of only) {
    if (!(id in template.Resources)) throw new Error(`template.yaml has no resource "${id}"`);
  }
  const started = Date.now();
  const built = await buildAll(template, root, only.length ? only : undefined);
  for (const [id, dir] of built) console.log(`built ${id} → ${relative(root, dir)}`);
  console.log(`${built.size} artifact(s) in ${Date.now() - started} ms`);
}

main().catch((e: Error) => {
  console.error(`build failed: ${e.message}`);
  process.exitCode = 1;
});
