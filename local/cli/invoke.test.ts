import { execFile, spawn } from 'node:child_process';
import {
  cpSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { randomUUID } from 'node:crypto';
import { projectRoot } from '../checks/test-fixtures';

const run = promisify(execFile);

/**
 * A small project of its own for the CLI: one function (`CliProbeFunction`, whose handler fails on
 * request) with one layer holding the shell + curl extension, so failures happen with an extension
 * running and the test can look for anything left behind.
 */
function probeProject(template = TEMPLATE, makefile = MAKEFILE): string {
  const root = mkdtempSync(join(tmpdir(), 'cli-probe-'));
  mkdirSync(join(root, 'functions/probe'), { recursive: true });
  mkdirSync(join(root, 'layers/probe'), { recursive: true });
  mkdirSync(join(root, 'events'));
  writeFileSync(join(root, 'template.yaml'), template);
  writeFileSync(
    join(root, 'functions/probe/index.ts'),
    "export const handler = async (event: { fail?: boolean }) => {\n  console.log('probe handling', JSON.stringify(event));\n  if (event.fail) throw new RangeError('asked to fail');\n  return { ok: true };\n};\n",
  );
  writeFileSync(join(root, 'layers/probe/Makefile'), makefile);
  cpSync(
    join(projectRoot, 'local/sandbox/conformance/fixtures/layers/curl/extensions/curl-extension'),
    join(root, 'layers/probe/curl-extension'),
  );
  writeFileSync(join(root, 'events/ok.json'), '{}');
  writeFileSync(join(root, 'events/fail.json'), '{"fail": true}');
  writeFileSync(join(root, 'events/broken.json'), '{"fail": tru');
  symlinkSync(join(projectRoot, 'node_modules'), join(root, 'node_modules'));
  return root;
}

/** In the probe function's environment, so every process of its sandbox carries it (see leftBehind). */
const MARKER = randomUUID();

const TEMPLATE = `Transform: AWS::Serverless-2016-10-31
Resources:
  ProbeLayer:
    Type: AWS::Serverless::LayerVersion
    Metadata: { BuildMethod: makefile }
    Properties: { ContentUri: layers/probe }
  CliProbeFunction:
    Type: AWS::Serverless::Function
    Metadata:
      BuildMethod: esbuild
      BuildProperties: { EntryPoints: [index.ts], Format: cjs, Target: node24 }
    Properties:
      CodeUri: functions/probe
      Handler: index.handler
      Runtime: nodejs24.x
      Environment: { Variables: { CLI_PROBE_MARKER: ${MARKER} } }
      Timeout: 5
      Layers: [!Ref ProbeLayer]
`;
const MAKEFILE =
  'build-ProbeLayer:\n\tmkdir -p $(ARTIFACTS_DIR)/extensions\n\tcp curl-extension $(ARTIFACTS_DIR)/extensions/\n';

async function invoke(
  root: string,
  ...args: string[]
): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(
      process.execPath,
      [join(projectRoot, 'node_modules/tsx/dist/cli.mjs'), join(projectRoot, 'local/cli/invoke.ts'), ...args],
      {
        cwd: root,
        timeout: 120_000,
      },
    );
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

/**
 * Live processes of the probe function's sandbox, found by the marker in their environment: the
 * runtime, the extension and whatever they started (curl, sleep), whatever their command lines.
 */
function leftBehind(): string[] {
  const found: string[] = [];
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      const environ = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      if (environ.includes(`CLI_PROBE_MARKER=${MARKER}`) && stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z')
        found.push(`${pid} ${readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ')}`);
    } catch {
      // exited while we looked, or not ours to read
    }
  }
  return found;
}

it('finds a process of the probe left running (the check below each test can fail)', async () => {
  const stray = spawn('sleep', ['30'], { env: { ...process.env, CLI_PROBE_MARKER: MARKER } });
  await new Promise((resolve) => stray.once('spawn', resolve));
  try {
    expect(leftBehind()).toEqual([expect.stringContaining('sleep 30')]);
  } finally {
    stray.kill('SIGKILL');
    await new Promise((resolve) => stray.once('exit', resolve));
  }
});

afterEach(() => {
  expect(leftBehind()).toEqual([]);
});

