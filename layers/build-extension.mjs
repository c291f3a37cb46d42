// Builds one extension into one file: `node layers/build-extension.mjs <name> <ARTIFACTS_DIR>`,
// writing <ARTIFACTS_DIR>/extensions/<name> from extensions/<name>/index.ts. Each layer's Makefile
// calls it.
//
// Start-up time is the extension's cost on every cold start (Lambda starts the runtime only once
// every extension has registered), so code not needed before registering is kept out of the
// compiled start-up path: each module of the extension named in LAZY_MODULES (if present) is bundled
// on its own and embedded as a string, compiled only when first required. Scanning a string literal
// costs next to nothing; compiling code does not. They are the AWS SDK clients (most of the code,
// first needed by the first AWS call) and the cache extension's config.yaml reader (the YAML parser,
// read after registering). An embedded module carries its own copy of what it imports, so the main
// bundle must not use `instanceof` on its errors (the cache extension reads their messages only).
import { build } from 'esbuild';
import { chmodSync, existsSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const [name, out] = process.argv.slice(2);
if (!name || !out) throw new Error('usage: node layers/build-extension.mjs <extension name> <ARTIFACTS_DIR>');
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const source = join(root, 'extensions', name);
const LAZY_MODULES = ['aws-clients', 'config-file'];

const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  // The ES module builds first: the SDK's are tree-shaken to the commands used (the cache extension's
  // clients: 766 KB → 424 KB minified), which is less to compile and less heap for their schemas.
  mainFields: ['module', 'main'],
  minify: true,
  legalComments: 'none',
  logLevel: 'warning',
};

const embedded = new Map();
for (const module of LAZY_MODULES) {
  const path = join(source, `${module}.ts`);
  if (!existsSync(path)) continue;
  const result = await build({ ...common, entryPoints: [path], write: false });
  embedded.set(path, `${result.outputFiles[0].text}\n//# sourceURL=${name}/${module}.js`);
}
const plugins = [
  {
    name: 'embed-lazy-modules',
    setup(b) {
      b.onLoad({ filter: /\.ts$/ }, (args) =>
        embedded.has(args.path)
          ? {
              loader: 'js',
              contents: `const m = { exports: {} };
new Function('module', 'exports', 'require', ${JSON.stringify(embedded.get(args.path))})(m, m.exports, require);
module.exports = m.exports;`,
            }
          : undefined,
      );
    },
  },
];

const file = join(out, 'extensions', name);
mkdirSync(dirname(file), { recursive: true });
await build({
  ...common,
  entryPoints: [join(source, 'index.ts')],
  outfile: file,
  // A 1 MB young generation: V8 sizes it for the machine otherwise, and an extension's garbage is
  // small and short-lived (cache extension, measured: RSS 166 → 117 MB holding 1,000 items).
  banner: { js: '#!/usr/bin/env -S node --max-semi-space-size=1' },
  plugins,
});
chmodSync(file, 0o755);
