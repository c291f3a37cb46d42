import { isIP } from 'node:net';
import { createHash, createHmac, pbkdf2Sync, randomBytes } from 'node:crypto';
import mysql from 'mysql2/promise';
import pg from 'pg';
import type { DatabaseSecret } from './secret-shape';

/**
 * What the rotation needs from a database, per engine family: log in with a secret, change the
 * logged-in user's own password (single user), create or update a user with the grants of another
 * (alternating users, as the master user), and run a query.
 */
export interface DatabaseSession {
  setOwnPassword(password: string): Promise<void>;
  upsertUserLike(username: string, password: string, templateUser: string): Promise<void>;
  check(): Promise<void>;
  /** Rows of `table` (`name` or `schema.name`, already validated as identifiers). */
  countRows(table: string): Promise<number>;
  close(): Promise<void>;
}

export interface ConnectOptions {
  /** PEM CA bundle for TLS (e.g. the RDS global bundle); Node's roots when absent. */
  tlsCa?: string;
  connectTimeoutMs: number;
}

/** A login that failed, with why: `authentication` (wrong user or password) or anything else. */
export class LoginError extends Error {
  override name = 'LoginError';
  constructor(
    readonly reason: 'authentication' | 'unreachable' | 'other',
    message: string,
  ) {
    super(message);
  }
}

export async function connect(secret: DatabaseSecret, options: ConnectOptions): Promise<DatabaseSession> {
  return secret.family === 'mysql' ? connectMysql(secret, options) : connectPostgres(secret, options);
}

const tlsOptions = (secret: DatabaseSecret, options: ConnectOptions) =>
  secret.ssl
    ? {
        rejectUnauthorized: true,
        // mysql2 checks the certificate's host name only when asked (pg always does), and only for a
        // DNS name: with an IP literal it would check "localhost" instead.
        verifyIdentity: isIP(secret.host) === 0,
        minVersion: 'TLSv1.2' as const,
        ...(options.tlsCa ? { ca: options.tlsCa } : {}),
      }
    : undefined;

const UNREACHABLE = new Set([
  'ECONNREFUSED',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENOTFOUND',
  'ECONNRESET',
  'EAI_AGAIN',
]);

function loginError(e: unknown, secret: DatabaseSecret, authCodes: Set<string>): LoginError {
  const err = e as { code?: string; message?: string };
  const code = err.code ?? '';
  const reason = authCodes.has(code) ? 'authentication' : UNREACHABLE.has(code) ? 'unreachable' : 'other';
  // Driver messages name the user and host, never the password.
  return new LoginError(
    reason,
    `log in as ${secret.username} to ${secret.engine} at ${secret.host}:${secret.port} failed (${code || 'error'}): ${err.message ?? String(e)}`,
  );
}

// ---------- MySQL / MariaDB (mysql2) ----------

const MYSQL_AUTH_CODES = new Set([
  'ER_ACCESS_DENIED_ERROR',
  'ER_DBACCESS_DENIED_ERROR',
  'ER_ACCOUNT_HAS_BEEN_LOCKED',
]);

