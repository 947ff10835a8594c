import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { readTokenEvent, readUpstreamEvent, sseEvent } from './upstream-events.js';

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

  it('reads token events on their bytes, exactly as JSON would', () => {
    const read = (event: string) => {
      const got: Array<string | [string, number]> = [];
      const bytes = Buffer.from(`xx${event}yy`);
      const ok = readTokenEvent(bytes, 2, bytes.length - 2, {
        addBytes: (b, from, to, length) => got.push([b.toString('utf8', from, to), length]),
        add: (token) => got.push(token),
      });
      return ok ? got : false;
    };
    assert.deepEqual(read('data: {"token":"hi"}\n\n'), [['hi', 2]]);
    assert.deepEqual(read('data: {"token":""}\n\n'), [['', 0]]);
    // Lengths in UTF-16 units, as String.length counts them.
    assert.deepEqual(read('data: {"token":"é🙏"}\n\n'), [['é🙏', 'é🙏'.length]]);
    assert.deepEqual(read('data: {"token":"a \\"q\\"\\n\\u00e9"}\n\n'), ['a "q"\né']);
    // Anything else is for readUpstreamEvent.
    for (const other of ['data: {"token":"a","model":"m"}\n\n', 'data: {"done":true}\n\n', 'data: {"token":"a"}\r\n\r\n', ': comment\n\n', 'data: {"token":"a\\"}\n\n']) assert.equal(read(other), false, other);
  });
});

