import net from 'node:net';

export class PortInUseError extends Error {}

/** A listen error on a port the user chose, as one message naming the port and the flag to change it. */
export function portError(e: unknown, port: number, flag: string): unknown {
  const { code, syscall, port: failed } = e as NodeJS.ErrnoException & { port?: number };
  // Only a listen on that very port: a spawn's EACCES, or another port, is someone else's problem.
  if ((code !== 'EADDRINUSE' && code !== 'EACCES') || syscall !== 'listen') return e;
  if (failed !== undefined && failed !== port) return e;
  return new PortInUseError(
    code === 'EADDRINUSE'
      ? `port ${port} is already in use on 127.0.0.1; choose another with ${flag} <port>`
      : `cannot listen on 127.0.0.1:${port} (${code}); choose another with ${flag} <port>`,
  );
}

/** Fails with a message naming the port and the flag that changes it, before anything starts on it. */
export async function assertPortFree(port: number, flag: string): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', (e) => reject(portError(e, port, flag)));
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve()));
  });
}
