import { CreateTableCommand, DynamoDBClient, type CreateTableCommandInput } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import {
  CreateSecretCommand,
  GetRandomPasswordCommand,
  RotateSecretCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { PutParameterCommand, SSMClient, type ParameterType } from '@aws-sdk/client-ssm';
import { CreateQueueCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { ValueResolver } from '../sandbox/function-config';
import { isObject, type Template } from '../template/template';
import type { PhysicalResource } from './physical-resources';

/** Endpoints and credentials of the local services, for the real SDK clients that seed them. */
export interface ServiceEndpoints {
  dynamodb: string;
  s3: string;
  ssm: string;
  secretsmanager: string;
  sqs?: string;
}

export const LOCAL_CREDENTIALS = {
  accessKeyId: 'AKIALOCALCLOUD000000',
  secretAccessKey: 'local-cloud-secret-access-key',
};

const client = <T>(
  Ctor: new (config: Record<string, unknown>) => T,
  endpoint: string,
  extra: Record<string, unknown> = {},
): T => new Ctor({ endpoint, region: 'us-east-1', credentials: LOCAL_CREDENTIALS, ...extra });

/** Sample data the template does not declare, added after the declared resources exist. */
export interface SeedData {
  /** Items per table logical id. */
  dynamodb?: Record<string, Record<string, unknown>[]>;
  /** Objects per bucket logical id: key → text. */
  s3?: Record<string, Record<string, string>>;
}

export class SeedDataError extends Error {}

/** Reads a sample-data file, refusing anything but `{dynamodb?: {Id: [item…]}, s3?: {Id: {key: text}}}`. */
export function parseSeedData(text: string, file: string): SeedData {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new SeedDataError(`${file}: not valid JSON: ${(e as Error).message}`, { cause: e });
  }
  if (!isObject(doc)) throw new SeedDataError(`${file}: expected an object with "dynamodb" and "s3"`);
  const data: SeedData = {};
  if (doc.dynamodb !== undefined) {
    if (
      !isObject(doc.dynamodb) ||
      !Object.values(doc.dynamodb).every((items) => Array.isArray(items) && items.every(isObject))
    ) {
      throw new SeedDataError(
        `${file}: "dynamodb" maps each table's logical id to a list of items (objects)`,
      );
    }
    data.dynamodb = doc.dynamodb as SeedData['dynamodb'];
  }
  if (doc.s3 !== undefined) {
    if (
      !isObject(doc.s3) ||
      !Object.values(doc.s3).every(
        (objects) => isObject(objects) && Object.values(objects).every((v) => typeof v === 'string'),
      )
    ) {
      throw new SeedDataError(`${file}: "s3" maps each bucket's logical id to {key: text}`);
    }
    data.s3 = doc.s3 as SeedData['s3'];
  }
  return data;
}

export interface SeededResource {
  logicalId: string;
  type: string;
  name: string;
  detail: string;
}

type Seeder = (
  id: string,
  props: Record<string, unknown>,
  physical: PhysicalResource,
  ctx: { endpoints: ServiceEndpoints; resolve: ValueResolver },
) => Promise<string>;

/** `Ref`s inside properties resolved to literal values, recursively. */
function literalProps(value: unknown, resolve: ValueResolver, where: string): unknown {
  if (Array.isArray(value)) return value.map((v, i) => literalProps(v, resolve, `${where}[${i}]`));
  if (!isObject(value)) return value;
  const keys = Object.keys(value);
  if (keys.length === 1 && (keys[0] === 'Ref' || keys[0]!.startsWith('Fn::'))) return resolve(value, where);
  return Object.fromEntries(
    Object.entries(value).map(([k, v]) => [k, literalProps(v, resolve, `${where}.${k}`)]),
  );
}

const SIMPLE_TABLE_TYPES: Record<string, string> = { String: 'S', Number: 'N', Binary: 'B' };

const seeders: Record<string, Seeder> = {
  'AWS::DynamoDB::Table': async (_id, props, physical, { endpoints }) => {
    const input = { ...props, TableName: physical.ref } as CreateTableCommandInput & Record<string, unknown>;
    // Properties DynamoDB's CreateTable does not take, or that only matter in AWS.
    for (const key of [
      'PointInTimeRecoverySpecification',
      'TimeToLiveSpecification',
      'ContributorInsightsSpecification',
      'KinesisStreamSpecification',
      'Tags',
      'DeletionProtectionEnabled',
      'ImportSourceSpecification',
      'ResourcePolicy',
    ]) {
      delete input[key];
    }
    if (!input.BillingMode && !input.ProvisionedThroughput) input.BillingMode = 'PAY_PER_REQUEST';
    await client(DynamoDBClient, endpoints.dynamodb).send(new CreateTableCommand(input));
    return `key ${(input.KeySchema ?? []).map((k) => `${k.AttributeName} (${k.KeyType})`).join(', ')}`;
  },
  'AWS::Serverless::SimpleTable': async (_id, props, physical, { endpoints }) => {
    const key = isObject(props.PrimaryKey) ? props.PrimaryKey : { Name: 'id', Type: 'String' };
    const name = String(key.Name);
    await client(DynamoDBClient, endpoints.dynamodb).send(
      new CreateTableCommand({
        TableName: physical.ref,
        AttributeDefinitions: [
          { AttributeName: name, AttributeType: (SIMPLE_TABLE_TYPES[String(key.Type)] ?? 'S') as 'S' },
        ],
        KeySchema: [{ AttributeName: name, KeyType: 'HASH' }],
        BillingMode: 'PAY_PER_REQUEST',
      }),
    );
    return `key ${name} (HASH)`;
  },
  'AWS::S3::Bucket': async (_id, _props, physical, { endpoints }) => {
    await client(S3Client, endpoints.s3).send(new CreateBucketCommand({ Bucket: physical.ref }));
    return 'empty';
  },
  'AWS::SSM::Parameter': async (_id, props, physical, { endpoints }) => {
    const type = String(props.Type ?? 'String') as ParameterType;
    await client(SSMClient, endpoints.ssm).send(
      new PutParameterCommand({
        Name: physical.ref,
        Type: type,
        Value: String(props.Value ?? ''),
        Overwrite: true,
        ...(props.Tier ? { Tier: props.Tier as 'Standard' } : {}),
      }),
    );
    return type;
  },
  'AWS::SecretsManager::Secret': async (_id, props, physical, { endpoints }) => {
    const sm = client(SecretsManagerClient, endpoints.secretsmanager);
    let secretString = typeof props.SecretString === 'string' ? props.SecretString : undefined;
    const generate = isObject(props.GenerateSecretString) ? props.GenerateSecretString : undefined;
    if (generate) {
      // CloudFormation generates the value with the same options GetRandomPassword takes.
      const { RandomPassword } = await sm.send(
        new GetRandomPasswordCommand({
          ...(generate.PasswordLength !== undefined
            ? { PasswordLength: Number(generate.PasswordLength) }
            : {}),
          ...(typeof generate.ExcludeCharacters === 'string'
            ? { ExcludeCharacters: generate.ExcludeCharacters }
            : {}),
          ExcludeNumbers: generate.ExcludeNumbers === true,
          ExcludePunctuation: generate.ExcludePunctuation === true,
          ExcludeUppercase: generate.ExcludeUppercase === true,
          ExcludeLowercase: generate.ExcludeLowercase === true,
          IncludeSpace: generate.IncludeSpace === true,
          RequireEachIncludedType: generate.RequireEachIncludedType !== false,
        }),
      );
      if (
        typeof generate.SecretStringTemplate === 'string' &&
        typeof generate.GenerateStringKey === 'string'
      ) {
        secretString = JSON.stringify({
          ...(JSON.parse(generate.SecretStringTemplate) as object),
          [generate.GenerateStringKey]: RandomPassword,
        });
      } else secretString = RandomPassword;
    }
    const created = await sm.send(
      new CreateSecretCommand({
        // Until created, the local Ref is `arn:…:secret:<name>`, without the random suffix.
        Name: physical.ref.slice(physical.ref.indexOf(':secret:') + ':secret:'.length),
        ...(secretString !== undefined ? { SecretString: secretString } : {}),
        ...(typeof props.Description === 'string' ? { Description: props.Description } : {}),
      }),
    );
    // Secrets Manager picks the ARN's random suffix; `Ref` and `Fn::GetAtt Id` give that ARN from now on.
    physical.ref = created.ARN!;
    physical.attributes.Id = created.ARN!;
    return generate ? 'generated value' : 'declared value';
  },
  'AWS::SecretsManager::RotationSchedule': async (_id, props, physical, { endpoints }) => {
    // The secret's rotation, as the stack configures it: RotateSecret with the function and rules.
    // CloudFormation then rotates at once; locally that would need the database the secret names,
    // so it is configured only, and `RotateSecret` (or a smoke rotation) runs it when wanted.
    const sm = client(SecretsManagerClient, endpoints.secretsmanager);
    const rules = isObject(props.RotationRules) ? props.RotationRules : {};
    await sm.send(
      new RotateSecretCommand({
        SecretId: String(props.SecretId),
        RotationLambdaARN: String(props.RotationLambdaARN),
        RotationRules: {
          ...(rules.ScheduleExpression !== undefined
            ? { ScheduleExpression: String(rules.ScheduleExpression) }
            : {}),
          ...(rules.AutomaticallyAfterDays !== undefined
            ? { AutomaticallyAfterDays: Number(rules.AutomaticallyAfterDays) }
            : {}),
          ...(rules.Duration !== undefined ? { Duration: String(rules.Duration) } : {}),
        },
        RotateImmediately: false,
      }),
    );
    physical.ref = String(props.SecretId);
    const when =
      rules.ScheduleExpression !== undefined
        ? String(rules.ScheduleExpression)
        : rules.AutomaticallyAfterDays !== undefined
          ? `every ${String(rules.AutomaticallyAfterDays)} days`
          : 'with no schedule';
    return `rotation by ${String(props.RotationLambdaARN).split(':').pop()} ${when} (not run at creation)`;
  },
  'AWS::SQS::Queue': async (_id, props, physical, { endpoints }) => {
    if (!endpoints.sqs) throw new Error('no local SQS endpoint');
    const attributes: Record<string, string> = {};
    for (const [k, v] of Object.entries(props)) {
      if (k === 'QueueName' || k === 'Tags') continue;
      attributes[k] = typeof v === 'object' ? JSON.stringify(v) : String(v);
    }
    await client(SQSClient, endpoints.sqs).send(
      new CreateQueueCommand({ QueueName: physical.attributes.QueueName!, Attributes: attributes }),
    );
    return attributes.RedrivePolicy ? `redrive ${attributes.RedrivePolicy}` : 'standard queue';
  },
};

/** Creates every table, bucket, parameter, secret and queue the template declares, in template order, then the sample data. */
export async function seed(
  template: Template,
  resources: Map<string, PhysicalResource>,
  endpoints: ServiceEndpoints,
  resolve: ValueResolver,
  data: SeedData = {},
): Promise<SeededResource[]> {
  const seeded: SeededResource[] = [];
  // Queues first: a queue's RedrivePolicy names its dead-letter queue, which must exist.
  const order = Object.entries(template.Resources).sort(
    ([, a], [, b]) => Number(b.Type === 'AWS::SQS::Queue') - Number(a.Type === 'AWS::SQS::Queue'),
  );
  for (const [id, resource] of order) {
    const seeder = seeders[resource.Type];
    const physical = resources.get(id);
    if (!seeder || !physical) continue;
    const props = literalProps(resource.Properties ?? {}, resolve, `Resources.${id}.Properties`) as Record<
      string,
      unknown
    >;
    try {
      const detail = await seeder(id, props, physical, { endpoints, resolve });
      seeded.push({ logicalId: id, type: resource.Type, name: physical.ref, detail });
    } catch (e) {
      throw new Error(
        `Resources.${id} (${resource.Type}): the local cloud could not create it: ${(e as Error).message}`,
        { cause: e },
      );
    }
  }
  for (const [id, items] of Object.entries(data.dynamodb ?? {})) {
    const table = resources.get(id);
    if (!table) throw new Error(`seed data names table ${id}, which template.yaml does not declare`);
    const doc = DynamoDBDocumentClient.from(client(DynamoDBClient, endpoints.dynamodb));
    for (const item of items) await doc.send(new PutCommand({ TableName: table.ref, Item: item }));
  }
  for (const [id, objects] of Object.entries(data.s3 ?? {})) {
    const bucket = resources.get(id);
    if (!bucket) throw new Error(`seed data names bucket ${id}, which template.yaml does not declare`);
    const s3 = client(S3Client, endpoints.s3);
    for (const [key, body] of Object.entries(objects))
      await s3.send(new PutObjectCommand({ Bucket: bucket.ref, Key: key, Body: body }));
  }
  return seeded;
}
