'use strict';

/**
 * Jest transform: TypeScript → CommonJS with esbuild (already the project's bundler), types
 * stripped only; `tsc --noEmit` checks them. Inline source maps keep stack traces on .ts lines.
 */
const { transformSync } = require('esbuild');

module.exports = {
  process(source, filename) {
    const { code } = transformSync(source, {
      loader: filename.endsWith('.ts') ? 'ts' : 'js',
      format: 'cjs',
      target: `node${process.versions.node.split('.')[0]}`,
      sourcemap: 'inline',
      sourcefile: filename,
    });
    return { code };
  },
};
