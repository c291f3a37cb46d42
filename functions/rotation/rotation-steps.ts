import {
  DescribeSecretCommand,
  GetRandomPasswordCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  ResourceNotFoundException,
  UpdateSecretVersionStageCommand,
  type SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { connect, LoginError, type ConnectOptions, type DatabaseSession } from './database';
import {
  alternateUsername,
  maxUsernameLength,
  parseDatabaseSecret,
  withCredentials,
  type DatabaseSecret,
} from './secret-shape';

export const STEPS = ['createSecret', 'setSecret', 'testSecret', 'finishSecret'] as const;
export type Step = (typeof STEPS)[number];

export interface RotationEvent {
  Step: Step;
  SecretId: string;
  ClientRequestToken: string;
  RotationToken?: string;
}

export interface RotationConfig {
  passwordLength: number;
  excludeCharacters: string;
  connect: ConnectOptions;
  /** testSecret's attempts, for a password change that takes a moment to reach every node. */
  testAttempts: number;
  testRetryDelayMs: number;
}

export interface RotationContext {
  client: SecretsManagerClient;
  config: RotationConfig;
  log: (message: string) => void;
}

const CURRENT = 'AWSCURRENT';
const PENDING = 'AWSPENDING';
const PREVIOUS = 'AWSPREVIOUS';

export class RotationEventError extends Error {
  override name = 'RotationEventError';
}

/** The event as Secrets Manager sends it; anything else fails naming the field. */
export function parseRotationEvent(event: unknown): RotationEvent {
  if (typeof event !== 'object' || event === null || Array.isArray(event))
    throw new RotationEventError(
      'rotation event must be a JSON object with Step, SecretId and ClientRequestToken',
    );
  const e = event as Record<string, unknown>;
  const text = (key: string): string => {
    const v = e[key];
    if (typeof v !== 'string' || v.trim() === '')
      throw new RotationEventError(`rotation event: "${key}" must be a non-empty string`);
    return v;
  };
  const step = text('Step');
  if (!(STEPS as readonly string[]).includes(step))
    throw new RotationEventError(`rotation event: "Step" must be one of ${STEPS.join(', ')}`);
  const token = text('ClientRequestToken');
  if (token.length < 32 || token.length > 64)
    throw new RotationEventError('rotation event: "ClientRequestToken" must be 32 to 64 characters');
  return {
    Step: step as Step,
    SecretId: text('SecretId'),
    ClientRequestToken: token,
    ...(typeof e.RotationToken === 'string' ? { RotationToken: e.RotationToken } : {}),
  };
}

/** Runs one step after the protocol's checks on the secret's rotation state. */
export async function rotate(event: RotationEvent, ctx: RotationContext): Promise<void> {
  const { SecretId: arn, ClientRequestToken: token, Step: step } = event;
  const metadata = await ctx.client.send(new DescribeSecretCommand({ SecretId: arn }));
  if (!metadata.RotationEnabled) throw new Error(`secret ${arn} is not enabled for rotation`);
  const stages = metadata.VersionIdsToStages ?? {};
  const tokenStages = stages[token];
  if (!tokenStages) throw new Error(`secret version ${token} has no stage for rotation of secret ${arn}`);
  if (tokenStages.includes(CURRENT)) {
    // A finishSecret stopped between its two calls left AWSPENDING beside AWSCURRENT: finish it.
    if (step === 'finishSecret' && tokenStages.includes(PENDING)) {
      await removePending(arn, token, ctx);
      ctx.log(`finishSecret: version ${token} was already AWSCURRENT for ${arn}; removed its AWSPENDING`);
      return;
    }
    ctx.log(`${step}: version ${token} is already AWSCURRENT for ${arn}; nothing to do`);
    return;
  }
  if (!tokenStages.includes(PENDING))
    throw new Error(`secret version ${token} is not set as AWSPENDING for rotation of secret ${arn}`);

  switch (step) {
    case 'createSecret':
      return createSecret(arn, token, ctx);
    case 'setSecret':
      return setSecret(arn, token, ctx);
    case 'testSecret':
      return testSecret(arn, token, ctx);
    case 'finishSecret':
      return finishSecret(arn, token, stages, ctx);
  }
}

async function getSecret(
  ctx: RotationContext,
  arn: string,
  stage: string,
  token?: string,
): Promise<DatabaseSecret> {
  const value = await ctx.client.send(
    new GetSecretValueCommand({ SecretId: arn, VersionStage: stage, ...(token ? { VersionId: token } : {}) }),
  );
  return parseDatabaseSecret(value.SecretString, `${arn} (${stage})`);
}

async function getSecretIfExists(ctx: RotationContext, arn: string, stage: string, token?: string) {
  try {
    return await getSecret(ctx, arn, stage, token);
  } catch (e) {
    if (e instanceof ResourceNotFoundException) return undefined;
    throw e;
  }
}

/** createSecret: a new password (and, alternating, the other user) staged AWSPENDING under the token. */
async function createSecret(arn: string, token: string, ctx: RotationContext): Promise<void> {
  const current = await getSecret(ctx, arn, CURRENT);
  if (await getSecretIfExists(ctx, arn, PENDING, token)) {
    ctx.log(`createSecret: version ${token} of ${arn} already holds a pending secret`);
    return;
  }
  const username = current.masterarn ? alternateUsername(current.username) : current.username;
  if (username.length > maxUsernameLength(current.engine))
    throw new Error(
      `user name ${username} is longer than ${current.engine} allows (${maxUsernameLength(current.engine)}); shorten ${current.username}`,
    );
  const { RandomPassword: password } = await ctx.client.send(
    new GetRandomPasswordCommand({
      PasswordLength: ctx.config.passwordLength,
      ExcludeCharacters: ctx.config.excludeCharacters,
    }),
  );
  if (!password) throw new Error('GetRandomPassword returned no password');
  // Same token + same value is a no-op; a concurrent different value fails (ResourceExistsException).
  await ctx.client.send(
    new PutSecretValueCommand({
      SecretId: arn,
      ClientRequestToken: token,
      SecretString: withCredentials(current, username, password),
      VersionStages: [PENDING],
    }),
  );
  ctx.log(`createSecret: put a new pending secret for ${username} in version ${token} of ${arn}`);
}

/** setSecret: makes the database accept the pending credentials. */
async function setSecret(arn: string, token: string, ctx: RotationContext): Promise<void> {
  const pending = await getSecret(ctx, arn, PENDING, token);
  const current = await getSecret(ctx, arn, CURRENT);
  assertSameDatabase(pending, current, 'AWSPENDING', 'AWSCURRENT');

  if (current.masterarn) {
    // Always the other user, never the live one: altering AWSCURRENT's user before testSecret could
    // leave AWSCURRENT unusable. And always applied in full (it is idempotent): a pending user that
    // already logs in may still lack the grants of a run cut short half way.
    const alternate = alternateUsername(current.username);
    if (pending.username !== alternate)
      throw new Error(
        `AWSPENDING user ${pending.username} is not ${alternate}, the alternate of ${current.username}`,
      );
    const master = parseDatabaseSecret(
      (await ctx.client.send(new GetSecretValueCommand({ SecretId: current.masterarn }))).SecretString,
      `master secret ${current.masterarn}`,
    );
    assertSameDatabase(master, current, 'the master secret', 'AWSCURRENT');
    const session = await connect(master, ctx.config.connect);
    try {
      await session.upsertUserLike(pending.username, pending.password, current.username);
    } finally {
      await session.close();
    }
    ctx.log(`setSecret: user ${pending.username} set with the grants of ${current.username} for ${arn}`);
    return;
  }

  const already = await tryLogin(pending, ctx);
  if (already) {
    await already.close();
    ctx.log(`setSecret: the pending secret of ${arn} already logs in; nothing to do`);
    return;
  }
  if (pending.username !== current.username)
    throw new Error(`AWSPENDING user ${pending.username} differs from AWSCURRENT user ${current.username}`);
  // The password may already have changed in a run that stopped before finishSecret: then only
  // AWSPREVIOUS (or nothing) still logs in, so try it after AWSCURRENT.
  let session = await tryLogin(current, ctx);
  if (!session) {
    const previous = await getSecretIfExists(ctx, arn, PREVIOUS);
    if (previous && previous.username === current.username) {
      assertSameDatabase(previous, current, 'AWSPREVIOUS', 'AWSCURRENT');
      session = await tryLogin(previous, ctx);
    }
  }
  if (!session) {
    // Name why: a wrong password and an unreachable database need different fixes.
    await connect(current, ctx.config.connect).then((s) => s.close());
    throw new Error(
      `setSecret: cannot log in to ${current.host} with the current or previous secret of ${arn}`,
    );
  }
  try {
    await session.setOwnPassword(pending.password);
  } finally {
    await session.close();
  }
  ctx.log(`setSecret: password of ${pending.username} changed for ${arn}`);
}

/** testSecret: the pending credentials log in and run a query. */
async function testSecret(arn: string, token: string, ctx: RotationContext): Promise<void> {
  const pending = await getSecret(ctx, arn, PENDING, token);
  let lastError: unknown;
  for (let attempt = 1; attempt <= ctx.config.testAttempts; attempt++) {
    try {
      const session = await connect(pending, ctx.config.connect);
      try {
        await session.check();
      } finally {
        await session.close();
      }
      ctx.log(`testSecret: the pending secret of ${arn} logs in and queries`);
      return;
    } catch (e) {
      lastError = e;
      if (attempt < ctx.config.testAttempts) await sleep(ctx.config.testRetryDelayMs);
    }
  }
  throw new Error(
    `testSecret: the pending secret of ${arn} does not work: ${lastError instanceof Error ? lastError.message : String(lastError)}`,
  );
}

/** finishSecret: AWSCURRENT moves to the token (the old version becomes AWSPREVIOUS); AWSPENDING is removed. */
async function finishSecret(
  arn: string,
  token: string,
  stages: Record<string, string[]>,
  ctx: RotationContext,
): Promise<void> {
  const currentVersion = Object.entries(stages).find(([, s]) => s.includes(CURRENT))?.[0];
  await ctx.client.send(
    new UpdateSecretVersionStageCommand({
      SecretId: arn,
      VersionStage: CURRENT,
      MoveToVersionId: token,
      ...(currentVersion ? { RemoveFromVersionId: currentVersion } : {}),
    }),
  );
  await removePending(arn, token, ctx);
  ctx.log(`finishSecret: version ${token} is now AWSCURRENT for ${arn} (was ${currentVersion ?? 'none'})`);
}

/** Leaves AWSPENDING nowhere, so the next RotateSecret never sees an unfinished rotation. */
async function removePending(arn: string, token: string, ctx: RotationContext): Promise<void> {
  await ctx.client.send(
    new UpdateSecretVersionStageCommand({ SecretId: arn, VersionStage: PENDING, RemoveFromVersionId: token }),
  );
}

/** A rotation must never point a secret at another database than the one it rotates. */
function assertSameDatabase(a: DatabaseSecret, b: DatabaseSecret, aName: string, bName: string): void {
  if (a.family !== b.family || a.host !== b.host || a.port !== b.port)
    throw new Error(`${aName} and ${bName} name different databases (engine, host or port differ)`);
}

/** A session, or undefined when the database refuses the credentials; other failures throw. */
async function tryLogin(secret: DatabaseSecret, ctx: RotationContext): Promise<DatabaseSession | undefined> {
  try {
    return await connect(secret, ctx.config.connect);
  } catch (e) {
    if (e instanceof LoginError && e.reason === 'authentication') return undefined;
    throw e;
  }
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
