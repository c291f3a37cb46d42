import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { apiRoutes, UnsupportedRouteError } from '../cloud/api-gateway/routes-from-template';
import { startApiGateway, type ApiGatewayHandle } from '../cloud/api-gateway/gateway';
import {
  checkConsul,
  ConsulAddressError,
  yourConsulFromEnv,
  type YourConsul,
} from '../cloud/consul/external-consul';
import { LOCAL_REGION } from '../local-account';
import { runSmoke, smokeChecks } from './smoke';
import { checkSmokePlan, readSmokePlan, SmokePlanError, type SmokePlan } from './smoke-plan';
import { DeployedStackError } from '../cloud/deployed-stack';
import { undeliveredEvents } from '../cloud/event-rules';
import { LocalCloud } from '../cloud/local-cloud';
import { activeTemplate } from '../cloud/physical-resources';
import { assertPortFree, portError, PortInUseError } from '../cloud/ports';
import { LOCAL_CREDENTIALS, parseSeedData, SeedDataError } from '../cloud/seed';
import { FunctionConfigError } from '../sandbox/function-config';
import { TemplateSyntaxError } from '../template/cfn-yaml';
import { samconfigRegion, samconfigStackName } from '../template/samconfig';
import { loadTemplate, resourcesOfType, type Template } from '../template/template';
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
 * Ctrl-C (or SIGTERM, or SIGHUP when the terminal closes), from the first moment: the first one stops start-up after the step under way
 * (or the smoke after its current check) and then everything that was started, in order; a second
 * one exits at once, and the sandbox's exit hook kills the environments' process groups.
 */
function interruption(): AbortSignal {
  const controller = new AbortController();
  const exitCodes: Partial<Record<NodeJS.Signals, number>> = { SIGHUP: 129, SIGINT: 130, SIGTERM: 143 };
  const onSignal = (signal: NodeJS.Signals) => {
    const code = exitCodes[signal] ?? 1;
    if (controller.signal.aborted) process.exit(code);
    // After a hang-up the terminal is gone: nothing to say, and writing to it would fail.
    if (signal !== 'SIGHUP') say(`\n${signal}: stopping (again to exit at once)`);
    controller.abort(new InterruptedError(code));
  };
  // SIGHUP: the terminal closed; MariaDB ignores it, so without this it would outlive the session.
  for (const signal of Object.keys(exitCodes) as NodeJS.Signals[]) process.on(signal, onSignal);
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
    const samconfig = join(root, 'samconfig.toml');
    const stackName = values.stack ?? samconfigStackName(samconfig);
    // As `sam deploy` does: the flag, then samconfig.toml, then the shell's.
    const region = values.region ?? samconfigRegion(samconfig);
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
      ...(values.aws ? { aws: { stackName: stackName!, ...(region ? { region } : {}) } } : {}),
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
    const { name, placement, resources, hiddenParameters } = cloud.deployed;
    if (hiddenParameters.length)
      say(
        `\nNoEcho parameters of stack ${name} (${hiddenParameters.join(', ')}): CloudFormation hides their values, so the template's defaults are used locally`,
      );
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
    `\nLocal credentials (SigV4 for AWS_IAM routes, region ${gateway.region}): AWS_ACCESS_KEY_ID=${LOCAL_CREDENTIALS.accessKeyId} AWS_SECRET_ACCESS_KEY=<${LOCAL_CREDENTIALS.secretAccessKey}>`,
  );
  say(`API key for routes with ApiKeyRequired: x-api-key: ${apiKey}`);
}

/** The rotation sample's database: running, or why not. */
interface DatabaseState {
  running?: AppDatabase;
  absent?: string;
}

