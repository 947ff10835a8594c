/**
 * Long answers are written to the database while they stream (every ANSWER_FLUSH_CHARS
 * characters), so chat-api's memory per stream stays bounded whatever the answer's length or
 * the reader's speed: the row exists as `incomplete` during the stream and is completed at
 * the end, whole and in order; regenerate still replaces the previous answer.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { backendsUnderTest } from './support/databases.js';
import { startHarness, type Harness } from './support/harness.js';
import { DONE_STORED, eventually, storedEvents, stream } from './support/sse.js';

const FLUSH_CHARS = 4096;

interface Row {
  role: string;
  content: string;
  status: string;
  token_count: number | null;
}

for (const { backend, skip } of await backendsUnderTest()) {
  describe(`long answers are flushed to the database as they stream [${backend}]`, { skip }, () => {
    let h: Harness;
    before(async () => {
      h = await startHarness({ backend, env: { ANSWER_FLUSH_CHARS: String(FLUSH_CHARS) } });
    });
    after(async () => {
      await h?.close();
    });

    const rowsOf = async (id: string): Promise<Row[]> =>
      (await h.db.query<Row>('SELECT role, content, status, token_count FROM messages WHERE conversation_id = $1 ORDER BY seq', [id])).rows;

    it('the answer row exists as incomplete mid-stream, then holds every token in order once it ends', async () => {
      const id = (await h.call('POST', '/api/conversations', { body: {} })).json.id as string;
      // Tokens of distinct text, so a lost, repeated or reordered part shows in the content.
      const tokens = Array.from({ length: 400 }, (_, i) => `<${String(i).padStart(3, '0')}:${'a'.repeat(40)}>`);
      await h.inference.script({ tokens, delayMs: 2 });
      const pending = stream(h.url, `/api/conversations/${id}/messages`, h.alice, { content: 'a long one, please' });

      // The answer's row exists from the start, marked streaming; readers see its parts so far.
      const partial = await eventually(
        async () => ((await h.call('GET', `/api/conversations/${id}`)).json.messages as Row[]).find((m) => m.role === 'assistant' && m.content.length >= FLUSH_CHARS),
        15_000,
        'a flushed part',
      );
      assert.equal(partial.status, 'streaming');
      assert.ok(partial.content.length >= FLUSH_CHARS && partial.content.length < tokens.join('').length, `flushed ${partial.content.length} characters`);
      assert.ok(tokens.join('').startsWith(partial.content), 'the flushed parts are the beginning of the answer, in order');

      const res = await pending;
      assert.equal(res.status, 200);
      assert.equal(res.events.length, tokens.length + 1);
      const rows = await rowsOf(id);
      assert.deepEqual(
        rows.map((r) => [r.role, r.status, r.token_count]),
        [
          ['user', 'complete', null],
          ['assistant', 'complete', tokens.length],
        ],
      );
      assert.equal(rows[1]?.content, tokens.join(''));
      assert.equal((await h.db.query('SELECT 1 FROM message_parts')).rowCount, 0, 'the parts were joined and removed');
      const persisted = h.logs.find('message_persisted').filter((l) => l.conversation_id === id && l.role === 'assistant');
      assert.equal(persisted.length, 1);
      assert.equal(persisted[0]?.token_count, tokens.length);
    });

    it('a short answer is written once, at the end, as before', async () => {
      const id = (await h.call('POST', '/api/conversations', { body: {} })).json.id as string;
      await h.inference.script({ tokens: ['short', ' one'] });
      await stream(h.url, `/api/conversations/${id}/messages`, h.alice, { content: 'hi' });
      const rows = await rowsOf(id);
      assert.deepEqual(
        rows.map((r) => [r.role, r.content, r.status]),
        [
          ['user', 'hi', 'complete'],
          ['assistant', 'short one', 'complete'],
        ],
      );
    });

    it('regenerate with a long answer replaces the previous answer and keeps the new one whole', async () => {
      const id = (await h.call('POST', '/api/conversations', { body: {} })).json.id as string;
      const first = Array.from({ length: 150 }, (_, i) => `[first ${i}${'b'.repeat(50)}]`);
      await h.inference.script({ tokens: first });
      await stream(h.url, `/api/conversations/${id}/messages`, h.alice, { content: 'q' });
      const second = Array.from({ length: 200 }, (_, i) => `[second ${i}${'c'.repeat(50)}]`);
      await h.inference.script({ tokens: second });
      const res = await stream(h.url, `/api/conversations/${id}/regenerate`, h.alice);
      assert.equal(res.status, 200);
      const rows = await rowsOf(id);
      assert.deepEqual(
        rows.map((r) => [r.role, r.status]),
        [
          ['user', 'complete'],
          ['assistant', 'complete'],
        ],
      );
      assert.equal(rows[1]?.content, second.join(''));
      const line = h.logs.find('message_persisted').filter((l) => l.conversation_id === id && l.role === 'assistant').pop();
      assert.equal(line?.replaced_messages, 1);
    });

    it('an answer cut off mid-stream keeps every flushed and pending part, marked incomplete', async () => {
      const id = (await h.call('POST', '/api/conversations', { body: {} })).json.id as string;
      const tokens = Array.from({ length: 300 }, (_, i) => `{${i}${'d'.repeat(30)}}`);
      await h.inference.script({ tokens, dropAfter: 250 });
      const res = await stream(h.url, `/api/conversations/${id}/messages`, h.alice, { content: 'q' });
      assert.equal(res.status, 200);
      assert.deepEqual(storedEvents(res.events).slice(-2), [{ error: 'inference connection dropped mid-answer', code: 'stream_error' }, DONE_STORED]);
      const rows = await rowsOf(id);
      assert.equal(rows.length, 2);
      assert.equal(rows[1]?.status, 'incomplete');
      assert.equal(rows[1]?.content, tokens.slice(0, 250).join(''));
    });

    it('a conversation deleted mid-stream takes its flushed answer with it', async () => {
      const id = (await h.call('POST', '/api/conversations', { body: {} })).json.id as string;
      const tokens = Array.from({ length: 300 }, (_, i) => `(${i}${'e'.repeat(40)})`);
      await h.inference.script({ tokens, delayMs: 3 });
      const pending = stream(h.url, `/api/conversations/${id}/messages`, h.alice, { content: 'q' });
      await eventually(async () => (await rowsOf(id)).some((r) => r.role === 'assistant'), 15_000, 'a flushed part');
      assert.equal((await h.call('DELETE', `/api/conversations/${id}`)).status, 204);
      const res = await pending;
      assert.equal(res.status, 200);
      assert.deepEqual(await rowsOf(id), []);
      await eventually(() => h.logs.find('message_discarded_conversation_deleted').some((l) => l.conversation_id === id), 5000, 'discard logged');
    });
  });
}

for (const { backend, skip } of await backendsUnderTest()) {
  describe(`time flushes of answers streaming together share statements [${backend}]`, { skip }, () => {
    const INTERVAL_MS = 200;
    let h: Harness;
    before(async () => {
      h = await startHarness({ backend, env: { ANSWER_FLUSH_INTERVAL_MS: String(INTERVAL_MS), MAX_STREAMS_PER_USER: '10' } });
    });
    after(async () => {
      await h?.close();
    });

    it('flushes every answer holding text at the same tick, in one statement, and loses nothing', async () => {
      const answers = 6;
      const series = (part: 'sum' | 'count') => `chat_db_write_batch_size_${part}{operation="save_part",service="chat-api"}`;
      const before = { parts: (await h.metric(series('sum'))) ?? 0, statements: (await h.metric(series('count'))) ?? 0 };
      const ids: string[] = [];
      for (let i = 0; i < answers; i++) ids.push((await h.call('POST', '/api/conversations', { body: {} })).json.id as string);
      // Slow answers, ~4 clock ticks long: each is flushed several times while it streams.
      const tokens = Array.from({ length: 40 }, (_, i) => `<${String(i).padStart(2, '0')}>`);
      await h.inference.script({ tokens, delayMs: 20 });
      const results = await Promise.all(ids.map((id) => stream(h.url, `/api/conversations/${id}/messages`, h.alice, { content: 'slowly' })));
      for (const res of results) {
        assert.equal(res.status, 200);
        assert.deepEqual(storedEvents(res.events).slice(-1), [DONE_STORED]);
      }
      const parts = ((await h.metric(series('sum'))) ?? 0) - before.parts;
      const statements = ((await h.metric(series('count'))) ?? 0) - before.statements;
      assert.ok(parts >= answers * 2, `${parts} parts written while ${answers} answers streamed`);
      // One clock: the answers due at a tick leave together (one per answer per clock, before).
      assert.ok(parts / statements >= answers / 2, `${parts} parts in ${statements} statements`);
      const { rows } = await h.db.query<{ content: string; status: string }>(
        `SELECT content, status FROM messages WHERE conversation_id = ANY($1::uuid[]) AND role = 'assistant'`,
        [ids],
      );
      assert.equal(rows.length, answers);
      for (const row of rows) assert.deepEqual(row, { content: tokens.join(''), status: 'complete' });
    });
  });
}
