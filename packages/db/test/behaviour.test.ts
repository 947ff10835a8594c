/**
 * The same behaviour, checked against every way the services reach a database: PGlite in a
 * data folder, the embedded server (PGlite over the wire), and a real PostgreSQL database
 * created for the run (skipped loudly when no server is reachable; a failure under CI=true).
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { appendFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it, type TestContext } from 'node:test';
import type { Observability } from '@samosachaat/observability';
import { isUniqueViolation, loadMigrations, MigrationError, PendingMigrationsError, type Database } from '../src/index.js';
import { copyMigrations, sample, TARGETS, testObservability, type FreshDatabase, type LogCapture } from './support.js';

const FILES = loadMigrations();
const hex64 = (): string => randomBytes(32).toString('hex');

async function insertUser(db: Pick<Database, 'query'>, email: string): Promise<string> {
  const res = await db.query<{ id: string }>('INSERT INTO users (email, provider, provider_id) VALUES ($1, $2, $3) RETURNING id', [email, 'dev', email], {
    operation: 'users.insert',
  });
  return (res.rows[0] as { id: string }).id;
}

async function rejectsWithCode(promise: Promise<unknown>, code: string): Promise<Error> {
  let caught: unknown;
  await assert.rejects(promise, (err: unknown) => {
    caught = err;
    return err instanceof Error && (err as { code?: unknown }).code === code;
  });
  return caught as Error;
}

for (const target of TARGETS) {
  describe(`behaviour on ${target.name}`, () => {
    let fresh: FreshDatabase | undefined;
    let db: Database;
    let obs: Observability;
    let logs: LogCapture;
    const cleanups: Array<() => void> = [];
    const ready = (t: TestContext): Promise<boolean> => target.available(t);

    before(async () => {
      if (!(await target.reachable())) return;
      ({ obs, logs } = testObservability());
      fresh = await target.fresh();
      // Every query counts as slow, so the slow-query line is checked on each target.
      db = await fresh.open({ obs, slowQueryMs: 0 });
    });

    after(async () => {
      await fresh?.dispose();
      await obs?.shutdown();
      for (const cleanup of cleanups) cleanup();
    });

    it('an empty database has every migration pending, and assertMigrated names them', async (t) => {
      if (!(await ready(t))) return;
      const status = await db.migrationStatus();
      assert.deepEqual(status.applied, []);
      assert.deepEqual(
        status.pending,
        FILES.map(({ version, name, checksum }) => ({ version, name, checksum })),
      );
      await assert.rejects(db.assertMigrated(), (err: unknown) => {
        assert.ok(err instanceof PendingMigrationsError);
        assert.deepEqual(
          err.pending.map((m) => m.version),
          FILES.map((f) => f.version),
        );
        assert.match(err.message, /0001_initial/);
        assert.match(err.message, /samosachaat migrate/);
        assert.match(err.message, /MIGRATE_ON_START=true/);
        return true;
      });
    });

    it('migrate() applies every migration in order, then nothing', async (t) => {
      if (!(await ready(t))) return;
      const applied = await db.migrate();
      assert.deepEqual(
        applied.map((m) => [m.version, m.name, m.checksum]),
        FILES.map((f) => [f.version, f.name, f.checksum]),
      );
      for (const m of applied) assert.ok(m.appliedAt instanceof Date);
      assert.deepEqual(await db.migrate(), []);
      const status = await db.migrationStatus();
      assert.deepEqual(status.pending, []);
      assert.deepEqual(
        status.applied.map((m) => m.version),
        FILES.map((f) => f.version),
      );
      assert.ok(status.applied.every((m) => m.appliedAt instanceof Date));
      await db.assertMigrated();
      const tables = await db.query<{ name: string }>(
        "SELECT table_name AS name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY 1",
      );
      assert.deepEqual(
        tables.rows.map((r) => r.name),
        ['api_key_usage', 'api_keys', 'api_request_counts', 'chat_instances', 'conversations', 'login_attempts', 'message_parts', 'messages', 'oauth_states_used', 'refresh_tokens', 'schema_migrations', 'stream_slots', 'users'],
      );
      const logged = logs.lines().filter((l) => l.message === 'db_migration_applied');
      assert.deepEqual(
        logged.map((l) => l.migration),
        FILES.map((f) => `${String(f.version).padStart(4, '0')}_${f.name}`),
      );
    });

    it('a transaction commits, and rolls back everything when the callback throws', async (t) => {
      if (!(await ready(t))) return;
      const id = await db.transaction(async (tx) => {
        const userId = await insertUser(tx, 'commit@example.com');
        await tx.query('INSERT INTO conversations (user_id, title) VALUES ($1, $2)', [userId, 'kept']);
        return userId;
      });
      assert.equal((await db.query('SELECT 1 FROM conversations WHERE user_id = $1', [id])).rowCount, 1);

      await assert.rejects(
        db.transaction(async (tx) => {
          const userId = await insertUser(tx, 'rollback@example.com');
          await tx.query('INSERT INTO conversations (user_id, title) VALUES ($1, $2)', [userId, 'lost']);
          throw new Error('changed my mind');
        }),
        /changed my mind/,
      );
      assert.equal((await db.query("SELECT 1 FROM users WHERE email = 'rollback@example.com'")).rowCount, 0);
      assert.equal((await db.query("SELECT 1 FROM conversations WHERE title = 'lost'")).rowCount, 0);

      // A failed statement inside rolls the whole transaction back too.
      await rejectsWithCode(
        db.transaction(async (tx) => {
          await insertUser(tx, 'half@example.com');
          await insertUser(tx, 'commit@example.com');
        }),
        '23505',
      );
      assert.equal((await db.query("SELECT 1 FROM users WHERE email = 'half@example.com'")).rowCount, 0);
    });

    it('constraint violations surface as errors carrying the SQLSTATE code', async (t) => {
      if (!(await ready(t))) return;
      const userId = await insertUser(db, 'unique@example.com');
      const dup = await rejectsWithCode(insertUser(db, 'unique@example.com'), '23505');
      assert.equal((dup as { constraint?: string }).constraint, 'users_email_key');
      assert.equal(isUniqueViolation(dup, 'users_email_key'), true);
      assert.equal('params' in dup, false, 'no parameters hang on the error');
      await rejectsWithCode(insertUser(db, 'Upper@Example.com'), '23514');
      await rejectsWithCode(
        db.query('INSERT INTO users (email, provider, provider_id) VALUES ($1, $2, $3)', ['other@example.com', 'dev', 'unique@example.com']),
        '23505',
      );
      await rejectsWithCode(db.query('INSERT INTO users (email, provider) VALUES ($1, $2)', ['nulls@example.com', 'dev']), '23502');
      await rejectsWithCode(db.query('INSERT INTO conversations (user_id) VALUES ($1)', ['00000000-0000-4000-8000-000000000000']), '23503');
      const conv = await db.query<{ id: string }>('INSERT INTO conversations (user_id) VALUES ($1) RETURNING id', [userId]);
      const convId = (conv.rows[0] as { id: string }).id;
      await rejectsWithCode(db.query('INSERT INTO messages (conversation_id, role, content) VALUES ($1, $2, $3)', [convId, 'robot', 'hi']), '23514');
      await rejectsWithCode(db.query('INSERT INTO messages (conversation_id, role, content, status) VALUES ($1, $2, $3, $4)', [convId, 'user', 'hi', 'lost']), '23514');
      await rejectsWithCode(db.query('INSERT INTO messages (conversation_id, role, content, token_count) VALUES ($1, $2, $3, $4)', [convId, 'user', 'hi', -1]), '23514');
      await rejectsWithCode(
        db.query('INSERT INTO refresh_tokens (user_id, token_hash, family_id, expires_at) VALUES ($1, $2, gen_random_uuid(), now())', [userId, 'not-a-sha256']),
        '23514',
      );
      await rejectsWithCode(db.query('SELECT * FROM no_such_table'), '42P01');
      // The database is still usable after all that.
      await db.ping();
    });

    it('deleting a user cascades to refresh tokens, conversations and messages', async (t) => {
      if (!(await ready(t))) return;
      const userId = await insertUser(db, 'cascade@example.com');
      await db.query('INSERT INTO refresh_tokens (user_id, token_hash, family_id, expires_at) VALUES ($1, $2, gen_random_uuid(), now() + interval \'30 days\')', [userId, hex64()]);
      const conv = await db.query<{ id: string }>('INSERT INTO conversations (user_id, title) VALUES ($1, $2) RETURNING id', [userId, 'to go']);
      const convId = (conv.rows[0] as { id: string }).id;
      await db.query("INSERT INTO messages (conversation_id, role, content) VALUES ($1, 'user', 'q'), ($1, 'assistant', 'a')", [convId]);
      const other = await db.query<{ id: string }>('INSERT INTO conversations (user_id, title) VALUES ($1, $2) RETURNING id', [userId, 'also']);

      // Deleting a conversation takes its messages only.
      const deleted = await db.query('DELETE FROM conversations WHERE id = $1', [(other.rows[0] as { id: string }).id]);
      assert.equal(deleted.rowCount, 1);
      assert.equal((await db.query('SELECT 1 FROM messages WHERE conversation_id = $1', [convId])).rowCount, 2);

      assert.equal((await db.query('DELETE FROM users WHERE id = $1', [userId])).rowCount, 1);
      for (const [table, column, id] of [
        ['refresh_tokens', 'user_id', userId],
        ['conversations', 'user_id', userId],
        ['messages', 'conversation_id', convId],
      ] as const) {
        assert.equal((await db.query(`SELECT 1 FROM ${table} WHERE ${column} = $1`, [id])).rowCount, 0, table);
      }
    });

    // Timestamps can repeat (PGlite's clock has given two inserts of one transaction the same
    // clock_timestamp()), so messages are ordered by their sequence number (migration 0002).
    it('messages written in one transaction are ordered by seq, in insertion order', async (t) => {
      if (!(await ready(t))) return;
      const userId = await insertUser(db, 'order@example.com');
      const rows = await db.transaction(async (tx) => {
        const conv = await tx.query<{ id: string }>('INSERT INTO conversations (user_id) VALUES ($1) RETURNING id', [userId]);
        const convId = (conv.rows[0] as { id: string }).id;
        for (const content of ['first', 'second', 'third', 'fourth']) {
          await tx.query('INSERT INTO messages (conversation_id, role, content) VALUES ($1, $2, $3)', [convId, content === 'second' ? 'assistant' : 'user', content]);
        }
        return (
          await tx.query<{ content: string; status: string; later: boolean | null; not_earlier: boolean | null }>(
            `SELECT content, status, seq > lag(seq) OVER (ORDER BY seq) AS later,
                    created_at >= lag(created_at) OVER (ORDER BY seq) AS not_earlier
               FROM messages WHERE conversation_id = $1 ORDER BY seq`,
            [convId],
          )
        ).rows;
      });
      assert.deepEqual(
        rows.map((r) => [r.content, r.status, r.later, r.not_earlier]),
        [
          ['first', 'complete', null, null],
          ['second', 'complete', true, true],
          ['third', 'complete', true, true],
          ['fourth', 'complete', true, true],
        ],
      );
    });

    // chat-api's history cache trusts conversations.history_version (migration 0004): every
    // write to a conversation's messages or answer parts, by anyone, must move it.
    it('every write to a conversation\'s history bumps its history_version and updated_at, and only its own; a streaming answer and its parts do not', async (t) => {
      if (!(await ready(t))) return;
      const userId = await insertUser(db, 'versions@example.com');
      const newConversation = async () => (await db.query<{ id: string }>("INSERT INTO conversations (user_id, updated_at) VALUES ($1, now() - interval '1 hour') RETURNING id", [userId])).rows[0]!.id;
      const [a, b] = [await newConversation(), await newConversation()];
      const state = async (id: string) =>
        (await db.query<{ version: string; recent: boolean }>("SELECT history_version::text AS version, updated_at > now() - interval '1 minute' AS recent FROM conversations WHERE id = $1", [id])).rows[0];
      assert.deepEqual(await state(a), { version: '0', recent: false });
      const msg = (await db.query<{ id: string }>("INSERT INTO messages (conversation_id, role, content) VALUES ($1, 'user', 'q') RETURNING id", [a])).rows[0]!.id;
      assert.deepEqual(await state(a), { version: '1', recent: true }, 'insert');
      // An answer that is streaming is not history yet (migration 0005): its row, its part
      // flushes and updates that keep it streaming touch neither the version nor updated_at.
      await db.query("UPDATE conversations SET updated_at = now() - interval '1 hour' WHERE id = $1", [a]);
      const answer = (await db.query<{ id: string }>("INSERT INTO messages (conversation_id, role, content, status) VALUES ($1, 'assistant', '', 'streaming') RETURNING id", [a])).rows[0]!.id;
      await db.query("INSERT INTO message_parts (message_id, part, content) VALUES ($1, 0, 'p0'), ($1, 1, 'p1')", [answer]);
      await db.query("UPDATE messages SET model_tag = 'demo' WHERE id = $1", [answer]);
      await db.query('DELETE FROM message_parts WHERE message_id = $1 AND part = 1', [answer]);
      assert.deepEqual(await state(a), { version: '1', recent: false }, 'a streaming answer and its parts');
      await db.query("UPDATE messages SET status = 'complete', content = 'p0' WHERE id = $1", [answer]);
      assert.deepEqual(await state(a), { version: '2', recent: true }, 'the answer ends: one bump');
      await db.query("UPDATE messages SET content = 'q2' WHERE id = $1", [msg]);
      assert.equal((await state(a))?.version, '3', 'update');
      await db.query('DELETE FROM messages WHERE id = $1', [answer]);
      assert.equal((await state(a))?.version, '4', 'deleting an answer');
      await db.query('UPDATE messages SET conversation_id = $2 WHERE id = $1', [msg, b]);
      assert.equal((await state(a))?.version, '5', 'a message moved away changes the conversation it left');
      assert.deepEqual(await state(b), { version: '1', recent: true }, 'and the one it joined');
      await db.query('DELETE FROM messages WHERE id = $1', [msg]);
      assert.equal((await state(b))?.version, '2', 'delete');
      assert.equal((await state(a))?.version, '5');
      // Deleting a conversation deletes its messages (cascade): nothing to bump, nothing fails.
      await db.query('DELETE FROM conversations WHERE id = $1', [a]);
      assert.equal(await state(a), undefined);
    });

    it('returns the same JavaScript types as every other target', async (t) => {
      if (!(await ready(t))) return;
      const res = await db.query<Record<string, unknown>>(
        `SELECT 7::int8 AS i8, (SELECT count(*) FROM schema_migrations) AS cnt, 9007199254740993::int8 AS big, 2::int4 AS i4, 1.50::numeric AS num,
                1.5::float8 AS f8, true AS b, '2024-01-02'::date AS d, '2024-01-02 03:04:05+00'::timestamptz AS tz,
                interval '1 day 2 hours' AS iv, '\\x0102ff'::bytea AS by, '{"a":[1,2]}'::jsonb AS jb, ARRAY[1,2]::int[] AS arr,
                '6f1c1f9e-2d7b-4c3e-9a43-3f0c7a2d9b11'::uuid AS u, NULL::text AS nul`,
      );
      const row = res.rows[0] as Record<string, unknown>;
      assert.equal(row.i8, 7);
      assert.equal(row.cnt, FILES.length);
      assert.equal(row.big, 9007199254740993n);
      assert.equal(row.i4, 2);
      assert.equal(row.num, '1.50');
      assert.equal(row.f8, 1.5);
      assert.equal(row.b, true);
      assert.equal(row.d, '2024-01-02');
      assert.ok(row.tz instanceof Date);
      assert.equal((row.tz as Date).toISOString(), '2024-01-02T03:04:05.000Z');
      assert.equal(row.iv, '1 day 02:00:00');
      assert.ok(Buffer.isBuffer(row.by));
      assert.deepEqual([...(row.by as Buffer)], [1, 2, 255]);
      assert.deepEqual(row.jb, { a: [1, 2] });
      assert.deepEqual(row.arr, [1, 2]);
      assert.equal(row.u, '6f1c1f9e-2d7b-4c3e-9a43-3f0c7a2d9b11');
      assert.equal(row.nul, null);
      assert.equal(res.rowCount, 1);

      // rowCount: rows returned, rows changed, 0 for DDL; parameters round-trip.
      await db.query('CREATE TEMP TABLE IF NOT EXISTS scratch (n int, at timestamptz, tags text[], meta jsonb)');
      const when = new Date('2025-05-05T05:05:05.123Z');
      const ins = await db.query('INSERT INTO scratch VALUES ($1, $2, $3, $4), ($5, $2, $3, $4) RETURNING n', [1, when, ['x', 'y'], JSON.stringify({ k: 1 }), 2]);
      assert.equal(ins.rowCount, 2);
      assert.equal((await db.query('UPDATE scratch SET n = n + 10')).rowCount, 2);
      assert.equal((await db.query('UPDATE scratch SET n = 0 WHERE false')).rowCount, 0);
      const back = await db.query<{ at: Date; tags: string[]; meta: unknown }>('SELECT at, tags, meta FROM scratch LIMIT 1');
      assert.equal(back.rows[0]?.at.toISOString(), when.toISOString());
      assert.deepEqual(back.rows[0]?.tags, ['x', 'y']);
      assert.deepEqual(back.rows[0]?.meta, { k: 1 });
      assert.equal((await db.query('DROP TABLE scratch')).rowCount, 0);
    });

    it('refuses what would behave differently or hang: queries around a transaction, a used-up tx, two statements, value-like labels', async (t) => {
      if (!(await ready(t))) return;
      let leaked: { query: Database['query'] } | undefined;
      await assert.rejects(
        db.transaction(async (tx) => {
          leaked = tx;
          await db.query('SELECT 1');
        }),
        /inside db\.transaction\(\): use the callback's tx argument/,
      );
      await assert.rejects(
        db.transaction(() => db.transaction(async () => 1)),
        /db\.transaction\(\) was called inside db\.transaction\(\)/,
      );
      await assert.rejects((leaked as { query: Database['query'] }).query('SELECT 1'), /after its transaction ended/);
      // Once the transaction is over, the same async context may use db again.
      const after = await db.transaction(async () => 'done').then(() => db.query<{ one: number }>('SELECT 1 AS one'));
      assert.equal(after.rows[0]?.one, 1);
      await assert.rejects(db.query('SELECT 1; SELECT 2'), (err: unknown) => (err as { code?: string }).code === '42601');
      await assert.rejects(db.query('SELECT 1', [], { operation: 'user:8d0c' }), TypeError);
    });

    it('records db_query_duration_seconds, db_query_errors_total and db_pool_connections', async (t) => {
      if (!(await ready(t))) return;
      for (let i = 0; i < 3; i++) await db.query('SELECT $1::int AS n', [i], { operation: 'test.metric' });
      await rejectsWithCode(insertUser(db, 'unique@example.com'), '23505');
      const { body } = await obs.metrics.render();
      assert.equal(sample(body, 'db_query_duration_seconds_count', { operation: 'test.metric', outcome: 'ok' }), 3);
      assert.equal(sample(body, 'db_query_duration_seconds_bucket', { operation: 'test.metric', outcome: 'ok', le: '+Inf' }), 3);
      assert.ok((sample(body, 'db_query_duration_seconds_count', { operation: 'users.insert', outcome: 'error' }) ?? 0) >= 1);
      assert.ok((sample(body, 'db_query_errors_total', { operation: 'users.insert', code: '23' }) ?? 0) >= 1);
      assert.ok((sample(body, 'db_query_duration_seconds_count', { operation: 'select', outcome: 'ok' }) ?? 0) >= 1, 'default label: the verb');
      assert.ok((sample(body, 'db_query_duration_seconds_count', { operation: 'migrations.apply', outcome: 'ok' }) ?? 0) >= 1);
      assert.match(body, /db_query_duration_seconds_bucket\{[^}]*le="0.0005"/);
      const inUse = sample(body, 'db_pool_connections', { state: 'in_use' });
      const idle = sample(body, 'db_pool_connections', { state: 'idle' });
      assert.equal(inUse, 0);
      assert.ok(idle !== undefined && idle >= 1);
      assert.match(body, /service="db-test"/);
    });

    it('never puts SQL parameters in spans or logs, slow-query lines included', async (t) => {
      if (!(await ready(t))) return;
      const canary = `canary${randomBytes(8).toString('hex')}`;
      const email = `${canary}@example.com`;
      await insertUser(db, email);
      await rejectsWithCode(insertUser(db, email), '23505'); // detail: Key (email)=(canary…) already exists
      await rejectsWithCode(db.query('SELECT * FROM users WHERE id = $1', [canary], { operation: 'users.by_id' }), '22P02'); // message quotes the input
      await db.transaction(async (tx) => {
        await tx.query('UPDATE users SET name = $1 WHERE email = $2', [canary, email], { operation: 'users.rename' });
      });
      await obs.tracing.forceFlush();
      const spans = (obs.traces?.recent({ limit: 1000 }) ?? []).flatMap((trace) => trace.spans);
      assert.ok(spans.length > 0);
      assert.equal(JSON.stringify(spans).includes(canary), false, 'a parameter reached a span');
      assert.equal(logs.text().includes(canary), false, 'a parameter reached a log line');

      const insert = spans.find((s) => s.name === 'db.users.insert' && s.status !== 'error');
      assert.ok(insert);
      assert.equal(insert.kind, 'client');
      assert.equal(insert.attributes['db.system.name'], 'postgresql');
      assert.equal(insert.attributes['db.operation.name'], 'INSERT');
      assert.equal(insert.attributes['db.query.summary'], 'users.insert');
      const failed = spans.find((s) => s.name === 'db.users.by_id');
      assert.ok(failed);
      assert.equal(failed.status, 'error');
      assert.equal(failed.attributes['db.response.status_code'], '22P02');
      assert.ok(failed.events.some((e) => e.name === 'exception'));
      const rename = spans.find((s) => s.name === 'db.users.rename');
      const txSpan = spans.find((s) => s.name === 'db.transaction' && s.span_id === rename?.parent_span_id);
      assert.ok(txSpan, 'queries in a transaction nest under its span');

      const slow = logs.lines().filter((l) => l.message === 'db_slow_query' && l.operation === 'users.rename');
      assert.equal(slow.length, 1);
      assert.equal(slow[0]?.level, 'warning');
      assert.equal(typeof slow[0]?.duration_ms, 'number');
    });

    it('pings, describes itself without credentials, and refuses work once closed', async (t) => {
      if (!(await ready(t))) return;
      await db.ping();
      assert.equal(db.kind, target.name.startsWith('PGlite') ? 'pglite' : 'postgres');
      assert.doesNotMatch(db.description, /@/);
      assert.match(db.description, target.name.startsWith('PGlite') ? /^pglite:\/.+\/pglite$/ : /^postgres:\/\/[^/]+:\d+\/\w+$/);
    });

    describe('with an edited copy of the migrations', () => {
      let dir: string;
      before(() => {
        dir = copyMigrations();
        cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
      });

      async function reopen(): Promise<Database> {
        await db.close();
        db = await (fresh as FreshDatabase).open({ migrationsDir: dir, obs });
        return db;
      }

      it('refuses a migration edited after it was applied', async (t) => {
        if (!(await ready(t))) return;
        await db.close();
        await assert.rejects(db.query('SELECT 1'), /is closed/);
        await db.close();
        appendFileSync(join(dir, '0001_initial.sql'), '\n-- a later edit\n');
        const edited = await reopen();
        const status = await edited.migrationStatus();
        assert.deepEqual(
          status.modified.map((m) => m.version),
          [1],
        );
        await assert.rejects(edited.migrate(), (err: unknown) => err instanceof MigrationError && /0001_initial\.sql changed after being applied/.test(err.message));
        await assert.rejects(edited.assertMigrated(), MigrationError);
      });

      it('applies a migration added later, and only that one', async (t) => {
        if (!(await ready(t))) return;
        writeFileSync(join(dir, '0001_initial.sql'), FILES[0]?.sql ?? '');
        writeFileSync(join(dir, '0100_conversation_pinned.sql'), 'ALTER TABLE conversations ADD COLUMN pinned boolean NOT NULL DEFAULT false;\nCREATE INDEX conversations_pinned_idx ON conversations (user_id) WHERE pinned;\n');
        const later = await reopen();
        await assert.rejects(later.assertMigrated(), (err: unknown) => err instanceof PendingMigrationsError && /0100_conversation_pinned/.test(err.message));
        const applied = await later.migrate();
        assert.deepEqual(
          applied.map((m) => m.name),
          ['conversation_pinned'],
        );
        assert.equal((await later.query("SELECT 1 FROM information_schema.columns WHERE table_name = 'conversations' AND column_name = 'pinned'")).rowCount, 1);
      });

      it('rolls a failing migration back and names it', async (t) => {
        if (!(await ready(t))) return;
        writeFileSync(join(dir, '0101_broken.sql'), 'CREATE TABLE half_done (id int);\nSELECT 1 / 0;\n');
        const broken = await reopen();
        await assert.rejects(broken.migrate(), (err: unknown) => {
          assert.ok(err instanceof MigrationError);
          assert.match(err.message, /migration 0101_broken failed and was rolled back: division by zero \(SQLSTATE 22012\)/);
          return true;
        });
        assert.equal((await broken.query("SELECT to_regclass('half_done') IS NULL AS gone")).rows[0]?.gone, true);
        assert.deepEqual(
          (await broken.migrationStatus()).pending.map((m) => m.version),
          [101],
        );
        unlinkSync(join(dir, '0101_broken.sql'));
      });

      it('refuses to migrate a database that newer code migrated, but lets it run', async (t) => {
        if (!(await ready(t))) return;
        unlinkSync(join(dir, '0100_conversation_pinned.sql'));
        const older = await reopen();
        assert.deepEqual(
          (await older.migrationStatus()).unknown.map((m) => m.name),
          ['conversation_pinned'],
        );
        await assert.rejects(older.migrate(), (err: unknown) => err instanceof MigrationError && /0100_conversation_pinned that this code does not know/.test(err.message));
        await older.assertMigrated();
        assert.equal(logs.lines().filter((l) => l.message === 'db_schema_newer_than_code').length, 1);
      });
    });
  });

  describe(`migration 0002 on ${target.name}`, () => {
    it('numbers the messages that already exist in their (created_at, id) order', async (t) => {
      if (!(await target.available(t))) return;
      const fresh = await target.fresh();
      const onlyFirst = copyMigrations();
      try {
        for (const f of FILES.filter((m) => m.version > 1)) unlinkSync(join(onlyFirst, f.file));
        const before0002 = await fresh.open({ migrationsDir: onlyFirst });
        await before0002.migrate();
        const userId = await insertUser(before0002, 'backfill@example.com');
        const conv = await before0002.query<{ id: string }>('INSERT INTO conversations (user_id) VALUES ($1) RETURNING id', [userId]);
        const convId = (conv.rows[0] as { id: string }).id;
        // Inserted out of time order, two at the same instant: the backfill follows (created_at, id).
        for (const [content, at] of [
          ['c', '2026-01-01T00:00:03Z'],
          ['a', '2026-01-01T00:00:01Z'],
          ['b1', '2026-01-01T00:00:02Z'],
          ['b2', '2026-01-01T00:00:02Z'],
        ] as const) {
          await before0002.query('INSERT INTO messages (conversation_id, role, content, created_at) VALUES ($1, $2, $3, $4)', [convId, 'user', content, at]);
        }
        const expected = (await before0002.query<{ content: string }>('SELECT content FROM messages ORDER BY created_at, id')).rows.map((r) => r.content);
        await before0002.close();

        const after0002 = await fresh.open();
        assert.deepEqual(
          (await after0002.migrate()).map((m) => m.version),
          FILES.filter((m) => m.version > 1).map((m) => m.version),
        );
        const numbered = await after0002.query<{ content: string; seq: number }>('SELECT content, seq FROM messages ORDER BY seq');
        assert.deepEqual(
          numbered.rows.map((r) => r.content),
          expected,
        );
        assert.deepEqual(
          numbered.rows.map((r) => r.seq),
          [1, 2, 3, 4],
        );
        // New rows continue after the backfilled ones.
        const next = await after0002.query<{ seq: number }>('INSERT INTO messages (conversation_id, role, content) VALUES ($1, $2, $3) RETURNING seq', [convId, 'assistant', 'd']);
        assert.equal(next.rows[0]?.seq, 5);
        await after0002.close();
      } finally {
        rmSync(onlyFirst, { recursive: true, force: true });
        await fresh.dispose();
      }
    });
  });

  describe(`concurrent migrations on ${target.name}`, () => {
    it('two migrate() calls at once apply each migration exactly once', async (t) => {
      if (!(await target.available(t))) return;
      const fresh = await target.fresh();
      try {
        const a = await fresh.open();
        const b = fresh.shared ? await fresh.open() : a;
        const [fromA, fromB] = await Promise.all([a.migrate(), b.migrate()]);
        assert.deepEqual(
          [...fromA, ...fromB].map((m) => m.version).sort((x, y) => x - y),
          FILES.map((f) => f.version),
        );
        const rows = await a.query<{ version: number; n: number }>('SELECT version, count(*) AS n FROM schema_migrations GROUP BY version ORDER BY version');
        assert.deepEqual(
          rows.rows.map((r) => [r.version, r.n]),
          FILES.map((f) => [f.version, 1]),
        );
        await b.assertMigrated();
      } finally {
        await fresh.dispose();
      }
    });
  });
}
