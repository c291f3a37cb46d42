import { execFile, spawn } from 'node:child_process';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import {
  cpSync,
  mkdirSync,
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
import { withGlobals } from '../template/sam-globals';
import { activeTemplate, cloudResolver } from '../cloud/physical-resources';
import { findMariadbd, freePort } from '../databases/database-servers';
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { startCloudFormationApi, type StackDescription } from '../cloud/cloudformation/cloudformation-api';
import { LocalCloud } from '../cloud/local-cloud';
import { LOCAL_CREDENTIALS, parseSeedData } from '../cloud/seed';

/** What SAM's transform makes of each resource type, as a deployed stack lists it. */
const DEPLOYED_TYPES: Record<string, string> = {
  'AWS::Serverless::Function': 'AWS::Lambda::Function',
  'AWS::Serverless::SimpleTable': 'AWS::DynamoDB::Table',
  'AWS::Serverless::HttpApi': 'AWS::ApiGatewayV2::Api',
  'AWS::Serverless::Api': 'AWS::ApiGateway::RestApi',
  'AWS::Serverless::LayerVersion': 'AWS::Lambda::LayerVersion',
};

/** A local cloud's resources as CloudFormation would list them for a stack `sam deploy` created. */
function deployedStackOf(cloud: LocalCloud, name: string): StackDescription {
  return {
    name,
    stackId: `arn:aws:cloudformation:us-east-1:123456789012:stack/${name}/0c7a3b52-8b1e-4c1b-9c51-7d2f0a1e9b00`,
    status: 'CREATE_COMPLETE',
    parameters: {},
    resources: [...cloud.resources].map(([id, r]) => ({
      // SAM renames a layer <LogicalId><hash> in the stack.
      logicalId: r.type === 'AWS::Serverless::LayerVersion' ? `${id}0a1b2c3d4e` : id,
      physicalId: cloud.functions.get(id)?.config.functionName ?? r.ref,
      type: DEPLOYED_TYPES[r.type] ?? r.type,
    })),
  };
}

const run = promisify(execFile);

/** `npm start`'s command line, without npm: node, tsx, start.ts. */
const START = [join(projectRoot, 'node_modules/tsx/dist/cli.mjs'), join(projectRoot, 'local/cli/start.ts')];

async function start(
  cwd: string,
  ...args: string[]
): Promise<{ code: number; stdout: string; stderr: string }> {
  return startWith({}, cwd, ...args);
}

/** `npm start` with a shell environment of `env` added. */
async function startWith(
  env: Record<string, string>,
  cwd: string,
  ...args: string[]
): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [...START, ...args], {
      cwd,
      timeout: 240_000,
      env: { ...process.env, ...env },
    });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

/** Processes whose working directory is `dir` (a function's task root). */
function processesIn(dir: string): string[] {
  return readdirSync('/proc')
    .filter((p) => /^\d+$/.test(p))
    .filter((p) => {
      try {
        return readlinkSync(`/proc/${p}/cwd`) === dir;
      } catch {
        return false;
      }
    });
}

/** mariadbd processes listening on `port`. */
function mariadbOn(port: string): string[] {
  return readdirSync('/proc')
    .filter((p) => /^\d+$/.test(p))
    .filter((p) => {
      try {
        return readFileSync(`/proc/${p}/cmdline`, 'utf8').includes(`--port=${port}\0`);
      } catch {
        return false;
      }
    });
}

