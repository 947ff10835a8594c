/**
 * chat-api's OpenAI-compatible API (`/v1`, README "Use the API") against fake auth and a fake
 * inference: failures before and during an answer in OpenAI's shape, the answer SLIs with
 * surface="api", the per-user stream cap shared with the chat UI, a client that leaves, and
 * usage written in batches and shown to its owner only.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { startHarness, type Harness, type TestUser } from './support/harness.js';
import { scaled } from '../../../test/support/timeouts.js';

const FLUSH_MS = 3_600_000; // no timed flush during the test: only the one at close

describe('/v1 against fake auth and inference', { timeout: scaled(120_000) }, () => {
  let h: Harness;
  let key: string;
  let keyId: string;
  let bobKey: string;

  async function newKey(user: TestUser): Promise<{ key: string; id: string }> {
    const k = `sk-sc-${randomBytes(32).toString('base64url')}`;
    const { rows } = await h.db.query<{ id: string }>("INSERT INTO api_keys (user_id, name, prefix, key_hash) VALUES ($1, 'test', $2, $3) RETURNING id", [user.id, k.slice(0, 14), randomBytes(32).toString('hex')]);
    const id = (rows[0] as { id: string }).id;
    h.auth.grantApiKey(k, user, id);
    return { key: k, id };
  }

  const v1 = (path: string, body?: unknown, bearer = key, signal?: AbortSignal) =>
    fetch(`${h.url}/v1${path}`, {
      method: body === undefined ? 'GET' : 'POST',
      headers: { authorization: `Bearer ${bearer}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal,
    });
  const api = (surface: string, outcome: string, reason: string, client = 'connected') => h.metric(`chat_answers_total{surface="${surface}",outcome="${outcome}",reason="${reason}",client="${client}",service="chat-api"}`);
  const hi = { model: 'demo', messages: [{ role: 'user', content: 'hi' }] };

  before(async () => {
    h = await startHarness({ env: { MAX_STREAMS_PER_USER: '1', API_USAGE_FLUSH_MS: String(FLUSH_MS) } });
    ({ key, id: keyId } = await newKey(h.alice));
    ({ key: bobKey } = await newKey(h.bob));
  });
  after(() => h?.close());

  it('asks inference for the usage and reports it, whole and streamed', async () => {
    await h.inference.script({ tokens: ['Hel', 'lo'], doneExtra: { usage: { prompt_tokens: 9, completion_tokens: 2 }, finish_reason: 'stop', model: 'demo' } });
    const whole = await v1('/chat/completions', hi);
    assert.equal(whole.status, 200);
    const body = (await whole.json()) as { choices: Array<{ message: { content: string } }>; usage: unknown };
    assert.equal(body.choices[0]?.message.content, 'Hello');
    assert.deepEqual(body.usage, { prompt_tokens: 9, completion_tokens: 2, total_tokens: 11 });
    const sent = (await h.inference.calls()).at(-1)?.body as Record<string, unknown>;
    assert.equal(sent.include_usage, true);
    assert.equal(await api('api', 'complete', 'none'), 1);
  });

  it('ends a stream that fails mid-answer with an OpenAI error object and [DONE]; a whole one is a 502', async () => {
    await h.inference.script({ tokens: ['a', 'b', 'c'], errorAfter: 1, errorMessage: 'the model crashed' });
    const res = await v1('/chat/completions', { ...hi, stream: true });
    assert.equal(res.status, 200);
    const text = await res.text();
    const events = text.trim().split('\n\n').map((e) => e.replace(/^data: /, ''));
    assert.equal(events.at(-1), '[DONE]');
    assert.deepEqual(JSON.parse(events.at(-2) as string), { error: { message: 'the model crashed', type: 'server_error', param: null, code: 'upstream_error' } });
    assert.equal(await api('api', 'incomplete', 'inference_error'), 1);

    await h.inference.script({ tokens: ['a'], errorAfter: 0, errorMessage: 'no model' });
    const whole = await v1('/chat/completions', hi);
    assert.equal(whole.status, 502);
    assert.deepEqual(await whole.json(), { error: { message: 'no model', type: 'server_error', param: null, code: 'upstream_error' } });
    assert.equal(await api('api', 'error', 'inference_error'), 1);
  });

  it('answers over capacity as 503 server_overloaded with Retry-After, counted as refused', async () => {
    await h.inference.script({ status: 503, retryAfter: '7' });
    const res = await v1('/responses', { model: 'demo', input: 'hi' });
    assert.equal(res.status, 503);
    assert.equal(res.headers.get('retry-after'), '7');
    assert.equal(((await res.json()) as { error: { code: string } }).error.code, 'server_overloaded');
    assert.equal(await api('api', 'refused', 'inference_over_capacity'), 1);
  });

  it('shares the per-user stream cap with the chat UI (429 rate_limit_exceeded), and frees it when the client leaves', async () => {
    await h.inference.script({ tokens: ['x', 'y', 'z'], hangAfter: 1 });
    const leaving = new AbortController();
    const open = await v1('/chat/completions', { ...hi, stream: true }, key, leaving.signal);
    assert.equal(open.status, 200);
    const reader = open.body!.getReader();
    await reader.read();

    const second = await v1('/chat/completions', hi);
    assert.equal(second.status, 429);
    assert.ok(Number(second.headers.get('retry-after')) > 0);
    assert.equal(((await second.json()) as { error: { code: string; type: string } }).error.code, 'rate_limit_exceeded');
    const conv = await h.call('POST', '/api/conversations', { body: {} });
    const chat = await h.call('POST', `/api/conversations/${conv.json.id}/messages`, { body: { content: 'hi' } });
    assert.equal(chat.status, 429, 'the chat UI shares the cap');

    leaving.abort();
    await reader.cancel().catch(() => undefined);
    const deadline = Date.now() + scaled(10_000);
    while ((await api('api', 'stopped', 'client_gone', 'gone')) !== 1) {
      assert.ok(Date.now() < deadline, `the answer whose client left is counted as stopped:\n${(await h.app.inject({ url: '/metrics' })).body.split('\n').filter((l) => l.startsWith('chat_answers_total')).join('\n')}`);
      await sleep(50);
    }
    await h.inference.script({ tokens: ['ok'] });
    assert.equal((await v1('/chat/completions', hi)).status, 200, 'the slot was freed');
  });

  it('refuses access tokens and unknown keys on /v1, and keys on /api', async () => {
    for (const bearer of [h.alice.token, h.internalApiKey, `sk-sc-${'x'.repeat(43)}`]) {
      const res = await v1('/models', undefined, bearer);
      assert.equal(res.status, 401);
      assert.equal(((await res.json()) as { error: { code: string } }).error.code, 'invalid_api_key');
    }
    const onApi = await fetch(`${h.url}/api/conversations`, { headers: { authorization: `Bearer ${key}` } });
    assert.equal(onApi.status, 401);
  });

  it('writes usage in batches, not per request, shows unflushed usage to its owner only, and flushes at close', async () => {
    await h.inference.script({ tokens: ['hi'] });
    assert.equal((await v1('/chat/completions', hi, bobKey)).status, 200, 'bob uses his own key');
    const stored = async () => (await h.db.query<{ requests: string }>('SELECT requests::text FROM api_key_usage WHERE key_id = $1', [keyId])).rows;
    assert.deepEqual(await stored(), [], 'nothing written yet: the batch waits for API_USAGE_FLUSH_MS');
    const mine = await h.call('GET', '/api/keys/usage');
    const entry = (mine.json.usage as Array<{ key_id: string; requests: number; prompt_tokens: number; completion_tokens: number }>).find((u) => u.key_id === keyId);
    assert.ok(entry && entry.requests >= 5, JSON.stringify(mine.json));
    assert.ok(entry.prompt_tokens >= 9);
    const bobs = await h.call('GET', '/api/keys/usage', { user: h.bob });
    assert.ok(!(bobs.json.usage as Array<{ key_id: string }>).some((u) => u.key_id === keyId), 'bob never sees alice’s key');
    assert.equal((bobs.json.usage as unknown[]).length, 1, 'bob sees his own key');
    assert.equal((mine.json.usage as unknown[]).length, 1, 'alice sees only hers');
    await h.app.close();
    assert.deepEqual(await stored(), [{ requests: String(entry.requests) }], 'one row, all requests, written at close');
  });
});
