import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';

/**
 * Where a function sees its layers and its code. On Lambda they are `/opt` and `/var/task`, and
 * extensions (which do not get LAMBDA_TASK_ROOT) rely on those absolute paths. On Linux the sandbox
 * gives each process a private mount namespace with the environment's folders bind-mounted there;
 * where namespaces are not available (macOS, restricted user namespaces) the host folders are used
 * as they are, and absolute `/opt` / `/var/task` paths do not reach them.
 */
export interface LambdaPaths {
  opt: string;
  taskRoot: string;
  /** Turns a command into one that runs with the environment's /opt and /var/task mounted. */
  wrap(command: string, args: string[]): { command: string; args: string[] };
}

type Support = { unshareArgs: string[]; taskRoot: boolean } | undefined;
let support: Support | null = null;

function works(args: string[]): boolean {
  const result = spawnSync('unshare', [...args, 'true'], { stdio: 'ignore', timeout: 5000 });
  return result.status === 0;
}

/** Whether (and how) this machine can give a process its own /opt and /var/task; probed once. */
export function namespaceSupport(): Support {
  if (support !== null) return support;
  support = undefined;
  if (process.platform === 'linux') {
    const root = process.getuid?.() === 0;
    const candidates = root ? [['--mount', '--propagation', 'private']] : [];
    candidates.push(['--user', '--map-root-user', '--mount', '--propagation', 'private']);
    const unshareArgs = candidates.find(works);
    if (unshareArgs) {
      // A bind mount needs its mount point; as root the sandbox creates an empty /var/task once.
      if (!existsSync('/var/task') && root) mkdirSync('/var/task', { recursive: true });
      support = { unshareArgs, taskRoot: existsSync('/var/task') };
    }
  }
  return support;
}

/** The paths the environment's processes use, and how to start them so the paths hold. */
export function lambdaPaths(optDir: string, codeDir: string, mode: 'auto' | 'host'): LambdaPaths {
  const ns = mode === 'auto' ? namespaceSupport() : undefined;
  if (!ns || !existsSync('/opt'))
    return { opt: optDir, taskRoot: codeDir, wrap: (command, args) => ({ command, args }) };
  const mounts = [`mount --bind "$1" /opt`, ...(ns.taskRoot ? [`mount --bind "$2" /var/task`] : [])].join(
    ' && ',
  );
  return {
    opt: '/opt',
    taskRoot: ns.taskRoot ? '/var/task' : codeDir,
    wrap: (command, args) => ({
      command: 'unshare',
      args: [
        ...ns.unshareArgs,
        '--',
        '/bin/sh',
        '-c',
        `${mounts} && shift 2 && exec "$@"`,
        'sh',
        optDir,
        codeDir,
        command,
        ...args,
      ],
    }),
  };
}
