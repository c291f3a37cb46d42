import { randomUUID } from 'node:crypto';
import type http from 'node:http';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { buildAll } from '../build/build';
import { LOCAL_ACCOUNT_ID, LOCAL_REGION } from '../local-account';
import type { InvokeResult } from '../sandbox/execution-environment';
import {
  assertBuilt,
  functionConfig,
  type FunctionConfig,
  type ValueResolver,
} from '../sandbox/function-config';
import { ensureNodeRuntime, parseNodeRuntime } from '../sandbox/node-runtime';
import { withGlobals } from '../template/sam-globals';
import { isObject, loadTemplate, resourcesOfType, type Template } from '../template/template';
import { startAwsJsonServer } from './aws-json-protocol';
import { startConsulEmulator } from './consul/consul-api';
import { checkConsul, type YourConsul } from './consul/external-consul';
import { rulesFromTemplate } from './event-rules';
import { LocalEventBus, type Clock } from './eventbridge/event-bus';
import { eventBridgeService } from './eventbridge/eventbridge-service';
import { readDeployedStack, type DeployedStack } from './deployed-stack';
import { FunctionPool } from './function-pool';
import { FunctionRegistry, startLambdaControlPlane, startTaggingApi } from './lambda-control-plane';
import {
  activeTemplate,
  cloudResolver,
  physicalResources,
  type PhysicalResource,
} from './physical-resources';
import type { Secret } from './secrets-manager/secret-store';
import { seed, type SeedData, type SeededResource, type ServiceEndpoints } from './seed';
import {
  startDynamoDb,
  startS3,
  startSecretsManager,
  startSqs,
  startSsm,
  type RunningService,
} from './services';
import { SqsEventSource } from './sqs-event-source';
import type { SqsService } from './sqs/sqs-service';

export interface LocalCloudOptions {
  root: string;
  template?: Template;
  /** Freeze environments between invokes (default true, as Lambda). */
  freeze?: boolean;
  seedData?: SeedData;
  /** Template parameter values instead of the defaults. */
  parameters?: Record<string, string>;
  /** Added to every function's environment, over the template's (e.g. a local database's CA file). */
  functionEnvironment?: Record<string, string>;
  /** The Lambda Invoke API's port (`sam local start-lambda`'s role); 0 picks a free one. */
  lambdaPort?: number;
  /**
   * A Consul of the user's own instead of the emulator (CONSUL_HTTP_ADDR…). Functions that read its
   * token and CA from SSM (the registrator) get them through the local Parameter Store.
   */
  consul?: YourConsul;
  /**
   * Run the functions against a deployed stack instead of emulators: its resources, its parameter
   * values, the shell's region and credentials. Nothing is emulated or seeded but Consul (unless
   * `consulAddress`) and the Lambda Invoke API, which invokes the local code.
   */
  aws?: { stackName: string; region?: string };
  /** The clock schedules run on (tests move a manual one instead of waiting minutes). */
  clock?: Clock;
  /** Aborting it (Ctrl-C) stops start-up after the step under way; everything started is stopped. */
  signal?: AbortSignal;
  /** Called as each start-up step finishes, with its duration. */
  onStep?: (step: string, ms: number) => void;
  /** Each function's log lines as CloudWatch would show them. */
  onLog?: (logicalId: string, line: string) => void;
}

export interface CloudEndpoints extends ServiceEndpoints {
  sqs: string;
  lambda: string;
  tagging: string;
  eventbridge: string;
}

/** The SDK's standard endpoint variables, one per service the functions may call. */
const ENDPOINT_VARIABLES: Record<keyof CloudEndpoints, string> = {
  dynamodb: 'AWS_ENDPOINT_URL_DYNAMODB',
  s3: 'AWS_ENDPOINT_URL_S3',
  ssm: 'AWS_ENDPOINT_URL_SSM',
  secretsmanager: 'AWS_ENDPOINT_URL_SECRETS_MANAGER',
  sqs: 'AWS_ENDPOINT_URL_SQS',
  lambda: 'AWS_ENDPOINT_URL_LAMBDA',
  tagging: 'AWS_ENDPOINT_URL_RESOURCE_GROUPS_TAGGING_API',
  eventbridge: 'AWS_ENDPOINT_URL_EVENTBRIDGE',
};

