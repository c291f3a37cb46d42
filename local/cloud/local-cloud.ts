import { join } from 'node:path';
import { buildAll } from '../build/build';
import { ExecutionEnvironment, type InvokeResult } from '../sandbox/execution-environment';
import { assertBuilt, functionConfig, type FunctionConfig } from '../sandbox/function-config';
import { ensureNodeRuntime, parseNodeRuntime } from '../sandbox/node-runtime';
import { loadTemplate, resourcesOfType, type Template } from '../template/template';
import { FunctionPool } from './function-pool';
import { cloudResolver, physicalResources, type PhysicalResource } from './physical-resources';
import { LOCAL_CREDENTIALS, seed, type SeedData, type SeededResource, type ServiceEndpoints } from './seed';
import { startDynamoDb, startS3, startSecretsManager, startSsm, type RunningService } from './services';
import type { Secret } from './secrets-manager/secret-store';

export interface LocalCloudOptions {
  root: string;
  template?: Template;
  /** Freeze environments between invokes (default true, as Lambda). */
  freeze?: boolean;
  seedData?: SeedData;
  /** Template parameter values instead of the defaults. */
  parameters?: Record<string, string>;
  /** Called as each start-up step finishes, with its duration. */
  onStep?: (step: string, ms: number) => void;
  /** Each function's log lines as CloudWatch would show them. */
  onLog?: (logicalId: string, line: string) => void;
}

/** The SDK's standard endpoint variables, one per service the functions may call. */
const ENDPOINT_VARIABLES: Record<keyof ServiceEndpoints, string> = {
  dynamodb: 'AWS_ENDPOINT_URL_DYNAMODB',
  s3: 'AWS_ENDPOINT_URL_S3',
  ssm: 'AWS_ENDPOINT_URL_SSM',
  secretsmanager: 'AWS_ENDPOINT_URL_SECRETS_MANAGER',
  sqs: 'AWS_ENDPOINT_URL_SQS',
};

/**
 * The whole application of template.yaml on a laptop: the AWS services it uses on loopback (real
 * implementations where npm has one, emulators elsewhere), seeded with what the template declares,
 * and every function in the local sandbox with the SDK pointed at them.
 */
export class LocalCloud {
  readonly services: RunningService[] = [];
  readonly functions = new Map<string, FunctionPool>();
  seeded: SeededResource[] = [];
  resources = new Map<string, PhysicalResource>();
  endpoints!: ServiceEndpoints;
  template!: Template;

  private constructor(private readonly options: LocalCloudOptions) {}

  static async start(options: LocalCloudOptions): Promise<LocalCloud> {
    const cloud = new LocalCloud(options);
    try {
      await cloud.startAll();
    } catch (e) {
      await cloud.stop();
      throw e;
    }
    return cloud;
  }

  private async step<T>(name: string, work: () => Promise<T>): Promise<T> {
    const started = performance.now();
    const result = await work();
    this.options.onStep?.(name, performance.now() - started);
    return result;
  }

  private async startAll(): Promise<void> {
    const { root } = this.options;
    this.template = this.options.template ?? loadTemplate(join(root, 'template.yaml'));
    const functionIds = resourcesOfType(this.template, 'AWS::Serverless::Function').map(([id]) => id);
    await this.step(`built ${functionIds.length} function(s) and their layers`, () =>
      buildAll(this.template, root),
    );

    const dynamodb = await this.step('DynamoDB (dynalite)', startDynamoDb);
    this.services.push(dynamodb);
    const s3 = await this.step('S3 (s3rver)', startS3);
    this.services.push(s3);
    const secretsManager = await this.step('Secrets Manager (emulator)', () =>
      startSecretsManager((secret, token) => this.rotate(secret, token)),
    );
    this.services.push(secretsManager);
    const ssm = await this.step('SSM Parameter Store (emulator)', () => startSsm(secretsManager.endpoint));
    this.services.push(ssm);
    this.endpoints = {
      dynamodb: dynamodb.endpoint,
      s3: s3.endpoint,
      ssm: ssm.endpoint,
      secretsmanager: secretsManager.endpoint,
    };

    this.resources = physicalResources(this.template);
    const resolve = cloudResolver(this.template, this.resources, this.options.parameters);
    this.seeded = await this.step('seeded the template’s resources', () =>
      seed(this.template, this.resources, this.endpoints, resolve, this.options.seedData),
    );

    const configs = functionIds.map((id) => functionConfig(this.template, id, root, resolve));
    configs.forEach(assertBuilt);
    const runtimes = new Map<number, string>();
    await this.step('Node.js runtimes', async () => {
      for (const major of new Set(configs.map((c) => parseNodeRuntime(c.runtime))))
        runtimes.set(major, await ensureNodeRuntime(major));
    });
    for (const config of configs)
      this.functions.set(
        config.logicalId,
        this.pool(config, runtimes.get(parseNodeRuntime(config.runtime))!),
      );
  }

  private pool(config: FunctionConfig, nodePath: string): FunctionPool {
    const extraEnv = Object.fromEntries(
      Object.entries(this.endpoints).map(([service, url]) => [
        ENDPOINT_VARIABLES[service as keyof ServiceEndpoints],
        url,
      ]),
    );
    return new FunctionPool(config, {
      nodePath,
      ...(this.options.freeze !== undefined ? { freeze: this.options.freeze } : {}),
      extraEnv,
      print: (line) => this.options.onLog?.(config.logicalId, line),
    });
  }

  /** Invokes a function by logical id (or function name), as the Invoke API does. */
  async invoke(nameOrId: string, payload: string | Buffer): Promise<InvokeResult> {
    const pool =
      this.functions.get(nameOrId) ??
      [...this.functions.values()].find((p) => p.config.functionName === nameOrId);
    if (!pool) throw new Error(`no function ${nameOrId} in template.yaml`);
    return pool.invoke(payload);
  }

  /** The function a Lambda ARN names, if it is one of the template's. */
  functionForArn(arn: string): FunctionPool | undefined {
    const name = arn.split(':')[6];
    return [...this.functions.values()].find((p) => p.config.functionName === name);
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

  /** Every environment through SHUTDOWN (extensions flush), then every service. */
  async stop(): Promise<void> {
    await Promise.all([...this.functions.values()].map((pool) => pool.close()));
    this.functions.clear();
    for (const service of this.services.splice(0).reverse()) await service.close();
  }
}

export { LOCAL_CREDENTIALS, ExecutionEnvironment };
