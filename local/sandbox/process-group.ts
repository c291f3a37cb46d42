import { readdirSync, readFileSync } from 'node:fs';
import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';

/**
 * A process started in its own process group, so the sandbox can freeze, thaw and kill it together
 * with everything it started (a shell extension's `sleep` or `curl` included).
 */
export class ProcessGroup {
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Resolves once the leader has exited and nothing it started is left in the group either. */
  readonly gone: Promise<void>;
  alive = true;

  private constructor(
    readonly name: string,
    readonly child: ChildProcess,
  ) {
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        this.alive = false;
        resolve({ code, signal });
      });
      child.once('error', () => {
        this.alive = false;
        resolve({ code: null, signal: null });
      });
    });
    live.add(this);
    if (child.pid !== undefined) spawnedGroupIds.push(child.pid);
    this.gone = this.exited.then(async () => {
      // The leader is gone; anything it left behind in the group goes too, as Lambda's reset would.
      // SIGKILL is only queued: a busy machine may take a moment to schedule the victims' exits.
      this.signal('SIGKILL');
      if (child.pid !== undefined) await untilEmpty(child.pid);
      live.delete(this);
    });
  }

  static spawn(
    name: string,
    command: string,
    args: string[],
    options: { cwd: string; env: Record<string, string>; stdio: StdioOptions },
  ): ProcessGroup {
    return new ProcessGroup(name, spawn(command, args, { ...options, detached: true }));
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** Sends a signal to the whole group; a group already gone is not an error. */
  signal(signal: NodeJS.Signals): void {
    if (this.child.pid === undefined) return;
    try {
      process.kill(-this.child.pid, signal);
    } catch {
      // ESRCH: nothing left in the group.
    }
  }

  /**
   * SIGSTOP is only queued: a process busy in a system call (a timer's write, say) finishes it
   * first. Lambda's freezer returns once the tasks are frozen, so this waits (bounded) until the
   * leader is seen stopped.
   */
  async freeze(): Promise<void> {
    this.signal('SIGSTOP');
    const pid = this.child.pid;
    if (pid === undefined) return;
    const deadline = Date.now() + FREEZE_WAIT_MS;
    while (this.alive && Date.now() < deadline) {
      const state = processState(pid);
      if (state === undefined || state === 'T' || state === 't' || state === 'Z') return;
      await new Promise((resolve) => setImmediate(resolve));
    }
  }

  thaw(): void {
    this.signal('SIGCONT');
  }
}

/** Every group still running, killed if the sandbox process itself exits: no orphans. */
const live = new Set<ProcessGroup>();
process.once('exit', () => {
  for (const group of live) group.signal('SIGKILL');
});

export const liveProcessGroups = (): ReadonlySet<ProcessGroup> => live;

/** Every process group id the sandbox ever started (tests list what is left of them). */
export const spawnedGroupIds: number[] = [];

/**
 * Processes still alive (zombies, already dead and only waiting to be reaped, excluded) in any of
 * the given groups, listed from /proc as `pid command` lines.
 */
export function survivingGroups(ids: number[]): string[] {
  const wanted = new Set(ids);
  const survivors: string[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue; // gone while we looked
    }
    const [state, , pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (state !== 'Z' && wanted.has(Number(pgrp)))
      survivors.push(`${entry} ${stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'))}`);
  }
  return survivors;
}

const FREEZE_WAIT_MS = 100;

/** A process's state letter from /proc (undefined when gone or where /proc is absent). */
function processState(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
  } catch {
    return undefined;
  }
}

const EMPTY_POLL_MS = 5;
const EMPTY_WAIT_MS = 2_000;

/** Waits (bounded) until no live process is left in the group; immediate where /proc is absent. */
async function untilEmpty(groupId: number): Promise<void> {
  const deadline = Date.now() + EMPTY_WAIT_MS;
  while (Date.now() < deadline) {
    let left: string[];
    try {
      left = survivingGroups([groupId]);
    } catch {
      return; // no /proc (not Linux): nothing to watch
    }
    if (left.length === 0) return;
    try {
      process.kill(-groupId, 'SIGKILL');
    } catch {
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, EMPTY_POLL_MS));
  }
}
