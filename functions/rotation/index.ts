import { readFileSync } from 'node:fs';
import { GetRandomPasswordCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { secretsManagerEndpoint } from './endpoint';
import { parseRotationEvent, rotate, RotationEventError, type RotationConfig } from './rotation-steps';

/**
 * Secrets Manager rotation function for MySQL / MariaDB and PostgreSQL credentials: single user, or
 * alternating users when the secret holds `masterarn`. Secrets Manager invokes it once per step
 * (createSecret, setSecret, testSecret, finishSecret); every step is safe to run again.
 *
 * Environment: SECRETS_MANAGER_ENDPOINT (e.g. the VPC interface endpoint's DNS name; see
 * secretsManagerEndpoint for its precedence), PASSWORD_LENGTH (32),
 * EXCLUDE_CHARACTERS (`/@"'\`), DB_TLS_CA_FILE (CA bundle when the secret says `ssl`),
 * DB_CONNECT_TIMEOUT_MS (5000).
 */
export function configFromEnv(env: NodeJS.ProcessEnv): RotationConfig & { endpoint?: string } {
  const integer = (name: string, fallback: number, min: number, max: number): number => {
    const raw = env[name];
    if (raw === undefined || raw === '') return fallback;
    const v = Number(raw);
    if (!Number.isInteger(v) || v < min || v > max)
      throw new Error(`${name} must be an integer from ${min} to ${max}`);
    return v;
  };
  const caFile = env.DB_TLS_CA_FILE;
  return {
    ...(secretsManagerEndpoint(env) ? { endpoint: secretsManagerEndpoint(env) } : {}),
    passwordLength: integer('PASSWORD_LENGTH', 32, 8, 4096),
    // AWS's default set: characters that break connection strings and shell quoting.
    excludeCharacters: env.EXCLUDE_CHARACTERS ?? '/@"\'\\',
    connect: {
      connectTimeoutMs: integer('DB_CONNECT_TIMEOUT_MS', 5000, 100, 60_000),
      ...(caFile ? { tlsCa: readFileSync(caFile, 'utf8') } : {}),
    },
    testAttempts: 3,
    testRetryDelayMs: 500,
  };
}

// Parsed once per execution environment; a bad variable fails every invoke with the same message.
let state: { client: SecretsManagerClient; config: RotationConfig } | undefined;

function init() {
  if (!state) {
    const { endpoint, ...config } = configFromEnv(process.env);
    state = { client: new SecretsManagerClient(endpoint ? { endpoint } : {}), config };
  }
  return state;
}

/**
 * `{"check": "secretsmanager"}`, to invoke by hand after a deploy: one GetRandomPassword with the
 * configured options proves the function reaches Secrets Manager (from a VPC, the most common reason
 * rotations time out) and may call it, without touching any secret. The password is discarded.
 */
export interface PreflightResult {
  check: 'secretsmanager';
  reachable: true;
  endpoint: string;
  passwordLength: number;
}

function isPreflight(event: unknown): boolean {
  if (typeof event !== 'object' || event === null || !('check' in event)) return false;
  if ((event as { check: unknown }).check !== 'secretsmanager')
    throw new RotationEventError('preflight event: "check" must be "secretsmanager"');
  return true;
}

async function preflight(): Promise<PreflightResult> {
  const { client, config } = init();
  const { RandomPassword } = await client.send(
    new GetRandomPasswordCommand({
      PasswordLength: config.passwordLength,
      ExcludeCharacters: config.excludeCharacters,
    }),
  );
  if (RandomPassword?.length !== config.passwordLength)
    throw new Error('GetRandomPassword did not return a password of PASSWORD_LENGTH characters');
  return {
    check: 'secretsmanager',
    reachable: true,
    endpoint: secretsManagerEndpoint(process.env) ?? 'the SDK default',
    passwordLength: config.passwordLength,
  };
}

export const handler = async (event: unknown): Promise<void | PreflightResult> => {
  if (isPreflight(event)) return preflight();
  const rotationEvent = parseRotationEvent(event);
  const { client, config } = init();
  console.log(
    `${rotationEvent.Step} for ${rotationEvent.SecretId}, version ${rotationEvent.ClientRequestToken}`,
  );
  await rotate(rotationEvent, { client, config, log: (m) => console.log(m) });
};

/** Tests: forget the parsed configuration and client, so the next invoke reads the environment again. */
export function resetForTests(): void {
  state?.client.destroy();
  state = undefined;
}
