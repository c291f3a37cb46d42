import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import {
  BatchGetSecretValueCommand,
  CancelRotateSecretCommand,
  CreateSecretCommand,
  DeleteSecretCommand,
  DescribeSecretCommand,
  GetRandomPasswordCommand,
  type GetRandomPasswordRequest,
  GetSecretValueCommand,
  ListSecretsCommand,
  ListSecretVersionIdsCommand,
  PutSecretValueCommand,
  RestoreSecretCommand,
  RotateSecretCommand,
  SecretsManagerClient,
  SecretsManagerServiceException,
  TagResourceCommand,
  UntagResourceCommand,
  UpdateSecretCommand,
  UpdateSecretVersionStageCommand,
  ReplicateSecretToRegionsCommand,
} from '@aws-sdk/client-secrets-manager';
import { startAwsJsonServer } from '../aws-json-protocol';
import { DIGITS, LOWERCASE, PUNCTUATION, UPPERCASE } from './password-generator';
import { AWSCURRENT, AWSPENDING, AWSPREVIOUS, DAY_MS, SecretStore, type Secret } from './secret-store';
import { secretsManagerService } from './secrets-manager-service';

const START = Date.UTC(2025, 2, 1, 10, 30, 15, 250);
let now = START;
const store = new SecretStore({ now: () => now });

/** What the local cloud would do in RotateSecret; each test sets it. */
let rotation: ((secret: Secret, token: string) => Promise<void>) | undefined;
const servers: Server[] = [];
let client: SecretsManagerClient;
let euClient: SecretsManagerClient;
let noRotationClient: SecretsManagerClient;
let endpoint: string;

const clientFor = (url: string, region = 'us-east-1') =>
  new SecretsManagerClient({
    endpoint: url,
    region,
    credentials: { accessKeyId: 'AKIDLOCALTEST', secretAccessKey: 'local-test-secret' },
    maxAttempts: 1,
  });

beforeAll(async () => {
  const withRotation = await startAwsJsonServer(
    secretsManagerService(store, {
      rotate: (secret, token) => {
        if (!rotation) throw new Error('this test did not expect a rotation');
        return rotation(secret, token);
      },
    }),
  );
  const withoutRotation = await startAwsJsonServer(secretsManagerService(store));
  servers.push(withRotation.server, withoutRotation.server);
  endpoint = withRotation.endpoint;
  client = clientFor(endpoint);
  euClient = clientFor(endpoint, 'eu-west-1');
  noRotationClient = clientFor(withoutRotation.endpoint);
});

afterAll(async () => {
  client.destroy();
  euClient.destroy();
  noRotationClient.destroy();
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
});

beforeEach(() => {
  now = START;
  rotation = undefined;
});

let counter = 0;
const uniqueName = (prefix: string) => `${prefix}/${++counter}`;

async function rejected(promise: Promise<unknown>): Promise<SecretsManagerServiceException> {
  try {
    await promise;
  } catch (e) {
    if (e instanceof SecretsManagerServiceException) return e;
    throw e;
  }
  throw new Error('expected the call to fail');
}

async function create(value = 'v1', name = uniqueName('app/db')) {
  const token = randomUUID();
  const out = await client.send(
    new CreateSecretCommand({ Name: name, SecretString: value, ClientRequestToken: token }),
  );
  return { name, token, arn: out.ARN! };
}

const stagesOf = async (secretId: string, c = client) =>
  (await c.send(new DescribeSecretCommand({ SecretId: secretId }))).VersionIdsToStages;

