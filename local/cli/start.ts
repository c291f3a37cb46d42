import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import {
  DescribeSecretCommand,
  GetSecretValueCommand,
  RotateSecretCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { slsFunctionKey } from '../checks/parity-check';
import { send, signRequest } from './call';
import { apiRoutes, UnsupportedRouteError, type ApiRoute } from '../cloud/api-gateway/routes-from-template';
import { startApiGateway, type ApiGatewayHandle } from '../cloud/api-gateway/gateway';
import { ConsulAddressError } from '../cloud/consul/external-consul';
import { DeployedStackError } from '../cloud/deployed-stack';
import { undeliveredEvents } from '../cloud/event-rules';
import { LocalCloud } from '../cloud/local-cloud';
import { activeTemplate } from '../cloud/physical-resources';
import { assertPortFree, PortInUseError } from '../cloud/ports';
import { LOCAL_CREDENTIALS, parseSeedData, SeedDataError } from '../cloud/seed';
import { FunctionConfigError } from '../sandbox/function-config';
import { TemplateSyntaxError } from '../template/cfn-yaml';
import { samconfigStackName } from '../template/samconfig';
import { loadTemplate, type Template } from '../template/template';
import {
  COUNTING_FUNCTION,
  DATABASE_SECRET,
  noAppDatabaseReason,
  prepareAppDatabase,
  startAppDatabase,
  type AppDatabase,
  type DatabaseSecretValue,
} from '../databases/app-database';

// The tooling runs on the developer's Node (≥ 20.19); the functions run on their runtime's own Node.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

/**
 * `npm start [-- --http-port 3000 --lambda-port 3001 --no-freeze --smoke]`: the whole application
 * of template.yaml on the local cloud, with its HTTP APIs on --http-port and the Lambda Invoke API
 * on --lambda-port. `--smoke` exercises every route and function once, prints one line per check,
 * stops, and exits 1 if any failed. `--aws [--stack <name>] [--region <region>]` runs the same local
 * code against the deployed stack instead of emulators, with the shell's credentials.
 */
const USAGE =
  'usage: npm start -- [--http-port <port>] [--lambda-port <port>] [--no-freeze] [--no-database] [--smoke] [--aws [--stack <name>] [--region <region>]]';

class UsageError extends Error {}

/** Ctrl-C or SIGTERM before the application was ready, or during `--smoke`. */
class InterruptedError extends Error {
  constructor(readonly exitCode: number) {
    super('interrupted; everything started was stopped');
  }
}

/**
 * Ctrl-C (or SIGTERM), from the first moment: the first one stops start-up after the step under way
 * (or the smoke after its current check) and then everything that was started, in order; a second
 * one exits at once, and the sandbox's exit hook kills the environments' process groups.
 */
function interruption(): AbortSignal {
  const controller = new AbortController();
  const onSignal = (signal: NodeJS.Signals) => {
    if (controller.signal.aborted) process.exit(signal === 'SIGINT' ? 130 : 143);
    say(`\n${signal}: stopping (again to exit at once)`);
    controller.abort(new InterruptedError(signal === 'SIGINT' ? 130 : 143));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return controller.signal;
}

interface Args {
  httpPort: number;
  lambdaPort: number;
  freeze: boolean;
  smoke: boolean;
  /** Run the rotation sample's database when the machine has MariaDB (default). */
  database: boolean;
  aws?: { stackName: string; region?: string };
}

function port(value: string | undefined, flag: string, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535)
    throw new UsageError(`${flag} takes a port number from 0 to 65535, got "${value}"`);
  return n;
}

function parse(argv: string[], root: string): Args {
  try {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        'http-port': { type: 'string' },
        'lambda-port': { type: 'string' },
        'no-freeze': { type: 'boolean' },
        smoke: { type: 'boolean' },
        'no-database': { type: 'boolean' },
        aws: { type: 'boolean' },
        stack: { type: 'string' },
        region: { type: 'string' },
      },
    });
    if (positionals.length) throw new UsageError(`unexpected argument "${positionals[0]}" (${USAGE})`);
    for (const flag of ['stack', 'region'] as const) {
      if (values[flag] !== undefined && !values.aws)
        throw new UsageError(`--${flag} names the deployed stack to run against; add --aws (${USAGE})`);
    }
    const stackName = values.stack ?? samconfigStackName(join(root, 'samconfig.toml'));
    if (values.aws && !stackName)
      throw new UsageError(
        '--aws needs the stack to run against: pass --stack <name> (samconfig.toml names none)',
      );
    return {
      httpPort: port(values['http-port'], '--http-port', 3000),
      lambdaPort: port(values['lambda-port'], '--lambda-port', 3001),
      freeze: !values['no-freeze'],
      smoke: values.smoke === true,
      database: !values['no-database'],
      ...(values.aws
        ? { aws: { stackName: stackName!, ...(values.region ? { region: values.region } : {}) } }
        : {}),
    };
  } catch (e) {
    if (e instanceof UsageError) throw e;
    throw new UsageError(`${(e as Error).message.split('. ')[0]} (${USAGE})`);
  }
}

