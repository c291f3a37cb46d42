/**
 * The Node.js binary a function's `Runtime` names (`nodejs24.x` → Node 24), fetched through npm as the
 * per-platform package `node-<platform>-<arch>` (its tarball holds `package/bin/node`) and kept in a cache
 * directory, so the local sandbox runs each function on the major version Lambda would, whatever Node.js
 * the machine has.
 */
import { execFile } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readdir, rename, rm, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Where fetched runtimes live unless the caller says otherwise: <repo root>/.cache/node-runtimes. */
export const defaultCacheDir = resolve(__dirname, '..', '..', '.cache', 'node-runtimes');

export interface EnsureNodeRuntimeOptions {
  /** Directory holding one `node-<major>-<platform>-<arch>/` per fetched runtime. */
  cacheDir?: string;
  /** Progress lines; called only when something is fetched. */
  log?: (line: string) => void;
}

/** `nodejs24.x` → 24; anything that is not a Node.js Lambda runtime throws. */
export function parseNodeRuntime(runtime: string): number {
  const match = /^nodejs(\d+)\.x$/.exec(runtime);
  const major = match?.[1] === undefined ? NaN : Number(match[1]);
  if (!Number.isSafeInteger(major) || major < 1) {
    throw new Error(
      `runtime ${runtime} is not a Node.js runtime; the local sandbox runs nodejs<N>.x functions`,
    );
  }
  return major;
}

/** Runtimes being fetched or already checked in this process, by cache entry directory. */
const runtimes = new Map<string, Promise<string>>();

/**
 * Absolute path of a `node` executable of that major version: always the copy fetched through npm
 * (cached after the first time), never the machine's own node, whose build, flags and patch level
 * may differ from what Lambda's runtime would run. Concurrent callers share one fetch; another
 * process fetching the same runtime at the same time cannot leave a half-written cache entry, because an
 * entry only appears by renaming a complete, verified directory into place.
 */
export async function ensureNodeRuntime(
  major: number,
  options: EnsureNodeRuntimeOptions = {},
): Promise<string> {
  if (!Number.isSafeInteger(major) || major < 1) throw new Error(`${major} is not a Node.js major version`);
  const cacheDir = resolve(options.cacheDir ?? defaultCacheDir);
  const entry = join(cacheDir, `node-${major}-${process.platform}-${process.arch}`);
  let pending = runtimes.get(entry);
  if (!pending) {
    pending = provide(major, cacheDir, entry, options.log ?? (() => {}));
    runtimes.set(entry, pending);
    // A failure is not remembered: the next call tries again (the network may be back).
    pending.catch(() => runtimes.delete(entry));
  }
  return pending;
}

const majorOf = (version: string): number => Number(version.split('.')[0]);

const binOf = (dir: string): string => join(dir, 'bin', 'node');

