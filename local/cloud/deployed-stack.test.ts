/**
 * `npm start -- --aws`: the local code against a deployed stack. "AWS" here is real local servers
 * (dynalite, s3rver, the Secrets Manager and SSM emulators) holding resources under stack-style names,
 * and a CloudFormation API describing the stack, all reached through the SDK's standard
 * AWS_ENDPOINT_URL_* variables of the shell, as a user's shell would reach AWS itself.
 */
import { randomUUID } from 'node:crypto';
import { cpSync, mkdtempSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CloudFormationClient, CreateStackCommand } from '@aws-sdk/client-cloudformation';
import { CreateTableCommand, DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { projectRoot } from '../checks/test-fixtures';
import { freePort } from '../databases/database-servers';
import { spawnedGroupIds, survivingGroups } from '../sandbox/process-group';
import { loadTemplate } from '../template/template';
import { SANDBOX_CREDENTIALS } from '../sandbox/execution-environment';
import type { QueryServer } from './aws-query-protocol';
import { startCloudFormationApi, type StackDescription } from './cloudformation/cloudformation-api';
import { startStsApi } from './sts/sts-api';
import { DeployedStackError, readDeployedStack } from './deployed-stack';
import { LocalCloud } from './local-cloud';
import { LOCAL_CREDENTIALS } from './seed';
import { startDynamoDb, startS3, startSecretsManager, startSsm, type RunningService } from './services';

const REGION = 'eu-west-1';
const ACCOUNT = '210987654321';
const STACK_ID = `arn:aws:cloudformation:${REGION}:${ACCOUNT}:stack/app/${randomUUID()}`;
const TABLE = 'app-ItemsTable-1Q2W3E4R5T6Y';
const BUCKET = 'app-archivebucket-a1b2c3d4e5f6';

const aws: RunningService[] = [];
let cloudformation: QueryServer;
let sts: QueryServer;
let cloud: LocalCloud | undefined;
let root: string;
let secretArn: string;
const savedEnv = { ...process.env };

/** The shell's AWS configuration: keys, region, and endpoints standing in for AWS's. */
function shell(endpoints: Record<string, string>): void {
  for (const key of Object.keys(process.env))
    if (key.startsWith('AWS_') || key === 'CONSUL_HTTP_ADDR') delete process.env[key];
  Object.assign(process.env, {
    AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
    AWS_REGION: REGION,
    AWS_CONFIG_FILE: '/nonexistent/aws-config',
    AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/aws-credentials',
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    ...endpoints,
  });
}

/** Runs `work` with these shell variables changed (undefined: unset), then puts them back. */
async function withShell<T>(vars: Record<string, string | undefined>, work: () => Promise<T>): Promise<T> {
  const set = (values: Record<string, string | undefined>) => {
    for (const [key, value] of Object.entries(values)) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  };
  const before = Object.fromEntries(Object.keys(vars).map((key) => [key, process.env[key]]));
  set(vars);
  try {
    return await work();
  } finally {
    set(before);
  }
}

function stack(overrides: Partial<StackDescription> = {}): StackDescription {
  const fn = (id: string, physicalId = `app-${id}-${id.length}x9Z`) => ({
    logicalId: id,
    physicalId,
    type: 'AWS::Lambda::Function',
  });
  return {
    name: 'app',
    stackId: STACK_ID,
    // Resources all exist while CloudFormation deletes what the last update replaced.
    status: 'UPDATE_COMPLETE_CLEANUP_IN_PROGRESS',
    parameters: { Stage: 'prod', DbPassword: '****' },
    resources: [
      { logicalId: 'ItemsTable', physicalId: TABLE, type: 'AWS::DynamoDB::Table' },
      { logicalId: 'ArchiveBucket', physicalId: BUCKET, type: 'AWS::S3::Bucket' },
      { logicalId: 'GreetingParameter', physicalId: '/app/greeting', type: 'AWS::SSM::Parameter' },
      { logicalId: 'DbSecret', physicalId: secretArn, type: 'AWS::SecretsManager::Secret' },
      fn('ReaderFunction'),
      fn('WorkerFunction'),
      fn('WatcherFunction'),
      fn('RotatorFunction', 'app-rotator'),
      fn('TickerFunction'),
      { logicalId: 'ReaderFunctionRole', physicalId: 'app-ReaderFunctionRole-1', type: 'AWS::IAM::Role' },
    ],
    ...overrides,
  };
}

beforeAll(async () => {
  const dynamodb = await startDynamoDb();
  const s3 = await startS3();
  const secretsManager = await startSecretsManager();
  const ssm = await startSsm(secretsManager.endpoint);
  aws.push(dynamodb, s3, secretsManager, ssm);
  const config = { region: REGION, credentials: LOCAL_CREDENTIALS };
  const ddb = new DynamoDBClient({ ...config, endpoint: dynamodb.endpoint });
  await ddb.send(
    new CreateTableCommand({
      TableName: TABLE,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
    }),
  );
  await ddb.send(
    new PutItemCommand({ TableName: TABLE, Item: { pk: { S: 'seed' }, note: { S: 'deployed item' } } }),
  );
  const bucket = new S3Client({ ...config, endpoint: s3.endpoint, forcePathStyle: true });
  await bucket.send(new CreateBucketCommand({ Bucket: BUCKET }));
  await bucket.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'hello.txt', Body: 'deployed object' }));
  await new SSMClient({ ...config, endpoint: ssm.endpoint }).send(
    new PutParameterCommand({ Name: '/app/greeting', Value: 'deployed greeting', Type: 'String' }),
  );
  secretArn = (
    await new SecretsManagerClient({ ...config, endpoint: secretsManager.endpoint }).send(
      new CreateSecretCommand({ Name: 'app/db', SecretString: '{"username":"deployed","password":"p"}' }),
    )
  ).ARN!;
  cloudformation = await startCloudFormationApi(
    [
      stack(),
      stack({ name: 'failed', stackId: STACK_ID.replace('/app/', '/failed/'), status: 'ROLLBACK_COMPLETE' }),
      stack({
        name: 'partial',
        stackId: STACK_ID.replace('/app/', '/partial/'),
        resources: stack().resources.filter((r) => r.logicalId !== 'ItemsTable'),
      }),
    ],
    // Small pages, so reading the stack must follow NextToken; only the shell's key is known.
    { pageSize: 3, accessKeys: [LOCAL_CREDENTIALS.accessKeyId] },
  );
  // Sessions for the functions use the keys the services know for them.
  sts = await startStsApi(SANDBOX_CREDENTIALS);
  shell({
    AWS_ENDPOINT_URL_STS: sts.endpoint,
    AWS_ENDPOINT_URL_CLOUDFORMATION: cloudformation.endpoint,
    AWS_ENDPOINT_URL_DYNAMODB: dynamodb.endpoint,
    AWS_ENDPOINT_URL_S3: s3.endpoint,
    AWS_ENDPOINT_URL_SSM: ssm.endpoint,
    AWS_ENDPOINT_URL_SECRETS_MANAGER: secretsManager.endpoint,
  });
  root = mkdtempSync(join(tmpdir(), 'deployed-stack-'));
  cpSync(join(__dirname, 'fixtures', 'app'), root, { recursive: true });
  symlinkSync(join(projectRoot, 'node_modules'), join(root, 'node_modules'));
}, 120_000);