const say = (line: string) => process.stdout.write(`${line}\n`);

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows
    .map((r) =>
      r
        .map((cell, i) => cell.padEnd(widths[i]!))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

function printSummary(
  cloud: LocalCloud,
  gateway: ApiGatewayHandle,
  apiKey: string,
  database: DatabaseState,
): void {
  say('\nEndpoints');
  say(
    table([
      ['what', 'where'],
      ...gateway.routes.map((r) => [
        `${r.routeKey} (${r.apiLogicalId} → ${r.functionLogicalId})`,
        `${gateway.url}${r.path === '$default' ? '/' : r.path}`,
      ]),
      [
        'Lambda Invoke API',
        `aws lambda invoke --endpoint-url ${cloud.endpoint('lambda')} --function-name <name> out.json`,
      ],
      ...cloud.services
        .filter((s) => s.name !== 'Lambda API')
        .map((s) => [`${s.name} (${s.implementation})`, s.endpoint]),
      ...(cloud.services.some((s) => s.name === 'Consul')
        ? []
        : [['Consul (yours: CONSUL_HTTP_ADDR)', cloud.consul.address]]),
      ...(database.running
        ? [
            [
              `MariaDB (${DATABASE_SECRET}'s database, TLS; admin ${database.running.server.adminUser})`,
              `${database.running.server.host}:${database.running.server.port}`,
            ],
          ]
        : []),
    ]),
  );
  if (database.absent) say(`\nNo database for the secret rotation: ${database.absent}`);
  if (cloud.deployed) {
    const { name, placement, resources } = cloud.deployed;
    say(
      `\nAWS: stack ${name} in ${placement.region} (account ${placement.accountId}), ${resources.size} resource(s) of the template found; the functions use the shell's credentials`,
    );
  }
  say('\nFunctions');
  say(
    table([
      ['function', 'name', 'runtime', 'memory', 'timeout', 'layers'],
      ...[...cloud.functions.values()].map(({ config: c }) => [
        c.logicalId,
        c.functionName,
        c.runtime,
        `${c.memorySizeMb} MB`,
        `${c.timeoutSeconds} s`,
        String(c.layerDirs.length),
      ]),
    ]),
  );
  if (cloud.seeded.length) {
    say('\nSeeded');
    say(
      table([
        ['resource', 'type', 'name', ''],
        ...cloud.seeded.map((s) => [s.logicalId, s.type, s.name, s.detail]),
      ]),
    );
  }
  say(
    `\nLocal credentials (SigV4 for AWS_IAM routes): AWS_ACCESS_KEY_ID=${LOCAL_CREDENTIALS.accessKeyId} AWS_SECRET_ACCESS_KEY=<${LOCAL_CREDENTIALS.secretAccessKey}>`,
  );
  say(`API key for routes with ApiKeyRequired: x-api-key: ${apiKey}`);
}

/**
 * What `--smoke` sends (events/smoke.json): for every route of the template, one or more requests and
 * the status each must get; for a function, which of its events/ files to invoke it with.
 */
interface SmokePlan {
  routes: Record<string, SmokeRequest[]>;
  functionEvents?: Record<string, string>;
  /** Secrets to rotate through RotateSecret, each with a function that must work before and after. */
  rotations?: SmokeRotation[];
}

interface SmokeRotation {
  secret: string;
  verifyWith: string;
}

interface SmokeRequest {
  /** Default: the route's method (GET for ANY). */
  method?: string;
  /** Default: the route's path; give one for a path with {parameters}. */
  path?: string;
  /** `Authorization: Bearer <value of this secret>` from the local Secrets Manager. */
  bearerSecret?: string;
  /** Send the API key `npm start` created. */
  apiKey?: boolean;
  /** SigV4-sign with the local credentials (AWS_IAM routes). */
  sign?: boolean;
  body?: unknown;
  expect: number;
}

function smokePlan(root: string): SmokePlan {
  const file = join(root, 'events/smoke.json');
  if (!existsSync(file)) return { routes: {} };
  return JSON.parse(readFileSync(file, 'utf8')) as SmokePlan;
}

/** The sample event for a function: the file events/smoke.json names, else the first in its events/ folder, else `{}`. */
function sampleEvent(root: string, logicalId: string, plan: SmokePlan): string {
  const key = slsFunctionKey(logicalId);
  const dir = [key, key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)]
    .map((name) => join(root, 'events', name))
    .find((d) => existsSync(d));
  if (!dir) return '{}';
  const first =
    plan.functionEvents?.[logicalId] ??
    readdirSync(dir)
      .filter((f) => f.endsWith('.json'))
      .sort()[0];
  return first ? readFileSync(join(dir, first), 'utf8') : '{}';
}

