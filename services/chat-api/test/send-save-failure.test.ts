/**
 * A send starts inference while the user message is being saved. Nothing may reach the client
 * before the save is committed, and a save that fails must end the request with a clear error,
 * cancel the generation and leave no rows behind.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startHarness, type Harness } from './support/harness.js';
import { eventually, stream } from './support/sse.js';

describe('send: the user message is saved while inference starts', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness();
    // A database that refuses one message, as a disk or constraint failure would.
    await h.db.query(`CREATE FUNCTION refuse_message() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN IF NEW.content = 'refuse me' THEN RAISE EXCEPTION 'refused by the test'; END IF; RETURN NEW; END $$`);
    await h.db.query('CREATE TRIGGER refuse_message BEFORE INSERT ON messages FOR EACH ROW EXECUTE FUNCTION refuse_message()');
  });
  after(async () => {
    await h?.db.query('DROP TRIGGER IF EXISTS refuse_message ON messages').catch(() => undefined);
    await h?.close();
  });

  it('a failed save answers 500 with the envelope, cancels the generation and stores nothing', async () => {
    const id = (await h.call('POST', '/api/conversations', { body: {} })).json.id as string;
    await h.inference.script({ tokens: Array.from({ length: 50 }, (_, i) => `t${i} `), delayMs: 20 });
    const before = (await h.inference.calls()).length;
    const res = await h.call('POST', `/api/conversations/${id}/messages`, { body: { content: 'refuse me' } });
    assert.equal(res.status, 500);
    assert.equal(res.json.error.code, 'INTERNAL_ERROR');
    assert.match(res.json.error.trace_id, /^[0-9a-f]{32}$/);
    const { rows } = await h.db.query('SELECT role FROM messages WHERE conversation_id = $1', [id]);
    assert.deepEqual(rows, []);
    // Inference was asked (in parallel with the save) and its stream was abandoned.
    assert.equal((await h.inference.calls()).length, before + 1);
    assert.equal(await h.metric('chat_active_streams{service="chat-api"}'), 0);
    const conversation = (await h.call('GET', `/api/conversations/${id}`)).json;
    assert.equal(conversation.title, null, 'an unsaved message does not title the conversation');
  });

  it('the stream starts only once the user message is committed: its id is in the headers and in the database', async () => {
    const id = (await h.call('POST', '/api/conversations', { body: {} })).json.id as string;
    await h.inference.script({ tokens: ['quick'] });
    const res = await stream(h.url, `/api/conversations/${id}/messages`, h.alice, { content: 'saved first' });
    assert.equal(res.status, 200);
    const messageId = res.headers.get('x-user-message-id');
    assert.match(messageId ?? '', /^[0-9a-f-]{36}$/);
    const { rows } = await h.db.query<{ id: string; role: string }>('SELECT id, role FROM messages WHERE conversation_id = $1 ORDER BY seq', [id]);
    assert.deepEqual(
      rows.map((r) => r.role),
      ['user', 'assistant'],
    );
    assert.equal(rows[0]?.id, messageId);
    await eventually(() => h.logs.find('message_persisted').some((l) => l.message_id === messageId && l.role === 'user'), 5000, 'the user message logged');
  });
});
