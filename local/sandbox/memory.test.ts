import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { environmentPeakBytes } from './memory';

const linux = process.platform === 'linux' ? describe : describe.skip;
const started: ChildProcess[] = [];

afterAll(() => {
  for (const child of started) child.kill('SIGKILL');
});

/** An idle Node process, once it has started. */
async function idleNode(): Promise<number> {
  const script = "process.stdout.write('up'); setInterval(() => {}, 1e6)";
  const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  started.push(child);
  await new Promise((resolve) => child.stdout!.once('data', resolve));
  return child.pid!;
}

const hwmOf = (pid: number) =>
  Number(/^VmHWM:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]) * 1024;
const MB = 1024 * 1024;

linux('environmentPeakBytes (Max Memory Used)', () => {
  it('counts the pages of one binary once, not once per process mapping it', async () => {
    const a = await idleNode();
    const b = await idleNode();
    const total = environmentPeakBytes([a, b]);
    const [hwmA, hwmB] = [hwmOf(a), hwmOf(b)];
    expect(total).toBeGreaterThanOrEqual(Math.max(hwmA, hwmB) - MB);
    // Node's binary is tens of MB resident in each process: summing peak RSS would count it twice.
    expect(total).toBeLessThan(hwmA + hwmB - 10 * MB);
  });

  it('skips processes that are gone', () => {
    expect(environmentPeakBytes([2 ** 22 + 12345])).toBe(0);
  });
});