interface Check {
  name: string;
  /** Why the check cannot run here (it is reported, not counted as passed). */
  skip?: string;
  run: () => Promise<string | undefined>;
}

/** The rotation sample's database: running, or why not. */
interface DatabaseState {
  running?: AppDatabase;
  absent?: string;
}

/**
 * One check per request of events/smoke.json through the gateway, as a client would (every route
 * must have one), and one per function through the Invoke API.
 */
function smokeChecks(
  root: string,
  cloud: LocalCloud,
  gateway: ApiGatewayHandle,
  apiKey: string,
  database: DatabaseState,
): Check[] {
  const plan = smokePlan(root);
  const region = cloud.deployed?.placement.region ?? 'us-east-1';
  const lambda = new LambdaClient({
    endpoint: cloud.endpoint('lambda'),
    region,
    credentials: LOCAL_CREDENTIALS,
  });
  // Tokens come from the local Secrets Manager, or from AWS's with the shell's configuration.
  const secrets = new SecretsManagerClient(
    cloud.deployed
      ? { region, credentials: cloud.deployed.credentials }
      : { endpoint: cloud.endpoint('secretsmanager'), region, credentials: LOCAL_CREDENTIALS },
  );
  const request = async (route: ApiRoute, r: SmokeRequest): Promise<Response> => {
    const method = r.method ?? (route.method === 'ANY' ? 'GET' : route.method);
    const url = new URL(`${gateway.url}${r.path ?? route.path}`);
    const headers: Record<string, string> = {};
    if (r.apiKey) headers['x-api-key'] = apiKey;
    if (r.bearerSecret) {
      const secret = await secrets.send(new GetSecretValueCommand({ SecretId: r.bearerSecret }));
      headers.authorization = `Bearer ${secret.SecretString ?? ''}`;
    }
    const body = r.body === undefined ? undefined : JSON.stringify(r.body);
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (r.sign) {
      return send(
        await signRequest(
          { url, method, headers, region: 'us-east-1', ...(body ? { body } : {}) },
          LOCAL_CREDENTIALS,
        ),
      );
    }
    return fetch(url, { method, headers, ...(body ? { body } : {}) });
  };
  const routeChecks = gateway.routes.flatMap((route: ApiRoute): Check[] => {
    const requests = plan.routes[route.routeKey];
    if (!requests?.length) {
      return [
        {
          name: `route ${route.routeKey}`,
          run: async () =>
            `no request for this route in events/smoke.json; add one with the status it must get`,
        },
      ];
    }
    return requests.map((r) => ({
      name: `route ${route.routeKey}${r.bearerSecret ? ` as ${r.bearerSecret}` : ''}${r.sign ? ' (SigV4)' : ''} → ${r.expect}`,
      run: async () => {
        const res = await request(route, r);
        return res.status === r.expect
          ? undefined
          : `HTTP ${res.status}: ${(await res.text()).slice(0, 200)}`;
      },
    }));
  });
  const functionChecks = [...cloud.functions.keys()].map((id) => ({
    name: `function ${id}${plan.functionEvents?.[id] ? ` (${plan.functionEvents[id]})` : ''}`,
    run: async () => {
      const out = await lambda.send(
        new InvokeCommand({
          FunctionName: cloud.functions.get(id)!.config.functionName,
          Payload: Buffer.from(sampleEvent(root, id, plan)),
        }),
      );
      return out.FunctionError
        ? `${out.FunctionError}: ${Buffer.from(out.Payload ?? []).toString('utf8')}`
        : undefined;
    },
  }));
  const rotationChecks = (plan.rotations ?? []).map((r): Check => ({
    name: `rotation ${r.secret} (RotateSecret; ${r.verifyWith} before and after)`,
    ...(cloud.deployed
      ? {
          skip: 'it would rotate the deployed secret; rotate that deliberately (aws secretsmanager rotate-secret)',
        }
      : database.absent
        ? { skip: database.absent }
        : {}),
    run: () => rotateAndVerify(r, cloud, lambda, secrets),
  }));
  return [...routeChecks, ...functionChecks, ...rotationChecks];
}

