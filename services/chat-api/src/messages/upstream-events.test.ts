import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { readUpstreamEvent, sseEvent } from './upstream-events.js';

describe('inference events', () => {
  it('reads tokens, errors, done, usage and model', () => {
    assert.deepEqual(readUpstreamEvent('{"token":"hi"}'), { token: 'hi' });
    assert.deepEqual(readUpstreamEvent('{"token":""}'), { token: '' });
    assert.deepEqual(readUpstreamEvent('{"error":"boom"}'), { error: 'boom' });
    assert.deepEqual(readUpstreamEvent('{"error":{"code":"X"}}'), { error: '{"code":"X"}' });
    assert.deepEqual(readUpstreamEvent('{"error":"slow down","code":"INFERENCE_UPSTREAM_RATE_LIMITED","retry_after":20}'), { error: 'slow down', code: 'INFERENCE_UPSTREAM_RATE_LIMITED', retryAfter: 20 });
    // A code that is not a registry code is ignored; a Retry-After is bounded to an hour.
    assert.deepEqual(readUpstreamEvent('{"error":"x","code":"not a code","retry_after":99999}'), { error: 'x', retryAfter: 3600 });
    assert.deepEqual(readUpstreamEvent('{"done":true,"usage":{"completion_tokens":12},"model":"demo"}'), { done: true, outputTokens: 12, model: 'demo' });
    assert.deepEqual(readUpstreamEvent('{"done":true,"usage":{"output_tokens":3}}'), { done: true, outputTokens: 3 });
    assert.deepEqual(readUpstreamEvent('{"done":false,"usage":{"completion_tokens":-1}}'), {});
  });

  it('ignores what is not a JSON object', () => {
    for (const data of [undefined, '', '[DONE]', '{not json', 'null', '"text"']) assert.deepEqual(readUpstreamEvent(data), {}, String(data));
  });

  it('writes its own events in the same shape', () => {
    assert.equal(sseEvent({ error: 'a "quoted"\nline' }), 'data: {"error":"a \\"quoted\\"\\nline"}\n\n');
    assert.equal(sseEvent({ done: true }), 'data: {"done":true}\n\n');
  });
});