/**
 * Against a deployed stack the functions reach AWS itself, unless the shell points the SDK elsewhere
 * with its standard variables (a test double of AWS, or another AWS-compatible service).
 */
function shellEndpointVariables(): Record<string, string> {
  return Object.fromEntries(
    Object.entries(process.env).filter(
      (entry): entry is [string, string] => /^AWS_ENDPOINT_URL(_\w+)?$/.test(entry[0]) && !!entry[1],
    ),
  );
}

const hasCacheExtension = (layerDir: string) => existsSync(join(layerDir, 'extensions', 'cache-extension'));

/** Where the local Consul's ACL token is kept for functions that read theirs from SSM (the registrator). */
export const LOCAL_CONSUL_TOKEN_PARAMETER = '/local/consul/registrator-token';
/** And its CA certificate, when Consul is yours and speaks https (CONSUL_CACERT). */
export const LOCAL_CONSUL_CA_PARAMETER = '/local/consul/ca-cert';

/** Lambda retries a failing asynchronous invoke twice (its default MaximumRetryAttempts). */
const ASYNC_ATTEMPTS = 3;

const closeServer = (server: http.Server) =>
  new Promise<void>((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });

/**
 * The whole application of template.yaml on a laptop: the AWS services it uses on loopback (real
 * implementations where npm has one, emulators elsewhere), seeded with what the template declares,
 * and every function in the local sandbox with the SDK pointed at them.
 */
export class LocalCloud {
  readonly services: RunningService[] = [];
  readonly functions = new Map<string, FunctionPool>();
  readonly eventSources: SqsEventSource[] = [];
  registry = new FunctionRegistry({ region: LOCAL_REGION, accountId: LOCAL_ACCOUNT_ID });
  readonly bus: LocalEventBus;
  seeded: SeededResource[] = [];
  resources = new Map<string, PhysicalResource>();
  /** The local services' endpoints; none but the Lambda API's with `aws`. */
  endpoints: Partial<CloudEndpoints> = {};
  template!: Template;
  /** With `aws`: the stack the functions run against. */
  deployed?: DeployedStack;
  /** Consul: its address, ACL token and CA, and whether it is the local emulator (else the user's own). */
  consul!: YourConsul & { managed: boolean };

  private constructor(private readonly options: LocalCloudOptions) {
    this.bus = new LocalEventBus({
      account: LOCAL_ACCOUNT_ID,
      region: LOCAL_REGION,
      ...(options.clock ? { clock: options.clock } : {}),
    });
  }

  static async start(options: LocalCloudOptions): Promise<LocalCloud> {
    const cloud = new LocalCloud(options);
    try {
      await cloud.startAll();
      options.signal?.throwIfAborted();
    } catch (e) {
      await cloud.stop();
      throw e;
    }
    return cloud;
  }

  private async step<T>(name: string, work: () => Promise<T>): Promise<T> {
    // Checked before a step, never after: what a step started is recorded, so stop() finds it.
    this.options.signal?.throwIfAborted();
    const started = performance.now();
    const result = await work();
    this.options.onStep?.(name, performance.now() - started);
    return result;
  }

  private async service<T extends RunningService>(label: string, start: () => Promise<T>): Promise<T> {
    const service = await this.step(label, start);
    this.services.push(service);
    return service;
  }

  /** A local service's endpoint; an error in `aws` mode, where the service is AWS's own. */
  endpoint(service: keyof CloudEndpoints): string {
    const url = this.endpoints[service];
    if (!url) throw new Error(`the local cloud runs no ${service} against a deployed stack`);
    return url;
  }

