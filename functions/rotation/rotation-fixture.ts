import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CreateSecretCommand,
  DescribeSecretCommand,
  GetSecretValueCommand,
  RotateSecretCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { LOCAL_CREDENTIALS } from '../../local/cloud/seed';
import { startSecretsManager } from '../../local/cloud/services';
import {
  adminQuery,
  startMariaDb,
  startPostgres,
  type TestDatabase,
} from '../../local/databases/database-servers';
import { STEPS, type Step } from './rotation-steps';

/**
 * Shared by the rotation tests and benchmark: real MariaDB and PostgreSQL servers, the local cloud's
 * Secrets Manager emulator (reached through the real SDK), and a RotateSecret that runs the rotation
 * handler in-process for each step, as Secrets Manager invokes the function.
 */
export const ROTATION_FUNCTION_ARN = 'arn:aws:lambda:us-east-1:000000000000:function:rotation';
export const TABLE = 'items';
export const ROWS = 3;

export type Engine = 'mariadb' | 'postgres';
export type RotationHook = (arn: string, token: string) => Promise<void>;

export interface RotationFixture {
  client: SecretsManagerClient;
  databases: Record<Engine, TestDatabase>;
  /** What RotateSecret runs for the step sequence; tests swap it. */
  setHook(hook: RotationHook): void;
  /** The error the last RotateSecret's rotation ended with (AWS only logs it), or undefined. */
  lastRotationError(): unknown;
  stop(): Promise<void>;
}

export async function startRotationFixture(
  engines: Engine[] = ['mariadb', 'postgres'],
): Promise<RotationFixture> {
  let hook: RotationHook = async () => undefined;
  let lastError: unknown;
  const secretsManager = await startSecretsManager(async (secret, token) => {
    lastError = undefined;
    try {
      await hook(secret.arn, token);
    } catch (e) {
      lastError = e;
      throw e;
    }
  });
  const started: TestDatabase[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'rotation-fixture-'));
  try {
    for (const engine of engines)
      started.push(engine === 'mariadb' ? await startMariaDb() : await startPostgres());
  } catch (e) {
    await Promise.all(started.map((d) => d.stop()));
    await secretsManager.close();
    throw e;
  }
  const caFile = join(dir, 'ca.pem');
  writeFileSync(caFile, started.map((d) => d.caCertificate).join('\n'));
  Object.assign(process.env, {
    AWS_ENDPOINT_URL_SECRETS_MANAGER: secretsManager.endpoint,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
    DB_TLS_CA_FILE: caFile,
    DB_CONNECT_TIMEOUT_MS: '3000',
  });
  const client = new SecretsManagerClient({
    endpoint: secretsManager.endpoint,
    region: 'us-east-1',
    credentials: LOCAL_CREDENTIALS,
  });
  const databases = Object.fromEntries(started.map((d) => [d.engine, d])) as Record<Engine, TestDatabase>;
  for (const db of started) await createTable(db);
  return {
    client,
    databases,
    setHook: (h) => (hook = h),
    lastRotationError: () => lastError,
    async stop() {
      client.destroy();
      await Promise.all(started.map((d) => d.stop()));
      await secretsManager.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function createTable(db: TestDatabase): Promise<void> {
  const values = Array.from({ length: ROWS }, (_, i) => `(${i + 1})`).join(', ');
  await adminQuery(
    db,
    db.engine === 'mariadb'
      ? [
          'CREATE DATABASE appdb',
          `CREATE TABLE appdb.${TABLE} (id INT PRIMARY KEY)`,
          `INSERT INTO appdb.${TABLE} VALUES ${values}`,
        ]
      : [`CREATE TABLE ${TABLE} (id INT PRIMARY KEY)`, `INSERT INTO ${TABLE} VALUES ${values}`],
  );
}

/** An application user that may read the table; `requireTls` makes the server refuse it without TLS. */
export async function createAppUser(db: TestDatabase, user: string, password: string, requireTls = false) {
  await adminQuery(
    db,
    db.engine === 'mariadb'
      ? [
          `CREATE USER '${user}'@'%' IDENTIFIED BY '${password}'${requireTls ? ' REQUIRE SSL' : ''}`,
          `GRANT SELECT ON appdb.* TO '${user}'@'%'`,
        ]
      : [`CREATE ROLE "${user}" WITH LOGIN PASSWORD '${password}'`, `GRANT SELECT ON ${TABLE} TO "${user}"`],
  );
}

export interface SecretOptions {
  username: string;
  password: string;
  ssl?: boolean;
  masterarn?: string;
  /** Overrides the server's port (an unreachable database). */
  port?: number;
  /** Enables rotation with this function (RotateImmediately=false), as a RotationSchedule does. */
  rotation?: boolean;
}

export async function createDatabaseSecret(
  fixture: RotationFixture,
  db: TestDatabase,
  options: SecretOptions,
): Promise<string> {
  const name = `db/${db.engine}/${options.username}/${randomUUID().slice(0, 8)}`;
  const value = {
    engine: db.engine,
    host: db.host,
    port: options.port ?? db.port,
    username: options.username,
    password: options.password,
    dbname: db.engine === 'mariadb' ? 'appdb' : 'postgres',
    ...(options.ssl ? { ssl: true } : {}),
    ...(options.masterarn ? { masterarn: options.masterarn } : {}),
  };
  const { ARN } = await fixture.client.send(
    new CreateSecretCommand({ Name: name, SecretString: JSON.stringify(value) }),
  );
  if (options.rotation !== false)
    await fixture.client.send(
      new RotateSecretCommand({
        SecretId: ARN,
        RotationLambdaARN: ROTATION_FUNCTION_ARN,
        RotationRules: { ScheduleExpression: 'rate(30 days)' },
        RotateImmediately: false,
      }),
    );
  return ARN!;
}

export async function masterSecret(fixture: RotationFixture, db: TestDatabase): Promise<string> {
  return createDatabaseSecret(fixture, db, {
    username: db.adminUser,
    password: db.adminPassword,
    rotation: false,
  });
}

/** Runs the given steps in order through `invoke` (the handler), calling `between` after each. */
export function stepsHook(
  invoke: (event: { Step: Step; SecretId: string; ClientRequestToken: string }) => Promise<unknown>,
  options: { stopAfter?: Step; between?: (step: Step, arn: string) => Promise<void> } = {},
): RotationHook {
  return async (arn, token) => {
    for (const step of STEPS) {
      await invoke({ Step: step, SecretId: arn, ClientRequestToken: token });
      await options.between?.(step, arn);
      if (step === options.stopAfter) throw new Error(`rotation stopped after ${step} (fault injection)`);
    }
  };
}

export async function stagesOf(fixture: RotationFixture, arn: string): Promise<Record<string, string[]>> {
  return (await fixture.client.send(new DescribeSecretCommand({ SecretId: arn }))).VersionIdsToStages ?? {};
}

export async function currentValue(fixture: RotationFixture, arn: string, stage = 'AWSCURRENT') {
  const v = await fixture.client.send(new GetSecretValueCommand({ SecretId: arn, VersionStage: stage }));
  return { versionId: v.VersionId!, value: JSON.parse(v.SecretString!) as Record<string, unknown> };
}
