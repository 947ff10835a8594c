/**
 * The per-user limits held by chat-api replicas sharing one database (migration
 * 0010_shared_limits, services/chat-api/README.md "Limits shared by replicas"): the stream cap
 * (MAX_STREAMS_PER_USER) over chat sends and /v1 together, the slots of an instance whose lease
 * expired coming free, and /v1's request rate (API_RATE_LIMIT_PER_MINUTE), driven with the real
 * `openai` SDK. Two instances in this process on one PGlite database; then two chat-api
 * processes on PostgreSQL, one of them SIGKILLed while it holds the user's slots.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { createObservability } from '@samosachaat/observability';
import { observabilityConfigFromEnv } from '@samosachaat/service-kit';
import type { FastifyInstance } from 'fastify';
import OpenAI, { APIError, RateLimitError } from 'openai';
import { scaled } from '../../../test/support/timeouts.js';
import { buildApp, configFromEnv } from '../src/index.js';
import { StreamSlots } from '../src/messages/stream-slots.js';
import { backendsUnderTest, openTestDatabase, type TestDatabase } from './support/databases.js';
import { FakeAuth, type FakeUser } from './support/fake-auth.js';
import { FakeInference } from './support/fake-inference.js';
import { newInternalKey, startHarness, type Harness, type TestUser } from './support/harness.js';
import { LogCapture } from './support/log-capture.js';
import { runMain, type ChatProcess } from './support/process.js';
import { eventually } from './support/sse.js';

const LEASE_MS = 1000;
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const hi = [{ role: 'user' as const, content: 'hi' }];

/** A second chat-api instance in this process, on the harness's database (its own lease). */
async function secondInstance(h: Harness, env: Record<string, string>): Promise<{ url: string; app: FastifyInstance; close(): Promise<void> }> {
  const obs = createObservability(observabilityConfigFromEnv('chat-api', { LOG_LEVEL: 'warning' }), { logDestination: new LogCapture(), registerGlobalTracer: false, runtimeMetrics: false });
  const config = configFromEnv({ INTERNAL_API_KEY: h.internalApiKey, AUTH_URL: h.auth.url, INFERENCE_URL: h.inference.url, SAMOSACHAAT_LOCAL: 'true', ...env });
  const app = await buildApp(config, { obs, db: h.db });
  await app.listen({ port: 0, host: '127.0.0.1' });
  return {
    url: `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`,
    app,
    close: async () => {
      await app.close();
      await obs.shutdown();
    },
  };
}

/** A user API key (its row, and the fake auth's grant). */
async function newKey(db: Harness['db'], auth: FakeAuth, user: FakeUser): Promise<string> {
  const key = `sk-sc-${randomBytes(32).toString('base64url')}`;
  const { rows } = await db.query<{ id: string }>("INSERT INTO api_keys (user_id, name, prefix, key_hash) VALUES ($1, 'test', $2, $3) RETURNING id", [user.id, key.slice(0, 14), randomBytes(32).toString('hex')]);
  auth.grantApiKey(key, user, (rows[0] as { id: string }).id);
  return key;
}

/** An answer streaming in chat: the response, read up to its first token. */
async function openChat(url: string, user: TestUser): Promise<{ conversationId: string; answerId: string; rest(): Promise<string> }> {
  const headers = { authorization: `Bearer ${user.token}`, 'content-type': 'application/json' };
  const conversationId = ((await (await fetch(`${url}/api/conversations`, { method: 'POST', headers, body: '{}' })).json()) as { id: string }).id;
  const res = await fetch(`${url}/api/conversations/${conversationId}/messages`, { method: 'POST', headers, body: JSON.stringify({ content: 'go on' }) });
  assert.equal(res.status, 200, 'the send streams');
  const reader = (res.body as ReadableStream<Uint8Array>).getReader();
  let seen = '';
  while (!seen.includes('"token"')) {
    const { value, done } = await reader.read();
    if (done) break;
    seen += new TextDecoder().decode(value);
  }
  const rest = async () => {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return seen;
      seen += new TextDecoder().decode(value);
    }
  };
  return { conversationId, answerId: res.headers.get('x-answer-message-id') ?? '', rest };
}

