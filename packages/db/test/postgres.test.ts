/** What only a real PostgreSQL server can show: lock waits, timeouts, lost connections. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import type { Observability } from '@samosachaat/observability';
import { DatabaseUnavailableError, MigrationError, openDatabase, type Database } from '../src/index.js';
import { MIGRATION_LOCK_KEY } from '../src/migrations.js';
import { createPostgresDatabase, postgresReachable, requirePostgres, sample, testObservability, type LogCapture } from './support.js';

describe('on PostgreSQL', () => {
  let database: Awaited<ReturnType<typeof createPostgresDatabase>> | undefined;
  let obs: Observability;
  let logs: LogCapture;
  const opened: Database[] = [];
  const open = async (options: Parameters<typeof openDatabase>[0] = {}): Promise<Database> => {
    const db = await openDatabase({ url: database?.url, obs, ...options });
    opened.push(db);
    return db;
  };

  before(async () => {
    if (!(await postgresReachable())) return;
    ({ obs, logs } = testObservability());
    database = await createPostgresDatabase();
  });
  after(async () => {
    await Promise.all(opened.map((db) => db.close()));
    await database?.drop();
    await obs?.shutdown();
  });

  it('migrate() waits for another process’s migration lock, and gives up after the timeout', async (t) => {
    if (!(await requirePostgres(t))) return;
    const holder = new pg.Client({ connectionString: database?.url });
    await holder.connect();
    try {
      await holder.query('SELECT pg_advisory_lock($1::bigint)', [MIGRATION_LOCK_KEY]);
      const db = await open({ migrationLockTimeoutMs: 400 });
      const started = Date.now();
      await assert.rejects(db.migrate(), (err: unknown) => err instanceof MigrationError && /another process has been migrating/.test(err.message));
      assert.ok(Date.now() - started >= 350);
      assert.equal(logs.lines().filter((l) => l.message === 'db_migration_lock_waiting').length, 1);

      // Released while waiting: the migration goes ahead.
      const patient = await open({ migrationLockTimeoutMs: 10_000 });
      const migrating = patient.migrate();
      setTimeout(() => void holder.query('SELECT pg_advisory_unlock($1::bigint)', [MIGRATION_LOCK_KEY]), 300);
      assert.ok((await migrating).length > 0);
      await patient.assertMigrated();
    } finally {
      await holder.end();
    }
  });

  it('prepares statements once per connection, and runs one again unnamed when a migration changed its columns', async (t) => {
    if (!(await requirePostgres(t))) return;
    const db = await open({ poolSize: 1 });
    await db.query('CREATE TABLE prepared_probe (id int)');
    await db.query('INSERT INTO prepared_probe VALUES (1)');
    const select = 'SELECT * FROM prepared_probe ORDER BY id';
    assert.deepEqual((await db.query(select)).rows, [{ id: 1 }]);
    const named = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM pg_prepared_statements WHERE statement = $1`, [select]);
    assert.deepEqual(named.rows, [{ n: 1 }], 'the statement is prepared on the connection');
    await db.query('ALTER TABLE prepared_probe ADD COLUMN label text');
    // PostgreSQL refuses the prepared statement now (0A000 "cached plan must not change result type").
    assert.deepEqual((await db.query(select)).rows, [{ id: 1, label: null }]);
    assert.deepEqual((await db.query(select)).rows, [{ id: 1, label: null }]);
    // Turned off: nothing prepared.
    const plain = await open({ poolSize: 1, preparedStatements: 0 });
    await plain.query('SELECT 1 AS one');
    assert.deepEqual((await plain.query<{ n: number }>('SELECT count(*)::int AS n FROM pg_prepared_statements')).rows, [{ n: 0 }]);
  });

  it('applies statementTimeoutMs, and a timed-out query leaves its connection usable', async (t) => {
    if (!(await requirePostgres(t))) return;
    const db = await open({ statementTimeoutMs: 100, poolSize: 1 });
    // A statement timeout means the database is too slow right now: a 503 for the caller, the SQLSTATE kept as the cause.
    await assert.rejects(db.query('SELECT pg_sleep(2)'), (err: unknown) => err instanceof DatabaseUnavailableError && (err.cause as { code?: string }).code === '57014');
    const pid = await db.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
    const again = await db.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
    assert.equal(pid.rows[0]?.pid, again.rows[0]?.pid, 'the same connection serves both');
    // A migration is exempt: its transaction lifts the timeout.
    assert.equal((await db.transaction(async (tx) => (await tx.query<{ statement_timeout: string }>('SHOW statement_timeout')).rows[0]?.statement_timeout)), '100ms');
  });

  it('replaces connections the server killed, idle or mid-query', async (t) => {
    if (!(await requirePostgres(t))) return;
    const db = await open({ poolSize: 1 });
    const admin = new pg.Client({ connectionString: database?.url });
    await admin.connect();
    try {
      const first = (await db.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]?.pid;
      await admin.query('SELECT pg_terminate_backend($1)', [first]);
      // The idle connection's death is logged (rate-limited), then a new one serves.
      for (let i = 0; i < 50 && !logs.lines().some((l) => l.message === 'db_idle_connection_error'); i++) await new Promise((r) => setTimeout(r, 20));
      assert.ok(logs.lines().some((l) => l.message === 'db_idle_connection_error'));
      const second = (await db.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]?.pid;
      assert.notEqual(second, first);

      // Killed inside a transaction: the error surfaces and the connection is not reused.
      await assert.rejects(
        db.transaction(async (tx) => {
          await admin.query('SELECT pg_terminate_backend($1)', [second]);
          await tx.query('SELECT 1');
        }),
      );
      const third = (await db.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]?.pid;
      assert.notEqual(third, second);
      // Killed between queries of a plain query: same.
      await admin.query('SELECT pg_terminate_backend($1)', [third]);
      await db.query('SELECT 1').catch(() => undefined);
      await db.ping();
    } finally {
      await admin.end();
    }
  });

  it('ping() fails fast on an unreachable server, counted as a connection error', async (t) => {
    if (!(await requirePostgres(t))) return;
    const db = await open({ url: 'postgres://nobody:secret@127.0.0.1:1/none', connectTimeoutMs: 2000 });
    await assert.rejects(db.ping());
    const { body } = await obs.metrics.render();
    assert.ok((sample(body, 'db_query_errors_total', { operation: 'ping', code: 'connection' }) ?? 0) >= 1);
    assert.equal(db.description, 'postgres://127.0.0.1:1/none');
  });
});