  private async startAll(): Promise<void> {
    const { root, aws } = this.options;
    const template = this.options.template ?? loadTemplate(join(root, 'template.yaml'));
    if (aws) {
      this.deployed = await this.step(`read stack ${aws.stackName} (CloudFormation)`, () =>
        // Every resource, whatever the conditions: the stack's parameter values decide them below.
        readDeployedStack(template, aws.stackName, {
          ...aws,
          ...(this.options.signal ? { signal: this.options.signal } : {}),
        }),
      );
      const { placement } = this.deployed;
      this.registry = new FunctionRegistry({
        region: placement.region,
        partition: placement.partition,
        accountId: placement.accountId,
      });
    }
    // The deployed stack's parameter values decide its conditions, as they did when it was deployed.
    const parameters = this.deployed?.parameters ?? this.options.parameters;
    this.template = activeTemplate(template, parameters);
    const functionIds = resourcesOfType(this.template, 'AWS::Serverless::Function').map(([id]) => id);
    await this.step(`built ${functionIds.length} function(s) and their layers`, () =>
      buildAll(this.template, root),
    );

    if (this.deployed) {
      const lambda = await this.service('Lambda Invoke API (local code)', () => this.startLambdaApi());
      this.endpoints = { lambda: lambda.endpoint };
      this.consul = await this.step(this.consulStep(), () => this.startConsul());
      this.resources = this.deployed.resources;
      const resolve = cloudResolver(this.template, this.resources, parameters, {
        pseudo: this.deployed.pseudo,
        origin: `stack ${this.deployed.name} (${this.deployed.placement.region})`,
      });
      const configs = await this.startFunctions(functionIds, resolve);
      for (const config of configs) this.register(config, resolve);
      return;
    }

    const dynamodb = await this.service('DynamoDB (dynalite)', startDynamoDb);
    const s3 = await this.service('S3 (s3rver)', startS3);
    const secretsManager = await this.service('Secrets Manager (emulator)', () =>
      startSecretsManager((secret, token) => this.rotate(secret, token)),
    );
    const ssm = await this.service('SSM Parameter Store (emulator)', () => startSsm(secretsManager.endpoint));
    const sqs = await this.service('SQS (emulator)', startSqs);
    const lambda = await this.service('Lambda API (emulator)', () => this.startLambdaApi());
    const tagging = await this.service('Resource Groups Tagging API (emulator)', () => this.startTagging());
    const eventbridge = await this.service('EventBridge (emulator)', () => this.startEventBridge());
    this.consul = await this.step(this.consulStep(), () => this.startConsul());
    if (this.consul.token)
      ssm.store.put({ name: LOCAL_CONSUL_TOKEN_PARAMETER, value: this.consul.token, type: 'SecureString' });
    if (this.consul.caCert)
      ssm.store.put({ name: LOCAL_CONSUL_CA_PARAMETER, value: this.consul.caCert, type: 'String' });
    this.endpoints = {
      dynamodb: dynamodb.endpoint,
      s3: s3.endpoint,
      ssm: ssm.endpoint,
      secretsmanager: secretsManager.endpoint,
      sqs: sqs.endpoint,
      lambda: lambda.endpoint,
      tagging: tagging.endpoint,
      eventbridge: eventbridge.endpoint,
    };

    const endpoints = this.endpoints as CloudEndpoints;
    this.resources = physicalResources(this.template, { sqs: sqs.endpoint }, parameters);
    const resolve = cloudResolver(this.template, this.resources, parameters);
    this.seeded = await this.step('seeded the template’s resources', () =>
      seed(this.template, this.resources, endpoints, resolve, this.options.seedData),
    );
    const configs = await this.startFunctions(functionIds, resolve);
    await this.step('event sources, rules and the Lambda control plane', async () => {
      this.startSqsEventSources(sqs.sqs, resolve);
      this.putRules(resolve);
      // Registering the functions emits their CreateFunction events, as a deploy does.
      this.registry.onEvent((event) => this.bus.publish(event));
      for (const config of configs) this.register(config, resolve);
    });
  }