/**
 * RotateSecret as a scheduled rotation would call it: the rotation function's four steps, then the
 * new version AWSCURRENT, the old AWSPREVIOUS, nothing left AWSPENDING, and the function that uses
 * the secret working before and after (its cached copy is stale by then).
 */
async function rotateAndVerify(
  rotation: SmokeRotation,
  cloud: LocalCloud,
  lambda: LambdaClient,
  secrets: SecretsManagerClient,
): Promise<string | undefined> {
  const fn = cloud.functions.get(rotation.verifyWith);
  if (!fn) return `events/smoke.json: ${rotation.verifyWith} is not a function of template.yaml`;
  const works = async (when: string) => {
    const out = await lambda.send(
      new InvokeCommand({ FunctionName: fn.config.functionName, Payload: Buffer.from('{}') }),
    );
    return out.FunctionError
      ? `${rotation.verifyWith} ${when} the rotation: ${Buffer.from(out.Payload ?? [])
          .toString('utf8')
          .slice(0, 300)}`
      : undefined;
  };
  const stages = async () =>
    (await secrets.send(new DescribeSecretCommand({ SecretId: rotation.secret }))).VersionIdsToStages ?? {};
  const holding = (all: Record<string, string[]>, stage: string) =>
    Object.keys(all).filter((v) => all[v]!.includes(stage));
  const failedBefore = await works('before');
  if (failedBefore) return failedBefore;
  const [before] = holding(await stages(), 'AWSCURRENT');
  await secrets.send(new RotateSecretCommand({ SecretId: rotation.secret, RotateImmediately: true }));
  const after = await stages();
  const [current] = holding(after, 'AWSCURRENT');
  if (!current || current === before)
    return `AWSCURRENT is still ${before ?? 'nothing'}: the rotation did not finish (see RotationFunction's log)`;
  if (!holding(after, 'AWSPREVIOUS').includes(before ?? ''))
    return `the old version ${before ?? ''} is not AWSPREVIOUS`;
  const pending = holding(after, 'AWSPENDING');
  if (pending.length) return `AWSPENDING is left on ${pending.join(', ')}`;
  return works('after');
}

