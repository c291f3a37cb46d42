import { execFile, spawn } from 'node:child_process';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import {
  cpSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { projectRoot } from '../checks/test-fixtures';
import { apiRoutes } from '../cloud/api-gateway/routes-from-template';
import { loadTemplate } from '../template/template';

const run = promisify(execFile);

async function start(
  cwd: string,
  ...args: string[]
): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(
      process.execPath,
      [join(projectRoot, 'node_modules/tsx/dist/cli.mjs'), join(projectRoot, 'local/cli/start.ts'), ...args],
      {
        cwd,
        timeout: 240_000,
      },
    );
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

describe('npm start', () => {
  it('--smoke starts the application, checks every route and function, and stops cleanly', async () => {
    const { code, stdout } = await start(projectRoot, '--smoke', '--http-port', '0', '--lambda-port', '0');
    expect(code).toBe(0);
    expect(stdout).toMatch(/✓ DynamoDB \(dynalite\) \(\d+ ms\)/);
    expect(stdout).toMatch(/^GET \/hello \(HttpApi → HelloFunction\)\s+http:\/\/127\.0\.0\.1:\d+\/hello$/m);
    // Every route of the template through the gateway, every function through the Invoke API.
    const template = loadTemplate(join(projectRoot, 'template.yaml'));
    for (const route of apiRoutes(template)) {
      expect(stdout).toContain(`\nPASS route ${route.routeKey} `);
    }
    const functions = Object.entries(template.Resources).filter(
      ([, r]) => r.Type === 'AWS::Serverless::Function',
    );
    for (const [id] of functions) expect(stdout).toMatch(new RegExp(`^PASS function ${id}\\b`, 'm'));
    // Authorized, refused and signed requests each get the status they must, and the registrator syncs.
    expect(stdout).toMatch(/^PASS route GET \/list-admins as samples\/user-token → 403 /m);
    expect(stdout).toMatch(/^PASS route ANY \/iam-echo \(SigV4\) → 200 /m);
    expect(stdout).toMatch(/^PASS function RegistratorFunction \(full-sync-schedule\.json\)/m);
    // The stack's rotation schedule is configured on the secret (rotating needs a database).
    expect(stdout).toMatch(
      /^DatabaseSecretRotationSchedule\s+AWS::SecretsManager::RotationSchedule\s+\S+\s+rotation by RotationFunction rate\(30 days\) \(not run at creation\)\s*$/m,
    );
    expect(stdout).toMatch(/^\d+ passed, 0 failed$/m);
    expect(stdout.trim().endsWith('stopped')).toBe(true);
  });

  it('--smoke exits 1 when a function fails, naming it', async () => {
    const root = mkdtempSync(join(tmpdir(), 'start-fail-'));
    for (const f of ['template.yaml', 'functions', 'events', 'extensions', 'layers']) {
      cpSync(join(projectRoot, f), join(root, f), { recursive: true });
    }
    symlinkSync(join(projectRoot, 'node_modules'), join(root, 'node_modules'));
    writeFileSync(
      join(root, 'functions/hello/index.ts'),
      "export const handler = async () => { throw new Error('broken on purpose'); };\n",
    );
    // A route events/smoke.json forgot fails too, saying where to add it.
    const plan = JSON.parse(readFileSync(join(root, 'events/smoke.json'), 'utf8')) as {
      routes: Record<string, unknown>;
    };
    delete plan.routes['GET /cache-demo'];
    writeFileSync(join(root, 'events/smoke.json'), JSON.stringify(plan));
    const { code, stdout } = await start(root, '--smoke', '--http-port', '0', '--lambda-port', '0');
    expect(code).toBe(1);
    expect(stdout).toMatch(/^FAIL function HelloFunction .*broken on purpose/m);
    expect(stdout).toMatch(
      /^FAIL route GET \/cache-demo .*no request for this route in events\/smoke\.json/m,
    );
    expect(stdout).toMatch(/^\d+ passed, [1-9]\d* failed$/m);
  });

  it.each(['--http-port', '--lambda-port'])(
    'names the port in use and the flag that changes it: %s',
    async (flag) => {
      const busy = net.createServer();
      await new Promise<void>((r) => busy.listen(0, '127.0.0.1', r));
      const { port } = busy.address() as AddressInfo;
      // The other port free (0), so only the busy one can be named.
      const other = flag === '--http-port' ? '--lambda-port' : '--http-port';
      const { code, stderr } = await start(projectRoot, flag, String(port), other, '0');
      busy.close();
      expect(code).toBe(2);
      expect(stderr.trim()).toBe(
        `start: port ${port} is already in use on 127.0.0.1; choose another with ${flag} <port>`,
      );
    },
  );

  it('refuses bad flags and a template it cannot run, with one line and exit 2', async () => {
    const flags = await start(projectRoot, '--http-port', 'eighty');
    expect(flags.code).toBe(2);
    expect(flags.stderr.trim()).toBe('start: --http-port takes a port number from 0 to 65535, got "eighty"');

    const root = mkdtempSync(join(tmpdir(), 'start-bad-'));
    const template = readFileSync(join(projectRoot, 'template.yaml'), 'utf8').replace(
      '      DefaultRouteSettings:',
      '      Auth:\n        DefaultAuthorizer: Jwt\n        Authorizers:\n          Jwt:\n            JwtConfiguration: { issuer: https://issuer.example, audience: [a] }\n            IdentitySource: $request.header.Authorization\n      DefaultRouteSettings:',
    );
    writeFileSync(join(root, 'template.yaml'), template);
    const unsupported = await start(root, '--smoke');
    expect(unsupported.code).toBe(2);
    expect(unsupported.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^start: .*HttpApi.*Jwt/)]);
  });

  it('serves until Ctrl-C, then shuts every environment down and leaves no process', async () => {
    const child = spawn(
      process.execPath,
      [
        join(projectRoot, 'node_modules/tsx/dist/cli.mjs'),
        join(projectRoot, 'local/cli/start.ts'),
        '--http-port',
        '0',
        '--lambda-port',
        '0',
      ],
      { cwd: projectRoot },
    );
    let stdout = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.resume();
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    while (!stdout.includes('Ready.')) await new Promise((r) => setTimeout(r, 50));
    const url = /^GET \/hello \(HttpApi → HelloFunction\)\s+(\S+)$/m.exec(stdout)![1]!;
    const res = await fetch(url);
    expect(await res.json()).toEqual({ message: 'hello world' });
    child.kill('SIGINT');
    expect(await exited).toBe(0);
    expect(stdout).toMatch(/^\[HelloFunction\] REPORT RequestId: /m);
    // Its environment went through SHUTDOWN, and the logs extension shipped everything then.
    expect(stdout).toMatch(
      /^ {2}✓ HelloFunction: 1 environment\(s\) shut down through SHUTDOWN \(\d+ ms\)$/m,
    );
    expect(stdout).toMatch(
      /^\[HelloFunction\] .*\[logs-extension\] shutdown: all shipped \([1-9]\d* record\(s\) in [1-9]\d* object\(s\)/m,
    );
    expect(stdout.trim().endsWith('stopped')).toBe(true);
    // No runtime left working in the function's task root.
    const taskRoot = join(projectRoot, 'build', 'HelloFunction');
    const left = readdirSync('/proc')
      .filter((p) => /^\d+$/.test(p))
      .filter((p) => {
        try {
          return readlinkSync(`/proc/${p}/cwd`) === taskRoot;
        } catch {
          return false;
        }
      });
    expect(left).toEqual([]);
  });
});
