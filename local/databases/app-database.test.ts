import mysql from 'mysql2/promise';
import { prepareAppDatabase, startAppDatabase, type AppDatabase } from './app-database';

/** The rotation sample's database as `npm start` runs it: a real MariaDB. */
let db: AppDatabase;
beforeAll(async () => {
  db = await startAppDatabase();
}, 120_000);
afterAll(() => db?.stop());

const connect = (user: string, password: string) =>
  mysql.createConnection({
    host: db.server.host,
    port: db.server.port,
    user,
    password,
    ssl: { ca: db.server.caCertificate },
  });

describe('the rotation sample’s database', () => {
  it('lets nobody in as root over TCP (mariadb-install-db made root passwordless there)', async () => {
    await expect(connect('root', '')).rejects.toMatchObject({ code: 'ER_ACCESS_DENIED_ERROR' });
  });

  it('points the template at itself, and trusts its CA through DB_TLS_CA_FILE', () => {
    expect(db.parameters).toEqual({
      DatabaseEngine: 'mariadb',
      DatabaseHost: '127.0.0.1',
      DatabasePort: String(db.server.port),
    });
    expect(db.environment).toEqual({ DB_TLS_CA_FILE: db.server.caFile });
  });

  it('creates the table and the secret’s user with its password as given, TLS required', async () => {
    const password = `it's a \\ "tricky" one`;
    expect(await prepareAppDatabase(db, { dbname: 'app', username: 'app', password }, 'items')).toEqual({
      rows: 4,
    });
    const c = await connect('app', password);
    try {
      const [rows] = await c.query('SELECT COUNT(*) AS n FROM app.items');
      expect(rows).toEqual([{ n: 4 }]);
      const [tls] = await c.query("SHOW STATUS LIKE 'Ssl_cipher'");
      expect((tls as Array<{ Value: string }>)[0]!.Value).not.toBe('');
    } finally {
      await c.end();
    }
    await expect(
      mysql.createConnection({ host: db.server.host, port: db.server.port, user: 'app', password }),
    ).rejects.toMatchObject({ code: 'ER_ACCESS_DENIED_ERROR' });
  });

  it('refuses names that are not plain SQL identifiers', async () => {
    await expect(
      prepareAppDatabase(db, { dbname: 'app`; DROP DATABASE mysql; --', username: 'u', password: 'p' }, 't'),
    ).rejects.toThrow('the secret’s dbname "app`; DROP DATABASE mysql; --" is not a plain SQL identifier');
  });
});
