import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { startChildInference, type ChildInference } from './support/child-inference.js';
import { newInternalKey, startHarness, type Harness } from './support/harness.js';
import { DONE_STORED, parseEvents, storedEvents, stream } from './support/sse.js';

async function closedPortUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}

interface SpanView {
  name: string;
  kind: string;
  attributes: Record<string, unknown>;
  events?: Array<{ name: string }>;
}

describe('inference in a child process: stalls and crashes mid-answer', () => {
  let inference: ChildInference;
  let h: Harness;
  before(async () => {
    const key = newInternalKey();
    inference = await startChildInference(key);
    h = await startHarness({ inference, internalApiKey: key, env: { INFERENCE_IDLE_TIMEOUT_MS: '800', INFERENCE_HEADERS_TIMEOUT_MS: '2000' } });
  });
  after(async () => {
    await h?.close();
    await inference?.stop();
  });

  it('gives up on an inference that goes silent mid-answer (idle timeout): error then done, answer incomplete', async () => {
    const id = (await h.call('POST', '/api/conversations', { body: {} })).json.id as string;
    await inference.script({ tokens: ['still ', 'there?'], hangAfter: 1 });
    const res = await stream(h.url, `/api/conversations/${id}/messages`, h.alice, { content: 'ping' });
    assert.deepEqual(storedEvents(res.events), [{ token: 'still ' }, { error: 'inference stopped answering (timed out)', code: 'timeout' }, DONE_STORED]);
    const messages = (await h.call('GET', `/api/conversations/${id}`)).json.messages;
    assert.deepEqual(messages.map((m: { status: string; content: string }) => [m.status, m.content]), [['complete', 'ping'], ['incomplete', 'still ']]);
    assert.equal(await h.metric('chat_upstream_errors_total{upstream="inference",reason="timeout",service="chat-api"}'), 1);
  });

  it('answers 504 CHAT_INFERENCE_TIMEOUT when inference sends no first token in time, keeping the question', async () => {
    const id = (await h.call('POST', '/api/conversations', { body: {} })).json.id as string;
    await inference.script({ tokens: ['late'], hangAfter: 0 });
    const res = await h.call('POST', `/api/conversations/${id}/messages`, { body: { content: 'are you there?' } });
    assert.equal(res.status, 504);
    assert.equal(res.json.error.code, 'CHAT_INFERENCE_TIMEOUT');
    const messages = (await h.call('GET', `/api/conversations/${id}`)).json.messages;
    assert.deepEqual(
      messages.map((m: { status: string; content: string; failure_code: string | null }) => [m.status, m.content, m.failure_code]),
      [['complete', 'are you there?', null], ['error', '', 'inference_timeout']],
    );
  });

  it('SIGKILL of inference mid-stream: the client gets error then done, the partial answer is kept as incomplete, the user message stays', async () => {
    const id = (await h.call('POST', '/api/conversations', { body: {} })).json.id as string;
    await inference.script({ tokens: ['a ', 'b ', 'c ', 'd '], hangAfter: 3 });
    const res = await fetch(`${h.url}/api/conversations/${id}/messages`, {
      method: 'POST',
      headers: { authorization: `Bearer ${h.alice.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ content: 'count to four' }),
    });
    assert.equal(res.status, 200);
    const traceId = res.headers.get('x-trace-id') as string;
    const reader = res.body!.getReader();
    let text = '';
    while (parseEvents(text).length < 3 || !text.endsWith('\n\n')) text += Buffer.from((await reader.read()).value!).toString();
    await inference.kill();
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      text += Buffer.from(value).toString();
    }
    assert.deepEqual(storedEvents(parseEvents(text)), [{ token: 'a ' }, { token: 'b ' }, { token: 'c ' }, { error: 'inference connection dropped mid-answer', code: 'stream_error' }, DONE_STORED]);

    const messages = (await h.call('GET', `/api/conversations/${id}`)).json.messages;
    assert.deepEqual(messages.map((m: { role: string; status: string; content: string; token_count: number | null }) => [m.role, m.status, m.content, m.token_count]), [
      ['user', 'complete', 'count to four', null],
      ['assistant', 'incomplete', 'a b c ', 3],
    ]);
    assert.equal(await h.metric('chat_messages_persisted_total{role="assistant",outcome="incomplete",service="chat-api"}'), 2);
    assert.equal(await h.metric('chat_stream_duration_seconds_count{outcome="incomplete",service="chat-api"}'), 2);
    const failed = h.logs.find('upstream_failed').find((l) => l.trace_id === traceId);
    assert.equal(failed?.reason, 'stream_error');
    assert.equal(failed?.tokens_received, 3);
    assert.equal(failed?.level, 'error');

    // One generation span: a CLIENT call with the first-token event and the outcome.
    await h.obs.tracing.forceFlush();
    const traceRes = await h.app.inject({ url: `/debug/traces/${traceId}` });
    const generation = (traceRes.json().spans as SpanView[]).find((s) => s.attributes['gen_ai.operation.name'] === 'chat');
    assert.ok(generation, 'generation span recorded');
    assert.equal(generation.kind, 'client');
    assert.equal(generation.attributes['gen_ai.usage.output_tokens'], 3);
    assert.equal(generation.attributes['samosachaat.generation.outcome'], 'upstream_error');
    assert.ok(generation.events?.some((e) => e.name === 'gen_ai.first_token'));
  });
});

describe('inference unreachable', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness({ env: { INFERENCE_URL: await closedPortUrl() } });
  });
  after(async () => {
    await h?.close();
  });

  it('answers a send 503 CHAT_INFERENCE_UNAVAILABLE with Retry-After, keeps the user message with an error answer, and stays ready', async () => {
    const id = (await h.call('POST', '/api/conversations', { body: {} })).json.id as string;
    const res = await h.call('POST', `/api/conversations/${id}/messages`, { body: { content: 'hello?' } });
    assert.equal(res.status, 503);
    assert.equal(res.json.error.code, 'CHAT_INFERENCE_UNAVAILABLE');
    assert.equal(res.headers.get('retry-after'), '5');
    const messages = (await h.call('GET', `/api/conversations/${id}`)).json.messages;
    assert.deepEqual(
      messages.map((m: { role: string; status: string; failure_code: string | null }) => [m.role, m.status, m.failure_code]),
      [['user', 'complete', null], ['assistant', 'error', 'inference_unavailable']],
    );
    assert.equal(res.headers.get('x-user-message-id'), messages[0].id);
    assert.equal(await h.metric('chat_upstream_errors_total{upstream="inference",reason="connect",service="chat-api"}'), 1);
    assert.equal(await h.metric('chat_stream_duration_seconds_count{outcome="error",service="chat-api"}'), 1);
    assert.equal(await h.metric('chat_answers_total{surface="chat",outcome="refused",reason="inference_unavailable",client="connected",service="chat-api"}'), 1);
    // Counted among the 5xx responses, which the old 200-with-an-error-event hid.
    const access = h.logs.find('http_request_completed').find((l) => l.route === '/api/conversations/:id/messages');
    assert.equal(access?.status_code, 503);

    const models = await h.call('GET', '/api/models');
    assert.equal(models.status, 503);
    assert.equal(models.json.error.code, 'CHAT_INFERENCE_UNAVAILABLE');
    assert.equal(models.headers.get('retry-after'), '5');

    // Readiness follows the database only: an inference outage must not pull chat-api out of
    // its Service (conversation lists and history still work). The outage shows in /health.
    const ready = await h.app.inject({ url: '/ready' });
    assert.equal(ready.statusCode, 200);
    assert.equal((await h.call('GET', '/api/conversations')).status, 200);
    await h.app.dependencies.probeNow();
    const deps = (await h.app.inject({ url: '/health' })).json().dependencies;
    assert.deepEqual([deps.auth.ok, deps.inference.ok], [true, false]);
    assert.equal(await h.metric('dependency_up{dependency="inference",service="chat-api"}'), 0);
  });
});

describe('the first-token deadline (ANSWER_FIRST_TOKEN_TIMEOUT_MS)', () => {
  let h: Harness;
  before(async () => {
    // The idle timeout far beyond the deadline: only the deadline can end these sends.
    h = await startHarness({ env: { ANSWER_FIRST_TOKEN_TIMEOUT_MS: '1000', INFERENCE_IDLE_TIMEOUT_MS: '60000' } });
  });
  after(async () => {
    await h?.close();
  });

  it('answers 504 when inference sends its headers but no token in time, sending no header before; a token in time streams as usual', async () => {
    const id = (await h.call('POST', '/api/conversations', { body: {} })).json.id as string;
    await h.inference.script({ tokens: ['never'], hangAfter: 0 });
    const res = await h.call('POST', `/api/conversations/${id}/messages`, { body: { content: 'slow?' } });
    assert.equal(res.status, 504);
    assert.equal(res.json.error.code, 'CHAT_INFERENCE_TIMEOUT');
    assert.equal(res.json.error.message, 'inference sent no first token within 1 s; retry shortly');
    const messages = (await h.call('GET', `/api/conversations/${id}`)).json.messages;
    assert.deepEqual(
      messages.map((m: { status: string; failure_code: string | null; failure_message: string | null }) => [m.status, m.failure_code, m.failure_message]),
      [['complete', null, null], ['error', 'inference_timeout', res.json.error.message]],
    );
    assert.equal(await h.metric('chat_answers_total{surface="chat",outcome="refused",reason="inference_timeout",client="connected",service="chat-api"}'), 1);

    // Slower than the deadline in all, but the first token within it: a normal answer.
    await h.inference.script({ tokens: ['a', 'b', 'c'], delayMs: 400 });
    const ok = await stream(h.url, `/api/conversations/${id}/regenerate`, h.alice);
    assert.equal(ok.status, 200);
    assert.deepEqual(storedEvents(ok.events), [{ token: 'a' }, { token: 'b' }, { token: 'c' }, DONE_STORED]);
  });
});
