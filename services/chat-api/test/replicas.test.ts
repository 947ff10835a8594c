/**
 * Crash-visible answers with two chat-api instances (real processes) on one PostgreSQL
 * database: every answer is a `streaming` row from its first byte; SIGKILL one instance
 * mid-answer and only its answers are marked `incomplete` / `interrupted` (by the other
 * instance's sweep, once the dead one's lease expired), their text so far kept; the live
 * instance's answers end complete and are never marked.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { scaled } from '../../../test/support/timeouts.js';
import { backendsUnderTest, openTestDatabase, type TestDatabase } from './support/databases.js';
import { FakeAuth } from './support/fake-auth.js';
import { FakeInference } from './support/fake-inference.js';
import { newInternalKey } from './support/harness.js';
import { runMain, type ChatProcess } from './support/process.js';
import { eventually, parseEvents } from './support/sse.js';

const postgres = (await backendsUnderTest()).find((b) => b.backend === 'postgres');
const TOKENS = Array.from({ length: 60 }, (_, i) => `tok${i} `);
const LEASE_MS = 1000;
const STOP_POLL_MS = 200;
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

describe('two chat-api instances: killing one marks only its answers', { skip: postgres?.skip ?? false }, () => {
  const key = newInternalKey();
  let auth: FakeAuth;
  let inference: FakeInference;
  let database: TestDatabase;
  const processes: ChatProcess[] = [];
  let token = '';

  before(async () => {
    auth = await new FakeAuth(key).start();
    inference = await new FakeInference(key).start();
    database = await openTestDatabase('postgres');
    const { rows } = await database.db.query<{ id: string }>(`INSERT INTO users (email, name, provider, provider_id) VALUES ('replicas@example.test', 'R', 'test', 'replicas') RETURNING id`);
    token = `tok.${randomBytes(24).toString('base64url')}`;
    auth.grant(token, { id: rows[0]!.id, email: 'replicas@example.test', name: 'R', is_admin: false });
  });
  after(async () => {
    for (const p of processes) p.kill();
    await Promise.all(processes.map((p) => p.exited));
    await database?.close();
    await auth?.stop();
    await inference?.stop();
  });

  async function instance(): Promise<{ p: ChatProcess; url: string }> {
    const p = runMain({
      DATABASE_URL: databaseUrl(),
      INTERNAL_API_KEY: key,
      PORT: '0',
      AUTH_URL: auth.url,
      INFERENCE_URL: inference.url,
      MAX_STREAMS_PER_USER: '20',
      ANSWER_LEASE_MS: String(LEASE_MS),
      ANSWER_FLUSH_INTERVAL_MS: '200',
      ANSWER_STOP_POLL_MS: String(STOP_POLL_MS),
    });
    processes.push(p);
    const started = await p.started;
    return { p, url: String(started.address) };
  }

  const databaseUrl = () => database.url as string;

  const headers = () => ({ authorization: `Bearer ${token}`, 'content-type': 'application/json' });

  async function send(url: string): Promise<{ conversationId: string; done: Promise<Array<Record<string, unknown>>> }> {
    const conversationId = ((await (await fetch(`${url}/api/conversations`, { method: 'POST', headers: headers(), body: '{}' })).json()) as { id: string }).id;
    const res = await fetch(`${url}/api/conversations/${conversationId}/messages`, { method: 'POST', headers: headers(), body: JSON.stringify({ content: 'go on' }) });
    assert.equal(res.status, 200);
    const done = res.text().then(parseEvents, () => [] as Array<Record<string, unknown>>);
    return { conversationId, done };
  }

  it('SIGKILL of one instance mid-answer: its answers become interrupted partials, the other instance’s complete', async () => {
    await inference.control().script({ tokens: TOKENS, delayMs: 60 });
    const a = await instance();
    const b = await instance();
    const onA = await Promise.all([0, 1, 2].map(() => send(a.url)));
    const onB = await Promise.all([0, 1, 2].map(() => send(b.url)));
    const all = [...onA, ...onB].map((s) => s.conversationId);
    // Every answer is in the database as it streams, with text flushed.
    await eventually(
      async () => {
        const { rows } = await database.db.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM messages m WHERE m.conversation_id = ANY($1::uuid[]) AND m.role = 'assistant' AND m.status = 'streaming'
              AND EXISTS (SELECT 1 FROM message_parts p WHERE p.message_id = m.id)`,
          [all],
        );
        return rows[0]?.n === 6;
      },
      scaled(10_000),
      'six streaming answers with parts',
    );
    a.p.child.kill('SIGKILL');
    await a.p.exited;

    const bEvents = await Promise.all(onB.map((s) => s.done));
    for (const events of bEvents) assert.equal(events.at(-1)?.done, true);
    const aIds = onA.map((s) => s.conversationId);
    const marked = await eventually(
      async () => {
        const { rows } = await database.db.query<{ status: string; failure_code: string | null; content: string }>(
          `SELECT status, failure_code, content FROM messages WHERE conversation_id = ANY($1::uuid[]) AND role = 'assistant'`,
          [aIds],
        );
        return rows.length === 3 && rows.every((r) => r.status !== 'streaming') ? rows : undefined;
      },
      scaled(15_000),
      "the dead instance's answers marked",
    );
    for (const row of marked) {
      assert.equal(row.status, 'incomplete');
      assert.equal(row.failure_code, 'interrupted');
      assert.ok(row.content.length > 0 && TOKENS.join('').startsWith(row.content), 'the text streamed so far is kept, in order');
    }
    const { rows: live } = await database.db.query<{ status: string; failure_code: string | null; content: string }>(
      `SELECT status, failure_code, content FROM messages WHERE conversation_id = ANY($1::uuid[]) AND role = 'assistant'`,
      [onB.map((s) => s.conversationId)],
    );
    assert.deepEqual(
      live.map((r) => [r.status, r.failure_code, r.content]),
      onB.map(() => ['complete', null, TOKENS.join('')]),
    );
    assert.ok(b.p.lines.some((l) => l.message === 'answers_marked_interrupted' && l.answers === 3), 'the live instance marked the three');
    const { rows: parts } = await database.db.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM message_parts p JOIN messages m ON m.id = p.message_id WHERE m.conversation_id = ANY($1::uuid[])',
      [all],
    );
    assert.equal(parts[0]?.n, 0, 'parts are joined into the text and removed');
  });

  it('Stop through the other replica stops the answer within the poll bound and stores it as stopped; a disconnect does not stop', async () => {
    await inference.control().script({ tokens: TOKENS, delayMs: 60 });
    const a = await instance();
    const b = await instance();
    const conversationId = ((await (await fetch(`${a.url}/api/conversations`, { method: 'POST', headers: headers(), body: '{}' })).json()) as { id: string }).id;
    const res = await fetch(`${a.url}/api/conversations/${conversationId}/messages`, { method: 'POST', headers: headers(), body: JSON.stringify({ content: 'stop me' }) });
    assert.equal(res.status, 200);
    const answerId = res.headers.get('x-answer-message-id') as string;
    assert.match(answerId, /^[0-9a-f-]{36}$/);
    const text = res.text();
    await sleep(400);
    // Asked on B; A streams it.
    const asked = performance.now();
    const stop = await fetch(`${b.url}/api/conversations/${conversationId}/messages/${answerId}/stop`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
    assert.equal(stop.status, 202);
    assert.deepEqual(await stop.json(), { id: answerId, status: 'stopping' });
    const events = parseEvents(await text);
    const took = performance.now() - asked;
    assert.ok(took <= STOP_POLL_MS + scaled(1500), `stopped ${Math.round(took)} ms after the request (poll every ${STOP_POLL_MS} ms)`);
    assert.deepEqual(events.at(-1), { done: true, message_id: answerId, stopped: true });
    const tokens = events.filter((e) => typeof e.token === 'string').length;
    assert.ok(tokens > 0 && tokens < TOKENS.length, `stopped after ${tokens} of ${TOKENS.length} tokens`);
    const { rows } = await database.db.query<{ status: string; failure_code: string; content: string }>('SELECT status, failure_code, content FROM messages WHERE id = $1', [answerId]);
    assert.equal(rows[0]?.status, 'stopped');
    assert.equal(rows[0]?.failure_code, 'stopped');
    assert.equal(rows[0]?.content, TOKENS.slice(0, tokens).join(''), 'the text the user saw is kept');
    await eventually(() => a.p.lines.some((l) => l.message === 'answer_stopped' && l.message_id === answerId), scaled(5000), 'answer_stopped logged by the instance streaming it');
    // Idempotent: asked again (on either replica), the stored answer is left as it is.
    const again = await fetch(`${a.url}/api/conversations/${conversationId}/messages/${answerId}/stop`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
    assert.equal(again.status, 200);
    assert.deepEqual(await again.json(), { id: answerId, status: 'stopped' });
    // Someone else's, or no such answer: 404.
    const missing = await fetch(`${b.url}/api/conversations/${conversationId}/messages/${conversationId}/stop`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
    assert.equal(missing.status, 404);

    // A navigation (the client just leaves) is not a stop: the answer is generated and stored in full.
    const left = await fetch(`${a.url}/api/conversations/${conversationId}/messages`, { method: 'POST', headers: headers(), body: JSON.stringify({ content: 'then I leave' }) });
    const leftId = left.headers.get('x-answer-message-id') as string;
    await left.body?.cancel();
    const whole = await eventually(
      async () => (await database.db.query<{ status: string; content: string }>('SELECT status, content FROM messages WHERE id = $1', [leftId])).rows.find((r) => r.status !== 'streaming'),
      scaled(15_000),
      'the left answer stored',
    );
    assert.deepEqual([whole.status, whole.content], ['complete', TOKENS.join('')]);
  });
});