async function connectMysql(secret: DatabaseSecret, options: ConnectOptions): Promise<DatabaseSession> {
  const ssl = tlsOptions(secret, options);
  let conn: mysql.Connection;
  try {
    conn = await mysql.createConnection({
      host: secret.host,
      port: secret.port,
      user: secret.username,
      password: secret.password,
      connectTimeout: options.connectTimeoutMs,
      ...(secret.dbname ? { database: secret.dbname } : {}),
      ...(ssl ? { ssl } : {}),
    });
  } catch (e) {
    throw loginError(e, secret, MYSQL_AUTH_CODES);
  }
  conn.on('error', () => undefined);
  /**
   * mysql2 attaches the finished SQL (the password filled in) to a failed query's error as `sql`,
   * and the Lambda runtime logs an error's enumerable fields: rethrow the server's message only.
   */
  const query = async <T extends mysql.RowDataPacket[] = mysql.RowDataPacket[]>(
    sql: string,
    values?: unknown[],
  ): Promise<[T, unknown]> => {
    try {
      return (await conn.query<T>(sql, values)) as [T, unknown];
    } catch (e) {
      const err = e as { code?: string; sqlMessage?: string; message?: string };
      // No `cause`: it would carry the driver's error, and with it the SQL, along.
      // eslint-disable-next-line preserve-caught-error
      throw new Error(
        `${secret.engine} refused a statement (${err.code ?? 'error'}): ${err.sqlMessage ?? err.message}`,
      );
    }
  };
  return {
    async setOwnPassword(password) {
      // A user may always set its own password with SET PASSWORD (ALTER USER needs CREATE USER on
      // MariaDB); it keeps the account's REQUIRE (TLS) options. MariaDB takes a hash unless PASSWORD().
      const [rows] = await query('SELECT VERSION() AS v');
      const mariadb = String(rows[0]?.v).includes('MariaDB');
      await query(mariadb ? 'SET PASSWORD = PASSWORD(?)' : 'SET PASSWORD = ?', [password]);
    },
    async upsertUserLike(username, password, templateUser) {
      const [accounts] = await query(
        'SELECT Host, ssl_type, ssl_cipher, x509_issuer, x509_subject FROM mysql.user WHERE User = ? ORDER BY Host = ? DESC',
        [templateUser, '%'],
      );
      const template = accounts[0];
      if (!template)
        throw new Error(
          `user ${templateUser} does not exist in ${secret.engine}, so its grants cannot be copied`,
        );
      const host = String(template.Host);
      const account = `${conn.escape(username)}@${conn.escape(host)}`;
      const [existing] = await query('SELECT 1 FROM mysql.user WHERE User = ? AND Host = ?', [
        username,
        host,
      ]);
      const verb = existing.length === 0 ? 'CREATE' : 'ALTER';
      await query(`${verb} USER ${account} IDENTIFIED BY ?${requireClause(conn, template)}`, [password]);
      const [grants] = await query(`SHOW GRANTS FOR ${conn.escape(templateUser)}@${conn.escape(host)}`);
      for (const row of grants) {
        const line = String(Object.values(row)[0]);
        const to = line.indexOf(' TO ');
        if (!line.startsWith('GRANT ') || to < 0 || line.startsWith('GRANT PROXY')) continue;
        const withGrantOption = line.includes(' WITH GRANT OPTION') ? ' WITH GRANT OPTION' : '';
        await query(`${line.slice(0, to)} TO ${account}${withGrantOption}`);
      }
    },
    async check() {
      await query('SELECT NOW()');
    },
    async countRows(table) {
      const name = table
        .split('.')
        .map((part) => conn.escapeId(part))
        .join('.');
      const [rows] = await query(`SELECT COUNT(*) AS n FROM ${name}`);
      return Number(rows[0]?.n);
    },
    async close() {
      await conn.end().catch(() => conn.destroy());
    },
  };
}

/** The template account's TLS requirement, copied to the new account. */
function requireClause(conn: mysql.Connection, account: mysql.RowDataPacket): string {
  switch (String(account.ssl_type ?? '')) {
    case 'ANY':
      return ' REQUIRE SSL';
    case 'X509':
      return ' REQUIRE X509';
    case 'SPECIFIED': {
      const parts: string[] = [];
      const text = (v: unknown) => (Buffer.isBuffer(v) ? v.toString('utf8') : String(v ?? ''));
      if (text(account.ssl_cipher)) parts.push(`CIPHER ${conn.escape(text(account.ssl_cipher))}`);
      if (text(account.x509_issuer)) parts.push(`ISSUER ${conn.escape(text(account.x509_issuer))}`);
      if (text(account.x509_subject)) parts.push(`SUBJECT ${conn.escape(text(account.x509_subject))}`);
      return parts.length ? ` REQUIRE ${parts.join(' AND ')}` : '';
    }
    default:
      return '';
  }
}