afterAll(async () => {
  await cloud?.stop();
  for (const service of aws.splice(0)) await service.close();
  await cloudformation?.close();
  await sts?.close();
  for (const key of Object.keys(process.env)) if (!(key in savedEnv)) delete process.env[key];
  Object.assign(process.env, savedEnv);
  expect(survivingGroups(spawnedGroupIds.splice(0))).toEqual([]);
});

describe('npm start -- --aws: the local code against a deployed stack', () => {
  it('reads the stack: placement from its id, every page of resources, the shell’s credentials', async () => {
    const template = loadTemplate(join(root, 'template.yaml'));
    const deployed = await readDeployedStack(template, 'app');
    expect(deployed.placement).toEqual({
      partition: 'aws',
      region: REGION,
      accountId: ACCOUNT,
      urlSuffix: 'amazonaws.com',
    });
    expect(deployed.resources.get('ItemsTable')).toEqual({
      type: 'AWS::DynamoDB::Table',
      ref: TABLE,
      attributes: { Arn: `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/${TABLE}` },
    });
    expect(deployed.resources.get('DbSecret')?.ref).toBe(secretArn);
    // The last page's resource too (10 resources, pages of 3).
    expect(deployed.resources.get('TickerFunction')?.ref).toBe('app-TickerFunction-14x9Z');
    expect(cloudformation.actions.filter((a) => a === 'ListStackResources')).toHaveLength(4);
    // The shell's keys are long-term: the functions get a session STS issued, never the keys.
    expect(deployed.credentials).toEqual({
      accessKeyId: SANDBOX_CREDENTIALS.accessKeyId,
      secretAccessKey: SANDBOX_CREDENTIALS.secretAccessKey,
      sessionToken: expect.stringMatching(/^[A-Za-z0-9+/=]{40,}$/),
    });
    expect(sts.actions).toEqual(['GetSessionToken']);
    expect(deployed.pseudo['AWS::StackId']).toBe(STACK_ID);
    // A NoEcho parameter's value is hidden by DescribeStacks: the template's default stands in.
    expect(deployed.parameters).toEqual({ Stage: 'prod' });
    expect(deployed.hiddenParameters).toEqual(['DbPassword']);
  });

  it('runs the functions with the stack’s names, region and account, and no emulator but Consul', async () => {
    cloud = await LocalCloud.start({ root, aws: { stackName: 'app' } });
    expect(cloud.services.map((s) => s.name)).toEqual(['Lambda API', 'Consul']);
    expect(cloud.seeded).toEqual([]);
    expect(cloud.eventSources).toEqual([]);
    const reader = cloud.functions.get('ReaderFunction')!.config;
    expect(reader.functionName).toBe('app-ReaderFunction-14x9Z');
    expect(reader.environment).toMatchObject({
      TABLE_NAME: TABLE,
      BUCKET_NAME: BUCKET,
      SECRET_ID: secretArn,
    });

    const result = await cloud.invoke('ReaderFunction', '{}');
    expect(result.errorType).toBeUndefined();
    const body = JSON.parse(result.payload.toString('utf8'));
    expect(body).toEqual({
      item: { pk: { S: 'seed' }, note: { S: 'deployed item' } },
      object: 'deployed object',
      parameter: 'deployed greeting',
      secret: { username: 'deployed', password: 'p' },
      region: REGION,
      functionArn: `arn:aws:lambda:${REGION}:${ACCOUNT}:function:app-ReaderFunction-14x9Z`,
    });
  }, 300_000);

  it('refuses a stack that is missing, failed, or lacks a resource a function refers to', async () => {
    const template = loadTemplate(join(root, 'template.yaml'));
    await expect(readDeployedStack(template, 'nope')).rejects.toThrow(
      new DeployedStackError(
        `stack nope does not exist in ${REGION}: deploy it first (sam deploy --guided), or name the deployed one with --stack <name>`,
      ),
    );
    await expect(readDeployedStack(template, 'failed')).rejects.toThrow(
      /^stack failed is ROLLBACK_COMPLETE: run against it once a deploy has completed/,
    );
    await expect(LocalCloud.start({ root, aws: { stackName: 'partial' } })).rejects.toThrow(
      `Resources.ReaderFunction.Properties.Environment.Variables.TABLE_NAME: Ref to ItemsTable, which stack partial (${REGION}) does not have`,
    );
  }, 120_000);

  it('says what to do when CloudFormation refuses the credentials or cannot be reached', async () => {
    const template = loadTemplate(join(root, 'template.yaml'));
    await withShell({ AWS_ACCESS_KEY_ID: 'AKIAEXPIREDORUNKNOWN' }, () =>
      expect(readDeployedStack(template, 'app')).rejects.toThrow(
        new DeployedStackError(
          "CloudFormation refused the shell's AWS credentials (InvalidClientTokenId: The security token included in the request is invalid.): refresh them (aws sso login) or check AWS_PROFILE",
        ),
      ),
    );
    await withShell({ AWS_ENDPOINT_URL_CLOUDFORMATION: `http://127.0.0.1:${await freePort()}` }, () =>
      expect(readDeployedStack(template, 'app')).rejects.toThrow(
        /^CloudFormation in eu-west-1 could not be reached \(ECONNREFUSED\)/,
      ),
    );
  }, 60_000);

  it('renews the functions’ session before it expires, and only then', async () => {
    const template = loadTemplate(join(root, 'template.yaml'));
    const deployed = await readDeployedStack(template, 'app');
    // Sessions of 12 hours: the same one for every new environment.
    const calls = sts.actions.length;
    expect((await deployed.freshCredentials()).sessionToken).toBe(deployed.credentials.sessionToken);
    expect(sts.actions.length).toBe(calls);
    // Sessions of 2 minutes, inside the renewal margin: a new one each time.
    const short = await startStsApi(SANDBOX_CREDENTIALS, { lifetimeSeconds: 120 });
    try {
      await withShell({ AWS_ENDPOINT_URL_STS: short.endpoint }, async () => {
        const renewing = await readDeployedStack(template, 'app');
        const next = await renewing.freshCredentials();
        expect(next.sessionToken).not.toBe(renewing.credentials.sessionToken);
        expect(short.actions).toEqual(['GetSessionToken', 'GetSessionToken']);
      });
    } finally {
      await short.close();
    }
  });

  it('gives the functions the shell’s temporary credentials as they are', async () => {
    const template = loadTemplate(join(root, 'template.yaml'));
    await withShell({ AWS_SESSION_TOKEN: 'shell-session-token' }, async () =>
      expect((await readDeployedStack(template, 'app')).credentials).toEqual({
        accessKeyId: LOCAL_CREDENTIALS.accessKeyId,
        secretAccessKey: LOCAL_CREDENTIALS.secretAccessKey,
        sessionToken: 'shell-session-token',
      }),
    );
  });

  it('says what is missing when the shell has no region or no credentials', async () => {
    const template = loadTemplate(join(root, 'template.yaml'));
    await withShell({ AWS_REGION: undefined }, async () => {
      await expect(readDeployedStack(template, 'app')).rejects.toThrow(
        /^no AWS region: pass --region, set AWS_REGION, or configure the shell as for the AWS CLI/,
      );
      // --region stands in for the shell's.
      expect((await readDeployedStack(template, 'app', { region: REGION })).placement.region).toBe(REGION);
    });
    await withShell({ AWS_ACCESS_KEY_ID: undefined }, () =>
      expect(readDeployedStack(template, 'app')).rejects.toThrow(
        /^no AWS credentials \(.+\): configure the shell as for the AWS CLI \(aws configure, aws sso login, AWS_PROFILE\)$/,
      ),
    );
    // Long-term keys STS will not give a session for (here: no STS at all).
    await withShell({ AWS_ENDPOINT_URL_STS: `http://127.0.0.1:${await freePort()}` }, () =>
      expect(readDeployedStack(template, 'app')).rejects.toThrow(
        /^STS in eu-west-1 could not be reached \(ECONNREFUSED\): check the network, the region \(--region\)/,
      ),
    );
  });

  it('the CloudFormation and STS APIs answer an action they do not implement with InvalidAction', async () => {
    const config = { region: REGION, credentials: LOCAL_CREDENTIALS };
    await expect(
      new CloudFormationClient(config).send(new CreateStackCommand({ StackName: 'x' })),
    ).rejects.toMatchObject({ name: 'InvalidAction', $metadata: { httpStatusCode: 400 } });
    await expect(
      new STSClient(config).send(
        new AssumeRoleCommand({ RoleArn: 'arn:aws:iam::1:role/r', RoleSessionName: 's' }),
      ),
    ).rejects.toMatchObject({ name: 'InvalidAction', $metadata: { httpStatusCode: 400 } });
  });
});
