/**
 * The OpenAI-compatible API for users, end to end (README "Use the API"): the whole platform
 * (`samosachaat start`), a user creates an API key through web's `/auth/keys`, and the real
 * `openai` SDK and the Vercel AI SDK (default provider: `/v1/responses`) use it through web's
 * `/v1`. Covers models list and retrieve, chat completions and responses streamed and whole
 * with usage, every error case in OpenAI's shape, usage per key visible to its owner only, a
 * revoked key refused within the token cache's bound, and the internal key refused outside.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { createOpenAI } from '@ai-sdk/openai';
import { generateText, streamText } from 'ai';
import OpenAI from 'openai';
import { startPlatform, type Platform } from '../support/platform.js';
import { scaled } from '../support/timeouts.js';

const CACHE_TTL_SECONDS = 2;

interface Key {
  id: string;
  key: string;
  prefix: string;
  name: string;
  created_at: string;
}

describe('the OpenAI-compatible API (/v1 through web)', { timeout: scaled(300_000) }, () => {
  let platform: Platform;
  let web: string;
  let aliceToken: string;
  let bobToken: string;
  let key: Key;
  const internalKey = randomBytes(32).toString('base64url');

  async function call(method: string, path: string, token: string | undefined, body?: unknown) {
    const res = await fetch(`${web}${path}`, {
      method,
      headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    return { status: res.status, headers: res.headers, text, json: json as any };
  }

  const client = (apiKey: string) => new OpenAI({ apiKey, baseURL: `${web}/v1`, maxRetries: 0, timeout: scaled(60_000) });

  before(async () => {
    platform = await startPlatform({ INTERNAL_API_KEY: internalKey, AUTH_CACHE_TTL_SECONDS: String(CACHE_TTL_SECONDS), API_USAGE_FLUSH_MS: '200', DEMO_TOKENS_PER_SECOND: '0' });
    web = platform.urls.web;
    aliceToken = platform.token;
    const bob = await call('POST', '/auth/dev-login', undefined, { email: 'bob-api@example.com', name: 'Bob' });
    assert.equal(bob.status, 200, bob.text);
    bobToken = bob.json.access_token;
  });

  after(async () => {
    await platform?.stop();
  });

  it('creates a key shown once (sk-sc-…), lists it by prefix without the key, and only for its owner', async () => {
    const created = await call('POST', '/auth/keys', aliceToken, { name: 'laptop' });
    assert.equal(created.status, 201, created.text);
    key = created.json;
    assert.match(key.key, /^sk-sc-[A-Za-z0-9_-]{43}$/);
    assert.equal(key.prefix, key.key.slice(0, 14));
    assert.equal(key.name, 'laptop');
    const listed = await call('GET', '/auth/keys', aliceToken);
    assert.equal(listed.status, 200);
    assert.deepEqual(
      listed.json.keys.map((k: Key) => [k.id, k.prefix, k.name]),
      [[key.id, key.prefix, 'laptop']],
    );
    assert.ok(!listed.text.includes(key.key), 'the list never shows the key again');
    assert.deepEqual((await call('GET', '/auth/keys', bobToken)).json.keys, [], 'bob sees none of alice’s keys');
    assert.equal((await call('DELETE', `/auth/keys/${key.id}`, bobToken)).status, 404, 'bob cannot revoke alice’s key');
    assert.equal((await call('GET', '/auth/keys', undefined)).status, 401);
    const badName = await call('POST', '/auth/keys', aliceToken, { name: '\u0007' });
    assert.equal(badName.status, 400);
    assert.equal(badName.json.error.code, 'AUTH_INVALID_KEY_NAME');
  });

  it('lists and retrieves models with the openai SDK; an unknown model is 404 model_not_found', async () => {
    const openai = client(key.key);
    const list = await openai.models.list();
    const ids = list.data.map((m) => m.id);
    assert.ok(ids.includes('demo'), `models: ${ids.join(', ')}`);
    const demo = await openai.models.retrieve('demo');
    assert.equal(demo.id, 'demo');
    assert.equal(demo.object, 'model');
    await assert.rejects(openai.models.retrieve('no-such-model'), (err: InstanceType<typeof OpenAI.NotFoundError>) => {
      assert.ok(err instanceof OpenAI.NotFoundError);
      assert.equal(err.code, 'model_not_found');
      return true;
    });
  });

  it('answers chat completions whole and streamed, with usage', async () => {
    const openai = client(key.key);
    const whole = await openai.chat.completions.create({ model: 'demo', messages: [{ role: 'user', content: 'Tell me about samosas' }], max_tokens: 12 });
    assert.equal(whole.object, 'chat.completion');
    assert.equal(whole.model, 'demo');
    assert.ok((whole.choices[0]?.message.content ?? '').length > 0);
    assert.equal(whole.choices[0]?.finish_reason, 'length');
    assert.equal(whole.usage?.completion_tokens, 12);
    assert.ok((whole.usage?.prompt_tokens ?? 0) > 0);

    const stream = await openai.chat.completions.create({ model: 'demo', messages: [{ role: 'user', content: 'And chutney?' }], max_tokens: 8, stream: true, stream_options: { include_usage: true } });
    let text = '';
    let usage: OpenAI.CompletionUsage | undefined | null;
    let finish: string | null | undefined;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? '';
      finish = chunk.choices[0]?.finish_reason ?? finish;
      if (chunk.usage) usage = chunk.usage;
    }
    assert.ok(text.length > 0);
    assert.equal(finish, 'length');
    assert.equal(usage?.completion_tokens, 8);
    assert.equal(usage?.total_tokens, (usage?.prompt_tokens ?? 0) + 8);
  });

  it('answers responses whole and streamed with the openai SDK', async () => {
    const openai = client(key.key);
    const whole = await openai.responses.create({ model: 'demo', input: 'What is a samosa?', instructions: 'Be brief.', max_output_tokens: 10, store: false });
    assert.equal(whole.object, 'response');
    assert.ok(whole.output_text.length > 0);
    assert.equal(whole.usage?.output_tokens, 10);
    const events: string[] = [];
    let text = '';
    const stream = await openai.responses.create({ model: 'demo', input: [{ role: 'user', content: 'Why tamarind?' }], max_output_tokens: 6, stream: true });
    for await (const event of stream) {
      events.push(event.type);
      if (event.type === 'response.output_text.delta') text += event.delta;
      if (event.type === 'response.incomplete' || event.type === 'response.completed') assert.equal(event.response.usage?.output_tokens, 6);
    }
    assert.equal(events[0], 'response.created');
    assert.ok(events.includes('response.output_text.delta'));
    assert.ok(['response.completed', 'response.incomplete'].includes(events.at(-1) as string), events.join(','));
    assert.ok(text.length > 0);
  });

  it('works with the Vercel AI SDK’s default provider (/v1/responses), whole and streamed', async () => {
    const provider = createOpenAI({ apiKey: key.key, baseURL: `${web}/v1` });
    const whole = await generateText({ model: provider('demo'), prompt: 'Tell me about pakoras', maxOutputTokens: 9, maxRetries: 0 });
    assert.ok(whole.text.length > 0);
    assert.equal(whole.usage.outputTokens, 9);
    assert.ok((whole.usage.inputTokens ?? 0) > 0);
    const streamed = streamText({ model: provider('demo'), system: 'Answer briefly.', prompt: 'And jalebi?', maxOutputTokens: 5, maxRetries: 0 });
    let text = '';
    for await (const part of streamed.textStream) text += part;
    assert.ok(text.length > 0);
    assert.equal((await streamed.usage).outputTokens, 5);
  });

  it('answers every error in OpenAI’s shape, naming the parameter', async () => {
    const cases: Array<{ path: string; body?: unknown; status: number; code: string; param: string | null; method?: string; token?: string | null }> = [
      { path: '/v1/chat/completions', body: { model: 'demo', messages: [{ role: 'user', content: 'hi' }], n: 2 }, status: 400, code: 'unsupported_parameter', param: 'n' },
      { path: '/v1/chat/completions', body: { model: 'demo', messages: [{ role: 'user', content: 'hi' }], logprobs: true }, status: 400, code: 'unsupported_parameter', param: 'logprobs' },
      // The demo engine has no tool support and samples no nucleus: refused by name, never ignored.
      { path: '/v1/chat/completions', body: { model: 'demo', messages: [{ role: 'user', content: 'hi' }], tools: [{ type: 'function', function: { name: 'f', parameters: {} } }] }, status: 400, code: 'unsupported_parameter', param: 'tools' },
      { path: '/v1/chat/completions', body: { model: 'demo', messages: [{ role: 'user', content: 'hi' }], top_p: 0.5 }, status: 400, code: 'unsupported_parameter', param: 'top_p' },
      { path: '/v1/chat/completions', body: { model: 'demo', messages: [{ role: 'user', content: 'hi' }], stop: ['x'] }, status: 400, code: 'unsupported_parameter', param: 'stop' },
      { path: '/v1/chat/completions', body: { model: 'demo', messages: [{ role: 'user', content: 'hi' }], response_format: { type: 'json_object' } }, status: 400, code: 'unsupported_parameter', param: 'response_format' },
      { path: '/v1/chat/completions', body: { model: 'demo', messages: [{ role: 'user', content: 'hi' }], frobnicate: 1 }, status: 400, code: 'unsupported_parameter', param: 'frobnicate' },
      { path: '/v1/chat/completions', body: { model: 'demo', messages: [] }, status: 400, code: 'invalid_value', param: 'messages' },
      { path: '/v1/chat/completions', body: { messages: [{ role: 'user', content: 'hi' }] }, status: 400, code: 'missing_required_parameter', param: 'model' },
      { path: '/v1/chat/completions', body: { model: 'demo', messages: [{ role: 'user', content: 'hi' }], temperature: 3 }, status: 400, code: 'invalid_value', param: 'temperature' },
      { path: '/v1/chat/completions', body: { model: 'nope', messages: [{ role: 'user', content: 'hi' }] }, status: 404, code: 'model_not_found', param: 'model' },
      { path: '/v1/responses', body: { model: 'demo', input: 'hi', previous_response_id: 'resp_123' }, status: 400, code: 'unsupported_parameter', param: 'previous_response_id' },
      { path: '/v1/responses/resp_123', method: 'GET', status: 400, code: 'unsupported_parameter', param: 'response_id' },
      { path: '/v1/responses', body: { model: 'demo', input: 'hi', reasoning: { effort: 'high' } }, status: 400, code: 'unsupported_parameter', param: 'reasoning' },
      { path: '/v1/models', method: 'GET', token: null, status: 401, code: 'invalid_api_key', param: null },
      { path: '/v1/models', method: 'GET', token: 'sk-sc-not-a-real-key-at-all-000000000000000000000', status: 401, code: 'invalid_api_key', param: null },
      { path: '/v1/nothing-here', method: 'GET', status: 404, code: 'unknown_url', param: null },
    ];
    for (const c of cases) {
      const res = await call(c.method ?? 'POST', c.path, c.token === null ? undefined : (c.token ?? key.key), c.body);
      const where = `${c.method ?? 'POST'} ${c.path} ${JSON.stringify(c.body)}: ${res.text}`;
      assert.equal(res.status, c.status, where);
      assert.deepEqual(Object.keys(res.json.error).sort(), ['code', 'message', 'param', 'type'], where);
      assert.equal(res.json.error.code, c.code, where);
      assert.equal(res.json.error.param, c.param, where);
      assert.equal(typeof res.json.error.message, 'string');
      assert.equal(res.json.error.type, c.status === 401 ? 'authentication_error' : c.status === 404 ? 'not_found_error' : 'invalid_request_error', where);
    }
    // The SDK reads the same errors.
    await assert.rejects(client('sk-sc-wrong').models.list(), (err) => err instanceof OpenAI.AuthenticationError && err.code === 'invalid_api_key');
  });

  it('never accepts the internal service key or an access token on /v1, nor an API key on /api', async () => {
    for (const bearer of [internalKey, aliceToken]) {
      const res = await call('GET', '/v1/models', bearer);
      assert.equal(res.status, 401);
      assert.equal(res.json.error.code, 'invalid_api_key');
    }
    const direct = await fetch(`${platform.urls.chat}/v1/models`, { headers: { authorization: `Bearer ${internalKey}`, 'x-internal-api-key': internalKey } });
    assert.equal(direct.status, 401);
    const onApi = await call('GET', '/api/conversations', key.key);
    assert.equal(onApi.status, 401);
    const inference = await fetch(`${platform.urls.inference}/v1/models`, { headers: { authorization: `Bearer ${internalKey}` } });
    assert.equal(inference.status, 404, 'inference serves no OpenAI endpoint of its own by default');
  });

  it('counts usage per key, in batches, shown to the key’s owner only', async () => {
    const bobKey = (await call('POST', '/auth/keys', bobToken, { name: 'bob' })).json as Key;
    await client(bobKey.key).chat.completions.create({ model: 'demo', messages: [{ role: 'user', content: 'hello' }], max_tokens: 3 });
    const deadline = Date.now() + scaled(10_000);
    let mine;
    for (;;) {
      const usage = await call('GET', '/api/keys/usage', aliceToken);
      assert.equal(usage.status, 200, usage.text);
      mine = usage.json.usage.find((u: { key_id: string }) => u.key_id === key.id);
      // Usage is flushed in batches: wait until every earlier answer of this file is in.
      if ((mine?.requests >= 5 && mine?.completion_tokens >= 12 + 8 + 10 + 6 + 9 + 5) || Date.now() > deadline) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.ok(mine, 'alice sees her key’s usage');
    assert.ok(mine.requests >= 5, `requests: ${mine.requests}`);
    assert.ok(mine.completion_tokens >= 12 + 8 + 10 + 6 + 9 + 5, JSON.stringify(mine));
    assert.ok(mine.prompt_tokens > 0);
    assert.ok(Date.parse(mine.last_used_at) > Date.parse(key.created_at) - 1000);
    const aliceIds = (await call('GET', '/api/keys/usage', aliceToken)).json.usage.map((u: { key_id: string }) => u.key_id);
    assert.ok(!aliceIds.includes(bobKey.id), 'alice never sees bob’s usage');
    const bobIds = (await call('GET', '/api/keys/usage', bobToken)).json.usage.map((u: { key_id: string }) => u.key_id);
    assert.ok(!bobIds.includes(key.id), 'bob never sees alice’s usage');
    assert.equal((await call('GET', '/api/keys/usage', key.key)).status, 401, 'an API key cannot read usage');
  });

  it('counts /v1 answers in the answer SLI with surface="api"', async () => {
    const metrics = await (await fetch(`${platform.urls.chat}/metrics`)).text();
    const line = metrics.split('\n').find((l) => l.startsWith('chat_answers_total{') && l.includes('surface="api"') && l.includes('outcome="complete"'));
    assert.ok(line, metrics.split('\n').filter((l) => l.startsWith('chat_answers_total')).join('\n'));
    assert.ok(Number(line.split(' ').at(-1)) >= 5);
  });

  it('stops accepting a revoked key within the cache’s bound (AUTH_CACHE_TTL_SECONDS)', async () => {
    const openai = client(key.key);
    await openai.models.list();
    const revoked = await call('DELETE', `/auth/keys/${key.id}`, aliceToken);
    assert.equal(revoked.status, 204);
    assert.deepEqual((await call('GET', '/auth/keys', aliceToken)).json.keys, []);
    const revokedAt = Date.now();
    let status = 200;
    while (status !== 401) {
      const res = await call('GET', '/v1/models', key.key);
      status = res.status;
      if (status === 401) assert.equal(res.json.error.code, 'invalid_api_key');
      else assert.ok(Date.now() - revokedAt < CACHE_TTL_SECONDS * 1000 + scaled(3000), 'the revoked key still works past the cache bound');
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.ok(Date.now() - revokedAt <= CACHE_TTL_SECONDS * 1000 + scaled(3000));
  });

  it('never writes a key into any service’s log lines', () => {
    const out = platform.output();
    assert.ok(out.includes(key.prefix), 'the key’s prefix is logged when it is created (api_key_created)');
    assert.ok(!out.includes(key.key), 'the whole key appears in no log line');
    assert.ok(!out.includes(key.key.slice(14)), 'nor its secret part');
  });
});