  /** Every function's configuration, its values resolved by `resolve`, and a pool of environments for each. */
  private async startFunctions(functionIds: string[], resolve: ValueResolver): Promise<FunctionConfig[]> {
    const { root } = this.options;
    const configs = functionIds.map((id) => {
      const config = functionConfig(this.template, id, root, resolve);
      // A deployed function is called what the stack named it, whatever its FunctionName resolves to.
      const deployedName = this.deployed && this.resources.get(id)?.ref;
      return deployedName ? { ...config, functionName: deployedName } : config;
    });
    configs.forEach(assertBuilt);
    const runtimes = new Map<number, string>();
    await this.step('Node.js runtimes', async () => {
      for (const major of new Set(configs.map((c) => parseNodeRuntime(c.runtime)))) {
        runtimes.set(major, await ensureNodeRuntime(major));
      }
    });
    for (const config of configs) {
      const fixed = Number(config.environment.CACHE_EXTENSION_PORT);
      if (fixed) this.cacheExtensionPorts.add(fixed);
    }
    for (const config of configs) {
      this.functions.set(
        config.logicalId,
        this.pool(config, runtimes.get(parseNodeRuntime(config.runtime))!),
      );
    }
    return configs;
  }

  // ---------- functions ----------

  private pool(config: FunctionConfig, nodePath: string): FunctionPool {
    const extraEnv: Record<string, string> = this.deployed
      ? shellEndpointVariables()
      : Object.fromEntries(
          Object.entries(this.endpoints).map(([service, url]) => [
            ENDPOINT_VARIABLES[service as keyof CloudEndpoints],
            url,
          ]),
        );
    Object.assign(extraEnv, this.options.functionEnvironment);
    // Template values win: a function may point at a real Consul on purpose. Absent or empty (the
    // template's parameter left at its default) means the local one, with its token from SSM.
    if (!config.environment.CONSUL_HTTP_ADDR) {
      extraEnv.CONSUL_HTTP_ADDR = this.consul.address;
      // Only the local Parameter Store can carry them; against a stack, the stack's parameters do.
      const unset = (name: string) =>
        !this.deployed && name in config.environment && !config.environment[name];
      if (unset('CONSUL_HTTP_TOKEN_PATH') && this.consul.token)
        extraEnv.CONSUL_HTTP_TOKEN_PATH = LOCAL_CONSUL_TOKEN_PARAMETER;
      if (unset('CONSUL_CACERT_PATH') && this.consul.caCert)
        extraEnv.CONSUL_CACERT_PATH = LOCAL_CONSUL_CA_PARAMETER;
    }
    // Lambda gives every function its own network, so each cache extension listens on 4000; locally
    // they share the loopback, so each function gets its own port (extension and client both read it).
    if (!config.environment.CACHE_EXTENSION_PORT && config.layerDirs.some(hasCacheExtension))
      extraEnv.CACHE_EXTENSION_PORT = String(this.nextCacheExtensionPort());
    // Lambda gives every environment its own network; locally they share the loopback, so a function
    // whose layers may bring extensions listening on fixed ports runs one environment at a time.
    const maxEnvironments = config.layerDirs.length > 0 ? 1 : 10;
    return new FunctionPool(
      config,
      {
        nodePath,
        ...(this.options.freeze !== undefined ? { freeze: this.options.freeze } : {}),
        ...(this.deployed
          ? {
              region: this.deployed.placement.region,
              partition: this.deployed.placement.partition,
              accountId: this.deployed.placement.accountId,
              credentials: this.deployed.freshCredentials,
            }
          : {}),
        extraEnv,
        print: (line) => this.options.onLog?.(config.logicalId, line),
      },
      maxEnvironments,
    );
  }

  private register(config: FunctionConfig, resolve: ValueResolver): void {
    const tags = this.template.Resources[config.logicalId]!.Properties?.Tags;
    this.registry.createFunction({
      FunctionName: config.functionName,
      Role: `arn:aws:iam::${LOCAL_ACCOUNT_ID}:role/${config.logicalId}Role`,
      Runtime: config.runtime,
      Handler: config.handler,
      Timeout: config.timeoutSeconds,
      MemorySize: config.memorySizeMb,
      Architectures: [config.architecture],
      Environment: { Variables: config.environment },
      ...(isObject(tags)
        ? {
            Tags: Object.fromEntries(
              Object.entries(tags).map(([k, v]) => [
                k,
                resolve(v, `Resources.${config.logicalId}.Properties.Tags.${k}`),
              ]),
            ),
          }
        : {}),
    });
  }

