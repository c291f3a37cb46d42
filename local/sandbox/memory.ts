import { readFileSync, readlinkSync } from 'node:fs';
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
 * Lambda's "Max Memory Used" for the execution environment, approximately: the peak of its memory as
 * its cgroup counts it, where a page of the node binary mapped by the runtime and by every Node
 * extension is one page. So: each process's own memory (its peak RSS less its current file-backed
 * and shared pages), plus, per executable, the file-backed pages of the process that maps most of it
 * (shared libraries are counted once per executable, pages only a smaller process maps are missed).
 * Summing every process's peak RSS instead would count the binary once per process (about 35 MB
 * for Node). Linux /proc only; 0 where it cannot read it.
 */
export function peakResidentBytes(groups: ProcessGroup[]): number {
  const pids = new Set<number>();
  for (const group of groups) if (group.pid !== undefined) descendants(group.pid, pids);
  return environmentPeakBytes(pids);
}

export function environmentPeakBytes(pids: Iterable<number>): number {
  let own = 0;
  const sharedByExecutable = new Map<string, number>();
  for (const pid of pids) {
    const status = read(`/proc/${pid}/status`);
    if (!status) continue;
    const bytes = (field: string) =>
      Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0) * 1024;
    const shared = bytes('RssFile') + bytes('RssShmem');
    own += Math.max(0, bytes('VmHWM') - shared);
    const executable = executableOf(pid) ?? `pid ${pid}`;
    sharedByExecutable.set(executable, Math.max(sharedByExecutable.get(executable) ?? 0, shared));
  }
  let total = own;
  for (const shared of sharedByExecutable.values()) total += shared;
  return total;
}

function executableOf(pid: number): string | undefined {
  try {
    return readlinkSync(`/proc/${pid}/exe`);
  } catch {
    return undefined;
  }
}