// ---------- PostgreSQL (pg) ----------

/** 28P01 invalid_password, 28000 invalid_authorization_specification (no such role, pg_hba). */
const POSTGRES_AUTH_CODES = new Set(['28P01', '28000']);

async function connectPostgres(secret: DatabaseSecret, options: ConnectOptions): Promise<DatabaseSession> {
  const ssl = tlsOptions(secret, options);
  const client = new pg.Client({
    host: secret.host,
    port: secret.port,
    user: secret.username,
    password: secret.password,
    database: secret.dbname ?? 'postgres',
    connectionTimeoutMillis: options.connectTimeoutMs,
    ...(ssl ? { ssl } : {}),
  });
  client.on('error', () => undefined);
  try {
    await client.connect();
  } catch (e) {
    await client.end().catch(() => undefined);
    throw loginError(e, secret, POSTGRES_AUTH_CODES);
  }
  // Utility statements take no parameters, so names are escaped by the driver, and passwords are
  // sent as the SCRAM verifier Postgres stores: no statement text (logs, pg_stat_statements) holds one.
  const role = (name: string) => client.escapeIdentifier(name);
  const passwordLiteral = (password: string) => client.escapeLiteral(postgresPassword(password));
  return {
    async setOwnPassword(password) {
      await client.query(`ALTER USER ${role(secret.username)} WITH PASSWORD ${passwordLiteral(password)}`);
    },
    async upsertUserLike(username, password, templateUser) {
      const exists = await client.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [username]);
      if (exists.rowCount === 0) {
        await client.query(`CREATE ROLE ${role(username)} WITH LOGIN PASSWORD ${passwordLiteral(password)}`);
      } else {
        await client.query(`ALTER ROLE ${role(username)} WITH LOGIN PASSWORD ${passwordLiteral(password)}`);
      }
      // Membership gives the new role every privilege of the current one (as AWS's template does).
      // Granted whenever neither role is yet a member of the other: a run cut short after CREATE ROLE
      // gets it on the re-run, and the reverse grant on the next rotation (circular) is never made.
      const related = await client.query(
        `SELECT 1 FROM pg_auth_members m JOIN pg_roles a ON a.oid = m.roleid JOIN pg_roles b ON b.oid = m.member
          WHERE (a.rolname = $1 AND b.rolname = $2) OR (a.rolname = $2 AND b.rolname = $1)`,
        [templateUser, username],
      );
      if (related.rowCount === 0) await client.query(`GRANT ${role(templateUser)} TO ${role(username)}`);
    },
    async check() {
      await client.query('SELECT NOW()');
    },
    async countRows(table) {
      const name = table.split('.').map(role).join('.');
      const result = await client.query<{ n: string }>(`SELECT COUNT(*) AS n FROM ${name}`);
      return Number(result.rows[0]?.n);
    },
    async close() {
      await client.end().catch(() => undefined);
    },
  };
}

/**
 * What goes in `PASSWORD '…'`: the SCRAM-SHA-256 verifier (RFC 5802/7677, as Postgres ≥ 10 stores
 * it) for printable ASCII passwords — all GetRandomPassword makes, for which SASLprep changes
 * nothing; any other password is sent as is, so Postgres applies SASLprep itself.
 */
export function postgresPassword(password: string, salt = randomBytes(16), iterations = 4096): string {
  if (!/^[\x20-\x7e]+$/.test(password)) return password;
  const salted = pbkdf2Sync(password, salt, iterations, 32, 'sha256');
  const clientKey = createHmac('sha256', salted).update('Client Key').digest();
  const storedKey = createHash('sha256').update(clientKey).digest();
  const serverKey = createHmac('sha256', salted).update('Server Key').digest();
  return `SCRAM-SHA-256$${iterations}:${salt.toString('base64')}$${storedKey.toString('base64')}:${serverKey.toString('base64')}`;
}