  /** Invokes a function by logical id or function name, as the Invoke API does. */
  async invoke(nameOrId: string, payload: string | Buffer): Promise<InvokeResult> {
    const pool = this.functions.get(nameOrId) ?? this.functionNamed(nameOrId);
    if (!pool) throw new Error(`no function ${nameOrId} in template.yaml`);
    return pool.invoke(payload);
  }

  functionNamed(name: string): FunctionPool | undefined {
    return [...this.functions.values()].find((p) => p.config.functionName === name);
  }

  /** The function a Lambda ARN (or `ARN:qualifier`) names, if it is one of the template's. */
  functionForArn(arn: string): FunctionPool | undefined {
    return this.functionNamed(arn.split(':')[6] ?? '');
  }

  /** The function's ARN as the local control plane (and its CloudTrail events) name it. */
  functionArn(pool: FunctionPool): string {
    return this.registry.functionArn(pool.config.functionName);
  }

  /**
   * EventBridge and other asynchronous callers: the event is accepted at once; Lambda retries a
   * failing function twice before it gives the event up.
   */
  private invokeAsync(fn: FunctionPool, payload: unknown): void {
    const body = JSON.stringify(payload);
    void (async () => {
      for (let attempt = 1; attempt <= ASYNC_ATTEMPTS; attempt++) {
        const result = await fn.invoke(body).catch(() => undefined);
        if (result && !result.errorType) return;
      }
      this.options.onLog?.(
        fn.config.logicalId,
        `ASYNC INVOKE FAILED ${ASYNC_ATTEMPTS} times; the event is dropped`,
      );
    })();
  }

  /** Secrets Manager's rotation: the rotation function's four steps, in order, each awaited. */
  private async rotate(secret: Secret, token: string): Promise<void> {
    const fn = secret.rotationLambdaArn ? this.functionForArn(secret.rotationLambdaArn) : undefined;
    if (!fn)
      throw new Error(
        `rotation function ${secret.rotationLambdaArn ?? '(none)'} is not a function of template.yaml`,
      );
    for (const step of ['createSecret', 'setSecret', 'testSecret', 'finishSecret']) {
      const result = await fn.invoke(
        JSON.stringify({ Step: step, SecretId: secret.arn, ClientRequestToken: token }),
      );
      if (result.errorType) throw new Error(`${step} failed: ${result.payload.toString('utf8')}`);
    }
  }

  // ---------- event sources and rules ----------

  private startSqsEventSources(sqs: SqsService, resolve: ValueResolver): void {
    for (const [id, resource] of resourcesOfType(this.template, 'AWS::Serverless::Function')) {
      const props = withGlobals(this.template, 'Function', resource.Properties);
      for (const [name, event] of Object.entries(isObject(props.Events) ? props.Events : {})) {
        if (!isObject(event) || event.Type !== 'SQS' || !isObject(event.Properties)) continue;
        const p = event.Properties;
        const where = `Resources.${id}.Properties.Events.${name}.Properties`;
        const source = new SqsEventSource(
          sqs,
          this.functions.get(id)!,
          {
            queueArn: resolve(p.Queue, `${where}.Queue`),
            batchSize: Number(p.BatchSize ?? 10),
            reportBatchItemFailures:
              Array.isArray(p.FunctionResponseTypes) &&
              p.FunctionResponseTypes.includes('ReportBatchItemFailures'),
            enabled: p.Enabled !== false,
          },
          (message) => this.options.onLog?.(id, `EVENT SOURCE ERROR ${message}`),
        );
        this.eventSources.push(source);
        source.start();
      }
    }
  }

  private putRules(resolve: ValueResolver): void {
    for (const rule of rulesFromTemplate(this.template, resolve)) {
      const fn = this.functions.get(rule.functionId)!;
      this.bus.putRule({
        name: rule.name,
        ...(rule.scheduleExpression
          ? { scheduleExpression: rule.scheduleExpression }
          : { eventPattern: rule.eventPattern }),
        state: rule.enabled ? 'ENABLED' : 'DISABLED',
        targets: [
          {
            id: rule.functionId,
            arn: this.functionArn(fn),
            deliver: (payload) => this.invokeAsync(fn, payload),
            ...(rule.input ? { input: rule.input } : {}),
            ...(rule.retryPolicy ? { retryPolicy: rule.retryPolicy } : {}),
          },
        ],
      });
    }
  }

