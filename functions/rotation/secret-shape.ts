/**
 * The database secret's JSON, as AWS's rotation templates define it: `engine`, `host`, `username`,
 * `password`, `dbname?`, `port?` (3306 / 5432), `ssl?`, and `masterarn` for alternating users.
 * Errors name the field and never quote a value (a value may be a password).
 */
export type EngineFamily = 'mysql' | 'postgres';

export interface DatabaseSecret {
  engine: string;
  family: EngineFamily;
  host: string;
  port: number;
  username: string;
  password: string;
  dbname?: string;
  /** TLS to the database, verified against the CA bundle (DB_TLS_CA_FILE) or Node's roots. */
  ssl: boolean;
  /** ARN of the secret of a user that can create users and grant (alternating-users strategy). */
  masterarn?: string;
  /** Every field, as read, so a rotation writes back what it does not change (e.g. dbClusterIdentifier). */
  raw: Record<string, unknown>;
}

const ENGINES: Record<string, EngineFamily> = {
  mysql: 'mysql',
  mariadb: 'mysql',
  'aurora-mysql': 'mysql',
  aurora: 'mysql',
  postgres: 'postgres',
  postgresql: 'postgres',
  'aurora-postgresql': 'postgres',
};

const DEFAULT_PORTS: Record<EngineFamily, number> = { mysql: 3306, postgres: 5432 };

/** Longest user name each engine accepts (MySQL ≥ 5.7.8: 32; MariaDB: 80; Postgres: 63 bytes). */
export function maxUsernameLength(engine: string): number {
  if (engine === 'mariadb') return 80;
  return ENGINES[engine] === 'postgres' ? 63 : 32;
}

export class SecretShapeError extends Error {
  override name = 'SecretShapeError';
}

export function parseDatabaseSecret(secretString: string | undefined, which: string): DatabaseSecret {
  if (secretString === undefined) throw new SecretShapeError(`${which}: the secret has no SecretString`);
  let raw: unknown;
  try {
    raw = JSON.parse(secretString);
  } catch {
    throw new SecretShapeError(`${which}: SecretString is not JSON`);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    throw new SecretShapeError(`${which}: SecretString is not a JSON object`);
  const o = raw as Record<string, unknown>;
  const text = (key: string, required: boolean): string | undefined => {
    const v = o[key];
    if (v === undefined || v === null || v === '') {
      if (required) throw new SecretShapeError(`${which}: "${key}" is missing`);
      return undefined;
    }
    if (typeof v !== 'string') throw new SecretShapeError(`${which}: "${key}" must be a string`);
    return v;
  };
  const engine = text('engine', true)!.toLowerCase();
  const family = ENGINES[engine];
  if (!family)
    throw new SecretShapeError(`${which}: "engine" must be one of ${Object.keys(ENGINES).join(', ')}`);
  const port = o.port === undefined || o.port === '' ? DEFAULT_PORTS[family] : Number(o.port);
  if (!Number.isInteger(port) || port < 1 || port > 65535)
    throw new SecretShapeError(`${which}: "port" must be an integer from 1 to 65535`);
  const ssl = o.ssl === undefined ? false : o.ssl === true || o.ssl === 'true';
  if (o.ssl !== undefined && typeof o.ssl !== 'boolean' && o.ssl !== 'true' && o.ssl !== 'false')
    throw new SecretShapeError(`${which}: "ssl" must be true or false`);
  const dbname = text('dbname', false);
  const masterarn = text('masterarn', false);
  return {
    engine,
    family,
    host: text('host', true)!,
    port,
    username: text('username', true)!,
    password: text('password', true)!,
    ...(dbname !== undefined ? { dbname } : {}),
    ssl,
    ...(masterarn !== undefined ? { masterarn } : {}),
    raw: o,
  };
}

/** The secret's JSON with a new user name and password, every other field kept. */
export function withCredentials(secret: DatabaseSecret, username: string, password: string): string {
  return JSON.stringify({ ...secret.raw, username, password });
}

const CLONE_SUFFIX = '_clone';

/** Alternating users: `app` ↔ `app_clone`, switched at each rotation. */
export function alternateUsername(username: string): string {
  return username.endsWith(CLONE_SUFFIX) ? username.slice(0, -CLONE_SUFFIX.length) : username + CLONE_SUFFIX;
}