/** `npm start` in the background: its output so far, a wait for a line, its exit code. */
function startInBackground(...args: string[]) {
  const child = spawn(process.execPath, [...START, ...args], { cwd: projectRoot });
  const out = { stdout: '', stderr: '' };
  child.stdout.on('data', (c: Buffer) => (out.stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (out.stderr += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const waitFor = async (pattern: RegExp) => {
    while (!pattern.test(out.stdout)) {
      if (child.exitCode !== null) throw new Error(`npm start exited: ${out.stdout}${out.stderr}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  return { child, out, exited, waitFor };
}

/** The rows of a start-up table: the lines after its title and header, up to a blank line, split into cells. */
function tableRows(stdout: string, title: string): string[][] {
  const lines = stdout.split('\n');
  const start = lines.indexOf(title);
  expect(start).toBeGreaterThanOrEqual(0);
  const end = lines.indexOf('', start);
  return lines.slice(start + 2, end).map((line) => line.split(/ {2,}/));
}

/** The start-up steps, in order, without their times. */
const steps = (stdout: string) =>
  [...stdout.split('\nEndpoints\n')[0]!.matchAll(/^ {2}✓ (.+) \(\d+ ms\)$/gm)].map((m) => m[1]!);

/** What the startup tables must show for the repo's template. */
function expectStartupTables(stdout: string): void {
  const template = activeTemplate(loadTemplate(join(projectRoot, 'template.yaml')));
  const functions = Object.entries(template.Resources).filter(
    ([, r]) => r.Type === 'AWS::Serverless::Function',
  );
  const database = findMariadbd()
    ? {
        first: [expect.stringMatching(/^MariaDB for DatabaseSecret \(mariadbd on 127\.0\.0\.1:\d+\)$/)],
        last: [expect.stringMatching(/^database prepared: /)],
      }
    : { first: [], last: [] };
  expect(steps(stdout)).toEqual([
    ...database.first,
    `built ${functions.length} function(s) and their layers`,
    'DynamoDB (dynalite)',
    'S3 (s3rver)',
    'Secrets Manager (emulator)',
    'SSM Parameter Store (emulator)',
    'SQS (emulator)',
    'Lambda API (emulator)',
    'Resource Groups Tagging API (emulator)',
    'EventBridge (emulator)',
    'Consul (emulator)',
    'seeded the template’s resources',
    'Node.js runtimes',
    'event sources, rules and the Lambda control plane',
    ...database.last,
  ]);

  // Endpoints: every route, the Invoke API, and every service, all on loopback.
  const endpoints = new Map(tableRows(stdout, 'Endpoints').map(([what, where]) => [what!, where!]));
  for (const route of apiRoutes(template)) {
    expect(endpoints.get(`${route.routeKey} (${route.apiLogicalId} → ${route.functionLogicalId})`)).toMatch(
      new RegExp(`^http://127\\.0\\.0\\.1:\\d+${route.path.replace(/[{}$]/g, '\\$&')}$`),
    );
  }
  expect(endpoints.get('Lambda Invoke API')).toMatch(
    /^aws lambda invoke --endpoint-url http:\/\/127\.0\.0\.1:\d+ --function-name <name> out\.json$/,
  );
  const services = [
    'DynamoDB (dynalite)',
    'S3 (s3rver)',
    'Secrets Manager (local emulator)',
    'SSM Parameter Store (local emulator)',
    'SQS (local emulator)',
    'Resource Groups Tagging API (local emulator)',
    'EventBridge (local emulator (rules, schedules, PutEvents))',
    'Consul (local emulator (catalog, config entries, connect CA, ACL))',
  ];
  for (const service of services) expect(endpoints.get(service)).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  expect(endpoints.size).toBe(apiRoutes(template).length + 1 + services.length + (findMariadbd() ? 1 : 0));

  // Functions: each with its deployed name, runtime, memory, timeout and layer count from the template.
  const fnRows = tableRows(stdout, 'Functions');
  const resolve = cloudResolver(template, new Map());
  expect(fnRows.map((r) => r[0])).toEqual(functions.map(([id]) => id));
  for (const [id, resource] of functions) {
    const p = withGlobals(template, 'Function', resource.Properties);
    // Parameter defaults and ${AWS::StackName} (local) as the local cloud resolves them.
    const value = (v: unknown) => resolve(v, id);
    expect(fnRows.find((r) => r[0] === id)).toEqual([
      id,
      p.FunctionName === undefined ? id : value(p.FunctionName),
      value(p.Runtime),
      `${value(p.MemorySize)} MB`,
      `${value(p.Timeout)} s`,
      String(Array.isArray(p.Layers) ? p.Layers.length : 0),
    ]);
  }

  // Seeded: every table, bucket, parameter, secret, queue and rotation schedule the template declares.
  const seededTypes = [
    'AWS::DynamoDB::Table',
    'AWS::Serverless::SimpleTable',
    'AWS::S3::Bucket',
    'AWS::SSM::Parameter',
    'AWS::SecretsManager::Secret',
    'AWS::SQS::Queue',
    'AWS::SecretsManager::RotationSchedule',
  ];
  const declared = Object.entries(template.Resources)
    .filter(([, r]) => seededTypes.includes(r.Type))
    .map(([id, r]) => `${id} ${r.Type}`);
  expect(
    tableRows(stdout, 'Seeded')
      .map((r) => `${r[0]} ${r[1]}`)
      .sort(),
  ).toEqual(declared.sort());
}

describe('npm start', () => {
  it('--smoke starts the application, checks every route and function, and stops cleanly', async () => {
    const { code, stdout } = await start(projectRoot, '--smoke', '--http-port', '0', '--lambda-port', '0');
    expect(code).toBe(0);
    expectStartupTables(stdout);
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
    // The registrator round trip: tagged → registered in Consul; untagged → gone.
    expect(stdout).toMatch(
      /^PASS registration HelloFunction \(tag, RegistratorFunction full sync, in Consul; untag, sync, gone\)/m,
    );
    // The stack's rotation schedule is configured on the secret, naming the function as deployed.
    expect(stdout).toMatch(
      /^DatabaseSecretRotationSchedule\s+AWS::SecretsManager::RotationSchedule\s+\S+\s+rotation by local-rotation rate\(30 days\) \(not run at creation\)\s*$/m,
    );
    // With MariaDB on the machine (CI installs it), a real rotation; without, it says why not.
    if (findMariadbd()) {
      expect(stdout).toMatch(/^ {2}✓ database prepared: table items \(4 rows\), the secret's user/m);
      expect(stdout).toMatch(
        /^PASS rotation record-count\/database \(RotateSecret; RecordCountFunction before and after\)/m,
      );
    } else {
      expect(stdout).toMatch(/^SKIP rotation record-count\/database .* — no mariadbd on this machine/m);
    }
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
    const { code, stdout } = await start(
      root,
      ...['--smoke', '--no-database', '--http-port', '0', '--lambda-port', '0'],
    );
    expect(code).toBe(1);
    expect(stdout).toMatch(/^FAIL function HelloFunction .*broken on purpose/m);
    // A check that cannot run is reported as skipped, with why, not passed.
    expect(stdout).toMatch(
      /^SKIP rotation record-count\/database \(RotateSecret; RecordCountFunction before and after\) — started with --no-database$/m,
    );
    expect(stdout).toMatch(
      /^FAIL route GET \/cache-demo .*no request for this route in events\/smoke\.json/m,
    );
    expect(stdout).toMatch(/^\d+ passed, [1-9]\d* failed, 1 skipped$/m);
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

    const closed = await freePort();
    const consul = await startWith(
      { CONSUL_HTTP_ADDR: `127.0.0.1:${closed}` },
      projectRoot,
      '--http-port',
      '0',
      '--lambda-port',
      '0',
    );
    expect(consul.code).toBe(2);
    expect(consul.stderr.trim()).toBe(
      `start: CONSUL_HTTP_ADDR http://127.0.0.1:${closed} does not answer (ECONNREFUSED): start that Consul, or unset CONSUL_HTTP_ADDR to use the emulator`,
    );

    const root = mkdtempSync(join(tmpdir(), 'start-bad-'));
    const template = readFileSync(join(projectRoot, 'template.yaml'), 'utf8').replace(
      '      DefaultRouteSettings:',
      '      Auth:\n        DefaultAuthorizer: Jwt\n        Authorizers:\n          Jwt:\n            JwtConfiguration: { issuer: https://issuer.example, audience: [a] }\n            IdentitySource: $request.header.Authorization\n      DefaultRouteSettings:',
    );
    writeFileSync(join(root, 'template.yaml'), template);
    const unsupported = await start(root, '--smoke', '--http-port', '0', '--lambda-port', '0');
    expect(unsupported.code).toBe(2);
    expect(unsupported.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^start: .*HttpApi.*Jwt/)]);

    // A mistake in events/smoke.json, before anything starts.
    const planRoot = mkdtempSync(join(tmpdir(), 'start-plan-'));
    cpSync(join(projectRoot, 'template.yaml'), join(planRoot, 'template.yaml'));
    mkdirSync(join(planRoot, 'events'));
    writeFileSync(join(planRoot, 'events/smoke.json'), '{"routes":{"GET /hello":[{"expect":"ok"}]}}');
    const badPlan = await start(planRoot, '--smoke', '--http-port', '0', '--lambda-port', '0');
    expect(badPlan.code).toBe(2);
    expect(badPlan.stderr.trim()).toBe(
      'start: events/smoke.json: routes["GET /hello"][0].expect must be the HTTP status the request must get (100-599)',
    );
    expect(badPlan.stdout).not.toMatch(/✓/);
  });

  it('--aws --smoke runs the same checks with the local code against a deployed stack', async () => {
    // "AWS": a local cloud of the same template, described as a deployed stack by a CloudFormation API.
    const sampleData = 'local/cloud/sample-data.json';
    const aws = await LocalCloud.start({
      root: projectRoot,
      seedData: parseSeedData(readFileSync(join(projectRoot, sampleData), 'utf8'), sampleData),
    });
    const cloudformation = await startCloudFormationApi([deployedStackOf(aws, 'deployed-app')]);
    try {
      const endpointVariables: Record<string, string> = {
        AWS_ENDPOINT_URL_CLOUDFORMATION: cloudformation.endpoint,
        AWS_ENDPOINT_URL_DYNAMODB: aws.endpoint('dynamodb'),
        AWS_ENDPOINT_URL_S3: aws.endpoint('s3'),
        AWS_ENDPOINT_URL_SSM: aws.endpoint('ssm'),
        AWS_ENDPOINT_URL_SECRETS_MANAGER: aws.endpoint('secretsmanager'),
        AWS_ENDPOINT_URL_SQS: aws.endpoint('sqs'),
        AWS_ENDPOINT_URL_LAMBDA: aws.endpoint('lambda'),
        AWS_ENDPOINT_URL_RESOURCE_GROUPS_TAGGING_API: aws.endpoint('tagging'),
      };
      const { code, stdout } = await startWith(
        {
          ...endpointVariables,
          AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
          AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
          // Temporary credentials, as `aws sso login` or a role's profile gives the shell.
          AWS_SESSION_TOKEN: 'shell-session-token',
          AWS_REGION: 'us-east-1',
          AWS_CONFIG_FILE: '/nonexistent/aws-config',
          AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/aws-credentials',
        },
        projectRoot,
        ...['--aws', '--stack', 'deployed-app', '--smoke', '--http-port', '0', '--lambda-port', '0'],
      );
      expect({ code, stdout }).toEqual({
        code: 0,
        stdout: expect.stringMatching(/^\d+ passed, 0 failed, 2 skipped$/m),
      });
      // Nor is a deployed function tagged for the registrator.
      expect(stdout).toMatch(/^SKIP registration HelloFunction .* — it would tag the deployed function/m);
      // The deployed secret is not rotated by a smoke run.
      expect(stdout).toMatch(
        /^SKIP rotation record-count\/database .* — it would rotate the deployed secret/m,
      );
      expect(stdout).toMatch(/✓ read stack deployed-app \(CloudFormation\) \(\d+ ms\)/);
      expect(stdout).toMatch(
        /^AWS: stack deployed-app in us-east-1 \(account 123456789012\), \d+ resource\(s\) of the template found; the functions use the shell's credentials$/m,
      );
      // Nothing AWS runs is emulated or seeded by this process.
      expect(stdout).not.toMatch(/dynalite|s3rver|Secrets Manager \(|^Seeded$/m);
      expect(stdout).toMatch(/^PASS route GET \/list-admins as samples\/user-token → 403 /m);
      expect(stdout).toMatch(/^PASS function RegistratorFunction \(manual-dry-run\.json\)/m);
      // The hello function's logs were shipped to the stack's bucket, in "AWS".
      const s3 = new S3Client({
        endpoint: aws.endpoint('s3'),
        region: 'us-east-1',
        credentials: LOCAL_CREDENTIALS,
        forcePathStyle: true,
      });
      const bucket = aws.resources.get('LogsBucket')!.ref;
      const listed = await s3.send(new ListObjectsV2Command({ Bucket: bucket }));
      expect(listed.KeyCount).toBeGreaterThan(0);
    } finally {
      await cloudformation.close();
      await aws.stop();
    }
  });

  it('--aws refuses a stack that does not exist, and --stack without --aws, with one line and exit 2', async () => {
    const cloudformation = await startCloudFormationApi([]);
    try {
      const missing = await startWith(
        {
          AWS_ENDPOINT_URL_CLOUDFORMATION: cloudformation.endpoint,
          AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
          AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
          AWS_REGION: 'eu-central-1',
        },
        projectRoot,
        ...['--aws', '--http-port', '0', '--lambda-port', '0'],
      );
      expect(missing.code).toBe(2);
      // The stack samconfig.toml names, by default.
      expect(missing.stderr.trim()).toBe(
        'start: stack lambda-extensions-kit does not exist in eu-central-1: deploy it first (sam deploy --guided), or name the deployed one with --stack <name>',
      );
      // A fork's samconfig.toml (as `sam deploy --guided` writes it) names the stack and the region,
      // which win over the shell's, as for `sam deploy`.
      const fork = mkdtempSync(join(tmpdir(), 'start-fork-'));
      cpSync(join(projectRoot, 'template.yaml'), join(fork, 'template.yaml'));
      writeFileSync(
        join(fork, 'samconfig.toml'),
        'version = 0.1\n[default.deploy.parameters]\nstack_name = "forked-app"\nregion = "eu-north-1"\n',
      );
      const forked = await startWith(
        {
          AWS_ENDPOINT_URL_CLOUDFORMATION: cloudformation.endpoint,
          AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
          AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
          AWS_REGION: 'eu-central-1',
        },
        fork,
        ...['--aws', '--no-database', '--http-port', '0', '--lambda-port', '0'],
      );
      expect(forked.stderr.trim()).toMatch(/^start: stack forked-app does not exist in eu-north-1: /);
    } finally {
      await cloudformation.close();
    }
    const token = await startWith(
      { CONSUL_HTTP_TOKEN: 'secret-token' },
      projectRoot,
      '--aws',
      '--stack',
      'x',
    );
    expect(token.code).toBe(2);
    expect(token.stderr.trim()).toMatch(
      /^start: CONSUL_HTTP_TOKEN reaches the functions through the local Parameter Store, which --aws does not run/,
    );
    expect(token.stderr).not.toContain('secret-token');
    const stackOnly = await start(projectRoot, '--stack', 'x');
    expect(stackOnly.code).toBe(2);
    expect(stackOnly.stderr.trim()).toMatch(
      /^start: --stack names the deployed stack to run against; add --aws /,
    );
  });

  it('serves until Ctrl-C, then shuts every environment down and leaves no process', async () => {
    const { child, out, exited, waitFor } = startInBackground('--http-port', '0', '--lambda-port', '0');
    await waitFor(/^Ready\./m);
    const { stdout } = out;
    const url = /^GET \/hello \(HttpApi → HelloFunction\)\s+(\S+)$/m.exec(stdout)![1]!;
    const res = await fetch(url);
    expect(await res.json()).toEqual({ message: 'hello world' });
    // The Invoke API takes the logical id, as `sam local start-lambda` does (README's example).
    const invokeApi = /--endpoint-url (\S+) --function-name/.exec(stdout)![1]!;
    const lambda = new LambdaClient({
      endpoint: invokeApi,
      region: 'us-east-1',
      credentials: LOCAL_CREDENTIALS,
    });
    const invoked = await lambda.send(new InvokeCommand({ FunctionName: 'HelloFunction' }));
    expect(invoked.FunctionError).toBeUndefined();
    expect(JSON.parse(Buffer.from(invoked.Payload!).toString('utf8'))).toMatchObject({ statusCode: 200 });
    child.kill('SIGINT');
    expect(await exited).toBe(0);
    expect(out.stdout).toMatch(/^\[HelloFunction\] REPORT RequestId: /m);
    // Its environment went through SHUTDOWN, and the logs extension shipped everything then.
    expect(out.stdout).toMatch(
      /^ {2}✓ HelloFunction: 1 environment\(s\) shut down through SHUTDOWN \(\d+ ms\)$/m,
    );
    expect(out.stdout).toMatch(
      /^\[HelloFunction\] .*\[logs-extension\] shutdown: all shipped \([1-9]\d* record\(s\) in [1-9]\d* object\(s\)/m,
    );
    expect(out.stdout.trim().endsWith('stopped')).toBe(true);
    // No runtime left working in the function's task root, nor the rotation sample's database.
    expect(processesIn(join(projectRoot, 'build', 'HelloFunction'))).toEqual([]);
    const database = /^MariaDB \(DatabaseSecret's database.*\s127\.0\.0\.1:(\d+)$/m.exec(out.stdout)?.[1];
    expect(database === undefined).toBe(!findMariadbd());
    if (database) expect(mariadbOn(database)).toEqual([]);
  });

  it('Ctrl-C during start-up stops what was started, and exits 130', async () => {
    const { child, out, exited, waitFor } = startInBackground('--http-port', '0', '--lambda-port', '0');
    // Services are up, functions not yet.
    await waitFor(/✓ S3 \(s3rver\)/);
    child.kill('SIGINT');
    expect(await exited).toBe(130);
    expect(out.stderr.trim()).toBe('start: interrupted; everything started was stopped');
    expect(out.stdout).not.toMatch(/^Ready\./m);
    const database = /mariadbd on 127\.0\.0\.1:(\d+)/.exec(out.stdout)?.[1];
    expect(database === undefined).toBe(!findMariadbd());
    if (database) expect(mariadbOn(database)).toEqual([]);
  });

  it('Ctrl-C during --smoke stops after the current check, through SHUTDOWN, and exits 130', async () => {
    const { child, out, exited, waitFor } = startInBackground(
      '--smoke',
      '--http-port',
      '0',
      '--lambda-port',
      '0',
    );
    await waitFor(/^PASS route GET \/hello /m);
    child.kill('SIGINT');
    expect(await exited).toBe(130);
    expect(out.stdout).toMatch(/^ {2}✓ HelloFunction: 1 environment\(s\) shut down through SHUTDOWN/m);
    expect(out.stdout.trim().endsWith('stopped')).toBe(true);
    expect(out.stdout).not.toMatch(/^\d+ passed, /m);
    expect(processesIn(join(projectRoot, 'build', 'HelloFunction'))).toEqual([]);
  });
});