  // ---------- services of the local cloud's own ----------

  private async startLambdaApi(): Promise<RunningService> {
    const plane = await startLambdaControlPlane(this.registry, {
      port: this.options.lambdaPort ?? 0,
      // `sam local start-lambda` takes logical ids: HelloFunction as well as local-hello.
      invokeAlias: (name) =>
        this.functionNamed(name) ? undefined : this.functions.get(name)?.config.functionName,
      invoke: async (functionName, _qualifier, payload, _clientContext, info) => {
        const pool = this.functionNamed(functionName);
        if (!pool) throw new Error(`${functionName} has no code in the local cloud`);
        if (info && 'invocationType' in info && info.invocationType === 'Event') {
          this.invokeAsync(pool, JSON.parse(payload.toString('utf8') || 'null'));
          return {};
        }
        const result = await pool.invoke(payload);
        return {
          payload: result.payload,
          ...(result.errorType ? { functionError: 'Unhandled' } : {}),
          logTail: (result.logs ?? []).join('\n'),
        };
      },
    });
    return {
      name: 'Lambda API',
      implementation: 'local emulator (Invoke + control plane)',
      endpoint: plane.endpoint,
      close: () => plane.close(),
    };
  }

  private async startTagging(): Promise<RunningService> {
    const api = await startTaggingApi(this.registry);
    return {
      name: 'Resource Groups Tagging API',
      implementation: 'local emulator',
      endpoint: api.endpoint,
      close: () => api.close(),
    };
  }

  private async startEventBridge(): Promise<RunningService> {
    const { server, endpoint } = await startAwsJsonServer(
      eventBridgeService({
        bus: this.bus,
        resolveTarget: (arn) => {
          const fn = this.functionForArn(arn);
          return fn ? (payload) => this.invokeAsync(fn, payload) : undefined;
        },
      }),
    );
    return {
      name: 'EventBridge',
      implementation: 'local emulator (rules, schedules, PutEvents)',
      endpoint,
      close: async () => {
        this.bus.close();
        await closeServer(server);
      },
    };
  }

  private readonly cacheExtensionPorts = new Set<number>();

  /** 4000, the extension's default, then the next ports no template environment names. */
  private nextCacheExtensionPort(): number {
    let port = 4000;
    while (this.cacheExtensionPorts.has(port)) port++;
    this.cacheExtensionPorts.add(port);
    return port;
  }

  private consulStep(): string {
    return this.options.consul ? 'Consul (yours, CONSUL_HTTP_ADDR)' : 'Consul (emulator)';
  }

  /**
   * Consul: the one at CONSUL_HTTP_ADDR when given, else the emulator, with ACLs on when the
   * functions can read its token from the local SSM (not against a deployed stack).
   */
  private async startConsul(): Promise<LocalCloud['consul']> {
    if (this.options.consul) {
      await checkConsul(this.options.consul.address, this.options.consul.caCert);
      return { ...this.options.consul, managed: false };
    }
    const token = this.deployed ? undefined : randomUUID();
    const consul = await startConsulEmulator(token ? { aclToken: token } : {});
    this.services.push({
      name: 'Consul',
      implementation: 'local emulator (catalog, config entries, connect CA, ACL)',
      endpoint: consul.address,
      close: () => consul.close(),
    });
    return { address: consul.address, managed: true, ...(token ? { token } : {}) };
  }

  /** Every environment through SHUTDOWN (extensions flush), then every service. */
  async stop(): Promise<void> {
    await Promise.all(this.eventSources.splice(0).map((source) => source.stop()));
    await Promise.all(
      [...this.functions.entries()].map(async ([id, pool]) => {
        const started = performance.now();
        const count = await pool.close();
        if (count)
          this.options.onStep?.(
            `${id}: ${count} environment(s) shut down through SHUTDOWN`,
            performance.now() - started,
          );
      }),
    );
    this.functions.clear();
    for (const service of this.services.splice(0).reverse()) await service.close();
  }
}