describe('npm run invoke', () => {
  it('builds and invokes, printing logs and REPORT like sam local invoke, the response on stdout', async () => {
    const root = probeProject();
    const { code, stdout, stderr } = await invoke(
      root,
      'CliProbeFunction',
      '--event',
      'events/ok.json',
      '--warm',
      '2',
    );
    expect(code).toBe(0);
    expect(stdout.trim().split('\n')).toEqual(['{"ok":true}', '{"ok":true}', '{"ok":true}']);
    expect(stderr).toMatch(/^EXTENSION\tName: curl-extension\tState: Ready\tEvents: \[INVOKE, SHUTDOWN\]$/m);
    expect(stderr.match(/^REPORT RequestId: /gm)).toHaveLength(3);
    expect(stderr.match(/Init Duration: /g)).toHaveLength(1);
    expect(stderr).toContain('[curl-extension] shutting down');
    // The function's own output, as CloudWatch shows it: time, request id, level, message.
    expect(stderr.match(/^\S+Z\t[0-9a-f-]{36}\tINFO\tprobe handling \{\}$/gm)).toHaveLength(3);
  });

  it('exits 1 when the function fails, with its error on stdout', async () => {
    const root = probeProject();
    const { code, stdout } = await invoke(root, 'CliProbeFunction', '--event', 'events/fail.json');
    expect(code).toBe(1);
    expect(JSON.parse(stdout)).toMatchObject({ errorType: 'RangeError', errorMessage: 'asked to fail' });
  });

  it.each([
    [
      ['NoSuchFunction'],
      /^invoke: template\.yaml has no function "NoSuchFunction" \(functions: CliProbeFunction\)$/,
    ],
    [
      ['CliProbeFunction', '--event', 'events/broken.json'],
      /^invoke: --event events\/broken\.json: not valid JSON: /,
    ],
    [
      ['CliProbeFunction', '--event', 'events/missing.json'],
      /^invoke: --event events\/missing\.json: cannot read it \(ENOENT\)$/,
    ],
    [['CliProbeFunction', '--warm', 'many'], /^invoke: --warm takes a whole number/],
    [['CliProbeFunction', '--eventt', 'x'], /^invoke: Unknown option '--eventt'/],
    [[], /^invoke: name exactly one function/],
  ])('refuses bad input %j with one clear line and exit 2', async (args, message) => {
    const { code, stderr } = await invoke(probeProject(), ...args);
    expect(code).toBe(2);
    expect(stderr.trim().split('\n')).toEqual([expect.stringMatching(message)]);
  });

  it('refuses a handler the source does not export', async () => {
    const { code, stderr } = await invoke(
      probeProject(TEMPLATE.replace('Handler: index.handler', 'Handler: index.main')),
      'CliProbeFunction',
    );
    expect(code).toBe(2);
    expect(stderr.trim()).toBe('invoke: CliProbeFunction: functions/probe/index.ts does not export "main"');
  });

  it('refuses a layer that does not build', async () => {
    const { code, stderr } = await invoke(
      probeProject(TEMPLATE, 'build-OtherLayer:\n\ttrue\n'),
      'CliProbeFunction',
    );
    expect(code).toBe(2);
    expect(stderr.trim().split('\n')).toEqual([
      expect.stringMatching(/^invoke: build of CliProbeFunction or its layers failed: .*build-ProbeLayer/),
    ]);
  });

  it('shuts the environment down through SHUTDOWN on Ctrl-C and exits 130', async () => {
    const root = probeProject();
    const child = spawn(
      process.execPath,
      [
        join(projectRoot, 'node_modules/tsx/dist/cli.mjs'),
        join(projectRoot, 'local/cli/invoke.ts'),
        'CliProbeFunction',
        '--warm',
        '10000',
      ],
      {
        cwd: root,
      },
    );
    let stderr = '';
    const reported = new Promise<void>((resolve) =>
      child.stderr.on('data', (chunk: Buffer) => {
        stderr += chunk.toString();
        if (stderr.includes('REPORT RequestId:')) resolve();
      }),
    );
    child.stdout.resume();
    await reported;
    child.kill('SIGINT');
    const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
    expect(code).toBe(130);
    expect(stderr).toContain('[curl-extension] shutting down');
  });
});