async function main(): Promise<number> {
  const signal = interruption();
  const root = process.cwd();
  const args = parse(process.argv.slice(2), root);
  if (args.httpPort) await assertPortFree(args.httpPort, '--http-port');
  if (args.lambdaPort) await assertPortFree(args.lambdaPort, '--lambda-port');
  const template = loadTemplate(join(root, 'template.yaml'));
  // Bad input is refused before anything starts: routes the gateway cannot serve, events/smoke.json,
  // a Consul that does not answer.
  apiRoutes(activeTemplate(template));
  const plan = args.smoke ? readSmokePlan(root) : undefined;
  if (plan)
    checkSmokePlan(
      plan,
      root,
      // Every function, whatever the conditions: parameters (the stack's, the database's) decide later.
      resourcesOfType(template, 'AWS::Serverless::Function').map(([id]) => id),
    );
  const consul = await yourConsul(args);
  say(
    args.aws
      ? `Starting template.yaml's functions against stack ${args.aws.stackName} (AWS)`
      : 'Starting the local cloud from template.yaml',
  );
  const database = args.aws ? {} : await startDatabase(template, args.database);
  try {
    return await run({ root, args, template, database, signal, plan, consul });
  } finally {
    await database.running?.stop();
  }
}

/**
 * CONSUL_HTTP_ADDR and the Consul CLI's other variables: a Consul of the user's own, checked to
 * answer (with CONSUL_CACERT for https). Against a stack the functions read token and CA from the
 * SSM parameters the stack names (ConsulHttpTokenPath, ConsulCaCertPath), so a token given here
 * could not reach them.
 */
async function yourConsul(args: Args): Promise<YourConsul | undefined> {
  for (const variable of ['CONSUL_HTTP_TOKEN', 'CONSUL_HTTP_TOKEN_FILE'] as const) {
    if (args.aws && process.env[variable])
      throw new UsageError(
        `${variable} reaches the functions through the local Parameter Store, which --aws does not run: against a stack they read it from the SSM parameter the stack names (ConsulHttpTokenPath); unset ${variable}`,
      );
  }
  const consul = yourConsulFromEnv(process.env);
  if (consul) await checkConsul(consul.address, consul.caCert);
  return consul;
}

interface Startup {
  root: string;
  args: Args;
  template: Template;
  database: DatabaseState;
  signal: AbortSignal;
  /** events/smoke.json, read with --smoke. */
  plan: SmokePlan | undefined;
  consul: YourConsul | undefined;
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
    region: LOCAL_REGION,
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

async function run(startup: Startup): Promise<number> {
  const { root, args, template, database, signal, plan } = startup;
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
    ...(startup.consul ? { consul: startup.consul } : {}),
    signal,
    onStep: (step, ms) => say(`  ✓ ${step} (${ms.toFixed(0)} ms)`),
    onLog: args.smoke ? undefined : (id, line) => say(`[${id}] ${line}`),
  }).catch((e: unknown) => {
    // The Invoke API binds its port only now; another program may have taken it since the check.
    throw portError(e, args.lambdaPort, '--lambda-port');
  });
  const apiKey = `local-${randomBytes(12).toString('hex')}`;
  let gateway: ApiGatewayHandle;
  try {
    signal.throwIfAborted();
    if (database.running) await prepareDatabase(cloud, database.running);
    gateway = await startApiGateway({
      routes: apiRoutes(cloud.template),
      region: cloud.deployed?.placement.region ?? LOCAL_REGION,
      port: args.httpPort,
      apiKeys: [apiKey],
      credentials: (id) =>
        id === LOCAL_CREDENTIALS.accessKeyId ? LOCAL_CREDENTIALS.secretAccessKey : undefined,
      invoke: async (logicalId, event) => {
        const result = await cloud.invoke(logicalId, event);
        return { payload: result.payload, ...(result.errorType ? { errorType: result.errorType } : {}) };
      },
    }).catch((e: unknown) => {
      throw portError(e, args.httpPort, '--http-port');
    });
  } catch (e) {
    await cloud.stop();
    throw e;
  }
  const stop = async () => {
    say('\nStopping: every environment through SHUTDOWN, then the services');
    await gateway.close();
    await cloud.stop();
    await database.running?.stop();
    say('stopped');
  };
  if (signal.aborted) {
    await stop();
    throw signal.reason;
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

  if (args.smoke) {
    say('\nSmoke checks');
    try {
      const { checks, dispose } = smokeChecks({
        root,
        cloud,
        gateway,
        apiKey,
        plan: plan!,
        ...(database.absent ? { databaseAbsent: database.absent } : {}),
      });
      try {
        return (await runSmoke(checks, signal, say)) ? 1 : 0;
      } finally {
        dispose();
      }
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
      SmokePlanError,
    ].some((t) => e instanceof t);
    process.exitCode = badInput ? 2 : 1;
  },
);
