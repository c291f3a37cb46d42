import { readFileSync } from 'node:fs';
import type { ProcessGroup } from './process-group';

const read = (path: string): string | undefined => {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined; // the process exited, or this is not Linux
  }
};

function descendants(pid: number, into: Set<number>): void {
  if (into.has(pid)) return;
  into.add(pid);
  const children = read(`/proc/${pid}/task/${pid}/children`);
  for (const child of (children ?? '').trim().split(/\s+/)) if (child) descendants(Number(child), into);
}

/**
 * Peak resident memory (VmHWM) of every process of the environment, summed: Lambda's
 * "Max Memory Used" for the execution environment. Linux /proc only; 0 where it cannot read it.
 */
export function peakResidentBytes(groups: ProcessGroup[]): number {
  const pids = new Set<number>();
  for (const group of groups) if (group.pid !== undefined) descendants(group.pid, pids);
  let total = 0;
  for (const pid of pids) {
    const match = /^VmHWM:\s+(\d+) kB/m.exec(read(`/proc/${pid}/status`) ?? '');
    if (match) total += Number(match[1]) * 1024;
  }
  return total;
}
