/**
 * The error contract of a send (README "Error contract of a send") against the real inference
 * service with ENGINE=openai and a stand-in upstream: what the model server says before the
 * first token reaches the client as an HTTP status with chat-api's code and message — an
 * upstream 429 with `Retry-After: 20` as a 503 with `Retry-After: 20` — never as a 200 stream
 * carrying the upstream's raw body.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { startFakeOpenAi, type FakeUpstream } from '../../inference/test/support/fake-openai.js';
import { startInference, waitReady, type RunningInference } from '../../inference/test/support/service.js';
import { scaled } from '../../../test/support/timeouts.js';
import { startHarness, type Harness } from './support/harness.js';
import { stream } from './support/sse.js';

describe('sends through the real inference (ENGINE=openai) to a stand-in upstream', { timeout: scaled(120_000) }, () => {
  let upstream: FakeUpstream;
  let inference: RunningInference;
  let h: Harness;
  const upstreamKey = `sk-${randomBytes(12).toString('hex')}`;

  before(async () => {
    upstream = await startFakeOpenAi();
    inference = await startInference({ ENGINE: 'openai', OPENAI_BASE_URL: upstream.baseUrl, OPENAI_MODEL: 'llama-test', OPENAI_API_KEY: upstreamKey }, scaled(20_000));
    await waitReady(inference.url, scaled(10_000));
    h = await startHarness({ internalApiKey: inference.key, env: { INFERENCE_URL: inference.url } });
  });
  after(async () => {
    await h?.close();
    await inference?.stop();
    await upstream?.close();
  });

  async function send(content: string) {
    const id = (await h.call('POST', '/api/conversations', { body: {} })).json.id as string;
    const res = await h.call('POST', `/api/conversations/${id}/messages`, { body: { content } });
    const messages = (await h.call('GET', `/api/conversations/${id}`)).json.messages as Array<{ role: string; status: string; failure_code: string | null; failure_message: string | null }>;
    return { id, res, messages };
  }

  it('an upstream 429 with Retry-After: 20 is a 503 CHAT_UPSTREAM_RATE_LIMITED with Retry-After: 20', async () => {
    upstream.behaviour = 'rate-limited';
    const { res, messages } = await send('too fast?');
    assert.equal(res.status, 503);
    assert.equal(res.headers.get('retry-after'), '20');
    assert.equal(res.json.error.code, 'CHAT_UPSTREAM_RATE_LIMITED');
    assert.equal(res.json.error.message, 'the model server is rate-limiting requests; retry in 20 s');
    assert.deepEqual(
      messages.map((m) => [m.role, m.status, m.failure_code]),
      [['user', 'complete', null], ['assistant', 'error', 'upstream_rate_limited']],
    );
    assert.equal(await h.metric('chat_answers_total{surface="chat",outcome="refused",reason="upstream_rate_limited",client="connected",service="chat-api"}'), 1);
  });

  it('an upstream refusing the key (401) is a 502 CHAT_UPSTREAM_REFUSED whose message is chat-api’s, not the upstream body', async () => {
    upstream.behaviour = 'ok';
    upstream.requiredKey = `sk-${randomBytes(12).toString('hex')}`;
    try {
      const { res, messages } = await send('hello?');
      assert.equal(res.status, 502);
      assert.equal(res.headers.get('retry-after'), null);
      assert.equal(res.json.error.code, 'CHAT_UPSTREAM_REFUSED');
      assert.doesNotMatch(res.json.error.message, /Incorrect API key|invalid_api_key|\{/);
      assert.equal(messages[1]?.failure_code, 'upstream_refused');
      assert.equal(messages[1]?.failure_message, res.json.error.message);
    } finally {
      delete upstream.requiredKey;
    }
  });

  it('an upstream answering 5xx is a 503 CHAT_UPSTREAM_UNAVAILABLE with Retry-After; once it answers, the send streams', async () => {
    upstream.behaviour = 'status';
    const { res } = await send('anyone?');
    assert.deepEqual([res.status, res.json.error.code, res.headers.get('retry-after')], [503, 'CHAT_UPSTREAM_UNAVAILABLE', '5']);
    upstream.behaviour = 'ok';
    const id = (await h.call('POST', '/api/conversations', { body: {} })).json.id as string;
    const ok = await stream(h.url, `/api/conversations/${id}/messages`, h.alice, { content: 'now?' });
    assert.equal(ok.status, 200);
    assert.equal(ok.events.filter((e) => typeof e.token === 'string').map((e) => e.token).join(''), upstream.tokens.join(''));
  });
});
