/**
 * `done` means stored: fault injection against a throw-away PostgreSQL cluster of the test's
 * own (never the machine's shared server). While 10 answers stream, the server is stopped
 * (`pg_ctl stop -m immediate`) or frozen (SIGSTOP of all its processes). For every stream,
 * either its final `done` names an answer that is in the database, or it says
 * `answer_not_saved` then `saved:false` — never a `done` for an answer that is not stored.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DatabaseUnavailableError, openDatabase } from '@samosachaat/db';
import { scaled } from '../../../test/support/timeouts.js';
import { startHarness, type Harness, type TestUser } from './support/harness.js';
import { PgCluster } from './support/pg-cluster.js';
import { eventually, stream, type StreamResult } from './support/sse.js';

const STREAMS = 10;
// The client-side deadline of every database call in these tests (DATABASE_QUERY_TIMEOUT_MS).
const QUERY_TIMEOUT_MS = 1500;
const TOKENS = Array.from({ length: 12 }, (_, i) => `w${i} `);
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

const unavailable = PgCluster.unavailable();
if (unavailable && process.env.CI !== 'true') console.warn(`\n!!! SKIPPED: durable answers: ${unavailable}\n`);

describe('done means stored (throw-away PostgreSQL cluster)', { skip: process.env.CI === 'true' ? false : unavailable ?? false }, () => {
  let cluster: PgCluster;
  let h: Harness;
  let short: Harness;
  const users: TestUser[] = [];

  before(async () => {
    cluster = await PgCluster.create();
    const env = { MAX_STREAMS_PER_USER: String(STREAMS), ANSWER_SAVE_DEADLINE_MS: String(scaled(20_000)) };
    h = await startHarness({ databaseUrl: cluster.url, env, queryTimeoutMs: QUERY_TIMEOUT_MS });
    // The same database, with a save deadline an outage outlasts.
    short = await startHarness({ databaseUrl: cluster.url, env: { ...env, ANSWER_SAVE_DEADLINE_MS: '1500', ANSWER_LEASE_MS: '1000' }, queryTimeoutMs: QUERY_TIMEOUT_MS });
    users.push(h.alice);
  });
  after(async () => {
    cluster?.thaw();
    await h?.close();
    await short?.close();
    cluster?.destroy();
  });

  /** Starts `STREAMS` sends on `on`, resolves once all of them are streaming. */
  async function tenStreams(on: Harness): Promise<{ ids: string[]; results: Promise<StreamResult[]> }> {
    await on.inference.script({ tokens: TOKENS, delayMs: 100 });
    const ids: string[] = [];
    for (let i = 0; i < STREAMS; i++) ids.push((await on.call('POST', '/api/conversations', { body: {} })).json.id as string);
    const before = (await on.metric('chat_active_streams{service="chat-api"}')) ?? 0;
    const results = Promise.all(ids.map((id) => stream(on.url, `/api/conversations/${id}/messages`, on.alice, { content: 'keep this' })));
    await eventually(async () => (await on.metric('chat_active_streams{service="chat-api"}')) === before + STREAMS, scaled(10_000), 'ten streams open');
    return { ids, results };
  }

  /** Every stream: a done naming a stored, complete answer, or answer_not_saved then saved:false. */
  async function verdicts(on: Harness, ids: string[], results: StreamResult[]): Promise<{ stored: number; notSaved: number }> {
    let stored = 0;
    let notSaved = 0;
    for (const [i, res] of results.entries()) {
      assert.equal(res.status, 200);
      const last = res.events.at(-1);
      if (last?.saved === false) {
        assert.deepEqual(res.events.slice(-2), [{ error: 'the answer could not be saved: the database is unavailable', code: 'answer_not_saved' }, { done: true, saved: false }]);
        notSaved++;
        continue;
      }
      assert.equal(last?.done, true);
      const { rows } = await on.db.query<{ id: string; content: string; status: string; conversation_id: string }>(
        'SELECT id, content, status, conversation_id FROM messages WHERE id = $1',
        [last?.message_id],
      );
      assert.equal(rows.length, 1, `stream ${i}: its done names ${String(last?.message_id)}, which must be stored`);
      assert.equal(rows[0]?.conversation_id, ids[i]);
      assert.equal(rows[0]?.content, TOKENS.join(''));
      assert.equal(rows[0]?.status, 'complete');
      stored++;
    }
    return { stored, notSaved };
  }

  it('a stop (immediate) shorter than the save deadline loses nothing: every answer is stored behind its done', async () => {
    const { ids, results } = await tenStreams(h);
    cluster.stopImmediate();
    // The streams end (1.2 s of tokens) while the server is down, then it comes back.
    await sleep(2500);
    cluster.start();
    const done = await results;
    const { stored } = await verdicts(h, ids, done);
    assert.equal(stored, STREAMS, 'an outage shorter than the deadline loses nothing');
    assert.ok(done.some((r) => r.text.includes(': saving\n\n')), 'the stream was kept open by heartbeats while the save was retried');
    assert.ok(h.logs.find('answer_save_retrying').length >= 1);
    assert.equal(await h.metric('chat_answers_not_saved_total{service="chat-api"}'), 0);
  });

  it('a freeze (SIGSTOP) while answers end: every done names a stored answer', async () => {
    const { ids, results } = await tenStreams(h);
    cluster.freeze();
    await sleep(2500);
    cluster.thaw();
    const { stored, notSaved } = await verdicts(h, ids, await results);
    assert.equal(stored + notSaved, STREAMS);
    assert.equal(stored, STREAMS, 'a freeze shorter than the deadline loses nothing');
  });

  it('an outage longer than the deadline: answer_not_saved then saved:false, counted and logged once per answer', async () => {
    const { ids, results } = await tenStreams(short);
    cluster.stopImmediate();
    let done: StreamResult[];
    try {
      done = await results;
    } finally {
      cluster.start();
    }
    const { stored, notSaved } = await verdicts(short, ids, done);
    assert.equal(stored, 0);
    assert.equal(notSaved, STREAMS);
    assert.equal(await short.metric('chat_answers_not_saved_total{service="chat-api"}'), STREAMS);
    const lost = short.logs.find('answer_not_saved');
    assert.equal(lost.length, STREAMS, 'logged once per answer');
    assert.deepEqual(new Set(lost.map((l) => l.conversation_id)), new Set(ids));
    assert.ok(lost.every((l) => l.level === 'error'));
    // The user messages were committed before anything streamed; each answer's row, once the
    // database is back, is marked by the instance's own sweep: not saved, never complete.
    await eventually(async () => {
      try {
        const { rows } = await short.db.query<{ status: string; failure_code: string | null }>(
          "SELECT status, failure_code FROM messages WHERE conversation_id = ANY($1::uuid[]) AND role = 'assistant'",
          [ids],
        );
        return rows.length === STREAMS && rows.every((r) => r.status !== 'streaming' && r.status !== 'complete' && ['answer_not_saved', 'interrupted'].includes(r.failure_code ?? ''));
      } catch {
        return false;
      }
    }, scaled(20_000), 'the unsaved answers marked');
  });

  it('no hangs: with the server frozen or stopped while idle, reads answer 503 DATABASE_UNAVAILABLE with Retry-After within the deadline', async () => {
    const id = (await h.call('POST', '/api/conversations', { body: {} })).json.id as string;
    // With slack for a loaded machine: the bound is the deadline, not a fixed time.
    const bound = QUERY_TIMEOUT_MS + scaled(1000);
    for (const fault of ['freeze', 'stop'] as const) {
      if (fault === 'freeze') cluster.freeze();
      else cluster.stopImmediate();
      try {
        for (const path of [`/api/conversations/${id}`, '/api/conversations']) {
          const started = performance.now();
          const res = await h.call('GET', path);
          const took = performance.now() - started;
          assert.equal(res.status, 503, `${fault} ${path}: ${res.text}`);
          assert.equal(res.json.error.code, 'DATABASE_UNAVAILABLE');
          assert.match(res.headers.get('retry-after') ?? '', /^\d+$/);
          assert.ok(took <= bound, `${fault} ${path}: answered in ${Math.round(took)} ms, bound ${bound} ms`);
        }
      } finally {
        if (fault === 'freeze') cluster.thaw();
        else cluster.start();
      }
    }
    await eventually(async () => (await h.call('GET', `/api/conversations/${id}`)).status === 200, scaled(10_000), 'reads work again');
  });

  it('a pool connection whose call timed out is discarded, not reused', async () => {
    const db = await openDatabase({ url: cluster.url, poolSize: 1, queryTimeoutMs: QUERY_TIMEOUT_MS });
    try {
      const pid = async () => (await db.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]?.pid;
      const first = await pid();
      assert.equal(await pid(), first, 'one pooled connection, reused while healthy');
      cluster.freeze();
      try {
        const started = performance.now();
        await assert.rejects(db.query('SELECT 1'), DatabaseUnavailableError);
        assert.ok(performance.now() - started <= QUERY_TIMEOUT_MS + scaled(1000));
        // A transaction is bounded too.
        await assert.rejects(db.transaction((tx) => tx.query('SELECT 1')), DatabaseUnavailableError);
      } finally {
        cluster.thaw();
      }
      const next = await eventually(async () => pid().catch(() => undefined), scaled(10_000), 'a fresh connection');
      assert.notEqual(next, first, 'the timed-out connection was thrown away');
    } finally {
      await db.close();
    }
  });
});
