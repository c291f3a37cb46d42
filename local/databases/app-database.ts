import type { Template } from '../template/template';
import { adminQuery, findMariadbd, startMariaDb, type TestDatabase } from './database-servers';

/**
 * The database template.yaml's secret rotation is for (DatabaseSecret, RotationFunction,
 * RecordCountFunction), run by `npm start` when the machine has MariaDB: a throwaway server on
 * loopback with TLS, given to the template through its `Database*` parameters, then prepared the way
 * the README asks a DBA to prepare the real one once the stack exists: the database, a sample table,
 * and the secret's user with the password CloudFormation generated.
 */
export interface AppDatabase {
  server: TestDatabase;
  /** Template parameters pointing DatabaseSecret at this server. */
  parameters: Record<string, string>;
  /** For every function: trust the server's self-signed CA (`ssl: true` in the secret). */
  environment: Record<string, string>;
  stop(): Promise<void>;
}

/** The template's secret for the database, and the function that counts rows with it. */
export const DATABASE_SECRET = 'DatabaseSecret';
export const COUNTING_FUNCTION = 'RecordCountFunction';

/** What the template must have for the local database to mean anything. */
const PARAMETERS = ['DatabaseEngine', 'DatabaseHost', 'DatabasePort'];

/** Why `npm start` runs no database, or undefined when it can. */
export function noAppDatabaseReason(template: Template): string | undefined {
  const missing = [
    ...PARAMETERS.filter((p) => !template.Parameters?.[p]).map((p) => `parameter ${p}`),
    ...[DATABASE_SECRET, COUNTING_FUNCTION].filter((id) => !template.Resources[id]),
  ];
  if (missing.length) return `template.yaml has no ${missing.join(', ')}`;
  if (!findMariadbd()) return 'no mariadbd on this machine: apt-get install mariadb-server (or set MARIADBD)';
  return undefined;
}

export async function startAppDatabase(): Promise<AppDatabase> {
  const server = await startMariaDb();
  return {
    server,
    parameters: { DatabaseEngine: 'mariadb', DatabaseHost: server.host, DatabasePort: String(server.port) },
    environment: { DB_TLS_CA_FILE: server.caFile },
    stop: () => server.stop(),
  };
}

export interface DatabaseSecretValue {
  dbname: string;
  username: string;
  password: string;
}

const ROWS = 4;

/**
 * The database and `table` (ROWS sample rows), and the secret's user with its current password,
 * TLS required, allowed to read the database. Single-user rotation changes its own password.
 */
export async function prepareAppDatabase(
  db: AppDatabase,
  secret: DatabaseSecretValue,
  table: string,
): Promise<{ rows: number }> {
  const identifier = (name: string, what: string) => {
    if (!/^[A-Za-z_][A-Za-z0-9_]{0,63}$/.test(name))
      throw new Error(`the ${what} "${name}" is not a plain SQL identifier`);
    return `\`${name}\``;
  };
  const database = identifier(secret.dbname, 'secret’s dbname');
  const user = `${identifier(secret.username, 'secret’s username')}@'%'`;
  await adminQuery(db.server, [
    `CREATE DATABASE ${database}`,
    `CREATE TABLE ${database}.${identifier(table, 'table')} (id INT PRIMARY KEY)`,
    `INSERT INTO ${database}.${identifier(table, 'table')} VALUES ${Array.from({ length: ROWS }, (_, i) => `(${i + 1})`).join(', ')}`,
    // The password as a value the client escapes (adminQuery drops the SQL an error would carry).
    { sql: `CREATE USER ${user} IDENTIFIED BY ? REQUIRE SSL`, values: [secret.password] },
    `GRANT SELECT ON ${database}.* TO ${user}`,
  ]);
  return { rows: ROWS };
}
