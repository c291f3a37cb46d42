import net from 'node:net';

export class PortInUseError extends Error {}

/** Fails with a message naming the port and the flag that changes it, before anything starts on it. */
export async function assertPortFree(port: number, flag: string): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', (e: NodeJS.ErrnoException) =>
      reject(
        new PortInUseError(
          e.code === 'EADDRINUSE'
            ? `port ${port} is already in use on 127.0.0.1; choose another with ${flag} <port>`
            : `cannot listen on 127.0.0.1:${port} (${e.code ?? e.message}); choose another with ${flag} <port>`,
        ),
      ),
    );
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve()));
  });
}
