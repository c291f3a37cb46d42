import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { defaultCacheDir, ensureNodeRuntime, parseNodeRuntime } from './node-runtime';

const run = promisify(execFile);
const platformArch = `${process.platform}-${process.arch}`;
const currentMajor = Number(process.versions.node.split('.')[0]);
/** A major this process is not running, so ensureNodeRuntime has to fetch it. */
const otherMajor = currentMajor === 24 ? 22 : 24;
const versionOf = async (bin: string) => (await run(bin, ['-p', 'process.versions.node'])).stdout.trim();

const temps: string[] = [];
const tempDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'node-runtime-test-'));
  temps.push(dir);
  return dir;
};
afterAll(() => temps.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

describe('parseNodeRuntime', () => {
  it.each([
    ['nodejs24.x', 24],
    ['nodejs22.x', 22],
    ['nodejs20.x', 20],
  ])('%s → %d', (runtime, major) => expect(parseNodeRuntime(runtime)).toBe(major));

  it.each([
    'python3.12',
    'provided.al2023',
    'nodejs',
    'nodejs.x',
    'nodejs24',
    'nodejs24.1',
    'Nodejs24.x',
    '',
  ])('rejects %j', (runtime) =>
    expect(() => parseNodeRuntime(runtime)).toThrow(
      `runtime ${runtime} is not a Node.js runtime; the local sandbox runs nodejs<N>.x functions`,
    ),
  );
});

describe('ensureNodeRuntime', () => {
  it('returns a Node.js 24 binary, cached under .cache/node-runtimes', async () => {
    const bin = await ensureNodeRuntime(24);
    expect(await versionOf(bin)).toMatch(/^24\./);
    // The npm copy even where this machine's own node is a 24: never a system install.
    expect(bin).toBe(join(defaultCacheDir, `node-24-${platformArch}`, 'bin', 'node'));
    expect(bin).not.toBe(process.execPath);
  }, 180_000);

  it('fetches once for concurrent callers and leaves only the finished entry', async () => {
    const cacheDir = tempDir();
    const lines: string[] = [];
    const log = (line: string) => lines.push(line);
    const [a, b] = await Promise.all([
      ensureNodeRuntime(otherMajor, { cacheDir, log }),
      ensureNodeRuntime(otherMajor, { cacheDir, log }),
    ]);
    expect(a).toBe(join(cacheDir, `node-${otherMajor}-${platformArch}`, 'bin', 'node'));
    expect(b).toBe(a);
    expect(lines.filter((l) => l.startsWith('fetching '))).toHaveLength(1);
    expect(readdirSync(cacheDir)).toEqual([`node-${otherMajor}-${platformArch}`]);
    expect(await versionOf(a)).toMatch(new RegExp(`^${otherMajor}\\.`));

    // Later calls reuse it.
    await expect(ensureNodeRuntime(otherMajor, { cacheDir, log })).resolves.toBe(a);
    expect(lines.filter((l) => l.startsWith('fetching '))).toHaveLength(1);
  }, 180_000);

  it('survives two processes fetching into the same cache at once', async () => {
    const cacheDir = tempDir();
    const script = join(tempDir(), 'fetch.ts');
    writeFileSync(
      script,
      `import { ensureNodeRuntime } from ${JSON.stringify(join(__dirname, 'node-runtime'))};\n` +
        `ensureNodeRuntime(${otherMajor}, { cacheDir: process.argv[2], log: (l) => console.error(l) })` +
        `.then((bin) => console.log(bin));\n`,
    );
    const tsx = join(__dirname, '..', '..', 'node_modules', '.bin', 'tsx');
    const [one, two] = await Promise.all([run(tsx, [script, cacheDir]), run(tsx, [script, cacheDir])]);
    const expected = join(cacheDir, `node-${otherMajor}-${platformArch}`, 'bin', 'node');
    expect(one.stdout.trim()).toBe(expected);
    expect(two.stdout.trim()).toBe(expected);
    expect(readdirSync(cacheDir)).toEqual([`node-${otherMajor}-${platformArch}`]);
    expect(await versionOf(expected)).toMatch(new RegExp(`^${otherMajor}\\.`));
  }, 180_000);

  it('fails with a clear message for a major npm does not have, leaving nothing behind', async () => {
    const cacheDir = tempDir();
    const attempt = ensureNodeRuntime(3, { cacheDir });
    await expect(attempt).rejects.toThrow(
      `could not fetch Node.js 3 for ${platformArch} through npm (npm view node-${platformArch}@3 version): `,
    );
    const message = await attempt.catch((err: Error) => err.message);
    expect(message).toMatch(
      /: No match found for version 3\. Check that npm can reach its registry, or install it yourself under /,
    );
    expect(message.endsWith(`under ${cacheDir}.`)).toBe(true);
    expect(message).not.toContain('\n');
    expect(readdirSync(cacheDir)).toEqual([]);
  }, 60_000);

  it('rejects a major that is not a positive integer', async () => {
    await expect(ensureNodeRuntime(24.5)).rejects.toThrow('24.5 is not a Node.js major version');
  });
});
