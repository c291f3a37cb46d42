import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { startS3, type RunningService } from '../local/cloud/services';

/**
 * s3rver in a process of its own, for benchmarks that measure a function's time: in the benchmark's
 * process its request handling would share an event loop with the sandbox's Runtime and Telemetry
 * APIs and slow them, which S3 on AWS (another machine) never does. Run as a script, it starts S3,
 * prints the endpoint and serves until its stdin closes.
 */
export async function startS3Process(): Promise<RunningService> {
  const child = spawn(process.execPath, [...process.execArgv, __filename], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  // The endpoint line, or an error if the process ends first (it would otherwise never come).
  const [line] = (await Promise.race([
    once(createInterface({ input: child.stdout! }), 'line'),
    once(child, 'exit').then(([code]) => {
      throw new Error(`the S3 process exited (${String(code)}) before it served`);
    }),
  ])) as [string];
  const endpoint = (JSON.parse(line) as { endpoint: string }).endpoint;
  return {
    name: 'S3',
    implementation: 's3rver (own process)',
    endpoint,
    close: async () => {
      const exited = once(child, 'exit');
      child.stdin!.end();
      await exited;
    },
  };
}

if (require.main === module) {
  void (async () => {
    const s3 = await startS3();
    console.log(JSON.stringify({ endpoint: s3.endpoint }));
    process.stdin.resume();
    process.stdin.on('end', () => void s3.close().then(() => process.exit(0)));
  })();
}
