import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';

/**
 * A process started in its own process group, so the sandbox can freeze, thaw and kill it together
 * with everything it started (a shell extension's `sleep` or `curl` included).
 */
export class ProcessGroup {
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
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
    void this.exited.then(() => {
      // The leader is gone; anything it left behind in the group goes too, as Lambda's reset would.
      this.signal('SIGKILL');
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

  freeze(): void {
    this.signal('SIGSTOP');
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
