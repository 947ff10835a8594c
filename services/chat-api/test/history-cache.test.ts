/**
 * The history cache lets a send start inference before the database has answered. It is a
 * guess checked by the statement that saves the message: these tests change conversations
 * behind chat-api's back, as another replica would, and check that the client only ever gets
 * an answer generated from the history the database holds.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { backendsUnderTest } from './support/databases.js';
import type { GenerateCall } from './support/fake-inference.js';
import { startHarness, type Harness } from './support/harness.js';
import { beforeDone, DONE_STORED, eventually, storedEvents, stream } from './support/sse.js';

const TOKENS = ['fresh', ' answer'];

for (const { backend, skip } of await backendsUnderTest()) {
  describe(`history cache [${backend}]`, { skip }, () => {
    let h: Harness;
    before(async () => {
      h = await startHarness({ backend });
      await h.inference.script({ tokens: TOKENS });
    });
    after(async () => {
      await h?.close();
    });

    const newConversation = async (body: Record<string, unknown> = {}) => (await h.call('POST', '/api/conversations', { body })).json.id as string;
    const cacheCount = async (result: string) => (await h.metric(`chat_history_cache_requests_total{result="${result}",service="chat-api"}`)) ?? 0;
    const counts = async () => ({ hit: await cacheCount('hit'), miss: await cacheCount('miss'), stale: await cacheCount('stale') });
    const callCount = async () => (await h.inference.calls()).length;
    const callsSince = async (n: number): Promise<GenerateCall[]> => (await h.inference.calls()).slice(n);
    const send = (id: string, content: string) => stream(h.url, `/api/conversations/${id}/messages`, h.alice, { content });
    const rowsOf = async (id: string) =>
      (await h.db.query<{ role: string; content: string; status: string }>('SELECT role, content, status FROM messages WHERE conversation_id = $1 ORDER BY seq', [id])).rows.map((r) => `${r.role}:${r.content}:${r.status}`);

    it('a conversation this process created or answered is served from the cache: one inference call, the history the database holds', async () => {
      const id = await newConversation();
      const before = await counts();
      const calls = await callCount();
      const first = await send(id, 'first question');
      const second = await send(id, 'second question');
      assert.equal(first.status, 200);
      assert.equal(second.status, 200);
      const made = await callsSince(calls);
      assert.equal(made.length, 2, 'one inference call per send');
      assert.deepEqual(made[1]?.body.messages, [
        { role: 'user', content: 'first question' },
        { role: 'assistant', content: TOKENS.join('') },
        { role: 'user', content: 'second question' },
      ]);
      assert.deepEqual(await counts(), { hit: before.hit + 2, miss: before.miss, stale: before.stale });
      assert.deepEqual(storedEvents(second.events), [...TOKENS.map((token) => ({ token })), DONE_STORED]);
    });

    // Against a database server only: PGlite runs inside this test process, where a slow
    // statement stops the whole event loop (the observer included), so "before the commit"
    // cannot be observed there.
    if (backend !== 'pglite') {
      it('inference starts before the user message is committed when the history is cached', async () => {
        const id = await newConversation();
        // A save that takes 400 ms, as a busy database would.
        await h.db.query(`CREATE OR REPLACE FUNCTION slow_message() RETURNS trigger LANGUAGE plpgsql AS $$
          BEGIN IF NEW.content = 'slow save' THEN PERFORM pg_sleep(0.4); END IF; RETURN NEW; END $$`);
        await h.db.query('CREATE TRIGGER slow_message BEFORE INSERT ON messages FOR EACH ROW EXECUTE FUNCTION slow_message()');
        try {
          const calls = await callCount();
          const sentAt = performance.now();
          const res = fetch(`${h.url}/api/conversations/${id}/messages`, {
            method: 'POST',
            headers: { authorization: `Bearer ${h.alice.token}`, 'content-type': 'application/json' },
            body: JSON.stringify({ content: 'slow save' }),
          });
          await eventually(async () => (await callCount()) > calls, 5000, 'inference called');
          const calledAt = performance.now();
          const response = await res;
          const headersAt = performance.now();
          await response.text();
          assert.equal(response.status, 200);
          assert.ok(headersAt - calledAt >= 250, `inference was called ${Math.round(calledAt - sentAt)} ms after the request, the stream began ${Math.round(headersAt - sentAt)} ms after it`);
        } finally {
          await h.db.query('DROP TRIGGER IF EXISTS slow_message ON messages');
        }
        assert.deepEqual(await rowsOf(id), ['user:slow save:complete', `assistant:${TOKENS.join('')}:complete`]);
      });

      it('a save that had to wait for another writer sees the version that writer left, so inference restarts on its history: nothing it committed is missed', async () => {
        const id = await newConversation();
        await send(id, 'q1');
        // Another writer (another replica saving a message) holds the conversation's lock.
        let release = (): void => undefined;
        const gate = new Promise<void>((resolve) => (release = resolve));
        let holding = (): void => undefined;
        const held = new Promise<void>((resolve) => (holding = resolve));
        const writer = h.db.transaction(async (tx) => {
          await tx.query(`INSERT INTO messages (conversation_id, role, content) VALUES ($1, 'user', 'racing writer')`, [id]);
          await tx.query('UPDATE conversations SET updated_at = now() WHERE id = $1', [id]);
          holding();
          await gate;
        });
        await held;
        const before = await counts();
        const calls = await callCount();
        const sending = send(id, 'q2');
        // Inference starts on the cached guess; the save then waits for the writer's lock.
        await eventually(async () => (await callCount()) > calls, 5000, 'inference called on the guess');
        await sleep(300);
        release();
        await writer;
        const res = await sending;
        assert.equal(res.status, 200);
        const made = await callsSince(calls);
        assert.equal(made.length, 2, 'the guess, then the restart on the history read again');
        assert.deepEqual(made[1]?.body.messages.map((m) => m.content), ['q1', TOKENS.join(''), 'racing writer', 'q2']);
        assert.equal(beforeDone(res.text), beforeDone(made[1]?.sent ?? ''));
        assert.deepEqual(await counts(), { hit: before.hit, miss: before.miss, stale: before.stale + 1 });
        assert.deepEqual((await rowsOf(id)).slice(-3), ['user:racing writer:complete', 'user:q2:complete', `assistant:${TOKENS.join('')}:complete`]);
      });
    }

    it('history another writer added: inference is started again on the database history and only that answer reaches the client', async () => {
      const id = await newConversation();
      await send(id, 'q1');
      // Another replica answered in this conversation meanwhile.
      await h.db.query(`INSERT INTO messages (conversation_id, role, content, token_count) VALUES ($1, 'user', 'from elsewhere', NULL), ($1, 'assistant', 'elsewhere answer', 2)`, [id]);
      const before = await counts();
      const calls = await callCount();
      const res = await send(id, 'q2');
      assert.equal(res.status, 200);
      const made = await callsSince(calls);
      assert.equal(made.length, 2, 'the guess, then the restart');
      assert.deepEqual(made[0]?.body.messages.map((m) => m.content), ['q1', TOKENS.join(''), 'q2']);
      assert.deepEqual(made[1]?.body.messages.map((m) => m.content), ['q1', TOKENS.join(''), 'from elsewhere', 'elsewhere answer', 'q2']);
      assert.equal(beforeDone(res.text), beforeDone(made[1]?.sent ?? ''), 'the client got exactly the restarted stream');
      assert.deepEqual(storedEvents(res.events), [...TOKENS.map((token) => ({ token })), DONE_STORED]);
      assert.deepEqual(await counts(), { hit: before.hit, miss: before.miss, stale: before.stale + 1 });
      assert.ok(h.logs.find('history_cache_stale').some((l) => l.conversation_id === id && l.history_messages === 5));
      assert.deepEqual((await rowsOf(id)).slice(-2), ['user:q2:complete', `assistant:${TOKENS.join('')}:complete`]);
      await eventually(async () => (await h.metric('chat_active_streams{service="chat-api"}')) === 0, 5000, 'no stream left open');

      // The cache now holds what the database said: the next send is a hit again.
      const calls2 = await callCount();
      await send(id, 'q3');
      assert.equal((await callsSince(calls2)).length, 1);
      assert.equal(await cacheCount('hit'), before.hit + 1);
    });

    it('a model changed elsewhere restarts inference with that model; one changed through the API is used at once', async () => {
      const id = await newConversation({ model_tag: 'demo' });
      await send(id, 'q1');
      await h.db.query(`UPDATE conversations SET model_tag = 'other-model' WHERE id = $1`, [id]);
      let calls = await callCount();
      await send(id, 'q2');
      const restarted = await callsSince(calls);
      assert.deepEqual(restarted.map((c) => c.body.model), ['demo', 'other-model']);

      const res = await h.call('PUT', `/api/conversations/${id}`, { body: { model_tag: 'tiny' } });
      assert.equal(res.status, 200);
      const before = await counts();
      calls = await callCount();
      await send(id, 'q3');
      assert.deepEqual((await callsSince(calls)).map((c) => c.body.model), ['tiny']);
      assert.deepEqual(await counts(), { ...before, miss: before.miss + 1 }, 'the update made the entry go: read first, no restart');
    });

    it('a conversation deleted elsewhere is a 404: the started generation is dropped and nothing is stored', async () => {
      const id = await newConversation();
      await send(id, 'q1');
      await h.db.query('DELETE FROM conversations WHERE id = $1', [id]);
      const calls = await callCount();
      const res = await h.call('POST', `/api/conversations/${id}/messages`, { body: { content: 'into the void' } });
      assert.equal(res.status, 404);
      assert.equal(res.json.error.code, 'CHAT_CONVERSATION_NOT_FOUND');
      assert.equal(await callCount(), calls + 1, 'inference had been started on the guess');
      assert.deepEqual(await rowsOf(id), []);
      await eventually(async () => (await h.metric('chat_active_streams{service="chat-api"}')) === 0, 5000, 'no stream left open');
    });

    it("never serves one user's cached conversation to another: bob gets 404 and alice's history stays hers", async () => {
      const id = await newConversation();
      await send(id, 'private');
      const calls = await callCount();
      const res = await h.call('POST', `/api/conversations/${id}/messages`, { user: h.bob, body: { content: 'let me in' } });
      assert.equal(res.status, 404);
      assert.equal(await callCount(), calls, 'not even a guess: the entry is not bob’s');
      assert.deepEqual(await rowsOf(id), ['user:private:complete', `assistant:${TOKENS.join('')}:complete`]);
      // Nor can bob's 404 evict alice's entry: her next send is still served from the cache.
      const hits = await cacheCount('hit');
      assert.equal((await send(id, 'still mine')).status, 200);
      assert.equal(await cacheCount('hit'), hits + 1);
      assert.equal(await callCount(), calls + 1);
    });

    it('after a regenerate the next send reads the database first and sends the new answer, not the replaced one', async () => {
      const id = await newConversation();
      await send(id, 'q1');
      await h.inference.script({ tokens: ['second', ' try'] });
      try {
        const regen = await stream(h.url, `/api/conversations/${id}/regenerate`, h.alice);
        assert.equal(regen.status, 200);
        const before = await counts();
        const calls = await callCount();
        await send(id, 'q2');
        const made = await callsSince(calls);
        assert.equal(made.length, 1);
        assert.deepEqual(made[0]?.body.messages.map((m) => m.content), ['q1', 'second try', 'q2']);
        assert.equal(await cacheCount('miss'), before.miss + 1);
      } finally {
        await h.inference.script({ tokens: TOKENS });
      }
    });

    it('a burst of sends is saved in grouped statements: each send gets its own answer and rows, a stranger\'s conversation in the burst is 404 and writes nothing', async () => {
      // Three streams per user at most: four users, three conversations each.
      const users = await Promise.all(['burst0', 'burst1', 'burst2', 'burst3'].map((name) => h.addUser(name)));
      const owners = Array.from({ length: 12 }, (_, i) => users[i % users.length] as (typeof users)[number]);
      const ids = await Promise.all(owners.map(async (user) => (await h.call('POST', '/api/conversations', { user, body: {} })).json.id as string));
      const bobs = (await h.call('POST', '/api/conversations', { user: h.bob, body: {} })).json.id as string;
      const batches = async () => ({
        sends: (await h.metric('chat_db_write_batch_size_sum{operation="save_user",service="chat-api"}')) ?? 0,
        answers: (await h.metric('chat_db_write_batch_size_sum{operation="save_answer",service="chat-api"}')) ?? 0,
      });
      const before = await batches();
      const [intruder, ...results] = await Promise.all([
        h.call('POST', `/api/conversations/${bobs}/messages`, { body: { content: 'not mine' } }),
        ...ids.map((id, i) => stream(h.url, `/api/conversations/${id}/messages`, owners[i] as (typeof users)[number], { content: `burst ${i}` })),
      ]);
      assert.equal(intruder?.status, 404);
      assert.deepEqual(await rowsOf(bobs), []);
      for (const [i, id] of ids.entries()) {
        assert.equal(results[i]?.status, 200);
        assert.deepEqual(storedEvents(results[i]?.events), [...TOKENS.map((token) => ({ token })), DONE_STORED]);
        assert.deepEqual(await rowsOf(id), [`user:burst ${i}:complete`, `assistant:${TOKENS.join('')}:complete`], `conversation ${i}`);
        const { rows } = await h.db.query<{ title: string; version: string }>('SELECT title, history_version::text AS version FROM conversations WHERE id = $1', [id]);
        assert.deepEqual(rows[0], { title: `burst ${i}`, version: '2' });
      }
      // Every write went through a statement, counted once (alone or grouped); bob's 404 was
      // found by the database read before inference, so it wrote nothing.
      await eventually(async () => (await batches()).answers === before.answers + ids.length, 5000, 'every answer written');
      assert.deepEqual(await batches(), { sends: before.sends + ids.length, answers: before.answers + ids.length });
    });

    it('two sends to one conversation at once: both are kept, and the second is answered on a history holding the first', async () => {
      const id = await newConversation();
      await send(id, 'q1');
      const calls = await callCount();
      const [a, b] = await Promise.all([send(id, 'twin A'), send(id, 'twin B')]);
      assert.equal(a.status, 200);
      assert.equal(b.status, 200);
      const rows = await rowsOf(id);
      assert.equal(rows.length, 6);
      const order = rows.filter((r) => r.startsWith('user:twin')).map((r) => r.split(':')[1]);
      assert.equal(order.length, 2);
      // The one saved second was answered on a history with the first (a restart if it had
      // guessed without it): whatever inference was asked last for it holds both.
      const made = await callsSince(calls);
      const lastFor = (content: string) => made.filter((c) => c.body.messages.at(-1)?.content === content).at(-1);
      const second = lastFor(order[1] as string);
      assert.ok(second?.body.messages.some((m) => m.content === order[0]), `the answer to "${order[1]}" was generated knowing "${order[0]}"`);
    });
  });

  describe(`history cache off (HISTORY_CACHE_CHARS=0) [${backend}]`, { skip }, () => {
    let h: Harness;
    before(async () => {
      h = await startHarness({ backend, env: { HISTORY_CACHE_CHARS: '0' } });
      await h.inference.script({ tokens: TOKENS });
    });
    after(async () => {
      await h?.close();
    });

    it('every send reads the database before inference starts, and still gets the full history', async () => {
      const id = (await h.call('POST', '/api/conversations', { body: {} })).json.id as string;
      await stream(h.url, `/api/conversations/${id}/messages`, h.alice, { content: 'q1' });
      const res = await stream(h.url, `/api/conversations/${id}/messages`, h.alice, { content: 'q2' });
      assert.equal(res.status, 200);
      const calls = await h.inference.calls();
      assert.equal(calls.length, 2);
      assert.deepEqual(calls[1]?.body.messages.map((m) => m.content), ['q1', TOKENS.join(''), 'q2']);
      assert.equal(await h.metric('chat_history_cache_requests_total{result="miss",service="chat-api"}'), 2);
      assert.equal(await h.metric('chat_history_cache_requests_total{result="hit",service="chat-api"}'), undefined);
    });
  });
}
