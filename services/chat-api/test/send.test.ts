import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { requireBinary } from '@samosachaat/service-kit/testing';
import { backendsUnderTest } from './support/databases.js';
import type { GenerateCall } from './support/fake-inference.js';
import { startHarness, type Harness, type TestUser } from './support/harness.js';
import { beforeDone, DONE_STORED, eventually, parseEvents, storedEvents, storedId, stream } from './support/sse.js';

interface StoredMessage {
  id: string;
  role: string;
  content: string;
  token_count: number | null;
  model_tag: string | null;
  inference_time_ms: number | null;
  status: string;
  failure_code: string | null;
  failure_message: string | null;
}

for (const { backend, skip } of await backendsUnderTest()) {
  describe(`send and regenerate [${backend}]`, { skip }, () => {
    let h: Harness;
    before(async () => {
      h = await startHarness({ backend });
    });
    after(async () => {
      await h?.close();
    });

    async function newConversation(user: TestUser = h.alice, body: Record<string, unknown> = {}): Promise<string> {
      return (await h.call('POST', '/api/conversations', { user, body })).json.id as string;
    }
    async function messagesOf(id: string, user: TestUser = h.alice): Promise<StoredMessage[]> {
      return (await h.call('GET', `/api/conversations/${id}`, { user })).json.messages as StoredMessage[];
    }
    async function lastCall(): Promise<GenerateCall> {
      const calls = await h.inference.calls();
      return calls[calls.length - 1] as GenerateCall;
    }
    const series = (name: string, labels: string) => h.metric(`${name}{${labels}${labels ? ',' : ''}service="chat-api"}`);

    it('forwards the inference events byte for byte and in order, then persists the answer and titles the conversation', async () => {
      const id = await newConversation(h.alice, { model_tag: 'demo' });
      const tokens = ['Namaste', ' 🙏', ' — ', '"samosa"', '\nchaat', ' \\o/'];
      await h.inference.script({ tokens, delayMs: 5, fragmentBytes: 7, doneExtra: { model: 'demo-7b' } });
      const question = `What goes well with samosa?\n\n${'and then some more words '.repeat(4)}`;
      const before = (await h.call('GET', `/api/conversations/${id}`)).json;
      const res = await stream(h.url, `/api/conversations/${id}/messages`, h.alice, { content: question, temperature: 0.5, max_tokens: 64 });

      assert.equal(res.status, 200);
      assert.match(res.headers.get('content-type') ?? '', /^text\/event-stream/);
      const call = await lastCall();
      // Every byte of inference's token events, unchanged; its done is replaced by chat-api's own.
      const doneAt = call.sent.lastIndexOf('data: {"done"');
      assert.ok(doneAt > 0);
      assert.equal(res.text.slice(0, doneAt), call.sent.slice(0, doneAt), 'every token byte inference sent, unchanged');
      assert.deepEqual(storedEvents(res.events), [...tokens.map((token) => ({ token })), DONE_STORED]);
      assert.equal(call.keyOk, true);
      assert.equal(call.traceparent?.split('-')[1], res.headers.get('x-trace-id'), 'inference got the trace');
      assert.deepEqual(call.body, { messages: [{ role: 'user', content: question }], model: 'demo', temperature: 0.5, max_tokens: 64 });

      const conversation = (await h.call('GET', `/api/conversations/${id}`)).json;
      assert.equal(conversation.title, Array.from(question.replace(/\s+/g, ' ').trim()).slice(0, 80).join(''));
      assert.equal(conversation.title.length, 80);
      assert.ok(conversation.updated_at > before.updated_at);
      const [user, answer] = conversation.messages as StoredMessage[];
      assert.equal(conversation.messages.length, 2);
      assert.equal(user?.role, 'user');
      assert.equal(user?.content, question);
      assert.equal(res.headers.get('x-user-message-id'), conversation.messages[0].id);
      assert.equal(answer?.role, 'assistant');
      assert.equal(answer?.content, tokens.join(''));
      assert.equal(answer?.token_count, tokens.length);
      assert.equal(answer?.status, 'complete');
      assert.equal(storedId(res.events), answer?.id, 'done names the stored answer');
      assert.equal(answer?.model_tag, 'demo-7b');
      assert.equal(typeof answer?.inference_time_ms, 'number');
      assert.ok((answer?.inference_time_ms ?? 0) >= 25, `inference_time_ms ${answer?.inference_time_ms}`);

      // Logged by ids, counts and status — never the text.
      const persisted = h.logs.find('message_persisted').filter((l) => l.conversation_id === id);
      assert.deepEqual(persisted.map((l) => [l.role, l.status, l.token_count]), [['user', 'complete', null], ['assistant', 'complete', tokens.length]]);
      assert.ok(persisted.every((l) => l.trace_id === res.headers.get('x-trace-id') && l.user_id === h.alice.id));
      assert.equal(h.logs.text().includes('samosa'), false);
      assert.equal(h.logs.text().includes('goes well with'), false);
      assert.equal(await series('chat_active_streams', ''), 0);
      assert.equal(await series('chat_stream_duration_seconds_bucket', 'le="1200",outcome="complete"'), 1, 'buckets reach 20 minutes');
      assert.equal(await series('chat_messages_persisted_total', 'role="user",outcome="complete"'), 1);
      assert.equal(await series('chat_messages_persisted_total', 'role="assistant",outcome="complete"'), 1);
      // The answer SLIs: one complete answer, its first token timed from the send.
      assert.equal(await series('chat_answers_total', 'surface="chat",outcome="complete",reason="none",client="connected"'), 1);
      assert.equal(await series('chat_answer_time_to_first_token_seconds_count', 'surface="chat"'), 1);
    });

    it('keeps CRLF events intact, counts usage when inference reports it, and keeps an existing title', async () => {
      const id = await newConversation(h.alice, { title: 'Mine' });
      await h.inference.script({ tokens: ['a', 'b', 'c'], lineEnding: '\r\n', doneExtra: { usage: { completion_tokens: 42 } } });
      const res = await stream(h.url, `/api/conversations/${id}/messages`, h.alice, { content: 'hello there' });
      assert.equal(beforeDone(res.text), beforeDone((await lastCall()).sent));
      assert.match(beforeDone(res.text), /\r\n\r\n$/, "inference's CRLF events are forwarded as they came");
      const conversation = (await h.call('GET', `/api/conversations/${id}`)).json;
      assert.equal(conversation.title, 'Mine');
      assert.equal(conversation.messages[1].token_count, 42);
      assert.equal(conversation.messages[1].model_tag, null);
    });

    it('sends inference the newest 50 messages at most, oldest first, the new one last (failed answers left out)', async () => {
      const id = await newConversation();
      await h.db.query(
        `INSERT INTO messages (conversation_id, role, content, created_at)
         SELECT $1, CASE WHEN i % 2 = 0 THEN 'user' ELSE 'assistant' END, 'm' || lpad(i::text, 2, '0'), now() - (60 - i) * interval '1 second'
           FROM generate_series(0, 59) AS i`,
        [id],
      );
      await h.db.query(`INSERT INTO messages (conversation_id, role, content, status, created_at) VALUES ($1, 'assistant', '', 'error', now() - interval '500 milliseconds')`, [id]);
      await h.inference.script({ tokens: ['ok'] });
      await stream(h.url, `/api/conversations/${id}/messages`, h.alice, { content: 'newest' });
      const sent = (await lastCall()).body.messages;
      assert.equal(sent.length, 50);
      assert.deepEqual(sent[0], { role: 'assistant', content: 'm11' });
      assert.deepEqual(sent[48], { role: 'assistant', content: 'm59' });
      assert.deepEqual(sent[49], { role: 'user', content: 'newest' });
      assert.ok(sent.every((m) => m.content !== ''), 'the failed (error) answer is not history');
    });

    it('keeps the history within the 6000-token budget (token_count when known, else chars/4), always sending the new message', async () => {
      const id = await newConversation();
      await h.db.query(
        `INSERT INTO messages (conversation_id, role, content, token_count, created_at)
         SELECT $1, 'assistant', 'answer ' || i, 1000, now() - (10 - i) * interval '1 second' FROM generate_series(0, 9) AS i`,
        [id],
      );
      await h.inference.script({ tokens: ['ok'] });
      // 400 characters ≈ 100 tokens; with five 1000-token answers that is 5100, a sixth would be 6100.
      await stream(h.url, `/api/conversations/${id}/messages`, h.alice, { content: 'q'.repeat(400) });
      const sent = (await lastCall()).body.messages;
      assert.deepEqual(sent.map((m) => m.content.slice(0, 8)), ['answer 5', 'answer 6', 'answer 7', 'answer 8', 'answer 9', 'qqqqqqqq']);

      // A new message larger than the whole budget still goes, alone.
      const big = await newConversation();
      await h.db.query(`INSERT INTO messages (conversation_id, role, content, token_count) VALUES ($1, 'assistant', 'earlier', 2500)`, [big]);
      await stream(h.url, `/api/conversations/${big}/messages`, h.alice, { content: 'w'.repeat(16_000) });
      const alone = (await lastCall()).body.messages;
      assert.equal(alone.length, 1);
      assert.equal(alone[0]?.content.length, 16_000);
    });

    it('rejects empty, missing, over-long and NUL-holding content with 400, before saving anything', async () => {
      const id = await newConversation();
      for (const body of [{ content: '' }, {}, { content: 'x'.repeat(16_001) }, { content: 'a\u0000b' }, { content: 'ok', temperature: 7 }, { content: 'ok', max_tokens: 0 }]) {
        const res = await h.call('POST', `/api/conversations/${id}/messages`, { body });
        assert.equal(res.status, 400, JSON.stringify(body).slice(0, 40));
        assert.equal(res.json.error.code, 'VALIDATION_FAILED');
        assert.match(res.json.error.message, /content|temperature|max_tokens/);
      }
      assert.deepEqual(await messagesOf(id), []);
    });

    it('refuses a model inference does not serve with 400 naming it and the available ones, before saving or generating anything', async () => {
      const id = await newConversation();
      const callsBefore = (await h.inference.calls()).length;
      const res = await h.call('POST', `/api/conversations/${id}/messages`, { body: { content: 'hi', model: 'gpt-imaginary' } });
      assert.equal(res.status, 400);
      assert.equal(res.json.error.code, 'CHAT_UNKNOWN_MODEL');
      assert.equal(res.json.error.message, 'model "gpt-imaginary" is not available; available models: demo, tiny');
      const regen = await h.call('POST', `/api/conversations/${id}/regenerate`, { body: { model: 'nope' } });
      assert.equal(regen.status, 400);
      assert.equal(regen.json.error.code, 'CHAT_UNKNOWN_MODEL');
      assert.deepEqual(await messagesOf(id), [], 'nothing stored');
      assert.equal((await h.inference.calls()).length, callsBefore, 'inference was not asked to generate');
      // A model it serves goes through.
      await h.inference.script({ tokens: ['fine'] });
      const ok = await stream(h.url, `/api/conversations/${id}/messages`, h.alice, { content: 'hi', model: 'tiny' });
      assert.equal(ok.status, 200);
      assert.equal((await lastCall()).body.model, 'tiny');
    });

    it('a retried send with the same client message id (Idempotency-Key or client_message_id) stores one message and answers with it', async () => {
      const id = await newConversation();
      await h.inference.script({ tokens: ['only', ' once'] });
      const key = `ui-${Date.now()}-a`;
      const headers = { authorization: `Bearer ${h.alice.token}`, 'content-type': 'application/json', 'idempotency-key': key };
      const first = await fetch(`${h.url}/api/conversations/${id}/messages`, { method: 'POST', headers, body: JSON.stringify({ content: 'say it once' }) });
      assert.equal(first.status, 200);
      const firstEvents = parseEvents(await first.text());
      const userId = first.headers.get('x-user-message-id');
      // The retry (say the client never saw the answer): the stored message and its answer, nothing stored twice.
      const retry = await h.call('POST', `/api/conversations/${id}/messages`, { body: { content: 'say it once', client_message_id: key } });
      assert.equal(retry.status, 200);
      assert.match(retry.headers.get('content-type') ?? '', /^application\/json/);
      assert.equal(retry.headers.get('x-user-message-id'), userId);
      assert.equal(retry.json.duplicate, true);
      assert.deepEqual([retry.json.message.id, retry.json.message.role, retry.json.message.content], [userId, 'user', 'say it once']);
      assert.deepEqual([retry.json.answer.id, retry.json.answer.content, retry.json.answer.status], [storedId(firstEvents), 'only once', 'complete']);
      const stored = await messagesOf(id);
      assert.deepEqual(
        stored.map((m) => [m.role, m.content]),
        [
          ['user', 'say it once'],
          ['assistant', 'only once'],
        ],
      );
      assert.ok(h.logs.find('send_duplicate').some((l) => l.message_id === userId));
      // The id is per conversation; a new id is a new message.
      const other = await newConversation();
      assert.equal((await stream(h.url, `/api/conversations/${other}/messages`, h.alice, { content: 'same key elsewhere', client_message_id: key })).status, 200);
      assert.equal((await stream(h.url, `/api/conversations/${id}/messages`, h.alice, { content: 'again, on purpose', client_message_id: `${key}-2` })).status, 200);
      assert.equal((await messagesOf(id)).length, 4);
      // Malformed or contradictory ids are refused before anything is stored.
      const bad = await h.call('POST', `/api/conversations/${id}/messages`, { body: { content: 'x', client_message_id: 'has spaces' } });
      assert.equal(bad.status, 400);
      assert.match(bad.json.error.message, /client_message_id/);
      const clash = await h.call('POST', `/api/conversations/${id}/messages`, { body: { content: 'x', client_message_id: 'a1' }, headers: { 'idempotency-key': 'b2' } });
      assert.equal(clash.status, 400);
      assert.match(clash.json.error.message, /Idempotency-Key header and client_message_id differ/);
      assert.equal((await messagesOf(id)).length, 4);
    });

    it('keeps reading and persists the whole answer (complete) when the client leaves after the first tokens', async () => {
      const id = await newConversation();
      const tokens = Array.from({ length: 12 }, (_, i) => `t${i} `);
      await h.inference.script({ tokens, delayMs: 30 });
      const disconnectsBefore = (await series('chat_client_disconnects_total', '')) ?? 0;
      const res = await fetch(`${h.url}/api/conversations/${id}/messages`, {
        method: 'POST',
        headers: { authorization: `Bearer ${h.alice.token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ content: 'tell me a long story' }),
      });
      const reader = res.body!.getReader();
      let received = '';
      while (parseEvents(received).length < 2 || !received.endsWith('\n\n')) {
        const { value } = await reader.read();
        received += Buffer.from(value!).toString();
      }
      // Cancelling the body makes the client drop the connection, like a closed browser tab.
      await reader.cancel();
      const answer = await eventually(async () => (await messagesOf(id)).find((m) => m.role === 'assistant' && m.status !== 'streaming'), 5000, 'assistant message persisted');
      assert.equal(answer.status, 'complete');
      assert.equal(answer.content, tokens.join(''));
      assert.equal(answer.token_count, tokens.length);
      assert.equal(await series('chat_client_disconnects_total', ''), disconnectsBefore + 1);
      const left = h.logs.find('stream_client_disconnected').find((l) => l.conversation_id === id);
      assert.equal(left?.user_id, h.alice.id);
      assert.equal(typeof left?.trace_id, 'string');
      assert.ok(((await series('chat_stream_duration_seconds_count', 'outcome="client_disconnected"')) ?? 0) >= 1);
      const access = await eventually(() => h.logs.find('http_request_completed').find((l) => l.route === '/api/conversations/:id/messages' && l.client_disconnected === true));
      assert.equal(access.status_code, 200);
      assert.equal(await series('chat_active_streams', ''), 0);
    });

    it("forwards an inference error event once (with its stored code), ends with chat-api's own done, and keeps the partial answer as incomplete", async () => {
      const id = await newConversation();
      await h.inference.script({ tokens: ['par', 'tial', 'never'], errorAfter: 2, errorMessage: 'engine overheated', errorCode: 'INFERENCE_GENERATION_FAILED' });
      const before = (await series('chat_upstream_errors_total', 'upstream="inference",reason="stream_error"')) ?? 0;
      const res = await stream(h.url, `/api/conversations/${id}/messages`, h.alice, { content: 'hi' });
      assert.equal(res.status, 200);
      assert.deepEqual(storedEvents(res.events), [{ token: 'par' }, { token: 'tial' }, { error: 'engine overheated', code: 'inference_error' }, DONE_STORED]);
      const [user, answer] = await messagesOf(id);
      assert.equal(user?.content, 'hi');
      assert.equal(answer?.status, 'incomplete');
      assert.equal(answer?.content, 'partial');
      assert.equal(await series('chat_upstream_errors_total', 'upstream="inference",reason="stream_error"'), before + 1);

      // An error before any token is an HTTP error (README "Error contract of a send"), never
      // inference's own words: the answer is stored as 'error', empty, with the reason told.
      const id2 = await newConversation();
      await h.inference.script({ errorAfter: 0, errorMessage: 'engine exploded: {"raw":"upstream body"}' });
      const res2 = await h.call('POST', `/api/conversations/${id2}/messages`, { body: { content: 'hi again' } });
      assert.equal(res2.status, 502);
      assert.equal(res2.json.error.code, 'CHAT_INFERENCE_FAILED');
      assert.doesNotMatch(res2.json.error.message, /raw|upstream body/);
      const [user2, answer2] = await messagesOf(id2);
      assert.equal(res2.headers.get('x-user-message-id'), user2?.id);
      assert.equal(res2.headers.get('x-answer-message-id'), answer2?.id);
      assert.deepEqual([answer2?.status, answer2?.content, answer2?.failure_code, answer2?.failure_message], ['error', '', 'inference_failed', res2.json.error.message]);
      assert.ok(((await series('chat_answers_total', 'surface="chat",outcome="refused",reason="inference_failed",client="connected"')) ?? 0) >= 1);
    });

    it('ends the stream with its own error then done when inference drops the connection, without duplicating an error inference sent', async () => {
      const id = await newConversation();
      await h.inference.script({ tokens: ['one ', 'two ', 'three'], dropAfter: 2 });
      const res = await stream(h.url, `/api/conversations/${id}/messages`, h.alice, { content: 'count' });
      assert.equal(res.status, 200);
      assert.deepEqual(storedEvents(res.events), [{ token: 'one ' }, { token: 'two ' }, { error: 'inference connection dropped mid-answer', code: 'stream_error' }, DONE_STORED]);
      const answer = (await messagesOf(id))[1];
      assert.equal(answer?.status, 'incomplete');
      assert.equal(answer?.content, 'one two ');

      const id2 = await newConversation();
      await h.inference.script({ tokens: ['x'], errorThenDropAfter: 1, errorMessage: 'worker died' });
      const res2 = await stream(h.url, `/api/conversations/${id2}/messages`, h.alice, { content: 'again' });
      assert.deepEqual(storedEvents(res2.events), [{ token: 'x' }, { error: 'worker died', code: 'inference_error' }, DONE_STORED]);
    });

    it('answers an inference 5xx or 4xx with 502 CHAT_INFERENCE_FAILED, persisting an error row and keeping the user message', async () => {
      const id = await newConversation();
      await h.inference.script({ status: 500 });
      const res = await h.call('POST', `/api/conversations/${id}/messages`, { body: { content: 'anyone there?' } });
      assert.equal(res.status, 502);
      assert.equal(res.json.error.code, 'CHAT_INFERENCE_FAILED');
      assert.equal(res.headers.get('retry-after'), null);
      const stored = await messagesOf(id);
      assert.deepEqual(stored.map((m) => [m.role, m.status, m.content, m.failure_code]), [['user', 'complete', 'anyone there?', null], ['assistant', 'error', '', 'inference_failed']]);
      assert.ok(((await series('chat_upstream_errors_total', 'upstream="inference",reason="status_5xx"')) ?? 0) >= 1);

      await h.inference.script({ status: 400 });
      const bad = await h.call('POST', `/api/conversations/${id}/messages`, { body: { content: 'second try' } });
      assert.equal(bad.status, 502);
      // inference's own coded refusal (a 4xx envelope) is told: it names what to change.
      assert.equal(bad.json.error.message, 'inference refused the request: fake failure 400');
      assert.ok(((await series('chat_upstream_errors_total', 'upstream="inference",reason="status_4xx"')) ?? 0) >= 1);
      const failed = h.logs.find('upstream_failed').filter((l) => l.upstream === 'inference' && l.status_code === 500);
      assert.equal(failed[0]?.reason, 'status_5xx');

      // A raw body (a proxy's words, not inference's envelope) is never shown.
      await h.inference.script({ status: 422, errorBody: 'plain words from a proxy' });
      const plain = await h.call('POST', `/api/conversations/${id}/messages`, { body: { content: 'third' } });
      assert.equal(plain.status, 502);
      assert.equal(plain.json.error.message, 'inference failed before answering; retry, and if it persists see the inference logs');
      await h.inference.script({ wrongContentType: 'application/json' });
      const notStream = await h.call('POST', `/api/conversations/${id}/messages`, { body: { content: 'fifth' } });
      assert.equal(notStream.status, 502);
      assert.equal(notStream.json.error.code, 'CHAT_INFERENCE_FAILED');
      assert.deepEqual((await messagesOf(id)).map((m) => m.status), ['complete', 'error', 'complete', 'error', 'complete', 'error', 'complete', 'error']);
      assert.ok(((await series('chat_answers_total', 'surface="chat",outcome="refused",reason="inference_failed",client="connected"')) ?? 0) >= 4);
    });

    it('maps a coded failure before the first token to its status: upstream 429 → 503 with its Retry-After, refused → 502, timeout → 504', async () => {
      const cases: Array<[Record<string, unknown>, number, string, string | null, string]> = [
        [{ errorCode: 'INFERENCE_UPSTREAM_RATE_LIMITED', errorRetryAfter: 20 }, 503, 'CHAT_UPSTREAM_RATE_LIMITED', '20', 'upstream_rate_limited'],
        [{ errorCode: 'INFERENCE_UPSTREAM_UNAVAILABLE' }, 503, 'CHAT_UPSTREAM_UNAVAILABLE', '5', 'upstream_unavailable'],
        [{ errorCode: 'INFERENCE_UPSTREAM_REFUSED', errorMessage: 'upstream answered 401: {"error":{"message":"Incorrect API key"}}' }, 502, 'CHAT_UPSTREAM_REFUSED', null, 'upstream_refused'],
        [{ errorCode: 'INFERENCE_GENERATION_TIMEOUT' }, 504, 'CHAT_INFERENCE_TIMEOUT', null, 'inference_timeout'],
        [{ errorCode: 'INFERENCE_SHUTTING_DOWN' }, 503, 'CHAT_INFERENCE_UNAVAILABLE', '5', 'inference_unavailable'],
      ];
      for (const [script, status, code, retryAfter, failureCode] of cases) {
        const id = await newConversation();
        await h.inference.script({ errorAfter: 0, ...script });
        const res = await h.call('POST', `/api/conversations/${id}/messages`, { body: { content: 'hello' } });
        assert.deepEqual([res.status, res.json.error.code, res.headers.get('retry-after')], [status, code, retryAfter], code);
        assert.doesNotMatch(res.json.error.message, /Incorrect API key|\{/, 'never an upstream body');
        const [user, answer] = await messagesOf(id);
        assert.deepEqual([user?.status, answer?.status, answer?.failure_code, answer?.failure_message], ['complete', 'error', failureCode, res.json.error.message]);
        // Regenerate (the contract's Retry) answers the kept question once inference is back.
        await h.inference.script({ tokens: ['back'] });
        const again = await stream(h.url, `/api/conversations/${id}/regenerate`, h.alice);
        assert.equal(again.status, 200);
        assert.deepEqual((await messagesOf(id)).map((m) => [m.role, m.status, m.content]), [['user', 'complete', 'hello'], ['assistant', 'complete', 'back']]);
      }
      assert.ok(((await series('chat_answers_total', 'surface="chat",outcome="refused",reason="upstream_rate_limited",client="connected"')) ?? 0) >= 1);
      assert.ok(((await series('chat_answers_total', 'surface="chat",outcome="refused",reason="upstream_refused",client="connected"')) ?? 0) >= 1);
    });

    it('answers 503 with Retry-After when inference is over capacity, keeps the user message, and regenerate answers it later', async () => {
      const id = await newConversation();
      await h.inference.script({ status: 503, retryAfter: '7' });
      const res = await h.call('POST', `/api/conversations/${id}/messages`, { body: { content: 'busy?' } });
      assert.equal(res.status, 503);
      assert.equal(res.json.error.code, 'CHAT_INFERENCE_OVER_CAPACITY');
      assert.match(res.json.error.message, /regenerate/);
      assert.equal(res.headers.get('retry-after'), '7');
      // The reason survives a reload: the answer is stored as failed, with what the user was told.
      const stored = await messagesOf(id);
      assert.deepEqual(
        stored.map((m) => [m.role, m.status, m.failure_code, m.failure_message]),
        [
          ['user', 'complete', null, null],
          ['assistant', 'error', 'over_capacity', 'inference is over capacity; retry in 7 s'],
        ],
      );
      assert.equal(res.headers.get('x-user-message-id'), (await h.call('GET', `/api/conversations/${id}`)).json.messages[0].id);
      assert.ok(((await series('chat_upstream_errors_total', 'upstream="inference",reason="over_capacity"')) ?? 0) >= 1);
      // A 5xx before any byte is an answer the user did not get (answer-success SLI).
      assert.ok(((await series('chat_answers_total', 'surface="chat",outcome="refused",reason="inference_over_capacity",client="connected"')) ?? 0) >= 1);

      await h.inference.script({ tokens: ['free', ' now'] });
      const again = await stream(h.url, `/api/conversations/${id}/regenerate`, h.alice);
      assert.equal(again.status, 200);
      assert.deepEqual(storedEvents(again.events), [{ token: 'free' }, { token: ' now' }, DONE_STORED]);
      assert.deepEqual((await lastCall()).body.messages, [{ role: 'user', content: 'busy?' }]);
      const after = await messagesOf(id);
      assert.deepEqual(after.map((m) => [m.role, m.content, m.status]), [['user', 'busy?', 'complete'], ['assistant', 'free now', 'complete']]);
    });

    it('regenerate replaces the last answer, sending history without it', async () => {
      const id = await newConversation();
      await h.inference.script({ tokens: ['first', ' answer'] });
      await stream(h.url, `/api/conversations/${id}/messages`, h.alice, { content: 'q1' });
      await h.inference.script({ tokens: ['second', ' answer'] });
      await stream(h.url, `/api/conversations/${id}/messages`, h.alice, { content: 'q2' });
      await h.inference.script({ tokens: ['better', ' answer'] });
      const res = await stream(h.url, `/api/conversations/${id}/regenerate`, h.alice, { temperature: 1.2 });
      assert.equal(res.status, 200);
      assert.deepEqual(storedEvents(res.events), [{ token: 'better' }, { token: ' answer' }, DONE_STORED]);
      const call = await lastCall();
      assert.deepEqual(call.body.messages, [
        { role: 'user', content: 'q1' },
        { role: 'assistant', content: 'first answer' },
        { role: 'user', content: 'q2' },
      ]);
      assert.equal(call.body.temperature, 1.2);
      const stored = await messagesOf(id);
      assert.deepEqual(stored.map((m) => m.content), ['q1', 'first answer', 'q2', 'better answer']);
      const line = h.logs.find('message_persisted').filter((l) => l.conversation_id === id && l.role === 'assistant').pop();
      assert.equal(line?.replaced_messages, 1);

      const empty = await newConversation();
      const nothing = await h.call('POST', `/api/conversations/${empty}/regenerate`);
      assert.equal(nothing.status, 409);
      assert.equal(nothing.json.error.code, 'CHAT_NOTHING_TO_REGENERATE');
    });

    it('allows 3 simultaneous streams per user and answers the 4th with 429, other users unaffected', async () => {
      const ids = await Promise.all([1, 2, 3, 4].map(() => newConversation()));
      const bobs = await newConversation(h.bob);
      await h.inference.script({ tokens: ['slow', ' but', ' sure'], delayMs: 250 });
      const running = ids.slice(0, 3).map((id) => stream(h.url, `/api/conversations/${id}/messages`, h.alice, { content: 'go' }));
      await eventually(async () => (await series('chat_active_streams', '')) === 3, 5000, 'three streams open');
      const refused = await h.call('POST', `/api/conversations/${ids[3]}/messages`, { body: { content: 'one more' } });
      assert.equal(refused.status, 429);
      assert.equal(refused.json.error.code, 'CHAT_TOO_MANY_STREAMS');
      assert.equal(refused.headers.get('retry-after'), '5');
      assert.deepEqual(await messagesOf(ids[3] as string), [], 'a refused message is not saved');
      const bobStream = await stream(h.url, `/api/conversations/${bobs}/messages`, h.bob, { content: 'me too' });
      assert.equal(bobStream.status, 200);
      for (const done of await Promise.all(running)) assert.deepEqual(storedEvents(done.events).at(-1), DONE_STORED);
      await h.inference.script({ tokens: ['ok'] });
      assert.equal((await stream(h.url, `/api/conversations/${ids[3]}/messages`, h.alice, { content: 'now?' })).status, 200);
    });

    it('discards the answer quietly when the conversation is deleted while it streams', async () => {
      const id = await newConversation();
      await h.inference.script({ tokens: ['a', 'b', 'c', 'd'], delayMs: 60 });
      const pending = stream(h.url, `/api/conversations/${id}/messages`, h.alice, { content: 'bye' });
      await sleep(80);
      assert.equal((await h.call('DELETE', `/api/conversations/${id}`)).status, 204);
      const res = await pending;
      assert.deepEqual(res.events.at(-1), { done: true, saved: false }, 'nothing stored: done says so');
      await eventually(() => h.logs.find('message_discarded_conversation_deleted').some((l) => l.conversation_id === id));
      const { rows } = await h.db.query('SELECT 1 FROM messages WHERE conversation_id = $1', [id]);
      assert.equal(rows.length, 0);
    });

    it('serves /metrics that promtool accepts after all that traffic', async (t) => {
      const body = (await h.app.inject({ url: '/metrics' })).body;
      assert.match(body, /^chat_upstream_errors_total\{upstream="inference",reason="status_5xx",service="chat-api"\} \d+$/m);
      assert.equal(/conversation|user_id|[0-9a-f]{8}-[0-9a-f]{4}-/.test(body.split('\n').filter((l) => l.startsWith('chat_')).join('\n')), false, 'no unbounded labels');
      const promtool = requireBinary(t, 'promtool', 'install it (Debian: apt-get install prometheus)');
      if (!promtool) return;
      const check = spawnSync(promtool, ['check', 'metrics'], { input: body, encoding: 'utf8' });
      assert.equal(check.status, 0, `promtool: ${check.stdout}${check.stderr}`);
      assert.equal(`${check.stdout}${check.stderr}`.trim(), '', 'promtool found lint problems');
    });
  });
}