async function runSmoke(checks: Check[], signal: AbortSignal): Promise<number> {
  let failed = 0;
  let skipped = 0;
  for (const check of checks) {
    signal.throwIfAborted();
    if (check.skip) {
      skipped++;
      say(`SKIP ${check.name} — ${check.skip}`);
      continue;
    }
    const started = performance.now();
    let problem: string | undefined;
    try {
      problem = await check.run();
    } catch (e) {
      problem = (e as Error).message;
    }
    const ms = (performance.now() - started).toFixed(0);
    if (problem) failed++;
    say(`${problem ? 'FAIL' : 'PASS'} ${check.name} (${ms} ms)${problem ? ` — ${problem}` : ''}`);
  }
  say(`${checks.length - failed - skipped} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
  return failed;
}

async function main(): Promise<number> {
  const signal = interruption();
  const root = process.cwd();
  const args = parse(process.argv.slice(2), root);
  if (args.httpPort) await assertPortFree(args.httpPort, '--http-port');
  if (args.lambdaPort) await assertPortFree(args.lambdaPort, '--lambda-port');
  const template = loadTemplate(join(root, 'template.yaml'));
  // Refuses a route the gateway cannot serve before anything starts.
  apiRoutes(activeTemplate(template));
  say(
    args.aws
      ? `Starting template.yaml's functions against stack ${args.aws.stackName} (AWS)`
      : 'Starting the local cloud from template.yaml',
  );
  const database = args.aws ? {} : await startDatabase(template, args.database);
  try {
    return await run(root, args, template, database, signal);
  } finally {
    await database.running?.stop();
  }
}

/** The rotation sample's database, unless --no-database or the machine has no MariaDB. */
async function startDatabase(template: Template, wanted: boolean): Promise<DatabaseState> {
  const absent = wanted ? noAppDatabaseReason(template) : 'started with --no-database';
  if (absent) return { absent };
  const started = performance.now();
  try {
    const running = await startAppDatabase();
    say(
      `  ✓ MariaDB for ${DATABASE_SECRET} (mariadbd on ${running.server.host}:${running.server.port}) (${(performance.now() - started).toFixed(0)} ms)`,
    );
    return { running };
  } catch (e) {
    const why = `MariaDB did not start (${(e as Error).message.split('\n')[0]})`;
    say(`  ! ${why}`);
    return { absent: why };
  }
}

/** Creates the database, a sample table and the secret's user with the password the secret holds. */
async function prepareDatabase(cloud: LocalCloud, running: AppDatabase): Promise<void> {
  const started = performance.now();
  const secretArn = cloud.seeded.find((s) => s.logicalId === DATABASE_SECRET)?.name;
  const counter = cloud.functions.get(COUNTING_FUNCTION)?.config.environment.TABLE_NAME;
  if (!secretArn || !counter)
    throw new Error(`template.yaml has no ${DATABASE_SECRET} or ${COUNTING_FUNCTION}`);
  const secrets = new SecretsManagerClient({
    endpoint: cloud.endpoint('secretsmanager'),
    region: 'us-east-1',
    credentials: LOCAL_CREDENTIALS,
  });
  try {
    const value = await secrets.send(new GetSecretValueCommand({ SecretId: secretArn }));
    const { rows } = await prepareAppDatabase(
      running,
      JSON.parse(value.SecretString ?? '{}') as DatabaseSecretValue,
      counter,
    );
    say(
      `  ✓ database prepared: table ${counter} (${rows} rows), the secret's user with its password (${(performance.now() - started).toFixed(0)} ms)`,
    );
  } finally {
    secrets.destroy();
  }
}

