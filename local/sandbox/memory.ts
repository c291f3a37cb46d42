import { readFileSync, readlinkSync } from 'node:fs';
import type { ProcessGroup } from './process-group';

const read = (path: string): string | undefined => {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined; // the process exited, or this is not Linux
  }
};

/** `pid` and every process it started, through any number of generations. */
export function processTree(pid: number): Set<number> {
  const pids = new Set<number>();
  descendants(pid, pids);
  return pids;
}

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
    const memory = processMemory(pid);
    if (!memory) continue;
    const shared = memory.file + memory.shmem;
    own += Math.max(0, memory.hwm - shared);
    const executable = executableOf(pid) ?? `pid ${pid}`;
    sharedByExecutable.set(executable, Math.max(sharedByExecutable.get(executable) ?? 0, shared));
  }
  let total = own;
  for (const shared of sharedByExecutable.values()) total += shared;
  return total;
}

/** A process's memory in bytes, from /proc/<pid>/status: RSS split by kind, and peak RSS. */
export interface ProcessMemory {
  rss: number;
  /** Peak RSS (VmHWM). */
  hwm: number;
  /** Anonymous pages: the process's own memory. */
  anon: number;
  /** File-backed pages, mostly its executable's and libraries', shared with other processes mapping them. */
  file: number;
  shmem: number;
}

/** Undefined when the process is gone or this is not Linux. */
export function processMemory(pid: number): ProcessMemory | undefined {
  const status = read(`/proc/${pid}/status`);
  if (!status) return undefined;
  const bytes = (field: string) =>
    Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0) * 1024;
  return {
    rss: bytes('VmRSS'),
    hwm: bytes('VmHWM'),
    anon: bytes('RssAnon'),
    file: bytes('RssFile'),
    shmem: bytes('RssShmem'),
  };
}

function executableOf(pid: number): string | undefined {
  try {
    return readlinkSync(`/proc/${pid}/exe`);
  } catch {
    return undefined;
  }
}
