/**
 * The deployed shape, end to end: template.yaml's DatabaseSecret, RotationFunction and
 * RecordCountFunction (with the cache extension layer), built and run in the local Lambda sandbox,
 * driven by the local cloud's RotateSecret exactly as Secrets Manager drives them (one invoke per
 * step), against a real MariaDB over TLS. The template sets SECRETS_MANAGER_ENDPOINT to AWS's
 * regional name: the rotation must still reach the local emulator (AWS_ENDPOINT_URL_SECRETS_MANAGER).
 */
import { cpSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DescribeSecretCommand,
  GetSecretValueCommand,
  RotateSecretCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { projectRoot, realTemplate } from '../../local/checks/test-fixtures';
import { LocalCloud } from '../../local/cloud/local-cloud';
import { LOCAL_CREDENTIALS } from '../../local/cloud/seed';
import { adminQuery, startMariaDb, type TestDatabase } from '../../local/databases/database-servers';
import { spawnedGroupIds, survivingGroups } from '../../local/sandbox/process-group';
import type { Template } from '../../local/template/template';

jest.setTimeout(180_000);

let db: TestDatabase | undefined;
let cloud: LocalCloud | undefined;
let root: string;

/** template.yaml with only the rotation's resources; the functions trust the test server's CA. */
function rotationTemplate(caFile: string): Template {
  const full = realTemplate();
  const ids = ['DatabaseSecret', 'RotationFunction', 'RecordCountFunction', 'CacheExtensionLayer'];
  const resources = Object.fromEntries(ids.map((id) => [id, structuredClone(full.Resources[id]!)]));
  for (const id of ['RotationFunction', 'RecordCountFunction']) {
    const props = resources[id]!.Properties!;
    delete props.VpcConfig;
    const env = props.Environment as { Variables: Record<string, unknown> };
    env.Variables.DB_TLS_CA_FILE = caFile;
  }
  return { ...full, Resources: resources };
}

beforeAll(async () => {
  db = await startMariaDb();
  root = mkdtempSync(join(tmpdir(), 'rotation-cloud-'));
  const caFile = join(root, 'ca.pem');
  writeFileSync(caFile, db.caCertificate);
  for (const dir of ['functions', 'extensions', 'layers'])
    cpSync(join(projectRoot, dir), join(root, dir), { recursive: true });
  symlinkSync(join(projectRoot, 'node_modules'), join(root, 'node_modules'));
  cloud = await LocalCloud.start({
    root,
    template: rotationTemplate(caFile),
    parameters: {
      DatabaseEngine: 'mariadb',
      DatabaseHost: db.host,
      DatabasePort: String(db.port),
      DatabaseName: 'appdb',
      DatabaseUsername: 'app',
    },
  });
  // CloudFormation generated the first password; the database user is created with it, as a DBA would.
  const secrets = new SecretsManagerClient({
    endpoint: cloud.endpoints.secretsmanager,
    region: 'us-east-1',
    credentials: LOCAL_CREDENTIALS,
  });
  const first = JSON.parse(
    (await secrets.send(new GetSecretValueCommand({ SecretId: 'record-count/database' }))).SecretString!,
  ) as { password: string };
  secrets.destroy();
  await adminQuery(db, [
    'CREATE DATABASE appdb',
    'CREATE TABLE appdb.items (id INT PRIMARY KEY)',
    'INSERT INTO appdb.items VALUES (1), (2), (3), (4)',
    `CREATE USER 'app'@'%' IDENTIFIED BY '${first.password.replace(/'/g, "''")}' REQUIRE SSL`,
    "GRANT SELECT ON appdb.* TO 'app'@'%'",
  ]);
}, 300_000);

afterAll(async () => {
  await cloud?.stop();
  await db?.stop();
  if (root) rmSync(root, { recursive: true, force: true });
  expect(survivingGroups(spawnedGroupIds.splice(0))).toEqual([]);
});

test('RotateSecret runs the built function step by step; record-count answers before and after', async () => {
  const secrets = new SecretsManagerClient({
    endpoint: cloud!.endpoints.secretsmanager,
    region: 'us-east-1',
    credentials: LOCAL_CREDENTIALS,
  });
  const count = async () => {
    const result = await cloud!.functions.get('RecordCountFunction')!.invoke('{}');
    expect(result.errorType).toBeUndefined();
    return JSON.parse(result.payload.toString('utf8')) as unknown;
  };
  // The preflight events `npm start -- --smoke` sends: no database needed.
  const preflight = await cloud!.functions.get('RotationFunction')!.invoke('{"check":"secretsmanager"}');
  expect(JSON.parse(preflight.payload.toString('utf8'))).toMatchObject({
    reachable: true,
    passwordLength: 32,
  });
  const check = await cloud!.functions.get('RecordCountFunction')!.invoke('{"check":"secret"}');
  expect(JSON.parse(check.payload.toString('utf8'))).toEqual({
    check: 'secret',
    secretSource: 'cache-extension',
    engine: 'mariadb',
    host: db!.host,
    port: db!.port,
    username: 'app',
    ssl: true,
  });
  expect(await count()).toEqual({ table: 'items', count: 4, secretSource: 'cache-extension' });
  const before = await secrets.send(new GetSecretValueCommand({ SecretId: 'record-count/database' }));

  const { VersionId } = await secrets.send(
    new RotateSecretCommand({
      SecretId: 'record-count/database',
      RotationLambdaARN: `arn:aws:lambda:us-east-1:123456789012:function:${cloud!.functions.get('RotationFunction')!.config.functionName}`,
      RotateImmediately: true,
    }),
  );

  const after = await secrets.send(new GetSecretValueCommand({ SecretId: 'record-count/database' }));
  expect(after.VersionId).toBe(VersionId);
  expect(after.VersionId).not.toBe(before.VersionId);
  const value = JSON.parse(after.SecretString!) as { username: string; password: string };
  expect(value.username).toBe('app');
  expect(value.password).toHaveLength(32);
  const stages = (await secrets.send(new DescribeSecretCommand({ SecretId: 'record-count/database' })))
    .VersionIdsToStages!;
  expect(stages[VersionId!]).toEqual(['AWSCURRENT']);
  expect(stages[before.VersionId!]).toEqual(['AWSPREVIOUS']);
  // The cache extension still holds the old secret (TTL 5m): the login fails, record-count refetches
  // past the cache and answers.
  expect(await count()).toEqual({ table: 'items', count: 4, secretSource: 'cache-extension' });
  secrets.destroy();
});