async function send(url: string, user: TestUser): Promise<Response> {
  const headers = { authorization: `Bearer ${user.token}`, 'content-type': 'application/json' };
  const conversationId = ((await (await fetch(`${url}/api/conversations`, { method: 'POST', headers, body: '{}' })).json()) as { id: string }).id;
  return fetch(`${url}/api/conversations/${conversationId}/messages`, { method: 'POST', headers, body: JSON.stringify({ content: 'one more' }) });
}

/** Until `logs` say the instance switched the stream cap to `mode` (at a lease renewal). */
const modeSwitched = (lines: () => Array<Record<string, unknown>>, mode: 'solo' | 'shared', within: number) =>
  eventually(() => lines().some((l) => l.message === 'stream_cap_mode' && l.mode === mode), within, `stream cap ${mode}`);

/** Stops an answer streaming in chat (read by `openChat`) and reads it to its end. */
async function stopChat(url: string, user: TestUser, chat: Awaited<ReturnType<typeof openChat>>): Promise<void> {
  const stop = await fetch(`${url}/api/conversations/${chat.conversationId}/messages/${chat.answerId}/stop`, { method: 'POST', headers: { authorization: `Bearer ${user.token}` } });
  assert.equal(stop.status, 202);
  await chat.rest();
}

/** Statements of these operations run so far (the db layer's metric). */
async function statements(app: FastifyInstance, operations: string[]): Promise<number> {
  const body = (await app.inject({ url: '/metrics' })).body;
  return body
    .split('\n')
    .filter((l) => l.startsWith('db_query_duration_seconds_count') && operations.some((op) => l.includes(`operation="${op}"`)))
    .reduce((sum, l) => sum + Number(l.split(' ').pop()), 0);
}

const slotsOf = async (db: Harness['db'], userId: string) =>
  ((await db.query<{ n: number }>('SELECT count(*)::int AS n FROM stream_slots WHERE user_id = $1', [userId])).rows[0] as { n: number }).n;