async function provide(major: number, cacheDir: string, entry: string, log: (line: string) => void) {
  if (await exists(binOf(entry))) return verified(major, binOf(entry), entry);
  const pkg = `node-${process.platform}-${process.arch}`;
  const failed = (command: string, reason: string, cause?: unknown) =>
    new Error(
      `could not fetch Node.js ${major} for ${process.platform}-${process.arch} through npm (${command}): ` +
        `${reason}. Check that npm can reach its registry, or install it yourself under ${cacheDir}.`,
      cause === undefined ? undefined : { cause },
    );

  await mkdir(cacheDir, { recursive: true });
  const staging = await mkdtemp(join(cacheDir, `.tmp-node-${major}-`));
  try {
    const version = await highestVersion(pkg, major, failed);
    const spec = `${pkg}@${version}`;
    log(`fetching Node.js ${version} for ${process.platform}-${process.arch} through npm (${spec})`);

    const packCommand = `npm pack ${spec}`;
    try {
      await run('npm', ['pack', spec, '--pack-destination', staging], { timeout: 600_000 });
    } catch (err) {
      throw failed(packCommand, npmReason(err), err);
    }
    const tarball = (await readdir(staging)).find((name) => name.endsWith('.tgz'));
    if (!tarball) throw failed(packCommand, `no tarball in ${staging}`);
    try {
      await run('tar', ['-xzf', join(staging, tarball), '-C', staging], { timeout: 300_000 });
    } catch (err) {
      throw failed(`tar -xzf ${tarball}`, firstLine(err), err);
    }
    const unpacked = join(staging, 'package');
    if (!(await exists(binOf(unpacked)))) throw failed(packCommand, `${spec} has no bin/node`);
    await chmod(binOf(unpacked), 0o755);
    const actual = await versionOf(binOf(unpacked));
    if (majorOf(actual) !== major) throw failed(packCommand, `${spec} runs Node.js ${actual}`);

    try {
      await rename(unpacked, entry);
      log(`Node.js ${actual} ready at ${binOf(entry)}`);
      return binOf(entry);
    } catch (err) {
      // Another process put a complete entry there first: use that one.
      const code = (err as NodeJS.ErrnoException).code;
      if ((code === 'EEXIST' || code === 'ENOTEMPTY') && (await exists(binOf(entry)))) {
        return verified(major, binOf(entry), entry);
      }
      throw err;
    }
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

/** The highest `<major>.x.y` release of the package the registry serves now. */
async function highestVersion(
  pkg: string,
  major: number,
  failed: (command: string, reason: string, cause?: unknown) => Error,
): Promise<string> {
  const command = `npm view ${pkg}@${major} version`;
  let stdout: string;
  try {
    ({ stdout } = await run('npm', ['view', `${pkg}@${major}`, 'version', '--json'], { timeout: 120_000 }));
  } catch (err) {
    throw failed(command, npmReason(err), err);
  }
  let listed: unknown;
  try {
    listed = stdout.trim() === '' ? [] : JSON.parse(stdout);
  } catch (err) {
    throw failed(command, `unexpected output ${JSON.stringify(stdout.slice(0, 80))}`, err);
  }
  const versions = (Array.isArray(listed) ? listed : [listed]).filter(
    (v): v is string => typeof v === 'string' && /^\d+\.\d+\.\d+$/.test(v) && majorOf(v) === major,
  );
  const parts = (v: string) => v.split('.').map(Number) as [number, number, number];
  const highest = versions
    .map(parts)
    .sort((a, b) => a[0] - b[0] || a[1] - b[1] || a[2] - b[2])
    .at(-1);
  if (!highest) throw failed(command, `no ${major}.x release of ${pkg}`);
  return highest.join('.');
}

/** Path of a cached binary after checking it runs and is the right major. */
async function verified(major: number, bin: string, entry: string): Promise<string> {
  let actual: string;
  try {
    actual = await versionOf(bin);
  } catch (err) {
    throw new Error(
      `cached Node.js ${major} at ${bin} does not run (${firstLine(err)}); delete ${entry} and retry`,
      { cause: err },
    );
  }
  if (majorOf(actual) !== major) {
    throw new Error(`cached Node.js at ${bin} is ${actual}, not ${major}.x; delete ${entry} and retry`);
  }
  return bin;
}

async function versionOf(bin: string): Promise<string> {
  const { stdout } = await run(bin, ['-p', 'process.versions.node'], { timeout: 30_000 });
  return stdout.trim();
}

async function exists(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

/**
 * What npm says went wrong, in one line: the `summary` of a `--json` error, else the first
 * `npm error` line that is not just the error code (its `404` / `notarget` tag dropped).
 */
function npmReason(err: unknown): string {
  const { stdout, stderr } = err as { stdout?: string; stderr?: string };
  try {
    const summary = (JSON.parse(stdout ?? '') as { error?: { summary?: unknown } }).error?.summary;
    if (typeof summary === 'string' && summary.trim() !== '') return summary.trim().split('\n')[0] ?? summary;
  } catch {
    // not JSON: read stderr instead
  }
  const lines = (stderr ?? '')
    .split('\n')
    .filter((l) => l.startsWith('npm error '))
    .map((l) => l.slice('npm error '.length).trim())
    .filter((l) => l !== '' && !/^(code|errno|syscall)\s/.test(l));
  const line = lines[0]?.replace(/^(\d{3}|notarget)\s+/, '');
  return line || firstLine(err);
}

function firstLine(err: unknown): string {
  const { code, stderr, message } = err as { code?: unknown; stderr?: string; message?: string };
  if (code === 'ENOENT') return `${String((err as { path?: unknown }).path)} is not installed or not on PATH`;
  const text = stderr?.trim() || message || String(err);
  return text.split('\n')[0] ?? text;
}