describe('CreateSecret and GetSecretValue', () => {
  it('creates a secret whose ARN ends in six random characters and reads it back by name', async () => {
    const token = randomUUID();
    const name = uniqueName('svc/password');
    const created = await client.send(
      new CreateSecretCommand({ Name: name, SecretString: 's3cret', ClientRequestToken: token }),
    );
    expect(created.ARN).toMatch(
      new RegExp(`^arn:aws:secretsmanager:us-east-1:123456789012:secret:${name}-[A-Za-z0-9]{6}$`),
    );
    expect(created).toMatchObject({ Name: name, VersionId: token });

    const got = await client.send(new GetSecretValueCommand({ SecretId: name }));
    expect(got).toMatchObject({
      ARN: created.ARN,
      Name: name,
      VersionId: token,
      SecretString: 's3cret',
      VersionStages: [AWSCURRENT],
      CreatedDate: new Date(START),
    });
    expect(got.SecretBinary).toBeUndefined();
  });

  it('finds a secret by full ARN and by partial ARN (without the random suffix)', async () => {
    const { arn, name } = await create('by-arn');
    const partial = arn.slice(0, -7);
    expect(partial.endsWith(name)).toBe(true);
    for (const SecretId of [arn, partial]) {
      expect((await client.send(new GetSecretValueCommand({ SecretId }))).SecretString).toBe('by-arn');
    }
    const wrongSuffix = await rejected(
      client.send(new GetSecretValueCommand({ SecretId: `${partial}-zzzzzz` })),
    );
    expect(wrongSuffix.name).toBe('ResourceNotFoundException');
  });

  it('keeps SecretBinary as bytes (base64 on the wire)', async () => {
    const bytes = new Uint8Array([0, 1, 2, 250, 255, 128, 64]);
    const name = uniqueName('bin');
    await client.send(new CreateSecretCommand({ Name: name, SecretBinary: bytes }));
    const got = await client.send(new GetSecretValueCommand({ SecretId: name }));
    expect(got.SecretString).toBeUndefined();
    expect([...got.SecretBinary!]).toEqual([...bytes]);
  });

  it('is idempotent for the same ClientRequestToken and value, and refuses a second create otherwise', async () => {
    const { name, token, arn } = await create('first');
    const again = await client.send(
      new CreateSecretCommand({ Name: name, SecretString: 'first', ClientRequestToken: token }),
    );
    expect(again).toMatchObject({ ARN: arn, Name: name, VersionId: token });

    const other = await rejected(client.send(new CreateSecretCommand({ Name: name, SecretString: 'first' })));
    expect(other.name).toBe('ResourceExistsException');
    expect(other.message).toBe(`The operation failed because the secret ${name} already exists.`);
    expect(other.$metadata.httpStatusCode).toBe(400);

    const changed = await rejected(
      client.send(new CreateSecretCommand({ Name: name, SecretString: 'second', ClientRequestToken: token })),
    );
    expect(changed.name).toBe('ResourceExistsException');
    expect(changed.message).toBe(
      `You can't use ClientRequestToken ${token} because that value is already in use for a version of secret ${arn}.`,
    );
  });

  it('creates a secret without a value: no version until PutSecretValue', async () => {
    const name = uniqueName('empty');
    const created = await client.send(new CreateSecretCommand({ Name: name, Description: 'later' }));
    expect(created.VersionId).toBeUndefined();
    expect(await stagesOf(name)).toEqual({});
    const missing = await rejected(client.send(new GetSecretValueCommand({ SecretId: name })));
    expect(missing.name).toBe('ResourceNotFoundException');
    expect(missing.message).toBe(
      "Secrets Manager can't find the specified secret value for staging label: AWSCURRENT",
    );

    // The first version always becomes AWSCURRENT, whatever stages the call names.
    const token = randomUUID();
    const put = await client.send(
      new PutSecretValueCommand({
        SecretId: name,
        SecretString: 'now',
        ClientRequestToken: token,
        VersionStages: ['CUSTOM'],
      }),
    );
    expect(put.VersionStages).toEqual(['CUSTOM', AWSCURRENT]);
    expect((await client.send(new GetSecretValueCommand({ SecretId: name }))).SecretString).toBe('now');
  });

  it('refuses invalid names, both value kinds at once and replica regions', async () => {
    const badName = await rejected(
      client.send(new CreateSecretCommand({ Name: 'has space', SecretString: 'x' })),
    );
    expect(badName.name).toBe('ValidationException');
    expect(badName.message).toBe(
      'Invalid name. Must be a valid name containing alphanumeric characters, or any of the following: -/_+=.@!',
    );

    const both = await rejected(
      client.send(
        new CreateSecretCommand({
          Name: uniqueName('both'),
          SecretString: 'x',
          SecretBinary: new Uint8Array([1]),
        }),
      ),
    );
    expect(both.name).toBe('InvalidParameterException');
    expect(both.message).toBe(
      "You can't specify both a binary secret value and a string secret value in the same secret.",
    );

    const replicated = await rejected(
      client.send(
        new CreateSecretCommand({
          Name: uniqueName('replicated'),
          SecretString: 'x',
          AddReplicaRegions: [{ Region: 'eu-west-1' }],
        }),
      ),
    );
    expect(replicated.name).toBe('ValidationException');
    expect(replicated.message).toMatch(/AddReplicaRegions isn't supported by the local Secrets Manager/);

    const shortToken = await rejected(
      client.send(
        new CreateSecretCommand({ Name: uniqueName('tok'), SecretString: 'x', ClientRequestToken: 'short' }),
      ),
    );
    expect(shortToken.name).toBe('ValidationException');
  });

  it('answers AWS messages for a missing secret, version or label', async () => {
    const missing = await rejected(client.send(new GetSecretValueCommand({ SecretId: 'no/such/secret' })));
    expect(missing.name).toBe('ResourceNotFoundException');
    expect(missing.message).toBe("Secrets Manager can't find the specified secret.");
    expect(missing.$metadata.httpStatusCode).toBe(400);

    const { name, token } = await create();
    const unknownVersion = randomUUID();
    const noVersion = await rejected(
      client.send(new GetSecretValueCommand({ SecretId: name, VersionId: unknownVersion })),
    );
    expect(noVersion.name).toBe('ResourceNotFoundException');
    expect(noVersion.message).toBe(
      `Secrets Manager can't find the specified secret value for VersionId: ${unknownVersion}`,
    );

    const noLabel = await rejected(
      client.send(new GetSecretValueCommand({ SecretId: name, VersionStage: AWSPENDING })),
    );
    expect(noLabel.message).toBe(
      "Secrets Manager can't find the specified secret value for staging label: AWSPENDING",
    );

    const mismatch = await rejected(
      client.send(new GetSecretValueCommand({ SecretId: name, VersionId: token, VersionStage: AWSPREVIOUS })),
    );
    expect(mismatch.name).toBe('InvalidRequestException');
    expect(mismatch.message).toBe(
      'You provided a VersionStage that is not associated to the provided VersionId.',
    );
  });

  it('keeps regions apart', async () => {
    const { name } = await create('us-only');
    const elsewhere = await rejected(euClient.send(new GetSecretValueCommand({ SecretId: name })));
    expect(elsewhere.name).toBe('ResourceNotFoundException');
  });
});

describe('PutSecretValue', () => {
  it('moves AWSCURRENT to the new version, the old current becomes AWSPREVIOUS, the one before is deprecated', async () => {
    const { name, token: v1 } = await create('one');
    const v2 = randomUUID();
    now += 1000;
    const put = await client.send(
      new PutSecretValueCommand({ SecretId: name, SecretString: 'two', ClientRequestToken: v2 }),
    );
    expect(put).toMatchObject({ Name: name, VersionId: v2, VersionStages: [AWSCURRENT] });
    expect(await stagesOf(name)).toEqual({ [v1]: [AWSPREVIOUS], [v2]: [AWSCURRENT] });

    const v3 = randomUUID();
    now += 1000;
    await client.send(
      new PutSecretValueCommand({ SecretId: name, SecretString: 'three', ClientRequestToken: v3 }),
    );
    expect(await stagesOf(name)).toEqual({ [v2]: [AWSPREVIOUS], [v3]: [AWSCURRENT] });
    expect(
      (await client.send(new GetSecretValueCommand({ SecretId: name, VersionStage: AWSPREVIOUS })))
        .SecretString,
    ).toBe('two');

    // v1 lost its last label: deprecated, hidden from DescribeSecret but still readable by id.
    expect(
      (await client.send(new GetSecretValueCommand({ SecretId: name, VersionId: v1 }))).SecretString,
    ).toBe('one');
    const listed = await client.send(new ListSecretVersionIdsCommand({ SecretId: name }));
    expect(listed.Versions!.map((v) => v.VersionId)).toEqual([v3, v2]);
    const all = await client.send(
      new ListSecretVersionIdsCommand({ SecretId: name, IncludeDeprecated: true }),
    );
    expect(all.Versions!.map((v) => [v.VersionId, v.VersionStages])).toEqual([
      [v3, [AWSCURRENT]],
      [v2, [AWSPREVIOUS]],
      [v1, undefined],
    ]);
  });

  it('is a no-op for the same token and value, and refuses the same token with another value', async () => {
    const { name, arn } = await create();
    const token = randomUUID();
    const first = await client.send(
      new PutSecretValueCommand({ SecretId: name, SecretString: 'same', ClientRequestToken: token }),
    );
    const before = await stagesOf(name);
    const again = await client.send(
      new PutSecretValueCommand({ SecretId: name, SecretString: 'same', ClientRequestToken: token }),
    );
    expect(again).toMatchObject({ ARN: first.ARN, VersionId: token, VersionStages: [AWSCURRENT] });
    expect(await stagesOf(name)).toEqual(before);

    const different = await rejected(
      client.send(
        new PutSecretValueCommand({ SecretId: name, SecretString: 'other', ClientRequestToken: token }),
      ),
    );
    expect(different.name).toBe('ResourceExistsException');
    expect(different.message).toBe(
      `You can't use ClientRequestToken ${token} because that value is already in use for a version of secret ${arn}.`,
    );
    const binaryInstead = await rejected(
      client.send(
        new PutSecretValueCommand({
          SecretId: name,
          SecretBinary: Buffer.from('same'),
          ClientRequestToken: token,
        }),
      ),
    );
    expect(binaryInstead.name).toBe('ResourceExistsException');
    expect((await client.send(new GetSecretValueCommand({ SecretId: name }))).SecretString).toBe('same');
  });

  it('attaches only the stages it names; a custom label moves from version to version', async () => {
    const { name, token: v1 } = await create('current');
    const v2 = randomUUID();
    const pending = await client.send(
      new PutSecretValueCommand({
        SecretId: name,
        SecretString: 'pending',
        ClientRequestToken: v2,
        VersionStages: [AWSPENDING, 'BLUE'],
      }),
    );
    expect(pending.VersionStages).toEqual([AWSPENDING, 'BLUE']);
    expect(await stagesOf(name)).toEqual({ [v1]: [AWSCURRENT], [v2]: [AWSPENDING, 'BLUE'] });
    expect((await client.send(new GetSecretValueCommand({ SecretId: name }))).SecretString).toBe('current');

    const v3 = randomUUID();
    await client.send(
      new PutSecretValueCommand({
        SecretId: name,
        SecretString: 'blue2',
        ClientRequestToken: v3,
        VersionStages: ['BLUE'],
      }),
    );
    expect(await stagesOf(name)).toEqual({ [v1]: [AWSCURRENT], [v2]: [AWSPENDING], [v3]: ['BLUE'] });
  });

  it('needs a value and an existing, live secret', async () => {
    const { name } = await create();
    const noValue = await rejected(client.send(new PutSecretValueCommand({ SecretId: name })));
    expect(noValue.name).toBe('InvalidRequestException');
    expect(noValue.message).toBe('You must provide either SecretString or SecretBinary.');
    const missing = await rejected(
      client.send(new PutSecretValueCommand({ SecretId: 'nope/x', SecretString: 'x' })),
    );
    expect(missing.name).toBe('ResourceNotFoundException');
  });

  it('keeps at most 100 versions, dropping the oldest deprecated ones', async () => {
    const { name, token: first } = await create('v0');
    const tokens = [first];
    for (let i = 1; i <= 102; i++) {
      now += 1000;
      const token = randomUUID();
      tokens.push(token);
      await client.send(
        new PutSecretValueCommand({ SecretId: name, SecretString: `v${i}`, ClientRequestToken: token }),
      );
    }
    const all = await client.send(
      new ListSecretVersionIdsCommand({ SecretId: name, IncludeDeprecated: true }),
    );
    expect(all.Versions).toHaveLength(100);
    expect(all.NextToken).toBeUndefined();
    expect(all.Versions!.map((v) => v.VersionId)).toEqual(tokens.slice(3).reverse());
    expect(await stagesOf(name)).toEqual({ [tokens[101]!]: [AWSPREVIOUS], [tokens[102]!]: [AWSCURRENT] });
    const dropped = await rejected(
      client.send(new GetSecretValueCommand({ SecretId: name, VersionId: first })),
    );
    expect(dropped.name).toBe('ResourceNotFoundException');

    const page = await client.send(
      new ListSecretVersionIdsCommand({ SecretId: name, IncludeDeprecated: true, MaxResults: 60 }),
    );
    const rest = await client.send(
      new ListSecretVersionIdsCommand({ SecretId: name, IncludeDeprecated: true, NextToken: page.NextToken }),
    );
    expect(page.Versions!.length + rest.Versions!.length).toBe(100);
  });
});

describe('the rotation protocol, step by step through the SDK', () => {
  it('createSecret, setSecret/testSecret, finishSecret as a rotation function does them', async () => {
    const { name, token: v1 } = await create(JSON.stringify({ username: 'app', password: 'old' }));
    await client.send(
      new RotateSecretCommand({
        SecretId: name,
        RotationLambdaARN: 'arn:aws:lambda:us-east-1:123456789012:function:rot',
        RotateImmediately: false,
        RotationRules: { AutomaticallyAfterDays: 30 },
      }),
    );
    const token = randomUUID();
    const before = await client.send(new DescribeSecretCommand({ SecretId: name }));
    expect(before.RotationEnabled).toBe(true);
    expect(before.VersionIdsToStages).toEqual({ [v1]: [AWSCURRENT] });

    // createSecret: the pending value does not exist yet…
    const current = await client.send(
      new GetSecretValueCommand({ SecretId: name, VersionStage: AWSCURRENT }),
    );
    const notYet = await rejected(
      client.send(new GetSecretValueCommand({ SecretId: name, VersionId: token, VersionStage: AWSPENDING })),
    );
    expect(notYet.name).toBe('ResourceNotFoundException');
    // …so generate a password and stage it AWSPENDING under the token.
    const { RandomPassword } = await client.send(
      new GetRandomPasswordCommand({ ExcludeCharacters: '/@"\'\\' }),
    );
    const pendingValue = JSON.stringify({ ...JSON.parse(current.SecretString!), password: RandomPassword });
    const put = await client.send(
      new PutSecretValueCommand({
        SecretId: name,
        ClientRequestToken: token,
        SecretString: pendingValue,
        VersionStages: [AWSPENDING],
      }),
    );
    expect(put.VersionStages).toEqual([AWSPENDING]);
    expect(await stagesOf(name)).toEqual({ [v1]: [AWSCURRENT], [token]: [AWSPENDING] });
    // A retried createSecret with the same token and value is harmless.
    await client.send(
      new PutSecretValueCommand({
        SecretId: name,
        ClientRequestToken: token,
        SecretString: pendingValue,
        VersionStages: [AWSPENDING],
      }),
    );

    // setSecret / testSecret read the pending value, by label and by token + label.
    for (const request of [
      { SecretId: name, VersionStage: AWSPENDING },
      { SecretId: name, VersionId: token, VersionStage: AWSPENDING },
    ]) {
      const pending = await client.send(new GetSecretValueCommand(request));
      expect(pending).toMatchObject({
        VersionId: token,
        SecretString: pendingValue,
        VersionStages: [AWSPENDING],
      });
    }
    // Clients still get the old value until finishSecret.
    expect((await client.send(new GetSecretValueCommand({ SecretId: name }))).VersionId).toBe(v1);

    // finishSecret: move AWSCURRENT to the token; the old version becomes AWSPREVIOUS.
    await client.send(
      new UpdateSecretVersionStageCommand({
        SecretId: name,
        VersionStage: AWSCURRENT,
        MoveToVersionId: token,
        RemoveFromVersionId: v1,
      }),
    );
    expect(await stagesOf(name)).toEqual({ [v1]: [AWSPREVIOUS], [token]: [AWSPENDING, AWSCURRENT] });
    const after = await client.send(new GetSecretValueCommand({ SecretId: name }));
    expect(after).toMatchObject({ VersionId: token, SecretString: pendingValue });
    expect(
      (await client.send(new GetSecretValueCommand({ SecretId: name, VersionStage: AWSPREVIOUS }))).VersionId,
    ).toBe(v1);

    // AWSPENDING on the AWSCURRENT version counts as a finished rotation; a next one can start.
    const next = randomUUID();
    await client.send(
      new PutSecretValueCommand({
        SecretId: name,
        ClientRequestToken: next,
        SecretString: 'n',
        VersionStages: [AWSPENDING],
      }),
    );
    expect(await stagesOf(name)).toEqual({
      [v1]: [AWSPREVIOUS],
      [token]: [AWSCURRENT],
      [next]: [AWSPENDING],
    });
    await client.send(
      new UpdateSecretVersionStageCommand({
        SecretId: name,
        VersionStage: AWSCURRENT,
        MoveToVersionId: next,
        RemoveFromVersionId: token,
      }),
    );
    expect(await stagesOf(name)).toEqual({ [token]: [AWSPREVIOUS], [next]: [AWSPENDING, AWSCURRENT] });
  });
});

describe('UpdateSecretVersionStage', () => {
  async function twoVersions() {
    const { name, token: v1 } = await create('a');
    const v2 = randomUUID();
    await client.send(
      new PutSecretValueCommand({
        SecretId: name,
        SecretString: 'b',
        ClientRequestToken: v2,
        VersionStages: ['STAGED'],
      }),
    );
    return { name, v1, v2 };
  }

  it('refuses to move a label held by another version unless RemoveFromVersionId names that version', async () => {
    const { name, v1, v2 } = await twoVersions();
    const noRemove = await rejected(
      client.send(
        new UpdateSecretVersionStageCommand({
          SecretId: name,
          VersionStage: AWSCURRENT,
          MoveToVersionId: v2,
        }),
      ),
    );
    expect(noRemove.name).toBe('InvalidParameterException');
    expect(noRemove.message).toBe(
      `The parameter RemoveFromVersionId can't be empty. Staging label AWSCURRENT is currently attached to version ${v1}, so you must explicitly reference that version in RemoveFromVersionId.`,
    );
    const wrongRemove = await rejected(
      client.send(
        new UpdateSecretVersionStageCommand({
          SecretId: name,
          VersionStage: AWSCURRENT,
          MoveToVersionId: v2,
          RemoveFromVersionId: v2,
        }),
      ),
    );
    expect(wrongRemove.name).toBe('InvalidParameterException');
    expect(wrongRemove.message).toContain(`currently attached to version ${v1}`);
    expect(await stagesOf(name)).toEqual({ [v1]: [AWSCURRENT], [v2]: ['STAGED'] });
  });

  it('attaches a free label without RemoveFromVersionId, removes labels, never removes AWSCURRENT alone', async () => {
    const { name, v1, v2 } = await twoVersions();
    await client.send(
      new UpdateSecretVersionStageCommand({ SecretId: name, VersionStage: 'GREEN', MoveToVersionId: v1 }),
    );
    // Moving a label onto the version that already has it is a no-op.
    await client.send(
      new UpdateSecretVersionStageCommand({ SecretId: name, VersionStage: 'GREEN', MoveToVersionId: v1 }),
    );
    expect(await stagesOf(name)).toEqual({ [v1]: [AWSCURRENT, 'GREEN'], [v2]: ['STAGED'] });

    await client.send(
      new UpdateSecretVersionStageCommand({
        SecretId: name,
        VersionStage: 'STAGED',
        RemoveFromVersionId: v2,
      }),
    );
    expect(await stagesOf(name)).toEqual({ [v1]: [AWSCURRENT, 'GREEN'] });

    const removeCurrent = await rejected(
      client.send(
        new UpdateSecretVersionStageCommand({
          SecretId: name,
          VersionStage: AWSCURRENT,
          RemoveFromVersionId: v1,
        }),
      ),
    );
    expect(removeCurrent.name).toBe('InvalidParameterException');
    expect(removeCurrent.message).toBe(
      'You can only move staging label AWSCURRENT to a different secret version. It can’t be completely removed.',
    );

    const neither = await rejected(
      client.send(new UpdateSecretVersionStageCommand({ SecretId: name, VersionStage: 'GREEN' })),
    );
    expect(neither.name).toBe('InvalidParameterException');
    const unknown = await rejected(
      client.send(
        new UpdateSecretVersionStageCommand({
          SecretId: name,
          VersionStage: 'GREEN',
          MoveToVersionId: randomUUID(),
        }),
      ),
    );
    expect(unknown.name).toBe('InvalidParameterException');
  });

  it('moving AWSCURRENT back makes the version it leaves AWSPREVIOUS and clears it from the target', async () => {
    const { name, v1, v2 } = await twoVersions();
    await client.send(
      new UpdateSecretVersionStageCommand({
        SecretId: name,
        VersionStage: AWSCURRENT,
        MoveToVersionId: v2,
        RemoveFromVersionId: v1,
      }),
    );
    expect(await stagesOf(name)).toEqual({ [v1]: [AWSPREVIOUS], [v2]: ['STAGED', AWSCURRENT] });
    await client.send(
      new UpdateSecretVersionStageCommand({
        SecretId: name,
        VersionStage: AWSCURRENT,
        MoveToVersionId: v1,
        RemoveFromVersionId: v2,
      }),
    );
    expect(await stagesOf(name)).toEqual({ [v1]: [AWSCURRENT], [v2]: ['STAGED', AWSPREVIOUS] });
  });
});

describe('DescribeSecret, UpdateSecret, tags', () => {
  it('reports metadata, tags and dates (LastAccessedDate is a day)', async () => {
    const name = uniqueName('described');
    const token = randomUUID();
    await client.send(
      new CreateSecretCommand({
        Name: name,
        Description: 'the database',
        KmsKeyId: 'alias/local',
        SecretString: 'x',
        ClientRequestToken: token,
        Tags: [
          { Key: 'team', Value: 'platform' },
          { Key: 'env', Value: 'dev' },
        ],
      }),
    );
    const fresh = await client.send(new DescribeSecretCommand({ SecretId: name }));
    expect(fresh).toMatchObject({
      Name: name,
      Description: 'the database',
      KmsKeyId: 'alias/local',
      Tags: [
        { Key: 'team', Value: 'platform' },
        { Key: 'env', Value: 'dev' },
      ],
      VersionIdsToStages: { [token]: [AWSCURRENT] },
      CreatedDate: new Date(START),
      LastChangedDate: new Date(START),
    });
    for (const absent of [
      'RotationEnabled',
      'RotationLambdaARN',
      'LastAccessedDate',
      'DeletedDate',
      'LastRotatedDate',
    ] as const)
      expect(fresh[absent]).toBeUndefined();

    now += 3 * DAY_MS;
    await client.send(new GetSecretValueCommand({ SecretId: name }));
    const read = await client.send(new DescribeSecretCommand({ SecretId: name }));
    expect(read.LastAccessedDate).toEqual(new Date(Date.UTC(2025, 2, 4)));

    await client.send(
      new TagResourceCommand({
        SecretId: name,
        Tags: [
          { Key: 'env', Value: 'prod' },
          { Key: 'cost', Value: 'x' },
        ],
      }),
    );
    await client.send(new UntagResourceCommand({ SecretId: name, TagKeys: ['team'] }));
    const tagged = await client.send(new DescribeSecretCommand({ SecretId: name }));
    expect(tagged.Tags).toEqual([
      { Key: 'env', Value: 'prod' },
      { Key: 'cost', Value: 'x' },
    ]);
    expect(tagged.LastChangedDate).toEqual(new Date(START + 3 * DAY_MS));

    const missingTags = await rejected(
      client.send(new TagResourceCommand({ SecretId: name, Tags: undefined })),
    );
    expect(missingTags.name).toBe('ValidationException');
  });

  it('UpdateSecret changes the description and, with a value, adds an AWSCURRENT version', async () => {
    const { name, token: v1 } = await create('old');
    const noValue = await client.send(new UpdateSecretCommand({ SecretId: name, Description: 'new text' }));
    expect(noValue.VersionId).toBeUndefined();
    const v2 = randomUUID();
    const withValue = await client.send(
      new UpdateSecretCommand({ SecretId: name, SecretString: 'new', ClientRequestToken: v2 }),
    );
    expect(withValue.VersionId).toBe(v2);
    const described = await client.send(new DescribeSecretCommand({ SecretId: name }));
    expect(described.Description).toBe('new text');
    expect(described.VersionIdsToStages).toEqual({ [v1]: [AWSPREVIOUS], [v2]: [AWSCURRENT] });
  });
});

const classes = { lower: LOWERCASE, upper: UPPERCASE, digit: DIGITS, punct: PUNCTUATION, space: ' ' };
type ClassName = keyof typeof classes;
const has = (password: string, c: ClassName) => [...password].some((ch) => classes[c].includes(ch));

async function passwords(request: GetRandomPasswordRequest, count: number): Promise<string[]> {
  return Promise.all(
    Array.from({ length: count }, async () => {
      const out = await client.send(new GetRandomPasswordCommand(request));
      return out.RandomPassword!;
    }),
  );
}

describe('GetRandomPassword', () => {
  it('uses the documented 32-character punctuation set: all of printable ASCII that is not a letter or digit', () => {
    const printable = Array.from({ length: 94 }, (_, i) => String.fromCharCode(33 + i)).join('');
    expect(PUNCTUATION).toHaveLength(32);
    expect(PUNCTUATION).toBe(printable.replace(/[A-Za-z0-9]/g, ''));
  });

  it('defaults to 32 characters with each of the four types and no space', async () => {
    for (const password of await passwords({}, 200)) {
      expect(password).toHaveLength(32);
      for (const c of ['lower', 'upper', 'digit', 'punct'] as const) expect(has(password, c)).toBe(true);
      expect(has(password, 'space')).toBe(false);
    }
  });

  it('draws from every allowed character', async () => {
    const seen = new Set((await passwords({ PasswordLength: 4096 }, 3)).join(''));
    expect(seen.size).toBe(94);
  });

  it('with the minimum length for the required types, holds exactly one of each', async () => {
    for (const password of await passwords({ PasswordLength: 4 }, 100)) {
      for (const chars of [LOWERCASE, UPPERCASE, DIGITS, PUNCTUATION])
        expect([...password].filter((ch) => chars.includes(ch))).toHaveLength(1);
    }
    const tooShort = await rejected(client.send(new GetRandomPasswordCommand({ PasswordLength: 3 })));
    expect(tooShort.name).toBe('InvalidParameterException');
    expect(tooShort.message).toBe('Password length is too short based on the required types.');
    const fine = await passwords({ PasswordLength: 3, ExcludePunctuation: true }, 20);
    for (const password of fine) expect(has(password, 'punct')).toBe(false);
  });

  it.each([
    ['ExcludeNumbers', 'digit'],
    ['ExcludePunctuation', 'punct'],
    ['ExcludeUppercase', 'upper'],
    ['ExcludeLowercase', 'lower'],
  ] as const)('%s leaves out that class and keeps the others', async (option, excluded) => {
    for (const password of await passwords({ [option]: true, PasswordLength: 24 }, 150)) {
      expect(has(password, excluded)).toBe(false);
      for (const c of ['lower', 'upper', 'digit', 'punct'] as const)
        if (c !== excluded) expect(has(password, c)).toBe(true);
    }
  });

  it('never uses ExcludeCharacters, even when they empty a whole class', async () => {
    const excluded = '/@"\'\\';
    for (const password of await passwords({ ExcludeCharacters: excluded }, 200)) {
      expect([...password].some((ch) => excluded.includes(ch))).toBe(false);
      expect(has(password, 'punct')).toBe(true);
    }
    for (const password of await passwords({ ExcludeCharacters: DIGITS, PasswordLength: 64 }, 50))
      expect(has(password, 'digit')).toBe(false);
  });

  it('IncludeSpace adds the space (unless ExcludeCharacters names it)', async () => {
    const [long] = await passwords({ PasswordLength: 4096, IncludeSpace: true }, 1);
    expect(has(long!, 'space')).toBe(true);
    const [none] = await passwords({ PasswordLength: 4096, IncludeSpace: true, ExcludeCharacters: ' ' }, 1);
    expect(has(none!, 'space')).toBe(false);
    const onlySpaces = await passwords(
      {
        PasswordLength: 5,
        IncludeSpace: true,
        ExcludeLowercase: true,
        ExcludeUppercase: true,
        ExcludeNumbers: true,
        ExcludePunctuation: true,
      },
      1,
    );
    expect(onlySpaces).toEqual(['     ']);
  });

  it('RequireEachIncludedType=false lets short passwords miss types', async () => {
    const [single] = await passwords({ PasswordLength: 1, RequireEachIncludedType: false }, 1);
    expect(single).toHaveLength(1);
    const four = await passwords({ PasswordLength: 4, RequireEachIncludedType: false }, 200);
    expect(four.some((p) => !(['lower', 'upper', 'digit', 'punct'] as const).every((c) => has(p, c)))).toBe(
      true,
    );
  });

  it('checks the length range and refuses options that exclude everything', async () => {
    expect((await passwords({ PasswordLength: 4096 }, 1))[0]).toHaveLength(4096);
    for (const PasswordLength of [0, 4097]) {
      const e = await rejected(client.send(new GetRandomPasswordCommand({ PasswordLength })));
      expect(e.name).toBe('ValidationException');
      expect(e.message).toContain(
        `Value '${PasswordLength}' at 'passwordLength' failed to satisfy constraint`,
      );
    }
    const nothing = await rejected(
      client.send(
        new GetRandomPasswordCommand({
          ExcludeLowercase: true,
          ExcludeUppercase: true,
          ExcludeNumbers: true,
          ExcludePunctuation: true,
        }),
      ),
    );
    expect(nothing.name).toBe('InvalidParameterException');
  });
});

describe('RotateSecret', () => {
  const lambdaArn = 'arn:aws:lambda:us-east-1:123456789012:function:rotate-db';

  /** A rotation function's four steps through the SDK, as the local cloud would run them. */
  function rotationFunction(steps: string[], failAt?: string) {
    return async (secret: Secret, token: string) => {
      for (const step of ['createSecret', 'setSecret', 'testSecret', 'finishSecret']) {
        const meta = await client.send(new DescribeSecretCommand({ SecretId: secret.arn }));
        if (!meta.RotationEnabled) throw new Error('rotation is not enabled');
        const stages = meta.VersionIdsToStages?.[token];
        if (!stages) throw new Error(`version ${token} has no stage for rotation`);
        if (stages.includes(AWSCURRENT)) return;
        if (!stages.includes(AWSPENDING)) throw new Error(`version ${token} is not AWSPENDING`);
        steps.push(step);
        if (step === failAt) throw new Error(`${step} failed`);
        if (step === 'createSecret') {
          await client.send(new GetSecretValueCommand({ SecretId: secret.arn, VersionStage: AWSCURRENT }));
          const pending = await rejected(
            client.send(
              new GetSecretValueCommand({ SecretId: secret.arn, VersionId: token, VersionStage: AWSPENDING }),
            ),
          );
          expect(pending.name).toBe('ResourceNotFoundException');
          const { RandomPassword } = await client.send(new GetRandomPasswordCommand({ PasswordLength: 20 }));
          await client.send(
            new PutSecretValueCommand({
              SecretId: secret.arn,
              ClientRequestToken: token,
              SecretString: `rotated:${RandomPassword}`,
              VersionStages: [AWSPENDING],
            }),
          );
        } else if (step === 'testSecret') {
          await client.send(
            new GetSecretValueCommand({ SecretId: secret.arn, VersionId: token, VersionStage: AWSPENDING }),
          );
        } else if (step === 'finishSecret') {
          const current = Object.entries(meta.VersionIdsToStages!).find(([, s]) =>
            s.includes(AWSCURRENT),
          )![0];
          await client.send(
            new UpdateSecretVersionStageCommand({
              SecretId: secret.arn,
              VersionStage: AWSCURRENT,
              MoveToVersionId: token,
              RemoveFromVersionId: current,
            }),
          );
        }
      }
    };
  }

  it('stages an empty AWSPENDING version under the token, calls the callback, records the schedule', async () => {
    const { name, arn, token: v1 } = await create('initial');
    const steps: string[] = [];
    const seen: { name: string; token: string; stages: unknown }[] = [];
    const run = rotationFunction(steps);
    rotation = async (secret, token) => {
      seen.push({ name: secret.name, token, stages: await stagesOf(secret.arn) });
      now += 5000;
      await run(secret, token);
    };
    const token = randomUUID();
    const out = await client.send(
      new RotateSecretCommand({
        SecretId: name,
        ClientRequestToken: token,
        RotationLambdaARN: lambdaArn,
        RotationRules: { AutomaticallyAfterDays: 30, Duration: '4h' },
      }),
    );
    expect(out).toEqual(expect.objectContaining({ ARN: arn, Name: name, VersionId: token }));
    expect(seen).toEqual([{ name, token, stages: { [v1]: [AWSCURRENT], [token]: [AWSPENDING] } }]);
    expect(steps).toEqual(['createSecret', 'setSecret', 'testSecret', 'finishSecret']);

    const described = await client.send(new DescribeSecretCommand({ SecretId: name }));
    expect(described).toMatchObject({
      RotationEnabled: true,
      RotationLambdaARN: lambdaArn,
      RotationRules: { AutomaticallyAfterDays: 30, Duration: '4h' },
      LastRotatedDate: new Date(START + 5000),
      NextRotationDate: new Date(START + 5000 + 30 * DAY_MS),
      VersionIdsToStages: { [v1]: [AWSPREVIOUS], [token]: [AWSPENDING, AWSCURRENT] },
    });
    expect((await client.send(new GetSecretValueCommand({ SecretId: name }))).SecretString).toMatch(
      /^rotated:.{20}$/,
    );

    // A second rotation reuses the stored function and rules; the SDK supplies the token.
    const second = await client.send(new RotateSecretCommand({ SecretId: arn }));
    expect(second.VersionId).toMatch(/^[0-9a-f-]{36}$/);
    expect(await stagesOf(name)).toEqual({
      [token]: [AWSPREVIOUS],
      [second.VersionId!]: [AWSPENDING, AWSCURRENT],
    });
  });

  it('refuses while AWSPENDING sits on a version that is not AWSCURRENT', async () => {
    const { name } = await create();
    const stuck = randomUUID();
    await client.send(
      new PutSecretValueCommand({
        SecretId: name,
        ClientRequestToken: stuck,
        SecretString: 'half',
        VersionStages: [AWSPENDING],
      }),
    );
    rotation = rotationFunction([]);
    const refused = await rejected(
      client.send(new RotateSecretCommand({ SecretId: name, RotationLambdaARN: lambdaArn })),
    );
    expect(refused.name).toBe('InvalidRequestException');
    expect(refused.message).toBe("A previous rotation isn't complete. That rotation will be reattempted.");

    await client.send(
      new UpdateSecretVersionStageCommand({
        SecretId: name,
        VersionStage: AWSPENDING,
        RemoveFromVersionId: stuck,
      }),
    );
    const ok = await client.send(new RotateSecretCommand({ SecretId: name, RotationLambdaARN: lambdaArn }));
    expect((await stagesOf(name))![ok.VersionId!]).toEqual([AWSPENDING, AWSCURRENT]);
  });

  it('a failed rotation still answers success (AWS rotates asynchronously) and blocks the next one', async () => {
    const { name, token: v1 } = await create('keep');
    const steps: string[] = [];
    rotation = rotationFunction(steps, 'setSecret');
    const errors = jest.spyOn(console, 'error').mockImplementation(() => undefined);
    try {
      const out = await client.send(
        new RotateSecretCommand({ SecretId: name, RotationLambdaARN: lambdaArn }),
      );
      expect(steps).toEqual(['createSecret', 'setSecret']);
      expect(errors).toHaveBeenCalledWith(expect.stringContaining('setSecret failed'));
      expect(await stagesOf(name)).toEqual({ [v1]: [AWSCURRENT], [out.VersionId!]: [AWSPENDING] });
      expect((await client.send(new GetSecretValueCommand({ SecretId: name }))).SecretString).toBe('keep');
      expect(store.find('us-east-1', name)!.lastRotationError).toMatchObject({
        token: out.VersionId,
        message: 'setSecret failed',
      });

      const blocked = await rejected(client.send(new RotateSecretCommand({ SecretId: name })));
      expect(blocked.message).toBe("A previous rotation isn't complete. That rotation will be reattempted.");

      const cancelled = await client.send(new CancelRotateSecretCommand({ SecretId: name }));
      expect(cancelled.VersionId).toBe(out.VersionId);
      const described = await client.send(new DescribeSecretCommand({ SecretId: name }));
      expect(described.RotationEnabled).toBe(false);
      expect(described.NextRotationDate).toBeUndefined();
      expect(described.RotationLambdaARN).toBe(lambdaArn);
    } finally {
      errors.mockRestore();
    }
  });

  it('without a rotation callback refuses to rotate now, but records a schedule with RotateImmediately=false', async () => {
    const { name, token: v1 } = await create();
    const refused = await rejected(
      noRotationClient.send(new RotateSecretCommand({ SecretId: name, RotationLambdaARN: lambdaArn })),
    );
    expect(refused.name).toBe('InvalidRequestException');
    expect(refused.message).toMatch(/^No rotation function runs in this local Secrets Manager/);
    expect(
      (await client.send(new DescribeSecretCommand({ SecretId: name }))).RotationEnabled,
    ).toBeUndefined();

    const scheduled = await noRotationClient.send(
      new RotateSecretCommand({
        SecretId: name,
        RotationLambdaARN: lambdaArn,
        RotateImmediately: false,
        RotationRules: { ScheduleExpression: 'rate(10 days)' },
      }),
    );
    expect(scheduled.VersionId).toBeUndefined();
    const described = await client.send(new DescribeSecretCommand({ SecretId: name }));
    expect(described).toMatchObject({
      RotationEnabled: true,
      RotationLambdaARN: lambdaArn,
      RotationRules: { ScheduleExpression: 'rate(10 days)' },
      NextRotationDate: new Date(START + 10 * DAY_MS),
      VersionIdsToStages: { [v1]: [AWSCURRENT] },
    });
    expect(described.LastRotatedDate).toBeUndefined();
  });

  it('needs a rotation function ARN and valid rules', async () => {
    const { name } = await create();
    rotation = rotationFunction([]);
    const noArn = await rejected(client.send(new RotateSecretCommand({ SecretId: name })));
    expect(noArn.name).toBe('InvalidRequestException');
    expect(noArn.message).toBe('No Lambda rotation function ARN is associated with this secret.');
    const badDays = await rejected(
      client.send(
        new RotateSecretCommand({
          SecretId: name,
          RotationLambdaARN: lambdaArn,
          RotationRules: { AutomaticallyAfterDays: 0 },
        }),
      ),
    );
    expect(badDays.name).toBe('ValidationException');
    const both = await rejected(
      client.send(
        new RotateSecretCommand({
          SecretId: name,
          RotationLambdaARN: lambdaArn,
          RotationRules: { AutomaticallyAfterDays: 3, ScheduleExpression: 'rate(3 days)' },
        }),
      ),
    );
    expect(both.name).toBe('InvalidParameterException');
  });
});

describe('BatchGetSecretValue', () => {
  it('returns the values it finds and an error entry for each id it cannot read', async () => {
    const a = await create('A');
    const b = await create('B');
    const out = await client.send(
      new BatchGetSecretValueCommand({ SecretIdList: [a.name, 'missing/secret', b.arn] }),
    );
    expect(out.SecretValues!.map((v) => [v.Name, v.SecretString, v.VersionStages])).toEqual([
      [a.name, 'A', [AWSCURRENT]],
      [b.name, 'B', [AWSCURRENT]],
    ]);
    expect(out.Errors).toEqual([
      {
        SecretId: 'missing/secret',
        ErrorCode: 'ResourceNotFoundException',
        Message: "Secrets Manager can't find the specified secret.",
      },
    ]);
  });

  it('selects by filters, page by page', async () => {
    const prefix = `batch${randomUUID().slice(0, 8)}`;
    for (const n of ['a', 'b', 'c']) await create(`value-${n}`, `${prefix}/${n}`);
    const first = await client.send(
      new BatchGetSecretValueCommand({ Filters: [{ Key: 'name', Values: [prefix] }], MaxResults: 2 }),
    );
    expect(first.SecretValues!.map((v) => v.SecretString)).toEqual(['value-a', 'value-b']);
    expect(first.NextToken).toBeDefined();
    const second = await client.send(
      new BatchGetSecretValueCommand({
        Filters: [{ Key: 'name', Values: [prefix] }],
        MaxResults: 2,
        NextToken: first.NextToken,
      }),
    );
    expect(second.SecretValues!.map((v) => v.SecretString)).toEqual(['value-c']);
    expect(second.NextToken).toBeUndefined();
  });

  it('needs exactly one of SecretIdList and Filters, and Filters with MaxResults', async () => {
    const neither = await rejected(client.send(new BatchGetSecretValueCommand({})));
    expect(neither.name).toBe('InvalidParameterException');
    const both = await rejected(
      client.send(
        new BatchGetSecretValueCommand({ SecretIdList: ['x'], Filters: [{ Key: 'name', Values: ['x'] }] }),
      ),
    );
    expect(both.message).toBe("Either 'SecretIdList' or 'Filters' must be provided, but not both.");
    const max = await rejected(
      client.send(new BatchGetSecretValueCommand({ SecretIdList: ['x'], MaxResults: 5 })),
    );
    expect(max.message).toBe(
      "'Filters' not specified. 'Filters' must also be specified when 'MaxResults' is provided.",
    );
  });
});

describe('ListSecrets (in its own region)', () => {
  it('pages, filters and sorts, leaving out secrets scheduled for deletion', async () => {
    const names = ['orders/db', 'orders/api-key', 'billing/db', 'Orders/legacy'];
    for (const [i, Name] of names.entries()) {
      now = START + i * 1000;
      await euClient.send(
        new CreateSecretCommand({
          Name,
          Description: i === 2 ? 'Billing database password' : undefined,
          Tags: [{ Key: 'team', Value: i < 2 ? 'orders' : 'billing' }],
        }),
      );
    }
    const collected: string[] = [];
    let NextToken: string | undefined;
    do {
      const page = await euClient.send(
        new ListSecretsCommand({ MaxResults: 3, NextToken, SortOrder: 'asc' }),
      );
      expect(page.SecretList!.length).toBeLessThanOrEqual(3);
      collected.push(...page.SecretList!.map((s) => s.Name!));
      NextToken = page.NextToken;
    } while (NextToken);
    expect(collected).toEqual(names);
    const desc = await euClient.send(new ListSecretsCommand({}));
    expect(desc.SecretList!.map((s) => s.Name)).toEqual([...names].reverse());

    const byFilter = async (Key: string, Values: string[]) =>
      (
        await euClient.send(
          new ListSecretsCommand({ Filters: [{ Key: Key as 'name', Values }], SortOrder: 'asc' }),
        )
      ).SecretList!.map((s) => s.Name);
    expect(await byFilter('name', ['orders/'])).toEqual(['orders/db', 'orders/api-key']);
    expect(await byFilter('name', ['!orders'])).toEqual(['billing/db', 'Orders/legacy']);
    expect(await byFilter('tag-value', ['bill'])).toEqual(['billing/db', 'Orders/legacy']);
    expect(await byFilter('description', ['database PASS'])).toEqual(['billing/db']);
    expect(await byFilter('all', ['legacy'])).toEqual(['Orders/legacy']);

    await euClient.send(new DeleteSecretCommand({ SecretId: 'billing/db' }));
    expect((await euClient.send(new ListSecretsCommand({}))).SecretList!.map((s) => s.Name)).not.toContain(
      'billing/db',
    );
    const withDeleted = await euClient.send(new ListSecretsCommand({ IncludePlannedDeletion: true }));
    const deleted = withDeleted.SecretList!.find((s) => s.Name === 'billing/db')!;
    expect(deleted.DeletedDate).toBeDefined();
    expect(deleted.SecretVersionsToStages).toEqual({});

    const badToken = await rejected(euClient.send(new ListSecretsCommand({ NextToken: 'bogus' })));
    expect(badToken.name).toBe('InvalidNextTokenException');
    const badKey = await rejected(
      euClient.send(new ListSecretsCommand({ Filters: [{ Key: 'colour' as 'name', Values: ['x'] }] })),
    );
    expect(badKey.name).toBe('ValidationException');
  });
});

describe('DeleteSecret and RestoreSecret', () => {
  it('schedules deletion with a recovery window; a deleted secret refuses reads and writes until restored', async () => {
    const { name, arn } = await create('precious');
    const deleted = await client.send(new DeleteSecretCommand({ SecretId: name, RecoveryWindowInDays: 7 }));
    expect(deleted).toMatchObject({ ARN: arn, Name: name, DeletionDate: new Date(START + 7 * DAY_MS) });

    const read = await rejected(client.send(new GetSecretValueCommand({ SecretId: name })));
    expect(read.name).toBe('InvalidRequestException');
    expect(read.message).toBe(
      "You can't perform this operation on the secret because it was marked for deletion.",
    );
    for (const call of [
      () => client.send(new PutSecretValueCommand({ SecretId: name, SecretString: 'x' })),
      () =>
        client.send(
          new UpdateSecretVersionStageCommand({
            SecretId: name,
            VersionStage: 'X',
            MoveToVersionId: randomUUID(),
          }),
        ),
      () =>
        client.send(
          new RotateSecretCommand({
            SecretId: name,
            RotationLambdaARN: 'arn:aws:lambda:us-east-1:123456789012:function:f',
          }),
        ),
      () => client.send(new TagResourceCommand({ SecretId: name, Tags: [{ Key: 'k', Value: 'v' }] })),
    ]) {
      expect((await rejected(call())).name).toBe('InvalidRequestException');
    }
    expect((await client.send(new DescribeSecretCommand({ SecretId: name }))).DeletedDate).toEqual(
      new Date(START),
    );

    const twice = await rejected(client.send(new DeleteSecretCommand({ SecretId: name })));
    expect(twice.message).toBe(
      "You tried to perform the operation on a secret that's currently marked deleted.",
    );
    const recreate = await rejected(client.send(new CreateSecretCommand({ Name: name, SecretString: 'x' })));
    expect(recreate.name).toBe('InvalidRequestException');
    expect(recreate.message).toBe(
      "You can't create this secret because a secret with this name is already scheduled for deletion.",
    );

    expect(await client.send(new RestoreSecretCommand({ SecretId: name }))).toMatchObject({
      ARN: arn,
      Name: name,
    });
    expect((await client.send(new GetSecretValueCommand({ SecretId: name }))).SecretString).toBe('precious');
    expect((await client.send(new DescribeSecretCommand({ SecretId: name }))).DeletedDate).toBeUndefined();
  });

  it('purges the secret when the recovery window ends, freeing the name', async () => {
    const { name } = await create();
    await client.send(new DeleteSecretCommand({ SecretId: name, RecoveryWindowInDays: 7 }));
    now += 7 * DAY_MS - 1;
    expect((await client.send(new DescribeSecretCommand({ SecretId: name }))).Name).toBe(name);
    now += 1;
    expect((await rejected(client.send(new DescribeSecretCommand({ SecretId: name })))).name).toBe(
      'ResourceNotFoundException',
    );
    await create('reborn', name);
  });

  it('ForceDeleteWithoutRecovery deletes at once; bad windows are refused', async () => {
    const { name, arn } = await create();
    const gone = await client.send(
      new DeleteSecretCommand({ SecretId: name, ForceDeleteWithoutRecovery: true }),
    );
    expect(gone.DeletionDate).toEqual(new Date(START));
    expect((await rejected(client.send(new GetSecretValueCommand({ SecretId: arn })))).name).toBe(
      'ResourceNotFoundException',
    );
    const again = await create('new', name);
    expect(again.arn).not.toBe(arn);

    for (const RecoveryWindowInDays of [6, 31]) {
      const bad = await rejected(
        client.send(new DeleteSecretCommand({ SecretId: name, RecoveryWindowInDays })),
      );
      expect(bad.name).toBe('InvalidParameterException');
      expect(bad.message).toBe('The RecoveryWindowInDays value must be between 7 and 30 days (inclusive).');
    }
    const both = await rejected(
      client.send(
        new DeleteSecretCommand({
          SecretId: name,
          RecoveryWindowInDays: 7,
          ForceDeleteWithoutRecovery: true,
        }),
      ),
    );
    expect(both.message).toBe(
      "You can't use ForceDeleteWithoutRecovery in conjunction with RecoveryWindowInDays.",
    );
  });
});

describe('the wire', () => {
  it('answers a malformed JSON body with 400 SerializationException', async () => {
    const res = await fetch(endpoint, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/x-amz-json-1.1',
        'X-Amz-Target': 'secretsmanager.GetSecretValue',
        Authorization:
          'AWS4-HMAC-SHA256 Credential=AKIDLOCALTEST/20250301/us-east-1/secretsmanager/aws4_request, SignedHeaders=host, Signature=0',
      },
      body: '{"SecretId": ',
    });
    expect(res.status).toBe(400);
    expect(res.headers.get('x-amzn-errortype')).toBe('SerializationException');
    expect(((await res.json()) as { __type: string }).__type).toBe('SerializationException');
  });

  it('answers a wrongly typed member with SerializationException', async () => {
    const res = await fetch(endpoint, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/x-amz-json-1.1',
        'X-Amz-Target': 'secretsmanager.GetRandomPassword',
        Authorization:
          'AWS4-HMAC-SHA256 Credential=AKIDLOCALTEST/20250301/us-east-1/secretsmanager/aws4_request, SignedHeaders=host, Signature=0',
      },
      body: JSON.stringify({ PasswordLength: '12' }),
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { __type: string }).__type).toBe('SerializationException');
  });
});

