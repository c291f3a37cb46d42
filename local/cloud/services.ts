import { mkdtempSync, rmSync } from 'node:fs';
import type http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import dynalite from 'dynalite';
import S3rver from 's3rver';
import {
  GetSecretValueCommand,
  ResourceNotFoundException,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { startAwsJsonServer } from './aws-json-protocol';
import { secretsManagerService } from './secrets-manager/secrets-manager-service';
import { SecretStore, type Secret } from './secrets-manager/secret-store';
import { ParameterStore } from './ssm/parameter-store';
import { ssmService } from './ssm/ssm-service';
import { LOCAL_CREDENTIALS } from './seed';
import { SANDBOX_CREDENTIALS } from '../sandbox/execution-environment';
import s3rverAccount from 's3rver/lib/models/account';
import { QueueStore } from './sqs/queue-store';
import { sqsService, startSqsServer, type SqsService } from './sqs/sqs-service';

/** One running local service: where the SDK reaches it, and how to stop it. */
export interface RunningService {
  name: string;
  /** What the real implementation is, for the start-up table. */
  implementation: string;
  endpoint: string;
  close: () => Promise<void>;
}

const closeServer = (server: http.Server) =>
  new Promise<void>((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });

/** DynamoDB: dynalite, a real implementation of the DynamoDB API (in memory). */
export async function startDynamoDb(): Promise<RunningService> {
  const server = (dynalite as unknown as (o: object) => http.Server)({
    createTableMs: 0,
    deleteTableMs: 0,
    updateTableMs: 0,
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  return {
    name: 'DynamoDB',
    implementation: 'dynalite',
    endpoint: `http://127.0.0.1:${port}`,
    close: () => closeServer(server),
  };
}

/** S3: s3rver, an S3-compatible server; objects live in a temporary folder removed on close. */
export async function startS3(): Promise<RunningService> {
  const directory = mkdtempSync(join(tmpdir(), 'local-s3-'));
  const s3 = new (
    S3rver as unknown as new (o: object) => { run(): Promise<AddressInfo>; close(): Promise<void> }
  )({
    address: '127.0.0.1',
    port: 0,
    silent: true,
    directory,
  });
  // s3rver verifies signatures against the keys it knows: the local cloud's and the functions'.
  for (const { accessKeyId, secretAccessKey } of [LOCAL_CREDENTIALS, SANDBOX_CREDENTIALS]) {
    s3rverAccount.DUMMY_ACCOUNT.createKeyPair(accessKeyId, secretAccessKey);
  }
  const { port } = await s3.run();
  return {
    name: 'S3',
    implementation: 's3rver',
    endpoint: `http://127.0.0.1:${port}`,
    close: async () => {
      await s3.close();
      rmSync(directory, { recursive: true, force: true });
    },
  };
}

/**
 * Secrets Manager (emulated): `rotate` runs the secret's rotation function through its four steps,
 * as the service does when RotateSecret is called.
 */
export async function startSecretsManager(
  rotate?: (secret: Secret, token: string) => Promise<void>,
): Promise<RunningService & { store: SecretStore }> {
  const store = new SecretStore();
  const { server, endpoint } = await startAwsJsonServer(
    secretsManagerService(store, rotate ? { rotate } : {}),
  );
  return {
    name: 'Secrets Manager',
    implementation: 'local emulator',
    endpoint,
    store,
    close: () => closeServer(server),
  };
}

/**
 * SSM Parameter Store (emulated). `/aws/reference/secretsmanager/…` parameters read the secret from
 * Secrets Manager through its API, as Parameter Store itself does.
 */
export async function startSsm(
  secretsManagerEndpoint: string,
): Promise<RunningService & { store: ParameterStore }> {
  const secrets = new SecretsManagerClient({
    endpoint: secretsManagerEndpoint,
    region: 'us-east-1',
    credentials: LOCAL_CREDENTIALS,
  });
  const store = new ParameterStore();
  const { server, endpoint } = await startAwsJsonServer(
    ssmService(store, {
      secretsLookup: async (secretId, versionId, versionStage) => {
        try {
          const s = await secrets.send(
            new GetSecretValueCommand({
              SecretId: secretId,
              ...(versionId ? { VersionId: versionId } : {}),
              ...(versionStage ? { VersionStage: versionStage } : {}),
            }),
          );
          return {
            ARN: s.ARN!,
            Name: s.Name!,
            VersionId: s.VersionId!,
            ...(s.SecretString !== undefined ? { SecretString: s.SecretString } : {}),
            ...(s.SecretBinary !== undefined
              ? { SecretBinary: Buffer.from(s.SecretBinary).toString('base64') }
              : {}),
            VersionStages: s.VersionStages ?? [],
            CreatedDate: s.CreatedDate ?? new Date(),
          };
        } catch (e) {
          if (e instanceof ResourceNotFoundException) return undefined;
          throw e;
        }
      },
    }),
  );
  return {
    name: 'SSM Parameter Store',
    implementation: 'local emulator',
    endpoint,
    store,
    close: () => closeServer(server),
  };
}

/** SQS (emulated), with the poll / settle side the event source mappings use. */
export async function startSqs(): Promise<RunningService & { sqs: SqsService }> {
  const sqs = sqsService(new QueueStore());
  const { endpoint, close } = await startSqsServer(sqs);
  return { name: 'SQS', implementation: 'local emulator', endpoint, sqs, close };
}