async function run(
  root: string,
  args: Args,
  template: Template,
  database: DatabaseState,
  signal: AbortSignal,
): Promise<number> {
  const sampleData = join(root, 'local/cloud/sample-data.json');
  const cloud = await LocalCloud.start({
    root,
    template,
    ...(args.aws ? { aws: args.aws } : {}),
    ...(database.running
      ? { parameters: database.running.parameters, functionEnvironment: database.running.environment }
      : {}),
    ...(!args.aws && existsSync(sampleData)
      ? { seedData: parseSeedData(readFileSync(sampleData, 'utf8'), 'local/cloud/sample-data.json') }
      : {}),
    freeze: args.freeze,
    lambdaPort: args.lambdaPort,
    ...(process.env.CONSUL_HTTP_ADDR ? { consulAddress: process.env.CONSUL_HTTP_ADDR } : {}),
    ...(process.env.CONSUL_HTTP_TOKEN ? { consulToken: process.env.CONSUL_HTTP_TOKEN } : {}),
    signal,
    onStep: (step, ms) => say(`  ✓ ${step} (${ms.toFixed(0)} ms)`),
    onLog: args.smoke ? undefined : (id, line) => say(`[${id}] ${line}`),
  });
  const apiKey = `local-${randomBytes(12).toString('hex')}`;
  let gateway: ApiGatewayHandle;
  try {
    signal.throwIfAborted();
    if (database.running) await prepareDatabase(cloud, database.running);
    gateway = await startApiGateway({
      routes: apiRoutes(cloud.template),
      port: args.httpPort,
      apiKeys: [apiKey],
      credentials: (id) =>
        id === LOCAL_CREDENTIALS.accessKeyId ? LOCAL_CREDENTIALS.secretAccessKey : undefined,
      invoke: async (logicalId, event) => {
        const result = await cloud.invoke(logicalId, event);
        return { payload: result.payload, ...(result.errorType ? { errorType: result.errorType } : {}) };
      },
    });
  } catch (e) {
    await cloud.stop();
    throw e;
  }
  printSummary(cloud, gateway, apiKey, database);
  const undelivered = cloud.deployed
    ? [
        `schedules, queues and EventBridge rules are not run locally against stack ${cloud.deployed.name}: its own deliver to the deployed functions; invoke the local code through the Lambda Invoke API`,
      ]
    : undeliveredEvents(cloud.template);
  if (undelivered.length) {
    say('\nNot delivered locally');
    for (const line of undelivered) say(`  ! ${line}`);
  }

  const stop = async () => {
    say('\nStopping: every environment through SHUTDOWN, then the services');
    await gateway.close();
    await cloud.stop();
    await database.running?.stop();
    say('stopped');
  };
  if (args.smoke) {
    say('\nSmoke checks');
    try {
      const failed = await runSmoke(smokeChecks(root, cloud, gateway, apiKey, database), signal);
      return failed ? 1 : 0;
    } finally {
      await stop();
    }
  }
  say('\nReady. Ctrl-C stops everything.');
  if (!signal.aborted)
    await new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }));
  await stop();
  return 0;
}

main().then(
  (code) => (process.exitCode = code),
  (e: Error) => {
    process.stderr.write(`start: ${e.message}\n`);
    if (e instanceof InterruptedError) {
      process.exitCode = e.exitCode;
      return;
    }
    const badInput = [
      UsageError,
      PortInUseError,
      FunctionConfigError,
      TemplateSyntaxError,
      UnsupportedRouteError,
      SeedDataError,
      DeployedStackError,
      ConsulAddressError,
    ].some((t) => e instanceof t);
    process.exitCode = badInput ? 2 : 1;
  },
);