describe('SecretStore', () => {
  it('refuses a version that would leave more labelled versions than the quota, changing nothing', () => {
    const small = new SecretStore({ maxVersions: 2 });
    const secret = small.create('us-east-1', { name: 'tiny' });
    small.writeVersion(secret, 'a'.repeat(32), { SecretString: 'a' }, [AWSCURRENT]);
    small.writeVersion(secret, 'b'.repeat(32), { SecretString: 'b' }, ['ONE']);
    let refusal: unknown;
    try {
      small.writeVersion(secret, 'c'.repeat(32), { SecretString: 'c' }, ['TWO']);
    } catch (e) {
      refusal = e;
    }
    expect(refusal).toMatchObject({ code: 'LimitExceededException' });
    expect([...secret.versions.keys()]).toEqual(['a'.repeat(32), 'b'.repeat(32)]);
    // Taking a label away from the new version's rival is fine: the deprecated one is dropped.
    small.writeVersion(secret, 'c'.repeat(32), { SecretString: 'c' }, ['ONE']);
    expect([...secret.versions.entries()].map(([id, v]) => [id[0], v.stages])).toEqual([
      ['a', [AWSCURRENT]],
      ['c', ['ONE']],
    ]);
  });
});

describe('operations the emulator does not implement', () => {
  it('answers them with an explicit error, never a silent success', async () => {
    const err = (await client
      .send(
        new ReplicateSecretToRegionsCommand({ SecretId: 'x', AddReplicaRegions: [{ Region: 'eu-west-1' }] }),
      )
      .catch((e: unknown) => e)) as { name: string; $metadata: { httpStatusCode?: number } };
    expect(err.name).toBe('UnknownOperationException');
    expect(err.$metadata.httpStatusCode).toBe(400);
  });
});
