import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/**
 * AWS's own Node.js runtime interface client (npm `aws-lambda-ric`), installed once into .cache/ for
 * the conformance suite: an independent client that proves the sandbox's Runtime API. Its native
 * addon builds on Linux only (its install scripts skip macOS), with cmake, make and a C++ compiler.
 */
export const RIC_VERSION = '4.0.2';
const cacheDir = resolve(__dirname, '..', '..', '..', '.cache', `aws-lambda-ric-${RIC_VERSION}`);

export async function ensureAwsLambdaRic(nodePath: string): Promise<string> {
  const entry = join(cacheDir, 'node_modules', 'aws-lambda-ric', 'index.mjs');
  if (existsSync(entry) && existsSync(join(dirname(entry), 'rapid-client.node'))) return entry;
  if (process.platform !== 'linux') throw new Error('aws-lambda-ric builds its native client on Linux only');
  const staging = `${cacheDir}.tmp-${process.pid}`;
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging, { recursive: true });
  writeFileSync(
    join(staging, 'package.json'),
    JSON.stringify({
      name: 'ric-cache',
      private: true,
      allowScripts: { 'aws-lambda-ric': true },
      dependencies: { 'aws-lambda-ric': RIC_VERSION },
    }),
  );
  // The addon compiles against the runtime's own headers, shipped in the npm Node.js package.
  const nodeHome = dirname(dirname(nodePath));
  await run('npm', ['install', '--no-audit', '--no-fund', '--foreground-scripts'], {
    cwd: staging,
    env: { ...process.env, PATH: `${dirname(nodePath)}:${process.env.PATH}`, npm_config_nodedir: nodeHome },
    timeout: 600_000,
    maxBuffer: 64 * 1024 * 1024,
  });
  rmSync(cacheDir, { recursive: true, force: true });
  renameSync(staging, cacheDir);
  return entry;
}
