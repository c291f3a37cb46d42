import { readdirSync } from 'node:fs';
import { join } from 'node:path';

/**
 * `npm run bench -- <name>` runs bench/<name>.bench.ts. Each benchmark compares its subject side by
 * side with a baseline in the same run and prints a JSON summary as its last stdout line.
 */
const available = readdirSync(__dirname)
  .filter((f) => f.endsWith('.bench.ts'))
  .map((f) => f.replace(/\.bench\.ts$/, ''));

const name = process.argv[2];
if (!name || !available.includes(name)) {
  console.error(
    `${name ? `unknown benchmark "${name}"` : 'name a benchmark'}: npm run bench -- <name>, one of: ${available.join(', ') || '(none yet)'}`,
  );
  process.exitCode = 2;
} else {
  void import(join(__dirname, `${name}.bench.ts`));
}