describe('the stream cap over two instances on one database (PGlite)', { timeout: scaled(120_000) }, () => {
  const env = { MAX_STREAMS_PER_USER: '2', API_RATE_LIMIT_PER_MINUTE: '0', ANSWER_LEASE_MS: String(LEASE_MS) };
  let h: Harness;
  let b: Awaited<ReturnType<typeof secondInstance>>;
  let aliceKey: string;

  before(async () => {
    h = await startHarness({ env });
    b = await secondInstance(h, env);
    aliceKey = await newKey(h.db, h.auth, h.alice);
    // A started alone (solo); B saw A at its start (shared from its first send); A sees B at
    // its next renewal, within a third of the lease.
    await modeSwitched(() => h.logs.lines(), 'shared', scaled(2 * LEASE_MS));
  });
  after(async () => {
    await h?.inference.script({});
    await b?.close();
    await h?.close();
  });

  it('holds across instances for chat sends and /v1 together: 429 with Retry-After in each API’s shape, nothing saved', async () => {
    await h.inference.script({ tokens: ['one ', 'two ', 'three'], hangAfter: 1 });
    // One stream on each instance: each alone is under the cap of 2, together they hold it.
    const chat = await openChat(h.url, h.alice);
    const onB = new OpenAI({ apiKey: aliceKey, baseURL: `${b.url}/v1`, maxRetries: 0 });
    const apiStream = await onB.chat.completions.create({ model: 'demo', messages: hi, stream: true });
    assert.equal(await slotsOf(h.db, h.alice.id), 2);

    // A third chat send on A, whose own count (1) is under the cap: refused by the shared slots.
    const refused = await send(h.url, h.alice);
    assert.equal(refused.status, 429);
    assert.equal(refused.headers.get('retry-after'), '5');
    assert.equal(((await refused.json()) as { error: { code: string } }).error.code, 'CHAT_TOO_MANY_STREAMS');
    const { rows: saved } = await h.db.query<{ n: number }>("SELECT count(*)::int AS n FROM messages m JOIN conversations c ON c.id = m.conversation_id WHERE c.user_id = $1 AND m.content = 'one more'", [h.alice.id]);
    assert.equal(saved[0]?.n, 0, 'the refused send saved nothing');
    // A regeneration counts the same.
    const regen = await fetch(`${b.url}/api/conversations/${chat.conversationId}/regenerate`, { method: 'POST', headers: { authorization: `Bearer ${h.alice.token}` } });
    assert.equal(regen.status, 429);

    // /v1 on A (its own count: 1): 429 rate_limit_exceeded in OpenAI's shape, read by the SDK.
    const onA = new OpenAI({ apiKey: aliceKey, baseURL: `${h.url}/v1`, maxRetries: 0 });
    const err = await onA.chat.completions.create({ model: 'demo', messages: hi }).then(
      () => assert.fail('expected a 429'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof RateLimitError, String(err));
    assert.equal(err.status, 429);
    assert.equal(err.code, 'rate_limit_exceeded');
    assert.equal(err.type, 'rate_limit_error');
    assert.equal(err.headers?.get('retry-after'), '5');

    // Another user is not held back.
    await h.inference.script({ tokens: ['fine'] });
    const bob = await send(b.url, h.bob);
    assert.equal(bob.status, 200);
    await bob.text();

    // The streams end (a stop, a client that leaves): their slots come free on both instances.
    const stop = await fetch(`${b.url}/api/conversations/${chat.conversationId}/messages/${chat.answerId}/stop`, { method: 'POST', headers: { authorization: `Bearer ${h.alice.token}` } });
    assert.equal(stop.status, 202);
    await chat.rest();
    apiStream.controller.abort();
    await eventually(async () => (await slotsOf(h.db, h.alice.id)) === 0, scaled(10_000), 'slots released');
    const again = await send(h.url, h.alice);
    assert.equal(again.status, 200);
    await again.text();
    const whole = await onB.chat.completions.create({ model: 'demo', messages: hi });
    assert.equal(whole.choices[0]?.message.content, 'fine');
    await eventually(async () => (await slotsOf(h.db, h.alice.id)) === 0, scaled(10_000), 'slots released again');
  });

  it('frees the slots of an instance whose lease expired: taken over, then swept', async () => {
    await h.inference.script({ tokens: ['ok'] });
    // A replica that died holding both of Alice's slots: its lease runs out in about a second.
    await h.db.query("INSERT INTO chat_instances (id, expires_at) VALUES ('crashed-replica', now() + interval '1 second')");
    await h.db.query("INSERT INTO stream_slots (user_id, slot, instance_id, holder) VALUES ($1, 0, 'crashed-replica', gen_random_uuid()), ($1, 1, 'crashed-replica', gen_random_uuid())", [h.alice.id]);
    const held = await send(h.url, h.alice);
    assert.equal(held.status, 429, 'while its lease lives, its slots count');
    await held.text();
    const res = await eventually(
      async () => {
        const r = await send(b.url, h.alice);
        if (r.status === 200) return r;
        await r.text();
        await sleep(100);
        return undefined;
      },
      scaled(10_000),
      'a send once the lease expired',
    );
    await res.text();
    await eventually(
      async () => ((await h.db.query("SELECT 1 FROM stream_slots WHERE instance_id = 'crashed-replica'")).rows.length === 0 ? true : undefined),
      scaled(10_000),
      'the dead slots swept',
    );
  });
});

describe('the solo fast path: one instance alone, then a second one (PGlite)', { timeout: scaled(120_000) }, () => {
  const env = { MAX_STREAMS_PER_USER: '2', API_RATE_LIMIT_PER_MINUTE: '0', ANSWER_LEASE_MS: String(LEASE_MS) };
  const SLOT_STATEMENTS = ['stream_slots.take', 'stream_slots.release', 'stream_slots.register'];
  let h: Harness;
  let b: Awaited<ReturnType<typeof secondInstance>> | undefined;

  before(async () => {
    h = await startHarness({ env });
  });
  after(async () => {
    await h?.inference.script({});
    await b?.close();
    await h?.close();
  });

  it('alone, holds the cap in memory: no stream_slots statement for a send, no row while it streams', async () => {
    assert.ok(h.logs.find('stream_cap_mode').some((l) => l.mode === 'solo'), 'the instance saw no other at its start');
    const before = await statements(h.app, SLOT_STATEMENTS);
    await h.inference.script({ tokens: ['one ', 'two'], hangAfter: 1 });
    const first = await openChat(h.url, h.alice);
    const second = await openChat(h.url, h.alice);
    assert.equal(await slotsOf(h.db, h.alice.id), 0, 'no row while two streams are open');
    const refused = await send(h.url, h.alice);
    assert.equal(refused.status, 429, 'the cap holds on the process’s own count');
    await refused.text();
    await stopChat(h.url, h.alice, first);
    await stopChat(h.url, h.alice, second);
    await h.inference.script({ tokens: ['done'] });
    const again = await send(h.url, h.alice);
    assert.equal(again.status, 200);
    await again.text();
    assert.equal(await statements(h.app, SLOT_STATEMENTS), before, 'no take, release or register statement');
  });

  it('registers the streams it holds when a second instance appears, so the second one’s sends count them', async () => {
    await h.inference.script({ tokens: ['held ', 'on'], hangAfter: 1 });
    const first = await openChat(h.url, h.alice);
    const second = await openChat(h.url, h.alice);
    assert.equal(await slotsOf(h.db, h.alice.id), 0);
    const logsBefore = h.logs.find('stream_cap_mode').length;
    b = await secondInstance(h, env);
    // Within one renewal of A's lease (a third of it), A is shared and its two streams have rows.
    await modeSwitched(() => h.logs.find('stream_cap_mode').slice(logsBefore), 'shared', scaled(2 * LEASE_MS));
    await eventually(async () => (await slotsOf(h.db, h.alice.id)) === 2, scaled(2 * LEASE_MS), 'A’s streams registered');
    assert.equal(await statements(h.app, ['stream_slots.register']), 1, 'one grouped insert registered both');
    const refused = await send(b.url, h.alice);
    assert.equal(refused.status, 429, 'B counts A’s streams');
    assert.equal(((await refused.json()) as { error: { code: string } }).error.code, 'CHAT_TOO_MANY_STREAMS');
    // Another user is not held back.
    await h.inference.script({ tokens: ['fine'] });
    const bob = await send(b.url, h.bob);
    assert.equal(bob.status, 200);
    await bob.text();
    // A's streams end: their rows go (released as they were taken: registered rows), B serves.
    await stopChat(h.url, h.alice, first);
    await stopChat(h.url, h.alice, second);
    await eventually(async () => (await slotsOf(h.db, h.alice.id)) === 0, scaled(10_000), 'A’s rows released');
    const served = await send(b.url, h.alice);
    assert.equal(served.status, 200);
    await served.text();
  });
});

describe('StreamSlots switching to shared at the cap (PGlite)', { timeout: scaled(60_000) }, () => {
  let database: TestDatabase;
  const obs = createObservability(observabilityConfigFromEnv('chat-api', { LOG_LEVEL: 'warning' }), { logDestination: new LogCapture(), registerGlobalTracer: false, runtimeMetrics: false });
  const rows = async (userId: string) => (await database.db.query<{ instance_id: string }>('SELECT instance_id FROM stream_slots WHERE user_id = $1 ORDER BY slot', [userId])).rows.map((r) => r.instance_id);

  before(async () => {
    database = await openTestDatabase('pglite');
  });
  after(async () => {
    await database?.close();
    await obs.shutdown();
  });

  it('never cuts a held stream: one without a row inherits the row of the user’s next stream to end, and new ones are refused meanwhile', async () => {
    const { db } = database;
    const { rows: users } = await db.query<{ id: string }>("INSERT INTO users (email, name, provider, provider_id) VALUES ('cap@example.test', 'C', 'test', 'cap') RETURNING id");
    const userId = (users[0] as { id: string }).id;
    await db.query("INSERT INTO chat_instances (id, expires_at) VALUES ('here', now() + interval '1 hour'), ('other', now() + interval '1 hour')");
    const slots = new StreamSlots({ db, obs, maxPerUser: 2, instanceId: 'here', leaseMs: 60_000 });
    slots.setOtherInstances(0);
    assert.equal(slots.mode, 'solo');
    const first = await slots.tryAcquire(userId);
    const second = await slots.tryAcquire(userId);
    assert.ok(first && second);
    assert.deepEqual(await rows(userId), [], 'solo: no rows');
    // Meanwhile the other instance took one of the user's two slots.
    await db.query("INSERT INTO stream_slots (user_id, slot, instance_id, holder) VALUES ($1, 0, 'other', gen_random_uuid())", [userId]);

    slots.setOtherInstances(1);
    assert.equal(slots.mode, 'shared');
    await eventually(async () => (await rows(userId)).length === 2, scaled(5000), 'the held streams registered');
    assert.deepEqual(await rows(userId), ['other', 'here'], 'one registered; the other stream keeps streaming without a row');
    assert.equal(await slots.tryAcquire(userId), undefined, 'this process alone holds the cap: refused');

    // One ends: the stream without a row inherits its row (the user's streams here stay counted).
    first.release();
    assert.deepEqual(await rows(userId), ['other', 'here']);
    assert.equal(await slots.tryAcquire(userId), undefined, 'the other instance’s row and the inherited one fill the cap');
    second.release();
    await eventually(async () => (await rows(userId)).length === 1, scaled(5000), 'the inherited row released');
    assert.equal(await slots.sweep(), 0, 'nothing leaked');

    // Back to solo: new streams hold no row.
    slots.setOtherInstances(0);
    const third = await slots.tryAcquire(userId);
    assert.ok(third);
    assert.deepEqual(await rows(userId), ['other']);
    third.release();
  });
});

describe('the /v1 request rate over two instances (openai SDK)', { timeout: scaled(120_000) }, () => {
  const env = { API_RATE_LIMIT_PER_MINUTE: '3', MAX_STREAMS_PER_USER: '10' };
  let h: Harness;
  let b: Awaited<ReturnType<typeof secondInstance>>;

  before(async () => {
    h = await startHarness({ env });
    b = await secondInstance(h, env);
  });
  after(async () => {
    await b?.close();
    await h?.close();
  });

  it('counts a user’s requests on every instance: the fourth in a minute is a 429 with Retry-After and the x-ratelimit headers', async () => {
    // The windows are minutes of the database's clock: start early in one, so all four share it.
    const { rows } = await h.db.query<{ s: number }>('SELECT extract(second FROM now())::float8 AS s');
    if ((rows[0]?.s ?? 0) > 45) await sleep((61 - (rows[0]?.s ?? 0)) * 1000);
    const key = await newKey(h.db, h.auth, h.alice);
    const onA = new OpenAI({ apiKey: key, baseURL: `${h.url}/v1`, maxRetries: 0 });
    const onB = new OpenAI({ apiKey: key, baseURL: `${b.url}/v1`, maxRetries: 0 });
    const remaining: string[] = [];
    for (const client of [onA, onB, onA]) {
      const { response } = await client.models.list().withResponse();
      assert.equal(response.headers.get('x-ratelimit-limit-requests'), '3');
      remaining.push(response.headers.get('x-ratelimit-remaining-requests') ?? '');
      assert.match(response.headers.get('x-ratelimit-reset-requests') ?? '', /^\d+s$/);
    }
    assert.deepEqual(remaining, ['2', '1', '0']);

    const err = await onB.chat.completions.create({ model: 'demo', messages: hi }).then(
      () => assert.fail('expected a 429'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof RateLimitError, String(err));
    assert.equal(err.code, 'rate_limit_exceeded');
    assert.equal(err.type, 'rate_limit_error');
    assert.match(err.message, /3 requests per minute/);
    const retryAfter = Number(err.headers?.get('retry-after'));
    assert.ok(retryAfter >= 1 && retryAfter <= 60, `Retry-After ${retryAfter}`);
    assert.equal(err.headers?.get('x-ratelimit-remaining-requests'), '0');
    assert.equal((await h.inference.calls()).length, 0, 'a refused request never reaches inference');

    // Another user has a window of their own.
    const bobKey = await newKey(h.db, h.auth, h.bob);
    const bob = new OpenAI({ apiKey: bobKey, baseURL: `${b.url}/v1`, maxRetries: 0 });
    const { response } = await bob.models.list().withResponse();
    assert.equal(response.headers.get('x-ratelimit-remaining-requests'), '2');
    // A bad key is refused before it counts against anyone.
    const anon = new OpenAI({ apiKey: 'sk-sc-not-a-key', baseURL: `${b.url}/v1`, maxRetries: 0 });
    const bad = await anon.models.list().then(
      () => assert.fail('expected a 401'),
      (e: unknown) => e,
    );
    assert.ok(bad instanceof APIError && bad.status === 401);
  });
});

const postgres = (await backendsUnderTest()).find((x) => x.backend === 'postgres');

describe('a SIGKILLed replica’s stream slots (two processes, PostgreSQL)', { skip: postgres?.skip ?? false, timeout: scaled(120_000) }, () => {
  const key = newInternalKey();
  let auth: FakeAuth;
  let inference: FakeInference;
  let database: TestDatabase;
  const processes: ChatProcess[] = [];
  let alice: TestUser;

  before(async () => {
    auth = await new FakeAuth(key).start();
    inference = await new FakeInference(key).start();
    database = await openTestDatabase('postgres');
    const { rows } = await database.db.query<{ id: string }>(`INSERT INTO users (email, name, provider, provider_id) VALUES ('slots@example.test', 'S', 'test', 'slots') RETURNING id`);
    alice = { id: (rows[0] as { id: string }).id, email: 'slots@example.test', name: 'S', is_admin: false, token: `tok.${randomBytes(24).toString('base64url')}` };
    auth.grant(alice.token, alice);
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
      DATABASE_URL: database.url as string,
      INTERNAL_API_KEY: key,
      PORT: '0',
      AUTH_URL: auth.url,
      INFERENCE_URL: inference.url,
      MAX_STREAMS_PER_USER: '2',
      API_RATE_LIMIT_PER_MINUTE: '0',
      ANSWER_LEASE_MS: String(LEASE_MS),
    });
    processes.push(p);
    return { p, url: String((await p.started).address) };
  }

  it('holds the cap while the replica lives, and frees its slots once its lease expired', async () => {
    const apiKey = await newKey(database.db, auth, alice);
    await inference.control().script({ tokens: ['held ', 'on'], hangAfter: 1 });
    const a = await instance();
    const b = await instance();
    // A started alone: it counts B (and holds its streams as rows) from its next renewal.
    await modeSwitched(() => a.p.lines, 'shared', scaled(2 * LEASE_MS));
    const onA = new OpenAI({ apiKey, baseURL: `${a.url}/v1`, maxRetries: 0 });
    const onB = new OpenAI({ apiKey, baseURL: `${b.url}/v1`, maxRetries: 0 });
    // Both of the user's slots, held on A: one /v1 stream, one chat answer.
    const held = await onA.chat.completions.create({ model: 'demo', messages: hi, stream: true });
    const chat = await openChat(a.url, alice);
    const refused = await onB.chat.completions.create({ model: 'demo', messages: hi }).then(
      () => assert.fail('expected a 429'),
      (e: unknown) => e,
    );
    assert.ok(refused instanceof RateLimitError, String(refused));
    assert.equal(refused.code, 'rate_limit_exceeded');

    a.p.child.kill('SIGKILL');
    await a.p.exited;
    held.controller.abort();
    await chat.rest().catch(() => '');
    await inference.control().script({ tokens: ['free'] });
    // Within about a lease (plus a sweep), B serves the user again.
    const answer = await eventually(
      async () => {
        try {
          return await onB.chat.completions.create({ model: 'demo', messages: hi });
        } catch (err) {
          if (err instanceof RateLimitError) {
            await sleep(100);
            return undefined;
          }
          throw err;
        }
      },
      scaled(15_000),
      'B serving once A’s lease expired',
    );
    assert.equal(answer.choices[0]?.message.content, 'free');
    await eventually(
      async () => ((await database.db.query<{ n: number }>('SELECT count(*)::int AS n FROM stream_slots')).rows[0]?.n === 0 ? true : undefined),
      scaled(10_000),
      'A’s slots swept, B’s released',
    );
  });
});
