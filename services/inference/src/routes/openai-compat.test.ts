import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildTestInference, metricValue, sseEvents } from '../../test/support/in-process.js';

describe('OpenAI-compatible API (in-process)', () => {
  it('is not served unless OPENAI_COMPAT_API=true: the internal key is no user API key', async () => {
    const t = await buildTestInference();
    const res = await t.app.inject({ method: 'POST', url: '/v1/chat/completions', headers: { authorization: `Bearer ${t.key}` }, payload: { messages: [{ role: 'user', content: 'hi' }] } });
    assert.equal(res.statusCode, 404);
    assert.equal((await t.app.inject({ method: 'GET', url: '/v1/models', headers: { authorization: `Bearer ${t.key}` } })).statusCode, 404);
    await t.close();
  });

  it('answers errors in OpenAI shape with the field as param', async () => {
    const t = await buildTestInference({ WORKERS: '1', QUEUE_LIMIT: '0', DEMO_TOKENS_PER_SECOND: '50', OPENAI_COMPAT_API: 'true' });
    const auth = { authorization: `Bearer ${t.key}` };
    const post = (payload: unknown, headers: Record<string, string> = auth) => t.app.inject({ method: 'POST', url: '/v1/chat/completions', headers, payload: payload as object });

    const noKey = await post({ messages: [{ role: 'user', content: 'hi' }] }, {});
    assert.equal(noKey.statusCode, 401);
    assert.equal(noKey.headers['www-authenticate'], 'Bearer realm="samosachaat-inference"');
    assert.deepEqual(noKey.json(), { error: { message: 'missing or wrong API key: send Authorization: Bearer <INTERNAL_API_KEY>', type: 'authentication_error', code: 'INFERENCE_UNAUTHORIZED', param: null } });
    assert.equal((await post({ messages: [{ role: 'user', content: 'hi' }] }, { authorization: `Bearer ${t.key}-not` })).statusCode, 401);
    assert.equal((await post({ messages: [{ role: 'user', content: 'hi' }] }, { authorization: t.key })).statusCode, 401);

    const cases: Array<[unknown, number, string, string | null]> = [
      [{ model: 'demo' }, 400, 'messages is required', 'messages'],
      [{ messages: [{ role: 'tool', content: 'x' }] }, 400, 'messages[0].role must be one of system, developer, user, assistant, got "tool"', 'messages[0].role'],
      [{ messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'x' } }] }] }, 400, 'messages[0].content[0] must be a text part ({"type":"text","text":"…"}); other content types are not supported', 'messages[0].content[0]'],
      [{ messages: [{ role: 'user', content: 'hi' }], n: 2 }, 400, 'n must be 1 (one choice per request), got 2', 'n'],
      [{ messages: [{ role: 'user', content: 'hi' }], temperature: 9 }, 400, 'temperature must be between 0 and 2, got 9', 'temperature'],
      [{ messages: [{ role: 'user', content: 'hi' }], stream: 'yes' }, 400, 'stream must be true or false or null', 'stream'],
      // Unknown or unsupported fields are refused by name, not dropped by the schema validator.
      [{ messages: [{ role: 'user', content: 'hi' }], tools: [{ type: 'function', function: { name: 'f' } }] }, 400, 'tools is not supported: this endpoint does not recognise it (nothing is silently ignored)', 'tools'],
      [{ messages: [{ role: 'user', content: 'hi' }], logprobs: true }, 400, 'logprobs is not supported: this endpoint does not recognise it (nothing is silently ignored)', 'logprobs'],
      [{ messages: [{ role: 'user', content: 'hi' }], stream: true, stream_options: { include_usage: true, include_obfuscation: false } }, 400, 'stream_options.include_obfuscation is not supported: this endpoint does not recognise it (nothing is silently ignored)', 'stream_options.include_obfuscation'],
      [{ messages: [{ role: 'user', content: 'hi', name: 'ann' }] }, 400, 'messages[0].name is not supported: this endpoint does not recognise it (nothing is silently ignored)', 'messages[0].name'],
      [{ messages: [{ role: 'user', content: 'hi' }], model: 'gpt-4o' }, 404, 'unknown model "gpt-4o"; available models: demo, demo-large', null],
    ];
    for (const [payload, status, message, param] of cases) {
      const res = await post(payload);
      assert.equal(res.statusCode, status, JSON.stringify(payload));
      const body = res.json();
      assert.equal(body.error.message, message);
      assert.equal(body.error.param, param);
      assert.equal(body.error.type, 'invalid_request_error');
      assert.equal(typeof body.error.code, 'string');
    }

    // Over capacity: 503 in OpenAI shape, with Retry-After.
    const running = post({ messages: [{ role: 'user', content: 'long answer please' }], stream: true, max_tokens: 10 });
    await new Promise((r) => setTimeout(r, 60));
    const busy = await post({ messages: [{ role: 'user', content: 'me too' }] });
    assert.equal(busy.statusCode, 503);
    assert.match(String(busy.headers['retry-after']), /^\d+$/);
    assert.equal(busy.json().error.type, 'server_error');
    assert.equal(busy.json().error.code, 'INFERENCE_OVER_CAPACITY');
    await running;
    const metrics = (await t.app.inject('/metrics')).body;
    assert.equal(metricValue(metrics, 'inference_rejected_total{reason="over_capacity",service="inference"}'), 1);
    assert.equal(metricValue(metrics, 'inference_rejected_total{reason="invalid",service="inference"}'), cases.length);
    await t.close();
  });

  it('accepts text parts, the developer role, null parameters and max_completion_tokens', async () => {
    const t = await buildTestInference({ OPENAI_COMPAT_API: 'true' });
    const res = await t.app.inject({
      method: 'POST',
      url: '/v1/chat/completions',
      headers: { authorization: `Bearer ${t.key}` },
      payload: {
        model: 'demo',
        messages: [
          { role: 'developer', content: 'Be brief.' },
          { role: 'user', content: [{ type: 'text', text: 'Compare ' }, { type: 'text', text: 'masala dosa and idli' }] },
        ],
        temperature: null,
        max_tokens: null,
        max_completion_tokens: 9,
        stream: false,
        user: 'ignored-field',
      },
    });
    assert.equal(res.statusCode, 200);
    const body = res.json();
    assert.equal(body.object, 'chat.completion');
    assert.match(body.choices[0].message.content, /^This answer about compare masala dosa comes/);
    assert.equal(body.choices[0].finish_reason, 'length');
    assert.equal(body.usage.completion_tokens, 9);
    await t.close();
  });

  it('ends a failed stream with an OpenAI error object and [DONE]', async () => {
    const t = await buildTestInference({ DEMO_FAIL_AFTER_TOKENS: '2', OPENAI_COMPAT_API: 'true' });
    const res = await t.app.inject({ method: 'POST', url: '/v1/chat/completions', headers: { authorization: `Bearer ${t.key}` }, payload: { messages: [{ role: 'user', content: 'hi there friend' }], stream: true } });
    const events = sseEvents(res.body) as Array<Record<string, unknown>>;
    assert.equal(events.length, 5);
    assert.deepEqual(events[3], { error: { message: 'demo engine fault injection: failing after 2 tokens (DEMO_FAIL_AFTER_TOKENS)', type: 'server_error', code: 'INFERENCE_GENERATION_FAILED', param: null } });
    assert.equal(events[4], '[DONE]');
    const whole = await t.app.inject({ method: 'POST', url: '/v1/chat/completions', headers: { authorization: `Bearer ${t.key}` }, payload: { messages: [{ role: 'user', content: 'hi there friend' }] } });
    assert.equal(whole.statusCode, 502);
    assert.equal(whole.json().error.code, 'INFERENCE_GENERATION_FAILED');
    await t.close();
  });

  it('lists models for OpenAI clients', async () => {
    const t = await buildTestInference({ OPENAI_COMPAT_API: 'true' });
    const res = await t.app.inject({ url: '/v1/models', headers: { authorization: `Bearer ${t.key}` } });
    const body = res.json();
    assert.equal(body.object, 'list');
    assert.deepEqual(body.data.map((m: { id: string; object: string; owned_by: string }) => [m.id, m.object, m.owned_by]), [['demo', 'model', 'samosachaat-demo'], ['demo-large', 'model', 'samosachaat-demo']]);
    assert.equal((await t.app.inject({ url: '/v1/models' })).statusCode, 401);
    await t.close();
  });
});
