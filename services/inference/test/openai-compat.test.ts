import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startInference, waitReady, type RunningInference } from './support/service.js';
import { postJson, SseReader } from './support/sse-client.js';
import { scaled } from '../../../test/support/timeouts.js';

const MESSAGES = [
  { role: 'system', content: 'You are a cheerful cook.' },
  { role: 'user', content: 'How long should I soak chickpeas for chole?' },
];

interface Chunk {
  id: string;
  object: string;
  created: number;
  model: string;
  choices: Array<{ index: number; delta: { role?: string; content?: string }; finish_reason: string | null }>;
  usage?: { prompt_tokens: number; completion_tokens: number; total_tokens: number };
}

describe('POST /v1/chat/completions on a real process', { timeout: scaled(60_000) }, () => {
  let svc: RunningInference;
  let auth: Record<string, string>;

  before(async () => {
    svc = await startInference({ DEMO_TOKENS_PER_SECOND: '0', OPENAI_COMPAT_API: 'true' });
    auth = { authorization: `Bearer ${svc.key}` };
    await waitReady(svc.url);
  });
  after(async () => {
    await svc?.stop();
  });

  it('streams chat.completion.chunk objects, a finish chunk, a usage chunk and [DONE]', async () => {
    const res = await postJson(`${svc.url}/v1/chat/completions`, { model: 'demo', messages: MESSAGES, stream: true, stream_options: { include_usage: true }, max_tokens: 12, seed: 21 }, auth);
    assert.equal(res.status, 200);
    assert.match(String(res.headers.get('content-type')), /^text\/event-stream/);
    const events = (await new SseReader(res).readAll()).map((e) => e.data);
    assert.equal(events.at(-1), '[DONE]');
    const chunks = events.slice(0, -1) as Chunk[];
    const id = chunks[0]?.id;
    assert.match(String(id), /^chatcmpl-[0-9a-f]{32}$/);
    for (const c of chunks) {
      assert.equal(c.id, id);
      assert.equal(c.object, 'chat.completion.chunk');
      assert.equal(c.model, 'demo');
      assert.equal(typeof c.created, 'number');
    }
    assert.deepEqual(chunks[0]?.choices, [{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }]);
    const content = chunks.slice(1, -2);
    assert.equal(content.length, 12);
    for (const c of content) assert.equal(c.choices[0]?.finish_reason, null);
    assert.deepEqual(chunks.at(-2)?.choices, [{ index: 0, delta: {}, finish_reason: 'length' }]);
    assert.deepEqual(chunks.at(-1)?.choices, []);
    assert.equal(chunks.at(-1)?.usage?.completion_tokens, 12);
    assert.equal(chunks.at(-1)?.usage?.total_tokens, (chunks.at(-1)?.usage?.prompt_tokens ?? 0) + 12);
    const streamedText = content.map((c) => c.choices[0]?.delta.content).join('');

    // The same request without streaming gives the same text (same seed), as one chat.completion.
    const whole = await postJson(`${svc.url}/v1/chat/completions`, { model: 'demo', messages: MESSAGES, max_tokens: 12, seed: 21 }, auth);
    assert.equal(whole.status, 200);
    const completion = (await whole.json()) as {
      id: string;
      object: string;
      model: string;
      choices: Array<{ index: number; message: { role: string; content: string }; finish_reason: string }>;
      usage: { prompt_tokens: number; completion_tokens: number; total_tokens: number };
    };
    assert.equal(completion.object, 'chat.completion');
    assert.match(completion.id, /^chatcmpl-/);
    assert.equal(completion.model, 'demo');
    assert.deepEqual(completion.choices, [{ index: 0, message: { role: 'assistant', content: streamedText }, finish_reason: 'length' }]);
    assert.deepEqual(completion.usage, chunks.at(-1)?.usage);

    // And /generate with the same messages and seed streams the same tokens.
    const native = await postJson(`${svc.url}/generate`, { messages: MESSAGES, max_tokens: 12, seed: 21 }, { 'x-internal-api-key': svc.key });
    const tokens = (await new SseReader(native).readAll()).map((e) => (e.data as { token?: string }).token ?? '').join('');
    assert.equal(tokens, streamedText);
  });

  it('omits the usage chunk unless asked and finishes with stop when the answer is complete', async () => {
    const res = await postJson(`${svc.url}/v1/chat/completions`, { messages: MESSAGES, stream: true }, auth);
    const events = (await new SseReader(res).readAll()).map((e) => e.data);
    const chunks = events.slice(0, -1) as Chunk[];
    assert.equal(events.at(-1), '[DONE]');
    assert.ok(chunks.every((c) => c.usage === undefined));
    assert.deepEqual(chunks.at(-1)?.choices, [{ index: 0, delta: {}, finish_reason: 'stop' }]);
  });

  it('answers errors in OpenAI shape: 401 and 400', async () => {
    const unauth = await postJson(`${svc.url}/v1/chat/completions`, { messages: MESSAGES }, { 'x-internal-api-key': svc.key });
    assert.equal(unauth.status, 401);
    assert.deepEqual(Object.keys(((await unauth.json()) as { error: object }).error), ['message', 'type', 'code', 'param']);
    const bad = await postJson(`${svc.url}/v1/chat/completions`, { messages: [{ role: 'user', content: 'hi' }], max_tokens: 0 }, auth);
    assert.equal(bad.status, 400);
    assert.deepEqual(await bad.json(), { error: { message: 'max_tokens must be between 1 and 4096, got 0', type: 'invalid_request_error', code: 'INFERENCE_INVALID_REQUEST', param: 'max_tokens' } });
  });
});
